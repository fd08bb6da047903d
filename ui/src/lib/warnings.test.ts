import { describe, expect, it } from "vitest";

import { breakdown } from "./warnings";

describe("import warnings", () => {
  it("are broken down by kind, most frequent first", () => {
    expect(breakdown([{ kind: "zone_assumed", count: 2 }, { kind: "year_inferred", count: 120 }, { kind: "time_missing", count: 2 }])).toBe(
      "120 year inferred · 2 no time · 2 zone assumed UTC",
    );
    expect(breakdown([])).toBe("");
  });
});
