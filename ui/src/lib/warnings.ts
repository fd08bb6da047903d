// Words for the import's warning kinds, and a one-line breakdown of counts.

import type { KindCount } from "./bindings/KindCount";
import type { WarningKind } from "./bindings/WarningKind";

export const WARNING_LABEL: Record<WarningKind, string> = {
  year_inferred: "year inferred",
  future_time: "dated after the file was written",
  zone_assumed: "zone assumed UTC",
  zone_chosen: "zone as chosen",
  time_unparsed: "time unreadable",
  time_missing: "no time",
  invalid_utf8: "invalid UTF-8 replaced",
  comment_lines: "comment lines",
  trailing_data: "bytes after the gzip data",
  duplicate_keys: "keys written twice",
  transcoded: "decoded from UTF-16",
  epoch_ambiguous: "epoch unit ambiguous",
};

/** `120 year inferred · 3 no time`, most frequent first. */
export function breakdown(counts: KindCount[]): string {
  return [...counts]
    .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind))
    .map((c) => `${c.count} ${WARNING_LABEL[c.kind]}`)
    .join(" · ");
}
