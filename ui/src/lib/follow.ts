// Following live logs in the window: what the paths field means, what a batch changes, and
// whether the list may show new rows at once or must only say how many came.

import type { Alert } from "./bindings/Alert";

/** Paths typed one per line (or pasted with blank lines), each once, in order. */
export function parsePaths(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const p = raw.trim();
    if (p && !seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  }
  return out;
}

/**
 * New rows may replace the list only when that moves nothing the user is looking at: the list is
 * scrolled to its top and no event is selected. Otherwise the window says "N new events".
 */
export function mayReplace(atTop: boolean, selectedId: string | null): boolean {
  return atTop && selectedId === null;
}

/** How many events came since the rows shown were fetched (never negative). */
export function newSince(shownTotal: number, liveTotal: number): number {
  return Math.max(0, liveTotal - shownTotal);
}

/** The alerts kept for the panel: newest first, at most `keep`. */
export function keepAlerts(kept: Alert[], fresh: Alert[], keep = 200): Alert[] {
  return [...[...fresh].reverse(), ...kept].slice(0, keep);
}

/** "3 alerts" / "1 alert". */
export function alertWords(n: number): string {
  return `${n} alert${n === 1 ? "" : "s"}`;
}
