//! Coder's API rate limit (`httpmw.RateLimit`): a request budget per window, counted per
//! caller and per request path. The caller is the user for a valid token from 2.32.0, else
//! the client IP (the service picks it, as the release decides).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Who a request is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Caller {
    /// The (single) user, for a request with a valid token.
    User,
    /// Anyone else, by address.
    Ip(IpAddr),
}

/// Counters kept at once: one per caller and path, and the path is the client's choice.
pub(crate) const MAX_WINDOWS: usize = 4096;

/// Fixed-window counters.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    pub limit: u32,
    pub window: Duration,
    windows: HashMap<(Caller, String), (Instant, u32)>,
}

/// The outcome of counting one request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    /// When the current window ends.
    pub resets_in: Duration,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: HashMap::new(),
        }
    }

    /// Counts one request from `caller` to `path`.
    pub fn hit(&mut self, caller: Caller, path: &str, now: Instant) -> Verdict {
        if self.windows.len() >= MAX_WINDOWS {
            // Forget finished windows so a long-running server does not grow without bound.
            let window = self.window;
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < window);
            if self.windows.len() >= MAX_WINDOWS {
                // Still full within one window (many distinct paths): start counting afresh,
                // erring towards letting requests through, as a test double may.
                self.windows.clear();
            }
        }
        let entry = self
            .windows
            .entry((caller, path.to_owned()))
            .or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        Verdict {
            allowed: entry.1 <= self.limit,
            remaining: self.limit.saturating_sub(entry.1),
            resets_in: self.window.saturating_sub(now.duration_since(entry.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_caller_and_path_and_resets() {
        let mut limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(limiter.hit(Caller::User, "/a", t0).allowed);
        assert_eq!(limiter.hit(Caller::User, "/a", t0).remaining, 0);
        assert!(!limiter.hit(Caller::User, "/a", t0).allowed);
        assert!(limiter.hit(Caller::User, "/b", t0).allowed);
        let ip = Caller::Ip(IpAddr::from([127, 0, 0, 1]));
        assert!(limiter.hit(ip, "/a", t0).allowed);
        assert!(
            limiter
                .hit(Caller::User, "/a", t0 + Duration::from_secs(60))
                .allowed
        );
    }
}
