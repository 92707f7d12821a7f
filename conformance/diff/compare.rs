//! The structural diff of two normalised APIs: what changed from OLD to NEW, operation by
//! operation and field by field. Pure; severity is decided elsewhere (classify.rs).

use std::collections::BTreeSet;
use std::fmt;

use anyhow::bail;

use super::model::{Api, Body, OpKey, Operation, Param, Schema};

/// The most text all differences together may hold: operation, location, old and new values.
/// The upstream fixture's 75 differences take 5 KiB. Names are short but a location repeats
/// every name above it, so a deep description with many differences could otherwise build
/// reports of gigabytes from the bounded model.
pub(crate) const MAX_DIFFERENCE_BYTES: usize = 1024 * 1024;

/// One difference. `operation` + `location` + `kind` is its identity: stable across runs and
/// what openapi/known-divergences.json matches on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub operation: OpKey,
    pub location: Location,
    pub kind: Kind,
    /// The old and new value, where there is one to show (`integer (int64)`, `true`).
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Change {
    /// `GET /api/v2/external-auth 200 response body links`: what a known divergence's `at`
    /// names, and the start of every report line.
    pub(crate) fn at(&self) -> String {
        match self.location.to_string() {
            location if location.is_empty() => self.operation.to_string(),
            location => format!("{} {location}", self.operation),
        }
    }

    /// `<at>: <what happened>`, the human identity of the difference.
    pub(crate) fn id(&self) -> String {
        format!("{}: {}", self.at(), self.kind.phrase())
    }

    /// `<at>|<kind key>`, the machine identity.
    pub(crate) fn key(&self) -> String {
        format!("{}|{}", self.at(), self.kind.key())
    }
}

/// Where in an operation a difference sits. `field` is a dotted path with `[]` for array items
/// (`installations[].account.id`), empty for the body itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Operation,
    Parameter { place: String, name: String },
    RequestBody { field: String },
    Response { status: String },
    ResponseBody { status: String, field: String },
}

impl Location {
    /// The bytes of text it holds.
    fn text_len(&self) -> usize {
        match self {
            Location::Operation => 0,
            Location::Parameter { place, name } => place.len() + name.len(),
            Location::RequestBody { field } => field.len(),
            Location::Response { status } => status.len(),
            Location::ResponseBody { status, field } => status.len() + field.len(),
        }
    }

