//! `restage refresh`: the weekly job, under the staging lock.

use crate::cli::RefreshArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::hooks;
use crate::interrupt::Shutdown;
use crate::notify::Notifier;
use crate::output::Output;
use crate::refresh::{Refresh, RefreshOptions, RefreshReport};

/// Plans the refresh, then (unless `--dry-run`) asks, takes the lock and runs it.
pub async fn run(
    settings: &Settings,
    args: &RefreshArgs,
    out: &Output,
) -> Result<RefreshReport, Error> {
    let options = RefreshOptions {
        source_url: args.source.source_url.clone(),
        anonymizers: args.source.anonymizers.clone(),
        snapshot: args.snapshot.clone(),
        latest_automated: args.latest_automated,
        keep_restore: args.keep_restore,
        jobs: args.jobs.map(usize::from),
        dry_run: args.dry_run,
        seeds: args.data.seeds.clone(),
        rng_seed: args.data.rng_seed,
        aws: args.aws.overrides(),
    };
    let mut refresh = Refresh::new(settings, options, out)?;
    if args.dry_run {
        return refresh.dry_run().await;
    }
    let notifier = Notifier::from_settings(settings.notify.as_ref())?;
    let lock = hooks::start(
        args.confirmation.yes,
        &refresh.consequences(),
        &settings.maintenance_database,
        &settings.production,
        refresh.hooks(),
        notifier.as_ref(),
    )
    .await?;
    let report = refresh.run(&Shutdown::listen()).await;
    let report = hooks::conclude(report, refresh.hooks(), notifier.as_ref()).await;
    lock.release().await;
    report
}
