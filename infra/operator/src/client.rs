//! The organiser API over HTTP(S): SigV4-signed with the operator's AWS
//! credentials for a deployed stack (API Gateway's IAM authorization), or
//! the local stack's `ADMIN_TOKEN` as a bearer token.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client as Pool};
use hyper_util::rt::TokioExecutor;
use std::time::SystemTime;

/// How requests prove they come from the organiser.
#[derive(Debug, Clone)]
pub enum Auth {
    /// SigV4 for `execute-api` in this region.
    SigV4 {
        credentials: Credentials,
        region: String,
    },
    /// The local stack's `ADMIN_TOKEN`.
    Bearer(String),
}

pub struct Api {
    base: String,
    auth: Auth,
    pool: Pool<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// One answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Api {
    pub fn new(base: &str, auth: Auth) -> Result<Api, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| format!("no TLS root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Api {
            base: base.trim_end_matches('/').to_string(),
            auth,
            pool: Pool::builder(TokioExecutor::new()).build(https),
        })
    }

    /// Sends one request with its organiser credentials.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, String> {
        let url = format!("{}{path}", self.base);
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(&url)
            .header("content-type", "application/json");
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let mut req = req
            .body(Full::new(Bytes::from(bytes.clone())))
            .map_err(|e| e.to_string())?;
        self.authorise(&mut req, bytes.as_bytes(), SystemTime::now())?;
        let resp = self
            .pool
            .request(req)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        })
    }

    /// Adds the `Authorization` (and for SigV4 the date and token) headers.
    pub fn authorise<B>(
        &self,
        req: &mut hyper::Request<B>,
        body: &[u8],
        at: SystemTime,
    ) -> Result<(), String> {
        let (credentials, region) = match &self.auth {
            Auth::Bearer(token) => {
                let value = format!("Bearer {token}").parse().map_err(|_| "bad token")?;
                req.headers_mut().insert("authorization", value);
                return Ok(());
            }
            Auth::SigV4 {
                credentials,
                region,
            } => (credentials, region),
        };
        let identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("execute-api")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
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
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
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
        let api = Api::new(
            "https://abc.execute-api.ap-northeast-2.amazonaws.com",
            Auth::SigV4 {
                credentials,
                region: "ap-northeast-2".into(),
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
}
