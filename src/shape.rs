//! A value-free structural summary of a JSON document: keys, JSON types, nullness,
//! `date-time` strings and array element shapes. Two responses with the same structure and
//! different data have equal shapes, so one accepted shape serves every deployment.
//!
//! Where the contract allows any keys (a free-form object, such as the agent route's
//! `token_extra`), the keys are data too: [`shape_guided`] gives such a place one shape
//! whatever it holds.
//!
//! Pure: depends on serde_json only.

use serde_json::{Map, Value};

/// The shape of a free-form object: the same for every key set.
pub const FREE_FORM_SHAPE: &str = "object(free-form)";
/// The shape of a nullable free-form object, null or filled: both are the contract's forms.
pub const NULLABLE_FREE_FORM_SHAPE: &str = "object(free-form)|null";

/// One step of a [`FreeForm`] place's path from the document's root.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathStep {
    /// The value of this key of an object.
    Key(String),
    /// Every element of an array.
    AnyItem,
}

/// A place where the contract allows any keys (`additionalProperties` and no named
/// properties), found from the contract's schema.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FreeForm {
    pub path: Vec<PathStep>,
    /// The contract also allows `null` there.
    pub nullable: bool,
}

/// The shape of `value`, as JSON: scalars become their type name (`"string"`,
/// `"string(date-time)"`, `"integer"`, `"number"`, `"boolean"`, `"null"`), objects keep their
/// keys (serde_json sorts them), and arrays hold the distinct shapes of their elements, sorted.
///
/// Values at the top-level keys named in `keep` are kept verbatim: use it for stable contract
/// strings such as an error `message`, never for deployment data.
pub fn shape_of(value: &Value, keep: &[&str]) -> Value {
    shape_guided(value, keep, &[])
}

/// [`shape_of`], with each place in `free_form` shaped as [`FREE_FORM_SHAPE`] (or
/// [`NULLABLE_FREE_FORM_SHAPE`]) when it holds an object (or, where nullable, null). Anything
/// else there (a string where an object belongs) keeps its own shape, so it still shows.
pub fn shape_guided(value: &Value, keep: &[&str], free_form: &[FreeForm]) -> Value {
    let mut path = Vec::new();
    guided(value, keep, free_form, &mut path)
}

fn guided(value: &Value, keep: &[&str], free_form: &[FreeForm], path: &mut Vec<PathStep>) -> Value {
    if let Some(place) = free_form.iter().find(|place| place.path == *path) {
        match value {
            Value::Object(_) if place.nullable => return Value::from(NULLABLE_FREE_FORM_SHAPE),
            Value::Object(_) => return Value::from(FREE_FORM_SHAPE),
            Value::Null if place.nullable => return Value::from(NULLABLE_FREE_FORM_SHAPE),
            _ => {}
        }
    }
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, inner)| {
                    let shape = if keep.contains(&key.as_str()) && !inner.is_object() {
                        inner.clone()
                    } else {
                        path.push(PathStep::Key(key.clone()));
                        let shape = guided(inner, &[], free_form, path);
                        path.pop();
                        shape
                    };
                    (key.clone(), shape)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => {
            path.push(PathStep::AnyItem);
            let mut shapes: Vec<Value> = items
                .iter()
                .map(|item| guided(item, &[], free_form, path))
                .collect();
            path.pop();
            // Sorting by the compact text gives a stable order without comparing Values.
            shapes.sort_by_cached_key(|shape| shape.to_string());
            shapes.dedup();
            Value::Array(shapes)
        }
        other => scalar_shape(other),
    }
}

fn scalar_shape(value: &Value) -> Value {
    let name = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(text) if is_date_time(text) => "string(date-time)",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => unreachable!("containers are shaped by guided"),
    };
    Value::String(name.to_owned())
}

