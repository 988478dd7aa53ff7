//! Background jobs on one schedule: writing a big schedule's seats and
//! cancelling a schedule. Each job is one item that records how far it
//! got, block by block, so any worker can carry on where the last stopped.

use super::organiser::Section;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum JobKind {
    /// Writes a PREPARING schedule's seats, then makes it READY.
    Prepare,
    /// Releases every hold and refunds every ticket, then marks CANCELLED.
    Cancel,
}

/// A job as stored. `next_block` counts the schedule's blocks from its
/// first (0 = none done yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub kind: JobKind,
    pub schedule_id: u64,
    pub next_block: u64,
    pub done: bool,
    /// What a prepare job writes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// A cancel job's totals so far.
    #[serde(default)]
    pub released_holds: u64,
    #[serde(default)]
    pub refunded_tickets: u64,
    #[serde(default)]
    pub refunded_points: i64,
    /// Times an organiser's repair started it again.
    #[serde(default)]
    pub restarts: u64,
}

/// Blocks one step covers before it saves its progress (≈ 2,000 seats:
/// a few seconds, well within one invocation).
pub const BLOCKS_PER_STEP: u64 = 20;

impl Job {
    /// The step this job is at over a schedule of `blocks` blocks: the
    /// indexes of the blocks it covers, and whether it is the last.
    pub fn this_step(&self, blocks: usize) -> (std::ops::Range<usize>, bool) {
        let from = (self.next_block as usize).min(blocks);
        let to = (from + BLOCKS_PER_STEP as usize).min(blocks);
        (from..to, to == blocks)
    }

    pub fn prepare(schedule_id: u64, sections: Vec<Section>) -> Job {
        Job {
            kind: JobKind::Prepare,
            schedule_id,
            next_block: 0,
            done: false,
            sections,
            released_holds: 0,
            refunded_tickets: 0,
            refunded_points: 0,
            restarts: 0,
        }
    }

    pub fn cancel(schedule_id: u64) -> Job {
        Job {
            kind: JobKind::Cancel,
            sections: Vec::new(),
            ..Job::prepare(schedule_id, Vec::new())
        }
    }
}
