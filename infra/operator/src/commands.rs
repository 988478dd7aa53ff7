//! The organiser's everyday commands from a terminal: the waiting room
//! (status, pause, resume, resize), a schedule's report, cancelling or
//! repairing a schedule and a reconciliation round — each one organiser API call,
//! shown as `key: value` lines or, with `--json`, as the API's own body.

use crate::Error;
use client::Client;
use serde_json::{json, Value};

/// One organiser call a command makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    QueueStatus,
    QueuePause,
    QueueResume,
    QueueResize(u64),
    /// A concert's waiting room (SPEC §12).
    RoomShow(u64),
    /// Creates or changes a concert's room: the fields of
    /// `PUT /admin/concerts/{id}/room` that are given.
    RoomSet(u64, Value),
    Report(u64),
    CancelSchedule(u64),
    Repair(u64),
    Reconcile,
}

impl Command {
    /// `(method, path, body, the status that means it worked)`.
    fn call(&self) -> (&'static str, String, Option<Value>, &'static [u16]) {
        use Command::*;
        match self {
            QueueStatus => ("GET", "/admin/queue".into(), None, &[200]),
            QueuePause => (
                "PUT",
                "/admin/queue".into(),
                Some(json!({"paused": true})),
                &[200],
            ),
            QueueResume => (
                "PUT",
                "/admin/queue".into(),
                Some(json!({"paused": false})),
                &[200],
            ),
            QueueResize(n) => (
                "PUT",
                "/admin/queue".into(),
                Some(json!({"maxActive": n})),
                &[200],
            ),
            RoomShow(id) => ("GET", format!("/admin/concerts/{id}/room"), None, &[200]),
            RoomSet(id, change) => (
                "PUT",
                format!("/admin/concerts/{id}/room"),
                Some(change.clone()),
                &[200],
            ),
            Report(id) => ("GET", format!("/admin/schedules/{id}/report"), None, &[200]),
            CancelSchedule(id) => (
                "POST",
                format!("/admin/schedules/{id}/cancel"),
                None,
                &[200, 202],
            ),
            Repair(id) => (
                "POST",
                format!("/admin/schedules/{id}/repair"),
                None,
                &[200],
            ),
            Reconcile => ("POST", "/admin/reconcile".into(), None, &[200]),
        }
    }

    /// Runs the command: the API's answer body, or why it failed.
    pub async fn run(&self, api: &Client) -> Result<Value, Error> {
        let (method, path, body, ok) = self.call();
        let answer = api.call(method, &path, None, body.as_ref(), None).await?;
        if ok.contains(&answer.status) {
            Ok(answer.body)
        } else {
            let message = answer.body["message"].as_str().unwrap_or_default();
            let code = answer.body["code"].as_str().unwrap_or_default();
            Err(Error::Refused {
                call: format!("{method} {path}"),
                status: answer.status,
                detail: format!("{code} {message}"),
            })
        }
    }
}

/// A body as `key: value` lines (nested objects indented), for people.
pub fn human(body: &Value) -> String {
    let mut out = String::new();
    lines(body, 0, &mut out);
    out
}

fn lines(value: &Value, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if v.is_object() || v.is_array() {
                    out.push_str(&format!("{pad}{k}:\n"));
                    lines(v, depth + 1, out);
                } else {
                    out.push_str(&format!("{pad}{k}: {}\n", scalar(v)));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&format!("{pad}-\n"));
                lines(item, depth + 1, out);
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_as_lines() {
        let body =
            json!({"paused": false, "maxActive": 5, "sections": [{"name": "A"}], "note": null});
        assert_eq!(
            human(&body),
            "maxActive: 5\nnote: —\npaused: false\nsections:\n  -\n    name: A\n"
        );
    }
}
