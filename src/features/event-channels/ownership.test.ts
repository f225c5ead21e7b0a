import { describe, expect, it } from "vitest";
import { findIntended } from "./ownership";

const EPOCH = 1_420_070_400_000n;
const idAt = (ms: number, n = 0) => (((BigInt(ms) - EPOCH) << 22n) | BigInt(n)).toString();

describe("findIntended", () => {
  const at = Date.UTC(2026, 11, 1, 19, 0);
  it("finds the object made just after the intent, by kind-specific candidates, name and time", () => {
    const made = { id: idAt(at + 800), name: "Raid Night 7pm" };
    expect(findIntended([made], { name: "Raid Night 7pm", at }, new Set())).toBe(made);
  });
  it("never takes an older object of the same name (a role someone made by hand)", () => {
    const older = { id: idAt(at - 3_600_000), name: "Moderators" };
    expect(findIntended([older], { name: "Moderators", at }, new Set())).toBeNull();
  });
  it("never takes an object another record already owns, nor one made long after", () => {
    const owned = { id: idAt(at + 500), name: "x" };
    const late = { id: idAt(at + 10 * 60_000), name: "x" };
    expect(findIntended([owned, late], { name: "x", at }, new Set([owned.id]))).toBeNull();
  });
  it("takes the earliest of two matches (the other is a duplicate to remove)", () => {
    const a = { id: idAt(at + 100), name: "x" };
    const b = { id: idAt(at + 200, 1), name: "x" };
    expect(findIntended([b, a], { name: "x", at }, new Set())).toBe(a);
  });
});
