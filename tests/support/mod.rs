//! Test bed: every test gets its own PostgreSQL database and its own Redis database number,
//! so tests run in parallel and never see each other's data. Servers come from
//! `RESTAGE_PG_URL` / `RESTAGE_REDIS_URL` (set by scripts/services.sh), defaulting
//! to the standard local ports.

#![allow(dead_code)]

pub mod moto;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};

/// The admin URL of the test PostgreSQL server (any database on it).
pub fn pg_admin_url() -> String {
    std::env::var("RESTAGE_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The URL of the test Redis server, without a database number.
pub fn redis_server_url() -> String {
    let raw =
        std::env::var("RESTAGE_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut url = url::Url::parse(&raw).expect("RESTAGE_REDIS_URL parses");
    url.set_path("");
    url.to_string().trim_end_matches('/').to_owned()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A unique name per test: process id, a counter and the clock.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Replaces the database of a PostgreSQL URL.
pub fn url_with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("test PostgreSQL URL parses");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// One connection with its own runtime, for tests that talk SQL synchronously.
pub struct PgSession {
    runtime: tokio::runtime::Runtime,
    connection: Option<PgConnection>,
}

impl PgSession {
    /// Connects to `url`.
    pub fn connect(url: &str) -> PgSession {
        let runtime = runtime();
        let connection = runtime
            .block_on(PgConnection::connect(url))
            .unwrap_or_else(|e| {
                panic!(
                    "connect to the test PostgreSQL ({e}); run the tests through scripts/test.sh, \
                 or set RESTAGE_PG_URL"
                )
            });
        PgSession {
            runtime,
            connection: Some(connection),
        }
    }

    /// Runs SQL (several statements allowed).
    pub fn execute(&mut self, sql: &str) {
        let connection = self.connection.as_mut().expect("open connection");
        self.runtime
            .block_on(sqlx::raw_sql(sql).execute(connection))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first column of the first row, as text (NULL as "NULL").
    pub fn scalar(&mut self, sql: &str) -> String {
        let connection = self.connection.as_mut().expect("open connection");
        let row = self
            .runtime
            .block_on(sqlx::query(&format!("SELECT ({sql})::text")).fetch_one(connection))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        row.get::<Option<String>, _>(0)
            .unwrap_or_else(|| "NULL".to_owned())
    }

    fn close(&mut self) {
        if let Some(connection) = self.connection.take() {
            let _ = self.runtime.block_on(connection.close());
        }
    }
}

/// A freshly created, empty database, dropped when the test passes
/// (kept on failure, with its name printed, for a look).
pub struct TestDb {
    pub name: String,
    session: PgSession,
}

impl TestDb {
    pub fn new() -> TestDb {
        let name = unique_name("restage_test");
        PgSession::connect(&pg_admin_url()).execute(&format!("CREATE DATABASE \"{name}\""));
        let session = PgSession::connect(&url_with_database(&pg_admin_url(), &name));
        TestDb { name, session }
    }

    /// The URL of this database.
    pub fn url(&self) -> String {
        url_with_database(&pg_admin_url(), &self.name)
    }

    /// The URL with a password added, to check that it is never printed.
    pub fn url_with_password(&self, password: &str) -> String {
        let mut parsed = url::Url::parse(&self.url()).expect("URL");
        parsed.set_password(Some(password)).expect("password");
        parsed.to_string()
    }

    /// Runs SQL (several statements allowed).
    pub fn execute(&mut self, sql: &str) {
        self.session.execute(sql);
    }

    /// The URL of this database for login `user` (trust authentication).
    pub fn url_as(&self, user: &str) -> String {
        let mut parsed = url::Url::parse(&self.url()).expect("URL");
        parsed.set_username(user).expect("user name");
        parsed.to_string()
    }

    /// Gives the database to `role`, as an administrator creates an application's database.
    pub fn owned_by(self, role: &TestRole) -> TestDb {
        PgSession::connect(&pg_admin_url()).execute(&format!(
            "ALTER DATABASE \"{}\" OWNER TO \"{}\"",
            self.name, role.name
        ));
        self
    }

    /// Closes this test's own session (a non-superuser swap cannot end a superuser's
    /// session); [`TestDb::reconnect`] opens a new one.
    pub fn disconnect(&mut self) {
        self.session.close();
    }

    /// Opens a new session: a swap replaces the database and ends the old one.
    pub fn reconnect(&mut self) {
        self.session.close();
        self.session = PgSession::connect(&self.url());
    }

    /// Loads a plain SQL file with psql (for dumps with COPY blocks).
    pub fn load_with_psql(&self, file: &Path) {
        let status = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url(), "-f"])
            .arg(file)
            .stdout(Stdio::null())
            .status()
            .expect("run psql (install postgresql-client)");
        assert!(status.success(), "psql could not load {}", file.display());
    }

    /// Whether another database of the server exists.
    pub fn database_exists(&mut self, name: &str) -> bool {
        self.scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )) == "true"
    }

    /// The first column of the first row, as text (NULL as "NULL").
    pub fn scalar(&mut self, sql: &str) -> String {
        self.session.scalar(sql)
    }

    /// Sorted `schema.table` names of the ordinary tables outside the system schemas, but
    /// for restage's log of runs (`restage.history`, which `status` reads).
    pub fn tables(&mut self) -> Vec<String> {
        let list = self.scalar(
            "SELECT coalesce(string_agg(table_schema || '.' || table_name, ',' \
                    ORDER BY (table_schema || '.' || table_name) COLLATE \"C\"), '') \
             FROM information_schema.tables \
             WHERE table_type = 'BASE TABLE' \
               AND table_schema NOT IN ('pg_catalog', 'information_schema') \
               AND (table_schema, table_name) <> ('restage', 'history')",
        );
        list.split(',')
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Each table's rows as one md5, by `schema.table`.
    pub fn table_digests(&mut self) -> std::collections::BTreeMap<String, String> {
        self.fingerprint()
            .split(';')
            .skip(1)
            .filter_map(|part| part.split_once('='))
            .map(|(table, digest)| (table.to_owned(), digest.to_owned()))
            .collect()
    }

    /// A digest of the schema (columns, constraints, indexes, triggers, views, functions)
    /// and of every row of every table: equal fingerprints mean the same database.
    /// The migration history counts by version and checksum, not by when it ran.
    pub fn fingerprint(&mut self) -> String {
        let mut parts = vec![self.scalar(SCHEMA_DIGEST)];
        for table in self.tables() {
            let rows = if table == "public._sqlx_migrations" {
                "(SELECT version, description, success, checksum FROM public._sqlx_migrations)"
                    .to_owned()
            } else {
                let (schema, name) = table.split_once('.').expect("schema.table");
                format!("\"{schema}\".\"{name}\"")
            };
            let digest = self.scalar(&format!(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {rows} t"
            ));
            parts.push(format!("{table}={digest}"));
        }
        parts.join(";")
    }
}

/// Everything but the rows, as one md5 (restage's log of runs left out, as in
/// [`TestDb::tables`]).
const SCHEMA_DIGEST: &str = "SELECT md5(string_agg(line, E'\\n' ORDER BY line COLLATE \"C\")) FROM (
    SELECT format('column %s.%s.%s %s %s %s', table_schema, table_name, column_name, data_type,
                  is_nullable, column_default) AS line
      FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
       AND (table_schema, table_name) <> ('restage', 'history')
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
       AND conrelid IS DISTINCT FROM to_regclass('restage.history')
    UNION ALL
    SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
       AND (schemaname, tablename) <> ('restage', 'history')
    UNION ALL
    SELECT format('trigger %s %s', tgrelid::regclass, tgname) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT format('view %s.%s', schemaname, viewname) FROM pg_views
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT format('function %s', p.oid::regprocedure) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
) schema_lines";

impl Drop for TestDb {
    fn drop(&mut self) {
        // A failed test leaves nothing behind, unless asked to keep its database for a look.
        if std::thread::panicking() && std::env::var_os("RESTAGE_KEEP_FAILED_DATABASES").is_some() {
            eprintln!("test failed: database {} kept for a look", self.name);
            return;
        }
        self.session.close();
        let mut admin = PgSession::connect(&pg_admin_url());
        // Copies load beside a database and keep the previous one: those go too.
        for suffix in ["", "_restage_next", "_restage_prev", "_restage_swap"] {
            admin.execute(&format!(
                "DROP DATABASE IF EXISTS \"{}{suffix}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A login role of this test alone (roles belong to the whole server), dropped at the end.
/// Declare it before the databases it has privileges in, so that they are dropped first.
pub struct TestRole {
    pub name: String,
}

impl TestRole {
    /// A new login role with `options` (`CREATEDB`, …): never a superuser.
    pub fn new(prefix: &str, options: &str) -> TestRole {
        let name = unique_name(prefix);
        PgSession::connect(&pg_admin_url()).execute(&format!(
            "CREATE ROLE \"{name}\" LOGIN NOSUPERUSER {options}"
        ));
        TestRole { name }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            PgSession::connect(&pg_admin_url())
                .execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.name));
        }
    }
}

/// One Redis database number claimed for this test alone (claims live in database 0 and
/// expire, so a killed test run frees them). Emptied before use and when dropped.
pub struct TestRedis {
    pub db: u32,
    token: String,
    connection: redis::Connection,
}

/// Database numbers tests may claim; 15 is left to scripts/demo.sh.
const REDIS_TEST_DATABASES: std::ops::Range<u32> = 1..15;

impl TestRedis {
    pub fn new() -> TestRedis {
        let token = unique_name("claim");
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            for db in REDIS_TEST_DATABASES {
                if claim(db, &token) {
                    let client = redis::Client::open(format!("{}/{db}", redis_server_url()))
                        .expect("Redis URL");
                    let mut connection = client.get_connection().expect("connect to test Redis");
                    redis::cmd("FLUSHDB")
                        .exec(&mut connection)
                        .expect("FLUSHDB");
                    return TestRedis {
                        db,
                        token,
                        connection,
                    };
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no free Redis test database for 120 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The URL of this test's database.
    pub fn url(&self) -> String {
        format!("{}/{}", redis_server_url(), self.db)
    }

    /// Sets each key to "1".
    pub fn set_keys<S: AsRef<str>>(&mut self, keys: impl IntoIterator<Item = S>) {
        let mut pipeline = redis::pipe();
        for key in keys {
            pipeline.cmd("SET").arg(key.as_ref()).arg("1").ignore();
        }
        pipeline.exec(&mut self.connection).expect("SET keys");
    }

    /// Sorted keys matching a glob.
    pub fn keys(&mut self, pattern: &str) -> Vec<String> {
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(pattern)
            .query(&mut self.connection)
            .expect("KEYS");
        keys.sort();
        keys
    }

    /// Number of keys in the database.
    pub fn size(&mut self) -> u64 {
        redis::cmd("DBSIZE")
            .query(&mut self.connection)
            .expect("DBSIZE")
    }
}

fn claim_key(db: u32) -> String {
    format!("restage:test-claim:{db}")
}

fn claim(db: u32, token: &str) -> bool {
    let client = redis::Client::open(format!("{}/0", redis_server_url())).expect("Redis URL");
    let mut connection = client.get_connection().expect(
        "connect to the test Redis (run the tests through scripts/test.sh, or set RESTAGE_REDIS_URL)",
    );
    let claimed: Option<String> = redis::cmd("SET")
        .arg(claim_key(db))
        .arg(token)
        .arg("NX")
        .arg("EX")
        .arg(600)
        .query(&mut connection)
        .expect("claim a Redis test database");
    claimed.is_some()
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = redis::cmd("FLUSHDB").exec(&mut self.connection);
        let Ok(client) = redis::Client::open(format!("{}/0", redis_server_url())) else {
            return;
        };
        let Ok(mut connection) = client.get_connection() else {
            return;
        };
        let owner: Option<String> = redis::cmd("GET")
            .arg(claim_key(self.db))
            .query(&mut connection)
            .ok()
            .flatten();
        if owner.as_deref() == Some(self.token.as_str()) {
            let _ = redis::cmd("DEL")
                .arg(claim_key(self.db))
                .exec(&mut connection);
        }
    }
}

/// `restage` as a user would run it: no inherited restage/database environment, an empty
/// working directory (so no stray restage.toml), no terminal on stdin.
pub fn restage(work_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_restage"));
    for name in [
        "STAGING_DATABASE_URL",
        "DATABASE_URL",
        "STAGING_REDIS_URL",
        "REDIS_URL",
        "RESTAGE_CONFIG",
        "RUST_LOG",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGPASSWORD",
        "SOURCE_DATABASE_URL",
        "RESTAGE_ANONYMIZE_KEY",
    ] {
        command.env_remove(name);
    }
    command
        .env("RUST_BACKTRACE", "1")
        .current_dir(work_dir)
        .stdin(Stdio::null());
    command
}

/// What a finished command printed.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn assert_stderr_contains(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn assert_stdout_contains(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}",
            self.stdout
        );
        self
    }

    /// No panic, no backtrace, no secret: what every failure must look like.
    pub fn assert_clean_failure(&self, secret: &str) -> &Run {
        let all = format!("{}{}", self.stdout, self.stderr);
        for bad in ["panicked", "stack backtrace", "RUST_BACKTRACE", secret] {
            assert!(!all.contains(bad), "output contains {bad:?}:\n{all}");
        }
        assert!(
            self.stderr.lines().any(|line| line.starts_with("error: ")),
            "stderr has no 'error: ' line:\n{}",
            self.stderr
        );
        self
    }

    /// Nothing printed contains `secret`.
    pub fn assert_no_secret(&self, secret: &str) -> &Run {
        let all = format!("{}{}", self.stdout, self.stderr);
        assert!(!all.contains(secret), "output contains {secret:?}:\n{all}");
        self
    }

    /// The stdout parsed as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs a command to completion.
pub fn run(command: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run restage");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A temporary working directory.
pub fn work_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A file of the repository.
pub fn repo_file(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The tables of a reset (migrated and seeded) database.
pub fn reset_tables() -> Vec<String> {
    let mut tables: Vec<String> = REFERENCE_TABLES
        .iter()
        .map(|table| table.to_string())
        .collect();
    tables.push("restage.seeded_rows".to_owned());
    tables
}

/// A copy of the repository's seeds/ in a temporary directory, to edit in a test.
pub fn seeds_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temp dir");
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for entry in std::fs::read_dir(seeds).expect("read seeds/") {
        let entry = entry.expect("seeds/ entry");
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).expect("copy seed file");
    }
    copy
}

/// Replaces `from` by `to` in a file, which must contain it.
pub fn edit_file(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read file");
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write file");
}

/// The tables the reference schema migrations create.
pub const REFERENCE_TABLES: &[&str] = &[
    "public._sqlx_migrations",
    "public.audit_log",
    "public.customers",
    "public.item_types",
    "public.items",
    "public.locations",
    "public.movements",
    "public.order_items",
    "public.orders",
    "public.payments",
    "public.permissions",
    "public.products",
    "public.role_permissions",
    "public.roles",
    "public.sessions",
    "public.users",
];

pub const KEY: &str = "integration test key";

/// A "production" database: the reference schema full of personal data.
pub fn production() -> TestDb {
    let mut db = TestDb::new();
    let dir = work_dir();
    run(restage(dir.path()).args(["migrate", "--staging-url", &db.url()])).assert_code(0);
    db.execute(
        &std::fs::read_to_string(repo_file("tests/fixtures/production.sql")).expect("fixture"),
    );
    db.execute("ANALYZE");
    db
}

/// A staging database holding yesterday's data.
pub fn staging() -> TestDb {
    let mut db = TestDb::new();
    db.execute("CREATE TABLE yesterday (id int); INSERT INTO yesterday VALUES (1);");
    db
}

/// The smallest copy: a source with `rows` rows in `parts (id, label)`, and in `dir` a
/// `profile.toml` keeping the labels and a `restage.toml` of `config`.
pub fn parts_copy_setup(dir: &tempfile::TempDir, rows: u32, config: &str) -> TestDb {
    let mut source = TestDb::new();
    source.execute(&format!(
        "CREATE TABLE parts (id serial PRIMARY KEY, label text NOT NULL);
         INSERT INTO parts (label) SELECT 'part ' || g FROM generate_series(1, {rows}) g;"
    ));
    std::fs::write(
        dir.path().join("profile.toml"),
        "version = 1\n[tables.parts.columns]\nlabel = \"keep\"\n",
    )
    .expect("write the profile");
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    source
}

/// `restage copy --yes --json` of [`parts_copy_setup`]'s source into `staging_url`.
pub fn parts_copy(dir: &tempfile::TempDir, source: &TestDb, staging_url: &str) -> Command {
    let mut command = restage(dir.path());
    command
        .args(["copy", "--yes", "--json", "--anonymizers", "profile.toml"])
        .args(["--source-url", &source.url(), "--staging-url", staging_url])
        .env("RESTAGE_ANONYMIZE_KEY", KEY);
    command
}

/// PBKDF2-HMAC-SHA256 of `password` (32 bytes), as Django and Werkzeug compute it, to check
/// the hashes restage writes in their formats.
pub fn pbkdf2_sha256(password: &str, salt: &str, iterations: u32) -> [u8; 32] {
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password.as_bytes(),
        salt.as_bytes(),
        iterations,
        &mut derived,
    );
    derived
}

/// A profile file with `text`, in a directory kept alive by the caller.
pub fn profile(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("profile.toml");
    std::fs::write(&path, text).expect("write profile");
    path
}

/// `anonymizers/default.toml` with each (from, to) replaced, written to `dir`; every `from`
/// must be there, so that a test never runs an unchanged profile by mistake.
pub fn edited_default(dir: &tempfile::TempDir, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = default_profile();
    for (from, to) in edits {
        assert!(text.contains(from), "the default profile lacks {from:?}");
        text = text.replace(from, to);
    }
    profile(dir, &text)
}

pub fn default_profile() -> String {
    std::fs::read_to_string(repo_file("anonymizers/default.toml")).expect("default profile")
}

/// Waits (up to two minutes) until a session of database `database` on the test server loads
/// rows (`COPY … FROM STDIN`): a copy or refresh into it is in its data phase.
pub fn wait_until_loading_rows(database: &str) {
    let mut admin = PgSession::connect(&pg_admin_url());
    let start = std::time::Instant::now();
    let loading = |admin: &mut PgSession| {
        admin.scalar(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' \
             AND query LIKE 'COPY % FROM STDIN%'"
        )) != "0"
    };
    while !loading(&mut admin) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "gave up waiting for rows to load into {database}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Says on the terminal (past the test harness's capture, so that a passing run shows it)
/// that the current test skipped something, and why.
pub fn say_skipped(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr(), "\n{test}: skipped {why}");
}

/// The per-seeder reports of a `seed` report, or of the seeding inside a `reset` report.
pub fn seeder_reports(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["seed"]["seeders"]
        .as_array()
        .or_else(|| report["seeders"].as_array())
        .expect("seeders")
}

/// One counter (`inserted`, `kept`, …) of one seeder in a `seed` or `reset` report.
pub fn seeder_count(report: &serde_json::Value, seeder: &str, counter: &str) -> u64 {
    seeder_reports(report)
        .iter()
        .find(|entry| entry["seeder"] == seeder)
        .unwrap_or_else(|| panic!("no seeder {seeder} in {report}"))[counter]
        .as_u64()
        .expect("count")
}
