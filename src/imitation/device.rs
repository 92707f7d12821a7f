//! The provider's side of the device flow (RFC 8628 as GitHub runs it): issuing codes and
//! answering polls with GitHub's error codes until the user approves, denies or the code
//! expires.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::Rng;

/// Device-flow settings from the builder.
#[derive(Clone, Debug)]
pub(crate) struct DeviceSettings {
    /// `interval` reported, in seconds.
    pub interval: i64,
    /// `expires_in` reported, in seconds; also how long a code lives.
    pub expires_in: i64,
    /// Answer `slow_down` when polled faster than the interval.
    pub enforce_interval: bool,
    /// Approve a pending code on this poll.
    pub auto_approve_after: Option<u32>,
    /// The provider's token for an approved code: its lifetime in seconds (`None`: it never
    /// expires, as GitHub's device tokens) and whether it comes with a refresh token.
    pub token_expires_in: Option<i64>,
    pub token_refresh: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved,
    Denied,
}

#[derive(Debug)]
struct Authorization {
    provider_id: String,
    user_code: String,
    serial: u64,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    polls: u32,
    decision: Decision,
}

/// A freshly issued authorization, as GET device reports it.
#[derive(Debug)]
pub(crate) struct Issued {
    pub device_code: String,
    pub user_code: String,
}

/// The most device authorizations kept at once. Every GET device issues one, and nothing
/// obliges a client to poll it to the end, so without a cap the store grows with the request
/// count (measured: 1.1 M GET device calls took `serve` from 7 to 409 MB). Past the cap the
/// oldest code is forgotten; polling it then answers `incorrect_device_code`.
pub(crate) const MAX_DEVICE_CODES: usize = 10_000;

/// Every outstanding device authorization, by device code.
#[derive(Debug, Default)]
pub(crate) struct DeviceStore {
    by_code: HashMap<String, Authorization>,
    /// Device codes in issue order; codes already used stay here until evicted or compacted.
    order: VecDeque<String>,
    serial: u64,
}

/// RFC 8628 §6.1's recommended user-code alphabet: no vowels, no look-alikes.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

