//! Parsing of path parameters, query strings, headers and JSON bodies.
//! Every failure here is the client's and becomes a 4xx.

use super::error::AppError;
use crate::domain::ids::{parse_id, UserId};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A positive integer path parameter.
pub fn path_id(req: &Request, name: &str) -> Result<u64, AppError> {
    let raw = path_param(req, name)?;
    Ok(parse_id(&raw, name)?)
}

pub fn path_param(req: &Request, name: &str) -> Result<String, AppError> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
        .ok_or_else(|| AppError::bad_request(format!("경로에 {name}가 없습니다.")))
}

/// A `userId` path parameter, checked.
pub fn path_user(req: &Request) -> Result<UserId, AppError> {
    Ok(UserId::parse(&path_param(req, "userId")?)?)
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

/// The value of a header, if present and readable text.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The token of `Authorization: Bearer <token>`, or None when the header is
/// missing or not of that form.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = header(req, "authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The caller API Gateway's IAM authorization verified (its ARN), if the
/// route uses it; the local gateway puts the organiser here likewise.
pub fn iam_principal(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        lambda_http::request::RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()?
            .iam
            .as_ref()?
            .user_arn
            .clone()
            .filter(|arn| !arn.is_empty()),
        _ => None,
    }
}

pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// The JSON body as `T`: 413 past [`MAX_BODY_BYTES`], 400 when it is not
/// JSON of the expected shape.
/// The body as JSON: sent as JSON (no `Content-Type`, or
/// `application/json` with any parameters; else 415), and strict (SPEC §5).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, AppError> {
    if let Some(kind) = header(req, "content-type") {
        let media = kind.split(';').next().unwrap_or_default().trim();
        if !media.eq_ignore_ascii_case("application/json") {
            return Err(AppError::UnsupportedMediaType);
        }
    }
    parse_json(body_bytes(req))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request("요청 본문이 비어 있습니다."));
    }
    // Valid JSON first (serde's message says where it breaks), then the
    // API's stricter rules, then the type, read from the text itself.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| AppError::bad_request(format!("요청 본문을 읽을 수 없습니다: {e}")))?;
    super::strict::check(bytes).map_err(AppError::bad_request)?;
    serde_json::from_slice(bytes)
        .map_err(|e| AppError::bad_request(format!("요청 본문을 읽을 수 없습니다: {e}")))
}

/// The `sub` of the verified identity token, if the event carries one.
pub fn verified_user(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()?
            .jwt
            .as_ref()?
            .claims
            .get("sub")
            .filter(|sub| !sub.is_empty())
            .cloned(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body1 {
        a: u64,
    }

    #[test]
    fn json_rules() {
        assert!(parse_json::<Body1>(br#"{"a":1}"#).is_ok());
        assert!(matches!(
            parse_json::<Body1>(b""),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body1>(b"{"),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body1>(br#"{"a":"1"}"#),
            Err(AppError::BadRequest(_))
        ));
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            parse_json::<Body1>(&big).unwrap_err(),
            AppError::PayloadTooLarge
        );
    }

    #[test]
    fn bearer_forms() {
        let req = |v: &str| {
            lambda_http::http::Request::builder()
                .header("Authorization", v)
                .body(Body::Empty)
                .unwrap()
        };
        assert_eq!(bearer(&req("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&req("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&req("Basic abc")), None);
        assert_eq!(bearer(&req("Bearer ")), None);
    }
}
