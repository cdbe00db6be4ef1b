//! `restage refresh`, `snapshot` and `cleanup` against moto's RDS API on loopback, with a
//! local PostgreSQL database standing in for the restored instance.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::moto::{Faults, Moto, REGION};
use crate::support::webhook::{WEBHOOK_TOKEN, Webhook};
use crate::support::{
    KEY, PgSession, Run, TestDb, TestRedis, edited_default, pg_admin_url, production, repo_file,
    restage, run, staging, work_dir,
};

const PRODUCTION: &str = "inventory-prod";

/// A test bed: moto with a production instance whose "restored" copies are served by the
/// local `source` database, an empty-but-for-yesterday staging, a Redis database, and a
/// restage.toml that ties them together.
struct Bed {
    moto: Moto,
    source: TestDb,
    staging: TestDb,
    redis: TestRedis,
    dir: tempfile::TempDir,
}

impl Bed {
    fn new() -> Bed {
        Bed::with(Faults::default(), "")
    }

    /// With faults injected into moto and extra lines under [rds].
    fn with(faults: Faults, rds_extra: &str) -> Bed {
        let moto = Moto::with_faults(&faults);
        let source = production();
        let admin = url::Url::parse(&pg_admin_url()).expect("admin URL");
        moto.create_instance(
            PRODUCTION,
            admin.username(),
            &source.name,
            &[("team", "platform")],
        );
        let bed = Bed {
            moto,
            source,
            staging: staging(),
            redis: TestRedis::new(),
            dir: work_dir(),
        };
        bed.write_config(&format!(
            "poll_interval = \"100ms\"\nkeep_snapshots = 2\n{rds_extra}"
        ));
        bed
    }

    fn write_config(&self, rds_extra: &str) {
        let admin = url::Url::parse(&pg_admin_url()).expect("admin URL");
        let connect_to = format!(
            "{}:{}",
            admin.host_str().expect("host"),
            admin.port().unwrap_or(5432)
        );
        let config = format!(
            "[production]\nrds_instance_id = \"{PRODUCTION}\"\nregion = \"{REGION}\"\n\n\
             [staging]\ndatabase_url = \"{}\"\nredis_url = \"{}\"\n\n\
             [refresh]\nanonymizers = \"{}\"\njobs = 2\n\n\
             [rds]\nconnect_to = \"{connect_to}\"\nsslmode = \"disable\"\n{rds_extra}\n",
            self.staging.url(),
            self.redis.url(),
            repo_file("anonymizers/default.toml").display(),
        );
        std::fs::write(self.dir.path().join("restage.toml"), config).expect("write restage.toml");
    }

    /// `restage ARGS` in the bed's directory, pointed at moto, with the anonymization key.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = restage(self.dir.path());
        self.moto
            .env(&mut command)
            .args(args)
            .env("RESTAGE_ANONYMIZE_KEY", KEY);
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
    }

    /// Staging still holds yesterday's data and nothing was built beside it.
    fn assert_staging_untouched(&mut self) {
        self.staging.reconnect();
        assert_eq!(self.staging.scalar("SELECT count(*) FROM yesterday"), "1");
        let next = format!("{}_restage_next", self.staging.name);
        assert!(
            !self.staging.database_exists(&next),
            "{next} was left behind"
        );
    }

    /// Only production is left in moto: every temporary instance was deleted.
    fn assert_no_temporary_instance(&self) {
        assert_eq!(self.moto.instance_ids(), vec![PRODUCTION.to_owned()]);
    }
}

