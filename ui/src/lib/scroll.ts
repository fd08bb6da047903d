// Where the results table's rows go as it scrolls: rows of one height over a list of up to ten
// million, drawn only where the view is.
//
// Written here rather than taken from @tanstack/svelte-virtual (used before), for two things it
// measured or could not do at ten million rows: it keeps a measurement object per row, built anew
// for every result (0.6–0.7 s between the search's answer and the table on screen for 8.5–10M
// hits on the bench case, and as much memory), and its spacer is as tall as the list, while
// WebKit lays boxes out up to ~33.5 million px (1/64 px in 32 bits): at 28 px a row, past
// ~1.2 million rows the rest of the list could not be scrolled to. Here everything costs what
// the view holds, and a list taller than `MAX_SPACER` gets a spacer of that height whose scroll
// positions map onto the whole list (a scrollbar drag lands in proportion; the wheel and keys
// move by rows, see `Scroll.by`).

/** Height of one row, px (the table's CSS says the same). */
export const ROW = 28;

/** Tallest spacer drawn, px: well below the ~33.5M px WebKit (and ~17.9M Firefox) can lay out. */
export const MAX_SPACER = 15_000_000;

/** The spacer for `count` rows and how list pixels map onto its scroll positions. */
export interface Span {
  /** Height of the spacer, px. */
  height: number;
  /** List pixels per scroll pixel: 1 unless the list is taller than `MAX_SPACER`. */
  scale: number;
  /** Furthest offset into the list: its last row at the bottom of the view. */
  end: number;
}

export function span(count: number, view: number, max = MAX_SPACER): Span {
  const natural = count * ROW;
  const end = Math.max(0, natural - view);
  if (natural <= max) return { height: natural, scale: 1, end };
  return { height: max, scale: end / Math.max(1, max - view), end };
}

/** Rows to draw, `first` to `last` inclusive (`last < first` when none), and where they go. */
export interface Drawn {
  first: number;
  last: number;
  /** Spacer y of row i: `i * ROW + shift`. */
  shift: number;
}

/**
 * The rows in view at list offset `offset` (px from the first row) while the spacer is scrolled to
 * `scrollTop`, with `overscan` more each side. Rows are placed relative to the scroll position,
 * so with a scaled spacer they still sit where the view is.
 */
export function drawn(offset: number, scrollTop: number, view: number, count: number, overscan = 8): Drawn {
  const first = Math.max(0, Math.floor(offset / ROW) - overscan);
  const last = Math.min(count - 1, Math.ceil((offset + view) / ROW) - 1 + overscan);
  return { first, last, shift: scrollTop - offset };
}

/** The pages (of `size` rows) holding rows `first..=last` that `have` does not, nearest the view's top first. */
export function missingPages(first: number, last: number, size: number, have: (row: number) => boolean): number[] {
  const pages: number[] = [];
  for (let row = first; row <= last; row++) {
    const page = Math.floor(row / size);
    if (!have(row) && !pages.includes(page)) pages.push(page);
  }
  return pages;
}

/** Of the pages loaded, those to forget to keep `keep` of them: the furthest from `around`. */
export function pagesToForget(loaded: Iterable<number>, around: number, keep: number): number[] {
  const pages = [...loaded];
  if (pages.length <= keep) return [];
  pages.sort((a, b) => Math.abs(b - around) - Math.abs(a - around) || a - b);
  return pages.slice(0, pages.length - keep);
}

// The list offset (px from the first row) and the spacer's scroll position: a scroll the user
// makes with the scrollbar maps in proportion (`offsetAt`); a move by rows (wheel, keys, revealing
// a row) sets the offset exactly and puts the scrollbar where it maps (`scrollFor`).

export function clampOffset(offset: number, s: Span): number {
  return Math.min(s.end, Math.max(0, offset));
}

/** The list offset a scroll position the user set stands for. */
export function offsetAt(scrollTop: number, s: Span): number {
  return clampOffset(scrollTop * s.scale, s);
}

/** The scroll position that stands for list offset `offset`. */
export function scrollFor(offset: number, s: Span): number {
  return Math.round(clampOffset(offset, s) / s.scale);
}

/**
 * The offset that brings row `index` into a view of height `view` now at `offset`: in its middle
 * (`center`), or the least move that shows it whole (`nearest`).
 */
export function revealRow(index: number, offset: number, view: number, align: "center" | "nearest"): number {
  const top = index * ROW;
  if (align === "center") return top - (view - ROW) / 2;
  if (top < offset) return top;
  if (top + ROW > offset + view) return top + ROW - view;
  return offset;
}
