// Counts are formatted on every search for every facet value; `toLocaleString` builds a number
// formatter per call, which is slow in WebKit, so digits are grouped by hand.

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}
