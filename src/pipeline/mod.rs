//! The anonymizing copy, owned from end to end: plan → pre-data schema → data (parallel, one
//! snapshot) → post-data → finish (sequences, materialized views, ANALYZE) → verify → swap,
//! or the half-built database dropped. [`CopyJob`] runs it and returns a [`CopyReport`].

pub mod check;
pub mod copy_binary;
pub mod copy_text;
pub mod data;
pub mod filter;
pub mod finish;
pub mod init;
pub mod leaks;
pub mod plan;
pub mod preview;
pub mod privacy;
pub mod progress;
pub mod report;
pub mod schema;
pub mod swap;
pub mod token_spool;
pub mod validate;
pub mod verify;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sqlx::postgres::PgConnection;
use tokio::sync::watch;

use crate::anonymize::Keyer;
use crate::anonymize::profile::{CompiledProfile, Profile};
use crate::catalog::Catalog;
use crate::clock::new_run_id;
use crate::config::{DeclaredPrivileges, Production, Settings};
use crate::error::Error;
use crate::history::{self, Record};
use crate::hooks::HookRunner;
use crate::interrupt::{self, Shutdown};
use crate::output::{Output, seconds_since};
use crate::pg::{self, database_error};
use crate::phase::{Phase, PhaseClock, PhaseName};
use crate::privileges::{self, Captured, PrivilegeReport};
use crate::safety;
use crate::secret::SecretUrl;
use plan::TablePlan;
use progress::Progress;
pub use report::CopyReport;
use swap::SwapNames;

/// What to copy where, and how.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    pub source: SecretUrl,
    pub staging: SecretUrl,
    pub profile: PathBuf,
    pub jobs: usize,
    /// Overrides the row limit of every subset root.
    pub limit: Option<u64>,
    /// Load beside staging and swap in (else load into the empty staging directly).
    pub swap: bool,
    /// Use a random key instead of the profile's key variable.
    pub random_key: bool,
    /// Tables whose rows are never copied (`[refresh] exclude_tables`): schema only.
    pub exclude_tables: Vec<String>,
    /// The database on the staging server that the swap connects to.
    pub maintenance_database: String,
    /// `[staging] owner` and `grants`, given to the new database beside what the old one
    /// granted.
    pub privileges: DeclaredPrivileges,
    /// The run this copy belongs to, for the record it leaves in staging.
    pub provenance: Provenance,
    /// The staging test cards `card` rules with `test_cards = true` write: those of the
    /// seeds the run uses (`./seeds`, or a refresh's `--seeds`).
    pub test_cards: Vec<String>,
}

/// Which run a copy belongs to, as `restage status` shows it later.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// `copy` or `refresh`.
    pub command: &'static str,
    pub run_id: String,
    /// The source: its redacted URL, or production's RDS instance.
    pub source: String,
    /// The RDS snapshot a refresh restored.
    pub snapshot: Option<String>,
}

impl CopyOptions {
    /// The configured copy of `source` into staging: `profile` and `jobs` override
    /// `[refresh] anonymizers` and `jobs`; loaded beside staging and swapped in.
    pub fn from_settings(
        settings: &Settings,
        source: SecretUrl,
        profile: Option<&Path>,
        jobs: Option<usize>,
    ) -> Result<CopyOptions, Error> {
        Ok(CopyOptions {
            staging: settings.staging_url()?.clone(),
            profile: settings.anonymizers(profile),
            jobs: jobs.unwrap_or(settings.refresh.jobs),
            limit: None,
            swap: true,
            random_key: false,
            exclude_tables: settings.refresh.exclude_tables.clone(),
            maintenance_database: settings.maintenance_database.clone(),
            privileges: settings.privileges.clone(),
            provenance: Provenance {
                command: "copy",
                run_id: new_run_id(),
                source: source.to_string(),
                snapshot: None,
            },
            test_cards: crate::seed::data::test_card_numbers()?,
            source,
        })
    }
}

/// Rows and bytes copied into one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableResult {
    pub table: String,
    /// Rows the source's COPY sent (the plan's filter applied).
    pub source_rows: u64,
    /// Rows the target's COPY took.
    pub rows: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// Everything a copy did.
