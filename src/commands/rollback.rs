//! `restage rollback`: swap the previous staging copy back in.

use serde::Serialize;

use crate::cli::RollbackArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::pipeline::swap::{self, SwapNames};
use crate::{pg, safety};

/// What `rollback` did.
#[derive(Debug, Serialize)]
pub struct RollbackReport {
    pub command: &'static str,
    pub staging: String,
    /// Where the replaced staging went (the next rollback swaps it back again).
    pub previous: String,
}

impl Report for RollbackReport {
    fn human(&self) -> String {
        format!(
            "{} is the previous copy again; the replaced one is now {}",
            self.staging, self.previous
        )
    }
}

/// Swaps `<staging>_restage_prev` and staging, under the staging lock.
pub async fn run(
    settings: &Settings,
    args: &RollbackArgs,
    out: &Output,
) -> Result<RollbackReport, Error> {
    let staging = settings.staging_url()?;
    safety::ensure_writable_target(staging, &settings.production, None)?;
    let names = SwapNames::beside(staging)?;
    safety::confirm(
        args.confirmation.yes,
        "rollback",
        &format!(
            "This will replace {staging} by the previous copy {}.",
            names.previous
        ),
    )?;
    let lock = safety::StagingLock::acquire_configured(settings, staging, "rollback").await?;
    let admin_url = pg::with_database(staging, &settings.maintenance_database);
    let mut admin = pg::connect(&admin_url, pg::MAINTENANCE, "restage rollback").await?;
    out.step(format!("Swapping {} back in", names.previous));
    swap::roll_back(&mut admin, &admin_url, &names).await?;
    lock.release().await;
    Ok(RollbackReport {
        command: "rollback",
        staging: staging.to_string(),
        previous: names.previous,
    })
}
