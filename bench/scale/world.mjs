// bench:scale's world: N guilds in the emulator with the mix the README states, and the D1 rows admins' commands
// would have written (settings, subscriptions, tournaments, temporary voice channels), plus the special guilds the
// phases use. Everything is made before the bot connects, so the first IDENTIFY's GUILD_CREATEs carry it. Every seeding
// statement is idempotent (explicit keys, OR IGNORE), so a batch retried after a lost connection writes nothing twice.

import { retry } from "./measure.mjs";

const DAY = 86_400_000;
const H = 3_600_000;

/** Which features guild number `i` uses (the mix is stated in the README's "Scale benchmark" section). */
export const mix = {
  eventChannels: (i) => i % 3 === 0,
  reminders: (i) => i % 2 === 0,
  tournament: (i) => i % 5 === 0,
  voice: (i) => i % 10 === 0,
};

export const EVENTS_PER_GUILD = 3;
export const SUBSCRIBERS_PER_GUILD = 5;
export const MATCHES_PER_TOURNAMENT = 2;

async function flush(db, stmts) {
  const batch = stmts.splice(0);
  await retry(() => db.batch(batch));
}

function scheduledEvent(world, guildId, ownerId, name, startAt) {
  return {
    id: world.ids.next(),
    guild_id: guildId,
    name,
    description: null,
    scheduled_start_time: new Date(startAt).toISOString(),
    scheduled_end_time: new Date(startAt + 2 * H).toISOString(),
    privacy_level: 2,
    status: 1,
    entity_type: 3,
    entity_id: null,
    channel_id: null,
    entity_metadata: { location: "Somewhere" },
    creator_id: ownerId,
    user_count: 0,
    users: [],
  };
}

function addMembers(world, guild, n, prefix) {
  const out = [];
  for (let k = 0; k < n; k++) {
    const u = world.addUser(`${prefix}${k}`);
    guild.members.set(u.id, { roles: [], joined_at: new Date().toISOString(), nick: null });
    out.push(u);
  }
  return out;
}

/** Members subscribed to every event type at `offsets`, each with a DM channel opened earlier (their welcome DM). */
export async function subscribers(emulator, db, guildId, n, offsets, prefix) {
  const world = emulator.world;
  const users = addMembers(world, world.guilds.get(guildId), n, prefix);
  const rows = users.map((u) => {
    const dm = world.addChannel({ type: 1, recipients: [u] });
    world.dmChannels.set(u.id, dm.id);
    return { id: u.id, dm: dm.id };
  });
  for (let i = 0; i < rows.length; i += 400) {
    const batch = rows
      .slice(i, i + 400)
      .flatMap((u) => [
        db
          .prepare(
            "INSERT OR IGNORE INTO reminder_subscriptions (guild_id, user_id, types, offsets, created_at, updated_at) VALUES (?, ?, '[\"all\"]', ?, 0, 0)",
          )
          .bind(guildId, u.id, JSON.stringify(offsets)),
        db.prepare("INSERT OR IGNORE INTO dm_channels (user_id, channel_id, updated_at) VALUES (?, ?, 0)").bind(u.id, u.dm),
      ]);
    await retry(() => db.batch(batch));
  }
  return rows;
}

export async function eventChannelSettings(db, guildId, categoryId, adminId, settings) {
  const stmt = db
    .prepare("INSERT OR IGNORE INTO event_channel_settings (guild_id, settings, configured_by, updated_at) VALUES (?, ?, ?, 0)")
    .bind(guildId, JSON.stringify({ category_id: categoryId, ...settings }), adminId);
  await retry(() => stmt.run());
}

/**
 * The N guilds of the mix, each with a few upcoming scheduled events (2–9 days ahead, so nothing of theirs falls due
 * during the bench), and `voiceChannels` of the voice guilds with a temporary channel someone sits in.
 */