    /// Whether the client sends this (request) rather than reads it (response): the direction
    /// decides which way a change breaks.
    pub(crate) fn is_request(&self) -> bool {
        matches!(
            self,
            Location::Parameter { .. } | Location::RequestBody { .. }
        )
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = |field: &str| {
            if field.is_empty() {
                String::new()
            } else {
                format!(" {field}")
            }
        };
        match self {
            Location::Operation => Ok(()),
            Location::Parameter { place, name } => write!(f, "{place} parameter {name}"),
            Location::RequestBody { field: path } => write!(f, "request body{}", field(path)),
            Location::Response { status } => write!(f, "{status} response"),
            Location::ResponseBody {
                status,
                field: path,
            } => {
                write!(f, "{status} response body{}", field(path))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    OperationAdded,
    OperationRemoved,
    OperationIdChanged,
    SummaryChanged,
    ParameterAdded {
        required: bool,
    },
    ParameterRemoved,
    RequestBodyAdded {
        required: bool,
    },
    RequestBodyRemoved,
    /// A documented status appeared or disappeared.
    ResponseAdded,
    ResponseRemoved,
    /// A status (or request body) gained or lost its schema.
    SchemaAdded,
    SchemaRemoved,
    FieldAdded {
        required: bool,
    },
    FieldRemoved,
    TypeChanged,
    FormatAdded,
    FormatRemoved,
    FormatChanged,
    BecameRequired,
    BecameOptional,
    BecameNullable,
    BecameNonNullable,
}

impl Kind {
    /// Every key, for validating the known-divergences file.
    pub(crate) const KEYS: [&str; 25] = [
        "operation_added",
        "operation_removed",
        "operation_id_changed",
        "summary_changed",
        "parameter_added",
        "required_parameter_added",
        "parameter_removed",
        "request_body_added",
        "required_request_body_added",
        "request_body_removed",
        "response_added",
        "response_removed",
        "schema_added",
        "schema_removed",
        "field_added",
        "required_field_added",
        "field_removed",
        "type_changed",
        "format_added",
        "format_removed",
        "format_changed",
        "became_required",
        "became_optional",
        "became_nullable",
        "became_non_nullable",
    ];

    /// The stable machine name. Whether an addition is required is part of the key, because
    /// it decides the severity: a known optional addition must not cover a required one.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Kind::OperationAdded => "operation_added",
            Kind::OperationRemoved => "operation_removed",
            Kind::OperationIdChanged => "operation_id_changed",
            Kind::SummaryChanged => "summary_changed",
            Kind::ParameterAdded { required: false } => "parameter_added",
            Kind::ParameterAdded { required: true } => "required_parameter_added",
            Kind::ParameterRemoved => "parameter_removed",
            Kind::RequestBodyAdded { required: false } => "request_body_added",
            Kind::RequestBodyAdded { required: true } => "required_request_body_added",
            Kind::RequestBodyRemoved => "request_body_removed",
            Kind::ResponseAdded => "response_added",
            Kind::ResponseRemoved => "response_removed",
            Kind::SchemaAdded => "schema_added",
            Kind::SchemaRemoved => "schema_removed",
            Kind::FieldAdded { required: false } => "field_added",
            Kind::FieldAdded { required: true } => "required_field_added",
            Kind::FieldRemoved => "field_removed",
            Kind::TypeChanged => "type_changed",
            Kind::FormatAdded => "format_added",
            Kind::FormatRemoved => "format_removed",
            Kind::FormatChanged => "format_changed",
            Kind::BecameRequired => "became_required",
            Kind::BecameOptional => "became_optional",
            Kind::BecameNullable => "became_nullable",
            Kind::BecameNonNullable => "became_non_nullable",
        }
    }

    pub(crate) fn phrase(self) -> String {
        self.key().replace('_', " ")
    }
}

/// Every difference from `old` to `new`, in a stable order (operations sorted, then the order
/// the operation is read in); an error once they pass `MAX_DIFFERENCE_BYTES`.
pub(crate) fn compare(old: &Api, new: &Api) -> anyhow::Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut spent = 0;
    let keys: BTreeSet<&OpKey> = old.operations.keys().chain(new.operations.keys()).collect();
    for key in keys {
        let mut diff = Diff {
            operation: key,
            out: &mut out,
            spent: &mut spent,
        };
        match (old.operations.get(key), new.operations.get(key)) {
            (Some(_), None) => diff.push(Location::Operation, Kind::OperationRemoved, None, None),
            (None, Some(_)) => diff.push(Location::Operation, Kind::OperationAdded, None, None),
            (Some(old), Some(new)) => diff.operation(old, new),
            (None, None) => {}
        }
        if spent > MAX_DIFFERENCE_BYTES {
            bail!(
                "the differences come to more than {} MiB of text (MAX_DIFFERENCE_BYTES, the limit for one comparison); \
                 is each side the description you meant?",
                MAX_DIFFERENCE_BYTES / (1024 * 1024)
            );
        }
    }
    Ok(out)
}

struct Diff<'a> {
    operation: &'a OpKey,
    out: &'a mut Vec<Change>,
    /// Bytes of text held by `out`, against MAX_DIFFERENCE_BYTES.
    spent: &'a mut usize,
}

