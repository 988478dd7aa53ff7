//! Settings of the local stack, from environment variables.

use crate::Error;
use shared::settings::default_of;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `PORT`: where the gateway listens on 127.0.0.1 (0 picks a free port).
    pub port: u16,
    /// `DATA_DIR`: where the database file lives; None keeps it in memory.
    pub data_dir: Option<PathBuf>,
    /// `SEED_SAMPLE_DATA`: load sample concerts into an empty catalogue.
    pub seed_sample_data: bool,
    /// `STREAM_POLL_MILLIS`: how often the TTL sweep and stream poller run.
    pub stream_poll: Duration,
    /// `ADMISSION_GUARD_BUSY_RATIO`: admission holds while more than this
    /// share of the last 10 s of sale-path answers were `503 BUSY`.
    pub busy_ratio: f64,
    /// `EMULATOR_ADDR`: where the DynamoDB emulator listens.
    pub emulator_addr: SocketAddr,
    /// `ADMIN_TOKEN`: the organiser's bearer token (None: make one up).
    pub admin_token: Option<String>,
    /// `AUTH_ISSUER`: the development tokens' issuer (None: the stack's URL).
    pub auth_issuer: Option<String>,
    /// `AUTH_AUDIENCE`: the development tokens' audience.
    pub auth_audience: String,
    /// Meter every DynamoDB call of the service (the benchmark's cost pass).
    pub meter: Option<devkit::meter::Meter>,
}

/// Where the emulator may listen: it accepts any credentials, so off
/// loopback it hands the whole database to anyone who can reach the
/// port — only when `EMULATOR_ALLOW_REMOTE=true` says so, with a warning.
fn emulator_addr(addr: &str, allow_remote: &str) -> Result<SocketAddr, Error> {
    let parsed: SocketAddr = addr.parse().map_err(|_| Error::Setting {
        name: "EMULATOR_ADDR",
        value: addr.into(),
        expected: "an address like 127.0.0.1:8000",
    })?;
    if parsed.ip().is_loopback() {
        return Ok(parsed);
    }
    match allow_remote {
        "true" | "1" => {
            tracing::warn!(%parsed, "the DynamoDB emulator accepts any credentials and listens beyond loopback: anyone who reaches it can read and change every table");
            Ok(parsed)
        }
        _ => Err(Error::Setting {
            name: "EMULATOR_ADDR",
            value: addr.into(),
            expected: "not on loopback: the emulator accepts any credentials, so anyone who reaches it could read and change every table; set EMULATOR_ALLOW_REMOTE=true to allow it anyway",
        }),
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, Error> {
        // Unset or empty: the setting's default from `shared::settings`.
        let get = |k: &str| {
            let v = std::env::var(k).ok().filter(|v| !v.is_empty());
            v.unwrap_or_else(|| default_of(k).to_string())
        };
        let p = get("PORT");
        let port = p.parse().map_err(|_| Error::Setting {
            name: "PORT",
            value: p.clone(),
            expected: "not a port number",
        })?;
        let v = get("STREAM_POLL_MILLIS");
        let stream_poll = v
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| Error::Setting {
                name: "STREAM_POLL_MILLIS",
                value: v.clone(),
                expected: "not a positive integer",
            })?;
        let seed_sample_data = match get("SEED_SAMPLE_DATA").as_str() {
            "1" | "true" => true,
            "0" | "false" => false,
            v => {
                return Err(Error::Setting {
                    name: "SEED_SAMPLE_DATA",
                    value: v.into(),
                    expected: "not true or false",
                })
            }
        };
        let emulator_addr = emulator_addr(&get("EMULATOR_ADDR"), &get("EMULATOR_ALLOW_REMOTE"))?;
        let r = get("ADMISSION_GUARD_BUSY_RATIO");
        let busy_ratio = r
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| Error::Setting {
                name: "ADMISSION_GUARD_BUSY_RATIO",
                value: r.clone(),
                expected: "not a share between 0 and 1",
            })?;
        Ok(Settings {
            busy_ratio,
            port,
            emulator_addr,
            data_dir: Some(PathBuf::from(get("DATA_DIR"))),
            seed_sample_data,
            stream_poll,
            admin_token: std::env::var("ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.trim().is_empty()),
            auth_issuer: std::env::var("AUTH_ISSUER")
                .ok()
                .filter(|t| !t.trim().is_empty()),
            auth_audience: get("AUTH_AUDIENCE"),
            meter: None,
        })
    }

    /// An in-memory stack on a free port (tests).
    pub fn ephemeral() -> Self {
        Settings {
            port: 0,
            emulator_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            seed_sample_data: true,
            stream_poll: Duration::from_millis(200),
            busy_ratio: 0.05,
            admin_token: None,
            auth_issuer: None,
            auth_audience: default_of("AUTH_AUDIENCE").to_string(),
            meter: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::emulator_addr;

    #[test]
    fn the_emulator_stays_on_loopback_unless_allowed() {
        assert!(emulator_addr("127.0.0.1:8000", "false").is_ok());
        assert!(emulator_addr("[::1]:0", "false").is_ok());
        let refused = emulator_addr("0.0.0.0:8000", "false")
            .unwrap_err()
            .to_string();
        assert!(refused.contains("EMULATOR_ALLOW_REMOTE=true"), "{refused}");
        assert!(emulator_addr("0.0.0.0:8000", "true").is_ok());
        assert!(
            emulator_addr("localhost:8000", "true").is_err(),
            "an address, not a name"
        );
    }
}