fn phase_names(report: &serde_json::Value) -> Vec<String> {
    report["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|phase| phase["phase"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn refresh_snapshots_restores_copies_seeds_flushes_and_deletes_the_restore() {
    let mut bed = Bed::new();
    bed.redis.set_keys(["cache:1", "session:2"]);
    // Two older snapshots of restage's and one of somebody else's: keep_snapshots = 2 prunes
    // the oldest of restage's only.
    for (id, at) in [
        ("restage-old-1", "2026-01-04T02:00:00Z"),
        ("restage-old-2", "2026-01-11T02:00:00Z"),
    ] {
        bed.moto.create_snapshot(
            PRODUCTION,
            id,
            &[("restage:made-by", "restage"), ("restage:created-at", at)],
        );
    }
    bed.moto.create_snapshot(PRODUCTION, "manual-by-hand", &[]);

    let refreshed = bed.run(&["refresh", "--yes", "--json"]);
    refreshed
        .assert_code(0)
        .assert_no_secret("production-secret");
    let report = refreshed.json();
    assert_eq!(
        phase_names(&report),
        [
            "snapshot",
            "restore",
            "credentials",
            "copy",
            "seed",
            "flush",
            "cleanup"
        ]
    );
    let snapshot = report["snapshot"].as_str().expect("snapshot id");
    assert!(
        snapshot.starts_with("restage-inventory-prod-"),
        "{snapshot}"
    );
    assert_eq!(report["snapshot_created"], true);
    let temporary = report["temporary_instance"].as_str().expect("instance id");
    assert!(temporary.starts_with("restage-tmp-"), "{temporary}");
    assert_eq!(report["temporary_instance_deleted"], true);
    assert!(report["rows"].as_u64().expect("rows") > 1000, "{report}");
    assert_eq!(
        report["pruned_snapshots"],
        serde_json::json!(["restage-old-1"])
    );

    // AWS: the restore is gone with its automated backups, the new snapshot is tagged, the
    // manual snapshot somebody else made is untouched.
    bed.assert_no_temporary_instance();
    let snapshots = bed.moto.snapshots();
    assert_eq!(snapshots[snapshot]["restage:made-by"], "restage");
    assert!(snapshots.contains_key("restage-old-2"));
    assert!(snapshots.contains_key("manual-by-hand"));
    assert!(!snapshots.contains_key("restage-old-1"));
    assert!(
        !snapshots.keys().any(|id| id.contains("restage-tmp")),
        "{snapshots:?}"
    );
    let modify = &bed.moto.requests("ModifyDBInstance")[0];
    assert_eq!(modify["DBInstanceIdentifier"], temporary);
    assert_eq!(modify["MasterUserPassword"], "***");
    assert_eq!(modify["ApplyImmediately"], "true");
    let delete = &bed.moto.requests("DeleteDBInstance")[0];
    assert_eq!(delete["DBInstanceIdentifier"], temporary);
    assert_eq!(delete["SkipFinalSnapshot"], "true");
    assert_eq!(delete["DeleteAutomatedBackups"], "true");

    // Staging: anonymized, seeded, Redis flushed.
    bed.staging.reconnect();
    assert!(
        bed.staging
            .tables()
            .iter()
            .all(|table| table != "public.yesterday")
    );
    let first_email = bed
        .source
        .scalar("SELECT email FROM customers ORDER BY id LIMIT 1");
    let customers = bed.source.scalar("SELECT count(*) FROM customers");
    assert_eq!(
        bed.staging.scalar("SELECT count(*) FROM customers"),
        customers
    );
    assert_eq!(
        bed.staging.scalar(&format!(
            "SELECT count(*) FROM customers WHERE email = '{first_email}'"
        )),
        "0"
    );
    assert_eq!(
        bed.staging
            .scalar("SELECT count(*) FROM users WHERE email LIKE 'admin@%'"),
        "1"
    );
    assert_eq!(bed.redis.size(), 0);

    // `status` names the refresh, its snapshot and production's instance, and the seeders.
    let status = bed.run(&["status", "--json"]);
    status.assert_code(0).assert_no_secret("production-secret");
    let status = status.json();
    assert_eq!(status["made_by"], "refresh", "{status}");
    assert_eq!(status["last_copy"]["run_id"], report["run_id"], "{status}");
    let details = &status["last_copy"]["details"];
    assert_eq!(details["snapshot"], snapshot, "{status}");
    assert_eq!(details["source"], format!("RDS instance {PRODUCTION}"));
    assert_eq!(details["rows"], report["rows"], "{status}");
    assert_eq!(status["seeders"].as_object().map(|s| s.len()), Some(5));
}

#[test]
fn keep_restore_leaves_a_private_tagged_instance_that_cleanup_removes() {
    let bed = Bed::with(
        Faults::default(),
        "instance_class = \"db.r6g.large\"\nvpc_security_group_ids = [\"sg-0a1b2c3d\"]",
    );
    let refreshed = bed.run(&["refresh", "--yes", "--json", "--keep-restore"]);
    refreshed.assert_code(0);
    let report = refreshed.json();
    assert_eq!(report["temporary_instance_deleted"], false);
    let id = report["temporary_instance"].as_str().expect("instance id");
    let kept = bed.moto.instance(id);
    assert_eq!(kept.db_instance_class(), Some("db.r6g.large"));
    let restore = &bed.moto.requests("RestoreDBInstanceFromDBSnapshot")[0];
    assert_eq!(restore["PubliclyAccessible"], "false", "{restore:?}");
    assert_eq!(restore["DeletionProtection"], "false", "{restore:?}");
    let groups: Vec<&str> = kept
        .vpc_security_groups()
        .iter()
        .filter_map(|group| group.vpc_security_group_id())
        .collect();
    assert_eq!(groups, ["sg-0a1b2c3d"]);
    let tags: std::collections::BTreeMap<&str, &str> = kept
        .tag_list()
        .iter()
        .filter_map(|tag| Some((tag.key()?, tag.value()?)))
        .collect();
    assert_eq!(tags["restage:temporary"], "true");
    assert_eq!(
        tags["restage:run-id"],
        report["run_id"].as_str().expect("run id")
    );
    assert!(tags["restage:created-at"].starts_with("20"), "{tags:?}");

    bed.run(&["cleanup", "--yes", "--older-than", "0s"])
        .assert_code(0)
        .assert_stdout_contains(id);
    bed.assert_no_temporary_instance();
}

#[test]
fn refresh_from_a_source_url_skips_rds() {
    let mut bed = Bed::new();
    let refreshed = bed.run(&[
        "refresh",
        "--yes",
        "--json",
        "--source-url",
        &bed.source.url(),
    ]);
    refreshed.assert_code(0);
    let report = refreshed.json();
    assert_eq!(phase_names(&report), ["copy", "seed", "flush"]);
    assert_eq!(report["snapshot"], serde_json::Value::Null);
    bed.staging.reconnect();
    assert_eq!(
        bed.staging
            .scalar("SELECT count(*) FROM users WHERE email LIKE 'testuser@%'"),
        "1"
    );
    let actions = bed.moto.actions();
    assert_eq!(
        actions,
        ["CreateDBInstance"],
        "refresh called AWS: {actions:?}"
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let mut bed = Bed::new();
    let before = bed.moto.actions().len();
    let planned = bed.run(&["refresh", "--dry-run"]);
    planned
        .assert_code(0)
        .assert_stdout_contains("dry run: nothing was changed")
        .assert_stdout_contains("create manual snapshot restage-inventory-prod-")
        .assert_stdout_contains("into private instance restage-tmp-")
        .assert_stdout_contains("delete the temporary instance");
    let automated = bed.run(&["refresh", "--dry-run", "--latest-automated"]);
    automated.assert_code(0).assert_stdout_contains(
        "restore the latest automated snapshot of inventory-prod: rds:inventory-prod-",
    );
    let calls: Vec<String> = bed.moto.actions()[before..].to_vec();
    assert!(
        calls.iter().all(|action| action.starts_with("Describe")),
        "a dry run called {calls:?}"
    );
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();

    bed.run(&["refresh", "--dry-run", "--snapshot", "no-such-snapshot"])
        .assert_code(6)
        .assert_stderr_contains("DB snapshot no-such-snapshot does not exist in region eu-west-1");
}

#[test]
fn a_failing_copy_deletes_the_restore_and_leaves_staging_as_it_was() {
    let mut bed = Bed::new();
    // payments has CHECK (right(card_number, 4) = card_last4): the copy fails on a row.
    let breaking = edited_default(
        &bed.dir,
        &[(
            "card_last4 = \"keep\"",
            "card_last4 = { transform = \"constant\", value = \"0000\" }",
        )],
    );
    let breaking = breaking.display().to_string();
    let failed = bed.run(&["refresh", "--yes", "--json", "--anonymizers", &breaking]);
    let report = failed.json();
    assert_eq!(report["status"], "error");
    assert_eq!(report["exit_code"], 4);
    assert_eq!(
        phase_names(&report),
        ["snapshot", "restore", "credentials", "cleanup"]
    );
    assert_eq!(report["failed_phase"], "copy");
    assert_eq!(report["temporary_instance_deleted"], true);
    failed
        .assert_code(4)
        .assert_clean_failure("production-secret")
        .assert_stderr_contains("payments_check")
        .assert_stderr_contains("Deleting temporary instance restage-tmp-");
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();
}

#[test]
fn uncovered_personal_data_stops_the_refresh_with_its_own_exit_code() {
    let webhook = Webhook::start();
    let mut bed = Bed::with(
        Faults::default(),
        "\n[notify]\nwebhook_url_env = \"RESTAGE_TEST_WEBHOOK\"\n",
    );
    let weak = edited_default(&bed.dir, &[("full_name = \"name\"\nphone", "phone")]);
    let weak = weak.display().to_string();
    let refused = run(bed
        .command(&["refresh", "--yes", "--json", "--anonymizers", &weak])
        .env("RESTAGE_TEST_WEBHOOK", &webhook.url));
    refused
        .assert_code(7)
        .assert_stderr_contains("users.full_name")
        .assert_stderr_contains("Deleting temporary instance restage-tmp-");
    let report = refused.json();
    assert_eq!(report["failed_phase"], "copy");
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();

    // The channel hears which phase failed, after which phases, on which snapshot.
    let body = webhook.one_body();
    let text = body.to_string();
    for secret in [WEBHOOK_TOKEN, KEY, "production-secret"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let summary = &body["restage"];
    assert_eq!(summary["command"], "refresh", "{body}");
    assert_eq!(summary["exit_code"], 7, "{body}");
    assert_eq!(summary["failed_phase"], "copy", "{body}");
    assert_eq!(summary["run_id"], report["run_id"], "{body}");
    assert_eq!(summary["snapshot"], report["snapshot"], "{body}");
    assert_eq!(
        phase_names(summary)[..3],
        ["snapshot", "restore", "credentials"]
    );
    assert!(
        body["text"].as_str().is_some_and(|text| text
            .starts_with("restage refresh FAILED in phase copy")
            && text.contains("users.full_name")),
        "{body}"
    );
}

/// Starts a refresh whose copy takes seconds (a sleeping row filter) and returns once the
/// copy is loading.
fn start_slow_refresh(bed: &mut Bed) -> Child {
    let slow = edited_default(
        &bed.dir,
        &[(
            "[tables.orders.columns]",
            "[tables.orders]\nwhere = \"pg_sleep(0.01) IS NOT NULL\"\n\n[tables.orders.columns]",
        )],
    );
    let child = bed
        .command(&["refresh", "--yes", "--anonymizers"])
        .arg(&slow)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start restage");
    let next = format!("{}_restage_next", bed.staging.name);
    crate::support::wait_until_loading_rows(&next);
    child
}

/// Sends SIGTERM to a running restage and waits for it: its output and stderr, once it
/// ended with exit code 143.
fn terminate(child: Child) -> (std::process::Output, String) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    (output, stderr)
}

#[test]
fn sigterm_during_the_copy_deletes_the_restore_and_a_second_refresh_refuses() {
    let mut bed = Bed::new();
    let child = start_slow_refresh(&mut bed);

    bed.run(&["refresh", "--yes"])
        .assert_code(3)
        .assert_stderr_contains("another restage command is already working on staging database")
        .assert_stderr_contains("restage refresh");

    let (_, stderr) = terminate(child);
    assert!(stderr.contains("error: interrupted by SIGTERM"), "{stderr}");
    assert!(stderr.contains("Deleting temporary instance"), "{stderr}");
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();
}

#[test]
fn sigterm_while_the_snapshot_is_made_deletes_it_once_it_can() {
    // RDS shows the new snapshot as `creating` for a while; it can be deleted only after.
    let mut bed = Bed::with(
        Faults {
            slow_snapshots: Some(30),
            ..Faults::default()
        },
        "",
    );
    let child = bed
        .command(&["refresh", "--yes", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start restage");
    let started = Instant::now();
    while !bed
        .moto
        .actions()
        .iter()
        .any(|action| action == "DescribeDBSnapshots")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no snapshot wait"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (output, stderr) = terminate(child);
    assert!(stderr.contains("which was not finished"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the JSON report");
    assert_eq!(report["failed_phase"], "snapshot", "{report}");
    assert_eq!(report["snapshot_created"], true);
    assert_eq!(report["snapshot_deleted"], true);
    let made_by_restage = bed
        .moto
        .snapshots()
        .into_keys()
        .filter(|id| id.starts_with("restage-"))
        .count();
    assert_eq!(made_by_restage, 0, "the unfinished snapshot is left");
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();
}

#[test]
fn a_restore_that_never_becomes_available_is_deleted_after_the_timeout() {
    let mut bed = Bed::with(
        Faults {
            never_ready: Some("restage-tmp-"),
            ..Faults::default()
        },
        "restore_timeout = \"1s\"",
    );
    bed.run(&["refresh", "--yes"])
        .assert_code(6)
        .assert_clean_failure("production-secret")
        .assert_stderr_contains("did not become available within 1s (last status: creating)")
        .assert_stderr_contains("restore_timeout");
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();
}

#[test]
fn an_unreachable_restore_fails_after_the_timeout_and_is_deleted() {
    let mut bed = Bed::with(Faults::default(), "restore_timeout = \"1s\"");
    let config_path = bed.dir.path().join("restage.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let unreachable = regex::Regex::new(r#"connect_to = "[^"]*""#).expect("regex");
    std::fs::write(
        &config_path,
        unreachable
            .replace(&config, r#"connect_to = "127.0.0.1:9""#)
            .as_ref(),
    )
    .expect("write config");
    let failed = bed.run(&["refresh", "--yes", "--json"]);
    failed
        .assert_code(4)
        .assert_stderr_contains("cannot connect to the restored instance at postgres://")
        .assert_stderr_contains(":***@127.0.0.1:9/");
    assert_eq!(failed.json()["failed_phase"], "credentials");
    bed.assert_no_temporary_instance();
    bed.assert_staging_untouched();
}

#[test]
fn aws_errors_name_the_resource_and_what_to_do() {
    let mut bed = Bed::with(
        Faults {
            deny: &["CreateDBSnapshot"],
            ..Faults::default()
        },
        "",
    );
    bed.run(&["refresh", "--yes"])
        .assert_code(6)
        .assert_clean_failure("production-secret")
        .assert_stderr_contains(
            "AWS denied rds:CreateDBSnapshot on snapshot restage-inventory-prod-",
        )
        .assert_stderr_contains("of DB instance inventory-prod")
        .assert_stderr_contains("deploy/iam-policy.json");
    bed.assert_staging_untouched();

    // The automated snapshot of production fills a quota of one.
    let quota = Bed::with(
        Faults {
            snapshot_limit: Some(1),
            ..Faults::default()
        },
        "",
    );
    quota
        .run(&["refresh", "--yes"])
        .assert_code(6)
        .assert_stderr_contains("quota of manual snapshots is reached")
        .assert_stderr_contains("restage snapshot prune");

    // A production instance that does not exist.
    bed.write_config("poll_interval = \"100ms\"");
    let config = std::fs::read_to_string(bed.dir.path().join("restage.toml")).expect("config");
    std::fs::write(
        bed.dir.path().join("restage.toml"),
        config.replace(PRODUCTION, "inventory-gone"),
    )
    .expect("write config");
    bed.run(&["refresh", "--yes"])
        .assert_code(6)
        .assert_stderr_contains("DB instance inventory-gone does not exist in region eu-west-1");
    bed.run(&["snapshot", "list"])
        .assert_code(6)
        .assert_stderr_contains("inventory-gone");
    bed.assert_staging_untouched();
}

#[test]
fn refresh_refuses_production_as_staging_and_needs_a_source() {
    let bed = Bed::new();
    let config_path = bed.dir.path().join("restage.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let production_endpoint =
        format!("postgres://app@{PRODUCTION}.abc123.{REGION}.rds.amazonaws.com:5432/inventory");
    bed.run(&["refresh", "--yes", "--staging-url", &production_endpoint])
        .assert_code(3)
        .assert_stderr_contains("endpoint of RDS instance inventory-prod");
    std::fs::write(
        &config_path,
        config.replace(&format!("rds_instance_id = \"{PRODUCTION}\"\n"), ""),
    )
    .expect("write config");
    bed.run(&["refresh", "--yes"])
        .assert_code(2)
        .assert_stderr_contains("production RDS instance: none configured")
        .assert_stderr_contains("--source-url");
    let actions = bed.moto.actions();
    assert_eq!(actions, ["CreateDBInstance"], "refused, yet called AWS");
}

#[test]
fn snapshot_commands_create_list_delete_and_prune() {
    let bed = Bed::new();
    let created = bed.run(&["snapshot", "create", "--wait", "--json"]);
    created.assert_code(0);
    let id = created.json()["snapshots"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(id.starts_with("restage-inventory-prod-"), "{id}");
    assert_eq!(bed.moto.snapshots()[&id]["restage:made-by"], "restage");

    bed.moto.create_snapshot(PRODUCTION, "by-hand", &[]);
    for (id, at) in [
        ("restage-a", "2026-01-04T02:00:00Z"),
        ("restage-b", "2026-01-11T02:00:00Z"),
    ] {
        bed.moto.create_snapshot(
            PRODUCTION,
            id,
            &[("restage:made-by", "restage"), ("restage:created-at", at)],
        );
    }
    let listed = bed.run(&["snapshot", "list"]);
    listed
        .assert_code(0)
        .assert_stdout_contains("automated")
        .assert_stdout_contains("by-hand")
        .assert_stdout_contains("restage");
    assert!(
        listed.stdout.find(&id) < listed.stdout.find("restage-b")
            && listed.stdout.find("restage-b") < listed.stdout.find("restage-a"),
        "not newest first:\n{}",
        listed.stdout
    );

    bed.run(&["snapshot", "delete", "by-hand", "--yes"])
        .assert_code(3)
        .assert_stderr_contains("not made by restage")
        .assert_stderr_contains("--force");
    bed.run(&["snapshot", "delete", "by-hand"])
        .assert_code(3)
        .assert_stderr_contains("pass --yes");
    bed.run(&["snapshot", "delete", "by-hand", "--yes", "--force"])
        .assert_code(0);
    assert!(!bed.moto.snapshots().contains_key("by-hand"));

    bed.run(&["snapshot", "prune", "--keep", "1", "--dry-run"])
        .assert_code(0)
        .assert_stdout_contains("restage-a")
        .assert_stdout_contains("nothing was deleted");
    assert!(bed.moto.snapshots().contains_key("restage-a"));
    bed.run(&["snapshot", "prune", "--keep", "1", "--yes"])
        .assert_code(0)
        .assert_stdout_contains("2 snapshot(s) deleted");
    let left = bed.moto.snapshots();
    assert!(
        left.contains_key(&id)
            && !left.contains_key("restage-a")
            && !left.contains_key("restage-b")
    );
    assert!(
        left.keys().any(|id| id.starts_with("rds:")),
        "automated snapshots are never pruned"
    );
}

#[test]
fn cleanup_deletes_orphaned_temporary_instances_and_nothing_else() {
    let bed = Bed::new();
    let temporary = |at: &'static str| [("restage:temporary", "true"), ("restage:created-at", at)];
    bed.moto.create_instance(
        "restage-tmp-crashed",
        "postgres",
        "app",
        &temporary("2026-01-04T02:00:00Z"),
    );
    let now = aws_sdk_rds::primitives::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
        .expect("now");
    bed.moto.create_instance(
        "restage-tmp-running",
        "postgres",
        "app",
        &[("restage:temporary", "true"), ("restage:created-at", &now)],
    );
    bed.moto
        .create_instance("legacy-reporting", "postgres", "app", &[]);

    bed.run(&["cleanup", "--dry-run"])
        .assert_code(0)
        .assert_stdout_contains("would delete temporary instance(s): restage-tmp-crashed;");
    assert_eq!(bed.moto.instance_ids().len(), 4);
    bed.run(&["cleanup"])
        .assert_code(3)
        .assert_stderr_contains("pass --yes");
    bed.run(&["cleanup", "--yes", "--older-than", "6h"])
        .assert_code(0);
    assert_eq!(
        bed.moto.instance_ids(),
        ["inventory-prod", "legacy-reporting", "restage-tmp-running"]
    );
}

#[test]
fn cleanup_deletes_a_young_instance_whose_run_is_over_and_keeps_one_whose_run_is_alive() {
    let bed = Bed::new();
    let now = aws_sdk_rds::primitives::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
        .expect("now");
    for run_id in ["20261203020000-1111", "20261203020000-2222"] {
        bed.moto.create_instance(
            &format!("restage-tmp-{run_id}"),
            "postgres",
            "app",
            &[
                ("restage:temporary", "true"),
                ("restage:created-at", &now),
                ("restage:run-id", run_id),
            ],
        );
    }
    // Run 2222 is alive: it holds a staging lock, as a refresh does.
    let holder = format!(
        "{}?application_name=restage%20refresh%2020261203020000-2222",
        pg_admin_url()
    );
    let mut alive = PgSession::connect(&holder);
    alive.execute("SELECT pg_advisory_lock(hashtext('restage'), hashtext('some_staging'))");

    bed.run(&["cleanup", "--yes"])
        .assert_code(0)
        .assert_stdout_contains("deleted temporary instance(s): restage-tmp-20261203020000-1111;");
    assert_eq!(
        bed.moto.instance_ids(),
        ["inventory-prod", "restage-tmp-20261203020000-2222"]
    );
    drop(alive);
}

#[test]
fn no_credentials_region_or_api_fail_fast_with_what_to_do() {
    let bed = Bed::new();
    run(bed
        .command(&["snapshot", "list"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY"))
    .assert_code(6)
    .assert_stderr_contains("no AWS credentials")
    .assert_stderr_contains("AWS_PROFILE");
    // An API nobody answers (a closed loopback port): retried briefly, then a clear error.
    bed.run(&["snapshot", "list", "--endpoint-url", "http://127.0.0.1:9"])
        .assert_code(6)
        .assert_stderr_contains("cannot reach the RDS API in region eu-west-1");
    let config_path = bed.dir.path().join("restage.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    std::fs::write(
        &config_path,
        config.replace(&format!("region = \"{REGION}\"\n"), ""),
    )
    .expect("write config");
    bed.run(&["snapshot", "list"])
        .assert_code(6)
        .assert_stderr_contains("no AWS region");
}

#[test]
fn throttling_is_retried_and_the_endpoint_flag_is_honoured() {
    let bed = Bed::with(
        Faults {
            throttle: Some(("DescribeDBSnapshots", 2)),
            ..Faults::default()
        },
        "",
    );
    run(bed
        .command(&["snapshot", "list", "--endpoint-url", &bed.moto.endpoint()])
        .env("AWS_ENDPOINT_URL_RDS", "http://127.0.0.1:9"))
    .assert_code(0)
    .assert_stdout_contains("rds:inventory-prod-");
    let calls = bed.moto.actions();
    let listed = calls.iter().filter(|a| *a == "DescribeDBSnapshots").count();
    assert_eq!(
        listed, 3,
        "two throttled calls and one that got through: {calls:?}"
    );
}

/// The RDS actions the code calls: every `.client.<operation>()` in src/rds/, spelled
/// as IAM spells them (describe_db_instances → DescribeDBInstances).
fn actions_called_by_the_code() -> BTreeSet<String> {
    let source: String = std::fs::read_dir(repo_file("src/rds"))
        .expect("src/rds/")
        .map(|entry| {
            std::fs::read_to_string(entry.expect("src/rds/ entry").path())
                .expect("a file of src/rds/")
        })
        .collect();
    let call = regex::Regex::new(r"\.client\s*\.([a-z_]+)\(\)").expect("regex");
    call.captures_iter(&source)
        .map(|found| {
            let words = found[1].split('_').map(|word| match word {
                "db" => "DB".to_owned(),
                word => {
                    let mut chars = word.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_ascii_uppercase().to_string() + chars.as_str()
                    })
                }
            });
            format!("rds:{}", words.collect::<String>())
        })
        .collect()
}

#[test]
fn the_iam_policy_lists_exactly_the_actions_the_code_calls() {
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_file("deploy/iam-policy.json"))
            .expect("deploy/iam-policy.json"),
    )
    .expect("the policy is JSON");
    let mut granted = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        assert_eq!(statement["Effect"], "Allow", "{statement}");
        let actions = &statement["Action"];
        let actions = actions
            .as_array()
            .map_or_else(|| vec![actions.clone()], Clone::clone);
        granted.extend(
            actions
                .iter()
                .map(|a| a.as_str().expect("action").to_owned()),
        );
    }
    let (rds, hooks): (BTreeSet<String>, BTreeSet<String>) =
        granted.into_iter().partition(|a| a.starts_with("rds:"));
    let mut needed = actions_called_by_the_code();
    assert!(needed.len() >= 7, "{needed:?}");
    // Tagging on create (CreateDBSnapshot, RestoreDBInstanceFromDBSnapshot with Tags) needs it.
    needed.insert("rds:AddTagsToResource".to_owned());
    assert_eq!(
        rds, needed,
        "deploy/iam-policy.json and src/rds.rs disagree"
    );
    assert_eq!(
        hooks,
        ecs_actions_called_by_the_hook_script(),
        "deploy/iam-policy.json and deploy/hooks/ecs-scale disagree"
    );
}

/// The ECS actions the deploy example's hook calls: `aws ecs describe-services` needs
/// `ecs:DescribeServices` (and `aws ecs wait services-stable` only describes them too).
fn ecs_actions_called_by_the_hook_script() -> BTreeSet<String> {
    let script = std::fs::read_to_string(repo_file("deploy/hooks/ecs-scale")).expect("hook");
    script
        .split("aws ecs ")
        .skip(1)
        .filter_map(|call| call.split_whitespace().next())
        .filter(|verb| *verb != "wait")
        .map(|verb| {
            let action: String = verb
                .split('-')
                .map(|word| word[..1].to_uppercase() + &word[1..])
                .collect();
            format!("ecs:{action}")
        })
        .collect()
}
