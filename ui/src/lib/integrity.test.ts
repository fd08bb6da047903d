import { describe, expect, it } from "vitest";

import type { Finding } from "./bindings/Finding";
import type { IntegrityReport } from "./bindings/IntegrityReport";
import { around, bands, bySeverity, missingRoot, overall, verdictCounts } from "./integrity";

const finding = (over: Partial<Finding>): Finding => ({ kind: "time_gap", severity: "warning", file: null, source: null, detail: "", events: [], from: null, to: null, ...over });

const report = (findings: Finding[]): IntegrityReport => ({
  findings,
  files_checked: 3,
  journal_entries: 2,
  journal_head: { seq: 2, hash: "ab".repeat(32) },
  journaled: true,
  notes: [],
  sources: [
    { file: "a", format: "evtx", events: 10, verdict: "verified", counts: [0, 0, 0] },
    { file: "b", format: "jsonl", events: 5, verdict: "not_checkable", counts: [0, 0, 0] },
    { file: "c", format: "auditd", events: 7, verdict: "gaps", counts: [0, 1, 0] },
  ],
  digest_covered: [],
  checked_at: "2026-01-02T03:04:05Z",
  moved: [],
});

describe("integrity report in the window", () => {
  it("counts verdicts worst first and names the worst finding", () => {
    const r = report([finding({ severity: "warning" }), finding({ severity: "info" })]);
    expect(verdictCounts(r)).toEqual([["tampered", 0], ["cleared", 0], ["gaps", 1], ["verified", 1], ["not_checkable", 1]]);
    expect(overall(r)).toEqual({ level: "warn", text: "1 warning" });
    expect(overall(report([finding({ severity: "critical" }), finding({ severity: "critical" })])).text).toBe("2 critical findings");
    expect(overall(report([finding({ severity: "info" })])).level).toBe("ok");
  });

  it("shades timed gaps of warning or worse, not notes or untimed findings", () => {
    const r = report([
      finding({ from: "1", to: "2" }),
      finding({ from: "3", to: "4", severity: "info" }),
      finding({ kind: "file_modified", severity: "critical", from: "5", to: "6" }),
      finding({ kind: "sequence_gap" }),
    ]);
    expect(bands(r)).toEqual([{ from: 1n, to: 2n, severity: "warning", kind: "time_gap" }]);
    expect(bands(null)).toEqual([]);
  });

  it("shades only gaps of sources in the current result", () => {
    const r = report([finding({ file: "a.evtx", from: "1", to: "2" }), finding({ source: "cloudtrail", from: "3", to: "4" })]);
    expect(bands(r, { files: new Set(["a.evtx"]), formats: new Set(["evtx"]) }).map((b) => b.from)).toEqual([1n]);
    expect(bands(r, { files: new Set(), formats: new Set(["cloudtrail"]) }).map((b) => b.from)).toEqual([3n]);
  });

  it("opens at least five minutes around a finding, more for long gaps", () => {
    // 100 ns digits above 2^53 survive: the range is exact, not rounded to 256 ns.
    const t = 1_553_038_465_676_738_500n;
    expect(around(finding({ from: String(t), to: String(t) }))).toEqual({ from: t - 300_000_000_000n, to: t + 300_000_000_000n });
    const hour = 3_600_000_000_000n;
    expect(around(finding({ from: String(t), to: String(t + hour) }))).toEqual({ from: t - hour / 2n, to: t + hour + hour / 2n });
    expect(around(finding({}))).toBeNull();
  });

  it("offers the common folder of missing files as where the evidence moved from", () => {
    const missing = (file: string) => finding({ kind: "file_missing", severity: "critical", file });
    expect(missingRoot(report([]))).toBeNull();
    expect(missingRoot(report([missing("/cases/x/bundle/a/app.jsonl"), missing("/cases/x/bundle/b.zip!/in/c.json"), finding({ file: "/other/z" })]))).toBe("/cases/x/bundle");
    expect(missingRoot(report([missing("/cases/x/bundle/a/app.jsonl")]))).toBe("/cases/x/bundle/a");
    expect(missingRoot(report([missing("C:\\evidence\\case1\\Security.evtx"), missing("C:\\evidence\\case1\\sub\\System.evtx")]))).toBe("C:\\evidence\\case1");
  });

  it("lists critical findings first, then warnings, then info, keeping the engine's order", () => {
    const found = bySeverity([
      finding({ kind: "time_gap", severity: "warning", detail: "w1" }),
      finding({ kind: "sequence_restart", severity: "info", detail: "i1" }),
      finding({ kind: "log_cleared", severity: "critical", detail: "c1" }),
      finding({ kind: "time_gap", severity: "warning", detail: "w2" }),
      finding({ kind: "file_modified", severity: "critical", detail: "c2" }),
    ]);
    expect(found.map((f) => f.detail)).toEqual(["c1", "c2", "w1", "w2", "i1"]);
  });
});
