//! One activator invocation per room (SPEC §12), in AWS: the scheduled
//! activator starts the room activator function once a minute for every
//! room — an asynchronous `Invoke` of Lambda's API, signed with the
//! function's own role — so ten rooms admitting 2,000 fans a second each
//! share no process, loop or lease. Locally one process serves them all.

use crate::domain::room::RoomId;
use crate::store::StoreError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use client::{Auth, Client};

/// The room activator's event: the one room it serves.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct RoomEvent {
    pub room: RoomId,
}

/// Starts room activator invocations.
#[derive(Debug, Clone)]
pub struct RoomStarter {
    /// Lambda's API (`https://lambda.{region}.amazonaws.com`).
    endpoint: String,
    function: String,
    region: String,
    credentials: SharedCredentialsProvider,
}

impl RoomStarter {
    pub fn new(
        endpoint: String,
        function: String,
        region: String,
        credentials: SharedCredentialsProvider,
    ) -> Self {
        RoomStarter {
            endpoint,
            function,
            region,
            credentials,
        }
    }

    /// The starter of `function` with the process's AWS configuration.
    pub async fn from_env(function: &str) -> Result<Self, StoreError> {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| StoreError::failed("no AWS region to start room activators in"))?;
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| StoreError::failed("no AWS credentials to start room activators"))?;
        let endpoint = format!("https://lambda.{region}.amazonaws.com");
        Ok(Self::new(
            endpoint,
            function.to_string(),
            region,
            credentials,
        ))
    }

    /// Starts one invocation for each room, without waiting for any; a
    /// room whose start fails is logged, the others start anyway, and the
    /// next minute tries again.
    pub async fn start_all(&self, rooms: &[RoomId]) -> Result<usize, StoreError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(StoreError::failed)?;
        let auth = Auth::SigV4 {
            credentials,
            region: self.region.clone(),
            service: "lambda",
        };
        let api = Client::new(&self.endpoint, auth).map_err(StoreError::failed)?;
        let path = format!("/2015-03-31/functions/{}/invocations", self.function);
        let mut started = 0;
        for room in rooms {
            let event = serde_json::json!(RoomEvent { room: *room });
            let answer = api
                .call_with(
                    "POST",
                    &path,
                    None,
                    Some(&event),
                    &[("x-amz-invocation-type", "Event")],
                )
                .await;
            match answer {
                Ok(a) if a.status == 202 => started += 1,
                Ok(a) => {
                    tracing::error!(room, status = a.status, body = %a.body, "room activator not started")
                }
                Err(e) => tracing::error!(room, error = %e, "room activator not started"),
            }
        }
        Ok(started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One request as Lambda's API would receive it, answered `status`.
    async fn lambda_api(status: &'static str) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..2 {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 8192];
                let n = conn.read(&mut buf).await.unwrap();
                seen.push(String::from_utf8_lossy(&buf[..n]).to_string());
                let reply =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                conn.write_all(reply.as_bytes()).await.unwrap();
            }
            seen
        });
        (url, task)
    }

    #[tokio::test]
    async fn each_room_is_started_as_a_signed_asynchronous_invoke() {
        let (url, api) = lambda_api("202 Accepted").await;
        let credentials =
            SharedCredentialsProvider::new(Credentials::new("AKID", "secret", None, None, "test"));
        let starter = RoomStarter::new(
            url,
            "stack-room-activator".into(),
            "ap-northeast-2".into(),
            credentials,
        );
        assert_eq!(starter.start_all(&[7, 9]).await.unwrap(), 2);
        let seen = api.await.unwrap();
        for (request, room) in seen.iter().zip([7, 9]) {
            let lower = request.to_ascii_lowercase();
            assert!(
                request.starts_with("POST /2015-03-31/functions/stack-room-activator/invocations "),
                "{request}"
            );
            assert!(lower.contains("x-amz-invocation-type: event"), "{request}");
            assert!(
                lower.contains("/ap-northeast-2/lambda/aws4_request"),
                "signed for Lambda: {request}"
            );
            assert!(
                request.ends_with(&format!("{{\"room\":{room}}}")),
                "{request}"
            );
        }
    }

    #[tokio::test]
    async fn a_start_lambda_refuses_is_counted_out() {
        let (url, _api) = lambda_api("403 Forbidden").await;
        let credentials =
            SharedCredentialsProvider::new(Credentials::new("AKID", "secret", None, None, "test"));
        let starter = RoomStarter::new(url, "f".into(), "us-east-1".into(), credentials);
        assert_eq!(starter.start_all(&[1, 2]).await.unwrap(), 0);
    }
}
