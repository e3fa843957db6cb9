//! Extractors that turn bad input into problems naming the field.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use hl_node::Subject;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::{ApiError, FieldLocation};

/// A JSON body, parsed with the path of any failing field kept.
pub struct ApiJson<T>(pub T);

/// Converts serde_path_to_error's path into a JSON Pointer, adding the field a "missing" or
/// "unknown field" message names (serde reports those at the parent).
fn pointer(path: &serde_path_to_error::Path, message: &str) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        use serde_path_to_error::Segment;
        let part = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } | Segment::Enum { variant: key } => key.clone(),
            Segment::Unknown => continue,
        };
        out.push('/');
        out.push_str(&part.replace('~', "~0").replace('/', "~1"));
    }
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.strip_prefix(marker).or_else(|| message.split(marker).nth(1))
            && let Some(name) = rest.split('`').next()
            && !out.ends_with(&format!("/{name}"))
        {
            out.push('/');
            out.push_str(name);
        }
    }
    out
}

/// A JSON body that may be left out: an empty body reads as `T::default()`; a body that is
/// there is checked as strictly as [`ApiJson`]'s.
pub struct OptionalApiJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() == b"0")
            || (req.headers().get(header::CONTENT_LENGTH).is_none()
                && req.headers().get(header::TRANSFER_ENCODING).is_none());
        if empty {
            return Ok(OptionalApiJson(T::default()));
        }
        ApiJson::<T>::from_request(req, state).await.map(|ApiJson(value)| OptionalApiJson(value))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json_type {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON (Content-Type: application/json)",
            )
            .at(FieldLocation::Header, "content-type"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(status, "body_too_large", "the request body exceeds the size limit")
            } else {
                ApiError::new(status, "unreadable_body", rejection.body_text())
            }
        })?;
        // Parse the syntax first (400), then insist on an object (serde would otherwise read a
        // top-level array positionally into a struct), then map fields with their path (422).
        let document = strict_document(&bytes)?;
        if !document.is_object() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "the body must be a JSON object",
            )
            .at(FieldLocation::Body, ""));
        }
        let value: T = serde_path_to_error::deserialize(document).map_err(|err| {
            let message = err.inner().to_string();
            let field = pointer(err.path(), &message);
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).at(FieldLocation::Body, field)
        })?;
        Ok(ApiJson(value))
    }
}

/// Parses a JSON document, refusing an object with a key twice: JSON parsers disagree on which
/// of the two wins (serde keeps the last, others the first), so a proxy or a peer could read a
/// different request than the node does. 400 `malformed_json` for bad syntax, 400
/// `duplicate_key` naming the key's JSON Pointer.
fn strict_document(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    use serde::de::DeserializeSeed;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = StrictValue { path: String::new() }.deserialize(&mut deserializer).and_then(|v| {
        deserializer.end()?;
        Ok(v)
    });
    parsed.map_err(|e| {
        let message = e.to_string();
        match message.strip_prefix(DUPLICATE_KEY) {
            Some(rest) => {
                let pointer = rest.split(' ').next().unwrap_or_default().to_owned();
                ApiError::new(StatusCode::BAD_REQUEST, "duplicate_key", format!("the key at {pointer} appears twice"))
                    .at(FieldLocation::Body, pointer)
            }
            None => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message),
        }
    })
}

/// Start of the error a duplicate key raises inside the parser (followed by its pointer).
const DUPLICATE_KEY: &str = "duplicate key at ";

/// A JSON value whose objects have unique keys; `path` is its JSON Pointer.
struct StrictValue {
    path: String,
}

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue { path: format!("{}/{}", self.path, items.len()) })? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}/{}", self.path, key.replace('~', "~0").replace('/', "~1"));
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("{DUPLICATE_KEY}{path} ")));
            }
            let value = map.next_value_seed(StrictValue { path })?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

#[cfg(test)]
mod strict_tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_with_their_pointer_and_others_parse_as_serde_would() {
        let err = strict_document(br#"{"a": {"b": 1, "b": 2}}"#).err().map(|e| format!("{e:?}")).unwrap_or_default();
        assert!(err.contains("/a/b"), "{err}");
        let text = br#"{"t": "x", "n": [1, -2, 3.5, null, true, {"k": "v"}], "e": {}}"#;
        let strict = strict_document(text).ok();
        assert_eq!(strict, serde_json::from_slice(text).ok());
        assert!(strict_document(b"{\"a\": 1} trailing").is_err());
        assert!(strict_document(b"{\"a\": ").is_err());
    }
}

/// Query parameters, with the failing parameter named.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(ApiQuery).map_err(|err| {
            let message = err.inner().to_string();
            let field = pointer(err.path(), &message).trim_start_matches('/').to_owned();
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).at(FieldLocation::Query, field)
        })
    }
}

/// Parses a path parameter, naming it on failure.
pub fn path_param<T: std::str::FromStr>(name: &str, raw: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e: T::Err| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", e.to_string()).at(FieldLocation::Path, name)
    })
}

/// The token of `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 9110
/// §11.1): `Bearer`, `bearer`, `BEARER`.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    let (scheme, token) = header.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct Caller(pub Subject);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer_token(&parts.headers) else {
            metrics::counter!("harborlink_auth_failures_total", "reason" => "missing").increment(1);
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "a bearer token is required")
                .at(FieldLocation::Header, "authorization"));
        };
        match state.node.authenticate(token).await {
            Ok(subject) => Ok(Caller(subject)),
            Err(err) => {
                metrics::counter!("harborlink_auth_failures_total", "reason" => "rejected").increment(1);
                Err(ApiError::from(err).at(FieldLocation::Header, "authorization"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        tlp: hl_types::Tlp,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        title: String,
        inner: Inner,
    }

    fn field_of(json: &str) -> String {
        let mut de = serde_json::Deserializer::from_str(json);
        match serde_path_to_error::deserialize::<_, Outer>(&mut de) {
            Ok(_) => String::from("<ok>"),
            Err(err) => pointer(err.path(), &err.inner().to_string()),
        }
    }

    #[test]
    fn pointers_name_the_offending_field() {
        assert_eq!(field_of(r#"{"title":"t","inner":{"tlp":"PINK"}}"#), "/inner/tlp");
        assert_eq!(field_of(r#"{"title":5,"inner":{"tlp":"RED"}}"#), "/title");
        assert_eq!(field_of(r#"{"inner":{"tlp":"RED"}}"#), "/title");
        assert_eq!(field_of(r#"{"title":"t","inner":{"tlp":"RED","x":1}}"#), "/inner/x");
        assert_eq!(field_of(r#"{"title":"t","inner":{}}"#), "/inner/tlp");
    }
}
