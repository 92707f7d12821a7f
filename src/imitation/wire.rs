//! The JSON Coder writes: private structs whose field order is the Go struct's (the generated
//! `types` sort fields alphabetically), and an encoder that behaves like Go's `json.Encoder`
//! with HTML escaping: compact, `<`, `>`, `&`, U+2028 and U+2029 escaped, trailing newline.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::config::{AppInstallation, ProviderUser};
use super::gotime;

/// `codersdk.Response`, the error envelope.
#[derive(Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub detail: &'a str,
}

/// `codersdk.ListUserExternalAuthResponse`.
#[derive(Serialize)]
pub(crate) struct ListBody<'a> {
    pub providers: Vec<ProviderBody<'a>>,
    pub links: Vec<LinkBody<'a>>,
}

/// `codersdk.ExternalAuthLinkProvider`.
#[derive(Serialize)]
pub(crate) struct ProviderBody<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub device: bool,
    pub display_name: &'a str,
    pub display_icon: &'a str,
    pub allow_refresh: bool,
    pub allow_validate: bool,
    /// `None` in releases without the field (before 2.27.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_revocation: Option<bool>,
    /// `None` in releases without the field (before 2.30.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<&'a [String]>,
}

/// `codersdk.ExternalAuthLink`.
#[derive(Serialize)]
pub(crate) struct LinkBody<'a> {
    pub provider_id: &'a str,
    #[serde(serialize_with = "go_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "go_time")]
    pub updated_at: DateTime<Utc>,
    pub has_refresh_token: bool,
    #[serde(serialize_with = "go_time")]
    pub expires: DateTime<Utc>,
    pub authenticated: bool,
    pub validate_error: Cow<'a, str>,
}

/// `codersdk.ExternalAuth`.
#[derive(Serialize)]
pub(crate) struct ExternalAuthBody<'a> {
    pub authenticated: bool,
    pub device: bool,
    pub display_name: &'a str,
    /// `None` in releases without the field (before 2.27.0); never true where sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_revocation: Option<bool>,
    pub user: Option<&'a ProviderUser>,
    pub app_installable: bool,
    pub installations: &'a [AppInstallation],
    pub app_install_url: &'a str,
}

/// What DELETE answered before 2.27.0: the JSON string `"OK"`.
pub(crate) const DELETE_OK: &str = "OK";

/// `codersdk.DeleteExternalAuthByIDResponse`.
#[derive(Serialize)]
pub(crate) struct DeleteBody {
    pub token_revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_revocation_error: Option<String>,
}

/// `codersdk.ExternalAuthDevice`.
#[derive(Serialize)]
pub(crate) struct DeviceBody<'a> {
    pub device_code: &'a str,
    pub user_code: &'a str,
    pub verification_uri: &'a str,
    pub expires_in: i64,
    pub interval: i64,
}

fn go_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&gotime::rfc3339(t))
}

/// Encodes `value` as Go's `json.NewEncoder(w).Encode(value)` would (HTML escaping on).
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    serde_json::to_writer(&mut out, value).expect("serialising to memory cannot fail");
    finish(out)
}

/// Encodes a JSON value (from a response hook) with keys in Go struct order where the key is
/// one of Coder's field names, then the rest alphabetically: serde_json's map is sorted, so
/// without this a hooked response would lose Go's order.
pub(crate) fn encode_value(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value);
    finish(out)
}

fn write_value(out: &mut Vec<u8>, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by_key(|(key, _)| (go_rank(key), key.as_str()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("in-memory write");
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("in-memory write"),
    }
}

/// One order consistent with every Coder struct in these endpoints (keys that share a struct
/// keep their Go order); unknown keys sort after all of them.
const GO_KEY_ORDER: &[&str] = &[
    "providers",
    "links",
    "id",
    "type",
    "provider_id",
    "created_at",
    "updated_at",
    "has_refresh_token",
    "expires",
    "authenticated",
    "validate_error",
    "device",
    "display_name",
    "display_icon",
    "allow_refresh",
    "allow_validate",
    "supports_revocation",
    "code_challenge_methods_supported",
    "user",
    "app_installable",
    "installations",
    "app_install_url",
    "login",
    "avatar_url",
    "profile_url",
    "name",
    "account",
    "configure_url",
    "token_revoked",
    "token_revocation_error",
    "device_code",
    "user_code",
    "verification_uri",
    "expires_in",
    "interval",
    "message",
    "field",
    "detail",
    "validations",
];

fn go_rank(key: &str) -> usize {
    GO_KEY_ORDER
        .iter()
        .position(|known| *known == key)
        .unwrap_or(GO_KEY_ORDER.len())
}

/// Applies Go's HTML-safe escaping to serde_json's compact output and adds the newline.
/// serde_json never writes `<`, `>`, `&` or U+2028/9 outside strings, so a byte-level
/// rewrite is exact.
fn finish(json: Vec<u8>) -> Vec<u8> {
    let needs = json.iter().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2));
    let mut out = if needs {
        let mut out = Vec::with_capacity(json.len() + 16);
        let mut i = 0;
        while i < json.len() {
            match json[i] {
                b'<' => out.extend_from_slice(b"\\u003c"),
                b'>' => out.extend_from_slice(b"\\u003e"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                0xE2 if json.get(i + 1) == Some(&0x80)
                    && matches!(json.get(i + 2), Some(0xA8 | 0xA9)) =>
                {
                    let tail: &[u8] = if json[i + 2] == 0xA8 { b"8" } else { b"9" };
                    out.extend_from_slice(b"\\u202");
                    out.extend_from_slice(tail);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        out
    } else {
        json
    };
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let body = ErrorBody {
            message: "a<b>&c\u{2028}\u{2029}é",
            detail: "",
        };
        assert_eq!(
            String::from_utf8(encode(&body)).unwrap(),
            "{\"message\":\"a\\u003cb\\u003e\\u0026c\\u2028\\u2029é\"}\n"
        );
    }

    #[test]
    fn detail_is_omitted_when_empty() {
        let body = ErrorBody {
            message: "m",
            detail: "d",
        };
        assert_eq!(encode(&body), b"{\"message\":\"m\",\"detail\":\"d\"}\n");
    }

    #[test]
    fn hooked_values_keep_go_order() {
        let value = serde_json::json!({
            "validations": [{"detail": "x", "field": "f"}],
            "detail": "d",
            "message": "m",
            "zz_extra": 1,
        });
        assert_eq!(
            String::from_utf8(encode_value(&value)).unwrap(),
            "{\"message\":\"m\",\"detail\":\"d\",\"validations\":[{\"field\":\"f\",\"detail\":\"x\"}],\"zz_extra\":1}\n"
        );
    }
}
