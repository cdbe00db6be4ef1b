//! `[notify]`: how a copy, refresh or reset ended, posted to a Slack-compatible webhook —
//! on failure, or always. The message is built from the run's report (the `--json`
//! document), which holds redacted URLs only; the webhook URL itself never leaves the
//! request line.

use std::time::Duration;

use serde_json::{Value, json};

use crate::config::{Notify, NotifyOn};
use crate::error::Error;
use crate::output::human_seconds;
use crate::pg;
use crate::secret::SecretUrl;

/// Attempts at posting a notification: a webhook that is briefly down or rate-limits
/// gets two more chances.
const ATTEMPTS: u32 = 3;

/// A report that says whether the `[notify]` webhook was told how the run ended.
pub trait NotifiedReport {
    /// Puts the notification's outcome into the report.
    fn set_notification(&mut self, outcome: String);
}

/// Which run a notification is about.
pub struct RunFacts<'a> {
    /// `copy`, `refresh` or `reset`.
    pub command: &'a str,
    pub run_id: &'a str,
    pub staging: &'a SecretUrl,
}

/// A webhook ready to be told how runs end.
pub struct Notifier {
    webhook: SecretUrl,
    on: NotifyOn,
    client: reqwest::Client,
}

impl Notifier {
    /// The notifier of `[notify]`, or none; a webhook URL that is missing from the
    /// environment is an error now, before the run, not a silent gap after it.
    pub fn from_settings(notify: Option<&Notify>) -> Result<Option<Notifier>, Error> {
        let Some(notify) = notify else {
            return Ok(None);
        };
        let webhook = notify.webhook_url()?;
        let client = reqwest::Client::builder()
            .timeout(notify.timeout)
            .user_agent(concat!("restage/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::InvalidSetting {
                origin: "[notify]".to_owned(),
                reason: format!("cannot set up an HTTP client: {}", error.without_url()),
            })?;
        Ok(Some(Notifier {
            webhook,
            on: notify.on,
            client,
        }))
    }

    /// Posts the summary of `document` (the run's `--json` report or error) when `[notify]
    /// on` asks for it; a webhook that cannot be reached is a warning, not a failed run.
    /// Returns what happened, for the report (`sent`, `failed: …`), or `None` when nothing
    /// was to be sent.
    pub async fn announce(&self, run: &RunFacts<'_>, document: &Value) -> Option<String> {
        let succeeded = document["status"] == "ok";
        if succeeded && self.on == NotifyOn::Failure {
            return None;
        }
        let body = message(run, document);
        let webhook = self.webhook.redacted_host();
        match self.post(&body).await {
            Ok(()) => {
                tracing::info!(%webhook, "notified");
                Some(format!("sent to {webhook}"))
            }
            Err(reason) => {
                tracing::warn!(
                    %webhook,
                    "the [notify] webhook was not told how the run ended: {reason}"
                );
                Some(format!("failed: {webhook}: {reason}"))
            }
        }
    }

