import { describe, expect, it } from "vitest";
import { observedFields } from "./event-format";
import { markedMatch, markerFor, ownEventsOf, stripMarker, withMarker } from "./event-marker";

const G = "111111111111111111";
const BOT = "999999999999999999";

describe("the marker the bot writes into its match events", () => {
  it("names the match, verifies only in its own guild, and is left out of the stored copy", () => {
    const d = withMarker("Match: A vs B", G, 42);
    expect(d).toBe(`Match: A vs B\n\n${markerFor(G, 42)}`);
    expect(markedMatch(d, G)).toBe(42);
    expect(markedMatch(d, "222222222222222222")).toBeNull();
    expect(markedMatch(d.replace("m42-", "m43-"), G)).toBeNull();
    expect(markedMatch("Match: A vs B", G)).toBeNull();
    expect(stripMarker(d)).toBe("Match: A vs B");
    expect(stripMarker(withMarker("", G, 42))).toBe("");
    const ev = { name: "x", description: d, scheduled_start_time: new Date(0).toISOString(), scheduled_end_time: new Date(1).toISOString() };
    expect(observedFields(ev).description).toBe("Match: A vs B");
  });

  it("counts an event as the bot's only when the bot created it AND it carries the marker", () => {
    const marked = withMarker("x", G, 7);
    const events = [
      { id: "300", creator_id: BOT, description: marked, status: 1 },
      { id: "200", creator_id: BOT, description: marked, status: 1 },
      { id: "250", creator_id: "123", description: marked, status: 1 }, // a member's copy keeps the marker, not the creator
      { id: "260", creator_id: BOT, description: "no marker", status: 1 },
      { id: "270", creator_id: BOT, description: marked, status: 3 }, // completed: not a live event
      { id: "280", creator_id: BOT, description: withMarker("x", G, 8), status: 1 },
    ];
    expect(ownEventsOf(events, G, BOT, 7).map((e) => e.id)).toEqual(["200", "300"]);
    expect(ownEventsOf(events, G, BOT).map((e) => e.id)).toEqual(["200", "280", "300"]);
  });
});
