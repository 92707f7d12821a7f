//! The curated spec as the binary sees it: embedded at compile time (the same file the typed
//! client was generated from), with the documented statuses of each operation and JSON Schema
//! validators for every response body.

use std::collections::BTreeMap;

use crate::curated::{SPEC_FILE, spec};
use crate::{releases, shape_guide};
use anyhow::{Context, bail};
use coder_external_auth::shape::FreeForm;
use coder_external_auth::{CoderVersion, Operation};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

/// What the spec says about one operation.
pub struct OperationSpec {
    /// Documented statuses, each with the schema name of its JSON body (None: no body; `X[]`:
    /// an array of `X`).
    pub responses: BTreeMap<u16, Option<String>>,
}

/// One way a body breaks its schema.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SchemaError {
    /// JSON pointer into the body, `""` for the root.
    pub path: String,
    pub message: String,
}

/// The embedded spec and its validators, for one Coder release.
pub struct Contract {
    operations: BTreeMap<Operation, OperationSpec>,
    validators: BTreeMap<String, SchemaValidators>,
}

/// Where an operation is served: its method and path template (`/api/v2/external-auth/{externalauth}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Upper case, as HTTP spells it.
    pub method: String,
    /// The template's segments after the leading `/`; `{name}` is a parameter.
    pub segments: Vec<String>,
    pub operation: Operation,
}

impl Route {
    /// The path parameters, by name, when `path` (no query, from `/api/v2` on) is this route's.
    pub fn matches<'a>(&self, method: &str, path: &'a str) -> Option<Vec<(&str, &'a str)>> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let given: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if given.len() != self.segments.len() {
            return None;
        }
        let mut parameters = Vec::new();
        for (template, segment) in self.segments.iter().zip(given) {
            match template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) if !segment.is_empty() => parameters.push((name, segment)),
                Some(_) => return None,
                None if template == segment => {}
                None => return None,
            }
        }
        Some(parameters)
    }
}

struct SchemaValidators {
    /// The schema as written: what the contract requires.
    plain: Validator,
    /// Every object closed with `additionalProperties: false`: names keys the spec does not know.
    strict: Validator,
    /// Where the schema allows any keys: their keys are data, not shape.
    free_form: Vec<FreeForm>,
}

impl Contract {
    /// Parses the embedded spec and compiles a validator pair for every response schema: the
    /// contract `release` must honour.
    pub fn load(release: CoderVersion) -> anyhow::Result<Self> {
        let doc = releases::contract_of(spec(), release);
        let operations = operations_of(&doc)?;
        let components = doc
            .pointer("/components")
            .with_context(|| format!("{SPEC_FILE} has no components"))?;
        let plain_components = rewrite(components, false);
        let strict_components = rewrite(components, true);
        let mut validators = BTreeMap::new();
        // An array body `X[]` also gets a validator for its element `X` (the body corpus
        // holds elements).
        let schemas = operations
            .values()
            .flat_map(|op| op.responses.values().flatten())
            .flat_map(|schema| {
                [
                    Some(schema.clone()),
                    schema.strip_suffix("[]").map(str::to_owned),
                ]
            })
            .flatten()
            .collect::<Vec<_>>();
        for schema in &schemas {
            if validators.contains_key(schema) {
                continue;
            }
            let root = |components: &Value| match schema.strip_suffix("[]") {
                Some(item) => {
                    json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}, "components": components})
                }
                None => {
                    json!({"$ref": format!("#/components/schemas/{schema}"), "components": components})
                }
            };
            validators.insert(
                schema.clone(),
                SchemaValidators {
                    plain: compile(&root(&plain_components), schema)?,
                    strict: compile(&root(&strict_components), schema)?,
                    free_form: shape_guide::free_form_places(components, schema),
                },
            );
        }
        Ok(Self {
            operations,
            validators,
        })
    }

    /// What the spec says about `operation`.
    pub fn operation(&self, operation: Operation) -> Option<&OperationSpec> {
        self.operations.get(&operation)
    }

    /// The operations the spec describes, sorted by `operationId`.
    #[cfg(test)]
    pub fn operations(&self) -> impl Iterator<Item = Operation> + '_ {
        self.operations.keys().copied()
    }

    /// Schema errors of `body` against the schema named `schema`.
    pub fn schema_errors(&self, schema: &str, body: &Value) -> Vec<SchemaError> {
        let Some(validators) = self.validators.get(schema) else {
            return vec![SchemaError {
                path: String::new(),
                message: format!("the spec has no schema {schema}"),
            }];
        };
        validators
            .plain
            .iter_errors(body)
            .map(|error| SchemaError {
                path: error.instance_path().to_string(),
                message: error.to_string(),
            })
            .collect()
    }

    /// The places in a body of the schema named `schema` whose keys are data (see
    /// [`coder_external_auth::shape::shape_guided`]).
    pub fn free_form(&self, schema: &str) -> &[FreeForm] {
        self.validators
            .get(schema)
            .map_or(&[], |validators| validators.free_form.as_slice())
    }

    /// JSON paths of the keys in `body` that the schema named `schema` does not declare.
    pub fn unknown_keys(&self, schema: &str, body: &Value) -> Vec<String> {
        let Some(validators) = self.validators.get(schema) else {
            return Vec::new();
        };
        let mut paths: Vec<String> = validators
            .strict
            .iter_errors(body)
            .flat_map(|error| unknown_in(&error))
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }
}

