/**
 * Event channels under chaos: scheduled events whose channels are made, joined and left, started, warned about,
 * extended, archived or deleted, cancelled and moved; the oracle counts each role, channel and message Discord saw.
 */
import type { Channel } from "../../test/emulator/state.ts";
import { command, emu, type GuildFixture, interact, iso, newGuild, persist, sleep } from "../members.ts";
import { applied, Findings, howMade, made, maxAtOnce } from "../oracle.ts";
import { type Ctx, type Feature, Replies, type Step, sec } from "../scenario.ts";

const DIVIDER = "━━━━━━ EVENT CHANNELS ━━━━━━";

/** One scheduled event of the scenario; times in seconds after the start. */
interface Spec {
  name: string;
  start: number;
  end: number;
  /** Members marked Interested right away. */
  interested: number;
  /** Scheduled first at these times, moved to start/end at `moveAt`. */
  first?: { start: number; end: number; moveAt: number };
  /** One more member marks Interested after the channels exist; one of the first unmarks. */
  addAt?: number;
  removeAt?: number;
  /** A member writes in the text channel: it is archived, not deleted. */
  writeAt?: number;
  /** Someone presses "Extend 4 h" on the deletion warning, and at `holdAt` (after the first deletion time) the channels must still be there. */
  extendAt?: number;
  holdAt?: number;
  /** Cancelled (status 4) at this time. */
  cancelAt?: number;
  /** Deleted before its channels are due: nothing may ever be made. */
  deleteAt?: number;
  /** Cancelled while its creation runs: at most one of each object, nothing left. */
  race?: boolean;
  voices: number;
}

const FULL: Spec[] = [
  { name: "Raid Night", start: 90, end: 140, interested: 4, addAt: 50, removeAt: 65, writeAt: 70, voices: 2 },
  // A crowd: the role is granted a page of 100 at a time, resumed by cursor across faults and evictions.
  { name: "Game Night", start: 90, end: 130, interested: 112, voices: 1 },
  { name: "Movie Night", start: 75, end: 100, interested: 2, extendAt: 35, holdAt: 115, cancelAt: 125, voices: 1 },
  { name: "Cancelled Quiz", start: 150, end: 200, interested: 1, deleteAt: 15, voices: 1 },
  { name: "Moved Match", start: 110, end: 150, interested: 2, first: { start: 240, end: 300, moveAt: 10 }, voices: 1 },
  { name: "Rushed Cancel", start: 75, end: 120, interested: 1, cancelAt: 16, race: true, voices: 1 },
];

// Room for a create that times out (10 s, the REST client's limit) and its retry before the event ends: with less, a
// seed whose fault hits the role's create had the channels made only after their deletion time on a loaded machine.
const SMALL: Spec[] = [{ name: "Raid Night", start: 28, end: 48, interested: 2, writeAt: 34, voices: 1 }];

interface Live {
  spec: Spec;
  eventId: string;
  fans: string[];
  added: string | null;
  removed: string | null;
  extended: boolean;
  held: boolean | null;
}

const slug = (name: string) => name.toLowerCase().replaceAll(" ", "-");
const names = (s: Spec) => ({
  role: s.name,
  text: `${slug(s.name)}-text`,
  voice: Array.from({ length: s.voices }, (_, i) => (s.voices > 1 ? `${slug(s.name)}-voice ${i + 1}` : `${slug(s.name)}-voice`)),
});

