import { describe, expect, it } from "vitest";

import { formatMs, formatNanos, formatOffset, formatRfc3339, parseWallTime, parseZone, presetRange, rfc3339ToNanos, zoneLabel } from "./time";
import { fromWire, toWire } from "./nanos";

describe("time zones", () => {
  it("formats with the offset of the displayed zone", () => {
    const ms = Date.UTC(2024, 7, 1, 13, 33, 28, 5);
    expect(formatMs(ms, { kind: "utc" })).toBe("2024-08-01 13:33:28.005 +00:00");
    expect(formatMs(ms, { kind: "fixed", minutes: 330 })).toBe("2024-08-01 19:03:28.005 +05:30");
    expect(formatMs(ms, { kind: "fixed", minutes: -480 })).toBe("2024-08-01 05:33:28.005 -08:00");
  });

  it("reads zones people type", () => {
    expect(parseZone("UTC")).toEqual({ kind: "utc" });
    expect(parseZone("local")).toEqual({ kind: "local" });
    expect(parseZone("+05:30")).toEqual({ kind: "fixed", minutes: 330 });
    expect(parseZone("UTC-0800")).toEqual({ kind: "fixed", minutes: -480 });
    expect(parseZone("+25:00")).toBeNull();
    expect(parseZone("mars")).toBeNull();
    expect(zoneLabel({ kind: "fixed", minutes: 60 })).toBe("UTC+01:00");
    expect(formatOffset(-90)).toBe("-01:30");
  });

  it("reads wall times in the displayed zone", () => {
    const utc = parseWallTime("2024-08-01 13:00", { kind: "utc" });
    expect(utc).toBe(BigInt(Date.UTC(2024, 7, 1, 13)) * 1_000_000n);
    expect(parseWallTime("2024-08-01 15:00", { kind: "fixed", minutes: 120 })).toBe(utc);
    expect(parseWallTime("2024-08-01", { kind: "utc" })).toBe(BigInt(Date.UTC(2024, 7, 1)) * 1_000_000n);
    expect(parseWallTime("yesterday", { kind: "utc" })).toBeNull();
  });

  it("keeps every digit of engine times, 100 ns EVTX digits above 2^53 included", () => {
    expect(rfc3339ToNanos("2024-08-01T00:00:00.123456Z")).toBe(BigInt(Date.UTC(2024, 7, 1)) * 1_000_000n + 123_456_000n);
    const evtx = rfc3339ToNanos("2019-03-19T23:34:25.6767385Z");
    expect(evtx).toBe(1_553_038_465_676_738_500n);
    // 3, 6 or 9 digits, as the engine writes them.
    expect(formatNanos(evtx!, { kind: "utc" })).toBe("2019-03-19 23:34:25.676738500 +00:00");
    expect(formatRfc3339("2019-03-19T23:34:25.676738500Z", { kind: "fixed", minutes: 60 })).toBe("2019-03-20 00:34:25.676738500 +01:00");
    expect(formatRfc3339("2024-08-01T00:00:00.872430Z", { kind: "utc" })).toBe("2024-08-01 00:00:00.872430 +00:00");
    expect(formatRfc3339("2024-08-01T00:00:00Z", { kind: "utc" })).toBe("2024-08-01 00:00:00.000 +00:00");
    expect(formatNanos(-1n, { kind: "utc" })).toBe("1969-12-31 23:59:59.999999999 +00:00");
    expect(rfc3339ToNanos("not a time")).toBeNull();
  });

  it("sends and reads times as exact decimal strings", () => {
    const t = 1_553_038_465_676_738_501n;
    expect(toWire(t)).toBe("1553038465676738501");
    expect(fromWire(toWire(t))).toBe(t);
    expect(fromWire(null)).toBeNull();
    expect(fromWire("1.5")).toBeNull();
  });

  it("presets count back from the last event, not from now", () => {
    const last = BigInt(Date.UTC(2020, 0, 1)) * 1_000_000n + 7n;
    const day = presetRange("day", last);
    expect(day.to! - day.from!).toBe(86_400_000_000_000n);
    expect(day.to).toBe(last + 1n);
    expect(presetRange("all", last)).toEqual({ from: null, to: null });
  });
});
