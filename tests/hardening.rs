//! Hardening: production and the source are recognised by the identity of the server
//! whatever their host is called; nothing from a profile can write to the source; hooks and
//! the migration command see no secret and print none; two configurations share one lock;
//! roles' timeouts do not cut a copy short; e-mails fit narrow columns or are refused.

use std::net::ToSocketAddrs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::webhook::{WEBHOOK_TOKEN, Webhook};
use crate::support::{
    KEY, PgSession, Run, TestDb, TestRole, parts_copy, parts_copy_setup, pg_admin_url, restage,
    run, work_dir,
};

/// Other names of the server of `url` (which names 127.0.0.1): the machine's host name when
/// it resolves to loopback, `127.1`, `2130706433`, `localhost.` and `[::ffff:127.0.0.1]`.
fn aliases(url: &str) -> Vec<String> {
    assert!(
        url.contains("@127.0.0.1:"),
        "the test server is reached as 127.0.0.1: {url}"
    );
    let mut hosts = vec!["127.1", "2130706433", "localhost.", "[::ffff:127.0.0.1]"]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    match local_host_name() {
        Some(name) => hosts.insert(0, name),
        None => {
            crate::support::say_skipped("the host-name alias: this machine's name is not loopback")
        }
    }
    // sslmode=disable: without it, TLS refuses `127.1` as a server name before connecting,
    // and the alias would be harmless for a reason that is not restage's.
    hosts
        .iter()
        .map(|host| {
            let alias = url.replacen("@127.0.0.1:", &format!("@{host}:"), 1);
            let separator = if alias.contains('?') { '&' } else { '?' };
            format!("{alias}{separator}sslmode=disable")
        })
        .collect()
}

/// This machine's host name, when it resolves to loopback only (as `vm` here).
fn local_host_name() -> Option<String> {
    let name = std::fs::read_to_string("/etc/hostname")
        .ok()?
        .trim()
        .to_owned();
    let mut addresses = (name.as_str(), 5432).to_socket_addrs().ok()?.peekable();
    addresses.peek()?;
    addresses
        .all(|address| address.ip().is_loopback())
        .then_some(name)
}

/// A database that plays production: a table whose rows must survive everything.
fn production_db() -> TestDb {
    let mut production = TestDb::new();
    production.execute(
        "CREATE TABLE precious (id int PRIMARY KEY, note text);
         INSERT INTO precious SELECT g, 'row ' || g FROM generate_series(1, 5) g;",
    );
    production
}

#[test]
fn the_source_under_another_name_is_refused_as_the_copy_target() {
    let dir = work_dir();
    let mut source = parts_copy_setup(&dir, 10, "");
    let before = source.fingerprint();
    for alias in aliases(&source.url()) {
        let copied = run(&mut parts_copy(&dir, &source, &alias));
        copied.assert_code(3).assert_clean_failure(KEY);
        assert!(
            copied.stderr.contains("the source database"),
            "{alias}: {}",
            copied.stderr
        );
    }
    assert_eq!(source.fingerprint(), before);
    let previous = format!("{}_restage_prev", source.name);
    assert!(!source.database_exists(&previous));
}

#[test]
fn every_alias_of_production_is_refused_by_copy_seed_reset_and_refresh() {
    let dir = work_dir();
    let parts = parts_copy_setup(&dir, 5, "");
    let mut production = production_db();
    let before = production.fingerprint();
    // Once as production's configured URL with the staging URL an alias, once the other way.
    for alias in aliases(&production.url()) {
        for (configured, staging) in [(production.url(), alias.clone()), (alias, production.url())]
        {
            std::fs::write(
                dir.path().join("restage.toml"),
                format!("[production]\nurl = \"{configured}\"\n"),
            )
            .expect("write restage.toml");
            let commands: [&[&str]; 4] = [
                &["copy", "--yes", "--anonymizers", "profile.toml"],
                &["seed"],
                &["reset", "--yes"],
                &["refresh", "--yes", "--anonymizers", "profile.toml"],
            ];
            for args in commands {
                let mut command = restage(dir.path());
                command
                    .args(args)
                    .args(["--staging-url", &staging])
                    .env("RESTAGE_ANONYMIZE_KEY", KEY)
                    .env("SOURCE_DATABASE_URL", parts.url());
                let refused = run(&mut command);
                refused.assert_code(3);
                assert!(
                    refused.stderr.contains("production"),
                    "{args:?} into {staging} with [production] url = {configured}: {}",
                    refused.stderr
                );
            }
        }
    }
    assert_eq!(production.fingerprint(), before);
    for suffix in ["_restage_prev", "_restage_next"] {
        let beside = format!("{}{suffix}", production.name);
        assert!(!production.database_exists(&beside), "{beside} exists");
    }
}

