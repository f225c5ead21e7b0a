import { describe, expect, it } from "vitest";
import { LIMITS } from "../discord/message-limits";
import { cappedList, pagedList, paginate } from "./list-view";

const lines = (n: number, width = 80) => Array.from({ length: n }, (_, i) => `• item ${i + 1} ${"y".repeat(width)}`);

describe("paginate", () => {
  it("packs lines in order within the line count and the character budget", () => {
    const pages = paginate(lines(100, 10), { perPage: 15, budget: 500 });
    expect(pages.flat()).toEqual(lines(100, 10));
    for (const p of pages) {
      expect(p.length).toBeLessThanOrEqual(15);
      expect(p.join("\n").length).toBeLessThanOrEqual(500);
    }
  });

  it("cuts a line longer than a page", () => {
    const [page] = paginate(["z".repeat(5000)], { budget: 100 });
    expect(page?.[0]).toHaveLength(100);
  });
});

describe("pagedList", () => {
  it("shows the requested page, says which of how many, and offers Prev/Next", () => {
    const m = pagedList({ header: "Things (300):", lines: lines(300), page: 2, empty: "none", pageId: (n) => `f:list:${n}` });
    expect(m.content?.length).toBeLessThanOrEqual(LIMITS.content);
    expect(m.content).toContain("• item 16 ");
    expect(m.content).toMatch(/Page 2 of 20$/);
    const row = m.components?.[0] as { components: { custom_id: string; disabled: boolean }[] };
    expect(row.components.map((b) => [b.custom_id, b.disabled])).toEqual([
      ["f:list:1", false],
      ["f:list:3", false],
    ]);
  });

  it("shows the last page for a page past the end, the empty text for no lines, and no buttons for one page", () => {
    expect(pagedList({ header: "H", lines: lines(40), page: 99, empty: "" }).content).toMatch(/Page 3 of 3$/);
    expect(pagedList({ header: "H", lines: [], page: 1, empty: "Nothing yet." })).toEqual({ content: "Nothing yet.", components: [] });
    expect(pagedList({ header: "H", lines: lines(3), page: 1, empty: "", pageId: (n) => `p:${n}` }).components).toEqual([]);
  });

  it("fits a page of very long lines and a very long header", () => {
    const m = pagedList({ header: "h".repeat(5000), lines: lines(40, 3000), page: 1, empty: "" });
    expect(m.content?.length).toBeLessThanOrEqual(LIMITS.content);
  });
});

describe("cappedList", () => {
  it("ends with how many more there are and fits the limit", () => {
    const text = cappedList("Header:", lines(312), 2000);
    expect(text.length).toBeLessThanOrEqual(2000);
    const shown = text.split("\n").filter((l) => l.startsWith("• ")).length;
    expect(text.endsWith(`…and ${312 - shown} more`)).toBe(true);
  });

  it("shows everything when it fits", () => {
    expect(cappedList("H:", ["a", "b"])).toBe("H:\na\nb");
  });
});
