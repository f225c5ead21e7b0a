/**
 * Temporary voice channels under chaos: public ones (named and codenamed) and a private match channel two teams ask
 * for, joined and left; each must be made once, never removed with people inside, and gone once it has been empty.
 */
import { command, emu, type GuildFixture, newGuild, newMember, persist, type Reply } from "../members.ts";
import { Findings, howMade, made } from "../oracle.ts";
import { type Ctx, type Feature, Replies, type Step, sec } from "../scenario.ts";

/** What a member asked for and when; the channel is found from the reply's link or its name. */
interface Ask {
  key: string;
  who: string;
  kind: "public" | "private";
  name?: string;
  at: number;
}

interface Presence {
  ask: string;
  who: string;
  join: number;
  leave: number;
}

const EMPTY_MINUTES = 1;

export function voice(ctx: Ctx): Feature {
  const replies = new Replies();
  const users = new Map<string, string>();
  const asked = new Map<string, { ask: Ask; reply: Reply | null; channel: string | null }>();
  let g: GuildFixture;
  const full = ctx.size === "full";
  const asks: Ask[] = [
    { key: "alpha", who: "v1", kind: "public", name: "alpha", at: 0 },
    { key: "codename", who: "v2", kind: "public", at: 2 },
    ...(full
      ? ([
          { key: "match-red", who: "red1", kind: "private", at: 4 },
          { key: "match-blue", who: "blue1", kind: "private", at: 8 },
        ] as Ask[])
      : []),
  ];
  const presence: Presence[] = full
    ? [
        { ask: "alpha", who: "v1", join: 15, leave: 45 },
        { ask: "match-red", who: "red1", join: 20, leave: 50 },
        { ask: "match-blue", who: "blue1", join: 40, leave: 55 },
      ]
    : [{ ask: "alpha", who: "v1", join: 5, leave: 10 }];
  const uid = (k: string) => users.get(k) as string;

  async function admin(name: string, subcommand: string, options: Record<string, string | number | boolean>) {
    const what = `/${name} ${subcommand}`;
    return replies.track(what, await persist(ctx, what, () => command(ctx, g.guild_id, g.admin_id, name, subcommand, options)));
  }

  async function setup() {
    g = await newGuild(ctx, "Voice");
    await admin("voice-config", "set", { category: g.channels.category, empty_minutes: EMPTY_MINUTES, max_per_member: 2 });
    for (const k of ["v1", "v2"]) users.set(k, await newMember(ctx, g, k));
    if (!full) return;
    for (const team of ["red", "blue"]) users.set(`${team}1`, await newMember(ctx, g, `${team}1`));
    const role = async (name: string, who: string) =>
      (await emu<{ id: string }>(ctx, `/_emulator/guilds/${g.guild_id}/roles`, { name, user_ids: [uid(who)] })).id;
    const red = await role("Red", "red1");
    const blue = await role("Blue", "blue1");
    await admin("tournament", "create", { slug: "league", name: "League", format: "teams" });
    await admin("team", "create", { tournament: "league", name: "Red", role: red });
    await admin("team", "create", { tournament: "league", name: "Blue", role: blue });
    await admin("match", "schedule", { tournament: "league", time: "in 2h", team_a: "Red", team_b: "Blue" });
  }

  async function ask(a: Ask) {
    const r = await persist(ctx, `/voice-channel ${a.kind} (${a.key})`, () =>
      command(ctx, g.guild_id, uid(a.who), "voice-channel", a.kind, a.name ? { name: a.name } : {}),
    );
    replies.track(`/voice-channel ${a.kind} (${a.key})`, r);
    asked.set(a.key, { ask: a, reply: r, channel: r.content.match(/<#(\d+)>/)?.[1] ?? null });
  }

  /** A member joins or leaves: Discord moves them and tells the bot through the gateway. */
  const move = (who: string, channel: string | null) =>
    emu(ctx, `/_emulator/guilds/${g.guild_id}/voice`, { user_id: uid(who), channel_id: channel }).then(() => undefined);

  function steps(): Step[] {
    const out: Step[] = asks.map((a) => ({ at: sec(a.at), actor: a.who, what: `${a.who} asks for ${a.key}`, run: () => ask(a) }));
    for (const p of presence) {
      out.push({
        at: sec(p.join),
        actor: p.who,
        what: `${p.who} joins ${p.ask}`,
        run: async () => {
          const ch = asked.get(p.ask)?.channel;
          if (ch && ctx.emulator.world.channels.has(ch)) await move(p.who, ch);
        },
      });
      out.push({
        at: sec(p.leave),
        actor: p.who,
        what: `${p.who} leaves ${p.ask}`,
        run: async () => {
          if (ctx.emulator.world.guilds.get(g.guild_id)?.voice.has(uid(p.who))) await move(p.who, null);
        },
      });
    }
    return out.sort((a, b) => a.at - b.at);
  }

  const endsAt = () => sec(Math.max(...presence.map((p) => p.leave), ...asks.map((a) => a.at)) + EMPTY_MINUTES * 60);

  function check() {
    const f = new Findings();
    const all = made(ctx.emulator, "POST /guilds/:id/channels", `/guilds/${g.guild_id}/`);
    const claimed = new Set<string>();
    const judged = [...asked.values()];
    for (const { ask: a, channel } of judged) {
      // The channel a request made: by its name, or (a codename) the one its reply links to.
      const mine =
        a.kind === "private"
          ? all.filter((c) => c.body.name === "Red vs Blue")
          : a.name
            ? all.filter((c) => c.body.name === a.name)
            : all.filter((c) => c.id === channel);
      for (const c of mine) claimed.add(c.id);
      if (a.kind === "private" && a.key !== "match-red") continue; // one channel for both teams, judged once
      if (mine.length === 0)
        f.lost(`channel for ${a.key}`, channel ? `reply linked ${channel}, which the bot never made` : "the member asked and got no channel");
      if (mine.length > 1) f.duplicated(`channel for ${a.key}`, mine.map(howMade).join("; "));
    }
    const unclaimed = all.filter((c) => !claimed.has(c.id));
    for (const c of unclaimed) f.duplicated(`voice channel ${String(c.body.name)}`, `made without any member's request getting it: ${howMade(c)}`);
    for (const c of all.filter((c) => ctx.emulator.world.channels.has(c.id)))
      f.leftBehind(`voice channel ${String(c.body.name)}`, `${howMade(c)}; empty since the scenario's last leave`);
    for (const d of ctx.emulator.world.occupiedDeletions.filter((d) => d.guild_id === g.guild_id))
      f.lost(
        `members' place in voice channel ${d.channel_id}`,
        `deleted at ${new Date(d.at).toISOString().slice(11, 19)} with ${d.users.length} member(s) inside`,
      );
    replies.judge(f);
    return f.report("voice");
  }

  return { name: "voice", setup, steps, endsAt, check };
}
