//! The weekly job (`restage refresh`). Snapshot production → restore it into a temporary
//! instance → new master password → anonymized copy into staging → seed → flush Redis →
//! delete the temporary instance and prune old snapshots. Each phase is timed; the last
//! one runs whatever happened before it (success, failure, Ctrl-C, SIGTERM).

use std::time::Instant;

use serde::Serialize;

use std::path::PathBuf;

use crate::config::{Settings, SnapshotChoice, SslMode};
use crate::error::{AwsFailure, Error};
use crate::hooks::{HookReport, HookRun, HookRunner, hooks_summary};
use crate::interrupt::{self, Shutdown};
use crate::notify::NotifiedReport;
use crate::output::{Output, Report, human_bytes, seconds_since};
use crate::pg;
use crate::phase::{self, Phase, PhaseClock, PhaseName};
use crate::pipeline::{CopyJob, CopyOptions, CopyReport, Provenance};
use crate::rds::retention::{delete_all, new_snapshot_id, production_instance, surplus_snapshots};
use crate::rds::{self, ApiOverrides, Instance, Rds, RestoreSpec};
use crate::safety;
use crate::secret::SecretUrl;
use crate::seed::data::SeedData;
use crate::seed::{self, SeedOptions, SeedReport};

/// How to run a refresh, beside the settings.
#[derive(Debug, Clone, Default)]
pub struct RefreshOptions {
    /// Copy from this database instead of a restored snapshot (no RDS).
    pub source_url: Option<String>,
    /// The anonymizer profile (else `[refresh] anonymizers`).
    pub anonymizers: Option<PathBuf>,
    /// Restore this snapshot instead of making a new one.
    pub snapshot: Option<String>,
    /// Restore production's newest automated snapshot instead of making a new one.
    pub latest_automated: bool,
    /// Leave the temporary instance running afterwards.
    pub keep_restore: bool,
    /// Parallel copy workers (else `[refresh] jobs`).
    pub jobs: Option<usize>,
    /// Plan only: call nothing that changes anything.
    pub dry_run: bool,
    /// The seed data directory (else the embedded seed data).
    pub seeds: Option<PathBuf>,
    /// The seeders' randomness.
    pub rng_seed: u64,
    /// Region and RDS endpoint over the configuration.
    pub aws: ApiOverrides,
}

/// What `refresh` did (or, with `--dry-run`, would do).
#[derive(Debug, Default, Serialize)]
pub struct RefreshReport {
    pub command: &'static str,
    pub run_id: String,
    pub dry_run: bool,
    pub staging: String,
    /// `rds` (snapshot and restore) or the redacted `--source-url`.
    pub source: String,
    /// The production RDS instance.
    pub production_instance: Option<String>,
    pub snapshot: Option<String>,
    /// Whether this run made the snapshot.
    pub snapshot_created: bool,
    /// Whether this run deleted the snapshot it made, because making it was interrupted or
    /// failed (a half-made snapshot is of no use, and nothing else would delete it).
    pub snapshot_deleted: bool,
    pub temporary_instance: Option<String>,
    pub temporary_instance_deleted: bool,
    /// With `--dry-run`: each step that would run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<String>,
    pub phases: Vec<Phase>,
    /// The phase that failed or was interrupted, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_phase: Option<PhaseName>,
    pub rows: u64,
    pub bytes: u64,
    pub copy: Option<CopyReport>,
    pub seed: Option<SeedReport>,
    pub redis: Option<String>,
    pub redis_keys_removed: Option<u64>,
    pub pruned_snapshots: Vec<String>,
    /// The `[hooks]` that ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRun>,
    /// Whether the `[notify]` webhook was told how the run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    pub seconds: f64,
}

impl NotifiedReport for RefreshReport {
    fn set_notification(&mut self, outcome: String) {
        self.notification = Some(outcome);
    }
}

impl HookReport for RefreshReport {
    fn set_hooks(&mut self, runs: Vec<HookRun>) {
        self.hooks = runs;
    }
}

