//! Configuration errors: each names the file, the line and the key, and nothing is touched.

use crate::support::{TestDb, restage, run, work_dir};

fn migrated_db_with_rows() -> TestDb {
    let mut db = TestDb::new();
    db.execute("CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2);");
    db
}

fn reset_with_config(db: &TestDb, config: &str) -> crate::support::Run {
    let dir = work_dir();
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    run(restage(dir.path()).args(["reset", "--yes", "--staging-url", &db.url()]))
}

#[test]
fn malformed_toml_names_file_and_line_and_touches_nothing() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    reset_with_config(
        &db,
        "[staging]\nredis_url = \"redis://127.0.0.1:6379/0\"\n[refresh\njobs = 2\n",
    )
    .assert_code(2)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains("invalid configuration in restage.toml:")
    .assert_stderr_contains("line 3: refresh: unclosed table");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn unknown_key_names_file_section_and_key_and_touches_nothing() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    reset_with_config(
        &db,
        "[production]\nregion = \"eu-west-1\"\n\n[staging]\nredis_ulr = \"redis://x\"\n",
    )
    .assert_code(2)
    .assert_stderr_contains("invalid configuration in restage.toml:")
    .assert_stderr_contains("line 5: staging.redis_ulr: unknown field `redis_ulr`");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn invalid_values_are_all_reported_with_their_keys() {
    let db = migrated_db_with_rows();
    let config =
        "[production]\nregion = \"Ireland\"\nurl = \"mysql://prod\"\n[refresh]\njobs = -1\n";
    reset_with_config(&db, config)
        .assert_code(2)
        .assert_stderr_contains("line 2: production.region: 'Ireland' is not an AWS region name")
        .assert_stderr_contains("line 3: production.url: mysql://prod is not a PostgreSQL URL")
        .assert_stderr_contains("line 5: refresh.jobs: must be between 1 and 256, not -1");
}

#[test]
fn hook_and_privilege_mistakes_are_all_reported_with_their_lines_and_touch_nothing() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    let config = "[staging]\nowner = \" \"\ngrants = { app = \"everything\" }\n\
                  [hooks]\ntimeout = \"soon\"\nbefore_swap = \"  \"\n\
                  after_swap = { command = \"true\", timeout = \"10\" }\n";
    reset_with_config(&db, config)
        .assert_code(2)
        .assert_stderr_contains("line 2: staging.owner: name the role")
        .assert_stderr_contains(
            "line 3: staging.grants.app: 'everything' for role 'app' is neither \"read-only\" nor \"read-write\"",
        )
        .assert_stderr_contains("line 5: hooks.timeout: 'soon' is not a duration")
        .assert_stderr_contains("line 6: hooks.before_swap: the command must not be empty")
        .assert_stderr_contains("line 7: hooks.after_swap: '10' has no unit");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn notify_mistakes_are_all_reported_with_their_lines_and_a_webhook_secret_is_not_shown() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    let both = "[notify]\nwebhook_url = \"ftp://hooks.example.com/s3cretPath\"\n\
                webhook_url_env = \"SLACK_WEBHOOK\"\non = \"sometimes\"\ntimeout = \"fast\"\n";
    reset_with_config(&db, both)
        .assert_code(2)
        .assert_stderr_contains(
            "line 3: notify.webhook_url_env: give either webhook_url or webhook_url_env, not both",
        )
        .assert_stderr_contains("line 4: notify.on: 'sometimes' is not one of failure, always")
        .assert_stderr_contains("line 5: notify.timeout: 'fast' is not a duration")
        .assert_no_secret("s3cretPath");
    reset_with_config(&db, "[notify]\non = \"always\"\n")
        .assert_code(2)
        .assert_stderr_contains("line 1: notify: say where to post: webhook_url_env = ");
    reset_with_config(
        &db,
        "[notify]\nwebhook_url = \"ftp://hooks.example.com/s3cretPath\"\n",
    )
    .assert_code(2)
    .assert_stderr_contains(
        "line 2: notify.webhook_url: ftp://hooks.example.com/… is not an http(s) URL",
    )
    .assert_no_secret("s3cretPath");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn every_mistake_in_the_file_is_reported_at_once_in_line_order() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    // Unknown keys at three levels, wrong types, a value check and an unknown section, in
    // an order unlike the alphabetical one the sections are read in.
    let config = "[staging]\nmaintenance_database = \"postgres\"\ncolour = \"blue\"\n\
                  [refresh]\njobs = \"four\"\nexclude_tables = [\"a\", 3]\n\
                  [hooks]\nafter_swap = { timeout = \"3m\" }\nbefore_swap = \"true\"\n\
                  [production]\nregion = \"Europe\"\nurl = 5\n\
                  [hookz]\nx = 1\n";
    let failed = reset_with_config(&db, config);
    failed.assert_code(2);
    let expected = [
        "line 3: staging.colour: unknown field `colour`",
        "line 5: refresh.jobs: a text value \"four\", expected a whole number (without quotes)",
        "line 6: refresh.exclude_tables: a number `3`, expected a text in quotes",
        "line 8: hooks.after_swap: expected a command line, or { command = \"…\", timeout = \"…\" }",
        "line 11: production.region: 'Europe' is not an AWS region name",
        "line 12: production.url: a number `5`, expected a text in quotes",
        "line 13: hookz: unknown field `hookz`",
    ];
    let mut last = 0;
    for text in expected {
        let at = failed
            .stderr
            .find(text)
            .unwrap_or_else(|| panic!("stderr lacks {text:?}:\n{}", failed.stderr));
        assert!(at > last, "{text:?} out of line order:\n{}", failed.stderr);
        last = at;
    }
    // The --json document carries them typed: file, line, key, message.
    let dir = work_dir();
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    let json =
        run(restage(dir.path()).args(["--json", "reset", "--yes", "--staging-url", &db.url()]));
    json.assert_code(2);
    let document = json.json();
    assert_eq!(document["command"], "reset", "{document}");
    let problems = document["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), expected.len(), "{document}");
    assert_eq!(problems[1]["file"], "restage.toml");
    assert_eq!(problems[1]["line"], 5);
    assert_eq!(problems[1]["key"], "refresh.jobs");
    assert!(
        problems[1]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("a text value \"four\""))
    );
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn explicit_config_file_that_does_not_exist_is_an_error() {
    let dir = work_dir();
    run(restage(dir.path()).args(["migrate", "--config", "nowhere.toml"]))
        .assert_code(2)
        .assert_stderr_contains("cannot read configuration file nowhere.toml");
}

