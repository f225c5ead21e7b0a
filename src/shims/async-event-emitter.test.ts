import { REST } from "@discordjs/rest";
import { describe, expect, it } from "vitest";
import { AsyncEventEmitter } from "./async-event-emitter";

describe("the REST event emitter stand-in", () => {
  it("is what @discordjs/rest extends in this build (the alias applies to tests as to the bundle)", () => {
    expect(new REST()).toBeInstanceOf(AsyncEventEmitter);
  });

  it("calls listeners in order, once-listeners once, none after off, and counts them", () => {
    const e = new AsyncEventEmitter();
    const seen: string[] = [];
    const a = (x: unknown) => seen.push(`a${x}`);
    e.on("ev", a);
    e.once("ev", (x) => seen.push(`once${x}`));
    expect(e.listenerCount("ev")).toBe(2);
    expect(e.emit("ev", 1)).toBe(true);
    e.emit("ev", 2);
    e.off("ev", a);
    expect(e.emit("ev", 3)).toBe(false);
    expect(seen).toEqual(["a1", "once1", "a2"]);
  });

  it("a listener that throws does not break the emitter or the caller", () => {
    const e = new AsyncEventEmitter();
    const seen: number[] = [];
    e.on("ev", () => {
      throw new Error("listener bug");
    });
    e.on("ev", () => seen.push(1));
    expect(() => e.emit("ev")).not.toThrow();
    expect(seen).toEqual([1]);
  });
});
