// Time zones and time formatting for the window. Every timestamp shown carries its offset and
// every digit the engine has (EVTX times have 100 ns digits): nanoseconds are bigint here.

import { NANOS_PER_MS, toMs, type Nanos } from "./nanos";

export type Zone = { kind: "utc" } | { kind: "local" } | { kind: "fixed"; minutes: number };

export const UTC: Zone = { kind: "utc" };

/** Minutes east of UTC that `zone` has at the instant `epochMs`. */
export function offsetMinutes(zone: Zone, epochMs: number): number {
  switch (zone.kind) {
    case "utc":
      return 0;
    case "local":
      return -new Date(epochMs).getTimezoneOffset();
    case "fixed":
      return zone.minutes;
  }
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** A short name for the zone, as shown in the toolbar. */
export function zoneLabel(zone: Zone, now = Date.now()): string {
  switch (zone.kind) {
    case "utc":
      return "UTC";
    case "local":
      return `Local (${formatOffset(offsetMinutes(zone, now))})`;
    case "fixed":
      return `UTC${formatOffset(zone.minutes)}`;
  }
}

/** Reads `UTC`, `local`, or a fixed offset such as `+05:30` / `-0800`. */
export function parseZone(text: string): Zone | null {
  const t = text.trim().toLowerCase();
  if (t === "utc" || t === "z") return UTC;
  if (t === "local") return { kind: "local" };
  const m = /^(?:utc)?([+-])(\d{1,2}):?(\d{2})?$/.exec(t);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? "0");
  if (hours > 14 || minutes > 59) return null;
  const total = hours * 60 + minutes;
  return { kind: "fixed", minutes: m[1] === "-" ? -total : total };
}

/** `2024-08-01 13:33:28.676 +00:00` for UTC nanoseconds, in `zone`. Like the engine's RFC 3339,
 * the fraction has 3, 6 or 9 digits, as many as the time needs: an EVTX time (100 ns) shows
 * `…28.676738500`, every digit it has. */
export function formatNanos(nanos: Nanos, zone: Zone): string {
  const ms = toMs(nanos);
  const text = formatMs(ms, zone);
  const below = Number(nanos - BigInt(ms) * NANOS_PER_MS);
  if (below === 0) return text;
  const digits = below % 1000 === 0 ? String(below / 1000).padStart(3, "0") : String(below).padStart(6, "0");
  // Insert after the milliseconds: "YYYY-MM-DD HH:MM:SS.mmm" is 23 characters.
  return `${text.slice(0, 23)}${digits}${text.slice(23)}`;
}

export function formatMs(ms: number, zone: Zone): string {
  const offset = offsetMinutes(zone, ms);
  const d = new Date(ms + offset * 60_000);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  return `${date} ${time} ${formatOffset(offset)}`;
}

/** An RFC 3339 UTC string (as the engine sends) to nanoseconds, every fraction digit kept. */
export function rfc3339ToNanos(text: string): Nanos | null {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) return null;
  const seconds = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(seconds)) return null;
  const fraction = BigInt((m[2] ?? "").padEnd(9, "0"));
  return BigInt(seconds) * NANOS_PER_MS + fraction;
}

export function formatRfc3339(text: string | null | undefined, zone: Zone): string {
  if (!text) return "(no time)";
  const nanos = rfc3339ToNanos(text);
  return nanos === null ? text : formatNanos(nanos, zone);
}

/** Reads `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` as a wall time in `zone`; returns UTC nanoseconds. */
export function parseWallTime(text: string, zone: Zone): Nanos | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(text.trim());
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), +(m[7] ?? "0").padEnd(3, "0"));
  if (Number.isNaN(asUtc)) return null;
  // The offset at the wall time itself; one correction covers DST edges for local time.
  let ms = asUtc - offsetMinutes(zone, asUtc) * 60_000;
  ms = asUtc - offsetMinutes(zone, ms) * 60_000;
  return BigInt(ms) * NANOS_PER_MS;
}

export type Preset = "hour" | "day" | "week" | "all";

export const PRESETS: { id: Preset; label: string }[] = [
  { id: "hour", label: "Last hour of data" },
  { id: "day", label: "Last day of data" },
  { id: "week", label: "Last week of data" },
  { id: "all", label: "Whole case" },
];

/** The range a preset means, relative to the case's last event (not to now: logs are old). */
export function presetRange(preset: Preset, lastEventNanos: Nanos | null): { from: Nanos | null; to: Nanos | null } {
  if (preset === "all" || lastEventNanos === null) return { from: null, to: null };
  const span = BigInt({ hour: 3600, day: 86_400, week: 7 * 86_400 }[preset]) * 1_000_000_000n;
  const to = lastEventNanos + 1n;
  return { from: to - span, to };
}
