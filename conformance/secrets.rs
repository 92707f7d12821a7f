//! The values no output may contain: the session token and every device and user code seen
//! during the run. Secrets are masked in the data, before anything is serialised: text
//! replacement over finished JSON or XML can break its syntax and misses escaped forms.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use aho_corasick::AhoCorasick;
use coder_external_auth::{AgentToken, Operation, SessionToken};
use serde_json::Value;

/// What a masked secret becomes.
pub const MASK: &str = "***";
/// Secrets shorter than this are masked only where a whole string equals them: inside
/// longer text they would match ordinary words (a one-letter code would eat every `e`).
pub const MIN_MASKABLE_LEN: usize = 8;
/// Shorter secret halves of a token are not masked on their own, for the same reason.
const MIN_SECRET_PART: usize = 12;

/// A shared, growing set of secret strings.
#[derive(Clone, Debug, Default)]
pub struct Secrets(Arc<Mutex<Known>>);

/// Every cost here is linear in what was added and what is masked: a server that sends
/// thousands of secret values (an agent answer's `token_extra`) must not make bookkeeping
/// quadratic. Membership is a hash set; masking is one pass of one automaton over the text.
#[derive(Debug, Default)]
struct Known {
    /// Secrets masked wherever they occur.
    maskable: Vec<String>,
    /// Secrets too short to mask inside text: masked only where a whole string equals one.
    whole_only: HashSet<String>,
    seen: HashSet<String>,
    /// The automaton over `maskable`, built when first needed after a change.
    matcher: Option<AhoCorasick>,
}

impl Secrets {
    /// Remembers `value` as secret. Empty values are ignored (they would match everywhere).
    pub fn add(&self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut known = self.lock();
        if !known.seen.insert(value.to_owned()) {
            return;
        }
        if value.chars().count() < MIN_MASKABLE_LEN {
            known.whole_only.insert(value.to_owned());
        } else {
            known.maskable.push(value.to_owned());
            known.matcher = None;
        }
    }

    /// Remembers a secret the server sent as JSON of any type (a code sent as a number is
    /// still a code): strings as they are, anything else as its JSON text.
    pub fn add_json(&self, value: &Value) {
        match value {
            Value::String(text) => self.add(text),
            Value::Null => {}
            other => self.add(&other.to_string()),
        }
    }

    /// Remembers a session token, and its secret half on its own: a server that echoes only
    /// the part after `<id>-` must not leak it either. The one place besides the client
    /// builder that reads the token.
    pub fn add_session_token(&self, token: &SessionToken) {
        let token = token.expose();
        self.add(token);
        if let Some((_, secret)) = token.split_once('-')
            && secret.len() >= MIN_SECRET_PART
        {
            self.add(secret);
        }
    }

    /// Remembers a workspace agent token (a UUID, no `<id>-<secret>` structure).
    pub fn add_agent_token(&self, token: &AgentToken) {
        self.add(token.expose());
    }

    /// Remembers the secrets an answer of `operation` carries, before anything is reported:
    /// the device and user codes from the moment the server hands them out, and the owner's
    /// token from the agent routes. The one place that knows which answers hold secrets.
    pub fn add_answer(&self, operation: Operation, body: &Value) {
        match operation {
            Operation::GetExternalAuthDeviceById => {
                for key in ["device_code", "user_code"] {
                    if let Some(code) = body.get(key) {
                        self.add_json(code);
                    }
                }
            }
            Operation::GetWorkspaceAgentExternalAuth
            | Operation::RemovedGetWorkspaceAgentGitAuth => self.add_agent_answer(body),
            _ => {}
        }
    }

    /// Remembers the secrets of an agent-route answer (`agentsdk.ExternalAuthResponse`): the
    /// access token, the password, every value inside `token_extra`, and the username unless
    /// it is one of git's fixed names (`oauth2`, `x-token-auth`), since for most provider types
    /// it is the token itself.
    pub fn add_agent_answer(&self, body: &Value) {
        for key in ["access_token", "password"] {
            if let Some(value) = body.get(key) {
                self.add_json(value);
            }
        }
        if let Some(username) = body.get("username")
            && !matches!(username.as_str(), Some("oauth2" | "x-token-auth"))
        {
            self.add_json(username);
        }
        if let Some(extra) = body.get("token_extra") {
            self.add_leaves(extra);
        }
    }

    /// Every scalar inside `value`, at any depth.
    fn add_leaves(&self, value: &Value) {
        match value {
            Value::Object(map) => map.values().for_each(|v| self.add_leaves(v)),
            Value::Array(items) => items.iter().for_each(|v| self.add_leaves(v)),
            other => self.add_json(other),
        }
    }

    /// How many secrets were too short to mask inside text (reports say so).
    pub fn too_short(&self) -> usize {
        self.lock().whole_only.len()
    }

