//! The curated spec as the binary carries it: embedded at compile time (the same file the
//! typed client was generated from), and parsed once. The contract and the release
//! boundaries are both read from it.

use serde_json::Value;

/// Where the curated spec lives in the repository, as messages name it.
pub(crate) const SPEC_FILE: &str = "openapi/coder-external-auth.json";
/// The curated spec's text.
pub(crate) const SPEC: &str = include_str!("../openapi/coder-external-auth.json");

/// The curated spec as JSON, parsed once.
pub fn spec() -> &'static Value {
    static PARSED: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        serde_json::from_str(SPEC).expect("the embedded spec is JSON (a test holds it to that)")
    })
}
