import { describe, expect, it } from "vitest";

import { MAX_SPACER, ROW, clampOffset, drawn, missingPages, offsetAt, pagesToForget, revealRow, scrollFor, span } from "./scroll";

const VIEW = 600;

describe("span", () => {
  it("is the list's own height while that fits", () => {
    const s = span(1_000, VIEW);
    expect(s).toEqual({ height: 28_000, scale: 1, end: 28_000 - VIEW });
  });

  it("caps the spacer for ten million rows and maps its whole scroll range onto the list", () => {
    const s = span(10_000_000, VIEW);
    expect(s.height).toBe(MAX_SPACER);
    expect(s.scale).toBeGreaterThan(18);
    // The bottom of the scrollbar is the last row at the bottom of the view.
    const last = offsetAt(s.height - VIEW, s);
    expect(last).toBe(10_000_000 * ROW - VIEW);
    const d = drawn(last, s.height - VIEW, VIEW, 10_000_000, 0);
    expect(d.last).toBe(9_999_999);
    // Drawn where the view is: the last row ends at the bottom of the spacer.
    expect(d.last * ROW + d.shift + ROW).toBe(s.height);
  });

  it("has nothing to scroll for an empty list or one shorter than the view", () => {
    expect(span(0, VIEW)).toEqual({ height: 0, scale: 1, end: 0 });
    expect(span(3, VIEW).end).toBe(0);
    expect(offsetAt(500, span(3, VIEW))).toBe(0);
  });
});

describe("drawn", () => {
  it("draws the rows in view and the overscan, and none past the list", () => {
    expect(drawn(0, 0, VIEW, 1_000, 4)).toEqual({ first: 0, last: 25, shift: 0 });
    expect(drawn(280, 280, VIEW, 1_000, 4)).toEqual({ first: 6, last: 35, shift: 0 });
    expect(drawn(0, 0, VIEW, 5, 4).last).toBe(4);
    expect(drawn(0, 0, VIEW, 0, 4).last).toBe(-1);
  });

  it("places rows of a scaled list relative to the scroll position", () => {
    const s = span(10_000_000, VIEW);
    const scrollTop = 7_000_000;
    const offset = offsetAt(scrollTop, s);
    const d = drawn(offset, scrollTop, VIEW, 10_000_000, 0);
    const y = (i: number) => i * ROW + d.shift;
    // The first row drawn is at (or just above) the top of the view, the next ones follow.
    expect(y(d.first)).toBeLessThanOrEqual(scrollTop);
    expect(y(d.first) + ROW).toBeGreaterThan(scrollTop);
    expect(y(d.last)).toBeLessThan(scrollTop + VIEW);
    expect(d.first).toBeGreaterThan(4_600_000);
  });
});

describe("moving by rows", () => {
  it("keeps the exact offset where the scrollbar can only show it rounded", () => {
    const s = span(10_000_000, VIEW);
    const offset = 123_456 * ROW;
    const top = scrollFor(offset, s);
    expect(Number.isInteger(top)).toBe(true);
    // Mapping the rounded position back lands within one scroll pixel's worth of rows.
    expect(Math.abs(offsetAt(top, s) - offset)).toBeLessThanOrEqual(s.scale);
    // A wheel step of one row moves one row, not `scale` rows.
    expect(clampOffset(offset + ROW, s) - offset).toBe(ROW);
  });

  it("never leaves the list", () => {
    const s = span(100, VIEW);
    expect(clampOffset(-50, s)).toBe(0);
    expect(clampOffset(1e9, s)).toBe(100 * ROW - VIEW);
    expect(scrollFor(1e9, s)).toBe(100 * ROW - VIEW);
  });

  it("reveals a row in the middle or by the least move", () => {
    expect(revealRow(100, 0, VIEW, "center")).toBe(100 * ROW - (VIEW - ROW) / 2);
    expect(revealRow(5, 0, VIEW, "nearest")).toBe(0);
    expect(revealRow(30, 0, VIEW, "nearest")).toBe(31 * ROW - VIEW);
    expect(revealRow(2, 10 * ROW, VIEW, "nearest")).toBe(2 * ROW);
  });
});

describe("pages", () => {
  it("asks for each missing page once, nearest the top first", () => {
    const have = new Set([...Array(100).keys()].map((i) => i + 100));
    expect(missingPages(90, 215, 100, (r) => have.has(r))).toEqual([0, 2]);
    expect(missingPages(100, 199, 100, (r) => have.has(r))).toEqual([]);
  });

  it("forgets the pages furthest from the view", () => {
    expect(pagesToForget([1, 2, 3], 2, 5)).toEqual([]);
    expect(pagesToForget([0, 40, 50, 51, 99], 50, 3)).toEqual([0, 99]);
  });
});