export function eventChannels(ctx: Ctx): Feature {
  const specs = ctx.size === "full" ? FULL : SMALL;
  const replies = new Replies();
  const live = new Map<string, Live>();
  let g: GuildFixture;
  let archive = "";
  const at = (s: number) => ctx.start + sec(s);
  const world = () => ctx.emulator.world;
  const channelNamed = (name: string): Channel | undefined =>
    world()
      .guildChannels(g.guild_id)
      .find((c) => c.name === name);

  async function admin(subcommand: string, options: Record<string, string | number | boolean>, name = "eventchannels") {
    replies.track(
      `/${name} ${subcommand}`,
      await persist(ctx, `/${name} ${subcommand}`, () => command(ctx, g.guild_id, g.admin_id, name, subcommand, options)),
    );
  }

  async function setup() {
    g = await newGuild(ctx, "Event channels");
    archive = (await emu<{ id: string }[]>(ctx, `/_emulator/guilds/${g.guild_id}/channels`, { name: "Archive", type: 4 }))[0]?.id ?? "";
    await admin("category", { category: g.channels.category });
    await admin("archive-category", { category: archive });
    const settings = { creation_minutes: "1", deletion_hours: "0", role_format: "{name}", channel_format: "{name}-{type}", space_replacer: "-" };
    for (const [setting, value] of Object.entries(settings)) await admin("set", { setting, value });
    await admin("voice-multiplier", { keyword: "raid", per_channel: 2 });
    // Reminders are judged in their own guild: here Interested members get none.
    await admin("interested", { enabled: false }, "reminders");
  }

  const event = (l: Live) => `/_emulator/guilds/${g.guild_id}/scheduled-events/${l.eventId}`;

  async function schedule(spec: Spec) {
    const first = spec.first ?? spec;
    const ev = await emu<{ id: string }>(ctx, `/_emulator/guilds/${g.guild_id}/scheduled-events`, {
      name: spec.name,
      scheduled_start_time: iso(at(first.start)),
      scheduled_end_time: iso(at(first.end)),
    });
    const fans = await emu<{ user_ids: string[] }>(ctx, `/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { count: spec.interested });
    live.set(spec.name, { spec, eventId: ev.id, fans: fans.user_ids, added: null, removed: null, extended: false, held: null });
  }

  /** Waits (as a member looking at the channel list would) until the event's text channel shows up. */
  async function textChannel(l: Live, waitMs: number): Promise<Channel | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const c = channelNamed(names(l.spec).text);
      if (c || Date.now() > deadline) return c;
      await sleep(500);
    }
  }

  /** A role holder presses "Extend 4 h" on the warning, in the event's text channel, until it takes. */
  async function extend(l: Live) {
    const text = await textChannel(l, 60_000);
    if (!text) return ctx.log(`event channels: no text channel for ${l.spec.name} to extend in`);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const warning = (world().messages.get(text.id) ?? []).find((m) => JSON.stringify(m.components).includes(`ec:extend:${l.eventId}`));
      if (warning) {
        const reply = await interact(ctx, {
          kind: "component",
          custom_id: `ec:extend:${l.eventId}`,
          component_type: 2,
          message_id: warning.id,
          guild_id: g.guild_id,
          user_id: l.fans[0],
          channel_id: text.id,
        });
        if (reply.answered && reply.content.startsWith("Extended")) {
          replies.track("Extend 4 h", reply);
          l.extended = true;
          return;
        }
        ctx.log(`event channels: extend ${l.spec.name}: ${reply.answered ? reply.content.slice(0, 80) : "no answer"}`);
      }
      await sleep(2000);
    }
  }

  /** One event's steps: its organiser's and its members' (one actor, in time order). */
  function eventSteps(spec: Spec): Step[] {
    const l = () => live.get(spec.name) as Live;
    const path = () => event(l());
    const done = () => undefined;
    const planned: [number | undefined, string, () => Promise<void>][] = [
      [0, "schedule", () => schedule(spec)],
      [
        spec.first?.moveAt,
        "move",
        () => emu(ctx, path(), { scheduled_start_time: iso(at(spec.start)), scheduled_end_time: iso(at(spec.end)) }, "PATCH").then(done),
      ],
      [spec.deleteAt, "delete", () => emu(ctx, path(), undefined, "DELETE").then(done)],
      [spec.cancelAt, "cancel", () => emu(ctx, path(), { status: 4 }, "PATCH").then(done)],
      [
        spec.addAt,
        "one more Interested in",
        async () => {
          l().added = (await emu<{ user_ids: string[] }>(ctx, `${path()}/users`, { count: 1 })).user_ids[0] ?? null;
        },
      ],
      [
        spec.removeAt,
        "one less Interested in",
        async () => {
          const who = l().fans[l().fans.length - 1] as string;
          await emu(ctx, `${path()}/users/${who}`, undefined, "DELETE");
          l().removed = who;
        },
      ],
      [
        spec.writeAt,
        "a member writes in",
        async () => {
          const text = await textChannel(l(), 30_000);
          if (text) await emu(ctx, `/_emulator/channels/${text.id}/messages`, { user_id: l().fans[0], content: "gg, see you next week" });
        },
      ],
      [spec.extendAt, "extend", () => extend(l())],
      [
        spec.holdAt,
        "after its first deletion time, still there:",
        async () => {
          l().held = !!channelNamed(names(spec).text);
        },
      ],
    ];
    return planned.flatMap(([t, what, run]) => (t === undefined ? [] : [{ actor: spec.name, at: sec(t), what: `${what} ${spec.name}`, run }]));
  }

  const steps = () => specs.flatMap(eventSteps).sort((a, b) => a.at - b.at);

  const endsAt = () => sec(Math.max(...specs.map((s) => (s.deleteAt !== undefined ? s.deleteAt : s.cancelAt !== undefined ? s.cancelAt : s.end))));

  function check() {
    const f = new Findings();
    const gid = g.guild_id;
    const roles = made(ctx.emulator, "POST /guilds/:id/roles", `/guilds/${gid}/`);
    const channels = made(ctx.emulator, "POST /guilds/:id/channels", `/guilds/${gid}/`);
    const existing = new Set(
      world()
        .guildChannels(gid)
        .map((c) => c.id),
    );
    const roleExists = (id: string) =>
      !!world()
        .guilds.get(gid)
        ?.roles.some((r) => r.id === id);
    for (const l of live.values()) checkEvent(f, l, roles, channels, existing, roleExists);
    const dividers = channels.filter((c) => c.body.name === DIVIDER);
    if (maxAtOnce(dividers) > 1) f.duplicated("divider", `${maxAtOnce(dividers)} dividers at once: ${dividers.map(howMade).join("; ")}`);
    for (const d of dividers.filter((d) => existing.has(d.id))) f.leftBehind("divider", `${howMade(d)}; no event is live any more`);
    replies.judge(f);
    return f.report("event channels");
  }

  function checkEvent(
    f: Findings,
    l: Live,
    roles: ReturnType<typeof made>,
    channels: ReturnType<typeof made>,
    existing: Set<string>,
    roleExists: (id: string) => boolean,
  ) {
    const s = l.spec;
    const n = names(s);
    const never = s.deleteAt !== undefined;
    const optional = never || s.race === true;
    const mine = {
      role: roles.filter((r) => r.body.name === n.role),
      text: channels.filter((c) => c.body.name === n.text),
      voice: n.voice.map((v) => channels.filter((c) => c.body.name === v)),
    };
    const one = (what: string, list: ReturnType<typeof made>) => {
      if (list.length === 0 && !optional) f.lost(`${what} of ${s.name}`, "never made");
      if (list.length > 1) f.duplicated(`${what} of ${s.name}`, list.map(howMade).join("; "));
      if (never && list.length) f.leftBehind(`${what} of ${s.name}`, `made for an event deleted before its channels were due: ${list.map(howMade).join("; ")}`);
    };
    one("role", mine.role);
    one("text channel", mine.text);
    for (const [i, list] of mine.voice.entries()) one(`voice channel ${n.voice[i]}`, list);
    for (const r of mine.role.filter((r) => roleExists(r.id))) f.leftBehind(`role of ${s.name}`, howMade(r));
    for (const v of mine.voice.flat().filter((c) => existing.has(c.id))) f.leftBehind(`voice channel of ${s.name}`, howMade(v));
    const archived = s.writeAt !== undefined && !s.cancelAt;
    for (const t of mine.text) {
      const ch = ctx.emulator.world.channels.get(t.id);
      if (archived && mine.text.length === 1) {
        if (!ch) f.lost(`archive of ${n.text}`, `a member wrote in it, yet it was deleted (${howMade(t)})`);
        else if (ch.parent_id !== archive || !ch.name?.startsWith("archived-"))
          f.leftBehind(`text channel of ${s.name}`, `not archived: ${ch.name} in ${ch.parent_id}`);
      } else if (existing.has(t.id)) f.leftBehind(`text channel of ${s.name}`, howMade(t));
    }
    const text = mine.text[0];
    if (mine.text.length === 1 && text && !never) checkMessages(f, l, text.id, text.at);
    if (mine.role.length === 1 && !never) checkGrants(f, l, mine.role[0]?.id as string);
    if (s.holdAt !== undefined && l.extended && l.held === false)
      f.lost(`extension of ${s.name}`, "Extend 4 h was pressed, yet the channels went at the first deletion time");
    if (s.extendAt !== undefined && !l.extended && !optional)
      f.lost(`Extend 4 h on ${s.name}`, "no warning with the button to press (or the press never took)");
  }

  function checkMessages(f: Findings, l: Live, textId: string, madeAt: number) {
    const s = l.spec;
    const mine = (ctx.emulator.world.messages.get(textId) ?? []).filter((m) => m.author.id === ctx.botId);
    // Late steps still happen (README, Guarantees): channels made after the start still get the start message.
    const startDue = !s.race && !(s.cancelAt !== undefined && s.cancelAt < s.start) && madeAt < at(s.end);
    const kinds = [
      { what: "announcement", match: /starting soon/, expected: !s.race },
      { what: "start message", match: /starting now/, expected: startDue },
      // The warning is known by its Extend button: pressing it rewrites the text ("Extended by …").
      { what: "deletion warning", match: null, expected: !s.race },
    ];
    for (const k of kinds) {
      const n = mine.filter((m) => (k.match ? k.match.test(m.content) : JSON.stringify(m.components).includes(`ec:extend:${l.eventId}`))).length;
      if (n === 0 && k.expected) f.lost(`${k.what} in ${s.name}`, "never posted");
      if (n > 1) f.duplicated(`${k.what} in ${s.name}`, `${n} posted`);
    }
  }

  function checkGrants(f: Findings, l: Live, roleId: string) {
    const s = l.spec;
    if (s.race) return;
    const grants = applied(ctx.emulator, (r) => r.path.includes(`/guilds/${g.guild_id}/members/`) && r.path.endsWith(`/roles/${roleId}`));
    const last = (user: string) => grants.filter((r) => r.path.includes(`/members/${user}/`)).at(-1)?.method;
    const holders = [...l.fans.filter((u) => u !== l.removed), ...(l.added ? [l.added] : [])];
    const never = holders.filter((u) => !grants.some((r) => r.method === "PUT" && r.path.includes(`/members/${u}/`)));
    if (never.length)
      f.lost(
        `role of ${s.name}`,
        `never given to ${never.length} of ${holders.length} Interested members (${never.slice(0, 3).join(", ")}${never.length > 3 ? ", …" : ""})`,
        never.length,
      );
    if (l.removed && last(l.removed) === "PUT")
      f.lost(`role removal of ${s.name} from member ${l.removed}`, "unmarked Interested, kept the role while the channels lived");
  }

  return { name: "event channels", setup, steps, endsAt, check };
}
