import { describe, expect, it } from "vitest";
import { nextSlot } from "./run";

describe("a guild's daily retention slot", () => {
  it("is a fixed time of day per guild, always ahead, at most a day away", () => {
    const now = Date.UTC(2026, 10, 23, 12, 0);
    const a = nextSlot("81384788765712384", now);
    expect(a).toBeGreaterThan(now);
    expect(a - now).toBeLessThanOrEqual(86_400_000);
    expect(nextSlot("81384788765712384", a)).toBe(a + 86_400_000);
    expect(nextSlot("81384788765712384", a - 1)).toBe(a);
  });

  it("spreads guilds over the day", () => {
    const now = Date.UTC(2026, 10, 23, 0, 0);
    const hours = new Set(
      Array.from({ length: 200 }, (_, i) => Math.floor((nextSlot(String(900_000_000_000_000_000n + BigInt(i * 7919)), now) - now) / 3_600_000)),
    );
    expect(hours.size).toBeGreaterThan(18);
  });
});
