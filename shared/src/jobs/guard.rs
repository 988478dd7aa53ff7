//! The admission guard's function (SPEC §12): an EventBridge rule hands it
//! every state change of the alarms named in `ADMISSION_GUARD_ALARMS`; it
//! records the new state on the guard's item, which every room's
//! activator reads once a round. Nothing here slows a round.

use crate::app::App;
use crate::store::StoreError;
use serde::Deserialize;

/// The function's name (its template `Handler`).
pub const NAME: &str = "guard";

/// The part of a "CloudWatch Alarm State Change" event the guard reads.
#[derive(Debug, Deserialize)]
pub struct AlarmChange {
    pub detail: AlarmDetail,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmDetail {
    pub alarm_name: String,
    pub state: AlarmState,
}

#[derive(Debug, Deserialize)]
pub struct AlarmState {
    pub value: String,
}

/// Records the alarm's new state, if it is one the guard follows.
pub async fn handle(app: &App, event: AlarmChange) -> Result<(), StoreError> {
    let name = &event.detail.alarm_name;
    let followed = &app.config.admission_guard_alarms;
    if !followed.iter().any(|a| a == name) {
        tracing::warn!(alarm = %name, "an alarm the guard does not follow: ignored");
        return Ok(());
    }
    record(app, name, &event.detail.state.value)
        .await
        .map(|_| ())
}

/// Records one alarm's state; a log line and the metric say when the guard
/// starts or stops holding admission. Returns whether it holds now.
pub async fn record(app: &App, alarm: &str, state: &str) -> Result<bool, StoreError> {
    let before = app.db.guard_holding().await?;
    app.db.set_alarm_state(alarm, state).await?;
    let after = app.db.guard_holding().await?;
    if before != after {
        match after {
            true => tracing::warn!(alarm, state, "admission guard holding: nobody is admitted"),
            false => tracing::info!(alarm, state, "admission guard cleared: admission resumes"),
        }
    }
    crate::counters::guard_holding(after);
    Ok(after)
}
