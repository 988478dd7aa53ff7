//! The one HTTP client of the tools: the API tests, the benchmark and the
//! operator's command. Keep-alive HTTP/1.1 over a connection pool (HTTPS
//! for a deployed stack), JSON in and out, and the caller's proof: a
//! bearer token (a fan's queue token, the local stack's `ADMIN_TOKEN`) or
//! SigV4 for API Gateway's IAM authorization of the organiser's routes.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client as Pool};
use hyper_util::rt::TokioExecutor;
use std::time::SystemTime;

/// How requests prove who sends them, unless a call carries its own token.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer …` on every request.
    Bearer(String),
    /// SigV4 for `service` (`execute-api` for the stack's API, `lambda`
    /// to start a function) in this region.
    SigV4 {
        credentials: Credentials,
        region: String,
        service: &'static str,
    },
}

/// What a call can fail with (an answer of any status is not a failure).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no TLS root certificates: {0}")]
    Tls(String),
    #[error("request not built: {0}")]
    Request(String),
    #[error("request not signed: {0}")]
    Sign(String),
    #[error("{url}: {message}")]
    Send { url: String, message: String },
}

/// One answer: its status and JSON body (`Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

#[derive(Clone)]
pub struct Client {
    base: String,
    auth: Auth,
    pool: Pool<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Idle connections kept per host: a load run's workers each keep theirs.
const IDLE_PER_HOST: usize = 512;

impl Client {
    /// A client of the API at `base` (`http://127.0.0.1:8080`, or a
    /// deployed stack's `https://…` URL).
    pub fn new(base: &str, auth: Auth) -> Result<Client, ClientError> {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| ClientError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            auth,
            pool: Pool::builder(TokioExecutor::new())
                .pool_max_idle_per_host(IDLE_PER_HOST)
                .build(connector),
        })
    }

    /// Sends one request: `token` is a bearer token for this call alone
    /// (a fan's queue token), else the client's own proof is added.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let key = idempotency_key.map(|k| ("idempotency-key", k));
        self.call_with(method, path, token, body, key.as_slice())
            .await
    }

    /// [`Client::call`] with these headers besides.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, ClientError> {
        let url = format!("{}{path}", self.base);
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(&url)
            .header("content-type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut req = req
            .body(Full::new(Bytes::from(bytes.clone())))
            .map_err(|e| ClientError::Request(e.to_string()))?;
        if token.is_none() {
            self.authorise(&mut req, bytes.as_bytes(), SystemTime::now())?;
        }
        let sent = |e: &dyn std::fmt::Display| ClientError::Send {
            url: url.clone(),
            message: e.to_string(),
        };
        let resp = self.pool.request(req).await.map_err(|e| sent(&e))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| sent(&e))?
            .to_bytes();
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        })
    }

    /// Adds the client's proof: a bearer token, or the SigV4 headers
    /// (`Authorization`, the date and any session token) over the request.
    pub fn authorise<B>(
        &self,
        req: &mut hyper::Request<B>,
        body: &[u8],
        at: SystemTime,
    ) -> Result<(), ClientError> {
        let (credentials, region, service) = match &self.auth {
            Auth::None => return Ok(()),
            Auth::Bearer(token) => {
                let value = format!("Bearer {token}")
                    .parse()
                    .map_err(|_| ClientError::Request("a token that is no header value".into()))?;
                req.headers_mut().insert("authorization", value);
                return Ok(());
            }
            Auth::SigV4 {
                credentials,
                region,
                service,
            } => (credentials, region, service),
        };
        let signing = |e: &dyn std::fmt::Display| ClientError::Sign(e.to_string());
        let identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| signing(&e))?
            .into();
        let uri = req.uri().to_string();
        let headers: Vec<(&str, &str)> = req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
            .collect();
        let signable = SignableRequest::new(
            req.method().as_str(),
            &uri,
            headers.into_iter(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| signing(&e))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| signing(&e))?
            .into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_signed_for_execute_api() {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let api = Client::new(
            "https://abc.execute-api.ap-northeast-2.amazonaws.com",
            Auth::SigV4 {
                credentials,
                region: "ap-northeast-2".into(),
                service: "execute-api",
            },
        )
        .unwrap();
        let mut req = hyper::Request::builder()
            .method("POST")
            .uri("https://abc.execute-api.ap-northeast-2.amazonaws.com/admin/concerts")
            .header("content-type", "application/json")
            .body(())
            .unwrap();
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
        api.authorise(&mut req, b"{}", at).unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/ap-northeast-2/execute-api/aws4_request"
            ),
            "{auth}"
        );
        assert_eq!(req.headers()["x-amz-date"], "20260101T000000Z");
    }

    #[test]
    fn a_bearer_client_sends_its_token() {
        let api = Client::new("http://127.0.0.1:1", Auth::Bearer("organiser".into())).unwrap();
        let mut req = hyper::Request::builder()
            .uri("/admin/queue")
            .body(())
            .unwrap();
        api.authorise(&mut req, b"", SystemTime::now()).unwrap();
        assert_eq!(req.headers()["authorization"], "Bearer organiser");
    }
}