/// The unknown keys one strict-validation error stands for. Inside an `anyOf` (a nullable
/// object is `anyOf: [object, null]`) they are those of the branches that fail only for
/// unknown keys: a branch failing for another reason is not the one the body meant.
fn unknown_in(error: &jsonschema::ValidationError<'_>) -> Vec<String> {
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| format!("{}/{}", error.instance_path(), escape_pointer(key)))
            .collect(),
        ValidationErrorKind::AnyOf { context } => context
            .iter()
            .filter(|branch| {
                branch.iter().all(|error| {
                    matches!(
                        error.kind(),
                        ValidationErrorKind::AdditionalProperties { .. }
                            | ValidationErrorKind::AnyOf { .. }
                    )
                })
            })
            .flat_map(|branch| branch.iter().flat_map(unknown_in))
            .collect(),
        _ => Vec::new(),
    }
}

fn compile(root: &Value, schema: &str) -> anyhow::Result<Validator> {
    jsonschema::options()
        // Draft 4 is the JSON Schema dialect OpenAPI 3.0 is built on.
        .with_draft(Draft::Draft4)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .build(root)
        .map_err(|err| anyhow::anyhow!("{SPEC_FILE}: schema {schema} does not compile: {err}"))
}

/// Where every operation is served, from the operation's own method and path (which a
/// library test holds to the spec).
pub fn routes() -> Vec<Route> {
    Operation::ALL
        .into_iter()
        .map(|operation| Route {
            method: operation.http_method().as_str().to_owned(),
            segments: operation
                .path()
                .trim_start_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect(),
            operation,
        })
        .collect()
}

fn operations_of(doc: &Value) -> anyhow::Result<BTreeMap<Operation, OperationSpec>> {
    let mut operations = BTreeMap::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .with_context(|| format!("{SPEC_FILE} has no paths"))?;
    for (path, item) in paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else {
                bail!("{SPEC_FILE}: {method} {path} has no operationId");
            };
            let Some(operation) = Operation::from_id(operation_id) else {
                bail!(
                    "{SPEC_FILE}: {method} {path} has operationId {operation_id:?}, which the library's Operation does not know"
                );
            };
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, response)| {
                    let status: u16 = status.parse().with_context(|| {
                        format!("{SPEC_FILE}: {operation_id} has non-numeric status {status}")
                    })?;
                    let name = |reference: Option<&Value>| {
                        reference
                            .and_then(Value::as_str)
                            .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
                            .map(str::to_owned)
                    };
                    let body = response.pointer("/content/application~1json/schema");
                    // A reference, or an array of one (named `X[]`).
                    let schema = name(body.and_then(|b| b.get("$ref"))).or_else(|| {
                        body.filter(|b| b.get("type").and_then(Value::as_str) == Some("array"))
                            .and_then(|b| name(b.pointer("/items/$ref")))
                            .map(|item| format!("{item}[]"))
                    });
                    Ok((status, schema))
                })
                .collect::<anyhow::Result<_>>()?;
            operations.insert(operation, OperationSpec { responses });
        }
    }
    Ok(operations)
}

