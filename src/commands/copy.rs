//! `restage copy`: the anonymizing copy of the source into staging.

use std::time::Instant;

use serde::Serialize;

use crate::cli::CopyArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::interrupt::Shutdown;
use crate::output::{Output, Report, human_bytes};
use crate::phase;
use crate::pipeline::plan::TablePlan;
use crate::pipeline::{self, CopyOptions, CopyResult, swap};
use crate::secret::SecretUrl;
use crate::{pg, safety};

/// What `copy` did, or with `--dry-run` what it would do.
#[derive(Debug, Serialize)]
pub struct CopyReport {
    pub command: &'static str,
    pub source: String,
    pub staging: String,
    pub profile: String,
    pub dry_run: bool,
    pub plan: Vec<TablePlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<CopyResult>,
    /// The previous staging database, kept for `restage rollback`.
    pub previous: Option<String>,
    pub seconds: f64,
}

impl Report for CopyReport {
    fn human(&self) -> String {
        let Some(result) = &self.result else {
            return format!(
                "Plan for {} → {} with {} (dry run: nothing was written)\n{}",
                self.source,
                self.staging,
                self.profile,
                plan_table(&self.plan)
            );
        };
        let mut text = format!(
            "Copied {} rows ({}) from {} into {} in {:.1}s with {}",
            result.rows,
            human_bytes(result.bytes),
            self.source,
            self.staging,
            self.seconds,
            self.profile
        );
        text.push_str(&format!(
            "\n{:<40} {:>12} {:>10} {:>8}",
            "table", "rows", "bytes", "seconds"
        ));
        for table in &result.tables {
            text.push_str(&format!(
                "\n{:<40} {:>12} {:>10} {:>8.2}",
                table.table,
                table.rows,
                human_bytes(table.bytes),
                table.seconds
            ));
        }
        text.push_str(&format!("\n{}", result.verification.summary()));
        text.push_str(&format!("\nphases: {}", phase::summary(&result.phases)));
        if let Some(previous) = &self.previous {
            text.push_str(&format!(
                "\nprevious staging kept as {previous} (`restage rollback` swaps it back)"
            ));
        }
        text
    }
}

fn plan_table(plan: &[TablePlan]) -> String {
    let mut text = format!(
        "{:<32} {:>10} {:>9} {:>6}  rules / filter",
        "table (largest first)", "~rows", "size", "pieces"
    );
    for table in plan {
        let mut what: Vec<String> = table
            .rules
            .iter()
            .map(|(column, transform)| format!("{column}={transform}"))
            .collect();
        what.extend(table.kept.iter().map(|column| format!("{column}=keep")));
        if table.schema_only {
            what.push("schema only (data = false)".to_owned());
        }
        if let Some(filter) = &table.filter {
            what.push(format!("where {filter}"));
        }
        let what = if what.is_empty() {
            "copied as is".to_owned()
        } else {
            what.join(", ")
        };
        text.push_str(&format!(
            "\n{:<32} {:>10} {:>9} {:>6}  {what}",
            table.table,
            table.estimated_rows,
            human_bytes(table.size_bytes.max(0) as u64),
            table.pieces
        ));
    }
    text
}

/// Plans, then (unless `--dry-run`) copies, loads beside staging and swaps in.
pub async fn run(settings: &Settings, args: &CopyArgs, out: &Output) -> Result<CopyReport, Error> {
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let job = CopyJob::new(settings, source, args)?;
    let planned = job.plan(out).await?;
    if args.dry_run {
        return Ok(job.dry_run_report(planned));
    }
    super::confirm(
        &args.confirmation,
        "copy",
        &format!(
            "This will replace the staging database {} with an anonymized copy of {}.",
            job.options.staging, job.options.source
        ),
    )?;
    let lock =
        safety::StagingLock::acquire(&job.options.staging, &job.maintenance_database, "copy")
            .await?;
    let report = job.load(planned, &Shutdown::listen(), out).await;
    lock.release().await;
    report
}

/// One copy of a source into staging, checked for safety; `copy` and `refresh` run it.
pub struct CopyJob {
    /// What to copy where.
    pub options: CopyOptions,
    names: Option<swap::SwapNames>,
    maintenance_database: String,
    start: Instant,
}