/// RFC 3339 date-time as Go emits it: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
pub fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let at = |index: usize, expected: &[u8]| bytes.get(index).is_some_and(|b| expected.contains(b));
    let date_and_time = digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19);
    if !date_and_time {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return false;
        }
        rest = &fraction[length..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|digit| digit.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_hold_no_values() {
        let body =
            json!({"id": 583231, "login": "octocat", "ok": true, "score": 1.5, "user": null});
        assert_eq!(
            shape_of(&body, &[]),
            json!({"id": "integer", "login": "string", "ok": "boolean", "score": "number", "user": "null"})
        );
    }

    #[test]
    fn equal_structures_with_different_data_have_equal_shapes() {
        let a = json!({"links": [{"expires": "0001-01-01T00:00:00Z", "provider_id": "github"}]});
        let b = json!({"links": [
            {"expires": "2026-07-20T11:15:02.123456+02:00", "provider_id": "gitlab"},
            {"expires": "2026-07-20T09:15:02Z", "provider_id": "x"}]});
        assert_eq!(shape_of(&a, &[]), shape_of(&b, &[]));
        assert_eq!(
            shape_of(&a, &[]),
            json!({"links": [{"expires": "string(date-time)", "provider_id": "string"}]})
        );
    }

    #[test]
    fn arrays_list_distinct_element_shapes_in_a_stable_order() {
        let mixed = json!([1, "a", 2, {"k": null}, "b"]);
        assert_eq!(
            shape_of(&mixed, &[]),
            json!(["integer", "string", {"k": "null"}])
        );
        assert_eq!(shape_of(&json!([]), &[]), json!([]));
    }

    #[test]
    fn kept_keys_keep_their_values_only_at_the_top() {
        let body =
            json!({"message": "Route not found.", "detail": "EOF", "nested": {"message": "x"}});
        assert_eq!(
            shape_of(&body, &["message"]),
            json!({"message": "Route not found.", "detail": "string", "nested": {"message": "string"}})
        );
    }

    #[test]
    fn a_free_form_object_has_one_shape_whatever_its_keys() {
        let extra = FreeForm {
            path: vec![PathStep::Key("token_extra".into())],
            nullable: true,
        };
        let guide = [extra];
        let none = json!({"token_extra": null, "type": "fake"});
        let some = json!({"token_extra": {"scope": "repo"}, "type": "fake"});
        let other = json!({"token_extra": {"authed_user": {"id": 1}, "x": 2}, "type": "fake"});
        assert_eq!(
            shape_guided(&none, &[], &guide),
            shape_guided(&some, &[], &guide)
        );
        assert_eq!(
            shape_guided(&some, &[], &guide),
            shape_guided(&other, &[], &guide)
        );
        assert_eq!(
            shape_guided(&some, &[], &guide),
            json!({"token_extra": NULLABLE_FREE_FORM_SHAPE, "type": "string"})
        );
        // Unguided, the keys are the shape: the false alarm the guide prevents.
        assert_ne!(shape_of(&none, &[]), shape_of(&some, &[]));
        // A value of the wrong type still shows.
        let wrong = json!({"token_extra": "scope", "type": "fake"});
        assert_eq!(
            shape_guided(&wrong, &[], &guide),
            json!({"token_extra": "string", "type": "string"})
        );
    }

    #[test]
    fn free_form_places_inside_arrays_match_every_element() {
        let guide = [FreeForm {
            path: vec![PathStep::AnyItem, PathStep::Key("extra".into())],
            nullable: false,
        }];
        let body = json!([{"extra": {"a": 1}}, {"extra": {"b": "x", "c": null}}]);
        assert_eq!(
            shape_guided(&body, &[], &guide),
            json!([{"extra": FREE_FORM_SHAPE}])
        );
        // Not nullable: null keeps its own shape.
        let null = json!([{"extra": null}]);
        assert_eq!(shape_guided(&null, &[], &guide), json!([{"extra": "null"}]));
    }

    #[test]
    fn date_times_as_go_writes_them() {
        for ok in [
            "0001-01-01T00:00:00Z",
            "2026-07-24T10:11:12.123456Z",
            "2026-07-24T10:11:12.1+02:00",
            "2026-07-24T10:11:12-07:30",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2026-07-24",
            "2026-07-24 10:11:12Z",
            "2026-07-24T10:11:12",
            "2026-07-24T10:11:12.Z",
            "2026-07-24T10:11:12+0200",
            "API key expired at \"2026-07-01 10:00:00 +0000 UTC\".",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
