//! `restage copy`: the anonymizing copy of the source into staging.

use crate::cli::CopyArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::hooks::{self, HookRunner};
use crate::interrupt::Shutdown;
use crate::notify::Notifier;
use crate::output::Output;
use crate::pipeline::{CopyJob, CopyOptions, CopyReport};

/// Plans, then (unless `--dry-run`) copies, loads beside staging and swaps in.
pub async fn run(settings: &Settings, args: &CopyArgs, out: &Output) -> Result<CopyReport, Error> {
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let options = CopyOptions {
        limit: args.limit,
        swap: !args.no_swap,
        random_key: args.random,
        ..CopyOptions::from_settings(
            settings,
            source,
            args.source.anonymizers.as_deref(),
            args.jobs.map(usize::from),
        )?
    };
    let job = CopyJob::new(options, &settings.production)?;
    if args.dry_run {
        let planned = job.plan(out).await?;
        return Ok(job.dry_run_report(planned));
    }
    let notifier = Notifier::from_settings(settings.notify.as_ref())?;
    let options = job.options();
    let hooks = HookRunner::new(
        &settings.hooks,
        "copy",
        &options.provenance.run_id,
        &options.staging,
    );
    // A plan that refuses (uncovered personal data) is a failure the scheduler's channel
    // must hear of, like one during the copy.
    let planned = match job.plan(out).await {
        Ok(planned) => planned,
        Err(error) => return hooks::conclude(Err(error), &hooks, notifier.as_ref()).await,
    };
    let consequences = format!(
        "This will replace the staging database {} with an anonymized copy of {}.",
        options.staging, options.source
    );
    let lock = hooks::start(
        args.confirmation.yes,
        &consequences,
        &options.maintenance_database,
        &settings.production,
        &hooks,
        notifier.as_ref(),
    )
    .await?;
    let report = job.run(planned, &Shutdown::listen(), out, &hooks).await;
    let report = hooks::conclude(report, &hooks, notifier.as_ref()).await;
    lock.release().await;
    report
}
