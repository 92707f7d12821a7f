//! The values no output may contain: the session token and every device and user code seen
//! during the run. Each sink (stderr, JSON, JUnit, snapshots) passes its text through here.

use std::sync::{Arc, Mutex};

const MASK: &str = "***";
/// Shorter halves are not masked on their own: they would match ordinary text.
const MIN_SECRET_PART: usize = 12;

/// A shared, growing set of secret strings.
#[derive(Clone, Debug, Default)]
pub struct Secrets(Arc<Mutex<Vec<String>>>);

impl Secrets {
    /// Remembers `value` as secret. Empty values are ignored (they would match everywhere).
    pub fn add(&self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut values = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !values.iter().any(|known| known == value) {
            values.push(value.to_owned());
            // Longest first, so a secret that contains another is masked whole.
            values.sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// Remembers a session token, and its secret half on its own: a server that echoes only
    /// the part after `<id>-` must not leak it either.
    pub fn add_session_token(&self, token: &str) {
        self.add(token);
        if let Some((_, secret)) = token.split_once('-')
            && secret.len() >= MIN_SECRET_PART
        {
            self.add(secret);
        }
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let values = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        values
            .iter()
            .fold(text.to_owned(), |text, secret| text.replace(secret, MASK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_of_every_secret() {
        let secrets = Secrets::default();
        secrets.add("abc");
        secrets.add("abcdef");
        secrets.add("");
        assert_eq!(secrets.redact("x abcdef y abc z"), "x *** y *** z");
        assert_eq!(secrets.redact("nothing here"), "nothing here");
    }

    #[test]
    fn the_secret_half_of_a_token_is_masked_alone() {
        let secrets = Secrets::default();
        secrets.add_session_token("abcdefghij-0123456789abcdefghijkl");
        assert_eq!(
            secrets.redact("echo 0123456789abcdefghijkl and abcdefghij-0123456789abcdefghijkl"),
            "echo *** and ***"
        );
        secrets.add_session_token("short-x");
        assert_eq!(secrets.redact("x short"), "x short");
    }
}
