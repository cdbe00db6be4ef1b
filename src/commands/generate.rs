//! `restage generate`: a production-like database to copy from.

use serde::Serialize;

use crate::cli::GenerateArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::generate::{self, Generated};
use crate::output::{Output, Report};
use crate::pg::database_error;
use crate::pipeline::swap;
use crate::safety;
use crate::secret::SecretUrl;
use crate::{catalog, pg};

/// What `generate` made.
#[derive(Debug, Serialize)]
pub struct GenerateReport {
    pub command: &'static str,
    pub database: String,
    pub scale: u64,
    #[serde(flatten)]
    pub generated: Generated,
}

impl Report for GenerateReport {
    fn human(&self) -> String {
        let mut text = format!(
            "{}: {} rows of production-like data at scale {} in {:.1}s",
            self.database, self.generated.rows, self.scale, self.generated.seconds
        );
        for (table, rows) in &self.generated.tables {
            text.push_str(&format!("\n  {table:<16} {rows:>10}"));
        }
        text
    }
}

/// Creates the database if needed and fills it.
pub async fn run(
    settings: &Settings,
    args: &GenerateArgs,
    out: &Output,
) -> Result<GenerateReport, Error> {
    let target = SecretUrl::new(args.target_url.clone());
    pg::parse_options(&target).map_err(|reason| Error::InvalidSetting {
        origin: "--target-url".into(),
        reason,
    })?;
    safety::ensure_writable_target(&target, &settings.production, None)?;
    let name = pg::database_name(&target).unwrap_or_default();
    let admin_url = pg::with_database(&target, &settings.maintenance_database);
    let mut admin = pg::connect(&admin_url, "target server", "restage generate").await?;
    if !swap::exists(&mut admin, &admin_url, &name).await? {
        sqlx::query(&format!(
            "CREATE DATABASE {} TEMPLATE template0",
            catalog::quote(&name)
        ))
        .execute(&mut admin)
        .await
        .map_err(database_error(
            &admin_url,
            &format!("creating database {name}"),
        ))?;
    }
    out.step(format!(
        "Generating production-like data at scale {} into {target}",
        args.scale
    ));
    let generated = generate::generate(&target, args.scale, args.seed).await?;
    Ok(GenerateReport {
        command: "generate",
        database: target.to_string(),
        scale: args.scale,
        generated,
    })
}
