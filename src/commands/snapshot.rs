//! `restage snapshot create | list | delete | prune`: manual snapshots of production.

use serde::Serialize;

use crate::cli::{
    AwsArgs, SnapshotCommand, SnapshotCreateArgs, SnapshotDeleteArgs, SnapshotListArgs,
    SnapshotPruneArgs,
};
use crate::clock;
use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::rds::retention::{delete_all, new_snapshot_id, production_instance, surplus_snapshots};
use crate::rds::{Rds, Snapshot};

/// What a `snapshot` command did.
#[derive(Debug, Serialize)]
pub struct SnapshotReport {
    pub command: &'static str,
    pub instance: String,
    pub region: String,
    /// The snapshots listed, created or deleted.
    pub snapshots: Vec<Snapshot>,
    pub dry_run: bool,
    #[serde(skip)]
    verb: &'static str,
}

impl Report for SnapshotReport {
    fn human(&self) -> String {
        if self.command == "snapshot list" {
            return snapshot_table(&self.snapshots);
        }
        if self.snapshots.is_empty() {
            return format!("nothing {} for {}", self.verb, self.instance);
        }
        let mode = if self.dry_run {
            " (dry run: nothing was deleted)"
        } else {
            ""
        };
        let mut text = format!("{} snapshot(s) {}{mode}:", self.snapshots.len(), self.verb);
        for snapshot in &self.snapshots {
            text.push_str(&format!("\n  {} ({})", snapshot.id, snapshot.status));
        }
        text
    }
}

/// The table of `snapshot list`: newest first, with status, size, age and who made it.
pub fn snapshot_table(snapshots: &[Snapshot]) -> String {
    let now = clock::now_secs();
    let mut text = format!(
        "{:<48} {:<9} {:<10} {:>6} {:>8}  made by",
        "snapshot (newest first)", "type", "status", "size", "age"
    );
    for snapshot in snapshots {
        let size = snapshot
            .size_gib
            .map_or_else(|| "-".to_owned(), |gib| format!("{gib} GiB"));
        let age = snapshot
            .made_at()
            .map_or_else(|| "-".to_owned(), |at| clock::human_age(now - at));
        let maker = if snapshot.made_by_restage() {
            "restage"
        } else {
            ""
        };
        text.push_str(&format!(
            "\n{:<48} {:<9} {:<10} {:>6} {:>8}  {maker}",
            snapshot.id, snapshot.kind, snapshot.status, size, age
        ));
    }
    text
}

/// Runs one `snapshot` subcommand.
pub async fn run(
    settings: &Settings,
    command: &SnapshotCommand,
    out: &Output,
) -> Result<SnapshotReport, Error> {
    match command {
        SnapshotCommand::Create(args) => create(settings, args, out).await,
        SnapshotCommand::List(args) => list(settings, args).await,
        SnapshotCommand::Delete(args) => delete(settings, args, out).await,
        SnapshotCommand::Prune(args) => prune(settings, args, out).await,
    }
}

/// The instance a command is about, and the RDS client of its region.
async fn instance_and_client(
    settings: &Settings,
    flag: Option<&str>,
    aws: &AwsArgs,
) -> Result<(String, Rds), Error> {
    let instance = production_instance(settings, flag)?;
    let rds = Rds::connect(&settings.production, &settings.rds, &aws.overrides()).await?;
    Ok((instance, rds))
}

async fn create(
    settings: &Settings,
    args: &SnapshotCreateArgs,
    out: &Output,
) -> Result<SnapshotReport, Error> {
    let (instance, rds) =
        instance_and_client(settings, args.instance.as_deref(), &args.aws).await?;
    let run_id = clock::new_run_id();
    let id = new_snapshot_id(&instance, &run_id);
    out.step(format!("Creating snapshot {id} of {instance}"));
    let mut snapshot = rds.create_snapshot(&instance, &id, &run_id).await?;
    if args.wait {
        snapshot = rds
            .wait_for_snapshot(
                &id,
                settings.rds.snapshot_timeout,
                settings.rds.poll_interval,
                out,
            )
            .await?;
    }
    Ok(report(
        "snapshot create",
        "created",
        instance,
        &rds,
        vec![snapshot],
    ))
}

async fn list(settings: &Settings, args: &SnapshotListArgs) -> Result<SnapshotReport, Error> {
    let (instance, rds) =
        instance_and_client(settings, args.instance.as_deref(), &args.aws).await?;
    let snapshots = rds.snapshots(&instance).await?;
    if snapshots.is_empty() {
        // Snapshots outlive their instance, so only an empty list says the name may be wrong.
        rds.instance(&instance).await?;
    }
    Ok(report("snapshot list", "listed", instance, &rds, snapshots))
}

async fn delete(
    settings: &Settings,
    args: &SnapshotDeleteArgs,
    out: &Output,
) -> Result<SnapshotReport, Error> {
    let rds = Rds::connect(&settings.production, &settings.rds, &args.aws.overrides()).await?;
    let snapshot = rds.snapshot(&args.id).await?;
    crate::safety::confirm(
        args.confirmation.yes,
        "snapshot delete",
        &format!(
            "This will delete snapshot {} of {}.",
            snapshot.id, snapshot.instance
        ),
    )?;
    out.step(format!("Deleting snapshot {}", snapshot.id));
    rds.delete_snapshot(&snapshot.id, args.force).await?;
    let instance = snapshot.instance.clone();
    Ok(report(
        "snapshot delete",
        "deleted",
        instance,
        &rds,
        vec![snapshot],
    ))
}

async fn prune(
    settings: &Settings,
    args: &SnapshotPruneArgs,
    out: &Output,
) -> Result<SnapshotReport, Error> {
    let (instance, rds) =
        instance_and_client(settings, args.instance.as_deref(), &args.aws).await?;
    let surplus = surplus_snapshots(&rds, &instance, usize::from(args.keep), None).await?;
    let mut report = report("snapshot prune", "deleted", instance, &rds, surplus);
    if args.dry_run {
        report.dry_run = true;
        return Ok(report);
    }
    if !report.snapshots.is_empty() {
        crate::safety::confirm(
            args.confirmation.yes,
            "snapshot prune",
            &format!(
                "This will delete {} restage snapshot(s) of {}, keeping the newest {}.",
                report.snapshots.len(),
                report.instance,
                args.keep
            ),
        )?;
    }
    delete_all(&rds, &report.snapshots, out).await?;
    Ok(report)
}

fn report(
    command: &'static str,
    verb: &'static str,
    instance: String,
    rds: &Rds,
    snapshots: Vec<Snapshot>,
) -> SnapshotReport {
    SnapshotReport {
        command,
        instance,
        region: rds.region().to_owned(),
        snapshots,
        dry_run: false,
        verb,
    }
}
