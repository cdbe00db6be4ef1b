//! `[notify]`: a copy's or reset's summary reaches a webhook on loopback — on failure, or
//! always — with the expected fields and nothing secret; a webhook URL missing from the
//! environment stops the run before it starts; an unreachable webhook does not fail a run.

use std::net::TcpListener;

use crate::support::webhook::{WEBHOOK_TOKEN, Webhook};
use crate::support::{
    KEY, PgSession, Run, TestDb, parts_copy, parts_copy_setup, pg_admin_url, restage, run, work_dir,
};

/// The staging login's password (trust authentication accepts any).
const STAGING_PASSWORD: &str = "stagingPassw0rdThatMustNotLeak";

/// A source of 40 parts, a profile keeping their labels, and `[notify]` (and `extra`
/// sections) in `restage.toml`.
fn configure(dir: &tempfile::TempDir, notify: &str, extra: &str) -> TestDb {
    parts_copy_setup(dir, 40, &format!("[notify]\n{notify}\n{extra}"))
}

fn copy(dir: &tempfile::TempDir, source: &TestDb, staging: &TestDb, webhook: &str) -> Run {
    run(
        parts_copy(dir, source, &staging.url_with_password(STAGING_PASSWORD))
            .env("RESTAGE_TEST_WEBHOOK", webhook),
    )
}

/// The report of `run` says the webhook was told (`sent to …`) or not (`failed: …`).
fn assert_notified(run: &Run, outcome: &str) {
    assert!(
        run.json()["notification"]
            .as_str()
            .is_some_and(|notification| notification.starts_with(outcome)),
        "{}",
        run.stdout
    );
}

fn assert_nothing_secret(body: &serde_json::Value) {
    let text = body.to_string();
    for secret in [WEBHOOK_TOKEN, STAGING_PASSWORD, KEY] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
}

