//! Reads a JSON Schema object of either format into the model's `Schema`: follows local
//! `$ref`s, folds `allOf` members together, reads `anyOf: [shape, null]` as a nullable shape
//! and stops at reference cycles.

use anyhow::{Context, bail};
use serde_json::Value;

use super::model::Schema;

/// Deeper than any real API description nests; stops a pathological (non-cyclic but
/// exponentially branching) document from running away.
const MAX_DEPTH: usize = 64;

/// Resolves schemas against one document. The two formats differ only in the nullable keyword
/// (`nullable` in OpenAPI 3.0, `x-nullable` in Swagger 2.0) and where `$ref`s point, and a
/// JSON pointer into the document root covers both `#/definitions/..` and `#/components/..`.
pub(crate) struct Resolver<'a> {
    root: &'a Value,
    nullable_key: &'static str,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Value, nullable_key: &'static str) -> Self {
        Self { root, nullable_key }
    }

    /// Follows a chain of `$ref`s (parameters, responses, request bodies) to the object itself.
    pub(crate) fn deref(&self, mut value: &'a Value) -> anyhow::Result<&'a Value> {
        for _ in 0..MAX_DEPTH {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => value = self.target(reference)?,
                None => return Ok(value),
            }
        }
        bail!("$ref chain longer than {MAX_DEPTH} links")
    }

    pub(crate) fn schema(&self, value: &Value) -> anyhow::Result<Schema> {
        self.walk(value, &mut Vec::new(), 0)
    }

    fn target(&self, reference: &str) -> anyhow::Result<&'a Value> {
        let Some(pointer) = reference.strip_prefix('#') else {
            bail!("$ref `{reference}` points outside the document; only local references are read")
        };
        self.root
            .pointer(pointer)
            .with_context(|| format!("$ref `{reference}` points at nothing in the document"))
    }

    fn walk(&self, value: &Value, stack: &mut Vec<String>, depth: usize) -> anyhow::Result<Schema> {
        if depth > MAX_DEPTH {
            bail!("schema nested deeper than {MAX_DEPTH} levels");
        }
        // A schema may be `true`/`{}` (anything): an empty Schema says exactly that.
        let Some(object) = value.as_object() else {
            return Ok(Schema::default());
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            if stack.iter().any(|seen| seen == reference) {
                return Ok(Schema {
                    cycle: Some(reference.to_owned()),
                    ..Schema::default()
                });
            }
            let target = self.target(reference)?;
            stack.push(reference.to_owned());
            let resolved = self.walk(target, stack, depth + 1);
            stack.pop();
            let mut schema = resolved.with_context(|| format!("in $ref `{reference}`"))?;
            // The specs say siblings of `$ref` are ignored, but generators (swaggo among them)
            // put the nullable flag there and readers honour it; so do we.
            schema.nullable |= self.nullable(value);
            return Ok(schema);
        }

        let mut schema = Schema {
            ty: object.get("type").map(type_name),
            format: object
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_owned),
            nullable: self.nullable(value),
            ..Schema::default()
        };
        if let Some(required) = object.get("required").and_then(Value::as_array) {
            schema.required = required
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let property = self
                    .walk(property, stack, depth + 1)
                    .with_context(|| format!("in property `{name}`"))?;
                schema.properties.insert(name.clone(), property);
            }
        }
        if let Some(items) = object.get("items") {
            schema.items = Some(Box::new(self.walk(items, stack, depth + 1)?));
        }
        // `allOf` is how both formats wrap a `$ref` to attach a description or nullability, and
        // the only composition these documents use; the members' constraints all apply, so they
        // fold into one shape. The wrapper's own keywords win where both say something.
        if let Some(members) = object.get("allOf").and_then(Value::as_array) {
            for member in members {
                let member = self.walk(member, stack, depth + 1)?;
                merge(&mut schema, member);
            }
        }
        // OpenAPI 3.0.3's `nullable` acts only beside `type`, so a nullable reference is
        // `anyOf: [{$ref}, {enum: [null]}]`: one shape or null. Other unions stay opaque.
        for key in ["anyOf", "oneOf"] {
            let Some(members) = object.get(key).and_then(Value::as_array) else {
                continue;
            };
            let (nulls, shapes): (Vec<&Value>, Vec<&Value>) =
                members.iter().partition(|member| null_only(member));
            if let ([shape], false) = (shapes.as_slice(), nulls.is_empty()) {
                let member = self.walk(shape, stack, depth + 1)?;
                merge(&mut schema, member);
                schema.nullable = true;
            }
        }
        Ok(schema)
    }

    fn nullable(&self, value: &Value) -> bool {
        value.get(self.nullable_key).and_then(Value::as_bool) == Some(true)
    }
}

