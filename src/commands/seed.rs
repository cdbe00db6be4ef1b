//! `restage seed`: upsert the staging fixtures, all seeders or `--only` some.

use serde::Serialize;

use crate::cli::SeedArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::seed::data::SeedData;
use crate::seed::{self, SeedOptions, SeedReport};
use crate::{pg, safety};

/// What `seed` did (or, with `--dry-run`, would do).
#[derive(Debug, Serialize)]
pub struct SeedCommandReport {
    pub command: &'static str,
    pub database: String,
    #[serde(flatten)]
    pub seed: SeedReport,
}

impl Report for SeedCommandReport {
    fn human(&self) -> String {
        let verdict = match (self.seed.dry_run, self.seed.changed()) {
            (true, _) => "dry run: nothing was written",
            (false, 0) => "already up to date",
            (false, _) => "seeded",
        };
        format!(
            "{} ({verdict}; seeds from {}, --rng-seed {})\n{}",
            self.database,
            self.seed.seeds,
            self.seed.rng_seed,
            self.seed.table()
        )
    }
}

/// Validates the seed data, then runs the chosen seeders under the staging lock.
pub async fn run(
    settings: &Settings,
    args: &SeedArgs,
    out: &Output,
) -> Result<SeedCommandReport, Error> {
    let url = settings.staging_url()?;
    safety::ensure_writable_target(url, &settings.production, None)?;
    let data = SeedData::load(args.data.seeds.as_deref(), &settings.mapping)?;
    let (rng_seed, dry_run) = (args.data.rng_seed, args.dry_run);
    let options = if args.only.is_empty() {
        SeedOptions {
            dry_run,
            ..SeedOptions::all(&settings.mapping, &data, rng_seed)
        }
    } else {
        SeedOptions::only(&args.only, &settings.mapping, &data, rng_seed, dry_run)?
    };
    let lock = safety::StagingLock::acquire_configured(settings, url, "seed").await?;
    let mut connection = pg::connect(url, "staging database", "restage seed").await?;
    out.step(format!("Seeding {url}: {}", options.names().join(", ")));
    let seed = seed::run(&mut connection, url, &data, &settings.mapping, &options).await?;
    lock.release().await;
    Ok(SeedCommandReport {
        command: "seed",
        database: url.to_string(),
        seed,
    })
}
