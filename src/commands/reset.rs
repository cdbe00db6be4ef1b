//! `restage reset`: drop and recreate the staging schema, migrate, seed, flush Redis.

use crate::cli::ResetArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::hooks::{self, HookRunner};
use crate::interrupt::Shutdown;
use crate::notify::Notifier;
use crate::output::Output;
use crate::reset::{Reset, ResetReport};

/// Resets staging after the safety checks and the confirmation, under the staging lock.
pub async fn run(
    settings: &Settings,
    args: &ResetArgs,
    out: &Output,
) -> Result<ResetReport, Error> {
    let reset = Reset::new(settings, args.data.seeds.as_deref(), args.data.rng_seed)?;
    let notifier = Notifier::from_settings(settings.notify.as_ref())?;
    let hooks = HookRunner::new(&settings.hooks, "reset", reset.run_id(), reset.staging());
    let lock = hooks::start(
        args.confirmation.yes,
        &reset.consequences(),
        &settings.maintenance_database,
        &settings.production,
        &hooks,
        notifier.as_ref(),
    )
    .await?;
    let report = reset.run(&Shutdown::listen(), out, &hooks).await;
    let report = hooks::conclude(report, &hooks, notifier.as_ref()).await;
    lock.release().await;
    report
}
