//! restage keeps a staging PostgreSQL (and its Redis) a faithful, safe copy of production.
//!
//! # The house
//! A library under a thin command line. Imports run one way, from the top of this list
//! down; no module imports one above it (ARCHITECTURE.md walks one weekly refresh through
//! them and says where new pieces go).
//!
//! **The command line**
//! - `main.rs` parses, runs and maps errors to exit codes; [`run`] dispatches.
//! - [`commands`]: one file per command; each turns settings and arguments into library
//!   options, asks, takes the lock, runs the library and returns its report. Commands never
//!   import each other.
//! - [`cli`]: the clap definitions (doc comments are the `--help` text) and the conversion of
//!   flags into library options ([`config::Overrides`], [`rds::ApiOverrides`]).
//!
//! **The jobs**
//! - [`refresh`]: the weekly job: snapshot → restore → credentials → copy → seed → flush →
//!   clean up, each phase timed, the clean-up run whatever happened.
//! - [`pipeline`]: the anonymizing copy, owned end to end by [`pipeline::CopyJob`] (and
//!   [`pipeline::check`], the fail-closed check of a profile against the source;
//!   [`pipeline::init`] and [`pipeline::preview`], for writing a profile): plan →
//!   schema → data (with its COPY codecs) → finish → verify → swap, or the half-built
//!   database dropped.
//! - [`reset`]: the reset of staging: recreate the schemas, migrate, seed, flush Redis.
//! - [`seed`]: the idempotent seeders that `reset`, `seed` and `refresh` run.
//! - [`generate`]: production-like fake data for demos, tests and benchmarks.
//!
//! **What the jobs use**
//! - [`anonymize`]: transformers, their registry, compiled rules and anonymizer profiles.
//! - [`judgment`]: which columns hold personal data and of what kind (names read as words
//!   with the vocabulary, sampled content, token shapes), and the rule `init` suggests.
//! - [`catalog`]: the tables, columns, keys and sizes of a database.
//! - [`schema`]: the embedded migrations of the reference staging schema and schema reset.
//! - [`rds`]: AWS RDS: snapshots, the temporary restored instance, tags; retention and
//!   orphan clean-up in [`rds::retention`].
//! - [`hooks`]: `[hooks]`, the user's commands before and after the swap, after a run and
//!   on failure.
//! - [`privileges`]: the old staging database's owners, grants and settings carried to the
//!   new one before a swap, and `[staging] owner` and `grants`.
//! - [`redis`]: staging Redis maintenance (flush a database or the keys matching a pattern).
//! - [`safety`]: the production guard, the confirmation question and the advisory lock
//!   every writing command takes.
//!
//! **The ground floor**
//! - [`config`]: `restage.toml`, environment and overrides merged into validated
//!   [`config::Settings`].
//! - [`pg`]: PostgreSQL connections with timeouts and errors that name the (redacted) server.
//! - [`interrupt`]: Ctrl-C and SIGTERM, so that every run can clean up after itself.
//! - [`error`]: the errors users read, and the exit code of each.
//! - [`phase`]: the phases of a copy and of a refresh, and their timing.
//! - [`output`]: human progress on stderr, `--quiet`, and the `--json` summary on stdout.
//! - [`shell`]: the user's shell commands (migrations, hooks): environment, output into
//!   the log, timeout, nothing left running.
//! - [`secret`]: URLs that print redacted ([`secret::SecretUrl`]).
//! - [`clock`]: run ids, the time in UTC, the calendar, ages for people.
//! - [`luhn`]: the Luhn checksum of card numbers (seed data checks, `card` fakes).
//! - [`password`]: the staging password hash (accounts seeder, `password` transformer).
//! - [`toml_source`]: TOML files users edit, with errors that give line and section.
//! - [`logging`]: diagnostic logs (`-v`, `RUST_LOG`).

pub mod anonymize;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod error;
pub mod generate;
pub mod history;
pub mod hooks;
pub mod interrupt;
pub mod judgment;
pub mod logging;
pub mod luhn;
pub mod mapping;
pub mod notify;
pub mod output;
pub mod password;
pub mod pg;
pub mod phase;
pub mod pipeline;
pub mod privileges;
pub mod rds;
pub mod redis;
pub mod refresh;
pub mod reset;
pub mod safety;
pub mod schema;
pub mod secret;
pub mod seed;
pub mod shell;
pub mod toml_source;

use cli::{AnonymizersCommand, Cli, Command, RedisCommand};
use config::Settings;
use error::Error;
use output::Output;

/// Runs one parsed command line to completion on a fresh tokio runtime.
pub fn run(cli: Cli) -> Result<(), Error> {
    // Before anything runs: what other programs print is scrubbed of these.
    secret::remember_environment();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> Result<(), Error> {
    let settings = Settings::resolve(&cli.global.overrides())?;
    pg::use_session_settings(settings.session);
    let out = Output::new(cli.global.quiet, cli.global.json);
    match cli.command {
        Command::Migrate => out.finish(&commands::migrate::run(&settings, &out).await?),
        Command::Reset(args) => out.finish(&commands::reset::run(&settings, &args, &out).await?),
        Command::Seed(args) => out.finish(&commands::seed::run(&settings, &args, &out).await?),
        Command::Copy(args) => out.finish(&commands::copy::run(&settings, &args, &out).await?),
        Command::Check(args) => out.finish(&commands::check::run(&settings, &args).await?),
        Command::Init(args) => out.finish(&commands::init::run(&settings, &args).await?),
        Command::Preview(args) => out.finish(&commands::preview::run(&settings, &args).await?),
        Command::Report(args) => out.finish(&commands::report::run(&settings, &args).await?),
        Command::Generate(args) => {
            out.finish(&commands::generate::run(&settings, &args, &out).await?)
        }
        Command::Verify(args) => out.finish(&commands::verify::run(&settings, &args).await?),
        Command::Rollback(args) => {
            out.finish(&commands::rollback::run(&settings, &args, &out).await?)
        }
        Command::Status => out.finish(&commands::status::run(&settings).await?),
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
