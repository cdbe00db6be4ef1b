//! `restage migrate`.

use crate::support::{
    REFERENCE_TABLES, TestDb, pg_admin_url, restage, run, url_with_database, work_dir,
};

#[test]
fn migrate_creates_the_reference_schema_then_is_a_no_op() {
    let mut db = TestDb::new();
    let dir = work_dir();
    let first = run(restage(dir.path()).args(["migrate", "--json", "--staging-url", &db.url()]));
    first.assert_code(0);
    let report = first.json();
    assert_eq!(report["status"], "ok");
    assert_eq!(
        report["applied"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(db.tables(), REFERENCE_TABLES);
    let migrated = db.fingerprint();

    let second = run(restage(dir.path()).args(["migrate", "--staging-url", &db.url()]));
    second
        .assert_code(0)
        .assert_stdout_contains("schema is up to date, nothing to apply");
    assert_eq!(
        db.fingerprint(),
        migrated,
        "a second migrate changed the database"
    );
}

#[test]
fn migrations_and_seeders_own_exactly_the_schemas_reset_recreates() {
    let mut db = TestDb::new();
    let dir = work_dir();
    let schemas = "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace \
                   WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
    run(restage(dir.path()).args(["migrate", "--staging-url", &db.url()])).assert_code(0);
    assert_eq!(db.scalar(schemas), "public");
    run(restage(dir.path()).args(["seed", "--staging-url", &db.url()])).assert_code(0);
    assert_eq!(
        db.scalar(schemas),
        format!("public,{}", restage::schema::RESTAGE_SCHEMA)
    );
}

#[test]
fn migrate_reads_the_staging_url_from_the_environment_and_the_config_file() {
    let mut db = TestDb::new();
    let dir = work_dir();
    run(restage(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", db.url()))
    .assert_code(0);
    assert_eq!(db.tables(), REFERENCE_TABLES);

    let mut from_file = TestDb::new();
    let config = format!("[staging]\ndatabase_url = \"{}\"\n", from_file.url());
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    run(restage(dir.path()).arg("migrate")).assert_code(0);
    assert_eq!(from_file.tables(), REFERENCE_TABLES);
}

#[test]
fn unreachable_database_fails_fast_with_a_clear_message() {
    let dir = work_dir();
    let started = std::time::Instant::now();
    let failed = run(restage(dir.path()).args([
        "migrate",
        "--staging-url",
        "postgres://app:s3cr3t@127.0.0.1:1/staging",
    ]));
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    failed
        .assert_code(4)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains(
            "cannot connect to the staging server's maintenance database (restage connects to \
             it, not to staging, to take its lock",
        )
        .assert_stderr_contains("at postgres://app:***@127.0.0.1:1/postgres")
        .assert_stderr_contains("Connection refused");
}

#[test]
fn a_connection_error_names_the_database_given_or_says_why_it_is_another() {
    let dir = work_dir();
    let missing = url_with_database(&pg_admin_url(), "restage_no_such_database");
    for command in [
        &["migrate"][..],
        &["seed"],
        &["status"],
        &["reset", "--yes"],
    ] {
        run(restage(dir.path())
            .args(command)
            .args(["--staging-url", &missing]))
        .assert_code(4)
        .assert_stderr_contains("cannot connect to the staging database at ")
        .assert_stderr_contains("/restage_no_such_database")
        .assert_stderr_contains("database \"restage_no_such_database\" does not exist");
    }
    std::fs::write(
        dir.path().join("restage.toml"),
        "[staging]\nmaintenance_database = \"restage_no_maintenance\"\n",
    )
    .expect("write restage.toml");
    let staging = TestDb::new();
    for command in [
        &["migrate"][..],
        &["reset", "--yes"],
        &["rollback", "--yes"],
    ] {
        run(restage(dir.path())
            .args(command)
            .args(["--staging-url", &staging.url()]))
        .assert_code(4)
        .assert_stderr_contains("maintenance database (restage connects to it, not to staging")
        .assert_stderr_contains("[staging] maintenance_database names it")
        .assert_stderr_contains("/restage_no_maintenance;");
    }
}

#[test]
fn missing_staging_url_says_how_to_set_one() {
    let dir = work_dir();
    run(restage(dir.path()).arg("migrate"))
        .assert_code(2)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("pass --staging-url, set STAGING_DATABASE_URL");
}

#[test]
fn migrate_runs_the_applications_command_against_staging_and_honours_its_exit_code() {
    let mut db = TestDb::new();
    let dir = work_dir();
    let url = db.url();
    let config = |command: &str| {
        format!("[staging]\ndatabase_url = \"{url}\"\nmigrate = {{ command = \"{command}\" }}\n")
    };
    std::fs::write(
        dir.path().join("restage.toml"),
        config(
            "psql -X -q -d $DATABASE_URL -c 'CREATE TABLE widgets (id int)' && echo made widgets",
        ),
    )
    .expect("write restage.toml");
    let migrated = run(restage(dir.path()).args(["migrate", "--json"]));
    migrated
        .assert_code(0)
        .assert_stderr_contains("made widgets");
    assert_eq!(
        migrated.json()["migration_command"]
            .as_str()
            .map(|c| c.contains("widgets")),
        Some(true)
    );
    assert_eq!(db.tables(), ["public.widgets"]);

    std::fs::write(dir.path().join("restage.toml"), config("exit 7")).expect("write");
    run(restage(dir.path()).arg("migrate"))
        .assert_code(4)
        .assert_stderr_contains("`exit 7` exited with status 7")
        .assert_clean_failure("no secret here");
}