/// Rewrites OpenAPI 3.0 schema keywords into JSON Schema as OpenAPI 3.0.3 defines them:
/// `nullable: true` adds `"null"` to the `type` of the same schema object and does nothing
/// without one, so it never relaxes an `allOf`, an `enum` or a `$ref`. Strict validators
/// (openapi-schema-validator's OAS30Validator) read it the same way, and
/// `tests/fixtures/bodies` holds both to it. With `close_objects`, every object schema with
/// properties that does not say otherwise gets `additionalProperties: false`.
fn rewrite(schema: &Value, close_objects: bool) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(key, _)| key.as_str() != "nullable")
                .map(|(key, value)| (key.clone(), rewrite(value, close_objects)))
                .collect();
            if close_objects
                && out.contains_key("properties")
                && !out.contains_key("additionalProperties")
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(ty)) = out.get("type")
            {
                let types = json!([ty, "null"]);
                out.insert("type".into(), types);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| rewrite(item, close_objects))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        Contract::load(CoderVersion::NEWEST_KNOWN).expect("the embedded spec loads")
    }

    #[test]
    fn every_operation_is_described() {
        let contract = contract();
        let ids: Vec<&str> = contract.operations().map(Operation::id).collect();
        assert_eq!(
            ids,
            [
                "delete-external-auth-user-link-by-id",
                "get-external-auth-by-id",
                "get-external-auth-by-template-version",
                "get-external-auth-device-by-id",
                "get-user-external-auths",
                "get-workspace-agent-external-auth",
                "post-external-auth-device-by-id",
                "removed-get-workspace-agent-git-auth",
            ]
        );
        let post = contract
            .operation(Operation::PostExternalAuthDeviceById)
            .unwrap();
        assert_eq!(post.responses.get(&204), Some(&None));
        assert_eq!(post.responses.get(&400), Some(&Some("Response".into())));
    }

    #[test]
    fn routes_match_method_and_path_and_name_parameters() {
        let routes = routes();
        fn find<'a>(
            routes: &'a [Route],
            method: &str,
            path: &'a str,
        ) -> Option<(Operation, Vec<(&'a str, &'a str)>)> {
            routes
                .iter()
                .find_map(|route| Some((route.operation, route.matches(method, path)?)))
        }
        let find = |method: &str, path: &'static str| find(&routes, method, path);
        assert_eq!(
            find("GET", "/api/v2/external-auth"),
            Some((Operation::GetUserExternalAuths, vec![]))
        );
        assert_eq!(
            find("post", "/api/v2/external-auth/github/device"),
            Some((
                Operation::PostExternalAuthDeviceById,
                vec![("externalauth", "github")]
            ))
        );
        assert_eq!(find("PUT", "/api/v2/external-auth/github"), None);
        assert_eq!(find("GET", "/api/v2/external-auth/"), None);
        assert_eq!(find("GET", "/api/v2/users/me"), None);
    }

    #[test]
    fn nullable_user_validates_and_missing_user_does_not() {
        let contract = contract();
        let mut body = json!({"authenticated":false,"device":false,"display_name":"GitHub","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""});
        assert_eq!(contract.schema_errors("ExternalAuth", &body), []);
        body.as_object_mut().unwrap().remove("user");
        let errors = contract.schema_errors("ExternalAuth", &body);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .message
                .contains("\"user\" is a required property"),
            "{errors:?}"
        );
    }

    #[test]
    fn nullable_acts_only_beside_type_as_openapi_3_0_3_says() {
        let components = rewrite(
            &json!({"schemas": {
                "Typed": {"type": "string", "nullable": true},
                "Untyped": {"nullable": true, "allOf": [{"type": "string"}]},
                "Enum": {"type": "string", "nullable": true, "enum": ["a"]},
            }}),
            false,
        );
        let accepts_null = |name: &str| {
            let root =
                json!({"$ref": format!("#/components/schemas/{name}"), "components": components});
            compile(&root, name).unwrap().is_valid(&Value::Null)
        };
        assert!(accepts_null("Typed"));
        // Without a `type` beside it, nullable does not relax the allOf (nor an enum).
        assert!(!accepts_null("Untyped"));
        assert!(!accepts_null("Enum"));
    }

    /// `.ci/validate_bodies.py` gives every file the same verdict with openapi-schema-validator,
    /// so our validator and a strict third-party one agree on what Coder sends.
    #[test]
    fn the_body_corpus_has_the_same_verdicts() {
        // One release from each contract range; a `@2.25-2.26` name scopes the verdict.
        let contracts: Vec<(CoderVersion, Contract)> =
            ["2.25.0", "2.27.0", "2.30.0", "2.35.1", "2.36.1"]
                .iter()
                .map(|release| {
                    let release: CoderVersion = release.parse().unwrap();
                    (release, Contract::load(release).unwrap())
                })
                .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bodies");
        let mut files: Vec<_> = std::fs::read_dir(&root)
            .unwrap_or_else(|err| panic!("read {}: {err}", root.display()))
            .flat_map(|dir| std::fs::read_dir(dir.unwrap().path()).unwrap())
            .map(|file| file.unwrap().path())
            .collect();
        files.sort();
        let mut mismatches = Vec::new();
        for path in &files {
            let schema = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            let scope = name
                .strip_suffix(".json")
                .and_then(|stem| stem.split_once('@'))
                .map(|(_, range)| {
                    let (from, to) = range.split_once('-').unwrap();
                    let minor = |v: &str| v.split('.').nth(1).unwrap().parse::<u32>().unwrap();
                    minor(from)..=minor(to)
                });
            let named_valid = match name.split_once('-').map(|(verdict, _)| verdict) {
                Some("valid") => true,
                Some("invalid") => false,
                _ => panic!(
                    "{}: name must start with valid- or invalid-",
                    path.display()
                ),
            };
            let text = std::fs::read_to_string(path).unwrap();
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            for (release, contract) in &contracts {
                let expect_valid = match &scope {
                    Some(minors) if !minors.contains(&release.minor) => !named_valid,
                    _ => named_valid,
                };
                let errors = contract.schema_errors(schema, &body);
                if errors.is_empty() != expect_valid {
                    mismatches.push(format!("{schema}/{name} at {release}: {errors:?}"));
                }
            }
        }
        assert!(
            files.len() >= 40,
            "only {} bodies under {}",
            files.len(),
            root.display()
        );
        assert!(
            mismatches.is_empty(),
            "verdicts differ:\n{}",
            mismatches.join("\n")
        );
    }

    #[test]
    fn bad_date_time_and_wrong_type_are_named_by_path() {
        let contract = contract();
        let body = json!({"providers":[],"links":[{"provider_id":"github","created_at":"yesterday","updated_at":"0001-01-01T00:00:00Z","has_refresh_token":"no","expires":"2026-07-20T11:15:02.123456+02:00","authenticated":true,"validate_error":""}]});
        let paths: Vec<String> = contract
            .schema_errors("ListUserExternalAuthResponse", &body)
            .into_iter()
            .map(|error| error.path)
            .collect();
        assert_eq!(paths, ["/links/0/created_at", "/links/0/has_refresh_token"]);
    }

    #[test]
    fn unknown_keys_inside_a_nullable_object_are_named() {
        let contract = contract();
        let body = json!({"authenticated":true,"device":false,"display_name":"GitHub","supports_revocation":false,
            "user":{"id":1,"login":"octocat","avatar_url":"","profile_url":"","name":"","email":"x@y"},
            "app_installable":false,"installations":[],"app_install_url":""});
        assert_eq!(contract.schema_errors("ExternalAuth", &body), []);
        assert_eq!(
            contract.unknown_keys("ExternalAuth", &body),
            ["/user/email"]
        );
        let unlinked = json!({"authenticated":false,"device":false,"display_name":"GitHub","supports_revocation":false,
            "user":null,"app_installable":false,"installations":[],"app_install_url":""});
        assert_eq!(
            contract.unknown_keys("ExternalAuth", &unlinked),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_keys_are_named_but_do_not_break_the_schema() {
        let contract = contract();
        let body =
            json!({"message":"x","extra":1,"validations":[{"field":"a","detail":"b","why":2}]});
        assert_eq!(contract.schema_errors("Response", &body), []);
        assert_eq!(
            contract.unknown_keys("Response", &body),
            ["/extra", "/validations/0/why"]
        );
    }
}