impl Diff<'_> {
    fn over_budget(&self) -> bool {
        *self.spent > MAX_DIFFERENCE_BYTES
    }

    fn push(&mut self, location: Location, kind: Kind, old: Option<String>, new: Option<String>) {
        let text = |value: &Option<String>| value.as_ref().map_or(0, String::len);
        let cost = self.operation.method.len()
            + self.operation.path.len()
            + location.text_len()
            + text(&old)
            + text(&new);
        *self.spent = self.spent.saturating_add(cost);
        if self.over_budget() {
            // `compare` reports it once the operation is done; nothing more is kept.
            return;
        }
        self.out.push(Change {
            operation: self.operation.clone(),
            location,
            kind,
            old,
            new,
        });
    }

    fn operation(&mut self, old: &Operation, new: &Operation) {
        // Quoted, since a summary's trailing period is exactly the kind of change to show.
        let quoted = |text: &Option<String>| text.as_ref().map(|t| format!("{t:?}"));
        if old.operation_id != new.operation_id {
            let (a, b) = (quoted(&old.operation_id), quoted(&new.operation_id));
            self.push(Location::Operation, Kind::OperationIdChanged, a, b);
        }
        if old.summary != new.summary {
            let (a, b) = (quoted(&old.summary), quoted(&new.summary));
            self.push(Location::Operation, Kind::SummaryChanged, a, b);
        }
        let names: BTreeSet<_> = old.params.keys().chain(new.params.keys()).collect();
        for name in names {
            let location = Location::Parameter {
                place: name.0.clone(),
                name: name.1.clone(),
            };
            self.param(location, old.params.get(name), new.params.get(name));
        }
        self.request_body(old.request_body.as_ref(), new.request_body.as_ref());
        let statuses: BTreeSet<_> = old.responses.keys().chain(new.responses.keys()).collect();
        for status in statuses {
            let response = Location::Response {
                status: status.clone(),
            };
            match (old.responses.get(status), new.responses.get(status)) {
                (Some(_), None) => self.push(response, Kind::ResponseRemoved, None, None),
                (None, Some(_)) => self.push(response, Kind::ResponseAdded, None, None),
                (Some(old), Some(new)) => {
                    let body = |field: &str| Location::ResponseBody {
                        status: status.clone(),
                        field: field.to_owned(),
                    };
                    self.body(&body, old.schema.as_ref(), new.schema.as_ref());
                }
                (None, None) => {}
            }
        }
    }

    fn param(&mut self, location: Location, old: Option<&Param>, new: Option<&Param>) {
        match (old, new) {
            (Some(old), None) => {
                let described = Some(describe(&old.schema));
                self.push(location, Kind::ParameterRemoved, described, None);
            }
            (None, Some(new)) => {
                let kind = Kind::ParameterAdded {
                    required: new.required,
                };
                self.push(location, kind, None, Some(describe(&new.schema)));
            }
            (Some(old), Some(new)) => {
                self.required(location.clone(), old.required, new.required);
                // Parameters are scalars here: type, format and nullability are all there is.
                let at = |_: &str| location.clone();
                self.scalar(&at, "", &old.schema, &new.schema);
            }
            (None, None) => {}
        }
    }

    fn request_body(&mut self, old: Option<&Body>, new: Option<&Body>) {
        let body = |field: &str| Location::RequestBody {
            field: field.to_owned(),
        };
        match (old, new) {
            (Some(_), None) => self.push(body(""), Kind::RequestBodyRemoved, None, None),
            (None, Some(new)) => {
                let kind = Kind::RequestBodyAdded {
                    required: new.required,
                };
                self.push(body(""), kind, None, None);
            }
            (Some(old), Some(new)) => {
                self.required(body(""), old.required, new.required);
                self.body(&body, old.schema.as_ref(), new.schema.as_ref());
            }
            (None, None) => {}
        }
    }

    fn body(&mut self, at: &dyn Fn(&str) -> Location, old: Option<&Schema>, new: Option<&Schema>) {
        match (old, new) {
            (Some(old), None) => self.push(at(""), Kind::SchemaRemoved, Some(describe(old)), None),
            (None, Some(new)) => self.push(at(""), Kind::SchemaAdded, None, Some(describe(new))),
            (Some(old), Some(new)) => self.schema(at, "", old, new),
            (None, None) => {}
        }
    }

    fn required(&mut self, location: Location, old: bool, new: bool) {
        match (old, new) {
            (false, true) => self.push(location, Kind::BecameRequired, None, None),
            (true, false) => self.push(location, Kind::BecameOptional, None, None),
            _ => {}
        }
    }

    /// Type, format and nullability of one schema; false when the types differ, since then
    /// nothing below compares meaningfully and one `type_changed` says it all.
    fn scalar(
        &mut self,
        at: &dyn Fn(&str) -> Location,
        path: &str,
        old: &Schema,
        new: &Schema,
    ) -> bool {
        if old.ty != new.ty {
            self.push(
                at(path),
                Kind::TypeChanged,
                Some(describe(old)),
                Some(describe(new)),
            );
            return false;
        }
        match (&old.format, &new.format) {
            (None, Some(b)) => self.push(at(path), Kind::FormatAdded, None, Some(b.clone())),
            (Some(a), None) => self.push(at(path), Kind::FormatRemoved, Some(a.clone()), None),
            (Some(a), Some(b)) if a != b => {
                self.push(
                    at(path),
                    Kind::FormatChanged,
                    Some(a.clone()),
                    Some(b.clone()),
                );
            }
            _ => {}
        }
        match (old.nullable, new.nullable) {
            (false, true) => self.push(at(path), Kind::BecameNullable, None, None),
            (true, false) => self.push(at(path), Kind::BecameNonNullable, None, None),
            _ => {}
        }
        true
    }

    fn schema(&mut self, at: &dyn Fn(&str) -> Location, path: &str, old: &Schema, new: &Schema) {
        // A cycle marker is a back-reference already being compared further up.
        if old.cycle.is_some() || new.cycle.is_some() || self.over_budget() {
            return;
        }
        if !self.scalar(at, path, old, new) {
            return;
        }
        let names: BTreeSet<&String> = old.properties.keys().chain(new.properties.keys()).collect();
        for name in names {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            match (old.properties.get(name), new.properties.get(name)) {
                (Some(a), None) => {
                    self.push(at(&child), Kind::FieldRemoved, Some(describe(a)), None)
                }
                (None, Some(b)) => {
                    let kind = Kind::FieldAdded {
                        required: new.required.contains(name),
                    };
                    self.push(at(&child), kind, None, Some(describe(b)));
                }
                (Some(a), Some(b)) => {
                    self.required(
                        at(&child),
                        old.required.contains(name),
                        new.required.contains(name),
                    );
                    self.schema(at, &child, a, b);
                }
                (None, None) => {}
            }
        }
        match (&old.items, &new.items) {
            (Some(a), Some(b)) => self.schema(at, &format!("{path}[]"), a, b),
            (None, None) => {}
            // `array` vs `array of X`: the element type changed from "anything".
            _ => self.push(
                at(path),
                Kind::TypeChanged,
                Some(describe(old)),
                Some(describe(new)),
            ),
        }
    }
}