#[test]
fn production_that_cannot_be_reached_is_compared_by_its_addresses() {
    let dir = work_dir();
    let parts = parts_copy_setup(&dir, 5, "");
    let mut production = production_db();
    let before = production.fingerprint();
    // restage cannot log in as this role: production's identity stays unknown.
    let unreachable =
        production
            .url_as("restage_no_such_role")
            .replacen("@127.0.0.1:", "@127.1:", 1);
    std::fs::write(
        dir.path().join("restage.toml"),
        format!("[production]\nurl = \"{unreachable}\"\n"),
    )
    .expect("write restage.toml");
    let refused = run(&mut parts_copy(&dir, &parts, &production.url()));
    refused
        .assert_code(3)
        .assert_stderr_contains("could not be reached to compare server identities")
        .assert_stderr_contains("resolve to 127.0.0.1");
    assert_eq!(production.fingerprint(), before);
    // Another database of that server is not production.
    let staging = TestDb::new();
    run(&mut parts_copy(&dir, &parts, &staging.url())).assert_code(0);
}

/// A source of parts with a table `keepme`, a function that writes to it (`writer()`), a view
/// that calls it (`sneaky`, where the filter's text does not show the call), and dblink when
/// the server has it.
fn source_with_keepme(dir: &tempfile::TempDir) -> TestDb {
    let mut source = parts_copy_setup(dir, 5, "");
    source.execute(
        "CREATE TABLE keepme (id int); INSERT INTO keepme VALUES (1);
         CREATE FUNCTION writer() RETURNS boolean LANGUAGE sql VOLATILE
             AS 'INSERT INTO keepme VALUES (2) RETURNING true';
         CREATE VIEW sneaky AS SELECT writer() AS wrote;",
    );
    let dblink =
        source.scalar("SELECT count(*) FROM pg_available_extensions WHERE name = 'dblink'");
    if dblink == "1" {
        source.execute("CREATE EXTENSION IF NOT EXISTS dblink");
    } else {
        crate::support::say_skipped("the dblink filter: the server has no dblink extension");
    }
    source
}

#[test]
fn no_profile_filter_can_write_to_the_source() {
    let dir = work_dir();
    let mut source = source_with_keepme(&dir);
    let before = source.fingerprint();
    let staging = TestDb::new();
    let dblink = format!(
        "dblink_exec('dbname={}', 'DROP TABLE keepme') IS NOT NULL",
        source.name
    );
    let tricks = [
        "true; COMMIT; DROP TABLE keepme; --",
        "true; INSERT INTO keepme VALUES (9); --",
        "true) TO STDOUT; DROP TABLE keepme; COPY (SELECT 1",
        "true /* */; DROP TABLE keepme",
        "set_config('default_transaction_read_only', 'off', false) = 'off' AND writer()",
        "writer()",
        "\"writer\"()",
        "public.writer() OR true",
        "id IN (SELECT 1 FROM keepme WHERE writer())",
        &dblink,
    ];
    for trick in tricks {
        if trick.contains("dblink")
            && source.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'dblink'") == "0"
        {
            continue;
        }
        let profile = format!(
            "version = 1\n[tables.parts]\nwhere = {}\n[tables.parts.columns]\nlabel = \"keep\"\n",
            toml_string(trick)
        );
        std::fs::write(dir.path().join("profile.toml"), profile).expect("write profile");
        for args in [
            &["check", "--anonymizers", "profile.toml"][..],
            &["copy", "--dry-run", "--anonymizers", "profile.toml"],
        ] {
            let refused = restage_with_profile(dir.path(), args, &source.url(), &staging.url());
            refused.assert_code(2);
            assert!(
                refused.stderr.contains("tables.parts.where"),
                "{trick}: {}",
                refused.stderr
            );
            assert_eq!(
                source.fingerprint(),
                before,
                "{args:?} with where = {trick}"
            );
        }
    }
    // A writer the filter's text does not show passes the checks, and then cannot write:
    // the source's sessions are read-only.
    std::fs::write(
        dir.path().join("profile.toml"),
        "version = 1\n[tables.parts]\nwhere = \"EXISTS (SELECT 1 FROM sneaky)\"\n[tables.parts.columns]\nlabel = \"keep\"\n",
    )
    .expect("write profile");
    let failed = run(&mut parts_copy(&dir, &source, &staging.url()));
    assert_ne!(failed.code, Some(0), "{}", failed.stderr);
    failed.assert_stderr_contains("read-only transaction");
    assert_eq!(source.fingerprint(), before);
    // A filter that only reads still works, comments and all.
    std::fs::write(
        dir.path().join("profile.toml"),
        "version = 1\n[tables.parts]\nwhere = \"id > 2 -- the recent ones\"\n\
         [tables.parts.columns]\nlabel = \"keep\"\n",
    )
    .expect("write profile");
    let mut staging = TestDb::new();
    staging.disconnect();
    run(&mut parts_copy(&dir, &source, &staging.url())).assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM parts"), "3");
}