    async fn post(&self, body: &Value) -> Result<(), String> {
        let mut failure = String::new();
        for attempt in 1..=ATTEMPTS {
            match self
                .client
                .post(self.webhook.expose())
                .json(body)
                .send()
                .await
            {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    failure = format!("it answered {}", response.status());
                    let status = response.status();
                    if !(status.is_server_error() || status.as_u16() == 429) {
                        return Err(failure);
                    }
                }
                Err(error) => failure = error.without_url().to_string(),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
        Err(failure)
    }
}

/// The webhook's body: Slack's `text`, and the same facts as fields under `restage` for
/// receivers that read JSON; every secret restage knows is scrubbed from it.
pub fn message(run: &RunFacts<'_>, document: &Value) -> Value {
    let succeeded = document["status"] == "ok";
    let result = &document["result"];
    let phases = first_present(&document["phases"], &result["phases"]);
    let summary = json!({
        "command": run.command,
        "run_id": run.run_id,
        "status": if succeeded { "ok" } else { "error" },
        "staging": run.staging.to_string(),
        "database": pg::database_name(run.staging).unwrap_or_default(),
        "source": document["source"],
        "snapshot": document["snapshot"],
        "seconds": document["seconds"],
        "rows": first_present(&document["rows"], &result["rows"]),
        "phases": phases,
        "failed_phase": document["failed_phase"],
        "error": document["error"].as_str(),
        "exit_code": document["exit_code"],
        "hooks": document["hooks"].as_array().map(|hooks| {
            hooks
                .iter()
                .map(|hook| json!({ "hook": hook["hook"], "outcome": hook["outcome"] }))
                .collect::<Vec<_>>()
        }),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let mut body = json!({ "text": text(&summary), "restage": summary });
    strip_nulls(&mut body);
    // Errors show URLs redacted already; a driver's message or a hook's output might still
    // echo a secret.
    crate::secret::scrub_json(body)
}

/// The lines a person reads in the channel.
fn text(summary: &Value) -> String {
    let outcome = if summary["status"] == "ok" {
        "succeeded".to_owned()
    } else {
        let phase = summary["failed_phase"]
            .as_str()
            .map(|phase| format!(" in phase {phase}"))
            .unwrap_or_default();
        format!("FAILED{phase}")
    };
    let mut text = format!(
        "restage {} {outcome} on staging {}",
        text_of(&summary["command"]),
        text_of(&summary["database"])
    );
    if let Some(seconds) = summary["seconds"].as_f64() {
        text.push_str(&format!(" after {}", human_seconds(seconds)));
    }
    if let Some(rows) = summary["rows"].as_u64() {
        text.push_str(&format!(", {rows} rows"));
    }
    if let Some(error) = summary["error"].as_str() {
        text.push_str(&format!("\nerror: {error}"));
    }
    text.push_str(&line(&summary["phases"], "phases", |phase| {
        let seconds = phase["seconds"].as_f64().unwrap_or_default();
        format!("{} {}", text_of(&phase["phase"]), human_seconds(seconds))
    }));
    text.push_str(&line(&summary["hooks"], "hooks", |hook| {
        format!("{} {}", text_of(&hook["hook"]), text_of(&hook["outcome"]))
    }));
    text.push_str(&format!(
        "\nrun {} on {}",
        text_of(&summary["run_id"]),
        text_of(&summary["staging"])
    ));
    text
}

/// `\nphases: plan 0.2s, data 3.1s` of a list, or nothing when it is empty.
fn line(items: &Value, name: &str, describe: impl Fn(&Value) -> String) -> String {
    match items.as_array() {
        Some(items) if !items.is_empty() => {
            let items: Vec<String> = items.iter().map(describe).collect();
            format!("\n{name}: {}", items.join(", "))
        }
        _ => String::new(),
    }
}

fn text_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn first_present(value: &Value, fallback: &Value) -> Value {
    if value.is_null() {
        fallback.clone()
    } else {
        value.clone()
    }
}

/// Fields a run did not have (no snapshot for a copy) are left out, not sent as null.
fn strip_nulls(value: &mut Value) {
    if let Value::Object(object) = value {
        object.retain(|_, field| !field.is_null());
        object.values_mut().for_each(strip_nulls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(staging: &SecretUrl) -> RunFacts<'_> {
        RunFacts {
            command: "refresh",
            run_id: "20261203-abc",
            staging,
        }
    }

    #[test]
    fn a_failure_names_the_phase_the_error_and_the_durations() {
        let staging = SecretUrl::new("postgres://restage:hunter2hunter2@db.internal/inventory");
        let document = json!({
            "status": "error",
            "exit_code": 6,
            "error": "restoring the snapshot failed: postgres://restage:hunter2hunter2@x",
            "failed_phase": "restore",
            "snapshot": "restage-20261203",
            "phases": [{ "phase": "snapshot", "seconds": 312.4 }, { "phase": "restore", "seconds": 4000.0 }],
            "rows": 0,
            "seconds": 4312.4,
        });
        let body = message(&run(&staging), &document);
        let text = body["text"].as_str().expect("text");
        assert!(
            text.starts_with(
                "restage refresh FAILED in phase restore on staging inventory after 1h 11m"
            ),
            "{text}"
        );
        assert!(
            text.contains("phases: snapshot 5m 12s, restore 1h 06m"),
            "{text}"
        );
        assert!(!body.to_string().contains("hunter2"), "{body}");
        assert_eq!(
            body["restage"]["staging"],
            "postgres://restage:***@db.internal/inventory"
        );
        assert_eq!(body["restage"]["snapshot"], "restage-20261203");
        assert_eq!(body["restage"]["exit_code"], 6);
    }

    #[test]
    fn a_copy_takes_its_phases_and_rows_from_its_result_and_leaves_out_what_it_lacks() {
        let staging = SecretUrl::new("postgres://127.0.0.1/staging");
        let document = json!({
            "status": "ok",
            "result": { "rows": 1200, "phases": [{ "phase": "data", "seconds": 2.25 }] },
            "seconds": 3.0,
        });
        let body = message(&run(&staging), &document);
        assert_eq!(body["restage"]["rows"], 1200);
        assert_eq!(body["restage"]["phases"][0]["phase"], "data");
        assert!(body["restage"].get("snapshot").is_none(), "{body}");
        assert!(body["restage"].get("error").is_none(), "{body}");
        let text = body["text"].as_str().expect("text");
        assert!(
            text.starts_with("restage refresh succeeded on staging staging after 3.0s, 1200 rows"),
            "{text}"
        );
    }
}