#[derive(Debug, Clone, Serialize)]
pub struct CopyResult {
    pub tables: Vec<TableResult>,
    pub phases: Vec<Phase>,
    pub rows: u64,
    pub bytes: u64,
    /// What verification of the loaded database found (nothing wrong, or the copy fails).
    pub verification: verify::Verification,
    /// Whether a staging database existed and was kept as the previous copy.
    pub previous_kept: bool,
    /// The owners, grants and settings the new database was given.
    pub privileges: PrivilegeReport,
}

/// A plan ready to run: the leader holds the snapshot every worker reads.
pub struct Planned {
    pub tables: Vec<TablePlan>,
    pub profile_path: String,
    leader: PgConnection,
    snapshot: String,
    keyer: Keyer,
    key: KeyIdentity,
    profile_sha256: String,
    catalog: Catalog,
    planning_seconds: f64,
}

/// One copy of a source into staging, checked for safety; `copy` and `refresh` run it.
pub struct CopyJob {
    options: CopyOptions,
    names: Option<SwapNames>,
    start: Instant,
}

impl CopyJob {
    /// The copy `options` describe, refusing production and the source itself as the target.
    pub fn new(options: CopyOptions, production: &Production) -> Result<CopyJob, Error> {
        safety::ensure_writable_target(&options.staging, production, Some(&options.source))?;
        let names = if options.swap {
            Some(SwapNames::beside(&options.staging)?)
        } else {
            None
        };
        Ok(CopyJob {
            options,
            names,
            start: Instant::now(),
        })
    }

    /// What to copy where.
    pub fn options(&self) -> &CopyOptions {
        &self.options
    }

    /// Reads the source catalog, checks the profile and refuses uncovered personal data.
    pub async fn plan(&self, out: &Output) -> Result<Planned, Error> {
        out.step(format!("Planning the copy of {}", self.options.source));
        plan(&self.options).await
    }

    /// The report of `--dry-run`: the plan, nothing written.
    pub fn dry_run_report(&self, planned: Planned) -> CopyReport {
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
            hooks: Vec::new(),
            notification: None,
            seconds: seconds_since(self.start),
        }
    }

    /// Loads the planned copy beside staging (or into the empty staging with `--no-swap`),
    /// verifies it, gives it staging's privileges and (unless `--no-swap`) runs
    /// `before_swap`, swaps it in and runs `after_swap`. Any failure or signal before the
    /// swap drops what it built (the new database, or with `--no-swap` what it created in
    /// staging) and leaves staging as it was. The caller holds the staging lock.
    pub async fn run(
        &self,
        planned: Planned,
        shutdown: &Shutdown,
        out: &Output,
        hooks: &HookRunner,
    ) -> Result<CopyReport, Error> {
        let staging = &self.options.staging;
        let mut report = self.report(&planned.profile_path, false);
        let admin_url = pg::with_database(staging, &self.options.maintenance_database);
        let mut admin = pg::connect(&admin_url, pg::MAINTENANCE, "restage copy").await?;
        let server = safety::identity::read(&mut admin)
            .await
            .map_err(database_error(
                &admin_url,
                "reading the staging server's identity",
            ))?;
        safety::ensure_not_the_same(
            &server,
            staging,
            &self.options.source,
            "the source database",
        )
        .await?;
        let captured = self.capture_privileges(&mut admin, &admin_url).await?;
        let (target, existing) = match &self.names {
            Some(names) => {
                swap::create_next(&mut admin, &admin_url, names).await?;
                (pg::with_database(staging, &names.next), None)
            }
            None => {
                let existing = swap::ensure_empty(staging).await?;
                (staging.clone(), Some(existing))
            }
        };
        let outcome = shutdown
            .guard(async {
                let origin = self.origin(&planned);
                let mut result = load(planned, &self.options, &target, out).await?;
                let mut connection =
                    pg::connect(&target, "target database", "restage copy").await?;
                record_copy(
                    &mut connection,
                    &target,
                    &self.options.provenance,
                    &origin,
                    &result,
                )
                .await?;
                out.step("Giving the new database staging's owners, grants and settings");
                let database = pg::database_name(&target).unwrap_or_default();
                result.privileges = privileges::apply(
                    &mut connection,
                    &target,
                    &database,
                    &captured,
                    &self.options.privileges,
                )
                .await?;
                if self.names.is_some() {
                    hooks.before_swap(&target).await?;
                }
                Ok(result)
            })
            .await;
        let mut result = match outcome {
            Ok(result) => result,
            Err(error) => {
                let cleanup = match (&self.names, &existing) {
                    (Some(names), _) => {
                        swap::drop_database(&mut admin, &admin_url, &names.next).await
                    }
                    (None, Some(existing)) => swap::drop_built(staging, existing).await,
                    (None, None) => Ok(()),
                };
                if let Err(cleanup) = cleanup {
                    tracing::warn!(error = %cleanup, "removing the half-built database");
                }
                return Err(error);
            }
        };
        if let Some(names) = &self.names {
            out.step(format!("Swapping {} in as {}", names.next, names.staging));
            result.previous_kept = swap::swap_in(&mut admin, &admin_url, names).await?;
            report.previous = result.previous_kept.then(|| names.previous.clone());
            // A refresh seeds after the copy: until then, staging is new but not seeded.
            let replaced = if self.options.provenance.command == "refresh" {
                interrupt::staging_not_seeded(report.previous.as_deref())
            } else {
                interrupt::staging_replaced(report.previous.as_deref())
            };
            shutdown.check(&replaced)?;
            shutdown.guard_in(&replaced, hooks.after_swap()).await?;
        }
        report.result = Some(result);
        report.seconds = seconds_since(self.start);
        Ok(report)
    }
}

