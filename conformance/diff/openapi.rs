//! OpenAPI 3.0.x (the curated spec) into the normalised model.

use anyhow::{Context, bail};
use serde_json::Value;

use super::model::{Api, Body, Operation, Param, Response};
use super::schema::{MAX_NAME_BYTES, Resolver, kept};
use super::scope::collect_operations;

/// The methods an OpenAPI 3.0 path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub(crate) fn to_model(doc: &Value) -> anyhow::Result<Api> {
    let resolver = Resolver::new(doc, "nullable");
    check_server(doc).context("in the first server")?;
    let base = server_path(doc);
    collect_operations(doc, &base, &METHODS, |shared, op| {
        operation(&resolver, shared, op)
    })
}

/// Refuses a first server whose URL, a variable's default, or the URL with its variables
/// replaced would be longer than `MAX_NAME_BYTES`: `{a}` a million times with a megabyte default
/// would otherwise expand to terabytes. Replaces as `server_path` does, in the same order, each
/// step measured before it is made, so the text never grows past the limit.
fn check_server(doc: &Value) -> anyhow::Result<()> {
    let Some(server) = doc.pointer("/servers/0") else {
        return Ok(());
    };
    let url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut url = kept("`url`", url)?.to_owned();
    for (name, variable) in server
        .get("variables")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let default = variable
            .get("default")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let pattern = format!("{{{name}}}");
        let count = url.matches(&pattern).count();
        let len = url
            .len()
            .saturating_sub(count * pattern.len())
            .saturating_add(count.saturating_mul(default.len()));
        if len > MAX_NAME_BYTES {
            bail!(
                "its `url` with variable `{}` replaced is longer than {MAX_NAME_BYTES} bytes (MAX_NAME_BYTES, the limit for a name)",
                name.chars().take(64).collect::<String>()
            );
        }
        url = url.replace(&pattern, default);
    }
    Ok(())
}

/// The path part of the first server URL (variables at their defaults): `/api/v2` for a server
/// `https://coder.example/api/v2`, empty for our `{deployment}`. OpenAPI's counterpart of
/// Swagger's basePath, so a spec written either way yields full paths.
fn server_path(doc: &Value) -> String {
    let Some(server) = doc.pointer("/servers/0") else {
        return String::new();
    };
    let mut url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for (name, variable) in server
        .get("variables")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let default = variable
            .get("default")
            .and_then(Value::as_str)
            .unwrap_or_default();
        url = url.replace(&format!("{{{name}}}"), default);
    }
    match url.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map(|at| rest[at..].to_owned())
            .unwrap_or_default(),
        None if url.starts_with('/') => url,
        None => String::new(),
    }
}

fn operation(resolver: &Resolver, shared: Option<&Value>, op: &Value) -> anyhow::Result<Operation> {
    let mut operation = Operation {
        operation_id: string(op, "operationId"),
        summary: string(op, "summary"),
        ..Operation::default()
    };
    for list in [shared, op.get("parameters")].into_iter().flatten() {
        for param in list.as_array().into_iter().flatten() {
            let param = resolver.deref(param)?;
            let place = resolver.name_of(param, "in")?;
            let name = resolver.name_of(param, "name")?;
            let required = param.get("required").and_then(Value::as_bool) == Some(true);
            let schema = match param.get("schema").or_else(|| media_schema(param)) {
                Some(schema) => resolver
                    .schema(schema)
                    .with_context(|| format!("in parameter `{name}`"))?,
                None => Default::default(),
            };
            operation
                .params
                .insert((place, name), Param { required, schema });
        }
    }
    if let Some(body) = op.get("requestBody") {
        let body = resolver.deref(body)?;
        let schema = match media_schema(body) {
            Some(schema) => Some(resolver.schema(schema).context("in the request body")?),
            None => None,
        };
        operation.request_body = Some(Body {
            required: body.get("required").and_then(Value::as_bool) == Some(true),
            schema,
        });
    }
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let response = resolver.deref(response)?;
        let schema = match media_schema(response) {
            Some(schema) => Some(
                resolver
                    .schema(schema)
                    .with_context(|| format!("in the {status} response"))?,
            ),
            None => None,
        };
        operation
            .responses
            .insert(status.clone(), Response { schema });
    }
    operation.types = resolver.take_types();
    Ok(operation)
}

/// The schema of the JSON media type, else of the first one: these operations speak JSON, and
/// Swagger (one schema per response) has nothing finer to compare with.
fn media_schema(value: &Value) -> Option<&Value> {
    let content = value.get("content")?.as_object()?;
    let media = content
        .iter()
        .find(|(name, _)| name.starts_with("application/json"))
        .or_else(|| content.iter().next())?
        .1;
    media.get("schema")
}

fn string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_server_path_prefixes_every_path() {
        let doc = json!({"servers": [{"url": "{base}/api/v2", "variables": {"base": {"default": "https://coder.example"}}}]});
        assert_eq!(server_path(&doc), "/api/v2");
        assert_eq!(
            server_path(&json!({"servers": [{"url": "/api/v2"}]})),
            "/api/v2"
        );
        assert_eq!(
            server_path(&json!({"servers": [{"url": "http://127.0.0.1:3000"}]})),
            ""
        );
        assert_eq!(server_path(&json!({})), "");
    }

    #[test]
    fn request_body_and_bodiless_responses_are_read() {
        let doc = json!({
            "openapi": "3.0.3",
            "paths": {"/api/v2/external-auth/{externalauth}/device": {"post": {
                "parameters": [{"$ref": "#/components/parameters/p"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"204": {"description": "No Content"}}
            }}},
            "components": {"parameters": {"p": {"name": "externalauth", "in": "path", "required": true, "schema": {"type": "string"}}}}
        });
        let api = to_model(&doc).unwrap();
        let op = api.operations.values().next().unwrap();
        assert!(op.request_body.as_ref().unwrap().required);
        let param = &op.params[&("path".to_owned(), "externalauth".to_owned())];
        assert!(param.required);
        assert_eq!(param.schema.ty.as_deref(), Some("string"));
        assert_eq!(op.responses["204"].schema, None);
    }

    #[test]
    fn server_variables_are_measured_as_they_are_replaced() {
        let server = |url: &str, b: usize| {
            json!({"servers": [{"url": url, "variables": {
                "a": {"default": "{b}{b}"},
                "b": {"default": "x".repeat(b)}
            }}]})
        };
        // Exactly the limit after both replacements: read, and the same text server_path makes.
        let fits = server("{a}", MAX_NAME_BYTES / 2);
        assert!(check_server(&fits).is_ok());
        assert_eq!(server_path(&fits), "");
        let over = server("{a}", MAX_NAME_BYTES / 2 + 1);
        let err = format!("{:#}", check_server(&over).unwrap_err());
        assert!(err.contains("variable `b` replaced"), "{err}");
        assert!(check_server(&json!({})).is_ok());
    }
}
