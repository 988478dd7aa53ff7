//! The local stand-in for API Gateway: matches a request to a route of
//! `template.yaml`, builds the payload-2.0 event the Lambda would receive
//! and calls the same handler code.

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Request, Response};
use devkit::event::{decode_segment, ApiCall};
use sam::Template;
use shared::http::request::MAX_BODY_BYTES;
use shared::http::Reply;
use shared::{App, AppError, Endpoint};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// One route of the template, bound to its handler.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    segments: Vec<Segment>,
    pub endpoint: Endpoint,
    /// IAM-authorised in AWS; here the organiser's bearer token stands in.
    pub iam: bool,
    /// Behind the JWT authorizer in AWS; here the development identity
    /// provider's tokens, verified the same way (in `jwt` mode).
    pub identity: bool,
}

/// The template's name of the JWT authorizer of identity tokens.
pub const IDENTITY_AUTHORIZER: &str = "IdentityAuthorizer";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

impl Route {
    pub fn new(method: &str, path: &str, endpoint: Endpoint) -> Self {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_string()),
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        Route {
            method: method.to_uppercase(),
            path: path.to_string(),
            segments,
            endpoint,
            iam: false,
            identity: false,
        }
    }

    /// Path parameters when `path` fits this route.
    fn capture(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (seg, part) in self.segments.iter().zip(parts) {
            match seg {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), decode_segment(part)?)),
            }
        }
        Some(params)
    }

    fn literal_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

/// The routes of the template; fails if a route names a function the
/// workspace does not have.
pub fn routes(template: &Template) -> Result<Vec<Route>, crate::Error> {
    let iam = template.routes_authorized_by("AWS_IAM");
    let identity = template.routes_authorized_by(IDENTITY_AUTHORIZER);
    template
        .http_routes()
        .into_iter()
        .map(|(method, path, binary)| {
            let endpoint = Endpoint::by_name(&binary).ok_or_else(|| {
                crate::Error::Template(format!(
                    "route {method} {path} names unknown function {binary}"
                ))
            })?;
            let mut route = Route::new(&method, &path, endpoint);
            route.iam = iam.contains(&(method.clone(), path.clone()));
            route.identity = identity.contains(&(method.clone(), path.clone()));
            Ok(route)
        })
        .collect()
}

/// The organiser as the local gateway names them to the handlers, where
/// API Gateway puts the signer's ARN.
pub const LOCAL_ORGANISER: &str = "arn:aws:iam::000000000000:user/local-organiser";

pub struct Gateway {
    pub app: App,
    pub routes: Vec<Route>,
    /// `ADMIN_TOKEN`: the bearer token that stands in for SigV4 locally.
    pub admin_token: String,
    /// In `jwt` mode, the identity provider whose tokens the identity
    /// routes need (as API Gateway's JWT authorizer would check them).
    pub identity: Option<Arc<crate::identity::DevIdentity>>,
    /// Sale-path answers of the last seconds, for the admission guard.
    pub busy: crate::guard::BusyShare,
}

/// The bearer token of an `Authorization` header, if any.
fn bearer_of(headers: &[(String, String)]) -> Option<&str> {
    headers.iter().find_map(|(k, v)| {
        let v = v.trim();
        let scheme = v.get(..7).filter(|p| p.eq_ignore_ascii_case("bearer "))?;
        k.eq_ignore_ascii_case("authorization")
            .then(|| v[scheme.len()..].trim())
    })
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub enum Matched<'a> {
    Route(&'a Route, Vec<(String, String)>),
    /// The path exists with these methods only.
    WrongMethod(Vec<String>),
    NoRoute,
}

impl Gateway {
    /// The most specific route for `path` (literal segments beat
    /// parameters, as in API Gateway).
    pub fn find(&self, method: &str, path: &str) -> Matched<'_> {
        let mut best: Option<(&Route, Vec<(String, String)>)> = None;
        let mut allowed = Vec::new();
        for r in &self.routes {
            let Some(params) = r.capture(path) else {
                continue;
            };
            allowed.push((r.literal_count(), r.method.clone()));
            if r.method != method {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(b, _)| r.literal_count() > b.literal_count())
            {
                best = Some((r, params));
            }
        }
        match best {
            Some((r, p)) => Matched::Route(r, p),
            None if !allowed.is_empty() => {
                // The methods of the resource the path names: its most
                // specific route pattern (as the OpenAPI document lists it).
                let specific = allowed.iter().map(|(n, _)| *n).max().unwrap_or(0);
                let mut methods: Vec<String> = allowed
                    .into_iter()
                    .filter(|(n, _)| *n == specific)
                    .map(|(_, m)| m)
                    .collect();
                methods.sort();
                methods.dedup();
                Matched::WrongMethod(methods)
            }
            None => Matched::NoRoute,
        }
    }
}

/// `GET /.well-known/jwks.json` (jwt mode): the public key the
/// development identity provider's tokens are checked with.
pub async fn serve_jwks(State(gw): State<Arc<Gateway>>) -> Response<Body> {
    match &gw.identity {
        Some(idp) => json_response(axum::http::StatusCode::OK, &idp.jwks()),
        None => to_response(Reply::error(&AppError::RouteNotFound)),
    }
}