    /// `text` with every secret masked: a maskable one wherever it occurs, a short one only
    /// when it is the whole text.
    pub fn mask_str(&self, text: &str) -> String {
        let mut known = self.lock();
        let matcher = known.matcher();
        known.mask_text(&matcher, text)
    }

    /// Masks `text` in place; returns whether anything changed.
    pub fn mask_in_place(&self, text: &mut String) -> bool {
        let masked = self.mask_str(text);
        let changed = masked != *text;
        *text = masked;
        changed
    }

    /// Masks every string in `value`; with `keys`, object keys too (a server's body), without
    /// only values. Returns whether anything changed.
    pub fn mask_value(&self, value: &mut Value, keys: bool) -> bool {
        let mut known = self.lock();
        let matcher = known.matcher();
        known.mask_in(&matcher, value, keys)
    }

    fn lock(&self) -> MutexGuard<'_, Known> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Known {
    /// The automaton over every maskable secret (cheap to clone: shared inside).
    fn matcher(&mut self) -> Option<AhoCorasick> {
        if self.maskable.is_empty() {
            return None;
        }
        if self.matcher.is_none() {
            // Built from the secrets themselves, which are bounded by the bodies they came
            // from; an error here would mean a pattern set the crate refuses, which masks
            // nothing less: fall back to masking each secret by itself.
            self.matcher = AhoCorasick::new(&self.maskable).ok();
        }
        self.matcher.clone()
    }

    /// Every byte any secret covers is masked, overlapping occurrences included: two secrets
    /// that overlap in the text become one mask, so neither shows a part of itself.
    fn mask_text(&self, matcher: &Option<AhoCorasick>, text: &str) -> String {
        let mut out = match matcher {
            Some(matcher) => mask_covered(text, covered_ranges(matcher, text)),
            None => self.mask_each(text),
        };
        if self.whole_only.contains(&out) {
            out = MASK.to_owned();
        }
        out
    }

    /// The slow path, only if the automaton could not be built: one secret at a time.
    fn mask_each(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.maskable {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    fn mask_in(&self, matcher: &Option<AhoCorasick>, value: &mut Value, keys: bool) -> bool {
        match value {
            Value::String(text) => {
                let masked = self.mask_text(matcher, text);
                let changed = masked != *text;
                *text = masked;
                changed
            }
            Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
                self.mask_in(matcher, item, keys) | changed
            }),
            Value::Object(map) if !keys => map.values_mut().fold(false, |changed, item| {
                self.mask_in(matcher, item, keys) | changed
            }),
            Value::Object(map) => {
                let mut changed = false;
                for (key, mut item) in std::mem::take(map) {
                    changed |= self.mask_in(matcher, &mut item, keys);
                    let masked = self.mask_text(matcher, &key);
                    changed |= masked != key;
                    map.insert(masked, item);
                }
                changed
            }
            _ => false,
        }
    }
}

/// The byte ranges of `text` some secret covers, merged where they touch or overlap.
fn covered_ranges(matcher: &AhoCorasick, text: &str) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // Overlapping matches come in order of their end; sort by start to merge.
    let mut found: Vec<(usize, usize)> = matcher
        .find_overlapping_iter(text)
        .map(|found| (found.start(), found.end()))
        .collect();
    found.sort_unstable();
    for (start, end) in found {
        match ranges.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => ranges.push((start, end)),
        }
    }
    ranges
}

