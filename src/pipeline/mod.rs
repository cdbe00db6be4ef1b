//! The anonymizing copy: plan → pre-data schema → data (parallel, one snapshot) → post-data
//! → sequences → materialized views → ANALYZE → verify → swap.

pub mod copy_binary;
pub mod copy_text;
pub mod data;
pub mod finish;
pub mod plan;
pub mod progress;
pub mod schema;
pub mod swap;
pub mod verify;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use sqlx::postgres::PgConnection;
use tokio::task::JoinSet;

use crate::anonymize::Keyer;
use crate::anonymize::profile::{CompiledProfile, Profile};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::output::Output;
use crate::pg;
use crate::pg::database_error;
use crate::phase::{Phase, PhaseClock, PhaseName};
use crate::secret::SecretUrl;
use crate::seed::data::SeedData;
use data::{Piece, PieceResult};
use plan::TablePlan;
use progress::Progress;
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
    pub quiet: bool,
}

/// Rows and bytes copied into one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableResult {
    pub table: String,
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
}

/// A plan ready to run: the leader holds the snapshot every worker reads.
pub struct Planned {
    pub tables: Vec<TablePlan>,
    pub profile_path: String,
    leader: PgConnection,
    snapshot: String,
    keyer: Keyer,
    catalog: Catalog,
    planning_seconds: f64,
}

/// Opens the source snapshot, reads the catalog, checks the profile against it (unknown
/// tables, columns, transformers, options; row filters that do not parse), refuses uncovered
/// personal data, and plans every table. Writes nothing.
pub async fn plan(options: &CopyOptions) -> Result<Planned, Error> {
    let start = Instant::now();
    let profile = Profile::load(&options.profile)?;
    let keyer = keyer(&profile, options.random_key)?;
    let source = &options.source;
    let mut leader = pg::connect(source, "source database", "restage copy").await?;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut leader)
        .await
        .map_err(database_error(source, "starting the snapshot"))?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut leader)
        .await
        .map_err(database_error(source, "exporting the snapshot"))?;
    let catalog = Catalog::read(&mut leader)
        .await
        .map_err(database_error(source, "reading the catalog"))?;
    let mut compiled = compile_profile(&profile, &catalog, &mut leader, source).await?;
    exclude(&mut compiled, &catalog, &options.exclude_tables)?;
    let findings = crate::pii::uncovered(&mut leader, &catalog, &compiled)
        .await
        .map_err(database_error(source, "sampling columns for personal data"))?;
    if !findings.is_empty() {
        return Err(Error::UncoveredPii {
            profile: profile.path.clone(),
            findings: findings.iter().map(ToString::to_string).collect(),
        });
    }
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
        catalog,
        planning_seconds: start.elapsed().as_secs_f64(),
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

/// The key from the profile's environment variable, or a random one with `--random`.
fn keyer(profile: &Profile, random: bool) -> Result<Keyer, Error> {
    match std::env::var(profile.key_env())
        .ok()
        .filter(|key| !key.is_empty())
    {
        Some(secret) => Ok(Keyer::from_secret(&secret)),
        None if random => Ok(Keyer::random()),
        None => Err(Error::MissingKey {
            env: profile.key_env().to_owned(),
            profile: profile.path.clone(),
        }),
    }
}

/// Compiles the profile and checks each `where` against the source.
pub async fn compile_profile(
    profile: &Profile,
    catalog: &Catalog,
    connection: &mut PgConnection,
    source: &SecretUrl,
) -> Result<CompiledProfile, Error> {
    let test_cards: Vec<String> = SeedData::load(None)?
        .payment_cards
        .into_iter()
        .map(|card| card.number)
        .collect();
    let compiled = profile.compile(catalog, &test_cards)?;
    let mut problems = Vec::new();
    for (name, rules) in &compiled.tables {
        let (Some(filter), Some(table)) = (&rules.filter, catalog.tables.get(name)) else {
            continue;
        };
        // Separate statements: a filter that does not parse would fail the whole string.
        sqlx::raw_sql("SAVEPOINT restage_filter")
            .execute(&mut *connection)
            .await
            .map_err(database_error(source, "checking row filters"))?;
        let check = format!("EXPLAIN SELECT 1 FROM {} WHERE {filter}", table.quoted());
        let outcome = sqlx::raw_sql(&check).execute(&mut *connection).await;
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT restage_filter")
            .execute(&mut *connection)
            .await
            .map_err(database_error(source, "checking row filters"))?;
        if let Err(error) = outcome {
            let reason = error
                .as_database_error()
                .map_or_else(|| error.to_string(), |e| e.message().to_owned());
            problems.push(format!(
                "tables.{name}.where: `{filter}` does not run on the source: {reason}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(Error::Profile {
            path: profile.path.clone(),
            problems,
        })
    }
}

/// Runs a plan into `target` (an empty database): schema, data, post-data, sequences,
/// materialized views, ANALYZE.
pub async fn load(
    mut planned: Planned,
    options: &CopyOptions,
    target: &SecretUrl,
    out: &Output,
) -> Result<CopyResult, Error> {
    let source = &options.source;
    let mut clock = PhaseClock::start();
    clock.record(PhaseName::Plan, planned.planning_seconds);

    out.step("Creating the schema (pre-data)");
    let workdir = tempfile::tempdir().map_err(|source| Error::Io {
        action: "creating a temporary directory".into(),
        source,
    })?;
    let archive = schema::dump(source, &planned.snapshot, workdir.path()).await?;
    schema::restore(target, &archive, "pre-data", 1).await?;
    clock.lap(PhaseName::Schema);

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
    let progress = Progress::new(&bars, options.quiet);
    let results = copy_data(&planned, options, target, progress.clone()).await;
    progress.finish();
    let tables = summarize(&planned.tables, results?);
    let written: BTreeMap<String, u64> = tables
        .iter()
        .map(|table| (table.table.clone(), table.rows))
        .collect();
    clock.lap(PhaseName::Data);

    out.step("Creating indexes, constraints and triggers (post-data)");
    schema::restore(target, &archive, "post-data", options.jobs).await?;
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
    let verification = verify::verify(
        &mut planned.leader,
        source,
        &mut connection,
        target,
        &planned.catalog,
        &planned.tables,
        Some(&written),
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
    })
}