impl Report for RefreshReport {
    fn human(&self) -> String {
        if self.dry_run {
            let mut text = format!(
                "Refresh plan for {} (dry run: nothing was changed)",
                self.staging
            );
            for (number, step) in self.plan.iter().enumerate() {
                text.push_str(&format!("\n  {}. {step}", number + 1));
            }
            if let Some(copy) = &self.copy {
                text.push_str(&format!("\n{}", copy.human()));
            }
            return text;
        }
        let mut text = format!(
            "Refreshed {} in {:.1}s: {} rows ({}) copied",
            self.staging,
            self.seconds,
            self.rows,
            human_bytes(self.bytes)
        );
        if let Some(snapshot) = &self.snapshot {
            text.push_str(&format!(" from snapshot {snapshot}"));
        }
        if let Some(instance) = &self.temporary_instance {
            let fate = if self.temporary_instance_deleted {
                "deleted"
            } else {
                "kept (--keep-restore; `restage cleanup` deletes it)"
            };
            text.push_str(&format!(" via temporary instance {instance} ({fate})"));
        }
        if let Some(seed) = &self.seed {
            text.push_str(&format!("\nseeded: {} row(s) changed", seed.changed()));
        }
        match (&self.redis, self.redis_keys_removed) {
            (Some(url), Some(removed)) => {
                text.push_str(&format!("\nflushed {url} ({removed} keys removed)"))
            }
            _ => text.push_str("\nno staging Redis configured, nothing flushed"),
        }
        if !self.pruned_snapshots.is_empty() {
            text.push_str(&format!(
                "\npruned snapshots: {}",
                self.pruned_snapshots.join(", ")
            ));
        }
        text.push_str(&format!("\nphases: {}", phase::summary(&self.phases)));
        text.push_str(&hooks_summary(&self.hooks));
        text
    }
}

/// One refresh in progress: settings, what it has made so far, and its report.
pub struct Refresh<'a> {
    settings: &'a Settings,
    options: RefreshOptions,
    out: &'a Output,
    staging: SecretUrl,
    seed_data: SeedData,
    /// `--source-url`, $SOURCE_DATABASE_URL or `[production] url`: copy from there, no RDS.
    direct_source: Option<SecretUrl>,
    report: RefreshReport,
    hooks: HookRunner,
    clock: PhaseClock,
    start: Instant,
}

impl<'a> Refresh<'a> {
    /// Checks everything that can be checked before anything is touched: staging and Redis
    /// are not production, the seed data is valid, production is configured.
    pub fn new(
        settings: &'a Settings,
        options: RefreshOptions,
        out: &'a Output,
    ) -> Result<Self, Error> {
        let staging = settings.staging_url()?.clone();
        safety::ensure_writable_target(&staging, &settings.production, None)?;
        if let Some(redis_url) = &settings.redis_url {
            safety::ensure_writable_redis(redis_url, &settings.production)?;
        }
        let seed_data = SeedData::load(options.seeds.as_deref(), &settings.mapping)?;
        let direct_source = direct_source(settings, &options)?;
        let report = RefreshReport {
            command: "refresh",
            run_id: crate::clock::new_run_id(),
            dry_run: options.dry_run,
            staging: staging.to_string(),
            source: direct_source
                .as_ref()
                .map_or_else(|| "rds".to_owned(), ToString::to_string),
            production_instance: settings.production.rds_instance_id.clone(),
            redis: settings.redis_url.as_ref().map(ToString::to_string),
            ..RefreshReport::default()
        };
        if direct_source.is_none() {
            production_instance(settings, None)?;
            check_tls_settings(settings)?;
        }
        let hooks = HookRunner::new(&settings.hooks, "refresh", &report.run_id, &staging);
        Ok(Refresh {
            settings,
            options,
            out,
            staging,
            seed_data,
            direct_source,
            report,
            hooks,
            clock: PhaseClock::start(),
            start: Instant::now(),
        })
    }

    /// The staging database this refresh replaces.
    pub fn staging(&self) -> &SecretUrl {
        &self.staging
    }

    /// The `[hooks]` of this refresh.
    pub fn hooks(&self) -> &HookRunner {
        &self.hooks
    }

    /// What the refresh will do, for the confirmation question.
    pub fn consequences(&self) -> String {
        format!(
            "This will replace the staging database {} with an anonymized copy of {}{}.",
            self.staging,
            self.source_description(),
            self.settings
                .redis_url
                .as_ref()
                .map(|url| format!(" and flush every key in Redis {url}"))
                .unwrap_or_default()
        )
    }

