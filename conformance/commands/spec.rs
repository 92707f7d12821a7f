//! `conformance spec`: prints the curated contract the binary embeds, so that people without
//! this repository can feed it to other tools: as JSON or YAML, as the OpenAPI 3.0.3 file or
//! rendered as OpenAPI 3.1.0.

use std::borrow::Cow;
use std::io::{ErrorKind, Write};

use coder_external_auth::CoderVersion;

use anyhow::{Context, bail};
use serde_norway::{Mapping, Value};

use crate::cli::{OpenApiVersion, SpecArgs, SpecFormat};
use crate::curated::{SPEC, SPEC_FILE};
use crate::exit::Exit;
use crate::releases::{self, OLDEST_SUPPORTED};

/// Where the OpenAPI 3.1 rendering lives, for messages that ask for a new conversion.
const CONVERTER: &str = "conformance/commands/spec.rs";

pub fn run(args: &SpecArgs) -> anyhow::Result<Exit> {
    let text = render(
        &contract_text(args.coder_version)?,
        args.format,
        args.openapi,
    )?;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(Exit::Success),
        // `conformance spec | head` closes the pipe early: the reader took what it wanted.
        Err(err) if err.kind() == ErrorKind::BrokenPipe => Ok(Exit::Success),
        Err(err) => Err(err).context("cannot write the spec to stdout"),
    }
}

/// The contract to print: the curated file as written (every supported release), or the
/// contract of one release, derived from its release annotations. A release's contract is
/// re-serialised, so its keys come out sorted.
fn contract_text(release: Option<CoderVersion>) -> anyhow::Result<Cow<'static, str>> {
    let Some(release) = release else {
        return Ok(Cow::Borrowed(SPEC));
    };
    if release < OLDEST_SUPPORTED {
        bail!(
            "--coder-version {release}: older than the oldest release described ({OLDEST_SUPPORTED})"
        );
    }
    let contract = releases::contract_of(crate::curated::spec(), release);
    let mut text = serde_json::to_string_pretty(&contract)?;
    text.push('\n');
    Ok(Cow::Owned(text))
}

/// `spec` (OpenAPI 3.0.3 JSON) in `format`, as OpenAPI `openapi`.
fn render(spec: &str, format: SpecFormat, openapi: OpenApiVersion) -> anyhow::Result<String> {
    if (format, openapi) == (SpecFormat::Json, OpenApiVersion::V3_0) {
        // The file as written, byte for byte: what `git diff` and checksums see.
        return Ok(spec.to_owned());
    }
    // serde_norway's Value keeps keys in document order; serde_json's would sort them (this
    // build has no preserve_order, and turning it on would reorder every map in the binary).
    let mut doc: Value =
        serde_json::from_str(spec).with_context(|| format!("parse {SPEC_FILE}"))?;
    if openapi == OpenApiVersion::V3_1 {
        to_openapi_3_1(&mut doc)?;
    }
    Ok(match format {
        SpecFormat::Json => {
            let mut text = serde_json::to_string_pretty(&doc)
                .with_context(|| format!("serialise {SPEC_FILE} as JSON"))?;
            text.push('\n');
            text
        }
        SpecFormat::Yaml => serde_norway::to_string(&doc)
            .with_context(|| format!("serialise {SPEC_FILE} as YAML"))?,
    })
}

/// Rewrites an OpenAPI 3.0 document as OpenAPI 3.1.0. Converts the 3.0-only constructs the
/// curated spec uses (the version and `{enum: [null]}`), and refuses those it does not use
/// (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`, schema `example`) rather than
/// print a 3.1 document that means something else.
fn to_openapi_3_1(doc: &mut Value) -> anyhow::Result<()> {
    match doc.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.0.") => {}
        other => bail!("{SPEC_FILE}: `openapi` is {other:?}, not an OpenAPI 3.0 version"),
    }
    doc["openapi"] = Value::from("3.1.0");
    convert_schemas_in(doc, "")
}

