//! restage keeps a staging PostgreSQL (and its Redis) a faithful, safe copy of production.
//!
//! # Layout
//! - [`cli`]: the command line (clap derive); doc comments are the `--help` text.
//! - [`config`]: `restage.toml`, environment and flags merged into validated [`config::Settings`].
//! - [`commands`]: one file per command; each turns settings and arguments into a report.
//! - [`schema`]: the embedded migrations of the reference staging schema and schema reset.
//! - [`seed`]: the seeders that `reset` and `seed` run.
//! - [`anonymize`]: transformers, their registry and anonymizer profiles.
//! - [`catalog`]: the tables, columns, keys and sizes of a database.
//! - [`pg`]: PostgreSQL connections with timeouts and errors that name the (redacted) server.
//! - [`rds`]: AWS RDS: snapshots, the temporary restored instance, tags, orphan clean-up.
//! - [`interrupt`]: Ctrl-C and SIGTERM, so that every run can clean up after itself.
//! - [`redis`]: staging Redis maintenance (flush a database or the keys matching a pattern).
//! - [`secret`]: URLs that print redacted ([`secret::SecretUrl`]).
//! - [`safety`]: the production guard and the advisory lock every writing command takes.
//! - [`output`]: human progress on stderr, `--quiet`, and the `--json` summary on stdout.
//! - [`refresh`]: the weekly job: snapshot, restore, copy, seed, flush, clean up.
//! - [`pipeline`]: the anonymizing copy (plan, schema, parallel data with its COPY codecs,
//!   finish, verify, swap).
//! - [`pii`]: fail-closed detection of personal data without a rule.
//! - [`generate`]: production-like fake data for demos, tests and benchmarks.
//! - [`luhn`]: the Luhn checksum of card numbers (seed data checks, `card` fakes).
//! - [`password`]: the staging password hash (accounts seeder, `password` transformer).
//! - [`phase`]: the phases of a copy and of a refresh, and their timing.
//! - [`error`]: the errors users read, and the exit code of each.
//! - [`toml_source`]: TOML files users edit, with errors that give line and section.

pub mod anonymize;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod generate;
pub mod interrupt;
pub mod logging;
pub mod luhn;
pub mod output;
pub mod password;
pub mod pg;
pub mod phase;
pub mod pii;
pub mod pipeline;
pub mod rds;
pub mod redis;
pub mod refresh;
pub mod safety;
pub mod schema;
pub mod secret;
pub mod seed;
pub mod toml_source;

use cli::{AnonymizersCommand, Cli, Command, RedisCommand};
use config::Settings;
use error::Error;
use output::Output;

/// Runs one parsed command line to completion on a fresh tokio runtime.
pub fn run(cli: Cli) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> Result<(), Error> {
    let settings = Settings::resolve(&cli.global.overrides())?;
    let out = Output::new(cli.global.quiet, cli.global.json);
    match cli.command {
        Command::Migrate => out.finish(&commands::migrate::run(&settings, &out).await?),
        Command::Reset(args) => out.finish(&commands::reset::run(&settings, &args, &out).await?),
        Command::Seed(args) => out.finish(&commands::seed::run(&settings, &args, &out).await?),
        Command::Copy(args) => out.finish(&commands::copy::run(&settings, &args, &out).await?),
        Command::Check(args) => out.finish(&commands::check::run(&settings, &args).await?),
        Command::Generate(args) => {
            out.finish(&commands::generate::run(&settings, &args, &out).await?)
        }
        Command::Verify(args) => out.finish(&commands::verify::run(&settings, &args).await?),
        Command::Rollback(args) => {
            out.finish(&commands::rollback::run(&settings, &args, &out).await?)
        }
        Command::Refresh(args) => {
            out.finish(&commands::refresh::run(&settings, &args, &out).await?)
        }
        Command::Snapshot(command) => {
            out.finish(&commands::snapshot::run(&settings, &command, &out).await?)
        }
        Command::Cleanup(args) => {
            out.finish(&commands::cleanup::run(&settings, &args, &out).await?)
        }
        Command::Anonymizers(AnonymizersCommand::List) => {
            out.finish(&commands::anonymizers::list())
        }
        Command::Redis(RedisCommand::Flush(args)) => {
            out.finish(&commands::redis_flush::run(&settings, &args, &out).await?)
        }
    }
    Ok(())
}
