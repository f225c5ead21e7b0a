/** `/profile stream`: a player records their stream handle, used for the multistream link of their matches. */
import type { Command } from "../../feature";
import { option, subcommand } from "../../interactions/command-options";
import { UserError } from "../../interactions/types";
import { mirrorLive } from "./mirror";
import { setStream } from "./storage";

const HANDLE = /^[A-Za-z0-9_]{2,25}$/;

export const profileCommand: Command = {
  data: {
    name: "profile",
    description: "Your player profile for tournaments",
    options: [
      subcommand("stream", "Set or clear your stream channel", [option.string("handle", "Your Twitch channel name (leave out to clear)", { max_length: 25 })]),
    ],
  },
  async run(ctx) {
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Use this in a server.");
    const s = ctx.services;
    const raw = ctx.options.string("handle")?.trim() || null;
    if (raw !== null && !HANDLE.test(raw)) throw new UserError("A stream handle is 2–25 letters, digits or `_`, like `speedgaming`.");
    const affected = await setStream(s.env.DB, guildId, ctx.user.id, raw, s.now());
    // Matches with both players' streams known get a multistream link as their location.
    for (const id of affected) await mirrorLive(s, guildId, id);
    const note = affected.length ? ` Updated ${affected.length} upcoming match${affected.length === 1 ? "" : "es"}.` : "";
    return raw ? `Your stream is now **${raw}**.${note}` : `Your stream is cleared.${note}`;
  },
};