/// `restage ARGS --source-url SOURCE --staging-url STAGING` in `dir`, with the key.
fn restage_with_profile(dir: &Path, args: &[&str], source: &str, staging: &str) -> Run {
    run(restage(dir)
        .args(args)
        .args(["--source-url", source, "--staging-url", staging])
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Secrets as a scheduler hands them to restage, each of which a child must never see.
struct Secrets {
    source_password: &'static str,
    redis_password: &'static str,
    aws_secret: &'static str,
    aws_token: &'static str,
}

const SECRETS: Secrets = Secrets {
    source_password: "s0urce-pa55word-ZQ",
    redis_password: "r3dis-pa55word-XK",
    aws_secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    aws_token: "FwoGZXIvYXdzEXAMPLEsessiontoken0123",
};

impl Secrets {
    fn all(&self) -> Vec<&'static str> {
        vec![
            self.source_password,
            self.redis_password,
            self.aws_secret,
            self.aws_token,
            KEY,
            WEBHOOK_TOKEN,
        ]
    }

    /// Sets them in the environment of `command`, as a scheduler does.
    fn export(&self, command: &mut Command, source: &TestDb, webhook: &Webhook) {
        command
            .env(
                "SOURCE_DATABASE_URL",
                source.url_with_password(self.source_password),
            )
            .env(
                "STAGING_REDIS_URL",
                format!("redis://:{}@127.0.0.1:1/0", self.redis_password),
            )
            .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", self.aws_secret)
            .env("AWS_SESSION_TOKEN", self.aws_token)
            .env("RESTAGE_WEBHOOK", &webhook.url)
            .env("RESTAGE_ANONYMIZE_KEY", KEY)
            .env("MY_APP_SETTING", "passed on");
    }
}

/// `restage copy --json` of the source of `SOURCE_DATABASE_URL` into `staging`, with every
/// secret in its environment.
fn copy_with_secrets(dir: &Path, source: &TestDb, staging: &TestDb, webhook: &Webhook) -> Command {
    let mut command = restage(dir);
    command
        .args(["copy", "--yes", "--json", "--anonymizers", "profile.toml"])
        .args(["--staging-url", &staging.url()]);
    SECRETS.export(&mut command, source, webhook);
    command
}

fn assert_sees_no_secret(what: &str, text: &str) {
    for secret in SECRETS.all() {
        assert!(!text.contains(secret), "{what} holds {secret:?}:\n{text}");
    }
}

#[test]
fn hooks_and_the_migration_command_see_no_secret() {
    let dir = work_dir();
    let webhook = Webhook::start();
    let source = parts_copy_setup(
        &dir,
        5,
        "[hooks]\npass_env = [\"MY_APP_SETTING\"]\n\
         before_swap = 'env > before_swap.env'\n\
         [notify]\nwebhook_url_env = \"RESTAGE_WEBHOOK\"\non = \"always\"\n",
    );
    let staging = TestDb::new();
    let mut command = copy_with_secrets(dir.path(), &source, &staging, &webhook);
    run(&mut command).assert_code(0);
    let seen = std::fs::read_to_string(dir.path().join("before_swap.env")).expect("env dump");
    assert_sees_no_secret("before_swap's environment", &seen);
    assert!(seen.contains("MY_APP_SETTING=passed on"), "{seen}");
    assert!(seen.contains("RESTAGE_NEW_DATABASE_URL="), "{seen}");
    assert!(seen.contains("PATH="), "{seen}");
    webhook.one_body();

    // The migration command of a reset.
    let reset_dir = work_dir();
    std::fs::write(
        reset_dir.path().join("restage.toml"),
        "[staging.migrate]\ncommand = 'env > migrate.env && psql -X -q -d \"$DATABASE_URL\" \
         -c \"CREATE TABLE app (id int)\"'\n[schema]\nseeders = []\n",
    )
    .expect("write restage.toml");
    let mut command = restage(reset_dir.path());
    command.args(["reset", "--yes", "--staging-url", &staging.url()]);
    SECRETS.export(&mut command, &source, &webhook);
    command.env_remove("STAGING_REDIS_URL");
    run(&mut command).assert_code(0);
    let seen = std::fs::read_to_string(reset_dir.path().join("migrate.env")).expect("env dump");
    assert_sees_no_secret("the migration command's environment", &seen);
    assert!(seen.contains("DATABASE_URL="), "{seen}");
    assert!(!seen.contains("MY_APP_SETTING"), "not passed on: {seen}");
}

#[test]
fn a_failing_hook_that_prints_every_secret_leaks_none() {
    let dir = work_dir();
    let webhook = Webhook::start();
    let encoded_key = KEY.replace(' ', "%20");
    let echo_all = format!(
        "echo {} {} {} {} \\\"{KEY}\\\" {encoded_key} {WEBHOOK_TOKEN}; exit 3",
        SECRETS.source_password, SECRETS.redis_password, SECRETS.aws_secret, SECRETS.aws_token
    );
    let source = parts_copy_setup(
        &dir,
        5,
        &format!(
            "[hooks]\nbefore_swap = {}\n[notify]\nwebhook_url_env = \"RESTAGE_WEBHOOK\"\n",
            toml_string(&echo_all)
        ),
    );
    let staging = TestDb::new();
    let mut command = copy_with_secrets(dir.path(), &source, &staging, &webhook);
    let failed = run(&mut command);
    failed
        .assert_code(1)
        .assert_stderr_contains("[before_swap] ***");
    assert_sees_no_secret("stderr", &failed.stderr);
    assert_sees_no_secret("the JSON report", &failed.stdout);
    assert!(
        failed.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("***"))
    );
    assert_sees_no_secret("the webhook's body", &webhook.one_body().to_string());
}

