import { describe, expect, it } from "vitest";

import { formatCount } from "./numbers";

describe("formatCount", () => {
  it("groups thousands like en-US", () => {
    for (const n of [0, 7, 999, 1000, 12_345, 1_000_000, 846_166, 9_007_199_254_740_991, -45_000]) {
      expect(formatCount(n)).toBe(n.toLocaleString("en-US"));
    }
  });
});
