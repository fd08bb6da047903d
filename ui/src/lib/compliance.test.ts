import { describe, expect, it } from "vitest";
import { drillQuery, percent, statusLabel } from "./compliance";

describe("compliance wording", () => {
  it("says no evidence is about these logs", () => {
    expect(statusLabel("no_evidence")).toBe("no evidence in these logs");
    expect(statusLabel("not_applicable")).toBe("not applicable");
  });

  it("never rounds an incomplete field up to 100%", () => {
    expect(percent(0.9996)).toBe("99.9%");
    expect(percent(1)).toBe("100.0%");
    expect(percent(0)).toBe("0.0%");
    expect(percent(0.5)).toBe("50.0%");
  });

  it("keeps the selection when drilling into a control", () => {
    expect(drillQuery("", "activity:logon")).toBe("activity:logon");
    expect(drillQuery("format:syslog OR format:auditd", "outcome:failure")).toBe("(format:syslog OR format:auditd) (outcome:failure)");
    expect(drillQuery("actor:bob", " ")).toBe("actor:bob");
  });
});
