/**
 * DM reminders under chaos: members subscribe (the /subscribe view and Save), ask for one event, click Interested,
 * unsubscribe; events are moved and cancelled; the oracle counts every DM and channel post per member, event and offset.
 */
import type { Message } from "../../test/emulator/state.ts";
import { command, emu, type GuildFixture, interact, iso, newGuild, newMember, persist, type Reply, sleep } from "../members.ts";
import { Findings } from "../oracle.ts";
import { type Ctx, type Feature, Replies, type Step, sec } from "../scenario.ts";

interface EventSpec {
  key: string;
  name: string;
  start: number;
  /** Scheduled first at `first`, moved to `start` at `moveAt`. */
  first?: { start: number; moveAt: number };
  cancelAt?: number;
}

interface MemberSpec {
  key: string;
  /** Subscribes to every event with these offsets (seconds; [] = the server's defaults) at `at`. */
  subscribe?: { offsets: number[]; at: number };
  unsubscribeAt?: number;
  /** Asks for this one event with /remind. */
  remind?: { event: string; at: number };
  /** Clicks Interested on this event. */
  interested?: { event: string; at: number };
}

interface Plan {
  allowed: string;
  defaults: number[];
  events: EventSpec[];
  members: MemberSpec[];
}

const FULL: Plan = {
  allowed: "2m, 1m, now",
  defaults: [60, 0],
  events: [
    { key: "R1", name: "Weekly Cup", start: 135 },
    { key: "R2", name: "Scrim Night", start: 145, first: { start: 170, moveAt: 5 } },
    { key: "R3", name: "Cancelled Show", start: 140, cancelAt: 60 },
  ],
  members: [
    { key: "m1", subscribe: { offsets: [120, 0], at: 0 } },
    { key: "m2", subscribe: { offsets: [], at: 0 } },
    { key: "m3", remind: { event: "R1", at: 3 } },
    { key: "m4", interested: { event: "R2", at: 1 } },
    { key: "m5", subscribe: { offsets: [], at: 0 }, unsubscribeAt: 12 },
    // A crowd Interested in the first event: its reminders fan out in chunks of 40, resumed by cursor.
    ...Array.from({ length: 45 }, (_, i): MemberSpec => ({ key: `c${i}`, interested: { event: "R1", at: 1 } })),
  ],
};

const SMALL: Plan = {
  allowed: "now",
  defaults: [0],
  events: [{ key: "R1", name: "Weekly Cup", start: 20 }],
  members: [{ key: "m1", subscribe: { offsets: [], at: 0 } }],
};

/**
 * When each thing a member did took effect for certain (its answer arrived), and when they first asked for it: a
 * request sent before a reminder's time but answered after it may or may not have counted for that reminder.
 */
interface Done {
  subscribed?: number;
  subscribing?: number;
  unsubscribed?: number;
  unsubscribing?: number;
  reminded?: number;
  reminding?: number;
  interested?: number;
}