impl CopyJob {
    /// The copy of `source` into the configured staging, refusing production and the source
    /// itself as the target.
    pub fn new(settings: &Settings, source: SecretUrl, args: &CopyArgs) -> Result<CopyJob, Error> {
        let staging = settings.staging_url()?.clone();
        safety::ensure_writable_target(&staging, &settings.production, Some(&source))?;
        let options = CopyOptions {
            source,
            staging: staging.clone(),
            profile: settings.anonymizers(args.source.anonymizers.as_deref()),
            jobs: args.jobs.map_or(settings.refresh.jobs, usize::from),
            limit: args.limit,
            swap: !args.no_swap,
            random_key: args.random,
            quiet: false,
            exclude_tables: settings.refresh.exclude_tables.clone(),
        };
        let names = if options.swap {
            Some(pipeline::swap_names(&staging)?)
        } else {
            None
        };
        Ok(CopyJob {
            options,
            names,
            maintenance_database: settings.maintenance_database.clone(),
            start: Instant::now(),
        })
    }

    /// Reads the source catalog, checks the profile and refuses uncovered personal data.
    pub async fn plan(&self, out: &Output) -> Result<pipeline::Planned, Error> {
        out.step(format!("Planning the copy of {}", self.options.source));
        pipeline::plan(&self.options).await
    }

    /// The report of `--dry-run`: the plan, nothing written.
    pub fn dry_run_report(&self, planned: pipeline::Planned) -> CopyReport {
        let mut report = self.report(&planned.profile_path, true);
        report.plan = planned.tables;
        report
    }

    fn report(&self, profile: &str, dry_run: bool) -> CopyReport {
        CopyReport {
            command: "copy",
            source: self.options.source.to_string(),
            staging: self.options.staging.to_string(),
            profile: profile.to_owned(),
            dry_run,
            plan: Vec::new(),
            result: None,
            previous: None,
            seconds: crate::output::seconds_since(self.start),
        }
    }

    /// Loads the planned copy beside staging (or into the empty staging with `--no-swap`)
    /// and swaps it in. On failure or a signal, the half-built database is removed and
    /// staging is as it was. The caller holds the staging lock.
    pub async fn load(
        &self,
        planned: pipeline::Planned,
        shutdown: &Shutdown,
        out: &Output,
    ) -> Result<CopyReport, Error> {
        let staging = &self.options.staging;
        let mut report = self.report(&planned.profile_path, false);
        let admin_url = pg::with_database(staging, &self.maintenance_database);
        let mut admin = pg::connect(&admin_url, "staging server", "restage copy").await?;
        let target = match &self.names {
            Some(names) => {
                swap::create_next(&mut admin, &admin_url, names).await?;
                pg::with_database(staging, &names.next)
            }
            None => {
                ensure_empty(staging).await?;
                staging.clone()
            }
        };
        let options = CopyOptions {
            quiet: out.quiet(),
            ..self.options.clone()
        };
        let outcome = shutdown
            .guard(pipeline::load(planned, &options, &target, out))
            .await;
        let mut result = match outcome {
            Ok(result) => result,
            Err(error) => {
                if let Some(names) = &self.names
                    && let Err(cleanup) =
                        swap::drop_database(&mut admin, &admin_url, &names.next).await
                {
                    tracing::warn!(error = %cleanup, "removing the half-built database");
                }
                return Err(error);
            }
        };
        if let Some(names) = &self.names {
            out.step(format!("Swapping {} in as {}", names.next, names.staging));
            result.previous_kept = swap::swap_in(&mut admin, &admin_url, names).await?;
            report.previous = result.previous_kept.then(|| names.previous.clone());
        }
        report.result = Some(result);
        report.seconds = crate::output::seconds_since(self.start);
        Ok(report)
    }
}

/// `--no-swap` loads into staging itself, which must hold no table yet.
async fn ensure_empty(staging: &SecretUrl) -> Result<(), Error> {
    let mut connection = pg::connect(staging, "staging database", "restage copy").await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_%'",
    )
    .fetch_one(&mut connection)
    .await
    .map_err(crate::pg::database_error(
        staging,
        "looking at the staging database",
    ))?;
    if tables > 0 {
        return Err(Error::Refused(format!(
            "{staging} already holds {tables} table(s); --no-swap loads only into an empty database \
             (drop it and create it again, or copy without --no-swap)"
        )));
    }
    Ok(())
}