/// A connection to the source inside a read-only, repeatable-read transaction: one consistent
/// view of it, and no way to write.
impl CopyJob {
    /// What the staging database grants now: everything when it is about to be replaced,
    /// its objects' grants when the copy loads into it (`--no-swap`).
    async fn capture_privileges(
        &self,
        admin: &mut PgConnection,
        admin_url: &SecretUrl,
    ) -> Result<Captured, Error> {
        let staging = &self.options.staging;
        match &self.names {
            Some(names) => swap::staging_privileges(admin, admin_url, names, staging).await,
            None => {
                let mut connection =
                    pg::connect(staging, "staging database", "restage copy").await?;
                privileges::capture_objects(&mut connection, staging).await
            }
        }
    }
}

/// Where a copy's rows came from and how they were anonymized, for its record.
#[derive(Debug, Serialize)]
struct CopyOrigin {
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<String>,
    profile: String,
    profile_sha256: String,
    key: KeyIdentity,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u64>,
}

/// What a copy records in staging's `restage.history`.
#[derive(Debug, Serialize)]
struct CopyRecord<'a> {
    #[serde(flatten)]
    origin: &'a CopyOrigin,
    rows: u64,
    bytes: u64,
    tables: usize,
    /// What verification checked, for `restage report`.
    verification: &'a verify::Verification,
}

impl CopyJob {
    /// Where this copy's rows come from.
    fn origin(&self, planned: &Planned) -> CopyOrigin {
        let provenance = &self.options.provenance;
        CopyOrigin {
            source: provenance.source.clone(),
            snapshot: provenance.snapshot.clone(),
            profile: planned.profile_path.clone(),
            profile_sha256: planned.profile_sha256.clone(),
            key: planned.key.clone(),
            limit: self.options.limit,
        }
    }
}

/// Records the copy in the loaded database's `restage.history`.
async fn record_copy(
    connection: &mut PgConnection,
    target: &SecretUrl,
    provenance: &Provenance,
    origin: &CopyOrigin,
    result: &CopyResult,
) -> Result<(), Error> {
    let details = CopyRecord {
        origin,
        rows: result.rows,
        bytes: result.bytes,
        tables: result.tables.len(),
        verification: &result.verification,
    };
    history::record(
        connection,
        target,
        &Record {
            command: provenance.command,
            run_id: Some(&provenance.run_id),
            details: &details,
        },
    )
    .await
}

