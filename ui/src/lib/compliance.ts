// How the Compliance view words and combines what the engine reports.

import type { ControlStatus } from "./bindings/ControlStatus";

/** A status as a reviewer reads it: "no evidence" is about these logs, not a failed control. */
export function statusLabel(s: ControlStatus): string {
  switch (s) {
    case "evidenced": return "evidenced";
    case "partial": return "partial";
    case "no_evidence": return "no evidence in these logs";
    case "not_applicable": return "not applicable";
  }
}

/** A share (0–1) as a percentage with one decimal, without rounding 99.96% up to 100%. */
export function percent(share: number): string {
  const tenths = Math.floor(share * 1000) / 10;
  return `${tenths.toFixed(1)}%`;
}

/** The search that shows a control's events: its query within the report's selection. */
export function drillQuery(scope: string, query: string): string {
  const s = scope.trim();
  const q = query.trim();
  if (!s) return q;
  if (!q) return s;
  return `(${s}) (${q})`;
}
