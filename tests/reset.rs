//! `restage reset`: confirmation, the production guard, the lock, and the result.

use std::thread;

use crate::support::{
    PgSession, TestDb, TestRedis, pg_admin_url, repo_file, reset_tables, restage, run,
    url_with_database, work_dir,
};

/// A migrated database full of data, plus objects the migrations do not know.
fn staging_with_data() -> TestDb {
    let mut db = TestDb::new();
    let dir = work_dir();
    run(restage(dir.path()).args(["migrate", "--staging-url", &db.url()])).assert_code(0);
    db.execute(
        "INSERT INTO roles (name) VALUES ('admin'), ('viewer');
         INSERT INTO users (email, full_name, password_hash, role_id)
             SELECT 'user' || g || '@example.com', 'User ' || g, 'x', 1 FROM generate_series(1, 50) g;
         INSERT INTO item_types (code, name) VALUES ('laptop', 'Laptop');
         INSERT INTO products (sku, name, item_type_id, price) VALUES ('SKU-1', 'Thing', 1, 9.99);
         CREATE TABLE leftover_import (id int, payload text);
         INSERT INTO leftover_import VALUES (1, 'stale');
         CREATE VIEW active_users AS SELECT * FROM users WHERE is_active;",
    );
    db
}

#[test]
fn reset_leaves_exactly_the_migrated_empty_schema_and_flushes_redis() {
    let mut db = staging_with_data();
    let mut redis = TestRedis::new();
    redis.set_keys((0..20).map(|i| format!("cache:{i}")));
    let dir = work_dir();
    let reset = run(restage(dir.path()).args([
        "reset",
        "--yes",
        "--json",
        "--staging-url",
        &db.url(),
        "--redis-url",
        &redis.url(),
    ]));
    reset.assert_code(0);
    let report = reset.json();
    assert_eq!(report["redis_keys_removed"], 20, "{report}");
    assert_eq!(
        report["recreated_schemas"],
        serde_json::json!(["public", "restage"])
    );
    assert_eq!(
        report["seed"]["seeders"].as_array().map(Vec::len),
        Some(5),
        "{report}"
    );

    assert_eq!(db.tables(), reset_tables());
    assert_eq!(
        db.scalar("SELECT count(*) FROM users WHERE email LIKE 'user%@example.com'"),
        "0"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM roles"), "6");
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_views WHERE schemaname = 'public'"),
        "0"
    );
    assert_eq!(redis.size(), 0);

    let mut fresh = TestDb::new();
    run(restage(dir.path()).args(["migrate", "--staging-url", &fresh.url()])).assert_code(0);
    run(restage(dir.path()).args(["seed", "--staging-url", &fresh.url()])).assert_code(0);
    assert_eq!(
        db.fingerprint(),
        fresh.fingerprint(),
        "a reset database differs from a freshly migrated and seeded one"
    );
}

#[test]
fn reset_then_migrate_is_a_no_op() {
    let mut db = staging_with_data();
    let dir = work_dir();
    run(restage(dir.path()).args(["reset", "--yes", "--staging-url", &db.url()]))
        .assert_code(0)
        .assert_stderr_contains("No staging Redis configured");
    let after_reset = db.fingerprint();
    run(restage(dir.path()).args(["migrate", "--staging-url", &db.url()]))
        .assert_code(0)
        .assert_stdout_contains("nothing to apply");
    assert_eq!(db.fingerprint(), after_reset);
}

#[test]
fn reset_without_yes_and_without_a_terminal_is_refused_and_touches_nothing() {
    let mut db = staging_with_data();
    let mut redis = TestRedis::new();
    redis.set_keys(["cache:1", "cache:2"]);
    let before = db.fingerprint();
    let dir = work_dir();
    run(restage(dir.path()).args([
        "reset",
        "--staging-url",
        &db.url(),
        "--redis-url",
        &redis.url(),
    ]))
    .assert_code(3)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains(
        "refusing to reset without confirmation: stdin is not a terminal; pass --yes",
    );
    assert_eq!(db.fingerprint(), before);
    assert_eq!(redis.size(), 2);
}

