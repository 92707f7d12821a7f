//! Reads a JSON Schema object of either format into the model's `Schema`: follows local
//! `$ref`s, folds `allOf` members together, reads `anyOf: [shape, null]` as a nullable shape
//! and stops at reference cycles. Bounded: every node visited counts against
//! `MAX_SCHEMA_NODES`, every name kept against `MAX_NAME_BYTES`.

use std::cell::Cell;
use std::collections::BTreeSet;

use anyhow::{Context, bail};
use serde_json::Value;

use super::model::Schema;

/// Deeper than any real API description nests; a `$ref` chain or a nesting this deep is refused.
const MAX_DEPTH: usize = 64;

/// The most nodes one description may expand to while its in-scope operations are read: every
/// schema visited (a definition again each time a `$ref` reaches it), every `$ref` followed,
/// every `required` entry and `type` list member. The curated spec takes 445 and Coder's
/// swagger.json 52. Depth alone cannot bound a fan-out: definitions that each reference the
/// next twice double the tree per level (24 levels, 16 million nodes, from 3 KB of JSON); this
/// stops it at the fourteenth.
pub(crate) const MAX_SCHEMA_NODES: usize = 10_000;

/// The longest name kept from a description: a property or parameter name, a `$ref`, a `type`,
/// a `format`, a `required` entry, an in-scope path, a `basePath` or server URL. Real ones are
/// under 64 bytes. Every node copies its names and every difference its operation's path, so
/// this and `MAX_SCHEMA_NODES` together bound what a description can make the diff hold.
pub(crate) const MAX_NAME_BYTES: usize = 1024;

/// Resolves schemas against one document. The two formats differ only in the nullable keyword
/// (`nullable` in OpenAPI 3.0, `x-nullable` in Swagger 2.0) and where `$ref`s point, and a
/// JSON pointer into the document root covers both `#/definitions/..` and `#/components/..`.
pub(crate) struct Resolver<'a> {
    root: &'a Value,
    nullable_key: &'static str,
    /// Nodes visited so far, across every operation of the document.
    nodes: Cell<usize>,
    /// The named schemas reached since the last `take_types`.
    types: Cell<BTreeSet<String>>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Value, nullable_key: &'static str) -> Self {
        Self {
            root,
            nullable_key,
            nodes: Cell::new(0),
            types: Cell::new(BTreeSet::new()),
        }
    }

    /// Follows a chain of `$ref`s (parameters, responses, request bodies) to the object itself.
    pub(crate) fn deref(&self, mut value: &'a Value) -> anyhow::Result<&'a Value> {
        for _ in 0..MAX_DEPTH {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    self.charge(1)?;
                    value = self.target(reference)?;
                }
                None => return Ok(value),
            }
        }
        bail!("$ref chain longer than {MAX_DEPTH} links")
    }

    pub(crate) fn schema(&self, value: &Value) -> anyhow::Result<Schema> {
        let schema = self.walk(value, &mut Vec::new(), 0);
        if schema.is_err() && self.exhausted() {
            // The trail of `$ref`s and properties that led here is as long as the fan-out is
            // deep, and says nothing the limit does not.
            bail!(budget_message());
        }
        schema
    }

    /// A string member of `value` (a parameter's `name` or `in`), empty when absent.
    pub(crate) fn name_of(&self, value: &Value, key: &str) -> anyhow::Result<String> {
        let text = value.get(key).and_then(Value::as_str).unwrap_or_default();
        Ok(kept(&format!("`{key}`"), text)?.to_owned())
    }

    /// The named schemas (`codersdk.ExternalAuth`, `ExternalAuth`) reached since the last call.
    pub(crate) fn take_types(&self) -> BTreeSet<String> {
        self.types.take()
    }

    fn exhausted(&self) -> bool {
        self.nodes.get() > MAX_SCHEMA_NODES
    }

    fn charge(&self, nodes: usize) -> anyhow::Result<()> {
        self.nodes.set(self.nodes.get().saturating_add(nodes));
        if self.exhausted() {
            bail!(budget_message());
        }
        Ok(())
    }

    fn target(&self, reference: &str) -> anyhow::Result<&'a Value> {
        let reference = kept("`$ref`", reference)?;
        let Some(pointer) = reference.strip_prefix('#') else {
            bail!("$ref `{reference}` points outside the document; only local references are read")
        };
        self.root
            .pointer(pointer)
            .with_context(|| format!("$ref `{reference}` points at nothing in the document"))
    }

    /// Notes the definition a schema `$ref` names: the top-level entry of `#/definitions/` or
    /// `#/components/schemas/`, unescaped.
    fn note_type(&self, reference: &str) {
        let Some(rest) = ["#/definitions/", "#/components/schemas/"]
            .iter()
            .find_map(|prefix| reference.strip_prefix(prefix))
        else {
            return;
        };
        let name = rest.split('/').next().unwrap_or_default();
        let mut types = self.types.take();
        types.insert(name.replace("~1", "/").replace("~0", "~"));
        self.types.set(types);
    }

    fn walk(&self, value: &Value, stack: &mut Vec<String>, depth: usize) -> anyhow::Result<Schema> {
        if depth > MAX_DEPTH {
            bail!("schema nested deeper than {MAX_DEPTH} levels");
        }
        self.charge(1)?;
        // A schema may be `true`/`{}` (anything): an empty Schema says exactly that.
        let Some(object) = value.as_object() else {
            return Ok(Schema::default());
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let reference = kept("`$ref`", reference)?;
            if stack.iter().any(|seen| seen == reference) {
                return Ok(Schema {
                    cycle: Some(reference.to_owned()),
                    ..Schema::default()
                });
            }
            let target = self.target(reference)?;
            self.note_type(reference);
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
            ty: object
                .get("type")
                .map(|ty| self.type_name(ty))
                .transpose()?,
            format: object
                .get("format")
                .and_then(Value::as_str)
                .map(|format| kept("`format`", format).map(str::to_owned))
                .transpose()?,
            nullable: self.nullable(value),
            ..Schema::default()
        };
        if let Some(required) = object.get("required").and_then(Value::as_array) {
            self.charge(required.len())?;
            for name in required.iter().filter_map(Value::as_str) {
                schema
                    .required
                    .insert(kept("`required` entry", name)?.to_owned());
            }
        }
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let name = kept("property name", name)?;
                let property = self
                    .walk(property, stack, depth + 1)
                    .with_context(|| format!("in property `{name}`"))?;
                schema.properties.insert(name.to_owned(), property);
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

    /// `"string"`, or `"integer|null"` for the (non-3.0) array form, so it still compares.
    fn type_name(&self, value: &Value) -> anyhow::Result<String> {
        match value {
            Value::String(name) => Ok(kept("`type`", name)?.to_owned()),
            Value::Array(names) => {
                self.charge(names.len())?;
                let mut joined = String::new();
                for name in names.iter().filter_map(Value::as_str) {
                    if !joined.is_empty() {
                        joined.push('|');
                    }
                    // Checked before it is copied, so an oversized member is never duplicated.
                    kept("`type`", name)?;
                    joined.push_str(name);
                    kept("`type`", &joined)?;
                }
                Ok(joined)
            }
            other => bounded_json(other),
        }
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

/// `text`, when it is at most `MAX_NAME_BYTES` long; `what` names it in the error.
pub(crate) fn kept<'t>(what: &str, text: &'t str) -> anyhow::Result<&'t str> {
    if text.len() > MAX_NAME_BYTES {
        bail!(
            "a {what} of {} bytes is longer than {MAX_NAME_BYTES} bytes (MAX_NAME_BYTES, the limit for a name); no real API description has one",
            text.len()
        );
    }
    Ok(text)
}