/// The SHA-256 of a file, in hex: which version of a profile a copy used.
fn file_sha256(path: &Path) -> Result<String, Error> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        action: format!("reading {}", path.display()),
        source,
    })?;
    Ok(crate::output::hex(&sha2::Sha256::digest(bytes)))
}

async fn open_source(source: &SecretUrl, application: &str) -> Result<PgConnection, Error> {
    let mut connection = pg::connect_source(source, application).await?;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut connection)
        .await
        .map_err(database_error(source, "starting a read-only transaction"))?;
    Ok(connection)
}

/// [`open_source`] and the source's catalog: what the read-only jobs (check, init, preview)
/// start from.
async fn read_source(
    source: &SecretUrl,
    application: &str,
) -> Result<(PgConnection, Catalog), Error> {
    let mut connection = open_source(source, application).await?;
    let catalog = Catalog::read(&mut connection)
        .await
        .map_err(database_error(source, "reading the catalog"))?;
    Ok((connection, catalog))
}

/// [`read_source`], and `profile` checked against its catalog with the test cards of
/// `./seeds`: where `check` and `report` start.
async fn read_source_with_profile(
    source: &SecretUrl,
    profile: &Profile,
    application: &str,
) -> Result<(PgConnection, Catalog, CompiledProfile), Error> {
    let (mut connection, catalog) = read_source(source, application).await?;
    let compiled =
        validate::compile_profile_with_seed_cards(profile, &catalog, &mut connection, source)
            .await?;
    Ok((connection, catalog, compiled))
}