impl DeviceStore {
    /// Starts a new authorization for `provider_id`.
    pub fn issue(&mut self, provider_id: &str, settings: &DeviceSettings, now: Instant) -> Issued {
        self.make_room();
        let mut rng = rand::rng();
        let device_code: String = (0..40)
            .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
            .collect();
        let mut user_code = String::with_capacity(9);
        for i in 0..8 {
            if i == 4 {
                user_code.push('-');
            }
            user_code.push(char::from(
                USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())],
            ));
        }
        self.serial += 1;
        let lifetime = Duration::from_secs(u64::try_from(settings.expires_in).unwrap_or(0));
        self.order.push_back(device_code.clone());
        self.by_code.insert(
            device_code.clone(),
            Authorization {
                provider_id: provider_id.to_owned(),
                user_code: user_code.clone(),
                serial: self.serial,
                expires_at: now + lifetime,
                interval: Duration::from_secs(u64::try_from(settings.interval).unwrap_or(0)),
                last_poll: None,
                polls: 0,
                decision: Decision::Pending,
            },
        );
        Issued {
            device_code,
            user_code,
        }
    }

    /// One poll with `device_code` at `provider_id`'s token URL: `Ok` once approved (the code
    /// is then used up), otherwise GitHub's error code.
    pub fn poll(
        &mut self,
        provider_id: &str,
        device_code: &str,
        settings: &DeviceSettings,
        now: Instant,
    ) -> Result<(), &'static str> {
        let Some(auth) = self
            .by_code
            .get_mut(device_code)
            .filter(|auth| auth.provider_id == provider_id)
        else {
            return Err("incorrect_device_code");
        };
        auth.polls = auth.polls.saturating_add(1);
        if now >= auth.expires_at {
            return Err("expired_token");
        }
        if auth.decision == Decision::Denied {
            return Err("access_denied");
        }
        let too_fast = auth
            .last_poll
            .is_some_and(|last| now.duration_since(last) < auth.interval);
        auth.last_poll = Some(now);
        if settings.enforce_interval && too_fast {
            // RFC 8628 §3.5: every slow_down adds 5 seconds to the interval.
            auth.interval += Duration::from_secs(5);
            return Err("slow_down");
        }
        if auth.decision == Decision::Pending
            && settings.auto_approve_after.is_some_and(|n| auth.polls >= n)
        {
            auth.decision = Decision::Approved;
        }
        if auth.decision == Decision::Approved {
            self.by_code.remove(device_code);
            return Ok(());
        }
        Err("authorization_pending")
    }

    /// Approves (or denies) the pending, unexpired authorization with this user code.
    pub fn decide(&mut self, user_code: &str, approve: bool, now: Instant) -> bool {
        let wanted = user_code.trim().to_ascii_uppercase();
        match self.by_code.values_mut().find(|auth| {
            auth.user_code == wanted && auth.decision == Decision::Pending && now < auth.expires_at
        }) {
            Some(auth) => {
                auth.decision = if approve {
                    Decision::Approved
                } else {
                    Decision::Denied
                };
                true
            }
            None => false,
        }
    }

    /// Expires every outstanding code now.
    pub fn expire_all(&mut self, now: Instant) {
        for auth in self.by_code.values_mut() {
            auth.expires_at = now;
        }
    }

    /// User codes awaiting a decision, oldest first.
    pub fn pending_user_codes(&self, now: Instant) -> Vec<String> {
        let mut pending: Vec<_> = self
            .by_code
            .values()
            .filter(|auth| auth.decision == Decision::Pending && now < auth.expires_at)
            .map(|auth| (auth.serial, auth.user_code.clone()))
            .collect();
        pending.sort_unstable();
        pending.into_iter().map(|(_, code)| code).collect()
    }

    /// How many authorizations are kept (used, evicted and forgotten ones excluded).
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Frees a place below [`MAX_DEVICE_CODES`]. Every code of a server is issued with the
    /// same lifetime (and `expire_all` expires them all at one instant), so issue order is
    /// expiry order: evicting from the front drops expired codes first, then the oldest live
    /// ones, in O(1) per code.
    fn make_room(&mut self) {
        while self.by_code.len() >= MAX_DEVICE_CODES {
            let Some(code) = self.order.pop_front() else {
                break;
            };
            self.by_code.remove(&code);
        }
        // Used codes leave stale entries behind; keep the queue within twice the cap.
        if self.order.len() >= 2 * MAX_DEVICE_CODES {
            let by_code = &self.by_code;
            self.order.retain(|code| by_code.contains_key(code));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(enforce: bool, auto: Option<u32>) -> DeviceSettings {
        DeviceSettings {
            interval: 5,
            expires_in: 899,
            enforce_interval: enforce,
            auto_approve_after: auto,
            token_expires_in: None,
            token_refresh: false,
        }
    }

    #[test]
    fn codes_have_github_shapes() {
        let mut store = DeviceStore::default();
        let issued = store.issue("github", &settings(true, None), Instant::now());
        assert_eq!(issued.device_code.len(), 40);
        assert!(issued.device_code.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(issued.user_code.len(), 9);
        assert_eq!(&issued.user_code[4..5], "-");
    }

    #[test]
    fn poll_state_machine() {
        let s = settings(true, None);
        let mut store = DeviceStore::default();
        let t0 = Instant::now();
        let issued = store.issue("github", &s, t0);
        let code = issued.device_code.as_str();
        assert_eq!(
            store.poll("gitlab", code, &s, t0),
            Err("incorrect_device_code")
        );
        assert_eq!(
            store.poll("github", code, &s, t0),
            Err("authorization_pending")
        );
        assert_eq!(store.poll("github", code, &s, t0), Err("slow_down"));
        // The interval is now 10 s.
        let t1 = t0 + Duration::from_secs(6);
        assert_eq!(store.poll("github", code, &s, t1), Err("slow_down"));
        let t2 = t1 + Duration::from_secs(16);
        assert!(store.decide(&issued.user_code.to_lowercase(), true, t2));
        assert_eq!(store.poll("github", code, &s, t2), Ok(()));
        assert_eq!(
            store.poll("github", code, &s, t2),
            Err("incorrect_device_code")
        );
    }

    #[test]
    fn deny_expire_and_auto_approve() {
        let s = settings(false, Some(2));
        let mut store = DeviceStore::default();
        let t0 = Instant::now();
        let a = store.issue("github", &s, t0);
        let b = store.issue("github", &s, t0);
        let c = store.issue("github", &s, t0);
        assert_eq!(
            store.pending_user_codes(t0),
            vec![
                a.user_code.clone(),
                b.user_code.clone(),
                c.user_code.clone()
            ]
        );
        assert!(store.decide(&a.user_code, false, t0));
        assert!(!store.decide(&a.user_code, true, t0));
        assert_eq!(
            store.poll("github", &a.device_code, &s, t0),
            Err("access_denied")
        );
        assert_eq!(
            store.poll("github", &b.device_code, &s, t0),
            Err("authorization_pending")
        );
        assert_eq!(store.poll("github", &b.device_code, &s, t0), Ok(()));
        store.expire_all(t0);
        assert_eq!(
            store.poll("github", &c.device_code, &s, t0),
            Err("expired_token")
        );
        assert!(store.pending_user_codes(t0).is_empty());
    }

    #[test]
    fn the_store_is_capped_and_forgets_the_oldest_first() {
        let s = settings(false, None);
        let mut store = DeviceStore::default();
        let t0 = Instant::now();
        let first = store.issue("github", &s, t0);
        let second = store.issue("github", &s, t0);
        // Polled to the end: gone from the map, a stale entry in the queue.
        assert!(store.decide(&second.user_code, true, t0));
        assert_eq!(store.poll("github", &second.device_code, &s, t0), Ok(()));
        let mut last = None;
        for _ in 0..MAX_DEVICE_CODES + 5 {
            last = Some(store.issue("github", &s, t0));
        }
        assert_eq!(store.len(), MAX_DEVICE_CODES);
        assert!(store.order.len() <= 2 * MAX_DEVICE_CODES);
        assert_eq!(
            store.poll("github", &first.device_code, &s, t0),
            Err("incorrect_device_code")
        );
        let last = last.unwrap();
        assert_eq!(
            store.poll("github", &last.device_code, &s, t0),
            Err("authorization_pending")
        );
        // Many used codes never grow the queue past twice the cap.
        let mut store = DeviceStore::default();
        for _ in 0..3 * MAX_DEVICE_CODES {
            let issued = store.issue("github", &s, t0);
            assert!(store.decide(&issued.user_code, true, t0));
            assert_eq!(store.poll("github", &issued.device_code, &s, t0), Ok(()));
        }
        assert_eq!(store.len(), 0);
        assert!(store.order.len() <= 2 * MAX_DEVICE_CODES);
    }

    #[test]
    fn expired_codes_are_evicted_before_live_ones() {
        let s = settings(false, None);
        let mut store = DeviceStore::default();
        let t0 = Instant::now();
        for _ in 0..MAX_DEVICE_CODES / 2 {
            store.issue("github", &s, t0);
        }
        store.expire_all(t0);
        let t1 = t0 + Duration::from_secs(1);
        let live: Vec<Issued> = (0..MAX_DEVICE_CODES / 2)
            .map(|_| store.issue("github", &s, t1))
            .collect();
        let newest = store.issue("github", &s, t1);
        assert_eq!(store.len(), MAX_DEVICE_CODES);
        // One expired code made room; every live one is still there.
        assert!(
            live.iter()
                .chain([&newest])
                .all(|issued| store.by_code.contains_key(&issued.device_code))
        );
    }
}