#[test]
fn reset_of_the_production_database_is_refused_and_touches_nothing() {
    let mut db = staging_with_data();
    let before = db.fingerprint();
    let dir = work_dir();
    // Production is configured with another spelling of the same server and database.
    let production = url_with_database(&pg_admin_url(), &db.name).replace("127.0.0.1", "localhost");
    std::fs::write(
        dir.path().join("restage.toml"),
        format!("[production]\nurl = \"{production}\"\n"),
    )
    .expect("write restage.toml");
    run(restage(dir.path()).args([
        "reset",
        "--yes",
        "--staging-url",
        &db.url_with_password("s3cr3t"),
    ]))
    .assert_code(3)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains(
        "is the production database ([production] url); restage never writes to production",
    );
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn reset_on_the_production_rds_endpoint_is_refused_before_connecting() {
    let dir = work_dir();
    let config = dir.path().join("prod.toml");
    std::fs::write(
        &config,
        "[production]\nrds_instance_id = \"inventory-prod\"\nregion = \"eu-west-1\"\n",
    )
    .expect("write config");
    let target =
        "postgres://admin:s3cr3t@inventory-prod.c9akciq32.eu-west-1.rds.amazonaws.com:5432/app";
    run(restage(dir.path())
        .args(["reset", "--yes", "--staging-url", target])
        .arg("--config")
        .arg(&config))
    .assert_code(3)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains("the endpoint of RDS instance inventory-prod");
}

#[test]
fn reset_while_another_command_holds_the_lock_fails_cleanly_and_touches_nothing() {
    let mut db = staging_with_data();
    let before = db.fingerprint();
    // Another restage command, seen from the server: a session holding the staging lock.
    let mut holder = PgSession::connect(&pg_admin_url());
    holder.execute(&format!(
        "SET application_name = 'restage refresh'; SELECT pg_advisory_lock(hashtext('restage'), hashtext('{}'));",
        db.name
    ));
    let dir = work_dir();
    run(restage(dir.path()).args(["reset", "--yes", "--staging-url", &db.url()]))
        .assert_code(3)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("another restage command is already working on staging database")
        .assert_stderr_contains("held by 'restage refresh'");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn two_concurrent_resets_never_run_together() {
    let mut db = staging_with_data();
    let url = db.url();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || {
                let dir = work_dir();
                run(restage(dir.path()).args(["reset", "--yes", "--staging-url", &url]))
            })
        })
        .collect();
    let runs: Vec<_> = runs
        .into_iter()
        .map(|handle| handle.join().expect("thread"))
        .collect();
    assert!(
        runs.iter().any(|r| r.code == Some(0)),
        "neither reset succeeded"
    );
    for failed in runs.iter().filter(|r| r.code != Some(0)) {
        failed
            .assert_code(3)
            .assert_stderr_contains("another restage command is already working");
    }
    assert_eq!(db.tables(), reset_tables());
    assert_eq!(db.scalar("SELECT count(*) FROM users"), "3");
}

/// A migrations directory: the reference schema, then the application's own table.
fn migrations_dir(dir: &tempfile::TempDir, second: &str) -> std::path::PathBuf {
    let migrations = dir.path().join("db/migrations");
    std::fs::create_dir_all(&migrations).expect("mkdir");
    std::fs::copy(
        repo_file("migrations/20261122000001_reference_schema.sql"),
        migrations.join("20260101000001_schema.sql"),
    )
    .expect("copy the reference schema");
    std::fs::write(migrations.join("20260101000002_settings.sql"), second).expect("write");
    migrations
}

