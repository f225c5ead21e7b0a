/** `/about`: what the bot is, its version, and where admins start. */
import type { Command } from "../../feature";
import { VERSION } from "../../version";

export const about: Command = {
  data: { name: "about", description: "What this bot does and how to set it up" },
  async run() {
    return {
      embeds: [
        {
          title: "Event bot",
          description:
            "Runs your community's events: event channels, match schedules, DM reminders and temporary voice channels.\n" +
            "Admins: start with `/bot-config view`, then `/bot-config check` to see which permissions I still need.",
          fields: [{ name: "Version", value: VERSION, inline: true }],
        },
      ],
    };
  },
};
