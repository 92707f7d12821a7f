//! The one reading of a duration flag (`--timeout`, `--list-timeout`, `--device-flow-deadline`,
//! `--agent-listen-timeout`, `diff --timeout`): a number of seconds, more than 0 and at most
//! [`MAX_FLAG_SECS`]. A bound above every sensible value keeps `u64::MAX` or `1e300` from
//! overflowing a deadline or making a run that never ends.

use std::time::Duration;

use anyhow::bail;

/// The longest any duration flag may be: one hour.
pub const MAX_FLAG_SECS: f64 = 3600.0;

/// `value` seconds as the flag `flag` gave them, or an error that names the flag.
pub fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= MAX_FLAG_SECS) {
        bail!("{flag} {value}: give a number of seconds more than 0 and at most {MAX_FLAG_SECS}");
    }
    Ok(Duration::from_secs_f64(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sensible_durations_pass() {
        assert_eq!(
            seconds("--timeout", 1.5).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            seconds("--timeout", 3600.0).unwrap(),
            Duration::from_secs(3600)
        );
        for bad in [
            0.0,
            -1.0,
            3600.001,
            1e300,
            f64::NAN,
            f64::INFINITY,
            u64::MAX as f64,
        ] {
            let err = seconds("--agent-listen-timeout", bad)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("--agent-listen-timeout"), "{err}");
        }
    }
}
