//! Swagger 2.0 (Coder's published `coderd/apidoc/swagger.json`) into the normalised model.
//! Full paths come from `basePath` + path, so releases up to v2.33 (`basePath: /api/v2`) and
//! from v2.34 (`basePath: /`, prefixed paths) give identical keys.

use anyhow::Context;
use serde_json::Value;

use super::model::{Api, Body, Operation, Param, Response};
use super::schema::Resolver;
use super::scope::collect_operations;

/// The methods a Swagger 2.0 path item may hold.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

pub(crate) fn to_model(doc: &Value) -> anyhow::Result<Api> {
    let resolver = Resolver::new(doc, "x-nullable");
    let base = doc
        .get("basePath")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    collect_operations(doc, &base, &METHODS, |shared, op| {
        operation(&resolver, shared, op)
    })
}

fn operation(resolver: &Resolver, shared: Option<&Value>, op: &Value) -> anyhow::Result<Operation> {
    let mut operation = Operation {
        operation_id: string(op, "operationId"),
        summary: string(op, "summary"),
        ..Operation::default()
    };
    // Path-level parameters first, so an operation's own parameter of the same name and
    // location replaces it, as the format says.
    for list in [shared, op.get("parameters")].into_iter().flatten() {
        for param in list.as_array().into_iter().flatten() {
            let param = resolver.deref(param)?;
            let place = resolver.name_of(param, "in")?;
            let name = resolver.name_of(param, "name")?;
            let required = param.get("required").and_then(Value::as_bool) == Some(true);
            if place == "body" {
                // Swagger's request body is a parameter; OpenAPI's is `requestBody`. One model.
                let schema = match param.get("schema") {
                    Some(schema) => Some(resolver.schema(schema).context("in the body parameter")?),
                    None => None,
                };
                operation.request_body = Some(Body { required, schema });
                continue;
            }
            // A non-body parameter carries type/format/items itself, in schema form.
            let schema = resolver
                .schema(param)
                .with_context(|| format!("in parameter `{name}`"))?;
            operation
                .params
                .insert((place, name), Param { required, schema });
        }
    }
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let response = resolver.deref(response)?;
        let schema = match response.get("schema") {
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

fn string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(base: &str, prefix: &str) -> Value {
        json!({
            "swagger": "2.0",
            "basePath": base,
            "paths": {
                format!("{prefix}/external-auth/{{externalauth}}/device"): {"post": {
                    "operationId": "post-external-auth-device-by-id",
                    "parameters": [
                        {"name": "externalauth", "in": "path", "required": true, "type": "string"},
                        {"name": "req", "in": "body", "required": true, "schema": {"$ref": "#/definitions/X"}}
                    ],
                    "responses": {"204": {"description": "No Content"}}
                }},
                format!("{prefix}/users/me"): {"get": {"responses": {}}}
            },
            "definitions": {"X": {"type": "object", "properties": {"device_code": {"type": "string"}}}}
        })
    }

    #[test]
    fn old_and_new_base_path_layouts_normalise_alike() {
        let old = to_model(&doc("/api/v2", "")).unwrap();
        let new = to_model(&doc("/", "/api/v2")).unwrap();
        assert_eq!(old, new);
        let keys: Vec<String> = new.operations.keys().map(ToString::to_string).collect();
        assert_eq!(keys, ["POST /api/v2/external-auth/{externalauth}/device"]);
    }

    #[test]
    fn a_body_parameter_becomes_the_request_body() {
        let api = to_model(&doc("/", "/api/v2")).unwrap();
        let op = api.operations.values().next().unwrap();
        let body = op.request_body.as_ref().unwrap();
        assert!(body.required);
        assert!(
            body.schema
                .as_ref()
                .unwrap()
                .properties
                .contains_key("device_code")
        );
        assert_eq!(op.params.len(), 1);
        assert_eq!(op.responses["204"].schema, None);
    }
}
