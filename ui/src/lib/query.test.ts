import { describe, expect, it } from "vitest";

import { applyCompletion, completions, errorMarker, termFor } from "./query";

const FIELDS = ["time", "actor", "action", "target", "outcome", "ip", "user_agent"];

describe("field completion", () => {
  it("offers field names for the word under the cursor", () => {
    const c = completions("outcome:failure ac", 18, FIELDS);
    expect(c?.options).toEqual(["actor:", "action:"]);
    expect(applyCompletion("outcome:failure ac", c!, "actor:")).toEqual({ query: "outcome:failure actor:", cursor: 22 });
  });

  it("stays quiet inside values and on empty words", () => {
    expect(completions("actor:ac", 8, FIELDS)).toBeNull();
    expect(completions("actor: ", 7, FIELDS)).toBeNull();
    expect(completions("zzz", 3, FIELDS)).toBeNull();
  });
});

describe("errors and terms", () => {
  it("marks the character an error is about", () => {
    expect(errorMarker("actor:(", 6)).toEqual({ before: "actor:", at: "(", after: "" });
    expect(errorMarker("abc", 10)).toEqual({ before: "abc", at: " ", after: "" });
  });

  it("builds terms that match one value exactly", () => {
    expect(termFor("actor", "alice")).toBe("actor:alice");
    expect(termFor("target", 'Quarterly, Q3 "final"')).toBe('target:"Quarterly, Q3 \\"final\\""');
    expect(termFor("action", "Get*")).toBe("action:Get\\*");
    expect(termFor("action", "OR")).toBe('action:"OR"');
  });
});
