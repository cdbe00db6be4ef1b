//! The README's walkthrough ("A new database"), run as the README writes it: the commands are
//! read from README.md, so a change to either that breaks them fails here.

use std::path::Path;
use std::process::Command;

use crate::support::{Run, production, repo_file, run, staging, work_dir};

/// The heading of the walkthrough and the databases its commands name (the demo's, on a
/// default local server), which the test points at databases of its own.
const HEADING: &str = "### A new database:";
const DEMO_SOURCE: &str = "postgres://postgres@127.0.0.1:5432/restage_demo_production";
const DEMO_STAGING: &str = "postgres://postgres@127.0.0.1:5432/restage_walkthrough";

/// The first ```sh block after `heading` in `markdown`.
fn shell_block<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let section = &markdown[markdown.find(heading).expect("the walkthrough's heading")..];
    let start = section.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let end = section[start..].find("```").expect("the end of the block");
    &section[start..start + end]
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(repo_file("README.md")).expect("README.md");
    let block = shell_block(&readme, HEADING);
    assert!(
        block.contains(DEMO_SOURCE) && block.contains(DEMO_STAGING),
        "the walkthrough names the demo's databases:\n{block}"
    );
    let source = production();
    let staging = staging();
    let script = block
        .replace(DEMO_SOURCE, &source.url())
        .replace(DEMO_STAGING, &staging.url());

    let dir = work_dir();
    let walked = walk(dir.path(), &script);
    walked.assert_code(0);
    for step in [
        "restage init",
        "restage preview",
        "restage check",
        "restage copy",
        "restage report",
    ] {
        assert!(
            walked.stderr.contains(&format!("+ {step}")),
            "{step} did not run:\n{}",
            walked.stderr
        );
    }
    walked.assert_stdout_contains("wrote the privacy report");
    assert!(dir.path().join("anonymizers/app.toml").is_file());
    let page = std::fs::read_to_string(dir.path().join("privacy.html")).expect("privacy.html");
    assert!(page.contains("<h2>Last copy</h2>") && !page.contains("records no copy"));
}

/// Runs `script` with bash (stop at the first failure, echo each command) in `dir`: the
/// demo's release build is not there, so `restage` comes from this build, further down the
/// PATH the script extends; the editor of the review step is `true`.
fn walk(dir: &Path, script: &str) -> Run {
    let binary = Path::new(env!("CARGO_BIN_EXE_restage"));
    let bin_dir = binary.parent().expect("the binary's directory");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let mut command = Command::new("bash");
    command
        .args(["-euxo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("EDITOR", "true")
        .stdin(std::process::Stdio::null());
    for name in [
        "STAGING_DATABASE_URL",
        "DATABASE_URL",
        "SOURCE_DATABASE_URL",
        "RESTAGE_ANONYMIZE_KEY",
        "RESTAGE_CONFIG",
    ] {
        command.env_remove(name);
    }
    run(&mut command)
}