/// Starts the workers on the pieces of every table, largest first.
async fn copy_data(
    planned: &Planned,
    options: &CopyOptions,
    target: &SecretUrl,
    progress: Progress,
) -> Result<Vec<PieceResult>, Error> {
    let pieces: VecDeque<Piece> = planned
        .tables
        .iter()
        .filter_map(|plan| plan.copy.clone())
        .flat_map(|table| {
            (0..table.ranges.len()).map(move |index| Piece {
                table: table.clone(),
                index,
            })
        })
        .collect();
    let workers = options.jobs.min(pieces.len()).max(1);
    let queue = Arc::new(Mutex::new(pieces));
    let keyer = Arc::new(planned.keyer.clone());
    let mut set = JoinSet::new();
    for _ in 0..workers {
        let source = snapshot_connection(&options.source, &planned.snapshot).await?;
        let mut writer = pg::connect(target, "target database", "restage copy").await?;
        sqlx::raw_sql("SET synchronous_commit = off")
            .execute(&mut writer)
            .await
            .map_err(database_error(target, "preparing a writer"))?;
        set.spawn(data::worker(
            source,
            writer,
            queue.clone(),
            keyer.clone(),
            progress.clone(),
        ));
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(mut pieces)) => results.append(&mut pieces),
            Ok(Err(error)) => {
                set.abort_all();
                return Err(Error::Copy(error));
            }
            Err(source) => {
                set.abort_all();
                return Err(Error::Worker {
                    what: "a copy worker",
                    source,
                });
            }
        }
    }
    Ok(results)
}

/// A source connection reading the leader's snapshot.
async fn snapshot_connection(source: &SecretUrl, snapshot: &str) -> Result<PgConnection, Error> {
    let mut connection = pg::connect(source, "source database", "restage copy").await?;
    let begin = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'"
    );
    sqlx::raw_sql(&begin)
        .execute(&mut connection)
        .await
        .map_err(database_error(source, "joining the snapshot"))?;
    Ok(connection)
}

/// Per-table totals of the pieces, in plan order.
fn summarize(tables: &[TablePlan], results: Vec<PieceResult>) -> Vec<TableResult> {
    let mut totals: BTreeMap<String, TableResult> = BTreeMap::new();
    for result in results {
        let entry = totals
            .entry(result.table.clone())
            .or_insert_with(|| TableResult {
                table: result.table.clone(),
                rows: 0,
                bytes: 0,
                seconds: 0.0,
            });
        entry.rows += result.rows;
        entry.bytes += result.bytes;
        entry.seconds += result.seconds;
    }
    tables
        .iter()
        .map(|plan| {
            totals.remove(&plan.table).unwrap_or(TableResult {
                table: plan.table.clone(),
                rows: 0,
                bytes: 0,
                seconds: 0.0,
            })
        })
        .collect()
}

/// The names of the swap beside the staging database of `staging`.
pub fn swap_names(staging: &SecretUrl) -> Result<SwapNames, Error> {
    SwapNames::new(&pg::database_name(staging).unwrap_or_default())
}

impl Planned {
    /// Verifies `staging` against this plan, reading the source in the plan's snapshot.
    pub async fn verify(
        mut self,
        source: &SecretUrl,
        staging: &SecretUrl,
    ) -> Result<verify::Verification, Error> {
        let mut connection = pg::connect(staging, "staging database", "restage verify").await?;
        verify::verify(
            &mut self.leader,
            source,
            &mut connection,
            staging,
            &self.catalog,
            &self.tables,
            None,
        )
        .await
    }
}
