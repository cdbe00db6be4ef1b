//! One file per command: each checks safety, does its work and returns a report.

use crate::config::Production;
use crate::error::Error;
use crate::hooks::{self, HookReport, HookRunner};
use crate::notify::{NotifiedReport, Notifier};
use crate::output::{self, Report};
use crate::safety::{self, StagingLock};

pub mod anonymizers;
pub mod check;
pub mod cleanup;
pub mod copy;
pub mod generate;
pub mod init;
pub mod migrate;
pub mod preview;
pub mod redis_flush;
pub mod refresh;
pub mod report;
pub mod reset;
pub mod rollback;
pub mod seed;
pub mod snapshot;
pub mod status;
pub mod verify;

/// Ends a copy, refresh or reset: its closing hooks, then the `[notify]` webhook, whose
/// outcome goes into the report (or the error's).
async fn conclude<R: HookReport + NotifiedReport + Report>(
    outcome: Result<R, Error>,
    hooks: &HookRunner,
    notifier: Option<&Notifier>,
) -> Result<R, Error> {
    let outcome = hooks::conclude(outcome, hooks).await;
    let Some(notifier) = notifier else {
        return outcome;
    };
    let document = match &outcome {
        Ok(report) => output::document(report),
        Err(error) => error.to_json(hooks.facts().command),
    };
    let Some(notification) = notifier.announce(&hooks.facts(), &document).await else {
        return outcome;
    };
    match outcome {
        Ok(mut report) => {
            report.set_notification(notification);
            Ok(report)
        }
        Err(error) => Err(error.with_report_field("notification", notification.into())),
    }
}

/// Asks (unless `--yes`) and takes the staging lock for the run of `hooks`. A run refused
/// here never started: the webhook hears of it (a schedule without `--yes`, a refresh that
/// found a reset running), but no hook runs — nothing was touched, and the hooks of the run
/// holding the lock are in charge. A question answered "no" is not announced.
async fn start(
    yes: bool,
    consequences: &str,
    maintenance_database: &str,
    production: &Production,
    hooks: &HookRunner,
    notifier: Option<&Notifier>,
) -> Result<StagingLock, Error> {
    let run = hooks.facts();
    let started = match safety::confirm(yes, run.command, consequences) {
        Ok(()) => {
            let holder = format!("{} {}", run.command, run.run_id);
            StagingLock::acquire(run.staging, maintenance_database, &holder, production).await
        }
        Err(error) => Err(error),
    };
    match (started, notifier) {
        (Err(error), Some(notifier)) if !matches!(error, Error::Declined { .. }) => {
            match notifier.announce(&run, &error.to_json(run.command)).await {
                Some(notification) => {
                    Err(error.with_report_field("notification", notification.into()))
                }
                None => Err(error),
            }
        }
        (started, _) => started,
    }
}