/// Opens the source snapshot, reads the catalog, checks the profile against it (unknown
/// tables, columns, transformers, options; row filters that do not parse), refuses uncovered
/// personal data, and plans every table. Writes nothing.
async fn plan(options: &CopyOptions) -> Result<Planned, Error> {
    let start = Instant::now();
    let profile = Profile::load(&options.profile)?;
    let (keyer, key) = keyer(&profile, options.random_key)?;
    let source = &options.source;
    let mut leader = open_source(source, "restage copy").await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut leader)
        .await
        .map_err(database_error(source, "exporting the snapshot"))?;
    let catalog = Catalog::read(&mut leader)
        .await
        .map_err(database_error(source, "reading the catalog"))?;
    let mut compiled =
        validate::compile_profile(&profile, &catalog, &mut leader, source, &options.test_cards)
            .await?;
    exclude(&mut compiled, &catalog, &options.exclude_tables)?;
    refuse_uncovered(&mut leader, &catalog, &compiled, source, &profile).await?;
    let mut limits = compiled.limits.clone();
    if let Some(limit) = options.limit {
        if limits.is_empty() {
            return Err(Error::Refused(format!(
                "--limit needs subset roots: add [subset] limits = {{ table = N }} to {}",
                profile.path
            )));
        }
        limits.values_mut().for_each(|value| *value = limit);
    }
    let tables = plan::plan(&catalog, compiled, &limits, options.jobs);
    Ok(Planned {
        tables,
        profile_path: profile.path.clone(),
        leader,
        snapshot,
        keyer,
        key,
        profile_sha256: file_sha256(&options.profile)?,
        catalog,
        planning_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Samples the source for columns that look like personal data and have no rule in the
/// profile; refuses, listing them, when there are any (fail closed).
async fn refuse_uncovered(
    connection: &mut PgConnection,
    catalog: &Catalog,
    compiled: &CompiledProfile,
    source: &SecretUrl,
    profile: &Profile,
) -> Result<(), Error> {
    let findings =
        crate::judgment::uncovered(connection, catalog, |name| compiled.decided(catalog, name))
            .await
            .map_err(database_error(source, "sampling columns for personal data"))?;
    if findings.is_empty() {
        return Ok(());
    }
    Err(Error::UncoveredPii {
        profile: profile.path.clone(),
        findings: findings.iter().map(ToString::to_string).collect(),
    })
}

/// Makes the excluded tables schema-only, as if the profile said `data = false`.
fn exclude(
    profile: &mut CompiledProfile,
    catalog: &Catalog,
    tables: &[String],
) -> Result<(), Error> {
    for name in tables {
        if !catalog.tables.contains_key(name) {
            return Err(Error::InvalidSetting {
                origin: "refresh.exclude_tables".into(),
                reason: format!(
                    "no table '{name}' in the source database (write `table` for public, else `schema.table`)"
                ),
            });
        }
        profile.tables.entry(name.clone()).or_default().schema_only = true;
    }
    Ok(())
}

/// The key from the profile's key file, else its environment variable, or a random one with
/// `--random` when neither is set; and where it came from, for the history.
fn keyer(profile: &Profile, random: bool) -> Result<(Keyer, KeyIdentity), Error> {
    let (keyer, origin) = match configured_key(profile)? {
        Some((origin, secret)) => (Keyer::from_secret(&secret), origin),
        None if random => (Keyer::random(), "random (this run only)".to_owned()),
        None => {
            return Err(Error::MissingKey {
                env: profile.key_env().to_owned(),
                profile: profile.path.clone(),
            });
        }
    };
    let identity = KeyIdentity {
        origin,
        fingerprint: keyer.fingerprint(),
    };
    Ok((keyer, identity))
}

/// The configured key's origin and fingerprint (never the key); `None` when none is set.
pub fn configured_key_identity(profile: &Profile) -> Result<Option<KeyIdentity>, Error> {
    Ok(
        configured_key(profile)?.map(|(origin, secret)| KeyIdentity {
            origin,
            fingerprint: Keyer::from_secret(&secret).fingerprint(),
        }),
    )
}

/// Which key a copy used: where it came from and its fingerprint, never the key.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct KeyIdentity {
    /// `$RESTAGE_ANONYMIZE_KEY`, `key file /run/secrets/key` or `random (this run only)`.
    pub origin: String,
    pub fingerprint: String,
}

/// The configured key (its file's content without the final line break, else the
/// environment variable) and where it came from, at least
/// [`crate::secret::MIN_KEY_BYTES`] long; `None` when none is set.
fn configured_key(profile: &Profile) -> Result<Option<(String, String)>, Error> {
    let (origin, secret) = match profile.key_file() {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::KeyFile {
                path: path.to_owned(),
                profile: profile.path.clone(),
                source,
            })?;
            (
                format!("key file {path}"),
                Some(text.trim_end_matches(['\n', '\r']).to_owned()),
            )
        }
        None => (
            format!("${}", profile.key_env()),
            std::env::var(profile.key_env()).ok(),
        ),
    };
    if let Some(secret) = &secret {
        crate::secret::remember(secret);
    }
    match secret.filter(|secret| !secret.is_empty()) {
        Some(secret) if secret.len() < crate::secret::MIN_KEY_BYTES => Err(Error::WeakKey {
            origin,
            length: secret.len(),
        }),
        secret => Ok(secret.map(|secret| (origin, secret))),
    }
}