export async function buildWorld(emulator, db, { guilds, voiceChannels }) {
  const world = emulator.world;
  const now = Date.now();
  const out = { all: [], eventChannels: [], reminders: [], tournaments: [], voice: [], temp: [], byId: new Map() };
  const stmts = [];
  for (let i = 0; i < guilds; i++) {
    const g = world.createGuild({ name: `Guild ${i}` });
    const guild = world.guilds.get(g.guild_id);
    const info = { index: i, ...g, events: [] };
    for (let k = 0; k < EVENTS_PER_GUILD; k++) {
      const ev = scheduledEvent(world, g.guild_id, g.owner_id, `Weekly ${k} of ${i}`, now + (2 + k + (i % 5)) * DAY + (i % 60) * 60_000);
      guild.scheduled_events.push(ev);
      info.events.push(ev.id);
    }
    out.all.push(info);
    out.byId.set(g.guild_id, info);
    if (mix.eventChannels(i)) {
      out.eventChannels.push(info);
      stmts.push(
        db
          .prepare("INSERT OR IGNORE INTO event_channel_settings (guild_id, settings, configured_by, updated_at) VALUES (?, ?, ?, 0)")
          .bind(g.guild_id, JSON.stringify({ category_id: g.channels.category, creation_minutes: 60 }), g.admin_id),
      );
    }
    if (mix.reminders(i)) {
      out.reminders.push(info);
      for (const u of addMembers(world, guild, SUBSCRIBERS_PER_GUILD, `sub${i}-`))
        stmts.push(
          db
            .prepare(
              "INSERT OR IGNORE INTO reminder_subscriptions (guild_id, user_id, types, offsets, created_at, updated_at) VALUES (?, ?, '[\"all\"]', '[]', 0, 0)",
            )
            .bind(g.guild_id, u.id),
        );
    }
    if (mix.voice(i)) {
      out.voice.push(info);
      stmts.push(
        db
          .prepare(
            "INSERT OR IGNORE INTO voice_settings (guild_id, category_id, empty_minutes, max_live, max_per_member, updated_at) VALUES (?, ?, 1, 25, 1, 0)",
          )
          .bind(g.guild_id, g.channels.category),
      );
      if (out.temp.length < voiceChannels) {
        const ch = world.addChannel({ type: 2, guild_id: g.guild_id, name: `Temp ${i}`, parent_id: g.channels.category, bitrate: 64_321 });
        guild.voice.set(g.member_id, ch.id);
        out.temp.push({ guild_id: g.guild_id, channel_id: ch.id, user_id: g.member_id });
        stmts.push(
          db
            .prepare(
              "INSERT OR IGNORE INTO voice_channels (guild_id, channel_id, kind, name, owner_id, match_key, created_at) VALUES (?, ?, 'public', ?, ?, NULL, ?)",
            )
            .bind(g.guild_id, ch.id, `Temp ${i}`, g.member_id, now),
        );
      }
    }
    if (stmts.length >= 100) await flush(db, stmts);
  }
  if (stmts.length) await flush(db, stmts);
  // Tournaments: one per tournament guild, mirroring its matches (2–6 days ahead) as scheduled events.
  for (const info of out.all.filter((g) => mix.tournament(g.index))) {
    out.tournaments.push(info);
    const t = { id: out.tournaments.length };
    stmts.push(
      db
        .prepare("INSERT OR IGNORE INTO tournaments (id, guild_id, slug, name, create_scheduled_events, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)")
        .bind(t.id, info.guild_id, `league${info.index}`, `League ${info.index}`, now, now),
    );
    for (let m = 0; m < MATCHES_PER_TOURNAMENT; m++) {
      const at = Math.ceil((now + (2 + m + (info.index % 4)) * DAY) / 60_000) * 60_000;
      stmts.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO matches (id, guild_id, tournament_id, side_a_kind, side_a_id, side_a_name, side_b_kind, side_b_id, side_b_name, round, scheduled_at, created_at, updated_at)
             VALUES (?, ?, ?, 'member', ?, ?, 'member', ?, ?, 'Week 1', ?, ?, ?)`,
          )
          .bind(
            t.id * MATCHES_PER_TOURNAMENT + m + 1,
            info.guild_id,
            t.id,
            `${1000 + m}`,
            `Player ${2 * m}`,
            `${2000 + m}`,
            `Player ${2 * m + 1}`,
            at,
            now,
            now,
          ),
      );
    }
    if (stmts.length >= 100) await flush(db, stmts);
  }
  if (stmts.length) await flush(db, stmts);
  return out;
}
