//! Seeders: idempotent, deterministic staging fixtures upserted from `seeds/*.toml`.
//!
//! Five seeders run in dependency order — roles, accounts, products, inventory, movements —
//! all in one transaction with a savepoint each, so a failure anywhere writes nothing.
//! Each upserts on natural keys and changes only rows it made itself (see [`owned`]); a
//! second run with the same data and `--rng-seed` inserts and updates nothing.

pub mod accounts;
pub mod data;
pub mod fixtures;
pub mod inventory;
pub mod movements;
pub mod owned;
pub mod plan;
pub mod products;
pub mod roles;
pub mod tables;
pub mod words;

use std::time::Instant;

use serde::Serialize;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::history::{self, Record};
use crate::secret::SecretUrl;
use data::SeedData;
use owned::Counts;
use plan::PlannedItem;
use tables::{SeedWords, Tables};

use crate::mapping::Mapping;

/// The generator of every seeded value: ChaCha with 12 rounds, named here rather than taken
/// as `rand`'s `StdRng`, which its documentation says may change algorithm between
/// versions. (`StdRng` is ChaCha12 in rand 0.9, so naming it changed no seeded value.)
pub type SeedRng = rand_chacha::ChaCha12Rng;

/// The `--rng-seed` used when none is given.
pub const DEFAULT_RNG_SEED: u64 = 42;

/// The seeders, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Seeder {
    Roles,
    Accounts,
    Products,
    Inventory,
    Movements,
}

impl Seeder {
    /// Every seeder in dependency order.
    pub const ALL: [Seeder; 5] = [
        Seeder::Roles,
        Seeder::Accounts,
        Seeder::Products,
        Seeder::Inventory,
        Seeder::Movements,
    ];

    /// The built-in seeders the `[schema]` mapping has, in run order.
    pub fn of(mapping: &Mapping) -> Vec<Seeder> {
        Seeder::ALL
            .into_iter()
            .filter(|seeder| mapping.seeders.contains(&seeder.name()))
            .collect()
    }

    /// The name users type after `--only`.
    pub fn name(self) -> &'static str {
        match self {
            Seeder::Roles => "roles",
            Seeder::Accounts => "accounts",
            Seeder::Products => "products",
            Seeder::Inventory => "inventory",
            Seeder::Movements => "movements",
        }
    }
}

/// What a seeder needs to do its work.
pub struct SeedContext<'a> {
    pub data: &'a SeedData,
    pub plan: &'a [PlannedItem],
    /// The application's tables, as the `[schema]` mapping binds them.
    pub tables: &'a Tables,
}

/// Why a seeder stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{missing}")]
    Prerequisite { missing: String, run_first: Seeder },
    #[error(transparent)]
    Password(#[from] crate::password::HashError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Which seeders to run, with which randomness, and whether to keep the result.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// The built-in seeders to run; they run in dependency order whatever the order given.
    pub seeders: Vec<Seeder>,
    /// The fixture sets to run (by name), after the built-in seeders.
    pub fixture_sets: Vec<String>,
    pub rng_seed: u64,
    /// Roll everything back at the end, reporting what would have changed.
    pub dry_run: bool,
}

impl SeedOptions {
    /// All seeders `mapping` has and every fixture set of `data`, for real.
    pub fn all(mapping: &Mapping, data: &SeedData, rng_seed: u64) -> SeedOptions {
        SeedOptions {
            seeders: Seeder::of(mapping),
            fixture_sets: data.fixtures.iter().map(|set| set.name.clone()).collect(),
            rng_seed,
            dry_run: false,
        }
    }
}

