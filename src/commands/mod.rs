//! One file per command: each checks safety, does its work and returns a report.

pub mod anonymizers;
pub mod check;
pub mod cleanup;
pub mod copy;
pub mod generate;
pub mod migrate;
pub mod redis_flush;
pub mod refresh;
pub mod reset;
pub mod rollback;
pub mod seed;
pub mod snapshot;
pub mod verify;

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::Confirmation;
use crate::error::Error;

/// Asks before a destructive action: `--yes` skips the question; without a terminal on
/// stdin (a scheduler, CI, a pipe) nobody can answer, so the action is refused.
pub fn confirm(confirmation: &Confirmation, action: &str, consequences: &str) -> Result<(), Error> {
    if confirmation.yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NotConfirmed {
            action: action.to_owned(),
        });
    }
    let mut stderr = std::io::stderr();
    let prompt = format!("{consequences}\nContinue with {action}? [y/N] ");
    let io_error = |source| Error::Io {
        action: "asking for confirmation".into(),
        source,
    };
    stderr
        .write_all(prompt.as_bytes())
        .and_then(|()| stderr.flush())
        .map_err(io_error)?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(io_error)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Error::Declined {
            action: action.to_owned(),
        }),
    }
}

/// Flushes the staging Redis (`reset`, `refresh`): the keys removed, or `None` (with a
/// note) when no staging Redis is configured.
pub async fn flush_staging_redis(
    settings: &crate::config::Settings,
    out: &crate::output::Output,
) -> Result<Option<u64>, Error> {
    let Some(redis_url) = &settings.redis_url else {
        out.step("No staging Redis configured; skipping the Redis flush");
        return Ok(None);
    };
    out.step(format!("Flushing Redis {redis_url}"));
    Ok(Some(crate::redis::flush_database(redis_url).await?))
}