/// A restage.toml naming the staging database and its migrations.
fn config_with_migrate(dir: &tempfile::TempDir, db: &TestDb, migrate: &str) {
    let config = format!(
        "[staging]\ndatabase_url = \"{}\"\nmigrate = {migrate}\n",
        db.url()
    );
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
}

#[test]
fn reset_with_a_migrations_directory_applies_exactly_its_migrations_and_seeds() {
    let mut db = staging_with_data();
    let dir = work_dir();
    migrations_dir(
        &dir,
        "CREATE TABLE app_settings (name text PRIMARY KEY, value text NOT NULL);",
    );
    config_with_migrate(&dir, &db, "{ dir = \"db/migrations\" }");
    let reset = run(restage(dir.path()).args(["reset", "--yes", "--json"]));
    reset.assert_code(0);
    let report = reset.json();
    let versions: Vec<i64> = report["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|migration| migration["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(versions, [20260101000001, 20260101000002], "{report}");
    assert_eq!(db.scalar("SELECT count(*) FROM app_settings"), "0");
    assert_eq!(
        db.scalar("SELECT to_regclass('leftover_import') IS NULL"),
        "true"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM roles"), "6");
    run(restage(dir.path()).arg("migrate"))
        .assert_code(0)
        .assert_stdout_contains("nothing to apply");
}

#[test]
fn a_failing_migration_in_the_directory_leaves_staging_as_it_was() {
    let mut db = staging_with_data();
    let before = db.fingerprint();
    let dir = work_dir();
    migrations_dir(
        &dir,
        "CREATE TABLE app_settings (name text PRIMARY KEY);
SELECT 1/0;",
    );
    config_with_migrate(&dir, &db, "{ dir = \"db/migrations\" }");
    let reset = run(restage(dir.path()).args(["reset", "--yes"]));
    reset
        .assert_code(4)
        .assert_stderr_contains("20260101000002")
        .assert_stderr_contains("division by zero")
        .assert_clean_failure("no secret here");
    assert_eq!(db.fingerprint(), before, "a failed reset changed staging");
}

#[test]
fn reset_with_a_migration_command_builds_a_new_staging_beside_and_swaps_it_in() {
    let mut db = staging_with_data();
    let mut redis = TestRedis::new();
    redis.set_keys(["session:1", "session:2"]);
    let dir = work_dir();
    let script = dir.path().join("migrate.sh");
    std::fs::write(
        &script,
        format!(
            "set -e\necho \"migrating $(echo \"$STAGING_DATABASE_URL\" | sed 's|.*/||')\"\n\
             psql -X -q -v ON_ERROR_STOP=1 -d \"$DATABASE_URL\" -f '{}'\n\
             psql -X -q -v ON_ERROR_STOP=1 -d \"$DATABASE_URL\" -c 'CREATE TABLE from_command (id int)'\n",
            repo_file("migrations/20261122000001_reference_schema.sql").display()
        ),
    )
    .expect("write the script");
    config_with_migrate(&dir, &db, "{ command = \"sh migrate.sh\" }");
    let reset =
        run(restage(dir.path()).args(["reset", "--yes", "--json", "--redis-url", &redis.url()]));
    reset
        .assert_code(0)
        .assert_stderr_contains(&format!("migrating {}_restage_next", db.name));
    let report = reset.json();
    assert_eq!(report["migration_command"], "sh migrate.sh", "{report}");
    assert_eq!(report["previous"], format!("{}_restage_prev", db.name));
    assert_eq!(redis.size(), 0);
    db.reconnect();
    assert_eq!(db.scalar("SELECT count(*) FROM from_command"), "0");
    assert_eq!(
        db.scalar("SELECT to_regclass('leftover_import') IS NULL"),
        "true"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM roles"), "6");
    assert!(!db.database_exists(&format!("{}_restage_next", db.name)));
}

#[test]
fn a_failing_migration_command_leaves_staging_as_it_was() {
    let mut db = staging_with_data();
    let before = db.fingerprint();
    let dir = work_dir();
    let script =
        "psql -X -q -d \"$DATABASE_URL\" -c 'CREATE TABLE half (id int)'; echo 'boom' >&2; exit 3";
    config_with_migrate(
        &dir,
        &db,
        &format!("{{ command = \"{}\" }}", script.replace('"', "\\\"")),
    );
    let reset = run(restage(dir.path()).args(["reset", "--yes"]));
    reset
        .assert_code(4)
        .assert_stderr_contains("boom")
        .assert_stderr_contains("exited with status 3")
        .assert_stderr_contains("Staging was left as it was")
        .assert_clean_failure("no secret here");
    assert_eq!(db.fingerprint(), before, "a failed reset changed staging");
    assert!(!db.database_exists(&format!("{}_restage_next", db.name)));
    assert!(!db.database_exists(&format!("{}_restage_prev", db.name)));
}

#[test]
fn a_migrate_setting_with_neither_or_both_runners_is_refused_with_its_line() {
    let dir = work_dir();
    let db = TestDb::new();
    for (migrate, reason) in [
        ("{ }", "give command ="),
        (
            "{ command = \"x\", dir = \"y\" }",
            "either command or dir, not both",
        ),
        ("{ dir = \"no/such/dir\" }", "no/such/dir"),
    ] {
        config_with_migrate(&dir, &db, migrate);
        run(restage(dir.path()).args(["reset", "--yes"]))
            .assert_code(2)
            .assert_stderr_contains(reason)
            .assert_clean_failure("no secret here");
    }
}

#[test]
fn reset_recreates_only_the_listed_schemas_and_reapplies_every_migration() {
    let mut db = TestDb::new();
    let dir = work_dir();
    let migrations = dir.path().join("sql");
    std::fs::create_dir_all(&migrations).expect("mkdir");
    std::fs::write(
        migrations.join("1_app.sql"),
        "CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE app.things (id int PRIMARY KEY);",
    )
    .expect("write");
    let config = format!(
        "[staging]\ndatabase_url = \"{}\"\nmigrate = {{ dir = \"sql\" }}\nschemas = [\"app\"]\n\n\
         [schema]\nseeders = []\n",
        db.url()
    );
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    run(restage(dir.path()).arg("migrate")).assert_code(0);
    db.execute(
        "INSERT INTO app.things VALUES (1); CREATE SCHEMA audit; CREATE TABLE audit.kept (id int);
         INSERT INTO audit.kept VALUES (7);",
    );
    let reset = run(restage(dir.path()).args(["reset", "--yes", "--json"]));
    reset.assert_code(0);
    let report = reset.json();
    assert_eq!(
        report["recreated_schemas"],
        serde_json::json!(["app", "restage"])
    );
    assert_eq!(
        report["migrations"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(report["seed"]["seeders"], serde_json::json!([]));
    assert_eq!(db.scalar("SELECT count(*) FROM app.things"), "0");
    assert_eq!(
        db.scalar("SELECT id FROM audit.kept"),
        "7",
        "a schema the application does not own was touched"
    );
}

#[test]
fn a_reset_terminated_during_its_migration_command_leaves_staging_as_it_was() {
    use std::io::{BufRead, BufReader};
    let mut db = staging_with_data();
    let before = db.fingerprint();
    let dir = work_dir();
    config_with_migrate(
        &dir,
        &db,
        "{ command = \"echo started >&2; exec sleep 30\" }",
    );
    let mut child = restage(dir.path())
        .args(["reset", "--yes"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start restage");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    while !seen.contains("started") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).expect("read") > 0,
            "no start:\n{seen}"
        );
        seen.push_str(&line);
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("read");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(143), "{seen}{rest}");
    assert!(rest.contains("interrupted by SIGTERM"), "{seen}{rest}");
    assert_eq!(
        db.fingerprint(),
        before,
        "an interrupted reset changed staging"
    );
    assert!(!db.database_exists(&format!("{}_restage_next", db.name)));
}
