//! Kills and signals at each phase of copy, reset and refresh: staging's name always points
//! at a complete database (old or new, never missing), the report says exactly which, with
//! exit code 128 + the signal, and nothing is left running.
//!
//! Each phase is held open as a test can: a lock the phase needs, held by the test's own
//! session (the schema dump, the swap), a hook that waits for the test's word, or a Redis
//! that never answers (the flush).

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    KEY, PgSession, TestDb, parts_copy, parts_copy_setup, pg_admin_url, production, repo_file,
    restage, staging, url_with_database, work_dir,
};

const LIMIT: Duration = Duration::from_secs(90);

/// How a test stops restage.
#[derive(Clone, Copy, Debug)]
enum Stop {
    Kill,
    Term,
}

/// What a stopped run printed and how it ended.
struct Stopped {
    code: Option<i32>,
    stderr: String,
}

fn spawn(command: &mut Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start restage")
}

fn stop(mut child: Child, how: Stop) -> Stopped {
    let signal = match how {
        Stop::Kill => "-KILL",
        Stop::Term => "-TERM",
    };
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let status = child.wait().expect("wait for restage");
    Stopped {
        code: status.code(),
        stderr,
    }
}

impl Stopped {
    /// SIGTERM: exit 143 and a report that says `staging`.
    fn assert_reported(&self, staging: &str) {
        assert_eq!(self.code, Some(143), "{}", self.stderr);
        let expected = format!("interrupted by SIGTERM: {staging}");
        assert!(
            self.stderr.contains(&expected),
            "lacks {expected:?}:\n{}",
            self.stderr
        );
    }

    /// SIGKILL: no exit code, nothing printed after it.
    fn assert_killed(&self) {
        assert_eq!(self.code, None, "{}", self.stderr);
    }
}

/// Waits until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < LIMIT, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether a session of `application` waits for a lock in a statement that names `database`
/// (other tests' copies wait on the same lock for databases of their own).
fn waiting_on_a_lock(admin: &mut PgSession, application: &str, database: &str) -> bool {
    admin.scalar(&format!(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name LIKE '{application}' AND wait_event_type = 'Lock' \
           AND query LIKE '%{database}%'"
    )) != "0"
}

/// Sessions of `application` connected to database `database`.
fn sessions(admin: &mut PgSession, application: &str, database: &str) -> String {
    admin.scalar(&format!(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name LIKE '{application}' AND datname = '{database}'"
    ))
}

/// A hook line that says it was reached (`<name>.reached`) and waits for `go`.
fn held(hook: &str, name: &str) -> String {
    format!("{hook} = 'touch {name}.reached; while [ ! -e go ]; do sleep 0.1; done'\n")
}

fn reached(dir: &Path, name: &str) -> bool {
    dir.join(format!("{name}.reached")).exists()
}

/// Staging holds `table` with `rows` rows: yesterday's copy, or the new one.
fn assert_staging_holds(staging: &mut TestDb, table: &str, rows: &str) {
    staging.reconnect();
    assert_eq!(
        staging.scalar(&format!("SELECT count(*) FROM {table}")),
        rows
    );
}

/// A `pg_dump` first on the PATH that hangs (as one waiting for a lock does), saying its
/// process id in `dump.pid`.
fn hanging_pg_dump(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin directory");
    let script = bin.join("pg_dump");
    std::fs::write(
        &script,
        "#!/bin/sh\necho $$ > \"$(dirname \"$0\")/../dump.pid\"\nexec sleep 600\n",
    )
    .expect("write the hanging pg_dump");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make it executable");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn a_copy_stopped_while_dumping_the_schema_leaves_staging_and_no_child_running() {
    for how in [Stop::Kill, Stop::Term] {
        let dir = work_dir();
        let source = parts_copy_setup(&dir, 20, "");
        let mut staging = staging();
        staging.disconnect();
        let path = hanging_pg_dump(dir.path());
        let child = spawn(parts_copy(&dir, &source, &staging.url()).env("PATH", &path));
        let pid = child.id();
        let dump_pid = dir.path().join("dump.pid");
        wait_until("pg_dump to start", || {
            std::fs::read_to_string(&dump_pid).is_ok_and(|pid| pid.ends_with('\n'))
        });
        let dump = std::fs::read_to_string(&dump_pid).expect("dump.pid");
        assert_private_work_dir_of(pid);
        let stopped = stop(child, how);
        match how {
            Stop::Term => stopped
                .assert_reported("the half-built database was removed and staging is as it was"),
            Stop::Kill => stopped.assert_killed(),
        }
        // The dump went with restage, whichever way it stopped (its process group, its
        // parent-death signal).
        let dump = Path::new("/proc").join(dump.trim());
        wait_until("pg_dump to end", || !dump.exists());
        assert_staging_holds(&mut staging, "yesterday", "1");
        let next = format!("{}_restage_next", staging.name);
        if let Stop::Term = how {
            assert!(!staging.database_exists(&next), "{how:?} left {next}");
        }
        // The next copy clears what a kill left (the half-built database, the dump's
        // directory) and succeeds.
        staging.disconnect();
        let copied = crate::support::run(&mut parts_copy(&dir, &source, &staging.url()));
        copied.assert_code(0);
        assert_staging_holds(&mut staging, "parts", "20");
        assert!(!staging.database_exists(&next));
        assert_no_work_dir_of(pid);
    }
}

