//! Every setting of the service and the local stack, defined once: name,
//! default and meaning. [`crate::config::Config`] and the local stack read
//! their defaults from here; a drift test holds the README's table and the
//! template's parameters and `Globals` to it.

/// Where a setting is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every Lambda function and the local stack.
    Service,
    /// Only the local stack (`cargo run -p local`).
    Local,
}

/// How `template.yaml` sets a service setting for the functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InTemplate {
    /// `!Ref` of a parameter with this name and default.
    Parameter(&'static str, &'static str),
    /// `!Ref` of the resource whose logical id is the setting's default.
    Resource,
    /// The default, written as it is.
    Literal,
    /// This value, written as it is (the deployed stack's, unlike the
    /// local default).
    Value(&'static str),
    /// `!Ref` of this resource or pseudo parameter (unset locally).
    RefOf(&'static str),
    /// Not set by the template.
    Absent,
    /// Set only on this function (logical id), from the template's own
    /// resources.
    Function(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub default: &'static str,
    pub scope: Scope,
    pub template: InTemplate,
    pub meaning: &'static str,
}

const fn service(
    name: &'static str,
    default: &'static str,
    param: &'static str,
    meaning: &'static str,
) -> Setting {
    Setting {
        name,
        default,
        scope: Scope::Service,
        template: InTemplate::Parameter(param, default),
        meaning,
    }
}

const fn table(name: &'static str, logical_id: &'static str, meaning: &'static str) -> Setting {
    Setting {
        name,
        default: logical_id,
        scope: Scope::Service,
        template: InTemplate::Resource,
        meaning,
    }
}

const fn local(name: &'static str, default: &'static str, meaning: &'static str) -> Setting {
    Setting {
        name,
        default,
        scope: Scope::Local,
        template: InTemplate::Absent,
        meaning,
    }
}

pub const SETTINGS: &[Setting] = &[
    local(
        "EMULATOR_ADDR",
        "127.0.0.1:8000",
        "local stack: where its DynamoDB emulator listens, for `sam local`, the AWS CLI or NoSQL Workbench (port 0 picks a free one)",
    ),
    local(
        "EMULATOR_ALLOW_REMOTE",
        "false",
        "local stack: `true` lets `EMULATOR_ADDR` be off loopback (Docker Desktop); the emulator accepts any credentials, so anyone who reaches it can read and change every table",
    ),
    local(
        "PORT",
        "8080",
        "local stack: port on 127.0.0.1 (0 picks a free one)",
    ),
    local(
        "DATA_DIR",
        "./.local",
        "local stack: where the database file lives; a restart (or a killed process) keeps the data; the file is written without fsync for speed, so a power cut or OS crash may damage it",
    ),
    local(
        "SEED_SAMPLE_DATA",
        "true",
        "local stack: load sample concerts into an empty catalogue",
    ),
    local(
        "ADMIN_TOKEN",
        "",
        "local stack: the organiser's bearer token for /admin/* (unset: a random one, logged at start)",
    ),
    local(
        "ADMISSION_GUARD_BUSY_RATIO",
        "0.05",
        "local stack: admission holds while more than this share of the last 10 s of sale-path answers (at least 20) were `503 BUSY` (SPEC §12's guard)",
    ),
    local(
        "STREAM_POLL_MILLIS",
        "1000",
        "local stack: how often the TTL sweep and the stream poller run",
    ),
    service(
        "QUEUE_TICK_SECONDS",
        "5",
        "QueueTickSeconds",
        "seconds between admission rounds",
    ),
    service(
        "QUEUE_MAX_ACTIVE",
        "1000",
        "QueueMaxActive",
        "most tokens ACTIVE at once",
    ),
    service(
        "QUEUE_IDLE_SECONDS",
        "120",
        "QueueIdleSeconds",
        "a waiting token nobody has polled for this long leaves the line at the next admission round (at least 40: fans poll up to 30 s apart and the mark is rewritten every 10 s)",
    ),
    service(
        "QUEUE_ACTIVE_IDLE_SECONDS",
        "60",
        "QueueActiveIdleSeconds",
        "an ACTIVE token that has made no request for this long and holds no seat gives its slot back at the next round (at least 11)",
    ),
    service(
        "QUEUE_ACTIVE_SECONDS",
        "300",
        "QueueActiveSeconds",
        "how long a token stays ACTIVE",
    ),
    Setting {
        template: InTemplate::Parameter("QueueShards", "128"),
        ..service(
            "QUEUE_SHARDS",
            "1",
            "",
            "counter shards that spread joins over partitions",
        )
    },
    service(
        "HOLD_SECONDS",
        "300",
        "HoldSeconds",
        "how long a seat hold lasts",
    ),
    Setting {
        template: InTemplate::Value("jwt"),
        ..service(
            "AUTH_MODE",
            "open",
            "",
            "`open`: the userId a request names is trusted; `jwt`: the routes of SPEC §8 need an identity token naming that user",
        )
    },
    service(
        "EDGE_ORIGIN_SECRET",
        "",
        "EdgeOriginSecret",
        "with EdgeProtection: the header CloudFront adds to every request; a request without it is refused (empty: not checked)",
    ),
    local(
        "AUTH_ISSUER",
        "",
        "local stack in jwt mode: the issuer of its development tokens (empty: http://127.0.0.1:<PORT>)",
    ),
    local(
        "AUTH_AUDIENCE",
        "concert-local",
        "local stack in jwt mode: the audience of its development tokens",
    ),
    service(
        "TICKETS_MAX_PER_USER",
        "4",
        "TicketsMaxPerUser",
        "most unexpired holds plus bought tickets of one user in one schedule",
    ),
    service(
        "REFUND_CUTOFF_HOURS",
        "24",
        "RefundCutoffHours",
        "a paid ticket can be cancelled until this many hours before the start of the show's day",
    ),
    service(
        "SALE_TIMEZONE",
        "Asia/Seoul",
        "SaleTimezone",
        "IANA time zone in which show days, today and the default sale close are judged",
    ),
    service(
        "POINTS_MAX_CHARGE",
        "1000000",
        "PointsMaxCharge",
        "largest single charge",
    ),
    service(
        "POINTS_MAX_BALANCE",
        "100000000",
        "PointsMaxBalance",
        "largest balance",
    ),
    service(
        "CATALOG_CACHE_MS",
        "1000",
        "CatalogCacheMs",
        "how long a function keeps a concert, a schedule and its seats-left count before reading them again (0: never kept)",
    ),
    service(
        "SEAT_PAGE_SIZE",
        "500",
        "SeatPageSize",
        "default and largest page of the seat list",
    ),
    Setting {
        template: InTemplate::Parameter("PaymentProvider", "toss"),
        ..service(
            "PAYMENT_PROVIDER",
            "none",
            "",
            "where points come from: `none` (on the fan's word, `PATCH /points`), `toss` (Toss Payments top-ups and withdrawals) or `sandbox` (the local stack's stand-in of Toss under `/sandbox/toss`)",
        )
    },
    Setting {
        template: InTemplate::Absent,
        ..service(
            "PAYMENT_API_URL",
            "",
            "",
            "the provider's API (empty: `https://api.tosspayments.com` for `toss`, the stack's own `/sandbox/toss` for `sandbox`)",
        )
    },
    Setting {
        template: InTemplate::Absent,
        ..service(
            "PAYMENT_SECRET_KEY",
            "test_sk_sandbox",
            "",
            "the provider's secret key where no `PAYMENT_SECRET_ID` is set (locally); the sandbox accepts only this key",
        )
    },
    Setting {
        template: InTemplate::RefOf("PaymentSecret"),
        ..service(
            "PAYMENT_SECRET_ID",
            "",
            "",
            "the Secrets Manager secret holding the provider's secret key, read once per cold start (in AWS; empty: use `PAYMENT_SECRET_KEY`)",
        )
    },
    service(
        "PAYMENT_CLIENT_KEY",
        "test_ck_sandbox",
        "PaymentClientKey",
        "the provider's client key, handed to the fan's app with each top-up for the checkout window",
    ),
    service(
        "TOPUP_PENDING_SECONDS",
        "900",
        "TopupPendingSeconds",
        "a top-up not confirmed within this long lapses (`EXPIRED`)",
    ),
    service(
        "RECONCILE_AFTER_SECONDS",
        "60",
        "ReconcileAfterSeconds",
        "reconciliation asks the provider about a top-up still `PENDING` this long after it was made",
    ),
    Setting {
        template: InTemplate::Literal,
        ..service(
            "PAYMENT_TIMEOUT_MS",
            "4000",
            "",
            "longest wait for one provider call (below the functions' 10 s timeout); no answer is an unknown outcome, settled later",
        )
    },
    table(
        "CATALOG_TABLE",
        "CatalogTable",
        "name of the concerts, schedules and seats table",
    ),
    table(
        "QUEUE_TABLE",
        "QueueTable",
        "name of the waiting-room table",
    ),
    table(
        "RESERVATIONS_TABLE",
        "ReservationsTable",
        "name of the reservations table",
    ),
    table(
        "POINTS_TABLE",
        "PointsTable",
        "name of the points and ledger table",
    ),
    table(
        "IDEMPOTENCY_TABLE",
        "IdempotencyTable",
        "name of the idempotency-key table",
    ),
    table(
        "JOBS_TABLE",
        "JobsTable",
        "name of the background jobs table (schedule preparation and cancellation)",
    ),
    Setting {
        template: InTemplate::Literal,
        ..service(
            "DYNAMODB_ATTEMPT_TIMEOUT_MS",
            "2000",
            "",
            "longest wait for one attempt of a DynamoDB call (below the functions' 10 s timeout)",
        )
    },
    Setting {
        template: InTemplate::Literal,
        ..service(
            "DYNAMODB_TIMEOUT_MS",
            "5000",
            "",
            "longest wait for a DynamoDB call with its retries; then the answer is 503 BUSY",
        )
    },
    Setting {
        template: InTemplate::Literal,
        ..service(
            "DYNAMODB_ENDPOINT",
            "",
            "",
            "send the functions' DynamoDB calls elsewhere, e.g. to the local emulator under `sam local` (empty: AWS)",
        )
    },
    local(
        "RUST_LOG",
        "info",
        "log filter of the local stack and the tools (in AWS the `LogLevel` parameter sets it through Lambda's log level)",
    ),
    Setting {
        template: InTemplate::Function("GuardFunction"),
        ..service(
            "ADMISSION_GUARD_ALARMS",
            "",
            "",
            "comma-separated CloudWatch alarm names: admission holds in every room whose `guard` is `AUTO` while any of them is in ALARM (the template passes its sale-path alarms)",
        )
    },
    Setting {
        template: InTemplate::Function("ActivatorFunction"),
        ..service(
            "ROOM_ACTIVATOR_FUNCTION",
            "",
            "",
            "the function the activator starts once a minute for each room, so every room is admitted by its own invocation (empty: the activator's own process serves every room, as the local stack does)",
        )
    },
    Setting {
        template: InTemplate::RefOf("AWS::StackName"),
        ..service(
            "SERVICE_NAME",
            "local",
            "",
            "the `service` dimension of every business metric, so two stacks in one account (staging, production) never share a series or an alarm",
        )
    },
];

/// The setting called `name`, if there is one.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The default of a setting; empty for a name that is not one (a test
/// checks that every name the code asks for is in the table).
pub fn default_of(name: &str) -> &'static str {
    setting(name).map_or("", |s| s.default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_shouted() {
        let mut names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SETTINGS.len());
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')));
    }
}