    /// Runs every phase (the caller holds the staging lock) and returns the report; on
    /// failure the error carries the report so far, with the phase that failed.
    pub async fn run(&mut self, shutdown: &Shutdown) -> Result<RefreshReport, Error> {
        let outcome = self.run_phases(shutdown).await;
        self.report.seconds = seconds_since(self.start);
        self.report.phases = self.clock.phases().to_vec();
        match outcome {
            Ok(()) => Ok(std::mem::take(&mut self.report)),
            Err(error) => {
                self.report.failed_phase = self.first_unfinished_phase();
                Err(Error::WithReport {
                    error: Box::new(error),
                    report: serde_json::to_value(&self.report).unwrap_or_default(),
                })
            }
        }
    }

    fn source_description(&self) -> String {
        match (
            &self.direct_source,
            &self.settings.production.rds_instance_id,
        ) {
            (Some(url), _) => url.to_string(),
            (None, Some(instance)) => format!("RDS instance {instance}"),
            (None, None) => "production".to_owned(),
        }
    }

    /// All phases; the clean-up runs whatever the others did.
    async fn run_phases(&mut self, shutdown: &Shutdown) -> Result<(), Error> {
        if let Some(source) = self.direct_source.clone() {
            return self.copy_seed_flush(source, shutdown).await;
        }
        let rds = Rds::connect(
            &self.settings.production,
            &self.settings.rds,
            &self.options.aws,
        )
        .await?;
        let outcome = self.restore_and_copy(&rds, shutdown).await;
        let cleanup = self.clean_up(&rds, outcome.is_ok()).await;
        match (outcome, cleanup) {
            (Ok(()), cleanup) => cleanup,
            (Err(error), Ok(())) => Err(error),
            (Err(error), Err(cleanup)) => {
                // The first failure is what the user must fix; the clean-up's is for later.
                self.out.step(format!(
                    "clean-up failed too: {}",
                    crate::error::error_chain(&cleanup)
                ));
                Err(error)
            }
        }
    }

    /// Phases 1-6: snapshot, restore, credentials, copy, seed, flush.
    async fn restore_and_copy(&mut self, rds: &Rds, shutdown: &Shutdown) -> Result<(), Error> {
        let snapshot = shutdown.guard(self.choose_snapshot(rds)).await?;
        self.clock.lap(PhaseName::Snapshot);
        let instance_id = rds::temporary_instance_id(&self.report.run_id);
        self.out.step(format!(
            "Restoring snapshot {snapshot} into temporary instance {instance_id}"
        ));
        let spec = RestoreSpec::from_settings(&self.settings.rds);
        // Named before the call: should the answer get lost, the clean-up phase still looks
        // for it (and counts an instance that never came to be as deleted).
        self.report.temporary_instance = Some(instance_id.clone());
        rds.restore(&snapshot, &instance_id, &self.report.run_id, &spec)
            .await?;
        let timeouts = &self.settings.rds;
        shutdown
            .guard(rds.wait_for_instance(
                &instance_id,
                timeouts.restore_timeout,
                timeouts.poll_interval,
                self.out,
            ))
            .await?;
        self.clock.lap(PhaseName::Restore);

        let source = shutdown
            .guard(self.take_over_instance(rds, &instance_id))
            .await?;
        self.clock.lap(PhaseName::Credentials);
        self.copy_seed_flush(source, shutdown).await
    }

    /// `--snapshot ID`, `--latest-automated`, or as `[rds] snapshot` says (default: a new one).
    async fn choose_snapshot(&mut self, rds: &Rds) -> Result<String, Error> {
        let instance = production_instance(self.settings, None)?;
        let production = rds.instance(&instance).await?;
        // Staging may be production under another name (a CNAME of its endpoint).
        if let Some((endpoint, _)) = &production.endpoint {
            safety::ensure_not_on_endpoint(&self.staging, endpoint).await?;
        }
        let id = match self.snapshot_choice() {
            Choice::Given(id) => rds.snapshot(&id).await?.id,
            Choice::LatestAutomated => latest_automated(rds, &instance).await?,
            Choice::New => {
                let id = new_snapshot_id(&instance, &self.report.run_id);
                self.out
                    .step(format!("Creating snapshot {id} of {instance}"));
                rds.create_snapshot(&instance, &id, &self.report.run_id)
                    .await?;
                self.report.snapshot_created = true;
                id
            }
        };
        self.report.snapshot = Some(id.clone());
        self.wait_for_snapshot(rds, &id).await?;
        Ok(id)
    }

