import { describe, expect, it } from "vitest";
import { capacity } from "./capacity";

const ch = (id: string, parent_id: string | null = null) => ({ id, parent_id });

describe("temporary voice capacity", () => {
  it("is the guild's own limit while Discord has room", () => {
    expect(capacity([ch("1", "cat"), ch("2")], new Set(), "cat", 25)).toEqual({ limit: 25, binding: "max_live" });
  });

  it("is what the category has left beside channels that are not the bot's; the bot's own do not count twice", () => {
    const others = Array.from({ length: 48 }, (_, i) => ch(`o${i}`, "cat"));
    expect(capacity([...others, ch("t1", "cat")], new Set(["t1"]), "cat", 25)).toEqual({ limit: 2, binding: "category" });
  });

  it("is what the guild has left of its 500, and never below zero", () => {
    const many = Array.from({ length: 499 }, (_, i) => ch(`o${i}`));
    expect(capacity(many, new Set(), "cat", 25)).toEqual({ limit: 1, binding: "guild" });
    expect(capacity([...many, ch("x"), ch("y")], new Set(), "cat", 25)).toEqual({ limit: 0, binding: "guild" });
  });
});
