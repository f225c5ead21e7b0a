/** Reads the cog's Red Config JSON (settings.json or an export) into our settings and event records, ids kept exact. */
import { DEFAULT_SETTINGS, mergeSettings, type Settings } from "./settings";
import { normaliseVoice } from "./storage";

/** The cog's Config identifier: Red keys its settings file by it. */
export const RED_IDENTIFIER = "817263540";

export interface RedImport {
  settings: Settings;
  events: { event_id: string; text_id: string | null; voice_ids: string[]; role_id: string | null }[];
  /** Keys we do not carry over (runtime state of the cog) and values that failed validation. */
  skipped: string[];
}

/** JSON.parse would round Discord ids (> 2^53) stored as numbers; quote long integers first. */
export function parseExact(text: string): unknown {
  return JSON.parse(text.replace(/([[:,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

const SETTING_KEYS = new Set(Object.keys(DEFAULT_SETTINGS));
/** Kept by the cog as runtime state; we track these ourselves. */
const RUNTIME_KEYS = new Set(["event_channels", "divider_channel_id", "divider_roles", "deletion_extensions", "thread_event_links"]);

export function importRedConfig(text: string, guildId: string): RedImport {
  const root = parseExact(text) as Record<string, unknown>;
  const byIdentifier = (root[RED_IDENTIFIER] as { GUILD?: Record<string, unknown> } | undefined)?.GUILD;
  const guild = (byIdentifier?.[guildId] ?? (root.GUILD as Record<string, unknown> | undefined)?.[guildId] ?? root[guildId] ?? root) as Record<string, unknown>;
  if (typeof guild !== "object" || guild === null) throw new Error(`no settings for guild ${guildId} in this file`);
  const patch: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [k, v] of Object.entries(guild)) {
    if (SETTING_KEYS.has(k)) patch[k] = k.endsWith("_id") && v !== null ? String(v) : k === "whitelisted_roles" ? (v as unknown[]).map(String) : v;
    else if (!RUNTIME_KEYS.has(k)) skipped.push(k);
  }
  let merged = mergeSettings(DEFAULT_SETTINGS, patch);
  if (!merged.ok) {
    // Keep what is valid: drop each offending key and say so.
    for (const problem of merged.problems) {
      const key = problem.split(/[.:]/)[0] as string;
      delete patch[key];
      skipped.push(`${key} (${problem})`);
    }
    merged = mergeSettings(DEFAULT_SETTINGS, patch);
  }
  const stored = (guild.event_channels ?? {}) as Record<string, { text?: unknown; voice?: unknown; role?: unknown }>;
  const events = Object.entries(stored).map(([event_id, e]) => ({
    event_id,
    text_id: e.text ? String(e.text) : null,
    voice_ids: normaliseVoice(e.voice),
    role_id: e.role ? String(e.role) : null,
  }));
  return { settings: merged.ok ? merged.settings : DEFAULT_SETTINGS, events, skipped };
}
