//! Dev-support code that the Lambda functions never ship: the scan that
//! audits SPEC §4 over all data, the metering interceptor of the
//! benchmark, API Gateway event synthesis for the local gateway and the
//! tests, and direct reads and writes that tests use to look behind the API.

pub mod audit;
pub mod capacity;
pub mod event;
pub mod faults;
pub mod footprint;
pub mod inspect;
pub mod meter;
pub mod money_audit;
pub mod permissions;

/// `config` with DynamoDB timeouts far above anything the emulator takes
/// when it is not overloaded. Tests and benchmark runs pile hundreds of
/// requests onto one emulator that serialises every call on two cores, so
/// a queue wait alone can pass the service's timeouts (sized for
/// DynamoDB); they test what an answer is, not how soon it comes.
pub fn patient(config: shared::config::Config) -> shared::config::Config {
    shared::config::Config {
        dynamodb_attempt_timeout_ms: 60_000,
        dynamodb_timeout_ms: 120_000,
        ..config
    }
}
