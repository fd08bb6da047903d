// Pure helpers for the Detections view: levels in order, counts per level, and the sparkline of
// a rule's events over the span of all detections.

import type { Detection } from "./bindings/Detection";

export const LEVELS = ["critical", "high", "medium", "low", "informational"] as const;

/** `[level, rules]` for the levels that have rules, most serious first. */
export function levelCounts(detections: Detection[]): [string, number][] {
  return LEVELS.map((l) => [l, detections.filter((d) => d.rule.level === l).length] as [string, number]).filter(([, n]) => n > 0);
}

/** The query that selects a rule's events. */
export function ruleQuery(d: Detection): string {
  return `rule:"${d.rule.title.replaceAll('"', '\\"')}"`;
}

/** Milliseconds since the epoch of an RFC 3339 time, or null. */
function ms(t: string | null | undefined): number | null {
  if (!t) return null;
  const v = Date.parse(t);
  return Number.isNaN(v) ? null : v;
}

/** The span every listed event falls in (for sparklines on one axis). */
export function span(detections: Detection[]): [number, number] | null {
  const times = detections.flatMap((d) => d.events.map((e) => ms(e.time))).filter((t): t is number => t !== null);
  if (!times.length) return null;
  return [Math.min(...times), Math.max(...times)];
}

/** Counts of a rule's listed events in `buckets` equal parts of `range`. */
export function sparkline(d: Detection, range: [number, number] | null, buckets = 40): number[] {
  const out = new Array<number>(buckets).fill(0);
  if (!range) return out;
  const [lo, hi] = range;
  const width = Math.max(1, hi - lo);
  for (const e of d.events) {
    const t = ms(e.time);
    if (t === null) continue;
    const i = Math.min(buckets - 1, Math.floor(((t - lo) / width) * buckets));
    out[i] += 1;
  }
  return out;
}

/** A detection's event on the timeline. */
export type Marker = { time: import("./nanos").Nanos; level: string };

/** A tick per listed event of every rule, the most serious level where several share a time. */
export function markers(detections: Detection[]): Marker[] {
  const rank = (l: string) => LEVELS.indexOf(l as (typeof LEVELS)[number]);
  const at = new Map<string, Marker>();
  for (const d of detections) {
    for (const e of d.events) {
      if (!e.time) continue;
      const ms = Date.parse(e.time);
      if (Number.isNaN(ms)) continue;
      const key = e.time;
      const seen = at.get(key);
      if (!seen || rank(d.rule.level) < rank(seen.level)) at.set(key, { time: BigInt(ms) * 1_000_000n, level: d.rule.level });
    }
  }
  return [...at.values()];
}
