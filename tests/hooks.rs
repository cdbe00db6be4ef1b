//! `[hooks]`: order, environment, output and report; a failing or hanging `before_swap`
//! stops the swap and leaves staging as it was; `on_failure` hears of every failure.

use crate::support::{Run, TestDb, parts_copy, parts_copy_setup, restage, run, work_dir};

/// A staging database that already holds a copy of something else.
fn staging_db() -> TestDb {
    let mut staging = TestDb::new();
    staging.execute("CREATE TABLE old_things (id int); INSERT INTO old_things VALUES (1), (2);");
    staging
}

/// A source of 25 parts, a profile keeping their labels and `hooks` under `[hooks]`.
fn configure(dir: &tempfile::TempDir, hooks: &str) -> TestDb {
    parts_copy_setup(dir, 25, &format!("[hooks]\n{hooks}\n"))
}

fn copy(dir: &tempfile::TempDir, source: &TestDb, staging: &TestDb) -> Run {
    run(&mut parts_copy(dir, source, &staging.url()))
}

/// A hook that appends its moment and environment to `hooks.log` in the work directory.
fn logging(moment: &str) -> String {
    format!(
        "{moment} = 'echo \"{moment} $RESTAGE_HOOK $RESTAGE_COMMAND $RESTAGE_STAGING_DATABASE \
         run=$RESTAGE_RUN_ID\" >> hooks.log; echo said-{moment}'\n"
    )
}

fn hook_log(dir: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_to_string(dir.path().join("hooks.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_copy_runs_its_hooks_in_order_with_the_run_in_their_environment() {
    let mut staging = staging_db();
    let dir = work_dir();
    let before_swap = "before_swap = 'test \"$(psql -X -A -t -d \"$RESTAGE_NEW_DATABASE_URL\" \
                       -c \"SELECT count(*) FROM parts\")\" = 25 && echo new-database-checked'\n";
    let source = configure(
        &dir,
        &format!(
            "{before_swap}{}{}{}",
            logging("after_swap"),
            logging("after_refresh"),
            logging("on_failure")
        ),
    );

    let copied = copy(&dir, &source, &staging);
    copied.assert_code(0);
    copied.assert_stderr_contains("[before_swap] new-database-checked");
    copied.assert_stderr_contains("[after_swap] said-after_swap");
    let log = hook_log(&dir);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log[0].starts_with(&format!("after_swap after_swap copy {} run=", staging.name)),
        "{log:?}"
    );
    assert!(
        log[1].starts_with("after_refresh after_refresh copy"),
        "{log:?}"
    );
    let report = copied.json();
    let hooks: Vec<(String, String)> = report["hooks"]
        .as_array()
        .expect("hooks in the report")
        .iter()
        .map(|hook| {
            (
                hook["hook"].as_str().unwrap_or_default().to_owned(),
                hook["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        hooks,
        [
            ("before_swap".to_owned(), "ok".to_owned()),
            ("after_swap".to_owned(), "ok".to_owned()),
            ("after_refresh".to_owned(), "ok".to_owned())
        ]
    );
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM parts"), "25");
}

#[test]
fn a_failing_before_swap_stops_the_swap_and_on_failure_hears_why() {
    let mut staging = staging_db();
    let before = staging.fingerprint();
    let dir = work_dir();
    let source = configure(
        &dir,
        &format!(
            "before_swap = 'echo scaling down failed >&2; exit 3'\n{}{}\
             on_failure = 'echo \"$RESTAGE_HOOK: $RESTAGE_ERROR\" >> hooks.log'\n",
            logging("after_swap"),
            logging("after_refresh"),
        ),
    );

    let failed = copy(&dir, &source, &staging);
    failed.assert_code(1);
    failed.assert_stderr_contains("the before_swap hook");
    failed.assert_stderr_contains("exited with status 3");
    failed.assert_stderr_contains("Staging was not replaced");
    failed.assert_stderr_contains("scaling down failed");
    let log = hook_log(&dir);
    assert!(
        log[0].starts_with("on_failure: the before_swap hook"),
        "on_failure ran: {log:?}"
    );
    assert!(
        !log.iter().any(|line| line.starts_with("after_")),
        "neither after_swap nor after_refresh ran: {log:?}"
    );
    let report = failed.json();
    assert_eq!(report["hooks"][0]["exit_code"], 3, "{report}");
    assert_eq!(report["hooks"][1]["hook"], "on_failure", "{report}");
    staging.reconnect();
    assert_eq!(staging.fingerprint(), before, "staging is as it was");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));
    assert!(!staging.database_exists(&format!("{}_restage_prev", staging.name)));
}

#[test]
fn a_before_swap_past_its_timeout_is_killed_and_a_reset_leaves_staging_alone() {
    let mut staging = TestDb::new();
    let dir = work_dir();
    run(restage(dir.path()).args(["migrate", "--staging-url", &staging.url()])).assert_code(0);
    staging
        .execute("INSERT INTO item_types (code, name) VALUES ('kept', 'Kept by the failed reset')");
    let before = staging.fingerprint();
    std::fs::write(
        dir.path().join("restage.toml"),
        "[hooks]\ntimeout = \"1s\"\nbefore_swap = \"echo waiting; sleep 60\"\n",
    )
    .expect("write restage.toml");

    let started = std::time::Instant::now();
    let failed = run(restage(dir.path()).args(["reset", "--yes", "--staging-url", &staging.url()]));
    failed.assert_code(1);
    failed.assert_stderr_contains("timed out after 1s");
    failed.assert_stderr_contains("[before_swap] waiting");
    assert!(started.elapsed().as_secs() < 30, "the hook was killed");
    assert_eq!(staging.fingerprint(), before, "staging is as it was");
}