/// Waits until `path` exists.
fn wait_for_file(path: &Path, limit: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `before_swap` hook that says it started and waits until the test lets it go on.
const HELD_BEFORE_SWAP: &str =
    "[hooks]\nbefore_swap = 'touch held; while [ ! -e go ]; do sleep 0.1; done'\n";

#[test]
fn two_configurations_with_different_maintenance_databases_share_the_lock() {
    let dir = work_dir();
    let first = TestDb::new();
    let second = TestDb::new();
    let source = parts_copy_setup(
        &dir,
        5,
        &format!(
            "{HELD_BEFORE_SWAP}[staging]\nmaintenance_database = \"{}\"\n",
            first.name
        ),
    );
    let staging = TestDb::new();
    let mut holder = parts_copy(&dir, &source, &staging.url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the first copy");
    wait_for_file(&dir.path().join("held"), Duration::from_secs(60));

    let other = work_dir();
    std::fs::write(
        other.path().join("restage.toml"),
        format!("[staging]\nmaintenance_database = \"{}\"\n", second.name),
    )
    .expect("write restage.toml");
    let refused = run(restage(other.path()).args(["seed", "--staging-url", &staging.url()]));
    refused
        .assert_code(3)
        .assert_stderr_contains("another restage command is already working")
        .assert_stderr_contains("restage copy");

    std::fs::write(dir.path().join("go"), "").expect("let the hook go");
    let status = holder.wait().expect("the first copy ends");
    assert!(status.success());
}

#[test]
fn roles_statement_and_idle_timeouts_do_not_cut_a_copy_short() {
    let dir = work_dir();
    let role = TestRole::new("restage_hurried", "CREATEDB");
    PgSession::connect(&pg_admin_url()).execute(&format!(
        "ALTER ROLE \"{0}\" SET statement_timeout = '300ms';
         ALTER ROLE \"{0}\" SET idle_in_transaction_session_timeout = '300ms'",
        role.name
    ));
    let mut source = parts_copy_setup(&dir, 10, "");
    // Half a second per row: the COPY out (and so the COPY in) lasts 5 s.
    source.execute(&format!(
        "CREATE FUNCTION slow_row(id int) RETURNS boolean LANGUAGE sql STABLE
             AS 'SELECT pg_sleep(0.5) IS NOT NULL AND id IS NOT NULL';
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{0}\";
         GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO \"{0}\";",
        role.name
    ));
    std::fs::write(
        dir.path().join("profile.toml"),
        "version = 1\n[tables.parts]\nwhere = \"slow_row(id)\"\n[tables.parts.columns]\nlabel = \"keep\"\n",
    )
    .expect("write profile");
    let mut staging = TestDb::new().owned_by(&role);
    staging.disconnect();
    let (source_url, staging_url) = (source.url_as(&role.name), staging.url_as(&role.name));
    let copy = ["copy", "--yes", "--anonymizers", "profile.toml"];
    let copied = restage_with_profile(dir.path(), &copy, &source_url, &staging_url);
    copied.assert_code(0);

    // restage's own limit, when set, fires and says which setting it is.
    std::fs::write(
        dir.path().join("restage.toml"),
        "[session]\nstatement_timeout = \"1s\"\n",
    )
    .expect("write restage.toml");
    let failed = restage_with_profile(dir.path(), &copy, &source_url, &staging_url);
    failed
        .assert_code(4)
        .assert_stderr_contains("statement_timeout")
        .assert_stderr_contains("[session] statement_timeout");
}

#[test]
fn emails_in_a_narrow_column_keep_their_at_and_domain_or_are_refused() {
    let dir = work_dir();
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE contacts (id int PRIMARY KEY, email varchar(16), login varchar(20) UNIQUE);
         INSERT INTO contacts SELECT g, 'p' || g || '@corp.example', 'u' || g || '@corp.example'
         FROM generate_series(1, 50) g;",
    );
    let profile = |login_rule: &str| {
        format!("version = 1\n[tables.contacts.columns]\nemail = \"email\"\nlogin = {login_rule}\n")
    };
    std::fs::write(dir.path().join("profile.toml"), profile("\"email\"")).expect("profile");
    let refused = run(restage(dir.path())
        .args(["check", "--anonymizers", "profile.toml"])
        .args(["--source-url", &source.url()])
        .env("RESTAGE_ANONYMIZE_KEY", KEY));
    refused
        .assert_code(2)
        .assert_stderr_contains("login")
        .assert_stderr_contains("at most 20 characters")
        .assert_stderr_contains("domain of at most 6 characters");

    std::fs::write(
        dir.path().join("profile.toml"),
        profile("{ transform = \"email\", domain = \"x.io\" }"),
    )
    .expect("profile");
    let mut staging = TestDb::new();
    staging.disconnect();
    let copy = ["copy", "--yes", "--anonymizers", "profile.toml"];
    let copied = restage_with_profile(dir.path(), &copy, &source.url(), &staging.url());
    copied.assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM contacts WHERE email LIKE '_%@example.com' \
             AND login LIKE '_%@x.io'"
        ),
        "50"
    );
}

