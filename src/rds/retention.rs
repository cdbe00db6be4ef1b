//! Retention: which snapshots restage keeps, which it prunes, and the temporary instances a
//! crashed refresh left behind. Only what restage made (by its tags) is ever deleted.

use super::{Instance, Rds, Snapshot};
use crate::clock::now_secs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::Output;

/// The instance a command is about: `--instance`, else `[production] rds_instance_id`.
pub fn production_instance(settings: &Settings, flag: Option<&str>) -> Result<String, Error> {
    flag.map(str::to_owned)
        .or_else(|| settings.production.rds_instance_id.clone())
        .ok_or_else(|| Error::InvalidSetting {
            origin: "production RDS instance".into(),
            reason: "none configured: set rds_instance_id under [production] in restage.toml \
                     (or pass --instance to snapshot commands, --source-url to refresh)"
                .into(),
        })
}

/// The name of a new manual snapshot of `instance`: `restage-<instance>-<run id>`.
pub fn new_snapshot_id(instance: &str, run_id: &str) -> String {
    format!("restage-{instance}-{run_id}")
}

/// restage's own snapshots of `instance` beyond the newest `keep` (and, when given, older
/// than `min_age_secs`), oldest last. Automated and other snapshots never count.
pub async fn surplus_snapshots(
    rds: &Rds,
    instance: &str,
    keep: usize,
    min_age_secs: Option<i64>,
) -> Result<Vec<Snapshot>, Error> {
    let now = now_secs();
    let surplus = rds
        .snapshots(instance)
        .await?
        .into_iter()
        .filter(|snapshot| snapshot.made_by_restage() && snapshot.kind == "manual")
        .skip(keep)
        .filter(|snapshot| {
            min_age_secs.is_none_or(|age| snapshot.made_at().is_some_and(|at| now - at >= age))
        })
        .collect();
    Ok(surplus)
}

/// Deletes each snapshot (all restage's own), saying so.
pub async fn delete_all(rds: &Rds, snapshots: &[Snapshot], out: &Output) -> Result<(), Error> {
    for snapshot in snapshots {
        out.step(format!("Deleting snapshot {}", snapshot.id));
        rds.delete_snapshot(&snapshot.id, false).await?;
    }
    Ok(())
}

/// Instances tagged restage:temporary=true, never the `production` instance, whose run is
/// over: when the runs alive now are known (`live`, from the staging locks), every instance
/// of another run, whatever its age; else those made at least `min_age` seconds ago.
pub async fn orphaned_instances(
    rds: &Rds,
    production: Option<&str>,
    min_age: i64,
    live: Option<&[String]>,
) -> Result<Vec<Instance>, Error> {
    let now = now_secs();
    let run_is_over = |instance: &Instance| match (live, instance.run_id()) {
        (Some(live), Some(run)) => !live.iter().any(|alive| alive == run),
        _ => instance.made_at().is_some_and(|at| now - at >= min_age),
    };
    Ok(rds
        .instances()
        .await?
        .into_iter()
        .filter(|instance| instance.is_temporary() && Some(instance.id.as_str()) != production)
        .filter(run_is_over)
        .collect())
}

pub async fn delete_instances(
    rds: &Rds,
    instances: &[Instance],
    out: &Output,
) -> Result<(), Error> {
    for instance in instances {
        out.step(format!(
            "Deleting temporary instance {} (status {})",
            instance.id, instance.status
        ));
        rds.delete_temporary_instance(&instance.id).await?;
    }
    Ok(())
}
