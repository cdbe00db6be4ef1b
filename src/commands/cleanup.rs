//! `restage cleanup`: deletes what crashed refreshes left behind, and nothing else.

use serde::Serialize;

use crate::cli::CleanupArgs;
use crate::clock;
use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::rds::Rds;
use crate::rds::retention::{delete_all, delete_instances, orphaned_instances, surplus_snapshots};

/// What `cleanup` found and deleted.
#[derive(Debug, Serialize)]
pub struct CleanupReport {
    pub command: &'static str,
    pub region: String,
    pub older_than_seconds: u64,
    pub dry_run: bool,
    /// Temporary instances (tagged restage:temporary=true) deleted.
    pub instances: Vec<String>,
    /// restage's snapshots beyond `[rds] keep_snapshots`, deleted.
    pub snapshots: Vec<String>,
}

impl Report for CleanupReport {
    fn human(&self) -> String {
        let verb = if self.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        format!(
            "cleanup in {} (older than {}): {verb} temporary instance(s): {}; {verb} surplus \
             snapshot(s): {}",
            self.region,
            clock::human_age(self.older_than_seconds as i64),
            list(&self.instances),
            list(&self.snapshots)
        )
    }
}

/// The runs alive now, from the staging locks they hold; `None` (then age decides) when no
/// staging database is configured or its server cannot be asked.
async fn live_runs(settings: &Settings) -> Option<Vec<String>> {
    let staging = settings.staging_url.as_ref()?;
    match crate::safety::live_runs(staging, &settings.maintenance_database).await {
        Ok(live) => Some(live),
        Err(error) => {
            tracing::warn!(
                "cannot tell which runs are alive ({}); only instances older than --older-than \
                 are orphans",
                crate::error::error_chain(&error)
            );
            None
        }
    }
}

/// Finds orphaned temporary instances and surplus restage snapshots and deletes them.
pub async fn run(
    settings: &Settings,
    args: &CleanupArgs,
    out: &Output,
) -> Result<CleanupReport, Error> {
    let rds = Rds::connect(&settings.production, &settings.rds, &args.aws.overrides()).await?;
    let min_age = args.older_than.as_secs() as i64;
    let production = settings.production.rds_instance_id.as_deref();
    let live = live_runs(settings).await;
    let orphans = orphaned_instances(&rds, production, min_age, live.as_deref()).await?;
    let surplus = match (
        &settings.production.rds_instance_id,
        settings.rds.keep_snapshots,
    ) {
        (Some(instance), Some(keep)) => {
            surplus_snapshots(&rds, instance, keep, Some(min_age)).await?
        }
        _ => Vec::new(),
    };
    let report = CleanupReport {
        command: "cleanup",
        region: rds.region().to_owned(),
        older_than_seconds: args.older_than.as_secs(),
        dry_run: args.dry_run,
        instances: orphans.iter().map(|instance| instance.id.clone()).collect(),
        snapshots: surplus.iter().map(|snapshot| snapshot.id.clone()).collect(),
    };
    if args.dry_run || (orphans.is_empty() && surplus.is_empty()) {
        return Ok(report);
    }
    crate::safety::confirm(
        args.confirmation.yes,
        "cleanup",
        &format!(
            "This will delete temporary instance(s) [{}] and snapshot(s) [{}].",
            report.instances.join(", "),
            report.snapshots.join(", ")
        ),
    )?;
    delete_instances(&rds, &orphans, out).await?;
    delete_all(&rds, &surplus, out).await?;
    Ok(report)
}
