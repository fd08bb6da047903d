//! Reading the many ways audit sources write time, and writing it back as RFC 3339 UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

use crate::error::{Error, Result};

/// A time read from a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedTime {
    pub utc_nanos: i64,
    /// True when the text had no zone and UTC was assumed.
    pub zone_assumed: bool,
}

/// Reads a time written as text: RFC 3339 / ISO 8601 (with `T` or a space, any fraction, `Z` or an
/// offset, or no zone), the CloudTrail STS form `May 19, 2023, 1:49:50 PM`, or epoch digits.
pub fn parse_text(text: &str) -> Option<ParsedTime> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return parse_epoch_int(t.parse().ok()?);
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let value: f64 = t.parse().ok()?;
        return parse_epoch(value);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return nanos(dt.with_timezone(&Utc)).map(exact);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return nanos(dt.with_timezone(&Utc)).map(exact);
        }
    }
    if let Some(stripped) = t.strip_suffix(" UTC").or_else(|| t.strip_suffix(" GMT")) {
        if let Some(naive) = parse_naive(stripped) {
            return nanos(Utc.from_utc_datetime(&naive)).map(exact);
        }
    }
    let naive = parse_naive(t)?;
    nanos(Utc.from_utc_datetime(&naive)).map(|utc_nanos| ParsedTime {
        utc_nanos,
        zone_assumed: true,
    })
}

fn exact(utc_nanos: i64) -> ParsedTime {
    ParsedTime {
        utc_nanos,
        zone_assumed: false,
    }
}

fn parse_naive(t: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 6] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
        "%b %d, %Y, %I:%M:%S %p",
        "%b %d, %Y %I:%M:%S %p",
        "%d/%b/%Y:%H:%M:%S",
    ];
    for fmt in FORMATS {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(naive);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// Reads an epoch number whose unit is guessed from its size: seconds, milliseconds,
/// microseconds or nanoseconds. Dates between 1973 and 5138 are read unambiguously.
pub fn parse_epoch(value: f64) -> Option<ParsedTime> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let nanos = if value < 1e11 {
        value * 1e9
    } else if value < 1e14 {
        value * 1e6
    } else if value < 1e17 {
        value * 1e3
    } else {
        value
    };
    if nanos > i64::MAX as f64 {
        return None;
    }
    Some(exact(nanos as i64))
}

/// 10000-01-01T00:00:00Z in seconds: the first time a four-digit year cannot write.
const YEAR_10000_SECS: f64 = 253_402_300_800.0;

/// Whether an epoch number read by [`parse_epoch`] could as well be the next coarser unit and
/// still be a date before the year 10000: `253402300800` is read as milliseconds (1978), but as
/// seconds it is 10000-01-01, a "never" some systems write. Such a time is flagged, not trusted.
pub fn epoch_unit_ambiguous(text: &str) -> bool {
    let Ok(value) = text.trim().parse::<f64>() else {
        return false;
    };
    // The unit parse_epoch chose, as a divisor to seconds; seconds have no coarser unit.
    let per_second = if value < 1e11 {
        return false;
    } else if value < 1e14 {
        1e3
    } else if value < 1e17 {
        1e6
    } else {
        1e9
    };
    value / (per_second / 1e3) <= YEAR_10000_SECS
}

/// [`parse_epoch`] for whole numbers, in integer arithmetic: journald's microseconds and
/// nanosecond stamps do not fit an f64 exactly.
pub fn parse_epoch_int(value: u64) -> Option<ParsedTime> {
    let nanos = if value < 100_000_000_000 {
        value.checked_mul(1_000_000_000)?
    } else if value < 100_000_000_000_000 {
        value.checked_mul(1_000_000)?
    } else if value < 100_000_000_000_000_000 {
        value.checked_mul(1_000)?
    } else {
        value
    };
    i64::try_from(nanos).ok().map(exact)
}

fn nanos(dt: DateTime<Utc>) -> Option<i64> {
    dt.timestamp_nanos_opt()
}

/// `+02:00` for 120 minutes east of UTC.
pub fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

