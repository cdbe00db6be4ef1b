//! Schema DDL, the way `pg_restore` orders it: `pg_dump --schema-only` of the source (in the
//! copy's snapshot), then its pre-data section before the rows are loaded and its post-data
//! section (indexes, constraints, triggers) after. Owners and grants are left out, so staging
//! objects belong to the staging user, not to production's roles.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use crate::error::Error;
use crate::secret::SecretUrl;

/// The libpq connection string of a URL without its password, and the password apart
/// (handed over in `PGPASSWORD`, so it never shows in a process list).
fn split_password(url: &SecretUrl) -> (String, Option<String>) {
    match url::Url::parse(url.expose()) {
        Ok(mut parsed) => {
            let password = parsed.password().map(|password| {
                percent_encoding::percent_decode_str(password)
                    .decode_utf8_lossy()
                    .into_owned()
            });
            let _ = parsed.set_password(None);
            (parsed.to_string(), password)
        }
        Err(_) => (url.expose().to_owned(), None),
    }
}

/// Runs a PostgreSQL client program against `url`; stderr becomes the error.
async fn run_client(
    program: &str,
    url: &SecretUrl,
    args: &[String],
    what: &str,
) -> Result<(), Error> {
    let (connection, password) = split_password(url);
    let mut command = Command::new(program);
    command
        .args(args)
        .arg(format!("--dbname={connection}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().await.map_err(|source| Error::Tool {
        program: program.to_owned(),
        action: what.to_owned(),
        detail: format!(
            "{source}; install the PostgreSQL client programs (Debian: postgresql-client)"
        ),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(Error::Tool {
        program: program.to_owned(),
        action: what.to_owned(),
        detail: crate::secret::redact_text(stderr.trim(), url),
    })
}

/// Dumps the source schema as of `snapshot` into `dir`; returns the archive's path.
pub async fn dump(source: &SecretUrl, snapshot: &str, dir: &Path) -> Result<PathBuf, Error> {
    let archive = dir.join("schema.dump");
    let args = vec![
        "--schema-only".to_owned(),
        "--format=custom".to_owned(),
        format!("--snapshot={snapshot}"),
        "--exclude-schema=restage".to_owned(),
        "--no-owner".to_owned(),
        "--no-acl".to_owned(),
        format!("--file={}", archive.display()),
    ];
    run_client("pg_dump", source, &args, "dumping the source schema").await?;
    Ok(archive)
}

/// Restores one section (`pre-data` or `post-data`) of a schema archive into `target`.
pub async fn restore(
    target: &SecretUrl,
    archive: &Path,
    section: &str,
    jobs: usize,
) -> Result<(), Error> {
    let mut args = vec![
        format!("--section={section}"),
        "--no-owner".to_owned(),
        "--no-acl".to_owned(),
        "--exit-on-error".to_owned(),
    ];
    if jobs > 1 {
        args.push(format!("--jobs={jobs}"));
    }
    args.push(archive.display().to_string());
    run_client(
        "pg_restore",
        target,
        &args,
        &format!("restoring the {section} schema"),
    )
    .await
}
