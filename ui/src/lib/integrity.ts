// What the window derives from an integrity report: the overall verdict, timeline bands, and the
// time range that shows the events around a finding.

import type { Finding } from "./bindings/Finding";
import type { IntegrityReport } from "./bindings/IntegrityReport";
import type { FindingKind } from "./bindings/FindingKind";
import type { Verdict } from "./bindings/Verdict";
import { fromWire, type Nanos } from "./nanos";

export const VERDICT_LABEL: Record<Verdict, string> = {
  verified: "verified",
  gaps: "gaps",
  cleared: "cleared or disabled",
  tampered: "tampered",
  not_checkable: "not checkable",
};

/** How many sources have each verdict, in the order a reviewer reads them. */
export function verdictCounts(report: IntegrityReport): [Verdict, number][] {
  const order: Verdict[] = ["tampered", "cleared", "gaps", "verified", "not_checkable"];
  return order.map((v) => [v, report.sources.filter((s) => s.verdict === v).length]);
}

/** One line for the whole case: the worst thing found, or that nothing was. */
export function overall(report: IntegrityReport): { level: "ok" | "warn" | "bad"; text: string } {
  const critical = report.findings.filter((f) => f.severity === "critical").length;
  const warning = report.findings.filter((f) => f.severity === "warning").length;
  if (critical) return { level: "bad", text: `${critical} critical ${critical === 1 ? "finding" : "findings"}` };
  if (warning) return { level: "warn", text: `${warning} ${warning === 1 ? "warning" : "warnings"}` };
  return { level: "ok", text: "no problem found" };
}

const SEVERITY_RANK: Record<Finding["severity"], number> = { critical: 0, warning: 1, info: 2 };

/** Findings grouped by severity, critical first, keeping the engine's order within each. */
export function bySeverity(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort(([a, i], [b, j]) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || i - j)
    .map(([f]) => f);
}

/** Kinds that mark a stretch of time where records are missing or logging stopped. */
const GAP_KINDS = new Set<FindingKind>(["time_gap", "sequence_gap", "record_id_gap", "digest_missing", "log_cleared", "audit_disabled"]);

export type Band = { from: Nanos; to: Nanos; severity: Finding["severity"]; kind: FindingKind };

/** What the current result holds, to shade only gaps of the sources on screen. */
export type Shown = { files: Set<string>; formats: Set<string> };

/** Shaded stretches for the timeline: gaps and silences of warning or critical severity, of
 * sources in the current result (a gap in one log says nothing about another). */
export function bands(report: IntegrityReport | null, shown: Shown | null = null): Band[] {
  if (!report) return [];
  return report.findings
    .filter((f) => GAP_KINDS.has(f.kind) && f.severity !== "info" && f.from !== null && f.to !== null)
    .filter((f) => !shown || (f.file !== null && shown.files.has(f.file)) || (f.source !== null && shown.formats.has(f.source)))
    .map((f) => ({ from: fromWire(f.from)!, to: fromWire(f.to)!, severity: f.severity, kind: f.kind }));
}

const MINUTE = 60_000_000_000n;

/** The time range that shows a finding with some context: its span plus half again either side,
 * and at least five minutes each way. Null when the finding has no time. */
export function around(f: Finding): { from: Nanos; to: Nanos } | null {
  const from = fromWire(f.from);
  const to = fromWire(f.to);
  if (from === null || to === null) return null;
  const half = (to - from) / 2n;
  const pad = half > 5n * MINUTE ? half : 5n * MINUTE;
  return { from: from - pad, to: to + pad };
}

/** The folder all missing files were imported under (their deepest common folder), to offer as
 * the "from" of a move: evidence copied elsewhere reads as missing until verify is told where. */
export function missingRoot(report: IntegrityReport | null): string | null {
  const dirs = (report?.findings ?? [])
    .filter((f) => f.kind === "file_missing" && f.file)
    .map((f) => f.file!.split("!/")[0].split(/[\\/]/).slice(0, -1));
  if (!dirs.length) return null;
  let common = dirs[0];
  for (const d of dirs.slice(1)) {
    let n = 0;
    while (n < common.length && n < d.length && common[n] === d[n]) n++;
    common = common.slice(0, n);
  }
  const sep = report!.findings.find((f) => f.kind === "file_missing")!.file!.includes("\\") ? "\\" : "/";
  const root = common.join(sep);
  return root || null;
}
