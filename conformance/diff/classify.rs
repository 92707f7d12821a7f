//! How much a difference matters to a client written against OLD and now talking to NEW, in
//! the manner of oasdiff's breaking-change rules. One rule per kind, each with its reason.

use serde::Serialize;

use super::compare::{Change, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Severity {
    /// A client that worked against OLD can fail against NEW.
    Breaking,
    /// NEW offers more, or promises more; an OLD client keeps working.
    NonBreaking,
    /// Documentation only: nothing on the wire changes.
    Informational,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::NonBreaking => "non-breaking",
            Severity::Informational => "informational",
        }
    }
}

/// The rule. Requests and responses break in opposite directions: a client must send what the
/// server requires, and must cope with whatever the server may send.
pub(crate) fn classify(change: &Change) -> Severity {
    use Severity::{Breaking, Informational, NonBreaking};
    let request = change.location.is_request();
    match change.kind {
        // Calls to a removed operation fail; nobody calls an added one yet.
        Kind::OperationRemoved => Breaking,
        Kind::OperationAdded => NonBreaking,
        // The wire is untouched. (Generated clients name methods after the operation id, but
        // that is a rename in the client's source, which its own compiler reports.)
        Kind::OperationIdChanged | Kind::SummaryChanged => Informational,
        // An OLD client does not send a new parameter or body: fatal only if NEW requires it.
        Kind::ParameterAdded { required } | Kind::RequestBodyAdded { required } => {
            if required {
                Breaking
            } else {
                NonBreaking
            }
        }
        // What the client still sends is no longer read: its request silently means less.
        Kind::ParameterRemoved | Kind::RequestBodyRemoved => Breaking,
        // A newly documented status is one more case described, not a new behaviour the OLD
        // client relied on; an undocumented one leaves the client without a shape for it.
        Kind::ResponseAdded => NonBreaking,
        Kind::ResponseRemoved => Breaking,
        // A response schema appearing describes what used to be anything; one disappearing
        // takes the client's decoder away. For a request body, the opposite.
        Kind::SchemaAdded => {
            if request {
                Breaking
            } else {
                NonBreaking
            }
        }
        Kind::SchemaRemoved => {
            if request {
                NonBreaking
            } else {
                Breaking
            }
        }
        // A new response field is ignored by an OLD decoder. A new request field matters only
        // when required, since the OLD client never sends it.
        Kind::FieldAdded { required } => {
            if request && required {
                Breaking
            } else {
                NonBreaking
            }
        }
        // A removed response field is missing from the client's decode; a removed request
        // field is what the client sends and the server no longer reads.
        Kind::FieldRemoved => Breaking,
        // Neither side's decoder survives a change of JSON type.
        Kind::TypeChanged => Breaking,
        // A format annotates a type the client already decodes; adding or dropping it (int64
        // on an integer, `format: string` on a string) changes no byte on the wire. Replacing
        // one with another (int32 -> int64, date -> date-time) can overflow or fail a typed
        // decoder.
        Kind::FormatAdded | Kind::FormatRemoved => Informational,
        Kind::FormatChanged => Breaking,
        // Required: in a response a promise to the client, in a request a demand on it.
        Kind::BecameRequired => {
            if request {
                Breaking
            } else {
                NonBreaking
            }
        }
        Kind::BecameOptional => {
            if request {
                NonBreaking
            } else {
                Breaking
            }
        }
        // Nullable: in a response a null the client must now handle, in a request a value the
        // server now also accepts.
        Kind::BecameNullable => {
            if request {
                NonBreaking
            } else {
                Breaking
            }
        }
        Kind::BecameNonNullable => {
            if request {
                Breaking
            } else {
                NonBreaking
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare::Location;
    use crate::diff::model::OpKey;

    fn change(location: Location, kind: Kind) -> Change {
        Change {
            operation: OpKey::new("get", "/api/v2/external-auth"),
            location,
            kind,
            old: None,
            new: None,
        }
    }

    fn response() -> Location {
        Location::ResponseBody {
            status: "200".into(),
            field: "user".into(),
        }
    }

    fn request() -> Location {
        Location::RequestBody {
            field: "device_code".into(),
        }
    }

    #[test]
    fn responses_break_when_the_client_can_no_longer_decode() {
        assert_eq!(
            classify(&change(response(), Kind::FieldRemoved)),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(response(), Kind::TypeChanged)),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(response(), Kind::BecameNullable)),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(response(), Kind::BecameOptional)),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(response(), Kind::FieldAdded { required: true })),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(response(), Kind::FieldAdded { required: false })),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(response(), Kind::BecameRequired)),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(response(), Kind::FormatAdded)),
            Severity::Informational
        );
        assert_eq!(
            classify(&change(response(), Kind::FormatChanged)),
            Severity::Breaking
        );
    }

    #[test]
    fn requests_break_when_the_client_no_longer_sends_enough() {
        assert_eq!(
            classify(&change(request(), Kind::FieldAdded { required: true })),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(request(), Kind::FieldAdded { required: false })),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(request(), Kind::BecameRequired)),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(request(), Kind::BecameOptional)),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(request(), Kind::BecameNullable)),
            Severity::NonBreaking
        );
        let param = Location::Parameter {
            place: "query".into(),
            name: "q".into(),
        };
        assert_eq!(
            classify(&change(
                param.clone(),
                Kind::ParameterAdded { required: true }
            )),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(param, Kind::ParameterAdded { required: false })),
            Severity::NonBreaking
        );
    }

    #[test]
    fn operations_and_statuses() {
        assert_eq!(
            classify(&change(Location::Operation, Kind::OperationRemoved)),
            Severity::Breaking
        );
        assert_eq!(
            classify(&change(Location::Operation, Kind::OperationAdded)),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(Location::Operation, Kind::SummaryChanged)),
            Severity::Informational
        );
        let status = Location::Response {
            status: "404".into(),
        };
        assert_eq!(
            classify(&change(status.clone(), Kind::ResponseAdded)),
            Severity::NonBreaking
        );
        assert_eq!(
            classify(&change(status, Kind::ResponseRemoved)),
            Severity::Breaking
        );
    }
}
