//! Hand-written OpenAPI schemas for the types whose rules the derive cannot express: the
//! flat wire form of a scope, and TLP:RED's need for named recipients.

use std::borrow::Cow;

use serde_json::json;
use utoipa::openapi::{RefOr, Schema};

use crate::releasability::RECIPIENTS_MAX;
use crate::{DistributionScope, Releasability};

fn from_json(value: serde_json::Value) -> RefOr<Schema> {
    // The literals below are valid schemas; a failure here is a programming error caught by
    // the schema test.
    serde_json::from_value(value).unwrap_or_else(|_| RefOr::T(Schema::default()))
}

fn scope_variant(kind: &str, extra: Option<(&str, serde_json::Value)>) -> serde_json::Value {
    let mut properties = json!({"kind": {"type": "string", "enum": [kind]}});
    let mut required = vec!["kind"];
    if let Some((name, schema)) = extra {
        properties[name] = schema;
        required.push(name);
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn organizations_schema() -> serde_json::Value {
    json!({"type": "array", "items": {"type": "string", "format": "uuid"},
           "minItems": 1, "maxItems": RECIPIENTS_MAX, "uniqueItems": true})
}

fn named_recipient_scopes() -> Vec<serde_json::Value> {
    vec![
        scope_variant("organization", None),
        scope_variant("organizations", Some(("organizations", organizations_schema()))),
    ]
}

fn all_scopes() -> Vec<serde_json::Value> {
    let community = json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$", "example": "straits-psg"});
    let mut scopes = named_recipient_scopes();
    scopes.push(scope_variant("nation", None));
    scopes.push(scope_variant("community", Some(("community", community))));
    scopes.push(scope_variant("all_partners", None));
    scopes
}

impl utoipa::PartialSchema for DistributionScope {
    fn schema() -> RefOr<Schema> {
        from_json(json!({
            "description": "Who receives a record at all, relative to its owning organization.",
            "oneOf": all_scopes(),
        }))
    }
}

impl utoipa::ToSchema for DistributionScope {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("DistributionScope")
    }
}

impl utoipa::PartialSchema for Releasability {
    fn schema() -> RefOr<Schema> {
        let marking = |tlps: &[&str], scopes: Vec<serde_json::Value>| {
            json!({"type": "object", "required": ["tlp", "scope"], "additionalProperties": false,
                   "properties": {"tlp": {"type": "string", "enum": tlps}, "scope": {"oneOf": scopes}}})
        };
        from_json(json!({
            "description": "A TLP 2.0 marking plus a distribution scope. TLP:RED is for named \
                            recipients only, so it takes scope `organization` or `organizations`.",
            "oneOf": [
                marking(&["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"], all_scopes()),
                marking(&["RED"], named_recipient_scopes()),
            ],
        }))
    }
}

impl utoipa::ToSchema for Releasability {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Releasability")
    }
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::*;

    #[test]
    fn hand_written_schemas_parse() {
        for schema in [Releasability::schema(), DistributionScope::schema()] {
            let text = serde_json::to_string(&schema).unwrap_or_default();
            assert!(text.contains("oneOf"), "{text}");
        }
    }
}