#[test]
fn a_row_larger_than_every_buffer_arrives_whole_in_text_binary_and_piped_copies() {
    let dir = work_dir();
    let mut source = TestDb::new();
    // 12 MB values with tabs, newlines and backslashes, each in a table that travels another
    // way: binary with a rule (documents), text with a rule that reads another column
    // (letters), piped without rules (blobs); small rows after the large one.
    let large = "repeat(E'a line\\tof a long\\\\document\\n', 500000)";
    source.execute(&format!(
        "CREATE TABLE documents (id int PRIMARY KEY, body text, email text);
         CREATE TABLE letters (id int PRIMARY KEY, body text, code text);
         CREATE TABLE blobs (id int PRIMARY KEY, payload bytea);
         INSERT INTO documents SELECT g, CASE g WHEN 1 THEN {large} ELSE 'short' END,
             'p' || g || '@corp.example' FROM generate_series(1, 50) g;
         INSERT INTO letters SELECT g, CASE g WHEN 2 THEN {large} ELSE 'short' END, 'x'
             FROM generate_series(1, 50) g;
         INSERT INTO blobs SELECT g, CASE g WHEN 3 THEN convert_to({large}, 'UTF8') ELSE '\\x00' END
             FROM generate_series(1, 50) g;"
    ));
    std::fs::write(
        dir.path().join("profile.toml"),
        "version = 1\n\
         [tables.documents.columns]\nbody = \"keep\"\nemail = \"email\"\n\
         [tables.letters.columns]\nbody = \"keep\"\ncode = { transform = \"template\", template = \"c-{id}\" }\n",
    )
    .expect("write profile");
    let digest = "SELECT (SELECT md5(string_agg(id || ':' || md5(body), ',' ORDER BY id)) FROM documents)
                      || (SELECT md5(string_agg(id || ':' || md5(body), ',' ORDER BY id)) FROM letters)
                      || (SELECT md5(string_agg(id || ':' || md5(payload), ',' ORDER BY id)) FROM blobs)";
    let expected = source.scalar(digest);
    let mut staging = TestDb::new();
    staging.disconnect();
    let copy = [
        "copy",
        "--yes",
        "--anonymizers",
        "profile.toml",
        "--jobs",
        "2",
    ];
    restage_with_profile(dir.path(), &copy, &source.url(), &staging.url()).assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar(digest), expected);
    assert_eq!(
        staging.scalar("SELECT count(*) FROM documents WHERE email LIKE '%@corp.example'"),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT string_agg(code, ',' ORDER BY id) FROM letters WHERE id < 4"),
        "c-1,c-2,c-3"
    );
}

