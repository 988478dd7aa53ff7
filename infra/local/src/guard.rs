//! The admission guard, locally (SPEC §12): the gateway notes every
//! sale-path answer; once a second this task judges the last 10 s and,
//! when the verdict changes, records it as the guard's `local-busy` alarm —
//! the item every room's activator reads, as the guard function writes
//! it in AWS.

use shared::app::App;
use shared::domain::guard::BusyWindow;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The sale-path answers of the last seconds, shared by the gateway and
/// the guard's task.
pub type BusyShare = Arc<Mutex<BusyWindow>>;

/// The alarm name the local stack's verdict goes under.
pub const LOCAL_ALARM: &str = "local-busy";

/// Notes one sale-path answer.
pub fn note(share: &BusyShare, now_ms: i64, status: u16) {
    if let Ok(mut w) = share.lock() {
        w.record(now_ms, status == 503);
    }
}

/// The verdict last recorded (none yet: the first is recorded whatever
/// it is, clearing what an earlier run left).
#[derive(Debug, Default)]
pub struct Verdict(Option<bool>);

impl Verdict {
    /// Judges the window now; records the verdict when it changed.
    /// Returns whether admission holds.
    pub async fn judge(&mut self, app: &App, share: &BusyShare, ratio: f64) -> bool {
        let now = app.now_ms();
        let holding = share.lock().is_ok_and(|mut w| w.holding(now, ratio));
        if self.0 != Some(holding) {
            let state = if holding { "ALARM" } else { "OK" };
            match shared::jobs::guard::record(app, LOCAL_ALARM, state).await {
                Ok(_) => self.0 = Some(holding),
                Err(e) => tracing::warn!(error = %e, "the guard's verdict is not recorded yet"),
            }
        }
        holding
    }
}

/// Judges the window every second until `stopped`.
pub async fn run(app: App, share: BusyShare, ratio: f64, mut stopped: watch::Receiver<bool>) {
    let mut verdict = Verdict::default();
    loop {
        verdict.judge(&app, &share, ratio).await;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => return,
        }
    }
}
