//! The report of a copy: the plan, what was copied where, the phases and the verification.

use serde::Serialize;

use super::CopyResult;
use super::plan::TablePlan;
use crate::hooks::{HookReport, HookRun, hooks_summary};
use crate::notify::NotifiedReport;
use crate::output::{Report, human_bytes};
use crate::phase;

/// What `copy` did, or with `--dry-run` what it would do.
#[derive(Debug, Serialize)]
pub struct CopyReport {
    pub command: &'static str,
    pub source: String,
    pub staging: String,
    pub profile: String,
    pub dry_run: bool,
    pub plan: Vec<TablePlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<CopyResult>,
    /// The previous staging database, kept for `restage rollback`.
    pub previous: Option<String>,
    /// The `[hooks]` that ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRun>,
    /// Whether the `[notify]` webhook was told how the run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    pub seconds: f64,
}

impl NotifiedReport for CopyReport {
    fn set_notification(&mut self, outcome: String) {
        self.notification = Some(outcome);
    }
}

impl HookReport for CopyReport {
    fn set_hooks(&mut self, runs: Vec<HookRun>) {
        self.hooks = runs;
    }
}

impl Report for CopyReport {
    fn human(&self) -> String {
        let Some(result) = &self.result else {
            return format!(
                "Plan for {} → {} with {} (dry run: nothing was written)\n{}",
                self.source,
                self.staging,
                self.profile,
                plan_table(&self.plan)
            );
        };
        let mut text = format!(
            "Copied {} rows ({}) from {} into {} in {:.1}s with {}",
            result.rows,
            human_bytes(result.bytes),
            self.source,
            self.staging,
            self.seconds,
            self.profile
        );
        text.push_str(&format!(
            "\n{:<40} {:>12} {:>10} {:>8}",
            "table", "rows", "bytes", "seconds"
        ));
        for table in &result.tables {
            text.push_str(&format!(
                "\n{:<40} {:>12} {:>10} {:>8.2}",
                table.table,
                table.rows,
                human_bytes(table.bytes),
                table.seconds
            ));
        }
        text.push_str(&format!("\n{}", result.verification.summary()));
        text.push_str(&format!("\n{}", result.privileges.human()));
        text.push_str(&format!("\nphases: {}", phase::summary(&result.phases)));
        if let Some(previous) = &self.previous {
            text.push_str(&format!(
                "\nprevious staging kept as {previous} (`restage rollback` swaps it back)"
            ));
        }
        text.push_str(&hooks_summary(&self.hooks));
        text
    }
}

fn plan_table(plan: &[TablePlan]) -> String {
    let mut text = format!(
        "{:<32} {:>10} {:>9} {:>6}  rules / filter",
        "table (largest first)", "~rows", "size", "pieces"
    );
    for table in plan {
        let mut what: Vec<String> = table
            .rules
            .iter()
            .map(|(column, transform)| format!("{column}={transform}"))
            .collect();
        what.extend(table.kept.iter().map(|column| format!("{column}=keep")));
        if table.schema_only {
            what.push("schema only (data = false)".to_owned());
        }
        if let Some(filter) = &table.filter {
            what.push(format!("where {filter}"));
        }
        let what = if what.is_empty() {
            "copied as is".to_owned()
        } else {
            what.join(", ")
        };
        text.push_str(&format!(
            "\n{:<32} {:>10} {:>9} {:>6}  {what}",
            table.table,
            table.estimated_rows,
            human_bytes(table.size_bytes.max(0) as u64),
            table.pieces
        ));
    }
    text
}
