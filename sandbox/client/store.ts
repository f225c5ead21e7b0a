/** The page's state: the guild as the server last pushed it, who the viewer acts as, and what is open. */
import type { Lookup } from "../command-line.ts";
import type { ChannelView, MemberView, SandboxState } from "../types.ts";

export type View = { kind: "channel"; id: string } | { kind: "events" };

export const store = {
  state: null as SandboxState | null,
  me: localStorage.getItem("sandbox.me") ?? "",
  view: { kind: "events" } as View,
  /** Ephemeral messages the viewer dismissed. */
  dismissed: new Set<string>(),
};

const listeners = new Set<() => void>();

export function onChange(fn: () => void): void {
  listeners.add(fn);
}

export function changed(): void {
  for (const fn of listeners) fn();
}

export function setState(s: SandboxState): void {
  store.state = s;
  const humans = s.members.filter((m) => !m.bot);
  if (!humans.some((m) => m.id === store.me)) store.me = humans.find((m) => m.admin && !m.owner)?.id ?? humans[0]?.id ?? "";
  if (store.view.kind === "channel" && !channel(store.view.id) && !isDm(store.view.id)) store.view = { kind: "events" };
  changed();
}

export function setMe(id: string): void {
  store.me = id;
  localStorage.setItem("sandbox.me", id);
  changed();
}

export function go(view: View): void {
  store.view = view;
  changed();
}

/** A name as Discord's font shows it: U+1CBC, the "invisible" space bots use in channel names, as a space. */
export function shown(name: string): string {
  return name.replace(/\u1cbc/g, " ");
}

export function allChannels(): ChannelView[] {
  return store.state?.sections.flatMap((s) => (s.category ? [s.category, ...s.channels] : s.channels)) ?? [];
}

export function channel(id: string): ChannelView | undefined {
  return allChannels().find((c) => c.id === id);
}

export function member(id: string): MemberView | undefined {
  return store.state?.members.find((m) => m.id === id);
}

export function isDm(channelId: string): boolean {
  return !!store.state?.members.some((m) => m.dm_channel === channelId);
}

export function memberName(id: string): string {
  return member(id)?.name ?? (id === store.state?.bot_id ? "Event Bot" : `unknown user ${id}`);
}

export function lookup(): Lookup {
  const s = store.state;
  return {
    channels: allChannels().map((c) => ({ id: c.id, name: c.name, type: c.type })),
    roles: (s?.roles ?? []).filter((r) => !r.everyone).map((r) => ({ id: r.id, name: r.name })),
    members: (s?.members ?? []).map((m) => ({ id: m.id, name: m.name })),
  };
}

/** The text channel commands are sent from when the viewer looks at something else (events, a DM). */
export function commandChannel(): string | undefined {
  if (store.view.kind === "channel" && channel(store.view.id)?.type === 0) return store.view.id;
  return allChannels().find((c) => c.type === 0 && c.visible_to.includes(store.me))?.id;
}