impl SeedOptions {
    /// The seeders by name, built-in ones first, then the fixture sets.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.seeders.iter().map(|seeder| seeder.name()).collect();
        names.extend(self.fixture_sets.iter().map(String::as_str));
        names
    }

    /// The seeders called `names` (`--only`): built-in seeders `mapping` has, and fixture
    /// sets of `data`; an unknown name is refused with the known ones.
    pub fn only(
        names: &[String],
        mapping: &Mapping,
        data: &SeedData,
        rng_seed: u64,
        dry_run: bool,
    ) -> Result<SeedOptions, Error> {
        let mut options = SeedOptions {
            seeders: Vec::new(),
            fixture_sets: Vec::new(),
            rng_seed,
            dry_run,
        };
        for name in names {
            if let Some(seeder) = Seeder::of(mapping).into_iter().find(|s| s.name() == name) {
                options.seeders.push(seeder);
            } else if data.fixtures.iter().any(|set| &set.name == name) {
                options.fixture_sets.push(name.clone());
            } else {
                let known = SeedOptions::all(mapping, data, rng_seed);
                return Err(Error::UnknownSeeder {
                    name: name.clone(),
                    known: known.names().join(", "),
                });
            }
        }
        Ok(options)
    }
}

/// What one seeder (or fixture set) did.
#[derive(Debug, Clone, Serialize)]
pub struct SeederReport {
    /// A built-in seeder's name, or a fixture set's.
    pub seeder: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub seconds: f64,
}

/// What a seeding run did, seeder by seeder.
#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    /// Where the seed data came from.
    pub seeds: String,
    pub rng_seed: u64,
    pub dry_run: bool,
    pub seeders: Vec<SeederReport>,
}

impl SeedReport {
    /// The per-seeder table people read.
    pub fn table(&self) -> String {
        let width = self
            .seeders
            .iter()
            .map(|report| report.seeder.len())
            .max()
            .unwrap_or(0)
            .max(10);
        let mut text = format!(
            "{:<width$} {:>9} {:>8} {:>10} {:>8} {:>6}",
            "seeder", "inserted", "updated", "unchanged", "deleted", "kept"
        );
        for report in &self.seeders {
            let c = report.counts;
            text.push_str(&format!(
                "\n{:<width$} {:>9} {:>8} {:>10} {:>8} {:>6}",
                report.seeder, c.inserted, c.updated, c.unchanged, c.deleted, c.kept
            ));
        }
        text
    }

    /// Rows inserted and updated by all seeders together.
    pub fn changed(&self) -> u64 {
        self.seeders
            .iter()
            .map(|report| report.counts.inserted + report.counts.updated + report.counts.deleted)
            .sum()
    }
}

/// Runs the chosen seeders in one transaction (a savepoint each), after checking that the
/// tables `mapping` names fit; commits unless `dry_run`. Inside a caller's transaction the
/// seeds are a savepoint of it.
pub async fn run(
    connection: &mut PgConnection,
    url: &SecretUrl,
    data: &SeedData,
    mapping: &Mapping,
    options: &SeedOptions,
) -> Result<SeedReport, Error> {
    let database_error = |action: &str| {
        let action = action.to_owned();
        move |source| Error::Database {
            action,
            url: url.to_string(),
            source,
        }
    };
    let plan = plan::plan_inventory(data, options.rng_seed);
    let mut seeders = options.seeders.clone();
    seeders.sort_unstable();
    seeders.dedup();

    let mut transaction = connection
        .begin()
        .await
        .map_err(database_error("starting the seed transaction"))?;
    sqlx::raw_sql(owned::OWNERSHIP_DDL)
        .execute(&mut *transaction)
        .await
        .map_err(database_error("creating restage.seeded_rows"))?;
    let names: Vec<&str> = seeders.iter().map(|seeder| seeder.name()).collect();
    let catalog = Catalog::read(&mut transaction)
        .await
        .map_err(database_error("reading the staging catalog"))?;
    let words = seed_words(data, &seeders);
    let tables = Tables::bind(&mut transaction, &catalog, mapping, &names, &words, url).await?;
    let context = SeedContext {
        data,
        plan: &plan,
        tables: &tables,
    };
    let mut reports = Vec::new();
    for seeder in seeders {
        let start = Instant::now();
        let mut savepoint = transaction
            .begin()
            .await
            .map_err(database_error("starting a savepoint"))?;
        let counts = run_one(seeder, &mut savepoint, &context)
            .await
            .map_err(|error| seed_error(seeder, url, error))?;
        savepoint
            .commit()
            .await
            .map_err(database_error("releasing a savepoint"))?;
        reports.push(SeederReport {
            seeder: seeder.name().to_owned(),
            counts,
            seconds: crate::output::seconds_since(start),
        });
    }
    reports.extend(run_fixtures(&mut transaction, &catalog, url, data, options).await?);
    let report = SeedReport {
        seeds: data.origin.clone(),
        rng_seed: options.rng_seed,
        dry_run: options.dry_run,
        seeders: reports,
    };
    if options.dry_run {
        transaction
            .rollback()
            .await
            .map_err(database_error("rolling back the dry run"))?;
    } else {
        let record = Record {
            command: "seed",
            run_id: None,
            details: &report,
        };
        history::record(&mut transaction, url, &record).await?;
        transaction
            .commit()
            .await
            .map_err(database_error("committing the seeds"))?;
    }
    Ok(report)
}