export function reminders(ctx: Ctx): Feature {
  const plan = ctx.size === "full" ? FULL : SMALL;
  const replies = new Replies();
  const users = new Map<string, string>();
  const eventIds = new Map<string, string>();
  const cancelledAt = new Map<string, number>();
  const done = new Map<string, Done>();
  let g: GuildFixture;
  const at = (s: number) => ctx.start + sec(s);
  const uid = (key: string) => users.get(key) as string;
  /** The event's id once its own lane has scheduled it. */
  async function eventId(key: string): Promise<string> {
    for (let i = 0; i < 100 && !eventIds.has(key); i++) await sleep(50);
    return eventIds.get(key) as string;
  }

  async function admin(subcommand: string, options: Record<string, string | number | boolean>) {
    replies.track(
      `/reminders ${subcommand}`,
      await persist(ctx, `/reminders ${subcommand}`, () => command(ctx, g.guild_id, g.admin_id, "reminders", subcommand, options)),
    );
  }

  async function setup() {
    g = await newGuild(ctx, "Reminders");
    await admin("offsets", { allowed: plan.allowed, defaults: plan.defaults.map((o) => (o === 0 ? "now" : `${o / 60}m`)).join(", ") });
    await admin("channel", { channel: g.channels.text });
    for (const m of plan.members) {
      users.set(m.key, await newMember(ctx, g, m.key));
      done.set(m.key, {});
    }
  }

  /** The /subscribe view: pick "all", the offsets, Save; each step answers by updating the view's message. */
  async function subscribe(m: MemberSpec, offsets: number[]) {
    const who = uid(m.key);
    for (let attempt = 0; attempt < 4; attempt++) {
      const view = await command(ctx, g.guild_id, who, "subscribe");
      if (!view.answered || !view.message) {
        await sleep(2000);
        continue;
      }
      const pick = (custom_id: string, values: string[]) =>
        interact(ctx, { kind: "component", custom_id, component_type: 3, values, message_id: view.message?.id, guild_id: g.guild_id, user_id: who });
      await pick("rm:types", ["all"]);
      await pick("rm:offsets", offsets.map(String));
      const d = done.get(m.key) as Done;
      d.subscribing ??= Date.now();
      const saved = await interact(ctx, {
        kind: "component",
        custom_id: "rm:save",
        component_type: 2,
        message_id: view.message.id,
        guild_id: g.guild_id,
        user_id: who,
      });
      if (saved.answered && saved.content.startsWith("Saved")) {
        replies.track(`${m.key}'s Save`, saved);
        (done.get(m.key) as Done).subscribed = Date.now();
        return;
      }
      ctx.log(`reminders: ${m.key}'s Save: ${saved.answered ? saved.content.slice(0, 80) : "no answer"}`);
    }
  }

  /** /remind for one event, as a member would: the bot may not know the event for a moment after it was made. */
  async function remindOne(m: MemberSpec, eventKey: string) {
    let r: Reply | null = null;
    const d = done.get(m.key) as Done;
    for (let attempt = 0; attempt < 10; attempt++) {
      d.reminding ??= Date.now();
      r = await command(ctx, g.guild_id, uid(m.key), "remind", undefined, { event: await eventId(eventKey) });
      if (r.answered && r.content.startsWith("I'll DM you")) break;
      await sleep(3000);
    }
    if (r) replies.track(`${m.key}'s /remind`, r);
    if (r?.content.startsWith("I'll DM you")) (done.get(m.key) as Done).reminded = Date.now();
  }

  /** An event's organiser: schedules it, moves it, cancels it. */
  function eventSteps(e: EventSpec): Step[] {
    const path = () => `/_emulator/guilds/${g.guild_id}/scheduled-events/${eventIds.get(e.key)}`;
    const times = (start: number) => ({ scheduled_start_time: iso(at(start)), scheduled_end_time: iso(at(start + 3600)) });
    const planned: [number | undefined, string, () => Promise<void>][] = [
      [
        0,
        "schedule",
        async () => {
          const ev = await emu<{ id: string }>(ctx, `/_emulator/guilds/${g.guild_id}/scheduled-events`, { name: e.name, ...times(e.first?.start ?? e.start) });
          eventIds.set(e.key, ev.id);
        },
      ],
      [e.first?.moveAt, "move", () => emu(ctx, path(), times(e.start), "PATCH").then(() => undefined)],
      [
        e.cancelAt,
        "cancel",
        async () => {
          await emu(ctx, path(), { status: 4 }, "PATCH");
          cancelledAt.set(e.key, Date.now());
        },
      ],
    ];
    return planned.flatMap(([t, what, run]) => (t === undefined ? [] : [{ actor: e.key, at: sec(t), what: `${what} ${e.name}`, run }]));
  }

  /** A member: subscribes, unsubscribes, asks for one event, clicks Interested. */
  function memberSteps(m: MemberSpec): Step[] {
    const d = done.get(m.key) as Done;
    const planned: [number | undefined, string, () => Promise<void>][] = [
      [m.subscribe?.at, "subscribes", () => subscribe(m, m.subscribe?.offsets ?? [])],
      [
        m.unsubscribeAt,
        "unsubscribes",
        async () => {
          d.unsubscribing = Date.now();
          const r = replies.track(`${m.key}'s /unsubscribe`, await persist(ctx, "/unsubscribe", () => command(ctx, g.guild_id, uid(m.key), "unsubscribe")));
          if (r.answered) d.unsubscribed = Date.now();
        },
      ],
      [m.remind?.at, "/remind", () => remindOne(m, m.remind?.event as string)],
      [
        m.interested?.at,
        "clicks Interested",
        async () => {
          await emu(ctx, `/_emulator/guilds/${g.guild_id}/scheduled-events/${await eventId(m.interested?.event as string)}/users`, { user_ids: [uid(m.key)] });
          d.interested = Date.now();
        },
      ],
    ];
    return planned.flatMap(([t, what, run]) => (t === undefined ? [] : [{ actor: m.key, at: sec(t), what: `${m.key} ${what}`, run }]));
  }

  const steps = () => [...plan.events.flatMap(eventSteps), ...plan.members.flatMap(memberSteps)].sort((a, b) => a.at - b.at);

  const endsAt = () => sec(Math.max(...plan.events.map((e) => e.start)));

  /**
   * The offsets `m` must get for `e` (what took effect before each reminder was due, the event still on), and those
   * it may get (also what was asked before the time but answered after it: whether it counted is the bot's race).
   */
  function expectedOffsets(m: MemberSpec, e: EventSpec): { must: number[]; may: number[] } {
    const d = done.get(m.key) as Done;
    const start = at(e.start);
    const live = (due: number) => due <= (cancelledAt.get(e.key) ?? Number.POSITIVE_INFINITY);
    const mine = (m.subscribe?.offsets.length ? m.subscribe.offsets : plan.defaults) as number[];
    const must = new Set<number>();
    const may = new Set<number>();
    for (const o of [...new Set([...mine, ...plan.defaults])]) {
      const due = start - o * 1000;
      if (!live(due)) continue;
      // 2 s of slack: an answer that arrived a moment before the due time may not have been stored yet.
      const settled = (t?: number) => t !== undefined && t < due - 2000;
      const begun = (t?: number) => t !== undefined && t < due;
      const subscribed = settled(d.subscribed) && !begun(d.unsubscribing) && mine.includes(o);
      const reminded = m.remind?.event === e.key && settled(d.reminded) && mine.includes(o);
      const interested = m.interested?.event === e.key && settled(d.interested) && plan.defaults.includes(o);
      if (subscribed || reminded || interested) must.add(o);
      const maySubscribed = begun(d.subscribing) && !settled(d.unsubscribed) && mine.includes(o);
      const mayRemind = m.remind?.event === e.key && begun(d.reminding) && mine.includes(o);
      const mayInterested = m.interested?.event === e.key && begun(d.interested) && plan.defaults.includes(o);
      if (maySubscribed || mayRemind || mayInterested || must.has(o)) may.add(o);
    }
    return { must: [...must], may: [...may] };
  }

  function dmsOf(user: string): Message[] {
    const channel = ctx.emulator.world.dmChannels.get(user);
    return channel ? (ctx.emulator.world.messages.get(channel) ?? []).filter((msg) => msg.author.id === ctx.botId) : [];
  }

  function check() {
    const f = new Findings();
    for (const m of plan.members) {
      const dms = dmsOf(uid(m.key));
      const titles = dms.map((msg) => (msg.embeds[0] as { title?: string } | undefined)?.title ?? "");
      for (const e of plan.events) {
        const { must, may } = expectedOffsets(m, e);
        const early = titles.filter((t) => t === `Reminder: ${e.name}`).length;
        const now = titles.filter((t) => t === `Starting now: ${e.name}`).length;
        const count = (offsets: number[], start: boolean) => (offsets.some((o) => (start ? o === 0 : o > 0)) ? 1 : 0);
        judge(f, `DM before ${e.name} to ${m.key}`, count(must, false), early, count(may, false));
        judge(f, `"starting now" DM for ${e.name} to ${m.key}`, count(must, true), now, count(may, true));
      }
      const welcome = dms.filter((msg) => msg.content.startsWith("You'll get reminders")).length;
      judge(f, `welcome DM to ${m.key}`, done.get(m.key)?.subscribed ? 1 : 0, welcome);
    }
    const posts = (ctx.emulator.world.messages.get(g.channels.text) ?? []).filter((msg) => msg.author.id === ctx.botId);
    for (const e of plan.events) {
      const n = posts.filter((p) => p.content.includes(`**${e.name}** is starting now`)).length;
      judge(f, `channel post as ${e.name} starts`, e.cancelAt !== undefined ? 0 : 1, n);
    }
    replies.judge(f);
    return f.report("reminders");
  }

  /** `want` (up to `most` when a request was answered only after the reminder's time). */
  function judge(f: Findings, what: string, want: number, got: number, most = want) {
    if (got < want) f.lost(what, `expected ${want}, Discord saw ${got}`);
    if (got > most)
      f.duplicated(what, `expected ${most}, Discord saw ${got}${most === 0 ? " (none was due: sent after a cancel, a move or an unsubscribe)" : ""}`);
    else if (got > want) f.note(`${what}: sent, for a request asked before its time and answered after it (either outcome is right)`);
  }

  return { name: "reminders", setup, steps, endsAt, check };
}
