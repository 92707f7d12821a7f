//! The places in a response where the contract allows any keys (`additionalProperties` and no
//! named properties, such as the agent route's `token_extra`), read from the contract's
//! schema, so that the shape of a response never depends on the data a deployment keeps there.

use coder_external_auth::shape::{FreeForm, PathStep};
use serde_json::Value;

/// How deep a schema is followed: the contract's schemas are a few levels deep; a `$ref`
/// cycle stops here instead of looping.
const MAX_SHAPE_GUIDE_DEPTH: usize = 32;

/// The free-form places of a body of the schema named `schema` (`X`, or `X[]` for an array of
/// `X`) in `components`.
pub fn free_form_places(components: &Value, schema: &str) -> Vec<FreeForm> {
    let mut places = Vec::new();
    let mut path = Vec::new();
    match schema.strip_suffix("[]") {
        Some(item) => {
            path.push(PathStep::AnyItem);
            walk(components, &named(item), false, &mut path, &mut places, 0);
        }
        None => walk(components, &named(schema), false, &mut path, &mut places, 0),
    }
    places.sort();
    places.dedup();
    places
}

fn named(schema: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{schema}") })
}

fn walk(
    components: &Value,
    node: &Value,
    nullable: bool,
    path: &mut Vec<PathStep>,
    places: &mut Vec<FreeForm>,
    depth: usize,
) {
    if depth > MAX_SHAPE_GUIDE_DEPTH {
        return;
    }
    let nullable = nullable || node.get("nullable") == Some(&Value::Bool(true));
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        if let Some(resolved) = target
            .strip_prefix("#/components/")
            .and_then(|pointer| components.pointer(&format!("/{pointer}")))
        {
            walk(components, resolved, nullable, path, places, depth + 1);
        }
        return;
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        let Some(branches) = node.get(keyword).and_then(Value::as_array) else {
            continue;
        };
        // `anyOf: [X, {enum: [null]}]` is how the spec writes a nullable reference.
        let nullable = nullable || branches.iter().any(admits_only_null);
        for branch in branches.iter().filter(|branch| !admits_only_null(branch)) {
            walk(components, branch, nullable, path, places, depth + 1);
        }
    }
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (key, property) in properties {
            path.push(PathStep::Key(key.clone()));
            walk(components, property, false, path, places, depth + 1);
            path.pop();
        }
    } else if node.get("additionalProperties").is_some_and(admits_keys) {
        places.push(FreeForm {
            path: path.clone(),
            nullable,
        });
    }
    if let Some(items) = node.get("items") {
        path.push(PathStep::AnyItem);
        walk(components, items, false, path, places, depth + 1);
        path.pop();
    }
}

fn admits_only_null(schema: &Value) -> bool {
    schema.get("enum") == Some(&serde_json::json!([null]))
        || schema.get("type") == Some(&Value::from("null"))
}

/// `additionalProperties: true` or a schema: keys beyond the named ones are allowed.
fn admits_keys(additional: &Value) -> bool {
    additional != &Value::Bool(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_agent_answer_has_one_free_form_place_its_token_extra() {
        let doc: Value = serde_json::from_str(crate::curated::SPEC).unwrap();
        let places = free_form_places(&doc["components"], "ExternalAuthResponse");
        assert_eq!(
            places,
            vec![FreeForm {
                path: vec![PathStep::Key("token_extra".into())],
                nullable: true,
            }]
        );
    }

    #[test]
    fn named_objects_and_their_nullable_references_are_not_free_form() {
        let doc: Value = serde_json::from_str(crate::curated::SPEC).unwrap();
        assert_eq!(free_form_places(&doc["components"], "ExternalAuth"), vec![]);
        assert_eq!(
            free_form_places(&doc["components"], "ExternalAuthLinks"),
            vec![]
        );
    }

    #[test]
    fn arrays_references_and_cycles() {
        let components = json!({"schemas": {
            "Item": {"type": "object", "properties": {
                "extra": {"type": "object", "additionalProperties": {"type": "string"}},
                "again": {"$ref": "#/components/schemas/Item"},
                "named": {"type": "object", "additionalProperties": true, "properties": {"a": {"type": "string"}}}
            }}
        }});
        let places = free_form_places(&components, "Item[]");
        let extra = |depth: usize| {
            let mut path = vec![PathStep::AnyItem];
            path.extend(std::iter::repeat_n(PathStep::Key("again".into()), depth));
            path.push(PathStep::Key("extra".into()));
            FreeForm {
                path,
                nullable: false,
            }
        };
        // Every element's `extra`, and the same place one and two `$ref`s down.
        assert!(places.contains(&extra(0)), "{places:?}");
        assert!(places.contains(&extra(1)), "{places:?}");
        assert!(places.contains(&extra(2)), "{places:?}");
        // An object with named properties is not free-form, even if it admits more keys.
        assert!(
            places
                .iter()
                .all(|place| place.path.last() == Some(&PathStep::Key("extra".into())))
        );
        // The cycle is cut at MAX_SHAPE_GUIDE_DEPTH, not followed for ever.
        assert!(places.len() <= MAX_SHAPE_GUIDE_DEPTH);
    }
}
