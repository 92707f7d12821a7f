//! The one normalised model both Swagger 2.0 and OpenAPI 3.0 are read into, so the structural
//! diff never needs to know which format a side was written in.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The operations of one API description, keyed by method and full path: the wire identity a
/// client depends on (operation ids are compared, but as a property).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Api {
    pub operations: BTreeMap<OpKey, Operation>,
}

/// `GET /api/v2/external-auth`: the method upper-cased, the path in full. Ordered by path
/// first (field order), so a report reads resource by resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct OpKey {
    pub path: String,
    pub method: String,
}

impl OpKey {
    pub(crate) fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
        }
    }
}

impl fmt::Display for OpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Operation {
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    /// Keyed by (location, name): `("path", "externalauth")`.
    pub params: BTreeMap<(String, String), Param>,
    pub request_body: Option<Body>,
    /// Keyed by the status as written (`"200"`, `"default"`).
    pub responses: BTreeMap<String, Response>,
    /// The named schemas its schemas reference, as the document names them
    /// (`codersdk.ExternalAuth`, `ExternalAuth`): what the other side may not describe at all.
    pub types: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub required: bool,
    pub schema: Schema,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Body {
    pub required: bool,
    pub schema: Option<Schema>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Response {
    /// `None` when the status documents no body (204).
    pub schema: Option<Schema>,
}

/// A value-free structural summary of a schema with `$ref` and `allOf` already resolved.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Schema {
    /// `None` when the schema does not say (any value).
    pub ty: Option<String>,
    pub format: Option<String>,
    pub nullable: bool,
    pub required: BTreeSet<String>,
    pub properties: BTreeMap<String, Schema>,
    pub items: Option<Box<Schema>>,
    /// Set instead of the fields above where a `$ref` leads back into itself: the reference
    /// that closed the cycle. The diff stops there rather than recursing forever.
    pub cycle: Option<String>,
}
