//! Go's text forms of times and durations, which Coder's JSON and messages carry verbatim:
//! `time.Time` as RFC 3339 with trimmed nanoseconds, `time.Time.String()` and
//! `time.Duration.String()`.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Timelike, Utc};

/// Go's zero `time.Time`, which Coder stores as "this token never expires".
pub(crate) fn zero_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .expect("0001-01-01 is a valid date")
        .and_utc()
}

/// Whether `t` is Go's zero time.
pub(crate) fn is_zero(t: &DateTime<Utc>) -> bool {
    *t == zero_time()
}

/// `t` as the database would give it back: microsecond precision.
pub(crate) fn db_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Go's `time.RFC3339Nano` for a UTC time, as `encoding/json` writes a `time.Time`:
/// `2026-07-24T10:11:12.123456Z`, fraction trimmed of trailing zeros and dropped when zero.
pub(crate) fn rfc3339(t: &DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        fraction(t.nanosecond())
    )
}

/// Go's `time.Time.String()` for a UTC time: `2026-07-01 10:00:00.5 +0000 UTC`.
pub(crate) fn time_string(t: &DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{} +0000 UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        fraction(t.nanosecond())
    )
}

/// `.123456` for 123456000 ns; empty when zero (Go's `.999999999` layout element).
fn fraction(nanos: u32) -> String {
    // chrono puts a leap second in nanos >= 1e9; Go has no leap seconds.
    let nanos = nanos % 1_000_000_000;
    if nanos == 0 {
        return String::new();
    }
    let digits = format!(".{nanos:09}");
    digits.trim_end_matches('0').to_owned()
}

/// Go's `time.Duration.String()`: `1m0s`, `1h0m0s`, `1.5s`, `250ms`, `0s`.
pub(crate) fn duration(d: Duration) -> String {
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        // Below a second Go picks the largest unit that keeps an integer part.
        let (scale, unit) = match nanos {
            n if n < 1_000 => (1, "ns"),
            n if n < 1_000_000 => (1_000, "µs"),
            _ => (1_000_000, "ms"),
        };
        return format!(
            "{}{}{unit}",
            nanos / scale,
            frac_digits(nanos % scale, scale)
        );
    }
    let secs = nanos / 1_000_000_000;
    let frac = frac_digits(nanos % 1_000_000_000, 1_000_000_000);
    let (hours, minutes, seconds) = (secs / 3600, secs / 60 % 60, secs % 60);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}{frac}s")
    } else if secs >= 60 {
        format!("{minutes}m{seconds}{frac}s")
    } else {
        format!("{seconds}{frac}s")
    }
}

/// The fraction `rest / scale` as `.5`, trailing zeros trimmed; empty when zero.
fn frac_digits(rest: u64, scale: u64) -> String {
    if rest == 0 {
        return String::new();
    }
    let width = scale.ilog10() as usize;
    let digits = format!(".{rest:0width$}");
    digits.trim_end_matches('0').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn zero_time_is_go_zero() {
        assert_eq!(rfc3339(&zero_time()), "0001-01-01T00:00:00Z");
        assert!(is_zero(&zero_time()));
        assert!(!is_zero(&Utc::now()));
    }

    #[test]
    fn rfc3339_trims_fraction() {
        let t = Utc.with_ymd_and_hms(2026, 7, 24, 10, 11, 12).unwrap();
        assert_eq!(rfc3339(&t), "2026-07-24T10:11:12Z");
        let micro = t + chrono::Duration::microseconds(123_456);
        assert_eq!(rfc3339(&micro), "2026-07-24T10:11:12.123456Z");
        let half = t + chrono::Duration::milliseconds(500);
        assert_eq!(rfc3339(&half), "2026-07-24T10:11:12.5Z");
        let nanos = t + chrono::Duration::nanoseconds(1);
        assert_eq!(rfc3339(&nanos), "2026-07-24T10:11:12.000000001Z");
    }

    #[test]
    fn time_string_matches_go() {
        let t = Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap();
        assert_eq!(time_string(&t), "2026-07-01 10:00:00 +0000 UTC");
        let micro = t + chrono::Duration::microseconds(120);
        assert_eq!(time_string(&micro), "2026-07-01 10:00:00.00012 +0000 UTC");
    }

    #[test]
    fn db_time_drops_nanoseconds() {
        let t = Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(rfc3339(&db_time(t)), "2026-07-01T10:00:00.123456Z");
    }

    #[test]
    fn durations_match_go() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_nanos(1_100), "1.1µs"),
            (Duration::from_micros(2_200), "2.2ms"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_millis(1_500), "1.5s"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_secs(59), "59s"),
            (Duration::from_secs(60), "1m0s"),
            (Duration::from_secs(61), "1m1s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(3600 * 25 + 62), "25h1m2s"),
            (Duration::from_millis(90_250), "1m30.25s"),
        ];
        for (d, want) in cases {
            assert_eq!(duration(d), want, "{d:?}");
        }
    }
}
