//! `restage reset`: confirmation, the production guard, the lock, and the result.

use std::thread;

use crate::support::{
    PgSession, TestDb, TestRedis, pg_admin_url, reset_tables, restage, run, url_with_database,
    work_dir,
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
