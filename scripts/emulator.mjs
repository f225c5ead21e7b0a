// `npm run emulator`: the local Discord on its own (port from EMULATOR_PORT, default 8790), for manual poking.
import { startEmulator } from "../test/emulator/server.ts";

const emulator = await startEmulator({ port: Number(process.env.EMULATOR_PORT ?? 8790), botUrl: process.env.BOT_URL });
const guild = emulator.world.createGuild({ name: "Emulated Guild" });
console.log(
  JSON.stringify(
    { url: emulator.url, application_id: emulator.applicationId, bot_token: emulator.botToken, public_key: emulator.keys.publicKeyHex, guild },
    null,
    2,
  ),
);
process.on("SIGINT", () => emulator.close().then(() => process.exit(0)));
process.on("SIGTERM", () => emulator.close().then(() => process.exit(0)));
