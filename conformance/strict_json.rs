//! Reads a body as JSON the way a careful client must: UTF-8 only, and every object with the
//! same key twice named (serde_json keeps the last one silently; other parsers keep the first).
//! One pass builds the value and finds the duplicates.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A body that is JSON, with the JSON paths of any repeated keys (the value keeps the last).
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub value: Value,
    pub duplicates: Vec<String>,
}

impl Parsed {
    /// The value, unless a key was repeated: then what a careful client refuses.
    pub fn strict(&self) -> Result<&Value, String> {
        if self.duplicates.is_empty() {
            Ok(&self.value)
        } else {
            Err(format!("duplicate keys: {}", self.duplicates.join(", ")))
        }
    }
}

/// Parses `bytes`, failing on invalid UTF-8, invalid JSON or trailing data.
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let text = std::str::from_utf8(bytes).map_err(|err| format!("body is not UTF-8: {err}"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut duplicates = Vec::new();
    let value = Builder {
        path: String::new(),
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value))
    .map_err(|err| format!("body is not JSON: {err}"))?;
    Ok(Parsed { value, duplicates })
}

/// Builds a value, recording the JSON path of every repeated key.
struct Builder<'a> {
    path: String,
    duplicates: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Builder<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Builder<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }
    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // serde_json never hands a parser a non-finite number.
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }
    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Builder {
            path: format!("{}/{}", self.path, items.len()),
            duplicates: self.duplicates,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}/{key}", self.path);
            let value = map.next_value_seed(Builder {
                path: path.clone(),
                duplicates: self.duplicates,
            })?;
            if object.insert(key, value).is_some() {
                self.duplicates.push(path);
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_json() {
        let text = br#"{"a":[1,{"b":null}],"c":"\u00e9","n":-1.5,"u":18446744073709551615}"#;
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.value["c"], "é");
        assert_eq!(parsed.value, serde_json::from_slice::<Value>(text).unwrap());
        assert!(parsed.duplicates.is_empty());
    }

    #[test]
    fn names_duplicate_keys_by_path() {
        let parsed = parse(br#"{"a":1,"l":[{"x":1,"x":2}],"a":3}"#).unwrap();
        assert_eq!(parsed.strict().unwrap_err(), "duplicate keys: /l/0/x, /a");
        // Like serde_json, the last value wins.
        assert_eq!(parsed.value["a"], 3);
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
