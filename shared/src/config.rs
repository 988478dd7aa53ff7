//! Settings read once from environment variables at cold start; names and
//! defaults come from [`crate::settings::SETTINGS`].

use crate::settings::default_of;
use std::env;
use std::str::FromStr;

/// Physical names of the tables; in AWS CloudFormation picks them and the
/// template passes them in, locally they equal the template's logical ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub catalog: String,
    pub queue: String,
    pub reservations: String,
    pub points: String,
    pub idempotency: String,
    pub jobs: String,
}

/// The environment variable of every table; its default (in
/// [`crate::settings::SETTINGS`]) is the template's logical id.
pub const TABLE_ENV: [&str; 6] = [
    "CATALOG_TABLE",
    "QUEUE_TABLE",
    "RESERVATIONS_TABLE",
    "POINTS_TABLE",
    "IDEMPOTENCY_TABLE",
    "JOBS_TABLE",
];

impl Default for Tables {
    fn default() -> Self {
        let [c, q, r, p, i, j] = TABLE_ENV.map(|name| default_of(name).to_string());
        Tables {
            catalog: c,
            queue: q,
            reservations: r,
            points: p,
            idempotency: i,
            jobs: j,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub tables: Tables,
    /// Optional DynamoDB endpoint override (the local emulator).
    pub dynamodb_endpoint: Option<String>,
    /// Most tokens ACTIVE at once.
    pub queue_max_active: u32,
    /// How long a token stays ACTIVE after admission.
    pub queue_active_seconds: i64,
    /// Seconds between admission rounds.
    pub queue_tick_seconds: u64,
    /// A waiting token unpolled this long is skipped at admission.
    pub queue_idle_seconds: i64,
    /// An ACTIVE token with no request this long and no seat held gives
    /// its slot back.
    pub queue_active_idle_seconds: i64,
    /// Counter shards that spread queue joins over partitions.
    pub queue_shards: u32,
    /// How long a seat hold lasts.
    pub hold_seconds: i64,
    /// Most unexpired holds plus bought tickets of one user in one schedule.
    pub tickets_max_per_user: u32,
    /// Paid tickets can be cancelled until this long before the show's day.
    pub refund_cutoff_hours: i64,
    /// Whether user-scoped routes need a verified identity (SPEC §8).
    pub auth_mode: AuthMode,
    /// The secret CloudFront sends (`X-Origin-Verify`) when the API sits
    /// behind it; None: no check.
    pub edge_origin_secret: Option<String>,
    /// The stack's name: every business metric's `service` dimension.
    pub service: String,
    /// Where "today" and "the show's day" are judged.
    pub sale_timezone: chrono_tz::Tz,
    /// Largest single charge.
    pub points_max_charge: i64,
    /// Largest balance.
    pub points_max_balance: i64,
    /// Default and largest page of the seat list.
    pub seat_page_size: u32,
    /// Lifetime of the in-process catalogue cache (0: off).
    pub catalog_cache_ms: u64,
    /// Timeout of one attempt of a DynamoDB call.
    pub dynamodb_attempt_timeout_ms: u64,
    /// Timeout of a whole DynamoDB call, retries included.
    pub dynamodb_timeout_ms: u64,
    /// Where points come from (SPEC §11).
    pub payment: PaymentConfig,
    /// The alarms whose ALARM state holds admission (SPEC §12).
    pub admission_guard_alarms: Vec<String>,
    /// The function that serves one room a minute (AWS); None: every room
    /// is served by the activator's own process.
    pub room_activator_function: Option<String>,
}

/// Which payment provider the service uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentProvider {
    /// Points on the fan's word (`PATCH /points`): the seed's behaviour.
    None,
    /// Toss Payments API v1.
    Toss,
    /// The local stack's stand-in of Toss Payments.
    Sandbox,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentConfig {
    pub provider: PaymentProvider,
    /// The provider's API (empty: Toss's own, or the local sandbox).
    pub api_url: Option<String>,
    /// The secret key, given directly (locally).
    pub secret_key: String,
    /// The Secrets Manager secret holding the key (AWS); wins over
    /// `secret_key` when set.
    pub secret_id: Option<String>,
    /// Handed to the fan's app for the provider's checkout.
    pub client_key: String,
    /// An unconfirmed top-up lapses after this long.
    pub topup_pending_seconds: i64,
    /// Reconciliation asks about a top-up pending this long.
    pub reconcile_after_seconds: i64,
    /// Longest wait for one provider call.
    pub timeout_ms: u64,
}

impl Default for Config {
    /// Every setting at its default.
    fn default() -> Self {
        // The defaults are constants that a unit test parses.
        Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("default setting: {e}"))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("environment variable {name}={value:?} is not a valid {expected}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub expected: &'static str,
}

impl Config {
    /// Reads every setting from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `get`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table = |i: usize| get(TABLE_ENV[i]).unwrap_or_else(|| default_of(TABLE_ENV[i]).into());
        Ok(Config {
            tables: Tables {
                catalog: table(0),
                queue: table(1),
                reservations: table(2),
                points: table(3),
                idempotency: table(4),
                jobs: table(5),
            },
            dynamodb_endpoint: get("DYNAMODB_ENDPOINT").filter(|s| !s.is_empty()),
            queue_max_active: positive(&get, "QUEUE_MAX_ACTIVE")?,
            queue_active_seconds: positive(&get, "QUEUE_ACTIVE_SECONDS")?,
            queue_tick_seconds: positive(&get, "QUEUE_TICK_SECONDS")?,
            queue_idle_seconds: at_least(
                &get,
                "QUEUE_IDLE_SECONDS",
                MIN_IDLE_SECONDS,
                IDLE_TOO_SHORT,
            )?,
            queue_active_idle_seconds: at_least(
                &get,
                "QUEUE_ACTIVE_IDLE_SECONDS",
                MIN_ACTIVE_IDLE_SECONDS,
                ACTIVE_IDLE_TOO_SHORT,
            )?,
            queue_shards: shards(&get)?,
            hold_seconds: positive(&get, "HOLD_SECONDS")?,
            tickets_max_per_user: positive(&get, "TICKETS_MAX_PER_USER")?,
            refund_cutoff_hours: at_least_zero(&get, "REFUND_CUTOFF_HOURS")? as i64,
            sale_timezone: time_zone(&get, "SALE_TIMEZONE")?,
            auth_mode: auth_mode(&get)?,
            edge_origin_secret: get("EDGE_ORIGIN_SECRET").filter(|s| !s.is_empty()),
            service: get("SERVICE_NAME").unwrap_or_else(|| default_of("SERVICE_NAME").into()),
            points_max_charge: positive(&get, "POINTS_MAX_CHARGE")?,
            points_max_balance: positive(&get, "POINTS_MAX_BALANCE")?,
            seat_page_size: positive(&get, "SEAT_PAGE_SIZE")?,
            catalog_cache_ms: at_least_zero(&get, "CATALOG_CACHE_MS")?,
            dynamodb_attempt_timeout_ms: positive(&get, "DYNAMODB_ATTEMPT_TIMEOUT_MS")?,
            dynamodb_timeout_ms: positive(&get, "DYNAMODB_TIMEOUT_MS")?,
            payment: payment(&get)?,
            admission_guard_alarms: get("ADMISSION_GUARD_ALARMS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
            room_activator_function: get("ROOM_ACTIVATOR_FUNCTION").filter(|f| !f.is_empty()),
        })
    }
}

fn payment(get: &impl Fn(&str) -> Option<String>) -> Result<PaymentConfig, ConfigError> {
    let text = |name: &str| get(name).unwrap_or_else(|| default_of(name).to_string());
    let raw = text("PAYMENT_PROVIDER");
    let provider = match raw.trim() {
        "none" => PaymentProvider::None,
        "toss" => PaymentProvider::Toss,
        "sandbox" => PaymentProvider::Sandbox,
        _ => {
            return Err(ConfigError {
                name: "PAYMENT_PROVIDER".into(),
                value: raw,
                expected: "`none`, `toss` or `sandbox`",
            })
        }
    };
    let set = |name: &str| Some(text(name)).filter(|v| !v.trim().is_empty());
    Ok(PaymentConfig {
        provider,
        api_url: set("PAYMENT_API_URL"),
        secret_key: text("PAYMENT_SECRET_KEY"),
        secret_id: set("PAYMENT_SECRET_ID"),
        client_key: text("PAYMENT_CLIENT_KEY"),
        topup_pending_seconds: positive(get, "TOPUP_PENDING_SECONDS")?,
        reconcile_after_seconds: positive(get, "RECONCILE_AFTER_SECONDS")?,
        timeout_ms: positive(get, "PAYMENT_TIMEOUT_MS")?,
    })
}

/// A positive number from the environment, else the setting's default.
/// The shortest `QUEUE_IDLE_SECONDS` that spares a fan who polls as told:
/// their last-seen mark is rewritten only when 10 s old, and the longest
/// advised wait between polls is 30 s, so a mark can be 40 s old.
pub const MIN_IDLE_SECONDS: i64 =
    (crate::domain::queue::SEEN_EVERY_MS + crate::domain::queue::POLL_MAX_MS as i64) / 1000;
const IDLE_TOO_SHORT: &str = "at least 40 (seconds): the last-seen mark is rewritten every 10 s and fans are told to poll up to 30 s apart, so a shorter setting ends fans who poll as told";

/// The shortest `QUEUE_ACTIVE_IDLE_SECONDS`: above the mark's 10 s grain.
pub const MIN_ACTIVE_IDLE_SECONDS: i64 = crate::domain::queue::SEEN_EVERY_MS / 1000 + 1;
const ACTIVE_IDLE_TOO_SHORT: &str = "at least 11 (seconds): the last-seen mark is rewritten every 10 s, so a shorter setting ends fans who are still active";

/// A whole number of at least `min`.
fn at_least(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    min: i64,
    expected: &'static str,
) -> Result<i64, ConfigError> {
    let raw = get(name).unwrap_or_else(|| default_of(name).to_string());
    match raw.trim().parse::<i64>() {
        Ok(v) if v >= min => Ok(v),
        _ => Err(ConfigError {
            name: name.to_string(),
            value: raw,
            expected,
        }),
    }
}

/// Counter shards: a room's waiting-index partitions are numbered
/// `room × MAX_SHARDS + shard`, so there are fewer than that.
fn shards(get: &impl Fn(&str) -> Option<String>) -> Result<u32, ConfigError> {
    let n: u32 = positive(get, "QUEUE_SHARDS")?;
    match n <= crate::domain::queue::MAX_SHARDS {
        true => Ok(n),
        false => Err(ConfigError {
            name: "QUEUE_SHARDS".into(),
            value: n.to_string(),
            expected: "at most 1024",
        }),
    }
}

fn positive<T>(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + Default,
{
    let raw = get(name).unwrap_or_else(|| default_of(name).to_string());
    match raw.trim().parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err(ConfigError {
            name: name.to_string(),
            value: raw,
            expected: "positive integer",
        }),
    }
}

/// How a user-scoped route knows its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// The `userId` the request names is trusted (the seed's behaviour).
    Open,
    /// A verified identity token must name that user.
    Jwt,
}

fn auth_mode(get: &impl Fn(&str) -> Option<String>) -> Result<AuthMode, ConfigError> {
    let raw = get("AUTH_MODE").unwrap_or_else(|| default_of("AUTH_MODE").to_string());
    match raw.trim() {
        "open" => Ok(AuthMode::Open),
        "jwt" => Ok(AuthMode::Jwt),
        _ => Err(ConfigError {
            name: "AUTH_MODE".into(),
            value: raw,
            expected: "`open` or `jwt`",
        }),
    }
}

/// An IANA time zone name from the environment, else the default.
fn time_zone(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<chrono_tz::Tz, ConfigError> {
    let raw = get(name).unwrap_or_else(|| default_of(name).to_string());
    raw.trim().parse().map_err(|_| ConfigError {
        name: name.to_string(),
        value: raw,
        expected: "IANA time zone name",
    })
}

/// A whole number ≥ 0 from the environment, else the setting's default.
fn at_least_zero(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<u64, ConfigError> {
    let raw = get(name).unwrap_or_else(|| default_of(name).to_string());
    raw.trim().parse::<u64>().map_err(|_| ConfigError {
        name: name.to_string(),
        value: raw,
        expected: "whole number",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = Config::from_lookup(|k| match k {
            "QUEUE_MAX_ACTIVE" => Some("7".into()),
            "CATALOG_TABLE" => Some("cat-prod".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.queue_max_active, 7);
        assert_eq!(c.tables.catalog, "cat-prod");
        assert_eq!(c.tables.queue, "QueueTable");
        assert_eq!(c.hold_seconds, 300);
    }

    #[test]
    fn every_default_parses() {
        let d = Config::from_lookup(|_| None).unwrap();
        assert_eq!(d.queue_max_active, 1000);
        assert_eq!(d.tables.catalog, "CatalogTable");
        assert_eq!(d.dynamodb_endpoint, None);
        assert_eq!(d.sale_timezone, chrono_tz::Asia::Seoul);
        assert_eq!((d.tickets_max_per_user, d.refund_cutoff_hours), (4, 24));
        assert_eq!(d.auth_mode, AuthMode::Open);
    }

    /// SPEC §7: idle settings that would end fans who poll as told (or
    /// are still active) are refused at start, saying why.
    #[test]
    fn idle_settings_below_the_marks_grain_are_refused() {
        let with = |name: &'static str, v: &'static str| {
            Config::from_lookup(move |k| (k == name).then(|| v.to_string()))
        };
        let e = with("QUEUE_IDLE_SECONDS", "39").unwrap_err();
        assert_eq!(e.name, "QUEUE_IDLE_SECONDS");
        assert!(e.expected.contains("poll as told"), "{e:?}");
        assert_eq!(
            with("QUEUE_IDLE_SECONDS", "40").unwrap().queue_idle_seconds,
            40
        );
        assert!(with("QUEUE_ACTIVE_IDLE_SECONDS", "10").is_err());
        let ok = with("QUEUE_ACTIVE_IDLE_SECONDS", "11").unwrap();
        assert_eq!(ok.queue_active_idle_seconds, 11);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["0", "-3", "x", ""] {
            let e = Config::from_lookup(|k| (k == "HOLD_SECONDS").then(|| bad.to_string()));
            assert!(e.is_err(), "{bad} accepted");
        }
    }
}