/// The chosen fixture sets, together (their tables are ordered by foreign keys across
/// sets), in a savepoint; each set's line shows the time they took together.
async fn run_fixtures(
    connection: &mut PgConnection,
    catalog: &Catalog,
    url: &SecretUrl,
    data: &SeedData,
    options: &SeedOptions,
) -> Result<Vec<SeederReport>, Error> {
    let chosen: Vec<&fixtures::FixtureSet> = data
        .fixtures
        .iter()
        .filter(|set| options.fixture_sets.contains(&set.name))
        .collect();
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let start = Instant::now();
    let mut savepoint = connection
        .begin()
        .await
        .map_err(crate::pg::database_error(url, "starting a savepoint"))?;
    let counts = fixtures::run(
        &mut savepoint,
        catalog,
        url,
        &chosen,
        &data.fixtures,
        options.rng_seed,
    )
    .await?;
    savepoint
        .commit()
        .await
        .map_err(crate::pg::database_error(url, "releasing a savepoint"))?;
    let seconds = crate::output::seconds_since(start);
    Ok(counts
        .into_iter()
        .map(|(seeder, counts)| SeederReport {
            seeder,
            counts,
            seconds,
        })
        .collect())
}

/// The seed words `seeders` write into word columns (statuses, kinds, codes).
fn seed_words(data: &SeedData, seeders: &[Seeder]) -> Vec<SeedWords> {
    seeders
        .iter()
        .flat_map(|seeder| match seeder {
            Seeder::Products => products::words(data),
            Seeder::Inventory => inventory::words(data),
            Seeder::Roles | Seeder::Accounts | Seeder::Movements => Vec::new(),
        })
        .collect()
}

async fn run_one(
    seeder: Seeder,
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    match seeder {
        Seeder::Roles => roles::seed(connection, context).await,
        Seeder::Accounts => accounts::seed(connection, context).await,
        Seeder::Products => products::seed(connection, context).await,
        Seeder::Inventory => inventory::seed(connection, context).await,
        Seeder::Movements => movements::seed(connection, context).await,
    }
}

fn seed_error(seeder: Seeder, url: &SecretUrl, error: SeedError) -> Error {
    match error {
        SeedError::Prerequisite { missing, run_first } => Error::SeedPrerequisite {
            seeder: seeder.name(),
            missing,
            run_first: run_first.name(),
        },
        SeedError::Password(cause) => Error::SeedPassword {
            seeder: seeder.name(),
            cause,
        },
        SeedError::Database(source) => Error::Database {
            action: format!("seeder {}", seeder.name()),
            url: url.to_string(),
            source,
        },
    }
}
