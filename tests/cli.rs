//! The help text users read: every command and option, checked against snapshots in
//! tests/snapshots (refresh them with `RESTAGE_UPDATE_SNAPSHOTS=1 cargo test cli::`).

use std::path::PathBuf;

use crate::support::{restage, run, work_dir};

const HELP_PAGES: &[&[&str]] = &[
    &["--help"],
    &["migrate", "--help"],
    &["reset", "--help"],
    &["seed", "--help"],
    &["redis", "--help"],
    &["redis", "flush", "--help"],
    &["anonymizers", "list", "--help"],
    &["copy", "--help"],
    &["check", "--help"],
    &["init", "--help"],
    &["preview", "--help"],
    &["report", "--help"],
    &["rollback", "--help"],
    &["status", "--help"],
    &["verify", "--help"],
    &["generate", "--help"],
    &["refresh", "--help"],
    &["snapshot", "--help"],
    &["snapshot", "create", "--help"],
    &["snapshot", "list", "--help"],
    &["snapshot", "delete", "--help"],
    &["snapshot", "prune", "--help"],
    &["cleanup", "--help"],
];

#[test]
fn help_pages_match_their_snapshots() {
    let dir = work_dir();
    for args in HELP_PAGES {
        let help = run(restage(dir.path()).args(*args).env("COLUMNS", "100"));
        help.assert_code(0);
        let name = args
            .iter()
            .filter(|arg| !arg.starts_with('-'))
            .copied()
            .collect::<Vec<_>>()
            .join("_");
        let snapshot = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(format!(
                "help_{}.txt",
                if name.is_empty() { "restage" } else { &name }
            ));
        if std::env::var_os("RESTAGE_UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&snapshot, &help.stdout).expect("write snapshot");
        }
        let expected = std::fs::read_to_string(&snapshot).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (set RESTAGE_UPDATE_SNAPSHOTS=1 to create it)",
                snapshot.display()
            )
        });
        assert_eq!(
            help.stdout,
            expected,
            "`restage {}` differs from {}",
            args.join(" "),
            snapshot.display()
        );
    }
}

#[test]
fn top_level_help_lists_every_command_and_exit_code() {
    let dir = work_dir();
    let help = run(restage(dir.path()).arg("--help"));
    for text in [
        "migrate",
        "reset",
        "redis",
        "--staging-url",
        "--redis-url",
        "--json",
        "--quiet",
        "--config",
        "3 refused",
    ] {
        help.assert_stdout_contains(text);
    }
}

#[test]
fn a_commands_help_lists_only_the_global_options_it_uses_and_the_others_are_still_accepted() {
    let dir = work_dir();
    let help = |command: &str| run(restage(dir.path()).args([command, "--help"])).stdout;
    for command in ["init", "check", "preview"] {
        let text = help(command);
        assert!(
            !text.contains("--staging-url") && !text.contains("--redis-url"),
            "{command}:\n{text}"
        );
        assert!(
            text.contains("--source-url") && text.contains("--json"),
            "{command}:\n{text}"
        );
    }
    let report = help("report");
    assert!(report.contains("--staging-url") && !report.contains("--redis-url"));
    let reset = help("reset");
    assert!(reset.contains("--staging-url") && reset.contains("--redis-url"));
    // A wrapper passing --staging-url to every command still works.
    run(restage(dir.path()).args([
        "anonymizers",
        "list",
        "--staging-url",
        "postgres://127.0.0.1/x",
    ]))
    .assert_code(0);
}

#[test]
fn unknown_command_is_a_usage_error() {
    let dir = work_dir();
    run(restage(dir.path()).arg("frobnicate"))
        .assert_code(2)
        .assert_stderr_contains("unrecognized subcommand");
}

#[test]
fn anonymizers_list_names_every_transform_of_the_profile_format() {
    let dir = work_dir();
    let listed = run(restage(dir.path()).args(["anonymizers", "list", "--json"]));
    listed.assert_code(0);
    let names: Vec<String> = listed.json()["transformers"]
        .as_array()
        .expect("transformers")
        .iter()
        .map(|entry| entry["name"].as_str().expect("name").to_owned())
        .collect();
    // The transform names of the profile format in the design brief, all of them.
    for name in [
        "keep",
        "null",
        "constant",
        "email",
        "first_name",
        "last_name",
        "name",
        "username",
        "phone",
        "street_address",
        "city",
        "postcode",
        "country",
        "company",
        "job_title",
        "words",
        "sentence",
        "paragraph",
        "url",
        "ipv4",
        "ipv6",
        "mac",
        "uuid",
        "hash",
        "mask",
        "card",
        "date",
        "number",
        "regex",
        "template",
        "json",
        "password",
    ] {
        assert!(
            names.iter().any(|listed| listed == name),
            "{name} is not listed"
        );
    }
}

#[test]
fn usage_errors_are_a_json_document_with_json_and_plain_text_without() {
    let dir = work_dir();
    for (args, expected) in [
        (
            &["seed", "--only", "--json"][..],
            "a value is required for '--only <SEEDER,...>'",
        ),
        (
            &["copy", "--jobs", "zero", "--json"][..],
            "invalid value 'zero' for '--jobs <N>'",
        ),
        (
            &["nosuchcommand", "--json"][..],
            "unrecognized subcommand 'nosuchcommand'",
        ),
    ] {
        let failed = run(restage(dir.path()).args(args));
        failed.assert_code(2).assert_stderr_contains(expected);
        let report = failed.json();
        assert_eq!(report["status"], "error", "{report}");
        assert_eq!(report["exit_code"], 2, "{report}");
        let message = report["error"].as_str().expect("error");
        assert!(message.starts_with(expected), "{message}");
        assert!(!message.contains("--help"), "{message}");
    }
    let plain = run(restage(dir.path()).args(["seed", "--only"]));
    plain.assert_code(2);
    assert!(plain.stdout.is_empty(), "{}", plain.stdout);
    let help = run(restage(dir.path()).args(["--help", "--json"]));
    help.assert_code(0).assert_stdout_contains("Usage: restage");
}