/// A schema only `null` satisfies: `{enum: [null]}`, with or without a `type` and `nullable`.
fn null_only(value: &Value) -> bool {
    value
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| !values.is_empty() && values.iter().all(Value::is_null))
}

/// `"string"`, or `"integer|null"` for the (non-3.0) array form, so it still compares.
fn type_name(value: &Value) -> String {
    match value {
        Value::String(name) => name.clone(),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("|"),
        other => other.to_string(),
    }
}

fn merge(into: &mut Schema, member: Schema) {
    if into.ty.is_none() {
        into.ty = member.ty;
    }
    if into.format.is_none() {
        into.format = member.format;
    }
    into.nullable |= member.nullable;
    into.required.extend(member.required);
    for (name, property) in member.properties {
        into.properties.entry(name).or_insert(property);
    }
    if into.items.is_none() {
        into.items = member.items;
    }
    if into.cycle.is_none() {
        into.cycle = member.cycle;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn all_of_ref_with_nullable_resolves_to_the_target_shape() {
        let doc = json!({"components": {"schemas": {
            "User": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "format": "int64"}}}
        }}});
        let resolver = Resolver::new(&doc, "nullable");
        let schema = resolver
            .schema(&json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/User"}]}))
            .unwrap();
        assert_eq!(schema.ty.as_deref(), Some("object"));
        assert!(schema.nullable);
        assert!(schema.required.contains("id"));
        assert_eq!(schema.properties["id"].format.as_deref(), Some("int64"));
    }

    #[test]
    fn any_of_ref_or_null_resolves_to_the_target_shape_made_nullable() {
        let doc = json!({"components": {"schemas": {
            "User": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
        }}});
        let resolver = Resolver::new(&doc, "nullable");
        let schema = resolver
            .schema(&json!({"anyOf": [{"$ref": "#/components/schemas/User"}, {"enum": [null]}]}))
            .unwrap();
        assert_eq!(schema.ty.as_deref(), Some("object"));
        assert!(schema.nullable);
        assert!(schema.required.contains("id"));
        // A union of two shapes is not a nullable reference.
        let union = resolver
            .schema(&json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"enum": [null]}]}))
            .unwrap();
        assert_eq!(union, Schema::default());
    }

    #[test]
    fn swagger_reads_x_nullable_and_ignores_nullable() {
        let doc = json!({});
        let resolver = Resolver::new(&doc, "x-nullable");
        assert!(
            resolver
                .schema(&json!({"type": "string", "x-nullable": true}))
                .unwrap()
                .nullable
        );
        assert!(
            !resolver
                .schema(&json!({"type": "string", "nullable": true}))
                .unwrap()
                .nullable
        );
    }

    #[test]
    fn a_reference_cycle_stops_at_the_repeated_reference() {
        let doc = json!({"definitions": {"Node": {"type": "object", "properties": {
            "child": {"$ref": "#/definitions/Node"},
            "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}
        }}}});
        let resolver = Resolver::new(&doc, "x-nullable");
        let schema = resolver
            .schema(&json!({"$ref": "#/definitions/Node"}))
            .unwrap();
        assert_eq!(
            schema.properties["child"].cycle.as_deref(),
            Some("#/definitions/Node")
        );
        let items = schema.properties["children"].items.as_ref().unwrap();
        assert_eq!(items.cycle.as_deref(), Some("#/definitions/Node"));
    }

    #[test]
    fn dangling_and_external_references_are_errors() {
        let doc = json!({});
        let resolver = Resolver::new(&doc, "nullable");
        let err = resolver
            .schema(&json!({"$ref": "#/definitions/Missing"}))
            .unwrap_err();
        assert!(format!("{err:#}").contains("points at nothing"), "{err:#}");
        let err = resolver
            .schema(&json!({"$ref": "other.json#/X"}))
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("outside the document"),
            "{err:#}"
        );
    }
}
