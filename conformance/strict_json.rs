//! Reads a body as JSON the way a careful client must: UTF-8 only, and no object with the
//! same key twice (serde_json keeps the last one silently; other parsers keep the first).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Parses `bytes`, failing on invalid UTF-8, invalid JSON, trailing data or duplicate keys.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|err| format!("body is not UTF-8: {err}"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut duplicates = Vec::new();
    DuplicateScan {
        path: String::new(),
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end())
    .map_err(|err| format!("body is not JSON: {err}"))?;
    if !duplicates.is_empty() {
        return Err(format!("duplicate keys: {}", duplicates.join(", ")));
    }
    serde_json::from_str(text).map_err(|err| format!("body is not JSON: {err}"))
}

/// Walks a document, recording the JSON path of every repeated key.
struct DuplicateScan<'a> {
    path: String,
    duplicates: &'a mut Vec<String>,
}

impl<'de> de::DeserializeSeed<'de> for DuplicateScan<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateScan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(DuplicateScan {
                path: format!("{}/{index}", self.path),
                duplicates: self.duplicates,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}/{key}", self.path);
            if !seen.insert(key) {
                self.duplicates.push(path.clone());
            }
            map.next_value_seed(DuplicateScan {
                path,
                duplicates: self.duplicates,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_json() {
        assert_eq!(
            parse(br#"{"a":[1,{"b":null}],"c":"\u00e9"}"#).unwrap()["c"],
            "é"
        );
    }

    #[test]
    fn names_duplicate_keys_by_path() {
        let err = parse(br#"{"a":1,"l":[{"x":1,"x":2}],"a":3}"#).unwrap_err();
        assert_eq!(err, "duplicate keys: /l/0/x, /a");
    }

    #[test]
    fn rejects_invalid_utf8_truncation_and_trailing_data() {
        assert!(
            parse(b"{\"a\":\"\xff\"}")
                .unwrap_err()
                .contains("not UTF-8")
        );
        assert!(parse(br#"{"a":"#).unwrap_err().contains("not JSON"));
        assert!(parse(br#"{} {}"#).unwrap_err().contains("not JSON"));
        assert!(parse(b"").unwrap_err().contains("not JSON"));
    }
}