/// `POST /dev/tokens` `{userId, expiresInSeconds?}` → 201 `{idToken}`.
pub async fn serve_token(
    State(gw): State<Arc<Gateway>>,
    body: axum::body::Bytes,
) -> Response<Body> {
    let Some(idp) = &gw.identity else {
        return to_response(Reply::error(&AppError::RouteNotFound));
    };
    match crate::identity::token_for(idp, &body, gw.app.now_ms()) {
        Ok(token) => json_response(
            axum::http::StatusCode::CREATED,
            &serde_json::json!({ "idToken": token }),
        ),
        Err(e) => to_response(Reply::error(&e)),
    }
}

fn json_response(status: axum::http::StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(value.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    resp
}

fn to_response(reply: Reply) -> Response<Body> {
    let resp = reply.into_response();
    let (parts, body) = resp.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, Body::from(bytes))
}

/// The API's routes enter here (the docs pages are served beside them).
pub async fn serve(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
) -> Response<Body> {
    dispatch(&gw, peer, req).await
}

/// One log line per request, whatever serves it.
pub async fn log_request(req: Request<Body>, next: axum::middleware::Next) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    tracing::info!(
        target: "gateway",
        "{method} {path} {} {:.1}ms",
        resp.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    resp
}

/// Longest request target (path and query) the gateway takes.
pub const MAX_URI_BYTES: usize = 8 * 1024;

async fn dispatch(gw: &Gateway, peer: SocketAddr, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let target = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return to_response(Reply::error(&AppError::UriTooLong));
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await {
        Ok(b) if b.len() <= MAX_BODY_BYTES => b,
        _ => return to_response(Reply::error(&AppError::PayloadTooLarge)),
    };
    // Every header reaches the handler, as API Gateway passes it: a value
    // that is not visible ASCII is the handler's to refuse, not ours to drop.
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_string(), value)
        })
        .collect();
    let call = Call {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
        body: &body,
        source_ip: peer.ip().to_string(),
    };
    let answer = gw.call(call).await;
    let mut resp = to_response(answer.reply);
    if !answer.allow.is_empty() {
        // RFC 9110: a 405 says which methods the resource has.
        if let Ok(v) = axum::http::HeaderValue::from_str(&answer.allow.join(", ")) {
            resp.headers_mut().insert(axum::http::header::ALLOW, v);
        }
    }
    resp
}

/// The reply to a call, and for a 405 the methods the path does have.
#[derive(Debug, Clone)]
pub struct Answer {
    pub reply: Reply,
    pub allow: Vec<String>,
}

/// A raw HTTP request, before routing.
#[derive(Debug, Clone, Default)]
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
    pub source_ip: String,
}

impl<'a> Call<'a> {
    /// A request from a caller on this machine: `target` is the path with
    /// its query string, if any.
    pub fn loopback(
        method: &'a str,
        target: &'a str,
        headers: Vec<(String, String)>,
        body: &'a [u8],
    ) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Call {
            method,
            path,
            query,
            headers,
            body,
            source_ip: "127.0.0.1".into(),
        }
    }
}

impl Gateway {
    /// Routes one request and runs its handler, as API Gateway and Lambda
    /// would: the handler receives the payload-2.0 event.
    pub async fn call(&self, call: Call<'_>) -> Answer {
        let (route, params) = match self.find(call.method, call.path) {
            Matched::Route(r, p) => (r, p),
            Matched::WrongMethod(allow) => {
                return Answer {
                    reply: Reply::error(&AppError::MethodNotAllowed),
                    allow,
                }
            }
            Matched::NoRoute => {
                return Answer {
                    reply: Reply::error(&AppError::RouteNotFound),
                    allow: Vec::new(),
                }
            }
        };
        if call.body.len() > MAX_BODY_BYTES {
            return Answer {
                reply: Reply::error(&AppError::PayloadTooLarge),
                allow: Vec::new(),
            };
        }
        // API Gateway's IAM authorization, played by the organiser's token.
        let organiser = route.iam.then_some(LOCAL_ORGANISER);
        if route.iam {
            let presented = bearer_of(&call.headers);
            if !presented.is_some_and(|t| !t.is_empty() && same_secret(t, &self.admin_token)) {
                return Answer {
                    reply: Reply::error(&AppError::AdminUnauthorized),
                    allow: Vec::new(),
                };
            }
        }
        let claims = match (route.identity, &self.identity) {
            (true, Some(idp)) => match idp.verify(bearer_of(&call.headers), self.app.now_ms()) {
                Ok(claims) => Some(claims),
                Err(_) => {
                    return Answer {
                        reply: Reply::error(&AppError::IdentityInvalid),
                        allow: Vec::new(),
                    }
                }
            },
            _ => None,
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let event = ApiCall {
            method: call.method,
            route: &route.path,
            path: call.path,
            query: call.query,
            path_params: params,
            headers: call.headers,
            body: (!call.body.is_empty()).then_some(call.body),
            source_ip: &call.source_ip,
            request_id: &request_id,
            time_epoch_ms: self.app.now_ms(),
            iam_principal: organiser,
            jwt_claims: claims.as_ref(),
        };
        let reply = match event.to_request() {
            Ok(req) => route.endpoint.reply(&self.app, &req).await,
            Err(e) => Reply::error(&AppError::bad_request(e.to_string())),
        };
        if route.endpoint.on_sale_path() {
            crate::guard::note(&self.busy, self.app.now_ms(), reply.status);
        }
        Answer {
            reply,
            allow: Vec::new(),
        }
    }
}