/// `integer (int64)`, `array of object`, `any`: enough to read a type change by.
pub(crate) fn describe(schema: &Schema) -> String {
    let mut text = schema.ty.clone().unwrap_or_else(|| "any".to_owned());
    if let Some(format) = &schema.format {
        text.push_str(&format!(" ({format})"));
    }
    if let Some(items) = &schema.items {
        text.push_str(&format!(" of {}", describe(items)));
    }
    if schema.nullable {
        text.push_str(", nullable");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::model::Response;

    /// The comparison, within its budget (every test here is far inside it).
    fn compare(old: &Api, new: &Api) -> Vec<Change> {
        super::compare(old, new).unwrap()
    }

    fn object(fields: &[(&str, Schema, bool)]) -> Schema {
        Schema {
            ty: Some("object".into()),
            properties: fields
                .iter()
                .map(|(n, s, _)| (n.to_string(), s.clone()))
                .collect(),
            required: fields
                .iter()
                .filter(|f| f.2)
                .map(|f| f.0.to_string())
                .collect(),
            ..Schema::default()
        }
    }

    fn scalar(ty: &str, format: Option<&str>) -> Schema {
        Schema {
            ty: Some(ty.into()),
            format: format.map(Into::into),
            ..Schema::default()
        }
    }

    fn api(body: Schema) -> Api {
        let mut op = Operation::default();
        op.responses
            .insert("200".into(), Response { schema: Some(body) });
        let mut api = Api::default();
        api.operations
            .insert(OpKey::new("get", "/api/v2/external-auth"), op);
        api
    }

    fn ids(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| format!("{}|{}", c.id(), c.key()))
            .collect()
    }

    #[test]
    fn identical_apis_have_no_differences() {
        let a = api(object(&[("id", scalar("integer", Some("int64")), true)]));
        assert!(compare(&a, &a.clone()).is_empty());
    }

    #[test]
    fn field_level_changes_are_located_and_named() {
        let user = object(&[
            ("id", scalar("integer", None), true),
            ("login", scalar("string", None), true),
        ]);
        let mut nullable_user = object(&[
            ("id", scalar("integer", Some("int64")), false),
            ("name", scalar("string", None), false),
        ]);
        nullable_user.nullable = true;
        let old = api(object(&[
            ("user", user, true),
            ("n", scalar("integer", None), true),
        ]));
        let new = api(object(&[
            ("user", nullable_user, true),
            ("n", scalar("string", None), true),
        ]));
        assert_eq!(
            ids(&compare(&old, &new)),
            [
                "GET /api/v2/external-auth 200 response body n: type changed|GET /api/v2/external-auth 200 response body n|type_changed",
                "GET /api/v2/external-auth 200 response body user: became nullable|GET /api/v2/external-auth 200 response body user|became_nullable",
                "GET /api/v2/external-auth 200 response body user.id: became optional|GET /api/v2/external-auth 200 response body user.id|became_optional",
                "GET /api/v2/external-auth 200 response body user.id: format added|GET /api/v2/external-auth 200 response body user.id|format_added",
                "GET /api/v2/external-auth 200 response body user.login: field removed|GET /api/v2/external-auth 200 response body user.login|field_removed",
                "GET /api/v2/external-auth 200 response body user.name: field added|GET /api/v2/external-auth 200 response body user.name|field_added",
            ]
        );
        let type_change = &compare(&old, &new)[0];
        assert_eq!(type_change.old.as_deref(), Some("integer"));
        assert_eq!(type_change.new.as_deref(), Some("string"));
    }

    #[test]
    fn array_items_recurse_with_brackets() {
        let old = api(Schema {
            ty: Some("array".into()),
            items: Some(Box::new(object(&[("id", scalar("integer", None), true)]))),
            ..Schema::default()
        });
        let new = api(Schema {
            ty: Some("array".into()),
            items: Some(Box::new(object(&[]))),
            ..Schema::default()
        });
        assert_eq!(
            compare(&old, &new)[0].id(),
            "GET /api/v2/external-auth 200 response body [].id: field removed"
        );
    }

    #[test]
    fn operations_parameters_bodies_and_statuses() {
        let mut old = api(object(&[]));
        let mut new = old.clone();
        let op = new.operations.values_mut().next().unwrap();
        op.params.insert(
            ("query".into(), "q".into()),
            Param {
                required: true,
                schema: scalar("string", None),
            },
        );
        op.request_body = Some(Body {
            required: true,
            schema: None,
        });
        op.responses.insert("404".into(), Response { schema: None });
        op.summary = Some("List".into());
        old.operations.insert(
            OpKey::new("delete", "/api/v2/external-auth/{externalauth}"),
            Operation::default(),
        );
        assert_eq!(
            compare(&old, &new)
                .iter()
                .map(Change::key)
                .collect::<Vec<_>>(),
            [
                "GET /api/v2/external-auth|summary_changed",
                "GET /api/v2/external-auth query parameter q|required_parameter_added",
                "GET /api/v2/external-auth request body|required_request_body_added",
                "GET /api/v2/external-auth 404 response|response_added",
                "DELETE /api/v2/external-auth/{externalauth}|operation_removed",
            ]
        );
    }

    #[test]
    fn cycles_compare_as_equal_and_terminate() {
        let mut node = object(&[]);
        node.properties.insert(
            "child".into(),
            Schema {
                cycle: Some("#/definitions/Node".into()),
                ..Schema::default()
            },
        );
        let a = api(node.clone());
        let mut renamed = node;
        renamed.properties.get_mut("child").unwrap().cycle =
            Some("#/components/schemas/Node".into());
        assert!(compare(&a, &api(renamed)).is_empty());
    }

    #[test]
    fn every_kind_key_is_listed() {
        let kinds = [
            Kind::OperationAdded,
            Kind::OperationRemoved,
            Kind::OperationIdChanged,
            Kind::SummaryChanged,
            Kind::ParameterAdded { required: false },
            Kind::ParameterAdded { required: true },
            Kind::ParameterRemoved,
            Kind::RequestBodyAdded { required: false },
            Kind::RequestBodyAdded { required: true },
            Kind::RequestBodyRemoved,
            Kind::ResponseAdded,
            Kind::ResponseRemoved,
            Kind::SchemaAdded,
            Kind::SchemaRemoved,
            Kind::FieldAdded { required: false },
            Kind::FieldAdded { required: true },
            Kind::FieldRemoved,
            Kind::TypeChanged,
            Kind::FormatAdded,
            Kind::FormatRemoved,
            Kind::FormatChanged,
            Kind::BecameRequired,
            Kind::BecameOptional,
            Kind::BecameNullable,
            Kind::BecameNonNullable,
        ];
        let keys: Vec<&str> = kinds.iter().map(|k| k.key()).collect();
        assert_eq!(keys, Kind::KEYS);
    }
}
