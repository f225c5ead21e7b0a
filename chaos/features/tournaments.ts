/**
 * Tournaments and webhooks under chaos: matches scheduled, moved, renamed, finished and deleted, an event deleted by
 * hand and repaired by the hourly sync; the match.* webhook deliveries those changes must cause, each once.
 */
import { createHmac } from "node:crypto";
import type { ScheduledEvent } from "../../test/emulator/state.ts";
import { autocomplete, command, emu, type GuildFixture, newGuild, newMember, persist, type Reply, typed } from "../members.ts";
import { Findings, howMade, made, maxAtOnce } from "../oracle.ts";
import { type Ctx, type Feature, Replies, type Step, sec } from "../scenario.ts";

const HOUR = 3_600_000;
const SLUG = "cup";

interface MatchSpec {
  key: string;
  title: string;
  inHours: number;
  /** Moved to "in N h" at `at`. */
  reschedule?: { inHours: number; at: number };
  retitle?: { title: string; at: number };
  finishAt?: number;
  deleteAt?: number;
  /** Its event is deleted by hand at `at`; the hourly sync must make it again. */
  handDeleteAt?: number;
}

const FULL: MatchSpec[] = [
  { key: "M1", title: "Opening M1", inHours: 2, reschedule: { inHours: 6, at: 40 } },
  { key: "M2", title: "Quarter M2", inHours: 3, finishAt: 60 },
  { key: "M3", title: "Semi M3", inHours: 4, retitle: { title: "Grand Final M3", at: 45 }, handDeleteAt: 80 },
  { key: "M4", title: "Bonus M4", inHours: 5, deleteAt: 65 },
];
const SMALL: MatchSpec[] = [
  { key: "M1", title: "Opening M1", inHours: 2, reschedule: { inHours: 6, at: 8 } },
  { key: "M2", title: "Bonus M2", inHours: 3, deleteAt: 12 },
];
/** Both runs judge the Events tab (a live change cut with its invocation is retried by the match's timer). */
const MIRROR = { full: true, small: true };
/** Hourly sync runs (the runner's stand-in for the hourly cron), seconds after the start. */
const SYNCS = { full: [90, 110], small: [16] };

interface MatchState {
  spec: MatchSpec;
  id: number | null;
  /** When the match is now due, as the organiser last set it (null: gone). */
  startAt: number | null;
  title: string;
  /** match.* events the commands emitted, by name. */
  emitted: string[];
}

const round = (m: MatchSpec) => `R-${m.key}`;

