//! API Gateway HTTP API (payload 2.0) events: the exact JSON a Lambda
//! function receives. The local gateway and the tests build requests
//! through here so the handlers see what they see in AWS.

use base64::Engine;
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
    /// The caller's ARN, on a route whose IAM authorization let it through.
    pub iam_principal: Option<&'a str>,
    /// The verified identity token's claims, on a route behind the JWT
    /// authorizer (as strings, as API Gateway gives them).
    pub jwt_claims: Option<&'a std::collections::BTreeMap<String, String>>,
}

/// A request that cannot become an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnEvent(pub String);

impl std::fmt::Display for NotAnEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not an API Gateway event: {}", self.0)
    }
}

impl ApiCall<'_> {
    /// The payload-2.0 event JSON for this call.
    pub fn to_event(&self) -> Value {
        let headers = joined_headers(&self.headers);
        let route_key = format!("{} {}", self.method, self.route);
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.path,
            "rawQueryString": self.query,
            "requestContext": self.request_context(&headers, &route_key),
            "headers": headers,
            "isBase64Encoded": false,
        });
        let query = query_params(self.query);
        if !query.is_empty() {
            event["queryStringParameters"] = Value::Object(query);
        }
        if !self.path_params.is_empty() {
            let params = self
                .path_params
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())));
            event["pathParameters"] = Value::Object(params.collect());
        }
        if let Some(body) = self.body {
            // Text goes as it is; anything else base64-encoded, as API Gateway does.
            let (text, base64) = match std::str::from_utf8(body) {
                Ok(text) => (text.to_string(), false),
                Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
            };
            event["body"] = Value::String(text);
            event["isBase64Encoded"] = Value::Bool(base64);
        }
        event
    }

    fn request_context(&self, headers: &Map<String, Value>, route_key: &str) -> Value {
        let header =
            |name: &str, default: &str| headers.get(name).cloned().unwrap_or(Value::from(default));
        let mut context = json!({
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": header("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": self.method,
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": self.source_ip,
                "userAgent": header("user-agent", ""),
            },
            "requestId": self.request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": "",
            "timeEpoch": self.time_epoch_ms,
        });
        if let Some(claims) = self.jwt_claims {
            // Where API Gateway's JWT authorizer puts the verified claims.
            context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        if let Some(arn) = self.iam_principal {
            // Where API Gateway's IAM authorizer names the signer.
            context["authorizer"] = json!({ "iam": {
                "accessKey": "LOCAL",
                "accountId": "000000000000",
                "callerId": "LOCAL",
                "principalOrgId": null,
                "userArn": arn,
                "userId": "LOCAL",
            }});
        }
        context
    }

    /// The request the Lambda runtime would hand the handler for this
    /// event (straight from the JSON value, without printing it first).
    pub fn to_request(&self) -> Result<Request, NotAnEvent> {
        let event: aws_lambda_events::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(self.to_event()).map_err(|e| NotAnEvent(e.to_string()))?;
        Ok(lambda_http::request::LambdaRequest::ApiGatewayV2(event).into())
    }
}

/// Lower-cased names; API Gateway joins repeated headers with commas.
fn joined_headers(headers: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in headers {
        let k = k.to_ascii_lowercase();
        match out.get_mut(&k) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(v);
            }
            _ => {
                out.insert(k, Value::String(v.clone()));
            }
        }
    }
    out
}

/// Decoded query parameters (`+` is a space); a repeated name keeps its
/// last value, as `queryStringParameters` shows it.
fn query_params(query: &str) -> Map<String, Value> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// One percent-encoded path segment, decoded; None when it is not UTF-8.
pub fn decode_segment(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Parses event JSON the way the Lambda runtime does.
pub fn request_from_event(json: &str) -> Result<Request, NotAnEvent> {
    lambda_http::request::from_str(json).map_err(|e| NotAnEvent(e.to_string()))
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
    fn binary_bodies_travel_base64_encoded() {
        let body = [0xffu8, 0x00];
        let call = ApiCall {
            method: "POST",
            route: "/queues",
            path: "/queues",
            body: Some(&body),
            ..Default::default()
        };
        let event = call.to_event();
        assert_eq!(event["body"], "/wA=");
        assert_eq!(event["isBase64Encoded"], true);
    }

    #[test]
    fn decoding() {
        assert_eq!(query_params("a=x%2Fy+z")["a"], "x/y z");
        assert_eq!(decode_segment("a%2Fb").as_deref(), Some("a/b"));
        assert_eq!(decode_segment("%ff"), None);
    }
}
