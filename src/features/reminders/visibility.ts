/** Reminders never reveal an event that sits in a channel the member cannot see. */
import type { APIInteraction } from "discord-api-types/v10";
import { memberCanView } from "../../discord/channel-access";
import type { Services } from "../../services";

/** Distinct channels one answer may look up; events in any further channel are left out (not guessed visible). */
const MAX_CHANNEL_LOOKUPS = 10;

export interface Viewer {
  userId: string;
  roleIds: readonly string[];
}

export function viewerOf(interaction: APIInteraction): Viewer | null {
  const m = interaction.member;
  return m ? { userId: m.user.id, roleIds: m.roles } : null;
}

/** The events the viewer may see: those without a channel, and those in channels they can view. */
export async function visibleEvents<E extends { channel_id: string | null }>(
  s: Services,
  guildId: string,
  viewer: Viewer | null,
  events: readonly E[],
): Promise<E[]> {
  const channels = [...new Set(events.flatMap((e) => (e.channel_id ? [e.channel_id] : [])))];
  if (!channels.length) return [...events];
  const visible = new Set<string>();
  if (viewer) {
    const checked = await Promise.all(
      channels.slice(0, MAX_CHANNEL_LOOKUPS).map(async (c) => [c, await memberCanView(s.discord, guildId, viewer, c, s.now())] as const),
    );
    for (const [c, ok] of checked) if (ok) visible.add(c);
  }
  return events.filter((e) => !e.channel_id || visible.has(e.channel_id));
}