export function tournaments(ctx: Ctx): Feature[] {
  const specs = ctx.size === "full" ? FULL : SMALL;
  const syncs = ctx.size === "full" ? SYNCS.full : SYNCS.small;
  const mirror = MIRROR[ctx.size];

  const replies = new Replies();
  const matches = new Map<string, MatchState>();
  const players: string[] = [];
  let g: GuildFixture;
  let hookSecret = "";
  const sink = `chaos-${Math.floor(ctx.random() * 1e9)}`;

  async function admin(name: string, subcommand: string, options: Record<string, string | number | boolean>, what = `/${name} ${subcommand}`) {
    return replies.track(what, await persist(ctx, what, () => command(ctx, g.guild_id, g.admin_id, name, subcommand, options)));
  }

  async function setup() {
    g = await newGuild(ctx, "Tournaments");
    await admin("bot-config", "event-level", { level: "FULL" });
    await admin("tournament", "create", { slug: SLUG, name: "Chaos Cup", discord_events: mirror });
    for (let i = 0; i < specs.length * 2; i++) players.push(await newMember(ctx, g, `player${i}`));
  }

  async function setupHook() {
    const r = await admin("bot-config", "webhook add", { url: `${ctx.emulator.url}/_emulator/webhook-sink/${sink}`, events: "match.*" });
    hookSecret = r.content.match(/secret[^`]*`([0-9a-f]{64})`/)?.[1] ?? "";
    if (!hookSecret) ctx.log(`webhooks: no secret in "${r.content.slice(0, 120)}"`);
  }

  /** The match's id: from the reply, else as the organiser would find it (autocomplete by title). */
  async function idOf(reply: Reply, title: string): Promise<number | null> {
    const fromReply = Number(reply.content.match(/`#(\d+)`/)?.[1]);
    if (Number.isInteger(fromReply) && fromReply > 0) return fromReply;
    const choices = await autocomplete(ctx, g.guild_id, g.admin_id, "match", "reschedule", "match", { match: title });
    const found = choices.find((c) => c.name.includes(title));
    return found ? Number(found.value) : null;
  }

  async function schedule(spec: MatchSpec, i: number) {
    const startAt = Math.ceil((Date.now() + spec.inHours * HOUR) / 60_000) * 60_000;
    const r = await command(ctx, g.guild_id, g.admin_id, "match", "schedule", {
      tournament: SLUG,
      time: typed(startAt),
      player_a: players[2 * i] as string,
      player_b: players[2 * i + 1] as string,
      title: spec.title,
      round: round(spec),
    });
    replies.track(`/match schedule ${spec.key}`, r);
    const id = await idOf(r, spec.title);
    matches.set(spec.key, { spec, id, startAt: id ? startAt : null, title: spec.title, emitted: id ? ["match.scheduled"] : [] });
  }

  /** A change to a known match; the organiser retries when the bot says something went wrong. */
  async function change(m: MatchState, subcommand: string, options: Record<string, string>, event: string): Promise<boolean> {
    if (m.id === null) return false;
    const r = await admin("match", subcommand, { match: String(m.id), ...options }, `/match ${subcommand} ${m.spec.key}`);
    // "Nothing changed" or "already finished": an earlier try whose answer was lost took effect (times are absolute).
    const ok = r.answered && /^(Rescheduled|Updated|Finished|Deleted|Nothing changed)|is already (finished|deleted)/.test(r.content);
    if (ok) m.emitted.push(event);
    else ctx.log(`tournaments: /match ${subcommand} ${m.spec.key} not taken as done: ${r.answered ? `"${r.content.slice(0, 160)}"` : "no answer"}`);
    return ok;
  }

  const handDeleted = new Map<string, number>();

  async function handDelete(m: MatchState) {
    const ev = eventsOf(m.spec)[0];
    if (ev) {
      await emu(ctx, `/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, undefined, "DELETE");
      handDeleted.set(ev.id, Date.now());
    } else ctx.log(`tournaments: no event of ${m.spec.key} to delete by hand`);
  }

  function steps(): Step[] {
    const out: Step[] = [];
    specs.forEach((spec, i) => {
      out.push({ at: 0, what: `schedule ${spec.key}`, run: () => schedule(spec, i) });
      const m = () => matches.get(spec.key) as MatchState;
      const re = spec.reschedule;
      if (re)
        out.push({
          at: sec(re.at),
          what: `reschedule ${spec.key}`,
          run: async () => {
            const startAt = Math.ceil((Date.now() + re.inHours * HOUR) / 60_000) * 60_000;
            if (await change(m(), "reschedule", { time: typed(startAt) }, "match.updated")) m().startAt = startAt;
          },
        });
      const rt = spec.retitle;
      if (rt)
        out.push({
          at: sec(rt.at),
          what: `retitle ${spec.key}`,
          run: async () => {
            if (await change(m(), "title", { title: rt.title }, "match.updated")) m().title = rt.title;
          },
        });
      for (const [t, sub, event] of [
        [spec.finishAt, "finish", "match.finished"],
        [spec.deleteAt, "delete", "match.deleted"],
      ] as const) {
        if (t !== undefined)
          out.push({
            at: sec(t),
            what: `${sub} ${spec.key}`,
            run: async () => {
              if (await change(m(), sub, {}, event)) m().startAt = null;
            },
          });
      }
      if (spec.handDeleteAt !== undefined) out.push({ at: sec(spec.handDeleteAt), what: `delete ${spec.key}'s event by hand`, run: () => handDelete(m()) });
    });
    for (const t of syncs) out.push({ at: sec(t), what: "hourly sync", run: () => ctx.bot.cron("0 * * * *") });
    return out.sort((a, b) => a.at - b.at);
  }

  const endsAt = () => sec(Math.max(...syncs));

  function eventsOf(spec: MatchSpec): ScheduledEvent[] {
    return (ctx.emulator.world.guilds.get(g.guild_id)?.scheduled_events ?? []).filter((e) => e.description?.includes(`Round: ${round(spec)}`) && e.status <= 2);
  }

  function checkEvents() {
    const f = new Findings();
    const created = made(ctx.emulator, "POST /guilds/:id/scheduled-events", `/guilds/${g.guild_id}/`).map((c) => ({
      ...c,
      gone_at: c.gone_at ?? handDeleted.get(c.id) ?? null,
    }));
    for (const m of matches.values()) {
      const live = eventsOf(m.spec);
      const mine = created.filter((c) => String(c.body.description ?? "").includes(`Round: ${round(m.spec)}`));
      if (m.id === null) {
        f.note(`${m.spec.key} was never scheduled (the command failed); not judged`);
        continue;
      }
      const atOnce = maxAtOnce(mine);
      if (atOnce > 1 && (live.length <= 1 || m.startAt === null))
        f.duplicated(`event of ${m.spec.key}`, `${atOnce} events at once for a while: ${mine.map(howMade).join("; ")}`);
      if (m.startAt === null || !mirror) {
        for (const e of live)
          f.leftBehind(`event of ${m.spec.key}`, `${e.id} listed though the match is over${mirror ? "" : " (or never mirrored: events are off)"}`);
        continue;
      }
      if (live.length === 0) f.lost(`event of ${m.spec.key}`, `no event in the Events tab (made ${mine.length}: ${mine.map(howMade).join("; ") || "none"})`);
      if (live.length > 1)
        f.duplicated(`event of ${m.spec.key}`, `${live.length} events: ${live.map((e) => e.id).join(", ")}; made ${mine.map(howMade).join("; ")}`);
      // With duplicates, the one the bot kept up to date is judged (the others are counted above).
      const startAt = m.startAt;
      const current = live.find((e) => Math.abs(Date.parse(e.scheduled_start_time) - startAt) <= 3 * 60_000 && e.name.includes(m.title));
      const e = live[0];
      if (e && !current && !live.some((x) => Math.abs(Date.parse(x.scheduled_start_time) - startAt) <= 3 * 60_000))
        f.lost(`reschedule of ${m.spec.key}`, `event starts ${e.scheduled_start_time}, the match ${new Date(startAt).toISOString()}`);
      if (e && !current && !live.some((x) => x.name.includes(m.title))) f.lost(`title of ${m.spec.key}`, `event named "${e.name}", the match "${m.title}"`);
    }
    replies.judge(f);
    return f.report("tournaments");
  }

  function checkHooks() {
    const f = new Findings();
    const deliveries = ctx.emulator.sinks.deliveries(sink);
    const byPair = new Map<string, Set<string>>();
    let redelivered = 0;
    let badSignatures = 0;
    const seen = new Set<string>();
    for (const d of deliveries.filter((x) => x.status < 300)) {
      const body = JSON.parse(d.body) as { id: string; event: string; data: { match_id?: number } };
      if (!verify(d)) badSignatures++;
      if (seen.has(body.id)) redelivered++;
      seen.add(body.id);
      const key = `${body.event}|${body.data.match_id}`;
      byPair.set(key, (byPair.get(key) ?? new Set()).add(body.id));
    }
    for (const m of matches.values()) {
      const counts = new Map<string, number>();
      for (const e of m.emitted) counts.set(e, (counts.get(e) ?? 0) + 1);
      for (const [event, want] of counts) {
        const got = byPair.get(`${event}|${m.id}`)?.size ?? 0;
        if (got < want) f.lost(`${event} for ${m.spec.key}`, `expected ${want} distinct deliveries, the sink got ${got}`);
        if (got > want) f.duplicated(`${event} for ${m.spec.key}`, `expected ${want} distinct event ids, the sink got ${got}`);
      }
    }
    if (badSignatures) f.lost("signature check", `${badSignatures} deliveries failed the HMAC check with the secret the admin was shown`);
    if (redelivered) f.note(`${redelivered} redeliveries of an id already received (at least once by design; receivers deduplicate on the id)`);
    return f.report("webhooks");
  }

  function verify(d: { body: string; headers: Record<string, string> }): boolean {
    if (!hookSecret) return false;
    const mac = createHmac("sha256", hookSecret).update(`${d.headers["x-eventbot-timestamp"]}.${d.body}`).digest("hex");
    return d.headers["x-eventbot-signature"] === `sha256=${mac}`;
  }

  return [
    { name: "tournaments", setup, steps, endsAt, check: checkEvents },
    { name: "webhooks", setup: setupHook, steps: () => [], endsAt, check: checkHooks },
  ];
}