    /// Waits (up to `[rds] snapshot_timeout`) until snapshot `id` is available.
    async fn wait_for_snapshot(&self, rds: &Rds, id: &str) -> Result<(), Error> {
        let timeouts = &self.settings.rds;
        rds.wait_for_snapshot(
            id,
            timeouts.snapshot_timeout,
            timeouts.poll_interval,
            self.out,
        )
        .await
        .map(drop)
    }

    fn snapshot_choice(&self) -> Choice {
        match (&self.options.snapshot, self.options.latest_automated) {
            (Some(id), _) => Choice::Given(id.clone()),
            (None, true) => Choice::LatestAutomated,
            (None, false) if self.settings.rds.snapshot == SnapshotChoice::LatestAutomated => {
                Choice::LatestAutomated
            }
            (None, false) => Choice::New,
        }
    }

    /// A fresh master password (no production secret needed), then the URL to read from.
    async fn take_over_instance(&self, rds: &Rds, instance_id: &str) -> Result<SecretUrl, Error> {
        let password = rds::new_master_password();
        self.out
            .step(format!("Setting a new master password on {instance_id}"));
        rds.set_master_password(instance_id, &password).await?;
        let timeouts = &self.settings.rds;
        let instance = rds
            .wait_for_instance(
                instance_id,
                timeouts.restore_timeout,
                timeouts.poll_interval,
                self.out,
            )
            .await?;
        let url = source_url(self.settings, &instance, &password)?;
        self.wait_for_login(&url).await?;
        Ok(url)
    }

