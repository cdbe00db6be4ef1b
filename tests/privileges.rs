//! Privileges across a rebuild: restage logs in as a role that is not a superuser (as an
//! RDS master user is not), and the application logs in as another role, which must read
//! and write after every copy and reset.

use crate::support::{KEY, PgSession, Run, TestDb, TestRole, restage, run, work_dir};

/// restage's login as on RDS: creates databases and roles, may end other roles' sessions (as `rds_superuser`
/// may), and is no superuser.
fn restage_login() -> TestRole {
    let login = TestRole::new("restage_login", "CREATEDB CREATEROLE");
    PgSession::connect(&crate::support::pg_admin_url())
        .execute(&format!("GRANT pg_signal_backend TO \"{}\"", login.name));
    login
}

const APP_SCHEMA: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.things (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE app.audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
    CREATE VIEW app.thing_names AS SELECT name FROM app.things;
    CREATE FUNCTION app.double(n int) RETURNS int LANGUAGE sql AS 'SELECT n * 2';";

/// A production-like source owned by restage's login, with a few rows.
fn source_owned_by(login: &TestRole) -> TestDb {
    let source = TestDb::new().owned_by(login);
    let mut session = PgSession::connect(&source.url_as(&login.name));
    session.execute(APP_SCHEMA);
    session.execute(
        "INSERT INTO app.things (name) VALUES ('bolt'), ('nut'), ('gear');
         INSERT INTO app.audit (note) VALUES ('created');",
    );
    source
}

/// Staging as an administrator left it: made by restage's login, the application role
/// granted what it needs (and PUBLIC nothing), an analyst one view and some columns,
/// settings on the database.
fn staging_granted(login: &TestRole, app: &TestRole, analyst: &TestRole) -> TestDb {
    let mut staging = TestDb::new().owned_by(login);
    let (app, analyst) = (&app.name, &analyst.name);
    let mut session = PgSession::connect(&staging.url_as(&login.name));
    session.execute(APP_SCHEMA);
    session.execute(&format!(
        "REVOKE ALL ON DATABASE \"{db}\" FROM PUBLIC;
         GRANT CONNECT, TEMPORARY ON DATABASE \"{db}\" TO \"{app}\";
         GRANT CONNECT ON DATABASE \"{db}\" TO \"{analyst}\";
         GRANT USAGE ON SCHEMA app TO \"{app}\", \"{analyst}\";
         GRANT SELECT, INSERT, UPDATE, DELETE ON app.things, app.audit TO \"{app}\";
         GRANT USAGE ON SEQUENCE app.things_id_seq TO \"{app}\";
         GRANT SELECT ON app.thing_names TO \"{analyst}\";
         GRANT SELECT (id), UPDATE (note) ON app.audit TO \"{analyst}\";
         REVOKE EXECUTE ON FUNCTION app.double(int) FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION app.double(int) TO \"{app}\";
         ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO \"{analyst}\";
         ALTER DATABASE \"{db}\" SET search_path = app, public;
         ALTER DATABASE \"{db}\" SET statement_timeout = '7s';
         ALTER ROLE \"{app}\" IN DATABASE \"{db}\" SET work_mem = '8MB';",
        db = staging.name
    ));
    staging.disconnect();
    staging
}

fn anonymizers(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("anonymizers.toml");
    std::fs::write(
        &path,
        "version = 1\n[tables.\"app.things\".columns]\nname = \"keep\"\n\
         [tables.\"app.audit\".columns]\nnote = \"keep\"\n",
    )
    .expect("write the profile");
    path
}

fn copy_as(login: &TestRole, source: &TestDb, staging: &TestDb, dir: &tempfile::TempDir) -> Run {
    run(restage(dir.path())
        .args(["copy", "--yes", "--json", "--source-url"])
        .arg(source.url_as(&login.name))
        .arg("--staging-url")
        .arg(staging.url_as(&login.name))
        .arg("--anonymizers")
        .arg(anonymizers(dir))
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
}

/// Runs `sql` as `role` on `db`; the error message when it is refused.
fn as_role(db: &TestDb, role: &TestRole, sql: &str) -> Result<String, String> {
    let output = std::process::Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(db.url_as(&role.name))
        .args(["-c", sql])
        .output()
        .expect("run psql");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// What an application role needs after any rebuild: its settings, reading, writing,
/// drawing from the sequence and calling its function; and the analyst only reading.
fn assert_roles_work(staging: &TestDb, app: &TestRole, analyst: &TestRole) {
    assert_eq!(
        as_role(staging, app, "SHOW search_path").as_deref(),
        Ok("app, public")
    );
    assert_eq!(
        as_role(staging, app, "SHOW statement_timeout").as_deref(),
        Ok("7s")
    );
    assert_eq!(as_role(staging, app, "SHOW work_mem").as_deref(), Ok("8MB"));
    as_role(
        staging,
        app,
        "INSERT INTO things (name) VALUES ('washer'); UPDATE things SET name = upper(name); \
         INSERT INTO audit (note) VALUES ('by the app'); DELETE FROM audit WHERE note = 'x'",
    )
    .expect("the application writes");
    assert_eq!(
        as_role(staging, app, "SELECT double(21)").as_deref(),
        Ok("42")
    );
    assert!(
        as_role(staging, analyst, "SELECT count(*) FROM app.thing_names").is_ok(),
        "the analyst reads its view"
    );
    let refused = as_role(
        staging,
        analyst,
        "INSERT INTO app.things (name) VALUES ('x')",
    )
    .expect_err("the analyst may not write");
    assert!(refused.contains("permission denied"), "{refused}");
    // Column grants: the analyst reads the audit's ids and may annotate, but not read notes.
    as_role(
        staging,
        analyst,
        "SELECT count(id) FROM app.audit; UPDATE app.audit SET note = note || ''",
    )
    .expect_err("UPDATE … SET note = note reads note");
    as_role(
        staging,
        analyst,
        "SELECT count(id) FROM app.audit; UPDATE app.audit SET note = 'seen'",
    )
    .expect("the analyst reads its column and writes the other");
    let refused = as_role(staging, analyst, "SELECT note FROM app.audit")
        .expect_err("the analyst may not read notes");
    assert!(refused.contains("permission denied"), "{refused}");
    let stranger = TestRole::new("stranger", "");
    let refused = as_role(staging, &stranger, "SELECT 1").expect_err("PUBLIC may not connect");
    assert!(refused.contains("permission denied"), "{refused}");
}

#[test]
fn a_copy_by_a_non_superuser_keeps_the_grants_settings_and_defaults_of_staging() {
    let (login, app, analyst) = (
        restage_login(),
        TestRole::new("app", ""),
        TestRole::new("analyst", ""),
    );
    let source = source_owned_by(&login);
    let staging = staging_granted(&login, &app, &analyst);
    // An application session open during the copy is ended by the swap.
    let app_session = PgSession::connect(&staging.url_as(&app.name));
    let dir = work_dir();

    let copied = copy_as(&login, &source, &staging, &dir);
    copied.assert_code(0);
    drop(app_session);
    let report = copied.json();
    let privileges = &report["result"]["privileges"];
    assert_eq!(
        privileges["carried_from"].as_str(),
        Some(staging.name.as_str()),
        "{report}"
    );
    assert!(privileges.get("skipped").is_none(), "{privileges}");
    assert_eq!(
        as_role(&staging, &app, "SELECT count(*) FROM things").as_deref(),
        Ok("3")
    );
    assert_roles_work(&staging, &app, &analyst);
    // The default privileges came along: a table restage makes later is the analyst's.
    PgSession::connect(&staging.url_as(&login.name)).execute("CREATE TABLE app.later (id int)");
    assert!(as_role(&staging, &analyst, "SELECT count(*) FROM app.later").is_ok());

    // And again: the new staging hands on what it was given.
    copy_as(&login, &source, &staging, &dir).assert_code(0);
    assert_roles_work(&staging, &app, &analyst);
}

#[test]
fn declared_grants_and_owner_are_given_and_an_owner_restage_cannot_become_stops_the_swap() {
    let (login, app, reader) = (
        restage_login(),
        TestRole::new("app", ""),
        TestRole::new("reader", ""),
    );
    let source = source_owned_by(&login);
    let mut staging = TestDb::new().owned_by(&login);
    staging.disconnect();
    let dir = work_dir();
    std::fs::write(
        dir.path().join("restage.toml"),
        format!(
            "[staging]\nowner = \"{}\"\ngrants = {{ \"{}\" = \"read-only\" }}\n",
            app.name, reader.name
        ),
    )
    .expect("write restage.toml");

    // restage's login is not a member of the application role: it cannot give it staging.
    let refused = copy_as(&login, &source, &staging, &dir);
    refused.assert_code(4);
    refused.assert_stderr_contains(&format!("GRANT \"{}\" TO \"{}\"", app.name, login.name));
    refused.assert_stderr_contains("staging was not replaced");
    let mut admin = PgSession::connect(&crate::support::pg_admin_url());
    assert_eq!(
        admin.scalar(&format!(
            "SELECT count(*) FROM pg_database WHERE datname LIKE '{}%'",
            staging.name
        )),
        "1",
        "staging is as it was, and nothing beside it is left"
    );

    admin.execute(&format!("GRANT \"{}\" TO \"{}\"", app.name, login.name));
    copy_as(&login, &source, &staging, &dir).assert_code(0);
    assert_eq!(
        admin.scalar(&format!(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{}'",
            staging.name
        )),
        app.name
    );
    as_role(
        &staging,
        &app,
        "ALTER TABLE app.things ADD COLUMN colour text; INSERT INTO app.things (name) VALUES ('x')",
    )
    .expect("the owner changes the schema and writes");
    assert_eq!(
        as_role(&staging, &reader, "SELECT count(*) FROM app.things").as_deref(),
        Ok("4")
    );
    let refused = as_role(&staging, &reader, "DELETE FROM app.things").expect_err("read-only");
    assert!(refused.contains("permission denied"), "{refused}");
}

#[test]
fn a_reset_by_a_non_superuser_gives_the_application_role_back_its_grants() {
    let (login, app, analyst) = (
        restage_login(),
        TestRole::new("app", ""),
        TestRole::new("analyst", ""),
    );
    let staging = TestDb::new().owned_by(&login);
    let dir = work_dir();
    let reset = || {
        run(restage(dir.path())
            .args(["reset", "--yes", "--json", "--staging-url"])
            .arg(staging.url_as(&login.name)))
    };
    reset().assert_code(0);
    PgSession::connect(&staging.url_as(&login.name)).execute(&format!(
        "GRANT USAGE ON SCHEMA public TO \"{app}\", \"{analyst}\";
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"{app}\";
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \"{app}\";
         GRANT SELECT ON roles TO \"{analyst}\";",
        app = app.name,
        analyst = analyst.name
    ));

    let again = reset();
    again.assert_code(0);
    assert!(
        again.json()["privileges"]["statements"].as_u64() > Some(0),
        "{}",
        again.stdout
    );
    as_role(
        &staging,
        &app,
        "INSERT INTO item_types (code, name) VALUES ('desk', 'Desk'); \
         UPDATE item_types SET name = 'Desks' WHERE code = 'desk'",
    )
    .expect("the application writes after the reset");
    assert_eq!(
        as_role(&staging, &analyst, "SELECT count(*) > 0 FROM roles").as_deref(),
        Ok("t")
    );
    assert!(as_role(&staging, &analyst, "SELECT count(*) FROM users").is_err());
}

#[test]
fn a_reset_with_a_migration_command_gives_the_new_database_the_declared_grants() {
    let (login, app) = (restage_login(), TestRole::new("app", ""));
    let mut staging = TestDb::new().owned_by(&login);
    staging.disconnect();
    let dir = work_dir();
    std::fs::write(
        dir.path().join("restage.toml"),
        format!(
            "[staging]\nmigrate = {{ command = \"psql -X -q -v ON_ERROR_STOP=1 -d \\\"$DATABASE_URL\\\" -c 'CREATE TABLE notes (id serial PRIMARY KEY, body text)'\" }}\n\
             grants = {{ \"{}\" = \"read-write\" }}\n[schema]\nseeders = []\n",
            app.name
        ),
    )
    .expect("write restage.toml");
    run(restage(dir.path())
        .args(["reset", "--yes", "--staging-url"])
        .arg(staging.url_as(&login.name)))
    .assert_code(0);
    as_role(
        &staging,
        &app,
        "INSERT INTO notes (body) VALUES ('hello'); UPDATE notes SET body = 'hi'",
    )
    .expect("the declared role writes");
}