fn mask_covered(text: &str, ranges: Vec<(usize, usize)>) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in ranges {
        // Secrets are whole strings, so a match starts and ends on character boundaries.
        out.push_str(&text[at..start]);
        out.push_str(MASK);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_every_occurrence_of_every_maskable_secret() {
        let secrets = Secrets::default();
        secrets.add("abcdefgh");
        secrets.add("abcdefghijkl");
        secrets.add("");
        assert_eq!(
            secrets.mask_str("x abcdefghijkl y abcdefgh z"),
            "x *** y *** z"
        );
        assert_eq!(secrets.mask_str("nothing here"), "nothing here");
    }

    #[test]
    fn a_short_secret_is_masked_only_as_a_whole_value_and_counted() {
        let secrets = Secrets::default();
        secrets.add("e");
        assert_eq!(secrets.too_short(), 1);
        let mut value = json!({"message": "e", "detail": "the e in here stays"});
        assert!(secrets.mask_value(&mut value, true));
        assert_eq!(
            value,
            json!({"message": "***", "detail": "the e in here stays"})
        );
    }

    #[test]
    fn keys_are_masked_only_when_asked() {
        let secrets = Secrets::default();
        secrets.add("s3cr3t-value");
        let mut body = json!({"s3cr3t-value": ["a s3cr3t-value"]});
        let mut report = body.clone();
        secrets.mask_value(&mut body, true);
        secrets.mask_value(&mut report, false);
        assert_eq!(body, json!({"***": ["a ***"]}));
        assert_eq!(report, json!({"s3cr3t-value": ["a ***"]}));
    }

    #[test]
    fn overlapping_secrets_are_masked_whole() {
        let secrets = Secrets::default();
        secrets.add("abcdefgh12");
        secrets.add("gh12345678");
        assert_eq!(secrets.mask_str("<abcdefgh12345678>"), "<***>");
    }

    #[test]
    fn thousands_of_secrets_cost_linear_time() {
        // A guard against quadratic bookkeeping, not a speed claim: 20,000 distinct secrets
        // and a 1 MiB text are masked in one pass each.
        let secrets = Secrets::default();
        for index in 0..20_000 {
            secrets.add(&format!("secret-value-{index:06}"));
        }
        let text = "secret-value-019999 ".repeat(50_000);
        let masked = secrets.mask_str(&text);
        assert_eq!(masked, "*** ".repeat(50_000));
    }

    #[test]
    fn non_string_codes_are_secrets_too() {
        let secrets = Secrets::default();
        secrets.add_json(&json!(123456789012_u64));
        assert_eq!(secrets.mask_str("code 123456789012"), "code ***");
    }

    #[test]
    fn the_secret_half_of_a_token_is_masked_alone() {
        let secrets = Secrets::default();
        secrets.add_session_token(&SessionToken::new("abcdefghij-0123456789abcdefghijkl"));
        assert_eq!(
            secrets.mask_str("echo 0123456789abcdefghijkl and abcdefghij-0123456789abcdefghijkl"),
            "echo *** and ***"
        );
        secrets.add_session_token(&SessionToken::new("short-x"));
        assert_eq!(secrets.mask_str("x short"), "x short");
    }

    /// A seeded generator (xorshift): the same thousands of cases every run.
    struct Seeded(u64);

    impl Seeded {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn text(&mut self, len: usize) -> String {
            const ALPHABET: &[char] = &[
                'a', 'e', 'Z', '7', '"', '\\', '\t', '\n', '<', '&', '\'', ':', '/', 'é', '*', ' ',
            ];
            (0..len)
                .map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize])
                .collect()
        }

        /// A body in which `secret` hides in keys, values and longer strings.
        fn body(&mut self, secret: &str, depth: u32) -> Value {
            let pick = self.next() % 6;
            match (pick, depth) {
                (0, _) | (_, 0) => Value::String(secret.to_owned()),
                (1, _) => {
                    let (before, after) = (self.next() % 5, self.next() % 5);
                    let (before, after) = (self.text(before as usize), self.text(after as usize));
                    Value::String(format!("{before}{secret}{after}"))
                }
                (2, _) => Value::from(self.next() % 1000),
                (3, _) => Value::Array((0..3).map(|_| self.body(secret, depth - 1)).collect()),
                _ => {
                    let mut map = serde_json::Map::new();
                    for _ in 0..3 {
                        let key = if self.next().is_multiple_of(2) {
                            secret.to_owned()
                        } else {
                            self.text(4)
                        };
                        map.insert(key, self.body(secret, depth - 1));
                    }
                    Value::Object(map)
                }
            }
        }
    }

    #[test]
    fn masked_bodies_always_serialise_and_never_hold_a_maskable_secret() {
        let mut generator = Seeded(0x00c0_ffee_1234_5678);
        for _ in 0..3_000 {
            let len = MIN_MASKABLE_LEN + (generator.next() % 24) as usize;
            let secret = generator.text(len);
            let secrets = Secrets::default();
            secrets.add(&secret);
            let mut body = generator.body(&secret, 4);
            secrets.mask_value(&mut body, true);
            let text = serde_json::to_string(&body).unwrap();
            let reparsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(reparsed, body);
            let escaped = serde_json::to_string(&secret).unwrap();
            assert!(
                !text.contains(&escaped[1..escaped.len() - 1]),
                "{secret:?} in {text}"
            );
        }
    }

    #[test]
    fn short_secrets_never_corrupt_what_they_sit_in() {
        let mut generator = Seeded(0x0000_5eed_0000_0001);
        for _ in 0..3_000 {
            let len = 1 + (generator.next() % 7) as usize;
            let secret = generator.text(len);
            let secrets = Secrets::default();
            secrets.add(&secret);
            let original = json!({"message": "Failed to exchange device code.", "detail": "EOF"});
            let mut body = original.clone();
            secrets.mask_value(&mut body, false);
            // Only a value that is the whole secret may change; keys and other text never.
            for key in ["message", "detail"] {
                let before = original[key].as_str().unwrap();
                let after = body[key].as_str().unwrap();
                assert!(
                    after == before || (before == secret && after == MASK),
                    "{secret:?}"
                );
            }
        }
    }
}
