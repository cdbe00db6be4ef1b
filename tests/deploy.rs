//! The scheduling examples in deploy/: each runs weekly on Sunday at 02:00 UTC, and every
//! restage command in them uses options that exist; the demo says what it is doing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{repo_file, restage, run, work_dir};

/// Every file under deploy/, recursively.
fn deploy_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read deploy/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo_file("deploy"), &mut files);
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_schedule_is_sunday_at_two_utc() {
    let weekly = [
        ("deploy/cron", "0 2 * * 0"),
        (
            "deploy/systemd/restage-refresh.timer",
            "OnCalendar=Sun *-*-* 02:00:00 UTC",
        ),
        ("deploy/github-actions/restage.yml", "cron: \"0 2 * * 0\""),
        (
            "deploy/ecs/eventbridge-schedule.json",
            "cron(0 2 ? * SUN *)",
        ),
        ("deploy/kubernetes/cronjob.yaml", "schedule: \"0 2 * * 0\""),
    ];
    for (file, schedule) in weekly {
        assert!(
            read(&repo_file(file)).contains(schedule),
            "{file} lacks {schedule}"
        );
    }
    for file in deploy_files() {
        if file.extension().is_some_and(|ext| ext == "json") {
            serde_json::from_str::<serde_json::Value>(&read(&file))
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
        }
    }
}

/// (subcommand, options) of every restage command line or argument list in deploy/.
fn invocations() -> Vec<(String, BTreeSet<String>)> {
    let line =
        regex::Regex::new(r#"restage "?((?:refresh|cleanup|seed|reset|snapshot)\b[^\n|>;&)]*)"#)
            .expect("regex");
    let list =
        regex::Regex::new(r#"\[\s*"((?:refresh|cleanup|seed|reset)"(?:\s*,\s*"[^"]*")*)\s*\]"#)
            .expect("regex");
    let option = regex::Regex::new(r"--[a-z][a-z-]*").expect("regex");
    let mut found = Vec::new();
    for file in deploy_files() {
        let text = read(&file);
        let commands = line
            .captures_iter(&text)
            .chain(list.captures_iter(&text))
            .map(|captures| captures[1].to_owned());
        for command in commands {
            let name: String = command
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            let options = option
                .find_iter(&command)
                .map(|found| found.as_str().to_owned())
                .collect();
            found.push((name, options));
        }
    }
    found
}

#[test]
fn every_restage_command_in_the_examples_uses_real_options() {
    let found = invocations();
    let names: BTreeSet<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        names.contains("refresh") && names.contains("cleanup"),
        "{found:?}"
    );
    let dir = work_dir();
    for (name, options) in &found {
        let help = run(restage(dir.path()).args([name.as_str(), "--help"]));
        help.assert_code(0);
        for option in options {
            assert!(
                help.stdout.contains(&format!("{option} "))
                    || help.stdout.contains(&format!("{option}\n")),
                "`restage {name}` has no option {option} (used in deploy/)"
            );
        }
    }
}

#[test]
fn the_demo_says_it_is_building_restage_before_cargo_starts() {
    let stub = work_dir();
    let cargo = stub.path().join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\necho \"cargo was called: $*\" >&2\nsleep 11\nexit 3\n",
    )
    .expect("write the cargo stub");
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make the stub executable");
    let path = format!(
        "{}:{}",
        stub.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let demo = run(std::process::Command::new("bash")
        .arg(repo_file("scripts/demo.sh"))
        .env("PATH", path)
        .stdin(std::process::Stdio::null()));
    demo.assert_code(3);
    let announced = demo
        .stderr
        .find("demo: building restage (release; ")
        .unwrap_or_else(|| panic!("the demo did not say what it builds:\n{}", demo.stderr));
    let called = demo
        .stderr
        .find("cargo was called: build --release")
        .unwrap_or_else(|| panic!("cargo was not called:\n{}", demo.stderr));
    assert!(announced < called, "{}", demo.stderr);
    // A long compile is never silent for long: a line every 10 s, and cargo's exit code.
    assert!(
        demo.stderr.contains("demo: still building restage (1"),
        "{}",
        demo.stderr
    );
}
