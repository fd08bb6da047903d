import { describe, expect, it } from "vitest";
import type { Detection } from "./bindings/Detection";
import { levelCounts, markers, ruleQuery, sparkline, span } from "./detections";

const detection = (title: string, level: string, times: string[]): Detection => ({
  rule: { id: null, title, level, author: "Sightline", tags: [], path: "builtin/x.yml", description: null, correlation: false, hidden: false },
  count: times.length,
  first: times[0] ?? null,
  last: times.at(-1) ?? null,
  events: times.map((time, i) => ({ id: `1-${i}`, file: "f", ordinal: i, native_id: null, time, matched: [] })),
});

describe("detections", () => {
  const a = detection('Say "hi"', "high", ["2024-01-01T00:00:00Z", "2024-01-01T00:00:10Z"]);
  const b = detection("B", "critical", ["2024-01-01T00:00:20Z"]);
  it("counts rules per level, most serious first", () => {
    expect(levelCounts([a, b, a])).toEqual([["critical", 1], ["high", 2]]);
  });
  it("quotes a title in its query", () => {
    expect(ruleQuery(a)).toBe('rule:"Say \\"hi\\""');
  });
  it("draws events on one axis for every rule", () => {
    const range = span([a, b]);
    expect(range).toEqual([Date.parse("2024-01-01T00:00:00Z"), Date.parse("2024-01-01T00:00:20Z")]);
    expect(sparkline(a, range, 4)).toEqual([1, 0, 1, 0]);
    expect(sparkline(b, range, 4)).toEqual([0, 0, 0, 1]);
    expect(sparkline(a, null, 3)).toEqual([0, 0, 0]);
  });
});

describe("markers", () => {
  it("ticks each listed event once, at its most serious level", () => {
    const t = "2024-01-01T00:00:00Z";
    const m = markers([detection("low one", "medium", [t]), detection("high one", "high", [t, "2024-01-01T00:00:01Z"])]);
    expect(m).toHaveLength(2);
    expect(m.find((x) => x.time === BigInt(Date.parse(t)) * 1_000_000n)?.level).toBe("high");
  });
});