/// Runs a plan into `target` (an empty database): schema, data, post-data, finish, verify.
async fn load(
    mut planned: Planned,
    options: &CopyOptions,
    target: &SecretUrl,
    out: &Output,
) -> Result<CopyResult, Error> {
    let source = &options.source;
    let mut clock = PhaseClock::start();
    clock.record(PhaseName::Plan, planned.planning_seconds);

    out.step("Creating the schema (pre-data)");
    let workdir = schema::private_work_dir()?;
    let archive = schema::dump(source, &planned.snapshot, workdir.path()).await?;
    schema::restore(target, &archive, "pre-data", 1).await?;
    clock.lap(PhaseName::Schema);

    let (tables, tokens) = copy_rows(&planned, options, target, out).await?;
    clock.lap(PhaseName::Data);

    out.step(
        "Creating indexes, constraints and triggers (post-data); meanwhile, gathering statistics \
         and searching staging for the source's e-mails, phones and card numbers",
    );
    let source_indexes = finish::index_counts(&mut planned.leader, source).await?;
    let (post_data_done, indexed) = watch::channel(false);
    let post_data = async {
        let restored = schema::restore(target, &archive, "post-data", options.jobs).await;
        post_data_done.send_replace(true);
        restored
    };
    let ((), (), scan) = tokio::try_join!(
        post_data,
        finish::analyze_as_indexed(target, source_indexes, indexed, options.jobs),
        leaks::token_scan(
            &planned.snapshot,
            source,
            target,
            &planned.catalog,
            &planned.tables,
            Some(tokens)
        )
    )?;
    clock.lap(PhaseName::PostData);

    let mut connection = pg::connect(target, "target database", "restage copy").await?;
    finish::finish(
        &mut planned.leader,
        source,
        &mut connection,
        target,
        options.jobs,
    )
    .await?;
    clock.lap(PhaseName::Finish);

    out.step("Verifying row counts, constraints, sequences and that no personal data leaked");
    let copied = tables
        .iter()
        .map(|table| verify::RowCount {
            table: table.table.clone(),
            expected: table.source_rows as i64,
            staging: table.rows as i64,
        })
        .collect();
    let databases = verify::Databases {
        source: &mut planned.leader,
        source_url: source,
        staging: &mut connection,
        staging_url: target,
    };
    let verification = verify::verify(
        databases,
        &planned.catalog,
        &planned.tables,
        Some(copied),
        &scan,
    )
    .await?;
    clock.lap(PhaseName::Verify);
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut planned.leader).await;
    if !verification.problems.is_empty() {
        return Err(Error::VerifyFailed {
            target: target.to_string(),
            problems: verification.problems,
        });
    }

    Ok(CopyResult {
        rows: tables.iter().map(|table| table.rows).sum(),
        bytes: tables.iter().map(|table| table.bytes).sum(),
        tables,
        phases: clock.into_phases(),
        verification,
        previous_kept: false,
        privileges: PrivilegeReport::default(),
    })
}

/// The data phase with its progress bars: every table's rows, per-table totals in plan order,
/// and the source tokens of the rows read.
async fn copy_rows(
    planned: &Planned,
    options: &CopyOptions,
    target: &SecretUrl,
    out: &Output,
) -> Result<(Vec<TableResult>, leaks::Collected), Error> {
    let bars: Vec<(String, u64, usize)> = planned
        .tables
        .iter()
        .filter(|plan| plan.copy.is_some())
        .map(|plan| {
            (
                plan.table.clone(),
                plan.estimated_rows.max(0) as u64,
                plan.pieces,
            )
        })
        .collect();
    out.step(format!(
        "Copying {} tables with {} jobs",
        planned.tables.len(),
        options.jobs
    ));
    let progress = Progress::new(&bars, out.quiet());
    let results = data::copy_all(planned, options, target, progress.clone()).await;
    progress.finish();
    let (pieces, tokens) = results?;
    Ok((data::summarize(&planned.tables, pieces), tokens))
}

/// Plans as a copy would (without a key: verification compares, it never computes a fake)
/// and verifies `options.staging` against the source in the plan's snapshot. Fails, listing
/// the problems, when anything is wrong.
pub async fn verify_staging(options: &CopyOptions) -> Result<verify::Verification, Error> {
    let options = CopyOptions {
        random_key: true,
        ..options.clone()
    };
    let mut planned = plan(&options).await?;
    let staging = &options.staging;
    let mut connection = pg::connect(staging, "staging database", "restage verify").await?;
    let scan = leaks::token_scan(
        &planned.snapshot,
        &options.source,
        staging,
        &planned.catalog,
        &planned.tables,
        None,
    )
    .await?;
    let databases = verify::Databases {
        source: &mut planned.leader,
        source_url: &options.source,
        staging: &mut connection,
        staging_url: staging,
    };
    let verification =
        verify::verify(databases, &planned.catalog, &planned.tables, None, &scan).await?;
    if !verification.problems.is_empty() {
        return Err(Error::VerifyFailed {
            target: staging.to_string(),
            problems: verification.problems,
        });
    }
    Ok(verification)
}
