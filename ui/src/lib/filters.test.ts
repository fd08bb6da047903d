import { describe, expect, it } from "vitest";

import { chipLabel, removeFilter, toggleFilter } from "./filters";

describe("facet filters", () => {
  const alice = { field: "actor", value: "alice", exclude: false };
  const notAlice = { ...alice, exclude: true };

  it("adds, flips and removes", () => {
    const one = toggleFilter([], alice);
    expect(one).toEqual([alice]);
    expect(toggleFilter(one, notAlice)).toEqual([notAlice]);
    expect(toggleFilter(one, alice)).toEqual([]);
    expect(removeFilter([alice, { field: "ip", value: "1.2.3.4", exclude: false }], alice)).toHaveLength(1);
  });

  it("labels chips", () => {
    expect(chipLabel(notAlice)).toBe("NOT actor: alice");
    expect(chipLabel({ field: "ip", value: "", exclude: false })).toBe("ip: (empty)");
  });
});
