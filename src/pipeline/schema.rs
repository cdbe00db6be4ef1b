//! Schema DDL, the way `pg_restore` orders it: `pg_dump --schema-only` of the source (in the
//! copy's snapshot), then its pre-data section before the rows are loaded and its post-data
//! section (indexes, constraints, triggers) after. Owners and grants are left out, so staging
//! objects belong to the staging user, not to production's roles.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::error::Error;
use crate::secret::SecretUrl;
use crate::shell;

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
    let mut command = shell::child_command(program);
    command
        .args(args)
        .arg(format!("--dbname={connection}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let not_run = |source: std::io::Error| Error::Tool {
        program: program.to_owned(),
        action: what.to_owned(),
        detail: format!(
            "{source}; install the PostgreSQL client programs (Debian: postgresql-client)"
        ),
    };
    let child = command.spawn().map_err(not_run)?;
    // Dropped (a signal stopped the run): the program and its parallel workers go with it.
    let mut group = shell::GroupGuard::of(&child);
    let output = child.wait_with_output().await.map_err(not_run)?;
    group.disarm();
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut detail = crate::secret::scrub(stderr.trim());
    // 127: the shell's (and setpriv's) "command not found".
    if output.status.code() == Some(127) {
        detail.push_str("; install the PostgreSQL client programs (Debian: postgresql-client)");
    }
    Err(Error::Tool {
        program: program.to_owned(),
        action: what.to_owned(),
        detail,
    })
}

/// What the names of restage's private working directories start with; the process id
/// follows, so that a later run can tell a directory a killed run left behind.
const WORK_DIR_PREFIX: &str = "restage-";

/// A private working directory for the schema dump (mode 0700, removed when dropped), in
/// `$TMPDIR`. Directories that runs killed before they could remove theirs are removed first.
pub fn private_work_dir() -> Result<tempfile::TempDir, Error> {
    remove_left_behind(&std::env::temp_dir());
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(&format!("{WORK_DIR_PREFIX}{}-", std::process::id()))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|source| Error::Io {
            action: "creating a private temporary directory for the schema dump (is TMPDIR \
                     writable, with room?)"
                .into(),
            source,
        })
}

/// Removes the working directories in `temp` of restage processes that no longer run.
fn remove_left_behind(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(WORK_DIR_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = rustix::process::Pid::from_raw(pid)
            .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok());
        if !alive && entry.path().is_dir() {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => {
                    tracing::info!(path = %entry.path().display(), "removed what a killed run left")
                }
                Err(error) => {
                    tracing::debug!(%error, path = %entry.path().display(), "not removed")
                }
            }
        }
    }
}

/// Dumps the source schema as of `snapshot` into `dir`; returns the archive's path.
pub async fn dump(source: &SecretUrl, snapshot: &str, dir: &Path) -> Result<PathBuf, Error> {
    let archive = dir.join("schema.dump");
    // Created here, readable by restage's user alone; pg_dump writes into it and keeps its
    // mode.
    private_file(&archive).map_err(|source| Error::Io {
        action: format!("creating {}", archive.display()),
        source,
    })?;
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

fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
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
