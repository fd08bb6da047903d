import { describe, expect, it } from "vitest";
import type { Alert } from "./bindings/Alert";
import { alertWords, keepAlerts, mayReplace, newSince, parsePaths } from "./follow";

const alert = (rule: string): Alert => ({
  rule,
  rule_key: rule,
  level: "high",
  author: "Sightline",
  event_id: `1-${rule}`,
  time: null,
  actor: "mallory",
  action: "StopLogging",
  outcome: "success",
  ip: null,
  file: "/logs/trail.jsonl",
  line: 2,
});

describe("follow", () => {
  it("reads one path per line, trimmed, each once", () => {
    expect(parsePaths(" /var/log/auth.log \n\n/srv/ct\r\n/var/log/auth.log\n")).toEqual(["/var/log/auth.log", "/srv/ct"]);
    expect(parsePaths("   \n")).toEqual([]);
  });

  it("replaces the rows only when the user is at the top with nothing selected", () => {
    expect(mayReplace(true, null)).toBe(true);
    expect(mayReplace(false, null)).toBe(false);
    expect(mayReplace(true, "3-1")).toBe(false);
  });

  it("counts new events, never below zero", () => {
    expect(newSince(100, 130)).toBe(30);
    expect(newSince(100, 90)).toBe(0);
  });

  it("keeps the newest alerts first, up to a limit", () => {
    const kept = keepAlerts([alert("old")], [alert("a"), alert("b")], 2);
    expect(kept.map((a) => a.rule)).toEqual(["b", "a"]);
    expect(alertWords(1)).toBe("1 alert");
    expect(alertWords(3)).toBe("3 alerts");
  });
});