/// Reads a zone as minutes east of UTC: `UTC`, `Z`, `+02:00`, `-0530`, `+2`.
pub fn parse_offset(text: &str) -> Option<i32> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let t = t.strip_prefix("UTC").unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        (
            digits[..digits.len() - 2].parse::<i32>().ok()?,
            digits[digits.len() - 2..].parse::<i32>().ok()?,
        )
    };
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// Formats UTC nanoseconds as RFC 3339 with `Z`, keeping only the precision present.
pub fn format_rfc3339(utc_nanos: i64) -> String {
    let dt = Utc.timestamp_nanos(utc_nanos);
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads a time given by a user (CLI `--from`/`--to`, query `time:`): strict RFC 3339,
/// or a bare date `2024-05-01` meaning its midnight UTC.
pub fn parse_user_time(text: &str) -> Result<i64> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        if let Some(n) = dt.with_timezone(&Utc).timestamp_nanos_opt() {
            return Ok(n);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(n) = date
            .and_hms_opt(0, 0, 0)
            .and_then(|d| Utc.from_utc_datetime(&d).timestamp_nanos_opt())
        {
            return Ok(n);
        }
    }
    Err(Error::Time {
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_that_read_as_two_plausible_dates_are_told() {
        assert!(
            epoch_unit_ambiguous("253402300800"),
            "10000-01-01 in seconds"
        );
        assert!(epoch_unit_ambiguous("253402300799"));
        assert!(!epoch_unit_ambiguous("253402300801"));
        assert!(
            !epoch_unit_ambiguous("1722500000"),
            "seconds have no coarser unit"
        );
        assert!(
            !epoch_unit_ambiguous("1722500000000"),
            "milliseconds of 2024"
        );
        assert!(
            epoch_unit_ambiguous("100000000000000"),
            "µs of 1973 or ms of 5138"
        );
        assert!(!epoch_unit_ambiguous("2024-08-01"));
    }

    #[test]
    fn whole_epoch_numbers_keep_every_digit() {
        assert_eq!(
            parse_text("1534860261221373").map(|t| t.utc_nanos),
            Some(1_534_860_261_221_373_000)
        );
        assert_eq!(
            parse_text("1714637700000").map(|t| t.utc_nanos),
            Some(1_714_637_700_000_000_000)
        );
        assert_eq!(
            parse_text("1364481363.243").map(|t| t.utc_nanos / 1_000_000),
            Some(1_364_481_363_243)
        );
    }

    #[test]
    fn offsets_read_and_print() {
        assert_eq!(parse_offset("+02:00"), Some(120));
        assert_eq!(parse_offset("-0530"), Some(-330));
        assert_eq!(parse_offset("UTC+1"), Some(60));
        assert_eq!(parse_offset("utc"), Some(0));
        assert_eq!(parse_offset("+15:00"), None);
        assert_eq!(parse_offset("2"), None);
        assert_eq!(format_offset(-330), "-05:30");
    }

    fn iso(text: &str) -> String {
        format_rfc3339(parse_text(text).expect(text).utc_nanos)
    }

    #[test]
    fn reads_the_shapes_sources_write() {
        assert_eq!(iso("2023-05-19T13:49:50Z"), "2023-05-19T13:49:50Z");
        assert_eq!(
            iso("2023-05-19T13:49:50.123+02:00"),
            "2023-05-19T11:49:50.123Z"
        );
        assert_eq!(iso("May 19, 2023, 1:49:50 PM"), "2023-05-19T13:49:50Z");
        assert_eq!(iso("1684504190000"), "2023-05-19T13:49:50Z");
        assert_eq!(iso("1684504190"), "2023-05-19T13:49:50Z");
        assert_eq!(iso("1684504190123456"), "2023-05-19T13:49:50.123456Z");
        assert!(parse_text("2023-05-19 13:49:50").unwrap().zone_assumed);
        assert!(!parse_text("2023-05-19T13:49:50Z").unwrap().zone_assumed);
        assert_eq!(parse_text("2025-10-21TT00:52:27Z"), None);
        assert_eq!(parse_text("yesterday"), None);
    }

    #[test]
    fn user_times_are_strict() {
        assert!(parse_user_time("2024-05-01T00:00:00Z").is_ok());
        assert!(parse_user_time("2024-05-01").is_ok());
        assert!(matches!(
            parse_user_time("05/01/2024"),
            Err(Error::Time { .. })
        ));
    }
}
