//! API Gateway HTTP API (payload 2.0) events: the exact JSON a Lambda
//! function receives. The local gateway and the tests build requests
//! through here so the handlers see what they see in AWS.

use crate::error::AppError;
use lambda_http::Request;
use serde_json::{json, Map, Value};

/// An HTTP request as the gateway saw it, matched to a route.
#[derive(Debug, Clone, Default)]
pub struct ApiCall<'a> {
    pub method: &'a str,
    /// The template's route path, e.g. `/concerts/{concertId}`.
    pub route: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub path_params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<&'a [u8]>,
    pub source_ip: &'a str,
    pub request_id: &'a str,
    pub time_epoch_ms: i64,
}

impl ApiCall<'_> {
    /// The payload-2.0 event JSON for this call.
    pub fn to_event(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            let k = k.to_ascii_lowercase();
            // API Gateway joins repeated headers with commas.
            match headers.get_mut(&k) {
                Some(Value::String(prev)) => {
                    prev.push(',');
                    prev.push_str(v);
                }
                _ => {
                    headers.insert(k, Value::String(v.clone()));
                }
            }
        }
        let query_params: Map<String, Value> = self
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                Some((decode(k)?, Value::String(decode(v)?)))
            })
            .collect();
        let path_params: Map<String, Value> = self
            .path_params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let (body, base64) = match self.body {
            None => (Value::Null, false),
            Some(b) => match std::str::from_utf8(b) {
                Ok(text) => (Value::String(text.to_string()), false),
                Err(_) => (Value::String(base64_encode(b)), true),
            },
        };
        let user_agent = headers
            .get("user-agent")
            .cloned()
            .unwrap_or(Value::String(String::new()));
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.route),
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "local",
                "domainName": headers.get("host").cloned().unwrap_or(Value::String("localhost".into())),
                "domainPrefix": "local",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": user_agent,
                },
                "requestId": self.request_id,
                "routeKey": format!("{} {}", self.method, self.route),
                "stage": "$default",
                "time": "",
                "timeEpoch": self.time_epoch_ms,
            },
            "isBase64Encoded": base64,
        });
        if !query_params.is_empty() {
            event["queryStringParameters"] = Value::Object(query_params);
        }
        if !path_params.is_empty() {
            event["pathParameters"] = Value::Object(path_params);
        }
        if !body.is_null() {
            event["body"] = body;
        }
        event
    }

    /// The request the Lambda runtime would hand the handler for this
    /// event (straight from the JSON value, without printing it first).
    pub fn to_request(&self) -> Result<Request, AppError> {
        let event: aws_lambda_events::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(self.to_event())
                .map_err(|e| AppError::bad_request(format!("not an API Gateway event: {e}")))?;
        Ok(lambda_http::request::LambdaRequest::ApiGatewayV2(event).into())
    }
}

/// Parses event JSON the way the Lambda runtime does.
pub fn request_from_event(json: &str) -> Result<Request, AppError> {
    lambda_http::request::from_str(json)
        .map_err(|e| AppError::bad_request(format!("not an API Gateway event: {e}")))
}

/// Percent-decoding of one query component (`+` is a space).
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn base64_encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    #[test]
    fn event_round_trips_into_a_request() {
        let call = ApiCall {
            method: "GET",
            route: "/concerts/schedules/{scheduleId}/seats",
            path: "/concerts/schedules/7/seats",
            query: "limit=2&cursor=a%20b",
            path_params: vec![("scheduleId".into(), "7".into())],
            headers: vec![("Authorization".into(), "Bearer x".into())],
            ..Default::default()
        };
        let req = call.to_request().unwrap();
        assert_eq!(
            req.path_parameters_ref().unwrap().first("scheduleId"),
            Some("7")
        );
        assert_eq!(
            req.query_string_parameters_ref().unwrap().first("cursor"),
            Some("a b")
        );
        assert_eq!(req.headers().get("authorization").unwrap(), "Bearer x");
    }

    #[test]
    fn helpers() {
        assert_eq!(decode("a%2Fb+c").as_deref(), Some("a/b c"));
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%4"), Some("%4".into()));
        assert_eq!(base64_encode(b"\xff\x00"), "/wA=");
        assert_eq!(base64_encode(b"abc"), "YWJj");
    }
}
