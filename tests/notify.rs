//! `[notify]`: a copy's or reset's summary reaches a webhook on loopback — on failure, or
//! always — with the expected fields and nothing secret; a webhook URL missing from the
//! environment stops the run before it starts; an unreachable webhook does not fail a run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{KEY, Run, TestDb, parts_copy, parts_copy_setup, run, work_dir};

/// The secret part of the webhook URL, which must never show anywhere.
const WEBHOOK_TOKEN: &str = "T0RESTAGE/B0HOOK/s3cretW3bh00kT0ken";
/// The staging login's password (trust authentication accepts any).
const STAGING_PASSWORD: &str = "stagingPassw0rdThatMustNotLeak";

/// A Slack-like webhook on loopback: answers 200 and hands over each body it received.
struct Webhook {
    url: String,
    bodies: mpsc::Receiver<serde_json::Value>,
}

impl Webhook {
    fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!(
            "http://{}/services/{WEBHOOK_TOKEN}",
            listener.local_addr().expect("address")
        );
        let (sender, bodies) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let Some(body) = read_request(&stream) else {
                    continue;
                };
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                if sender.send(body).is_err() {
                    return;
                }
            }
        });
        Webhook { url, bodies }
    }

    /// The body of the one request the run made.
    fn one_body(&self) -> serde_json::Value {
        let body = self
            .bodies
            .recv_timeout(Duration::from_secs(10))
            .expect("the webhook was called");
        assert!(
            self.bodies.try_recv().is_err(),
            "the webhook was called once"
        );
        body
    }

    fn assert_not_called(&self) {
        assert!(
            self.bodies
                .recv_timeout(Duration::from_millis(300))
                .is_err(),
            "the webhook was not called"
        );
    }
}

/// The JSON body of one HTTP request.
fn read_request(stream: &std::net::TcpStream) -> Option<serde_json::Value> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

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
    copy(&dir, &source, &staging, &webhook.url).assert_code(0);
    webhook.assert_not_called();

    std::fs::write(
        dir.path().join("restage.toml"),
        "[notify]\nwebhook_url_env = \"RESTAGE_TEST_WEBHOOK\"\non = \"always\"\ntimeout = \"5s\"\n",
    )
    .expect("write restage.toml");
    copy(&dir, &source, &staging, &webhook.url).assert_code(0);
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
    copied.assert_stderr_contains("http://127.0.0.1:");
}
