//! `restage status`: what staging holds, from the record copy, seed and reset leave in it —
//! and nothing secret in it.

use sha2::Digest;

use crate::support::{KEY, Run, TestDb, production, repo_file, restage, run, staging, work_dir};

const SOURCE_PASSWORD: &str = "sourcePassw0rdNeverRecorded";

fn status(staging: &TestDb, json: bool) -> Run {
    let dir = work_dir();
    let mut command = restage(dir.path());
    command.args(["status", "--staging-url", &staging.url()]);
    if json {
        command.arg("--json");
    }
    let status = run(&mut command);
    status.assert_code(0);
    status
}

fn copy(source: &TestDb, staging: &TestDb, key: &str) -> serde_json::Value {
    let dir = work_dir();
    let copied = run(restage(dir.path())
        .args(["copy", "--yes", "--json", "--source-url"])
        .arg(source.url_with_password(SOURCE_PASSWORD))
        .args(["--staging-url", &staging.url(), "--anonymizers"])
        .arg(repo_file("anonymizers/default.toml"))
        .env("RESTAGE_ANONYMIZE_KEY", key));
    copied.assert_code(0);
    copied.json()
}

fn restage_run(staging: &TestDb, args: &[&str]) {
    let dir = work_dir();
    run(restage(dir.path())
        .args(args)
        .args(["--staging-url", &staging.url()]))
    .assert_code(0);
}

fn sha256_hex(path: &std::path::Path) -> String {
    restage::output::hex(&sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

#[test]
fn status_tells_what_a_copy_then_seeds_then_a_reset_left_in_staging() {
    let source = production();
    let mut staging = staging();

    let unknown = status(&staging, true).json();
    assert_eq!(unknown["recorded"], false, "{unknown}");
    assert!(unknown["last_copy"].is_null(), "{unknown}");
    status(&staging, false).assert_stdout_contains("holds no record of restage");

    let copied = copy(&source, &staging, KEY);
    let after_copy = status(&staging, true);
    after_copy
        .assert_no_secret(SOURCE_PASSWORD)
        .assert_no_secret(KEY);
    let report = after_copy.json();
    assert_eq!(report["made_by"], "copy", "{report}");
    assert_eq!(report["database"], staging.name.as_str(), "{report}");
    let copy = &report["last_copy"];
    assert_eq!(copy["command"], "copy", "{report}");
    assert_eq!(copy["restage_version"], env!("CARGO_PKG_VERSION"));
    assert!(copy["age_seconds"].as_f64().is_some_and(|age| age < 300.0));
    let details = &copy["details"];
    assert_eq!(details["rows"], copied["result"]["rows"], "{report}");
    assert!(
        details["source"].as_str().is_some_and(|recorded| {
            recorded.ends_with(&format!("/{}", source.name)) && recorded.contains(":***@")
        }),
        "{report}"
    );
    assert_eq!(
        details["profile_sha256"],
        sha256_hex(&repo_file("anonymizers/default.toml"))
    );
    let fingerprint = details["key"]["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fingerprint.len(), 16, "{fingerprint}");
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(details["key"]["origin"], "$RESTAGE_ANONYMIZE_KEY");
    assert_eq!(
        report["previous"],
        format!("{}_restage_prev", staging.name),
        "yesterday's staging is kept"
    );
    assert!(report["seeders"].as_object().is_some_and(|s| s.is_empty()));
    let text = status(&staging, false);
    text.assert_stdout_contains("holds      a copy, ")
        .assert_stdout_contains(&format!("key        fingerprint {fingerprint}"))
        .assert_stdout_contains("(`restage rollback` swaps it back)");

    restage_run(&staging, &["seed", "--only", "products"]);
    let seeded = status(&staging, true).json();
    let seeders: Vec<&String> = seeded["seeders"]
        .as_object()
        .expect("seeders")
        .keys()
        .collect();
    assert_eq!(seeders, ["products"], "{seeded}");
    assert!(seeded["seeders"]["products"]["counts"]["inserted"].as_u64() > Some(0));
    assert_eq!(
        seeded["made_by"], "copy",
        "seeding does not replace the copy"
    );
    status(&staging, false).assert_stdout_contains("seeder     products");

    restage_run(&staging, &["reset", "--yes"]);
    staging.reconnect();
    let reset = status(&staging, true).json();
    assert_eq!(reset["made_by"], "reset", "{reset}");
    assert_eq!(
        reset["last_reset"]["details"]["migrations"],
        "restage's reference schema"
    );
    assert!(reset["last_reset"]["run_id"].as_str().is_some());
    assert!(
        reset["last_copy"].is_null(),
        "a reset wipes the copy: {reset}"
    );
    assert_eq!(
        reset["seeders"].as_object().map(|s| s.len()),
        Some(5),
        "a reset runs every seeder: {reset}"
    );
    status(&staging, false).assert_stdout_contains("holds      a reset, ");
}

#[test]
fn the_key_fingerprint_follows_the_key_and_a_rollback_brings_back_its_record() {
    let source = production();
    let mut staging = staging();
    let first = copy(&source, &staging, KEY);
    let first_status = status(&staging, true).json();
    copy(&source, &staging, "another key of at least sixteen bytes");
    let second_status = status(&staging, true).json();
    let fingerprint = |status: &serde_json::Value| {
        status["last_copy"]["details"]["key"]["fingerprint"]
            .as_str()
            .expect("fingerprint")
            .to_owned()
    };
    assert_ne!(fingerprint(&first_status), fingerprint(&second_status));
    assert_ne!(
        first_status["last_copy"]["run_id"], second_status["last_copy"]["run_id"],
        "each copy is its own run"
    );

    restage_run(&staging, &["rollback", "--yes"]);
    staging.reconnect();
    let rolled_back = status(&staging, true).json();
    assert_eq!(
        rolled_back["last_copy"]["run_id"], first_status["last_copy"]["run_id"],
        "the first copy's record came back with it"
    );
    assert_eq!(fingerprint(&rolled_back), fingerprint(&first_status));
    assert_eq!(
        rolled_back["last_copy"]["details"]["rows"],
        first["result"]["rows"]
    );
}