/// The running run `pid` keeps its schema dump in a directory only its user may enter, in a
/// file only its user may read.
fn assert_private_work_dir_of(pid: u32) {
    use std::os::unix::fs::PermissionsExt;
    let prefix = format!("restage-{pid}-");
    let work = std::fs::read_dir(std::env::temp_dir())
        .expect("read the temporary directory")
        .flatten()
        .find(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .expect("the run's working directory")
        .path();
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&work), 0o700, "{}", work.display());
    assert_eq!(mode(&work.join("schema.dump")), 0o600);
}

/// The private directory of the stopped run `pid` (`$TMPDIR/restage-<pid>-…`) is gone: the
/// run removed it, or the next run did.
fn assert_no_work_dir_of(pid: u32) {
    let prefix = format!("restage-{pid}-");
    let temp = std::env::temp_dir();
    for entry in std::fs::read_dir(&temp)
        .expect("read the temporary directory")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(&prefix),
            "{} of the stopped run is left",
            entry.path().display()
        );
    }
}

/// A copy of 20 parts into a staging holding yesterday's table, running and held in its
/// `before_swap` hook (until `go` appears in its directory).
fn copy_held_before_swap() -> (tempfile::TempDir, TestDb, TestDb, Child) {
    let dir = work_dir();
    let hooks = format!("[hooks]\n{}", held("before_swap", "before"));
    let source = parts_copy_setup(&dir, 20, &hooks);
    let mut staging = staging();
    staging.disconnect();
    let child = spawn(&mut parts_copy(&dir, &source, &staging.url()));
    wait_until("before_swap", || reached(dir.path(), "before"));
    (dir, source, staging, child)
}

#[test]
fn a_copy_stopped_before_the_swap_leaves_staging_as_it_was() {
    for how in [Stop::Kill, Stop::Term] {
        let (_dir, _source, mut staging, child) = copy_held_before_swap();
        let stopped = stop(child, how);
        match how {
            Stop::Term => stopped
                .assert_reported("the half-built database was removed and staging is as it was"),
            Stop::Kill => stopped.assert_killed(),
        }
        assert_staging_holds(&mut staging, "yesterday", "1");
    }
}

#[test]
fn a_copy_stopped_during_the_swap_leaves_staging_old_or_new_never_missing() {
    for how in [Stop::Kill, Stop::Term] {
        let (dir, _source, mut staging, child) = copy_held_before_swap();
        // Renaming and dropping databases needs this lock: the swap waits for the test.
        let mut blocker = PgSession::connect(&pg_admin_url());
        blocker.execute("BEGIN; LOCK TABLE pg_catalog.pg_database IN SHARE MODE");
        std::fs::write(dir.path().join("go"), "").expect("let the hook go");
        let mut admin = PgSession::connect(&pg_admin_url());
        wait_until("the swap to wait for the lock", || {
            waiting_on_a_lock(&mut admin, "restage copy%", &staging.name)
        });
        let stopped = match how {
            Stop::Kill => {
                let stopped = stop(child, how);
                blocker.execute("ROLLBACK");
                stopped
            }
            Stop::Term => {
                // The swap cannot be cut in half: it finishes, and the run stops right after.
                let term = std::thread::spawn(move || stop(child, how));
                std::thread::sleep(Duration::from_millis(500));
                blocker.execute("ROLLBACK");
                term.join().expect("the stopped run")
            }
        };
        match how {
            Stop::Kill => {
                stopped.assert_killed();
                assert_staging_holds(&mut staging, "yesterday", "1");
            }
            Stop::Term => {
                stopped.assert_reported(&format!(
                    "staging is the new copy; the previous one is kept as {}_restage_prev",
                    staging.name
                ));
                assert_staging_holds(&mut staging, "parts", "20");
            }
        }
    }
}

/// A staging holding yesterday's table, and in `dir` a `restage.toml` for it whose Redis
/// accepts connections and never answers (a flush waits on it).
struct Bed {
    dir: tempfile::TempDir,
    staging: TestDb,
    redis: TcpListener,
}

impl Bed {
    fn new(hooks: &str) -> Bed {
        let mut staging = staging();
        staging.disconnect();
        let bed = Bed {
            dir: work_dir(),
            staging,
            redis: TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"),
        };
        bed.configure(hooks);
        bed
    }

