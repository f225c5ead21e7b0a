import { GuildScheduledEventStatus as S } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { diff } from "./diff";
import { H, oneOff, T0, WEEK, weekly as weeklyRecord } from "./fixtures.test-util";
import type { EventSnapshot } from "./record";

const base: EventSnapshot = oneOff;
const weekly: EventSnapshot = weeklyRecord;
const at = (e: EventSnapshot, start: number, status = e.status): EventSnapshot => ({ ...e, start_at: start, end_at: start + 2 * H, status });

describe("diff: what changed about a scheduled event", () => {
  it("a new event is created (and its occurrence started when it arrives ACTIVE); one first seen over is nothing", () => {
    expect(diff(null, base, 0)).toEqual([{ kind: "created", start_at: T0 }]);
    expect(diff(null, { ...base, status: S.Active }, 0)).toEqual([
      { kind: "created", start_at: T0 },
      { kind: "occurrence_started", start_at: T0 },
    ]);
    expect(diff(null, { ...base, status: S.Completed }, 0)).toEqual([]);
  });

  it("the same description again is no change (a replay)", () => {
    expect(diff(weekly, { ...weekly, user_count: 12 }, T0)).toEqual([]);
  });

  it("start, end and the other described fields", () => {
    expect(diff(base, at(base, T0 + H), 0)).toEqual([{ kind: "rescheduled", start_at: T0 + H, previous_start_at: T0 }]);
    expect(diff(base, { ...base, end_at: T0 + 3 * H }, 0)).toEqual([{ kind: "rescheduled", start_at: T0, previous_start_at: T0 }]);
    expect(diff(base, { ...base, name: "Raid", location: "There" }, 0)).toEqual([{ kind: "updated", start_at: T0, fields: ["name", "location"] }]);
    expect(diff(base, { ...base, status: S.Active }, T0)).toEqual([{ kind: "occurrence_started", start_at: T0 }]);
  });

  it("a one-off event ends, is cancelled or deleted; after COMPLETED nothing more is reported", () => {
    const active = { ...base, status: S.Active };
    expect(diff(active, { ...base, status: S.Completed }, T0 + H)).toEqual([{ kind: "occurrence_ended", start_at: T0, next_start_at: null }]);
    expect(diff(base, { ...base, status: S.Canceled }, 0)).toEqual([{ kind: "cancelled", start_at: T0 }]);
    expect(diff(base, null, 0)).toEqual([{ kind: "deleted", start_at: T0 }]);
    expect(diff({ ...base, status: S.Completed }, { ...base, status: S.Completed, name: "x" }, 0)).toEqual([]);
  });

  it("a recurring event moving on after its occurrence is occurrence_ended with the next start, not a reschedule", () => {
    const active = { ...weekly, status: S.Active };
    expect(diff(active, at(weekly, T0 + WEEK, S.Scheduled), T0 + 2 * H)).toEqual([{ kind: "occurrence_ended", start_at: T0, next_start_at: T0 + WEEK }]);
    // Nobody pressed Start: Discord moves it on once the occurrence passed.
    expect(diff(weekly, at(weekly, T0 + WEEK), T0 + 3 * H)).toEqual([{ kind: "occurrence_ended", start_at: T0, next_start_at: T0 + WEEK }]);
    // Discord may carry the rule's start along: still the same rule.
    const carried = {
      ...at(weekly, T0 + WEEK),
      recurrence_rule: { ...(weekly.recurrence_rule as object), start: new Date(T0 + WEEK).toISOString() },
    } as EventSnapshot;
    expect(diff(active, carried, T0 + 2 * H).map((c) => c.kind)).toEqual(["occurrence_ended"]);
  });

  it("an exception cancelling the occurrence shown is occurrence_cancelled with the next start, before or after its time", () => {
    const cancelled = { ...at(weekly, T0 + WEEK), exceptions: [{ original_start_at: T0, start_at: null, end_at: null, cancelled: true }] };
    expect(diff(weekly, cancelled, T0 - H)).toEqual([
      { kind: "occurrence_cancelled", start_at: T0, next_start_at: T0 + WEEK },
      { kind: "updated", start_at: T0 + WEEK, fields: ["exceptions"] },
    ]);
    expect(diff(weekly, cancelled, T0 + H).map((c) => c.kind)).toEqual(["occurrence_cancelled", "updated"]);
    // An occurrence an exception had moved (shown at its new time) is found by its original start.
    const moved = { ...at(weekly, T0 + H), exceptions: [{ original_start_at: T0, start_at: T0 + H, end_at: T0 + 3 * H, cancelled: false }] };
    const movedThenCancelled = { ...at(weekly, T0 + WEEK), exceptions: [{ original_start_at: T0, start_at: null, end_at: null, cancelled: true }] };
    expect(diff(moved, movedThenCancelled, T0).map((c) => c.kind)).toEqual(["occurrence_cancelled", "updated"]);
    // A later occurrence cancelled is only an update of the exceptions (the calendar's EXDATE).
    const later = { ...weekly, exceptions: [{ original_start_at: T0 + WEEK, start_at: null, end_at: null, cancelled: true }] };
    expect(diff(weekly, later, T0 - H)).toEqual([{ kind: "updated", start_at: T0, fields: ["exceptions"] }]);
  });

  it("a recurring event moved before its occurrence began, or with a new rule, is a reschedule", () => {
    expect(diff(weekly, at(weekly, T0 + WEEK), T0 - H)).toEqual([{ kind: "rescheduled", start_at: T0 + WEEK, previous_start_at: T0 }]);
    const fortnightly = { ...at(weekly, T0 + WEEK), recurrence_rule: { ...(weekly.recurrence_rule as object), interval: 2 } } as EventSnapshot;
    expect(diff({ ...weekly, status: S.Active }, fortnightly, T0 + 2 * H)).toEqual([
      { kind: "rescheduled", start_at: T0 + WEEK, previous_start_at: T0 },
      { kind: "updated", start_at: T0 + WEEK, fields: ["recurrence_rule"] },
    ]);
    // Moved earlier after its start passed: never the next occurrence.
    expect(diff(weekly, at(weekly, T0 - H), T0 + H).map((c) => c.kind)).toEqual(["rescheduled"]);
  });
});