    /// RDS may report the instance available a moment before the new password (or the
    /// endpoint's DNS name) works: retry the first login until `restore_timeout`.
    async fn wait_for_login(&self, url: &SecretUrl) -> Result<(), Error> {
        let rds = &self.settings.rds;
        let start = Instant::now();
        loop {
            match pg::connect(url, "restored instance", "restage refresh").await {
                Ok(connection) => {
                    let _ = sqlx::Connection::close(connection).await;
                    return Ok(());
                }
                Err(error) if start.elapsed() < rds.restore_timeout => {
                    tracing::debug!(%error, "the restored instance does not accept the login yet");
                    tokio::time::sleep(rds.poll_interval).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Phases 4-6 (and all there is with `--source-url`).
    async fn copy_seed_flush(
        &mut self,
        source: SecretUrl,
        shutdown: &Shutdown,
    ) -> Result<(), Error> {
        let job = self.copy_job(source)?;
        let planned = shutdown.guard(job.plan(self.out)).await?;
        let copied = job.run(planned, shutdown, self.out, &self.hooks).await?;
        if let Some(result) = &copied.result {
            self.report.rows = result.rows;
            self.report.bytes = result.bytes;
        }
        self.report.copy = Some(copied);
        self.clock.lap(PhaseName::Copy);

        self.out.step(format!("Seeding {}", self.staging));
        let staging = self.staging.clone();
        let previous = self
            .report
            .copy
            .as_ref()
            .and_then(|copy| copy.previous.clone());
        let seeded = shutdown
            .guard_in(&interrupt::staging_not_seeded(previous.as_deref()), async {
                let mut connection =
                    pg::connect(&staging, "staging database", "restage refresh").await?;
                seed::run(
                    &mut connection,
                    &staging,
                    &self.seed_data,
                    &self.settings.mapping,
                    &SeedOptions::all(
                        &self.settings.mapping,
                        &self.seed_data,
                        self.options.rng_seed,
                    ),
                )
                .await
            })
            .await?;
        self.report.seed = Some(seeded);
        self.clock.lap(PhaseName::Seed);

        self.report.redis_keys_removed = shutdown
            .guard_in(
                interrupt::REDIS_NOT_FLUSHED,
                crate::redis::flush_staging(self.settings, self.out),
            )
            .await?;
        self.clock.lap(PhaseName::Flush);
        Ok(())
    }

    /// Deletes the snapshot this run made when the snapshot phase did not finish (a signal,
    /// a timeout): it waits (up to `snapshot_timeout`) until RDS can delete it. A snapshot
    /// that cannot be deleted now is left to `restage cleanup`, which knows it by its run id.
    async fn delete_unfinished_snapshot(&mut self, rds: &Rds) {
        let Some(id) = self.report.snapshot.clone() else {
            return;
        };
        if !self.report.snapshot_created || self.clock.finished(PhaseName::Snapshot) {
            return;
        }
        self.out
            .step(format!("Deleting snapshot {id}, which was not finished"));
        let deleted = async {
            self.wait_for_snapshot(rds, &id).await?;
            rds.delete_snapshot(&id, false).await
        }
        .await;
        match deleted {
            Ok(()) => self.report.snapshot_deleted = true,
            Err(error) => self.out.step(format!(
                "snapshot {id} was not deleted ({}); `restage cleanup` deletes it once this run \
                 is over",
                crate::error::error_chain(&error)
            )),
        }
    }

    /// Phase 7: delete the temporary instance (unless `--keep-restore`) and, after a
    /// successful run, prune restage's snapshots down to `[rds] keep_snapshots`.
    async fn clean_up(&mut self, rds: &Rds, succeeded: bool) -> Result<(), Error> {
        self.delete_and_prune(rds, succeeded).await?;
        self.clock.lap(PhaseName::Cleanup);
        Ok(())
    }

    async fn delete_and_prune(&mut self, rds: &Rds, succeeded: bool) -> Result<(), Error> {
        self.delete_unfinished_snapshot(rds).await;
        if let Some(instance) = &self.report.temporary_instance
            && !self.options.keep_restore
        {
            self.out
                .step(format!("Deleting temporary instance {instance}"));
            rds.delete_temporary_instance(instance).await?;
            self.report.temporary_instance_deleted = true;
        }
        if let (true, Some(keep)) = (succeeded, self.settings.rds.keep_snapshots) {
            let instance = production_instance(self.settings, None)?;
            let surplus = surplus_snapshots(rds, &instance, keep, None).await?;
            delete_all(rds, &surplus, self.out).await?;
            self.report.pruned_snapshots = surplus.into_iter().map(|s| s.id).collect();
        }
        Ok(())
    }

    /// The plan of `--dry-run`: read-only AWS calls and the copy plan when there is a source.
    /// The plan of `--dry-run`: read-only AWS calls and the copy plan when there is a source.
    pub async fn dry_run(mut self) -> Result<RefreshReport, Error> {
        let rds_settings = &self.settings.rds;
        if let Some(source) = self.direct_source.clone() {
            self.report.plan.push(format!(
                "copy {source} into {} (no snapshot, no restore: --source-url)",
                self.staging
            ));
        } else {
            let rds =
                Rds::connect(&self.settings.production, rds_settings, &self.options.aws).await?;
            let instance = production_instance(self.settings, None)?;
            rds.instance(&instance).await?;
            let snapshot = match self.snapshot_choice() {
                Choice::Given(id) => {
                    format!("restore existing snapshot {}", rds.snapshot(&id).await?.id)
                }
                Choice::LatestAutomated => format!(
                    "restore the latest automated snapshot of {instance}: {}",
                    latest_automated(&rds, &instance).await?
                ),
                Choice::New => format!(
                    "create manual snapshot {} of {instance} and wait for it (up to {}s)",
                    new_snapshot_id(&instance, &self.report.run_id),
                    rds_settings.snapshot_timeout.as_secs()
                ),
            };
            self.report.plan.push(snapshot);
            let spec = RestoreSpec::from_settings(rds_settings);
            self.report.plan.push(format!(
                "restore it in {} into private instance {} (class {}, subnet group {}, \
                 security groups {}, parameter group {}), tagged {}=true, and wait up to {}s",
                rds.region(),
                rds::temporary_instance_id(&self.report.run_id),
                spec.instance_class.as_deref().unwrap_or("as the snapshot"),
                spec.db_subnet_group.as_deref().unwrap_or("default"),
                if spec.vpc_security_group_ids.is_empty() {
                    "default".to_owned()
                } else {
                    spec.vpc_security_group_ids.join(" ")
                },
                spec.parameter_group.as_deref().unwrap_or("default"),
                rds::TAG_TEMPORARY,
                rds_settings.restore_timeout.as_secs()
            ));
            self.report.plan.push(format!(
                "set a new random master password and connect with sslmode={}{}",
                rds_settings.sslmode.as_str(),
                rds_settings
                    .connect_to
                    .as_ref()
                    .map(|to| format!(" through {to}"))
                    .unwrap_or_default()
            ));
        }
        let profile = self
            .settings
            .anonymizers(self.options.anonymizers.as_deref());
        self.report.plan.push(format!(
            "anonymized copy with {} ({} jobs), verified, swapped in as {}",
            profile.display(),
            self.options.jobs.unwrap_or(self.settings.refresh.jobs),
            self.staging
        ));
        let seeds = SeedOptions::all(&self.settings.mapping, &self.seed_data, 0);
        self.report
            .plan
            .push(format!("seed: {}", seeds.names().join(", ")));
        self.report.plan.push(match &self.settings.redis_url {
            Some(url) => format!("flush Redis {url}"),
            None => "no staging Redis configured: no flush".to_owned(),
        });
        if self.direct_source.is_none() {
            let keep = self.settings.rds.keep_snapshots.map_or(
                "no pruning ([rds] keep_snapshots unset)".to_owned(),
                |keep| format!("prune restage snapshots to the newest {keep}"),
            );
            let delete = if self.options.keep_restore {
                "keep the temporary instance (--keep-restore)"
            } else {
                "delete the temporary instance (no final snapshot)"
            };
            self.report.plan.push(format!("{delete}; {keep}"));
        }
        if let Some(source) = self.direct_source.clone() {
            let job = self.copy_job(source)?;
            let planned = job.plan(self.out).await?;
            self.report.copy = Some(job.dry_run_report(planned));
        }
        self.report.seconds = seconds_since(self.start);
        Ok(self.report)
    }

    /// The first phase of the run that did not finish.
    fn first_unfinished_phase(&self) -> Option<PhaseName> {
        let order: &[PhaseName] = if self.direct_source.is_some() {
            &DIRECT_PHASES
        } else {
            &RDS_PHASES
        };
        order
            .iter()
            .copied()
            .find(|phase| !self.clock.finished(*phase))
    }

    /// The copy as `restage copy` would run it with this refresh's profile and jobs.
    fn copy_job(&self, source: SecretUrl) -> Result<CopyJob, Error> {
        let mut options = CopyOptions::from_settings(
            self.settings,
            source,
            self.options.anonymizers.as_deref(),
            self.options.jobs,
        )?;
        options.provenance = Provenance {
            command: "refresh",
            run_id: self.report.run_id.clone(),
            source: match (&self.direct_source, &self.report.production_instance) {
                (None, Some(instance)) => format!("RDS instance {instance}"),
                _ => self.report.source.clone(),
            },
            snapshot: self.report.snapshot.clone(),
        };
        // The cards of the seeds this refresh uses (`--seeds`), not those of ./seeds.
        options.test_cards = self
            .seed_data
            .payment_cards
            .iter()
            .map(|card| card.number.clone())
            .collect();
        CopyJob::new(options, &self.settings.production)
    }
}

/// The phases of a refresh through RDS, in order (the clean-up follows whatever happened).
const RDS_PHASES: [PhaseName; 7] = [
    PhaseName::Snapshot,
    PhaseName::Restore,
    PhaseName::Credentials,
    PhaseName::Copy,
    PhaseName::Seed,
    PhaseName::Flush,
    PhaseName::Cleanup,
];
/// The phases of a refresh from `--source-url`.
const DIRECT_PHASES: [PhaseName; 3] = [PhaseName::Copy, PhaseName::Seed, PhaseName::Flush];

enum Choice {
    Given(String),
    LatestAutomated,
    New,
}

/// The direct mode without RDS: `--source-url`, else $SOURCE_DATABASE_URL, else
/// `[production] url` when no `rds_instance_id` is configured.
fn direct_source(
    settings: &Settings,
    options: &RefreshOptions,
) -> Result<Option<SecretUrl>, Error> {
    let wants_rds = options.snapshot.is_some() || options.latest_automated || options.keep_restore;
    let from_env = std::env::var("SOURCE_DATABASE_URL").is_ok_and(|value| !value.trim().is_empty());
    let production = &settings.production;
    let from_file = production.rds_instance_id.is_none() && production.url.is_some();
    let given = options.source_url.is_some() || (!wants_rds && (from_env || from_file));
    if given {
        Ok(Some(settings.source_url(options.source_url.as_deref())?))
    } else {
        Ok(None)
    }
}

/// `verify-full` and `verify-ca` need the RDS CA bundle to check the server against.
fn check_tls_settings(settings: &Settings) -> Result<(), Error> {
    let rds = &settings.rds;
    if !matches!(rds.sslmode, SslMode::VerifyFull | SslMode::VerifyCa) {
        return Ok(());
    }
    match &rds.ca_bundle {
        Some(path) if path.is_file() => Ok(()),
        Some(path) => Err(Error::InvalidSetting {
            origin: "rds.ca_bundle".into(),
            reason: format!(
                "{} does not exist; download the RDS CA bundle \
                 (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) there",
                path.display()
            ),
        }),
        None => Err(Error::InvalidSetting {
            origin: "rds.sslmode".into(),
            reason: format!(
                "sslmode {} needs ca_bundle under [rds]: the path of the RDS CA bundle \
                 (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem); or set \
                 sslmode = \"require\"",
                rds.sslmode.as_str()
            ),
        }),
    }
}

/// The newest available automated snapshot of `instance`.
async fn latest_automated(rds: &Rds, instance: &str) -> Result<String, Error> {
    rds.snapshots(instance)
        .await?
        .into_iter()
        .find(|snapshot| snapshot.kind == "automated" && snapshot.status == "available")
        .map(|snapshot| snapshot.id)
        .ok_or_else(|| {
            Error::aws(
                AwsFailure::Incomplete,
                format!(
                    "DB instance {instance} has no available automated snapshot; enable \
                     automated backups, or drop --latest-automated to make a new snapshot"
                ),
            )
        })
}

/// The URL of the restored instance's database, as its master user, over TLS as configured
/// (or through `[rds] connect_to`, for testing and tunnels).
fn source_url(
    settings: &Settings,
    instance: &Instance,
    password: &str,
) -> Result<SecretUrl, Error> {
    let rds = &settings.rds;
    let (host, port) = match (&rds.connect_to, &instance.endpoint) {
        (Some(connect_to), _) => {
            crate::config::parse_host_port(connect_to).ok_or_else(|| Error::InvalidSetting {
                origin: "rds.connect_to".into(),
                reason: format!("'{connect_to}' is not host:port"),
            })?
        }
        (None, Some(endpoint)) => endpoint.clone(),
        (None, None) => {
            return Err(Error::aws(
                AwsFailure::Incomplete,
                format!(
                    "DB instance {} is available but has no endpoint",
                    instance.id
                ),
            ));
        }
    };
    let user = instance.master_username.clone().ok_or_else(|| {
        Error::aws(
            AwsFailure::Incomplete,
            format!("DB instance {} reports no master user name", instance.id),
        )
    })?;
    let database = rds
        .database
        .clone()
        .or_else(|| instance.db_name.clone())
        .ok_or_else(|| Error::InvalidSetting {
            origin: "rds.database".into(),
            reason: format!(
                "instance {} has no initial database name; set database under [rds] to the \
                 database to copy",
                instance.id
            ),
        })?;
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let unusable = || {
        Error::aws(
            AwsFailure::Incomplete,
            format!("cannot build a URL for {host}:{port} as {user}"),
        )
    };
    let mut url = url::Url::parse(&format!("postgres://{host}:{port}/")).map_err(|_| unusable())?;
    if url.set_username(&user).is_err() || url.set_password(Some(password)).is_err() {
        return Err(unusable());
    }
    url.set_path(&format!("/{database}"));
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("sslmode", rds.sslmode.as_str());
        if let Some(bundle) = &rds.ca_bundle {
            query.append_pair("sslrootcert", &bundle.display().to_string());
        }
    }
    Ok(SecretUrl::new(url.to_string()))
}