    /// `restage.toml`: staging, the silent Redis, the default profile and `hooks`.
    fn configure(&self, hooks: &str) {
        let redis = self.redis.local_addr().expect("address");
        std::fs::write(
            self.dir.path().join("restage.toml"),
            format!(
                "[staging]\ndatabase_url = \"{}\"\nredis_url = \"redis://{redis}/0\"\n\
                 [refresh]\nanonymizers = \"{}\"\njobs = 2\n[hooks]\n{hooks}",
                self.staging.url(),
                repo_file("anonymizers/default.toml").display()
            ),
        )
        .expect("write restage.toml");
    }
}

fn refresh(dir: &Path, source: &TestDb) -> Command {
    let mut command = restage(dir);
    command
        .args(["refresh", "--yes", "--source-url", &source.url()])
        .env("RESTAGE_ANONYMIZE_KEY", KEY);
    command
}

#[test]
fn a_refresh_stopped_after_the_swap_says_staging_is_new_and_not_seeded() {
    let source = production();
    for how in [Stop::Kill, Stop::Term] {
        let mut bed = Bed::new(&held("after_swap", "after"));
        let child = spawn(&mut refresh(bed.dir.path(), &source));
        wait_until("after_swap", || reached(bed.dir.path(), "after"));
        let stopped = stop(child, how);
        match how {
            Stop::Term => stopped.assert_reported(&format!(
                "staging is the new copy; the previous one is kept as {}_restage_prev (`restage \
                 rollback` swaps it back); it is not seeded: `restage seed` seeds it",
                bed.staging.name
            )),
            Stop::Kill => stopped.assert_killed(),
        }
        bed.staging.reconnect();
        assert_eq!(
            bed.staging
                .scalar("SELECT count(*) FROM users WHERE email LIKE 'testuser@%'"),
            "0",
            "not seeded"
        );
        assert_ne!(bed.staging.scalar("SELECT count(*) FROM customers"), "0");
    }
}

#[test]
fn a_refresh_stopped_during_the_redis_flush_says_so_and_is_not_ignored() {
    let source = production();
    let mut bed = Bed::new("");
    let child = spawn(&mut refresh(bed.dir.path(), &source));
    let mut admin = PgSession::connect(&pg_admin_url());
    // Seeded: the test account is in the new staging, and the run is now at the flush.
    wait_until("the seeding to finish", || {
        sessions(&mut admin, "restage refresh%", &bed.staging.name) == "0"
            && admin.scalar(&format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{}_restage_prev'",
                bed.staging.name
            )) == "1"
            && PgSession::connect(&url_with_database(&pg_admin_url(), &bed.staging.name))
                .scalar("SELECT count(*) FROM users WHERE email LIKE 'testuser@%'")
                == "1"
    });
    std::thread::sleep(Duration::from_millis(500));
    let stopped = stop(child, Stop::Term);
    stopped.assert_reported(
        "staging is complete (new and seeded), but staging Redis was not flushed: `restage \
         redis flush` flushes it",
    );
    bed.staging.reconnect();
    assert_eq!(
        bed.staging
            .scalar("SELECT count(*) FROM users WHERE email LIKE 'testuser@%'"),
        "1"
    );
}

#[test]
fn a_reset_stopped_before_or_after_it_rebuilt_staging_says_which() {
    let mut bed = Bed::new(&held("before_swap", "before"));
    for how in [Stop::Kill, Stop::Term] {
        let child = spawn(restage(bed.dir.path()).args(["reset", "--yes"]));
        wait_until("before_swap", || reached(bed.dir.path(), "before"));
        let stopped = stop(child, how);
        match how {
            Stop::Term => stopped
                .assert_reported("the half-built database was removed and staging is as it was"),
            Stop::Kill => stopped.assert_killed(),
        }
        assert_staging_holds(&mut bed.staging, "yesterday", "1");
        bed.staging.disconnect();
        std::fs::remove_file(bed.dir.path().join("before.reached")).expect("reached");
    }

    // Rebuilt, then stopped while flushing the Redis that never answers.
    bed.configure("");
    let child = spawn(restage(bed.dir.path()).args(["reset", "--yes"]));
    let mut admin = PgSession::connect(&pg_admin_url());
    wait_until("the reset to commit", || {
        sessions(&mut admin, "restage reset%", &bed.staging.name) == "0"
            && PgSession::connect(&bed.staging.url())
                .scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'")
                == "1"
    });
    std::thread::sleep(Duration::from_millis(500));
    stop(child, Stop::Term)
        .assert_reported("staging was reset: migrated and seeded; staging Redis was not flushed");
    bed.staging.reconnect();
    assert_eq!(
        bed.staging
            .scalar("SELECT count(*) FROM users WHERE email LIKE 'testuser@%'"),
        "1"
    );
}