#[test]
fn invalid_url_from_the_environment_names_the_variable() {
    let dir = work_dir();
    run(restage(dir.path())
        .arg("migrate")
        .env("STAGING_DATABASE_URL", "http://s3cr3t@example"))
    .assert_code(2)
    .assert_stderr_contains("invalid staging database URL ($STAGING_DATABASE_URL)");
}

#[test]
fn json_failure_summary_goes_to_stdout() {
    let dir = work_dir();
    let failed = run(restage(dir.path()).args(["--json", "migrate"]));
    failed.assert_code(2);
    let summary = failed.json();
    assert_eq!(summary["status"], "error");
    assert_eq!(summary["exit_code"], 2);
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|e| e.contains("no staging database configured"))
    );
}

/// Mistakes a new user makes, each answered in plain words: a number in quotes, a bare
/// database name as URL (never echoed: it could be a secret), a bad sslmode, a transformer
/// a letter away from one that exists.
#[test]
fn common_mistakes_are_answered_in_plain_words() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    reset_with_config(&db, "[refresh]\njobs = \"four\"\n")
        .assert_code(2)
        .assert_stderr_contains(
            "line 2: refresh.jobs: a text value \"four\", expected a whole number (without quotes)",
        );
    let dir = work_dir();
    let profile = dir.path().join("profile.toml");
    std::fs::write(
        &profile,
        "version = 1\n\n[tables.precious.columns]\nid = \"citty\"\n",
    )
    .expect("write profile");
    let check = |url: &str| {
        run(restage(dir.path())
            .args(["check", "--source-url", url, "--anonymizers"])
            .arg(&profile))
    };
    check("precious_db")
        .assert_code(2)
        .assert_stderr_contains(
            "the URL given is a bare word, not a PostgreSQL URL; a database name alone is not \
             enough: write postgres://user@host:5432/NAME",
        )
        .assert_no_secret("precious_db");
    check(&format!("{}?sslmode=bogus", db.url()))
        .assert_code(2)
        .assert_stderr_contains(
            "does not parse: unknown value \"bogus\" for `ssl_mode`; sslmode is one of disable",
        )
        .assert_no_secret("error with configuration");
    check(&db.url()).assert_code(2).assert_stderr_contains(
        "line 4: precious.id: unknown transformer 'citty'; did you mean 'city'?",
    );
    assert_eq!(db.fingerprint(), before);
}

/// Every failure's JSON names its command; `check`'s exit 7 lists the uncovered columns as
/// its success document would.
#[test]
fn failure_json_names_the_command_and_what_check_found() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE customers (id int PRIMARY KEY, email text);
         INSERT INTO customers SELECT g, 'c' || g || '@mail.example' FROM generate_series(1, 30) g;",
    );
    let dir = work_dir();
    let profile = dir.path().join("profile.toml");
    std::fs::write(&profile, "version = 1\n").expect("write profile");
    let failed = run(restage(dir.path())
        .args([
            "check",
            "--json",
            "--source-url",
            &source.url(),
            "--anonymizers",
        ])
        .arg(&profile));
    failed.assert_code(7);
    let report = failed.json();
    assert_eq!(report["command"], "check", "{report}");
    assert_eq!(report["status"], "error");
    let uncovered = report["uncovered"].as_array().expect("uncovered");
    assert_eq!(uncovered.len(), 1, "{report}");
    assert!(
        uncovered[0]
            .as_str()
            .is_some_and(|finding| finding.contains("customers.email")),
        "{report}"
    );
    let bad_url = run(restage(dir.path()).args(["status", "--json", "--staging-url", "mydb"]));
    assert_eq!(bad_url.json()["command"], "status");
}

/// Durations take their unit in words too; an unknown unit is named as such.
#[test]
fn durations_take_units_in_words() {
    let mut db = migrated_db_with_rows();
    let before = db.fingerprint();
    reset_with_config(&db, "[rds]\npoll_interval = \"5 fortnights\"\n")
        .assert_code(2)
        .assert_stderr_contains("'fortnights' is not a unit restage knows");
    let dir = work_dir();
    std::fs::write(
        dir.path().join("restage.toml"),
        "[rds]\npoll_interval = \"5 minutes\"\nrestore_timeout = \"2 hours\"\n",
    )
    .expect("write restage.toml");
    run(restage(dir.path()).args(["anonymizers", "list"])).assert_code(0);
    assert_eq!(db.fingerprint(), before);
}
