// `npm run register [-- --guild ID]`: bulk-overwrites the bot's slash commands (global, or one guild's).
// `npm run register -- --print`: prints the JSON it would send and stops (no credentials needed), to diff a change.
import { credentials, importSrc } from "./lib.mjs";

const args = process.argv.slice(2);
if (args.includes("--print")) {
  const { registry, registrationPayload } = await importSrc("scripts/register-entry.ts");
  console.log(JSON.stringify(registrationPayload(registry.commands.values()), null, 2));
  process.exit(0);
}
const guildIndex = args.indexOf("--guild");
const guildId = guildIndex >= 0 ? args[guildIndex + 1] : undefined;
if (guildIndex >= 0 && !/^\d{15,25}$/.test(guildId ?? "")) {
  console.error("--guild needs a guild id (a 17-20 digit number)");
  process.exit(2);
}
const vars = credentials();
if (!vars) {
  console.error("Missing DISCORD_TOKEN, DISCORD_APPLICATION_ID or DISCORD_PUBLIC_KEY (environment or .dev.vars; see .dev.vars.example).");
  process.exit(2);
}
const { createDiscord, registry, registerCommands } = await importSrc("scripts/register-entry.ts");
try {
  const discord = createDiscord({ DISCORD_TOKEN: vars.DISCORD_TOKEN, DISCORD_API_BASE: vars.DISCORD_API_BASE });
  const result = await registerCommands(discord, vars.DISCORD_APPLICATION_ID, registry.commands.values(), guildId);
  console.log(`Registered ${result.length} commands ${guildId ? `in guild ${guildId}` : "globally"}: ${result.map((c) => `/${c.name}`).join(", ")}`);
} catch (err) {
  console.error(`Registration failed: ${err.status ?? ""} ${err.message}`);
  if (err.errors) console.error(JSON.stringify(err.errors, null, 2));
  process.exit(1);
}
