//! `restage redis flush`: empty the staging Redis database, or only a pattern's keys.

use serde::Serialize;

use crate::cli::FlushArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::{Output, Report};
use crate::{redis, safety};

/// What `redis flush` did.
#[derive(Debug, Serialize)]
pub struct FlushReport {
    pub command: &'static str,
    pub redis: String,
    pub pattern: Option<String>,
    pub removed: u64,
}

impl Report for FlushReport {
    fn human(&self) -> String {
        match &self.pattern {
            Some(pattern) => format!(
                "removed {} key(s) matching '{pattern}' from {}",
                self.removed, self.redis
            ),
            None => format!("flushed {}: removed {} key(s)", self.redis, self.removed),
        }
    }
}

/// Flushes after the production guard and the confirmation.
pub async fn run(
    settings: &Settings,
    args: &FlushArgs,
    out: &Output,
) -> Result<FlushReport, Error> {
    let url = settings.redis_url()?;
    safety::ensure_writable_redis(url, &settings.production)?;
    let what = match &args.pattern {
        Some(pattern) => format!("This will delete every key matching '{pattern}' in Redis {url}."),
        None => format!("This will delete every key in Redis {url}."),
    };
    safety::confirm(args.confirmation.yes, "redis flush", &what)?;
    redis::ensure_not_production(url, &settings.production).await?;
    let removed = match &args.pattern {
        Some(pattern) => {
            out.step(format!("Removing keys matching '{pattern}' from {url}"));
            redis::unlink_matching(url, pattern).await?
        }
        None => {
            out.step(format!("Flushing {url}"));
            redis::flush_database(url).await?
        }
    };
    Ok(FlushReport {
        command: "redis flush",
        redis: url.to_string(),
        pattern: args.pattern.clone(),
        removed,
    })
}
