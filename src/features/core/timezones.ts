/** Timezone autocomplete: IANA names from the runtime's ICU, matched by substring, common zones first. */
import type { APIApplicationCommandOptionChoice } from "discord-api-types/v10";
import { timeZoneNames } from "../../util/zoned-time";

const COMMON = ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"];

export function timezoneChoices(query: string): APIApplicationCommandOptionChoice<string>[] {
  const q = query.trim().toLowerCase().replace(/\s+/g, "_");
  const list = q ? timeZoneNames().filter((z) => z.toLowerCase().includes(q)) : COMMON;
  const ranked = [...list].sort((a, b) => Number(!a.toLowerCase().startsWith(q)) - Number(!b.toLowerCase().startsWith(q)));
  return ranked.slice(0, 25).map((z) => ({ name: z, value: z }));
}
