//! One file per command: each checks safety, does its work and returns a report.

use crate::error::Error;
use crate::hooks::{self, HookReport, HookRunner};
use crate::notify::Notifier;
use crate::output::{self, Report};

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
pub mod reset;
pub mod rollback;
pub mod seed;
pub mod snapshot;
pub mod status;
pub mod verify;

/// Ends a copy, refresh or reset: its closing hooks, then the `[notify]` webhook.
async fn conclude<R: HookReport + Report>(
    outcome: Result<R, Error>,
    hooks: &HookRunner,
    notifier: Option<&Notifier>,
) -> Result<R, Error> {
    let outcome = hooks::conclude(outcome, hooks).await;
    if let Some(notifier) = notifier {
        let document = match &outcome {
            Ok(report) => output::document(report),
            Err(error) => error.to_json(),
        };
        notifier.announce(&hooks.facts(), &document).await;
    }
    outcome
}