#[test]
fn a_failed_copy_posts_its_failure_with_the_phase_hooks_and_error_and_no_secret() {
    let mut staging = TestDb::new();
    let before = staging.fingerprint();
    let webhook = Webhook::start();
    let dir = work_dir();
    let source = configure(
        &dir,
        "webhook_url_env = \"RESTAGE_TEST_WEBHOOK\"",
        "[hooks]\nbefore_swap = 'echo the API did not scale down >&2; exit 4'\n",
    );

    let failed = copy(&dir, &source, &staging, &webhook.url);
    failed.assert_code(1).assert_no_secret(WEBHOOK_TOKEN);
    assert_notified(&failed, "sent to http://127.0.0.1:");

    let body = webhook.one_body();
    assert_nothing_secret(&body);
    let text = body["text"].as_str().expect("Slack's text field");
    assert!(
        text.starts_with(&format!("restage copy FAILED on staging {}", staging.name)),
        "{text}"
    );
    assert!(text.contains("error: the before_swap hook"), "{text}");
    assert!(
        text.contains("hooks: before_swap exited with status 4"),
        "{text}"
    );
    let summary = &body["restage"];
    assert_eq!(summary["command"], "copy", "{body}");
    assert_eq!(summary["status"], "error", "{body}");
    assert_eq!(summary["exit_code"], 1, "{body}");
    assert_eq!(summary["database"], staging.name.as_str(), "{body}");
    assert!(
        summary["staging"]
            .as_str()
            .expect("staging")
            .contains(":***@"),
        "{body}"
    );
    assert!(
        summary["run_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    staging.reconnect();
    assert_eq!(staging.fingerprint(), before, "staging is as it was");
}

#[test]
fn a_copy_that_succeeds_is_posted_only_when_on_says_always() {
    let mut staging = TestDb::new();
    let webhook = Webhook::start();
    let dir = work_dir();

    let source = configure(&dir, "webhook_url_env = \"RESTAGE_TEST_WEBHOOK\"", "");
    let quiet = copy(&dir, &source, &staging, &webhook.url);
    quiet.assert_code(0);
    webhook.assert_not_called();
    assert!(
        quiet.json().get("notification").is_none(),
        "{}",
        quiet.stdout
    );

    std::fs::write(
        dir.path().join("restage.toml"),
        "[notify]\nwebhook_url_env = \"RESTAGE_TEST_WEBHOOK\"\non = \"always\"\ntimeout = \"5s\"\n",
    )
    .expect("write restage.toml");
    let told = copy(&dir, &source, &staging, &webhook.url);
    told.assert_code(0);
    assert_notified(&told, "sent to ");
    let body = webhook.one_body();
    assert_nothing_secret(&body);
    let summary = &body["restage"];
    assert_eq!(summary["status"], "ok", "{body}");
    assert_eq!(summary["rows"], 40, "{body}");
    let phases: Vec<&str> = summary["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .filter_map(|phase| phase["phase"].as_str())
        .collect();
    assert!(
        phases.contains(&"data") && phases.contains(&"verify"),
        "{phases:?}"
    );
    assert!(summary["seconds"].as_f64().is_some(), "{body}");
    assert!(summary.get("error").is_none(), "{body}");
    let text = body["text"].as_str().expect("text");
    assert!(
        text.starts_with(&format!(
            "restage copy succeeded on staging {}",
            staging.name
        )) && text.contains(", 40 rows")
            && text.contains("phases: plan "),
        "{text}"
    );
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM parts"), "40");
}

#[test]
fn a_missing_webhook_variable_stops_the_run_first_and_an_unreachable_webhook_only_warns() {
    let mut staging = TestDb::new();
    staging.execute("CREATE TABLE old_things (id int)");
    let before = staging.fingerprint();
    let dir = work_dir();
    let source = configure(
        &dir,
        "webhook_url_env = \"RESTAGE_TEST_WEBHOOK\"\non = \"always\"",
        "",
    );

    let missing = copy(&dir, &source, &staging, "");
    missing.assert_code(2);
    missing.assert_stderr_contains("$RESTAGE_TEST_WEBHOOK is not set");
    staging.reconnect();
    assert_eq!(staging.fingerprint(), before, "nothing was copied");

    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let unreachable = format!(
        "http://{}/services/{WEBHOOK_TOKEN}",
        closed.local_addr().expect("address")
    );
    drop(closed);
    let copied = copy(&dir, &source, &staging, &unreachable);
    copied.assert_code(0).assert_no_secret(WEBHOOK_TOKEN);
    copied.assert_stderr_contains("the [notify] webhook was not told how the run ended");
    assert_notified(&copied, "failed: http://127.0.0.1:");
    copied.assert_stderr_contains("http://127.0.0.1:");
}

#[test]
fn a_run_that_cannot_start_is_announced_but_runs_no_hook() {
    let mut staging = TestDb::new();
    let before = staging.fingerprint();
    let webhook = Webhook::start();
    let dir = work_dir();
    let source = configure(
        &dir,
        "webhook_url_env = \"RESTAGE_TEST_WEBHOOK\"",
        "[hooks]\non_failure = 'echo on_failure ran >> hooks.log'\n",
    );

    // A schedule that forgot --yes: no terminal, so no confirmation.
    let unconfirmed = run(restage(dir.path())
        .args(["copy", "--json", "--anonymizers", "profile.toml"])
        .args([
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
        ])
        .env("RESTAGE_ANONYMIZE_KEY", KEY)
        .env("RESTAGE_TEST_WEBHOOK", &webhook.url));
    unconfirmed.assert_code(3);
    let body = webhook.one_body();
    assert_eq!(body["restage"]["exit_code"], 3, "{body}");
    assert!(
        body["restage"]["error"]
            .as_str()
            .is_some_and(|error| error.contains("pass --yes")),
        "{body}"
    );

    // A manual run holds staging's lock.
    let mut holder = PgSession::connect(&pg_admin_url());
    holder.execute(&format!(
        "SET application_name = 'restage reset'; \
         SELECT pg_advisory_lock(hashtext('restage'), hashtext('{}'));",
        staging.name
    ));
    let locked = copy(&dir, &source, &staging, &webhook.url);
    locked.assert_code(3);
    assert_notified(&locked, "sent to ");
    let body = webhook.one_body();
    let text = body["text"].as_str().expect("text");
    assert!(
        text.starts_with("restage copy FAILED on staging")
            && text.contains("held by 'restage reset'"),
        "{text}"
    );
    let status =
        run(restage(dir.path()).args(["status", "--json", "--staging-url", &staging.url()]));
    status.assert_code(0);
    assert!(
        status.json()["running"]
            .as_str()
            .is_some_and(|running| running.starts_with("'restage reset', server pid ")),
        "{}",
        status.stdout
    );

    assert!(
        !dir.path().join("hooks.log").exists(),
        "on_failure did not run for runs that never started"
    );
    staging.reconnect();
    assert_eq!(staging.fingerprint(), before);
}
