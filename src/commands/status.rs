//! `restage status`: what staging holds now, from the record copies, refreshes, seedings
//! and resets leave in it (`restage.history`), and whether a previous copy is kept.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::Settings;
use crate::error::Error;
use crate::history::{self, Entry};
use crate::output::{Report, human_bytes, human_seconds};
use crate::pipeline::swap::{self, SwapNames};
use crate::{pg, safety};

/// What `status` found.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub command: &'static str,
    pub staging: String,
    pub database: String,
    /// Whether staging holds restage's record at all.
    pub recorded: bool,
    /// The newest copy or refresh.
    pub last_copy: Option<Entry>,
    /// The newest reset.
    pub last_reset: Option<Entry>,
    /// `copy`, `refresh` or `reset`: whichever of them made the data staging holds.
    pub made_by: Option<String>,
    /// Each seeder's and fixture set's newest run, by name.
    pub seeders: BTreeMap<String, SeederRun>,
    /// The previous staging, kept for `restage rollback`, if there is one.
    pub previous: Option<String>,
    /// The restage command working on staging now, if one is.
    pub running: Option<String>,
    /// A database being built beside staging, or left half-built by a run that was killed.
    pub unfinished: Option<String>,
}

/// A seeder's newest run.
#[derive(Debug, Serialize)]
pub struct SeederRun {
    pub recorded_at: String,
    pub age_seconds: f64,
    /// Rows inserted, updated, unchanged, deleted, kept.
    pub counts: Value,
}

/// Reads staging's record and looks for the databases beside it. Writes nothing.
pub async fn run(settings: &Settings) -> Result<StatusReport, Error> {
    let staging = settings.staging_url()?;
    let names = SwapNames::beside(staging)?;
    let mut connection = pg::connect(staging, "staging database", "restage status").await?;
    let entries = history::read(&mut connection, staging).await?;
    let previous = swap::exists(&mut connection, staging, &names.previous).await?;
    let unfinished = swap::exists(&mut connection, staging, &names.next).await?;
    let running = safety::lock_holder(&mut connection, &names.staging).await;
    let entries = entries.as_deref().unwrap_or_default();
    let newest = |commands: &[&str]| {
        entries
            .iter()
            .rev()
            .find(|entry| commands.contains(&entry.command.as_str()))
            .cloned()
    };
    let made_by = newest(&["copy", "refresh", "reset"]).map(|entry| entry.command);
    Ok(StatusReport {
        command: "status",
        staging: staging.to_string(),
        database: names.staging.clone(),
        recorded: !entries.is_empty(),
        last_copy: newest(&["copy", "refresh"]),
        last_reset: newest(&["reset"]),
        made_by,
        seeders: seeder_runs(entries),
        previous: previous.then_some(names.previous),
        unfinished: unfinished.then_some(names.next),
        running,
    })
}

/// The newest run of every seeder the seed records name.
fn seeder_runs(entries: &[Entry]) -> BTreeMap<String, SeederRun> {
    let mut runs = BTreeMap::new();
    for entry in entries.iter().filter(|entry| entry.command == "seed") {
        let seeders = entry.details["seeders"].as_array().into_iter().flatten();
        for seeder in seeders {
            let Some(name) = seeder["seeder"].as_str() else {
                continue;
            };
            let mut counts = seeder.clone();
            if let Some(object) = counts.as_object_mut() {
                object.retain(|key, _| !matches!(key.as_str(), "seeder" | "seconds"));
            }
            runs.insert(
                name.to_owned(),
                SeederRun {
                    recorded_at: entry.recorded_at.clone(),
                    age_seconds: entry.age_seconds,
                    counts,
                },
            );
        }
    }
    runs
}

impl Report for StatusReport {
    fn human(&self) -> String {
        if !self.recorded {
            return format!(
                "{} holds no record of restage: no copy, refresh, seed or reset by this \
                 restage wrote to it (a database made otherwise, or by a restage before \
                 `status` existed). The next copy, refresh or reset records itself.{}",
                self.staging,
                self.beside()
            );
        }
        let mut lines = vec![format!("staging {}", self.staging)];
        match (&self.made_by, &self.last_copy, &self.last_reset) {
            (Some(made_by), _, Some(reset)) if made_by == "reset" => {
                lines.push(format!("holds      a reset, {}", when(reset)));
                lines.push(format!(
                    "schema     by {}",
                    recorded(&reset.details["migrations"])
                ));
            }
            (_, Some(copy), _) => lines.extend(copy_lines(copy)),
            _ => lines.push("holds      seeds only (no copy or reset recorded)".to_owned()),
        }
        if self.seeders.is_empty() {
            lines.push("seeders    none ran since".to_owned());
        }
        for (name, run) in &self.seeders {
            lines.push(format!(
                "seeder     {name:<22} {} ({})",
                run.recorded_at,
                ago(run.age_seconds)
            ));
        }
        lines.push(self.beside().trim_start().to_owned());
        lines.join("\n")
    }
}

impl StatusReport {
    /// The lines about the databases beside staging.
    fn beside(&self) -> String {
        let previous = match &self.previous {
            Some(previous) => format!("{previous} (`restage rollback` swaps it back)"),
            None => "none kept".to_owned(),
        };
        let mut text = format!("\nprevious   {previous}");
        if let Some(running) = &self.running {
            text.push_str(&format!("\nrunning    {running}"));
        }
        match (&self.unfinished, &self.running) {
            (Some(unfinished), Some(_)) => {
                text.push_str(&format!("\nbuilding   {unfinished}, by the run above"));
            }
            (Some(unfinished), None) => text.push_str(&format!(
                "\nleft over  {unfinished}: a killed copy or reset left it; the next one \
                 replaces it"
            )),
            (None, _) => {}
        }
        text
    }
}

/// `refresh, 2026-12-03T02:41:07Z (3h 05m ago), run …, restage 0.1.0` and the copy's facts.
fn copy_lines(copy: &Entry) -> Vec<String> {
    let details = &copy.details;
    let mut source = recorded(&details["source"]).to_owned();
    if let Some(snapshot) = details["snapshot"].as_str() {
        source.push_str(&format!(", snapshot {snapshot}"));
    }
    let mut lines = vec![
        format!("holds      a {}, {}", copy.command, when(copy)),
        format!("source     {source}"),
        format!(
            "profile    {} (sha256 {})",
            recorded(&details["profile"]),
            recorded(&details["profile_sha256"])
        ),
        format!(
            "key        fingerprint {} ({})",
            recorded(&details["key"]["fingerprint"]),
            recorded(&details["key"]["origin"])
        ),
        format!(
            "rows       {} in {} tables ({})",
            details["rows"].as_u64().unwrap_or_default(),
            details["tables"].as_u64().unwrap_or_default(),
            human_bytes(details["bytes"].as_u64().unwrap_or_default())
        ),
    ];
    if let Some(limit) = details["limit"].as_u64() {
        lines.push(format!("subset     --limit {limit}"));
    }
    lines
}

/// `2026-12-03T02:41:07Z (3h 05m ago), run …, restage 0.1.0`.
fn when(entry: &Entry) -> String {
    format!(
        "{} ({}), run {}, restage {}",
        entry.recorded_at,
        ago(entry.age_seconds),
        entry.run_id.as_deref().unwrap_or("?"),
        entry.restage_version
    )
}

/// A text field of a record, `?` when an older record lacks it.
fn recorded(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}

/// `12s ago`, `3h 05m ago`.
fn ago(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.0}s ago")
    } else {
        format!("{} ago", human_seconds(seconds))
    }
}
