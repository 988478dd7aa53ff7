//! Dev-support code that the Lambda functions never ship: the scan that
//! audits SPEC §4 over all data, the metering interceptor of the
//! benchmark, API Gateway event synthesis for the local gateway and the
//! tests, and direct reads and writes that tests use to look behind the API.

pub mod audit;
pub mod capacity;
pub mod event;
pub mod footprint;
pub mod inspect;
pub mod meter;
pub mod permissions;
