import { GuildScheduledEventStatus as S } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { H, oneOff, T0, WEEK, weekly } from "./fixtures.test-util";
import { occurrenceStands } from "./occurrence";

describe("occurrenceStands", () => {
  it("an occurrence the event shows stands while scheduled or under way", () => {
    expect(occurrenceStands(oneOff, T0, T0 - H)).toBe(true);
    expect(occurrenceStands({ ...oneOff, status: S.Active }, T0, T0 + H)).toBe(true);
  });

  it("a recurring event that moved on to its next occurrence leaves the last one standing (it took place)", () => {
    const movedOn = { ...weekly, start_at: T0 + WEEK, end_at: T0 + WEEK + 2 * H };
    expect(occurrenceStands(movedOn, T0, T0 + 30_000)).toBe(true);
    expect(occurrenceStands(movedOn, T0 + WEEK, T0 + 30_000)).toBe(true);
  });

  it("a one-off event that completed after its start leaves it standing; one over before its start does not", () => {
    expect(occurrenceStands({ ...oneOff, status: S.Completed }, T0, T0 + 30_000)).toBe(true);
    expect(occurrenceStands({ ...oneOff, status: S.Completed }, T0 + H, T0)).toBe(false);
  });

  it("a cancelled or deleted event, an exception cancelling or moving the occurrence, or a reschedule end it", () => {
    expect(occurrenceStands({ ...weekly, status: S.Canceled }, T0, T0)).toBe(false);
    expect(occurrenceStands({ ...weekly, deleted_at: T0 }, T0, T0)).toBe(false);
    const movedOn = { ...weekly, start_at: T0 + WEEK };
    expect(occurrenceStands({ ...movedOn, exceptions: [{ original_start_at: T0, start_at: null, end_at: null, cancelled: true }] }, T0, T0)).toBe(false);
    expect(occurrenceStands({ ...weekly, exceptions: [{ original_start_at: T0, start_at: T0 + H, end_at: null, cancelled: false }] }, T0, T0)).toBe(false);
    // A future occurrence moved to another time (the event shows a later start before this one began).
    expect(occurrenceStands(movedOn, T0, T0 - H)).toBe(false);
    expect(occurrenceStands({ ...oneOff, start_at: T0 + H }, T0, T0)).toBe(false);
  });
});
