import { describe, expect, it } from "vitest";

import { formatMs, formatOffset, parseWallTime, parseZone, presetRange, rfc3339ToNanos, zoneLabel } from "./time";

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
    expect(utc).toBe(Date.UTC(2024, 7, 1, 13) * 1e6);
    expect(parseWallTime("2024-08-01 15:00", { kind: "fixed", minutes: 120 })).toBe(utc);
    expect(parseWallTime("2024-08-01", { kind: "utc" })).toBe(Date.UTC(2024, 7, 1) * 1e6);
    expect(parseWallTime("yesterday", { kind: "utc" })).toBeNull();
  });

  it("keeps sub-millisecond digits of engine times", () => {
    expect(rfc3339ToNanos("2024-08-01T00:00:00.123456Z")).toBe(Date.UTC(2024, 7, 1) * 1e6 + 123_456_000 / 1000 * 1000);
    expect(rfc3339ToNanos("not a time")).toBeNull();
  });

  it("presets count back from the last event, not from now", () => {
    const last = Date.UTC(2020, 0, 1) * 1e6;
    const day = presetRange("day", last);
    expect(day.to! - day.from!).toBe(86_400e9);
    expect(day.to).toBe(last + 1);
    expect(presetRange("all", last)).toEqual({ from: null, to: null });
  });
});
