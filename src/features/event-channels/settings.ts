/** Event-channel settings: the seed's configuration schema with the cog's defaults, validated at the boundary. */
// A namespace import lets the bundler drop zod's 40-odd locales (about 80 KiB of the gzipped Worker); `{ z }` keeps them all.
import * as z from "zod";
import { normaliseTimezone } from "../../guild-settings";

const snowflake = z.string().regex(/^\d{17,20}$/, "must be a Discord id");
const ROLE_PLACEHOLDERS = ["name", "day_abbrev", "day", "month_abbrev", "time", "time_12", "time_12_short", "ampm"];
const MESSAGE_PLACEHOLDERS = ["role", "event", "time"];

/** Every `{placeholder}` in `template` must be one of `allowed`. */
function placeholders(allowed: string[]) {
  return (template: string, ctx: z.RefinementCtx) => {
    for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
      if (!allowed.includes(m[1] as string))
        ctx.addIssue({ code: "custom", message: `unknown placeholder {${m[1]}}; use ${allowed.map((p) => `{${p}}`).join(" ")}` });
    }
  };
}

/** A whole number of some unit within bounds, refused with a message that names the unit and the range. */
function wholeNumber(min: number, max: number, unit: string) {
  const range = `must be ${min}–${max} ${unit}`;
  return z.number({ error: range }).int(`${range}, as a whole number`).min(min, range).max(max, range);
}

/** "none" (any case) disables a message, as in the cog. */
const message = z
  .string()
  .max(1800)
  .transform((s) => (s.trim().toLowerCase() === "none" ? "" : s))
  .superRefine(placeholders(MESSAGE_PLACEHOLDERS));

export const settingsSchema = z.object({
  category_id: snowflake.nullable().default(null),
  timezone: z
    .string()
    .default("UTC")
    .transform((tz, ctx) => {
      const ok = normaliseTimezone(tz);
      if (!ok) ctx.addIssue({ code: "custom", message: `"${tz}" is not an IANA timezone (e.g. Europe/Berlin)` });
      return ok ?? "UTC";
    }),
  creation_minutes: wholeNumber(0, 1440, "minutes before the start (up to a day)").default(15),
  deletion_hours: wholeNumber(0, 168, "hours after the end (up to a week)").default(4),
  role_format: z.string().min(1).max(100).default("{name} {day_abbrev} {day}. {month_abbrev} {time}").superRefine(placeholders(ROLE_PLACEHOLDERS)),
  channel_format: z
    .string()
    .min(1)
    .max(100)
    .default("{name}᲼{type}")
    .refine((f) => f.includes("{name}") && f.includes("{type}"), "must contain {name} and {type}")
    .superRefine(placeholders(["name", "type"])),
  space_replacer: z.string().max(5).default("᲼"),
  announcement_message: message.default("{role} The event is starting soon!"),
  event_start_message: message.default("{role} The event is starting now!"),
  deletion_warning_message: message.default("⚠️ These channels will be deleted in 15 minutes."),
  divider_enabled: z.boolean().default(true),
  divider_name: z.string().min(1).max(100).default("━━━━━━ EVENT CHANNELS ━━━━━━"),
  channel_name_limit: z.number().int().min(1).max(100).default(100),
  channel_name_limit_char: z.string().max(5).default(""),
  voice_multipliers: z.record(z.string().min(1).max(50), z.number().int().min(1).max(99)).default({}),
  voice_minimum_roles: z.record(z.string().min(1).max(50), z.number().int().min(1).max(999)).default({}),
  minimum_retry_intervals: z
    .array(wholeNumber(1, 1440, "minutes before the start"))
    .max(10, "at most 10 retry times")
    .default([10, 5, 2]),
  whitelisted_roles: z.array(snowflake).max(25).default([]),
  archive_category_id: snowflake.nullable().default(null),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** Validates a full or partial settings object merged over `base`; returns readable problems instead of throwing. */
export function mergeSettings(base: Settings, patch: Record<string, unknown>): { ok: true; settings: Settings } | { ok: false; problems: string[] } {
  const result = settingsSchema.safeParse({ ...base, ...patch });
  if (result.success) return { ok: true, settings: result.data };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`) };
}

/**
 * Stored settings parsed already, by their text: the schema runs without zod's compiled fast path in a Worker, and
 * every event's reconciliation reads its guild's settings. A copy is handed out, so no caller changes another's.
 */
const parsed = new Map<string, Settings>();
const PARSED_CACHE = 500;
/** Longer texts (many keywords or roles) are parsed each time: the cache's memory stays under 500 × 8 KB. */
const PARSED_TEXT_MAX = 8_192;

export async function readSettings(db: D1Database, guildId: string): Promise<Settings | null> {
  const row = await db.prepare("SELECT settings FROM event_channel_settings WHERE guild_id = ?").bind(guildId).first<{ settings: string }>();
  if (!row) return null;
  let settings = parsed.get(row.settings);
  if (!settings) {
    // Stored settings were valid when written; parsing again fills defaults added since.
    const merged = mergeSettings(DEFAULT_SETTINGS, JSON.parse(row.settings));
    settings = merged.ok ? merged.settings : DEFAULT_SETTINGS;
    if (row.settings.length <= PARSED_TEXT_MAX) {
      if (parsed.size >= PARSED_CACHE) parsed.clear();
      parsed.set(row.settings, settings);
    }
  }
  return structuredClone(settings);
}

export async function writeSettings(db: D1Database, guildId: string, settings: Settings, userId: string | null, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO event_channel_settings (guild_id, settings, configured_by, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET settings = excluded.settings, configured_by = COALESCE(excluded.configured_by, configured_by), updated_at = excluded.updated_at`,
    )
    .bind(guildId, JSON.stringify(settings), userId, now)
    .run();
}

export async function configuredBy(db: D1Database, guildId: string): Promise<string | null> {
  const row = await db.prepare("SELECT configured_by FROM event_channel_settings WHERE guild_id = ?").bind(guildId).first<{ configured_by: string | null }>();
  return row?.configured_by ?? null;
}