/// Finds the schemas outside schemas: `components.schemas`, and every `schema` of a parameter,
/// header or media type.
fn convert_schemas_in(value: &mut Value, pointer: &str) -> anyhow::Result<()> {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                let Some(key) = key.as_str() else { continue };
                let pointer = format!("{pointer}/{}", escape(key));
                if key == "schema" {
                    convert_schema(child, &pointer)?;
                } else if pointer == "/components/schemas" {
                    for_each_value(child, &pointer, convert_schema)?;
                } else {
                    convert_schemas_in(child, &pointer)?;
                }
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                convert_schemas_in(item, &format!("{pointer}/{index}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// One schema and the schemas inside it.
fn convert_schema(schema: &mut Value, pointer: &str) -> anyhow::Result<()> {
    let Value::Mapping(map) = schema else {
        return Ok(());
    };
    convert_nullable(map, pointer)?;
    refuse_unconverted(map, pointer)?;
    if is_enum_of_null(map) {
        // OpenAPI 3.0 has no null type, so a nullable reference is `anyOf: [$ref, {enum:
        // [null]}]`; 3.1 is JSON Schema 2020-12 and says it directly.
        *map = Mapping::from_iter([(Value::from("type"), Value::from("null"))]);
        return Ok(());
    }
    for (key, child) in map.iter_mut() {
        let Some(key) = key.as_str() else { continue };
        let pointer = format!("{pointer}/{}", escape(key));
        match key {
            "items" | "not" | "additionalProperties" => convert_schema(child, &pointer)?,
            "properties" | "patternProperties" => {
                for_each_value(child, &pointer, convert_schema)?;
            }
            "allOf" | "anyOf" | "oneOf" => {
                for (index, item) in child.as_sequence_mut().into_iter().flatten().enumerate() {
                    convert_schema(item, &format!("{pointer}/{index}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The 3.0 schema keywords whose 3.1 meaning differs and that the curated spec does not use
/// yet: converting them is left to the change that first needs them.
fn refuse_unconverted(map: &Mapping, pointer: &str) -> anyhow::Result<()> {
    let refused = |keyword: &str| {
        anyhow::anyhow!(
            "{SPEC_FILE}{pointer}: `{keyword}` is OpenAPI 3.0 only and has no 3.1 rendering yet; \
             add its conversion to {CONVERTER} (with a test) before using it in the spec"
        )
    };
    if map.contains_key("nullable") {
        return Err(refused("nullable"));
    }
    for keyword in ["exclusiveMinimum", "exclusiveMaximum"] {
        if map.get(keyword).is_some_and(Value::is_bool) {
            return Err(refused(keyword));
        }
    }
    if map.contains_key("example") {
        return Err(refused("example"));
    }
    Ok(())
}

/// `type: X, nullable: true` (the form an inline nullable field takes in 3.0) becomes
/// `type: [X, "null"]`; `nullable: false` is dropped. Anything else beside `nullable` (no
/// `type`, an `enum`, a composition) is left for `refuse_unconverted`: its 3.1 meaning needs
/// more than this.
fn convert_nullable(map: &mut Mapping, pointer: &str) -> anyhow::Result<()> {
    let Some(nullable) = map.get("nullable").and_then(Value::as_bool) else {
        return Ok(());
    };
    let simple = ["enum", "allOf", "anyOf", "oneOf", "$ref"]
        .iter()
        .all(|keyword| !map.contains_key(*keyword));
    let kind = map.get("type").and_then(Value::as_str).map(str::to_owned);
    match (nullable, kind) {
        (false, _) => {}
        (true, Some(kind)) if simple => {
            map.insert(
                Value::from("type"),
                Value::Sequence(vec![Value::from(kind), Value::from("null")]),
            );
        }
        _ => {
            return Err(anyhow::anyhow!(
                "{SPEC_FILE}{pointer}: `nullable` is converted to 3.1 only beside a single                  `type` and no enum, composition or $ref; extend {CONVERTER}"
            ));
        }
    }
    map.remove("nullable");
    Ok(())
}

fn is_enum_of_null(map: &Mapping) -> bool {
    map.len() == 1
        && map
            .get("enum")
            .and_then(Value::as_sequence)
            .is_some_and(|values| values.as_slice() == [Value::Null])
}

/// Applies `convert` to every value of the mapping at `value` (named members, not keywords).
fn for_each_value(
    value: &mut Value,
    pointer: &str,
    convert: fn(&mut Value, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for (key, child) in value.as_mapping_mut().into_iter().flatten() {
        let name = key.as_str().unwrap_or_default();
        convert(child, &format!("{pointer}/{}", escape(name)))?;
    }
    Ok(())
}

/// A JSON pointer reference token (RFC 6901).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_3_1(doc: &str) -> anyhow::Result<serde_json::Value> {
        let mut doc: Value = serde_json::from_str(doc).unwrap();
        to_openapi_3_1(&mut doc)?;
        Ok(serde_json::to_value(&doc).unwrap())
    }

    fn embedded() -> serde_json::Value {
        serde_json::from_str(SPEC).unwrap()
    }

    #[test]
    fn json_3_0_is_the_file_byte_for_byte() {
        let text = render(SPEC, SpecFormat::Json, OpenApiVersion::V3_0).unwrap();
        assert_eq!(text, SPEC);
    }

    #[test]
    fn the_ordered_tree_reproduces_the_file() {
        // The 3.1 JSON and both YAML renderings go through serde_norway's Value; this shows
        // that path loses neither a value nor the key order.
        let doc: Value = serde_json::from_str(SPEC).unwrap();
        assert_eq!(serde_json::to_string_pretty(&doc).unwrap() + "\n", SPEC);
    }

    #[test]
    fn conversion_version_becomes_3_1_0() {
        let doc = as_3_1(r#"{"openapi": "3.0.3", "paths": {}}"#).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }

    #[test]
    fn conversion_nullable_beside_a_type_becomes_a_type_array() {
        let doc = as_3_1(
            r#"{"openapi": "3.0.3", "components": {"schemas": {"A": {"type": "object",
                "properties": {"x": {"type": "object", "nullable": true, "description": "d"},
                "y": {"type": "string", "nullable": false}}}}}}"#,
        )
        .unwrap();
        let properties = &doc["components"]["schemas"]["A"]["properties"];
        assert_eq!(
            properties["x"],
            serde_json::json!({"type": ["object", "null"], "description": "d"})
        );
        assert_eq!(properties["y"], serde_json::json!({"type": "string"}));
        let refused = as_3_1(
            r#"{"openapi": "3.0.3", "components": {"schemas": {"A": {"nullable": true,
                "enum": ["a"]}}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(refused.contains("`nullable` is converted"), "{refused}");
    }

    #[test]
    fn conversion_enum_of_null_becomes_type_null() {
        let doc = as_3_1(
            r##"{"openapi": "3.0.3", "components": {"schemas": {"A": {"type": "object",
                "properties": {"user": {"anyOf": [{"$ref": "#/components/schemas/U"},
                {"enum": [null]}], "description": "d"}}}}}}"##,
        )
        .unwrap();
        assert_eq!(
            doc["components"]["schemas"]["A"]["properties"]["user"],
            serde_json::json!({"anyOf": [{"$ref": "#/components/schemas/U"}, {"type": "null"}],
                "description": "d"})
        );
    }

    #[test]
    fn conversion_reaches_parameter_and_media_type_schemas() {
        let doc = as_3_1(
            r#"{"openapi": "3.0.3", "paths": {"/a/{b}": {"get": {
                "parameters": [{"name": "b", "in": "path", "schema": {"enum": [null]}}],
                "responses": {"200": {"content": {"application/json": {"schema":
                {"type": "array", "items": {"oneOf": [{"enum": [null]}]}}}}}}}}}}"#,
        )
        .unwrap();
        let get = &doc["paths"]["/a/{b}"]["get"];
        assert_eq!(
            get["parameters"][0]["schema"],
            serde_json::json!({"type": "null"})
        );
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["items"]["oneOf"][0],
            serde_json::json!({"type": "null"})
        );
    }

    #[test]
    fn an_enum_with_null_among_other_values_is_left_alone() {
        let doc = as_3_1(
            r#"{"openapi": "3.0.3", "components": {"schemas": {"A": {"enum": ["a", null]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            doc["components"]["schemas"]["A"],
            serde_json::json!({"enum": ["a", null]})
        );
    }

    #[test]
    fn unconverted_3_0_keywords_are_refused_with_their_place() {
        for (schema, keyword) in [
            (r#"{"nullable": true, "enum": ["a"]}"#, "nullable"),
            (
                r#"{"type": "integer", "minimum": 0, "exclusiveMinimum": true}"#,
                "exclusiveMinimum",
            ),
            (
                r#"{"type": "integer", "maximum": 9, "exclusiveMaximum": true}"#,
                "exclusiveMaximum",
            ),
            (r#"{"type": "string", "example": "x"}"#, "example"),
        ] {
            let doc = format!(
                r#"{{"openapi": "3.0.3", "components": {{"schemas": {{"A": {{"type": "object",
                    "properties": {{"a/b": {schema}}}}}}}}}}}"#
            );
            let err = as_3_1(&doc).unwrap_err().to_string();
            assert!(
                err.contains("/components/schemas/A/properties/a~1b")
                    && err.contains(&format!("`{keyword}`")),
                "{err}"
            );
        }
    }

    #[test]
    fn a_property_named_like_a_keyword_is_not_a_keyword() {
        let doc = as_3_1(
            r#"{"openapi": "3.0.3", "components": {"schemas": {"A": {"type": "object",
                "properties": {"nullable": {"type": "boolean"}, "example": {"type": "string"}}}}}}"#,
        )
        .unwrap();
        assert_eq!(
            doc["components"]["schemas"]["A"]["properties"]["nullable"],
            serde_json::json!({"type": "boolean"})
        );
    }

    #[test]
    fn a_3_1_document_is_not_converted_again() {
        let err = as_3_1(r#"{"openapi": "3.1.0"}"#).unwrap_err().to_string();
        assert!(err.contains("not an OpenAPI 3.0 version"), "{err}");
    }

    #[test]
    fn the_embedded_spec_changes_exactly_where_3_1_differs() {
        let before = embedded();
        let after = as_3_1(SPEC).unwrap();
        let mut changed = Vec::new();
        differences(&before, &after, String::new(), &mut changed);
        assert_eq!(
            changed,
            [
                "/components/schemas/ExternalAuth/properties/user/anyOf/1",
                "/components/schemas/ExternalAuthResponse/properties/token_extra",
                "/openapi"
            ]
        );
    }

    fn differences(
        a: &serde_json::Value,
        b: &serde_json::Value,
        at: String,
        out: &mut Vec<String>,
    ) {
        match (a, b) {
            (serde_json::Value::Object(a), serde_json::Value::Object(b))
                if a.keys().eq(b.keys()) =>
            {
                for (key, value) in a {
                    differences(value, &b[key], format!("{at}/{}", escape(key)), out);
                }
            }
            (serde_json::Value::Array(a), serde_json::Value::Array(b)) if a.len() == b.len() => {
                for (index, (a, b)) in a.iter().zip(b).enumerate() {
                    differences(a, b, format!("{at}/{index}"), out);
                }
            }
            _ if a != b => out.push(at),
            _ => {}
        }
    }

    #[test]
    fn yaml_parses_back_to_the_same_document_in_the_same_order() {
        for openapi in [OpenApiVersion::V3_0, OpenApiVersion::V3_1] {
            let yaml = render(SPEC, SpecFormat::Yaml, openapi).unwrap();
            let json = render(SPEC, SpecFormat::Json, openapi).unwrap();
            let back: Value = serde_norway::from_str(&yaml).unwrap();
            assert_eq!(
                serde_json::to_string_pretty(&back).unwrap() + "\n",
                json,
                "{openapi:?}"
            );
        }
    }
}
