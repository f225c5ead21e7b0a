// The baseline: an interactions handler written the way Discord's official sample app
// (discord/cloudflare-sample-app, src/server.js) does it: itty-router's AutoRouter, a JsonResponse class,
// verifyKey with the hex key on every request, JSON.parse, then a switch on the command name.
import { InteractionResponseType, InteractionType, verifyKey } from "discord-interactions";
import { AutoRouter } from "itty-router";

class JsonResponse extends Response {
  constructor(body, init) {
    const jsonBody = JSON.stringify(body);
    super(jsonBody, init || { headers: { "content-type": "application/json;charset=UTF-8" } });
  }
}

const router = AutoRouter();

router.get("/", (_request, env) => new Response(`👋 ${env.DISCORD_APPLICATION_ID}`));

router.post("/interactions", async (request, env) => {
  const { isValid, interaction } = await server.verifyDiscordRequest(request, env);
  if (!isValid || !interaction) return new Response("Bad request signature.", { status: 401 });
  if (interaction.type === InteractionType.PING) return new JsonResponse({ type: InteractionResponseType.PONG });
  if (interaction.type === InteractionType.APPLICATION_COMMAND) {
    switch (interaction.data.name.toLowerCase()) {
      case "about":
        return new JsonResponse({
          type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
          data: {
            flags: 64,
            embeds: [{ title: "Event bot", description: "…", fields: [{ name: "Version", value: "0.1.0", inline: true }] }],
            allowed_mentions: { parse: [] },
          },
        });
      default:
        return new JsonResponse({ error: "Unknown Type" }, { status: 400 });
    }
  }
  return new JsonResponse({ error: "Unknown Type" }, { status: 400 });
});

router.all("*", () => new Response("Not Found.", { status: 404 }));

async function verifyDiscordRequest(request, env) {
  const signature = request.headers.get("x-signature-ed25519");
  const timestamp = request.headers.get("x-signature-timestamp");
  const body = await request.text();
  const isValidRequest = signature && timestamp && (await verifyKey(body, signature, timestamp, env.DISCORD_PUBLIC_KEY));
  if (!isValidRequest) return { isValid: false };
  return { interaction: JSON.parse(body), isValid: true };
}

const server = { verifyDiscordRequest, fetch: router.fetch };
export default server;