#[test]
fn every_source_connection_honours_the_urls_tls_settings() {
    let mut admin = PgSession::connect(&pg_admin_url());
    let certificate = admin.scalar("SELECT setting FROM pg_settings WHERE name = 'ssl_cert_file'");
    let ssl = admin.scalar("SELECT current_setting('ssl')");
    if ssl != "on" || std::fs::read(&certificate).is_err() {
        crate::support::say_skipped(
            "it: the test server has no TLS certificate this test can read",
        );
        return;
    }
    let dir = work_dir();
    let source = parts_copy_setup(&dir, 10, "");
    let through_localhost = |query: &str| {
        let url = source.url().replacen("@127.0.0.1:", "@localhost:", 1);
        format!("{url}?{query}")
    };
    for query in [
        "sslmode=require".to_owned(),
        format!("sslmode=verify-ca&sslrootcert={certificate}"),
    ] {
        let staging = TestDb::new();
        let mut command = restage(dir.path());
        command
            .args(["copy", "--yes", "--anonymizers", "profile.toml"])
            .args(["--source-url", &through_localhost(&query)])
            .args(["--staging-url", &staging.url()])
            .env("RESTAGE_ANONYMIZE_KEY", KEY);
        run(&mut command).assert_code(0);
    }
    // A root that did not sign the server's certificate fails the connection.
    let staging = TestDb::new();
    let mut command = restage(dir.path());
    command
        .args(["copy", "--yes", "--anonymizers", "profile.toml"])
        .args(["--source-url", &through_localhost("sslmode=verify-ca")])
        .args(["--staging-url", &staging.url()])
        .env("RESTAGE_ANONYMIZE_KEY", KEY);
    run(&mut command)
        .assert_code(4)
        .assert_stderr_contains("certificate");
}