fn budget_message() -> String {
    format!(
        "its schemas expand to more than {MAX_SCHEMA_NODES} nodes (MAX_SCHEMA_NODES, the limit per description); \
         `$ref`s that fan out this far describe no real API: is it the document you meant?"
    )
}

/// A `type` that is neither a string nor a list (an object, a number) as its JSON text, written
/// no further than `MAX_NAME_BYTES`: a large one is refused before it is copied whole.
fn bounded_json(value: &Value) -> anyhow::Result<String> {
    struct Limited(Vec<u8>);
    impl std::io::Write for Limited {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0.len() + buf.len() > MAX_NAME_BYTES {
                return Err(std::io::Error::other("over MAX_NAME_BYTES"));
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Limited(Vec::new());
    if serde_json::to_writer(&mut out, value).is_err() {
        bail!(
            "a `type` longer than {MAX_NAME_BYTES} bytes (MAX_NAME_BYTES, the limit for a name); no real API description has one"
        );
    }
    Ok(String::from_utf8_lossy(&out.0).into_owned())
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

    #[test]
    fn a_reference_fan_out_stops_at_the_node_budget_with_a_short_message() {
        let mut definitions = serde_json::Map::new();
        for level in 0..20 {
            let next = json!({"$ref": format!("#/definitions/D{}", level + 1)});
            definitions.insert(
                format!("D{level}"),
                json!({"type": "object", "properties": {"a": next.clone(), "b": next}}),
            );
        }
        definitions.insert("D20".into(), json!({"type": "string"}));
        let doc = json!({ "definitions": definitions });
        let resolver = Resolver::new(&doc, "x-nullable");
        let err = format!(
            "{:#}",
            resolver
                .schema(&json!({"$ref": "#/definitions/D0"}))
                .unwrap_err()
        );
        assert!(
            err.contains("more than 10000 nodes (MAX_SCHEMA_NODES"),
            "{err}"
        );
        assert!(!err.contains("in $ref"), "{err}");
        // Spent is spent: the next schema of the same document fails at once.
        assert!(resolver.schema(&json!({"type": "string"})).is_err());
    }

    #[test]
    fn schema_references_are_noted_as_types_until_taken() {
        let doc = json!({"definitions": {
            "codersdk.A": {"type": "object", "properties": {"b": {"$ref": "#/definitions/B~1x"}}},
            "B/x": {"type": "string"}
        }});
        let resolver = Resolver::new(&doc, "x-nullable");
        resolver
            .schema(&json!({"$ref": "#/definitions/codersdk.A"}))
            .unwrap();
        let types: Vec<String> = resolver.take_types().into_iter().collect();
        assert_eq!(types, ["B/x", "codersdk.A"]);
        assert!(resolver.take_types().is_empty());
    }

    #[test]
    fn names_over_the_limit_are_refused_before_they_are_copied() {
        let doc = json!({});
        let resolver = Resolver::new(&doc, "nullable");
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        let err = resolver
            .schema(&json!({"type": "object", "properties": {long.as_str(): {}}}))
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("a property name of 1025 bytes"),
            "{err:#}"
        );
        let at_limit = "x".repeat(MAX_NAME_BYTES);
        assert!(
            resolver
                .schema(&json!({"type": "string", "format": at_limit}))
                .is_ok()
        );
    }
}
