// The baseline: an interactions handler written the way Discord's official sample app does it
// (verifyKey with the hex key on every request, then a switch on the command name).
import { InteractionResponseType, InteractionType, verifyKey } from "discord-interactions";

export default {
  async fetch(request, env) {
    const signature = request.headers.get("X-Signature-Ed25519");
    const timestamp = request.headers.get("X-Signature-Timestamp");
    const body = await request.text();
    if (!signature || !timestamp || !(await verifyKey(body, signature, timestamp, env.DISCORD_PUBLIC_KEY))) {
      return new Response("Bad request signature", { status: 401 });
    }
    const interaction = JSON.parse(body);
    if (interaction.type === InteractionType.PING) return Response.json({ type: InteractionResponseType.PONG });
    if (interaction.type === InteractionType.APPLICATION_COMMAND) {
      switch (interaction.data.name) {
        case "about":
          return Response.json({
            type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
            data: {
              flags: 64,
              embeds: [{ title: "Event bot", description: "…", fields: [{ name: "Version", value: "0.1.0", inline: true }] }],
              allowed_mentions: { parse: [] },
            },
          });
      }
    }
    return Response.json({ error: "unknown command" }, { status: 400 });
  },
};
