// Nanosecond times. The engine sends them as decimal strings (a JavaScript number holds integers
// exactly only up to 2^53, and UTC nanoseconds of today are near 2^61); the window keeps them as
// bigint and converts to a float only to place them on a chart, never to search or show them.

export type Nanos = bigint;

export const NANOS_PER_MS = 1_000_000n;
export const NANOS_PER_SECOND = 1_000_000_000n;

/** A time from the wire, or null. */
export function fromWire(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined || !/^-?\d+$/.test(text)) return null;
  return BigInt(text);
}

/** A time for the wire. */
export function toWire(n: Nanos | null): string | null {
  return n === null ? null : n.toString();
}

/** Seconds as a float, for chart positions only. */
export function toSeconds(n: Nanos): number {
  return Number(n) / 1e9;
}

/** Seconds from a chart back to nanoseconds, rounded down (`ceil` up) to the millisecond. */
export function fromSeconds(seconds: number, ceil = false): Nanos {
  const ms = ceil ? Math.ceil(seconds * 1000) : Math.floor(seconds * 1000);
  return BigInt(ms) * NANOS_PER_MS;
}

/** Whole milliseconds since the epoch, rounded down (for `Date`). */
export function toMs(n: Nanos): number {
  const ms = n / NANOS_PER_MS;
  return Number(n < 0n && n % NANOS_PER_MS !== 0n ? ms - 1n : ms);
}
