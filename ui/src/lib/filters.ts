// Facet filters as chips: clicking a value adds it; clicking it again, or its chip, removes it.

import type { FacetFilter } from "./bindings/FacetFilter";

export function sameFilter(a: FacetFilter, b: FacetFilter): boolean {
  return a.field === b.field && a.value === b.value;
}

/** Adds the filter, or flips/removes an existing one on the same value. */
export function toggleFilter(filters: FacetFilter[], next: FacetFilter): FacetFilter[] {
  const existing = filters.find((f) => sameFilter(f, next));
  if (!existing) return [...filters, next];
  if (existing.exclude === next.exclude) return filters.filter((f) => !sameFilter(f, next));
  return filters.map((f) => (sameFilter(f, next) ? next : f));
}

export function removeFilter(filters: FacetFilter[], gone: FacetFilter): FacetFilter[] {
  return filters.filter((f) => !sameFilter(f, gone));
}

export function chipLabel(f: FacetFilter): string {
  return `${f.exclude ? "NOT " : ""}${f.field}: ${f.value === "" ? "(empty)" : f.value}`;
}
