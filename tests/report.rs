//! `restage report`: the privacy report — every column with its evidence, rule and who
//! decided, the last copy's verification, the key's fingerprint, the profile's hash and the
//! run history; as Markdown and as one HTML page that a real browser renders.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{KEY, TestDb, production, repo_file, restage, run, staging, work_dir};

const SOURCE_PASSWORD: &str = "reportSourcePassw0rd";

/// `restage report` of `source` (with its password in the URL) against `staging`, with
/// `extra` arguments, in `dir`.
fn report(
    dir: &Path,
    source: &TestDb,
    staging: &TestDb,
    profile: &Path,
    extra: &[&str],
) -> crate::support::Run {
    run(restage(dir)
        .arg("report")
        .args(["--source-url", &source.url_with_password(SOURCE_PASSWORD)])
        .args(["--staging-url", &staging.url(), "--anonymizers"])
        .arg(profile)
        .args(extra)
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
}

fn copy(dir: &Path, source: &TestDb, staging: &TestDb, profile: &Path) {
    run(restage(dir)
        .args(["copy", "--yes", "--source-url", &source.url()])
        .args(["--staging-url", &staging.url(), "--anonymizers"])
        .arg(profile)
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
    .assert_code(0);
}

/// The column `table.column` of a `--json` report.
fn column<'a>(report: &'a serde_json::Value, table: &str, column: &str) -> &'a serde_json::Value {
    report["tables"]
        .as_array()
        .and_then(|tables| tables.iter().find(|t| t["table"] == table))
        .and_then(|t| t["columns"].as_array())
        .and_then(|columns| columns.iter().find(|c| c["column"] == column))
        .unwrap_or_else(|| panic!("{table}.{column} is not in the report: {report}"))
}

/// The 1-based line of the first line of `text` that starts with `start`.
fn line_starting(text: &str, start: &str) -> usize {
    text.lines()
        .position(|line| line.starts_with(start))
        .map(|at| at + 1)
        .unwrap_or_else(|| panic!("no line starts with {start:?}"))
}

#[test]
fn the_report_gives_every_column_its_evidence_rule_and_decider_and_the_last_copys_verification() {
    let source = production();
    let staging = staging();
    let dir = work_dir();
    let profile = repo_file("anonymizers/default.toml");
    copy(dir.path(), &source, &staging, &profile);

    let json = report(dir.path(), &source, &staging, &profile, &["--json"]);
    json.assert_code(0)
        .assert_no_secret(SOURCE_PASSWORD)
        .assert_no_secret(KEY);
    let document = json.json();
    assert_eq!(document["command"], "report", "{document}");
    assert_eq!(document["status"], "ok");
    let summary = &document["summary"];
    assert_eq!(summary["uncovered"], 0, "{summary}");
    assert!(summary["anonymized"].as_u64() >= Some(15), "{summary}");
    assert!(
        summary["personal"].as_u64() >= summary["anonymized"].as_u64(),
        "{summary}"
    );

    let text = std::fs::read_to_string(&profile).expect("profile");
    let email = column(&document, "users", "email");
    assert_eq!(email["treatment"], "anonymized", "{email}");
    assert_eq!(email["kind"], "email", "{email}");
    assert!(
        email["evidence"].as_array().is_some_and(|e| !e.is_empty()),
        "{email}"
    );
    assert_eq!(
        email["decided_by"],
        format!(
            "profile, line {}",
            line_starting(&text, "email = { transform = \"email\"")
        ),
    );
    assert_eq!(
        email["rule"],
        "{ transform = \"email\", domain = \"example.com\" }"
    );
    let kept = column(&document, "locations", "street_address");
    assert_eq!(kept["treatment"], "kept", "{kept}");
    assert!(
        kept["decided_by"]
            .as_str()
            .is_some_and(|d| d.ends_with(": keep")),
        "{kept}"
    );
    let audit = column(&document, "audit_log", "id");
    assert_eq!(audit["treatment"], "not_copied", "{audit}");
    let sku = column(&document, "products", "sku");
    assert_eq!(sku["treatment"], "copied", "{sku}");
    assert!(
        sku["decided_by"]
            .as_str()
            .is_some_and(|d| d.starts_with("restage:")),
        "{sku}"
    );

    let copy = &document["last_copy"];
    assert_eq!(copy["command"], "copy", "{copy}");
    assert_eq!(copy["profile_changed"], false);
    assert_eq!(copy["key_changed"], false);
    assert_eq!(copy["key_fingerprint"], document["key"]["fingerprint"]);
    assert_eq!(copy["profile_sha256"], document["profile_sha256"]);
    let verification = &copy["verification"];
    assert!(
        verification["source_tokens"].as_u64() > Some(0),
        "{verification}"
    );
    assert!(
        verification["compared_values"].as_u64() > Some(0),
        "{verification}"
    );
    assert!(
        verification["tables"]
            .as_array()
            .is_some_and(|t| t.len() >= 10)
    );
    assert_eq!(verification["problems"].as_array().map(Vec::len), Some(0));
    assert_eq!(document["history"][0]["command"], "copy");

    // Markdown, to a file and on standard output: the same document.
    let written = report(
        dir.path(),
        &source,
        &staging,
        &profile,
        &["--output", "privacy.md"],
    );
    written
        .assert_code(0)
        .assert_stdout_contains("wrote the privacy report of")
        .assert_stdout_contains("0 uncovered");
    let markdown = std::fs::read_to_string(dir.path().join("privacy.md")).expect("privacy.md");
    for expected in [
        "# Privacy report: ",
        "## Summary",
        "| Uncovered (copy refuses) | 0 |",
        "## Last copy",
        "| Problems | none |",
        "### users",
        "| Column | Type | Detected | Evidence | Treatment | Rule | Decided by |",
        "| email | citext | an e-mail address | ",
        "| anonymized | `{ transform = \"email\", domain = \"example.com\" }` | profile, line ",
        "## Run history",
        "| copy | ",
        &format!(
            "fingerprint {}",
            document["key"]["fingerprint"].as_str().unwrap_or("?")
        ),
    ] {
        assert!(
            markdown.contains(expected),
            "{expected:?} is not in:\n{markdown}"
        );
    }
    assert!(!markdown.contains(SOURCE_PASSWORD) && !markdown.contains(KEY));
    // Every row of every table has the header's number of cells.
    for line in markdown.lines().filter(|line| line.starts_with("| ")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(
            cells == 3 || cells == 6 || cells == 8,
            "a broken row: {line}"
        );
    }
    let stdout = report(dir.path(), &source, &staging, &profile, &[]);
    stdout.assert_code(0);
    assert_eq!(
        stdout
            .stdout
            .lines()
            .filter(|line| line.starts_with("### "))
            .count(),
        markdown
            .lines()
            .filter(|line| line.starts_with("### "))
            .count(),
    );
}

#[test]
fn a_column_without_a_rule_is_reported_uncovered_and_a_changed_profile_and_key_are_flagged() {
    let source = production();
    let staging = staging();
    let dir = work_dir();
    copy(
        dir.path(),
        &source,
        &staging,
        &repo_file("anonymizers/default.toml"),
    );
    // The profile loses its rule for customers.city after the copy.
    let edited = crate::support::edited_default(&dir, &[("city = \"city\"\n", "")]);

    let document = run(restage(dir.path())
        .args(["report", "--json", "--source-url", &source.url()])
        .args(["--staging-url", &staging.url(), "--anonymizers"])
        .arg(&edited)
        .env(
            "RESTAGE_ANONYMIZE_KEY",
            "another key of sixteen bytes or more",
        ))
    .json();
    assert_eq!(
        document["summary"]["uncovered"], 1,
        "{}",
        document["summary"]
    );
    let city = column(&document, "customers", "city");
    assert_eq!(city["treatment"], "uncovered", "{city}");
    assert_eq!(city["kind"], "city", "{city}");
    assert!(
        city["decided_by"]
            .as_str()
            .is_some_and(|d| d.starts_with("nobody"))
    );
    assert_eq!(document["last_copy"]["profile_changed"], true);
    assert_eq!(document["last_copy"]["key_changed"], true);

    let markdown = run(restage(dir.path())
        .args(["report", "--source-url", &source.url()])
        .args(["--staging-url", &staging.url(), "--anonymizers"])
        .arg(&edited)
        .env("RESTAGE_ANONYMIZE_KEY", KEY));
    markdown
        .assert_code(0)
        .assert_stdout_contains("| UNCOVERED | - | nobody: it looks personal")
        .assert_stdout_contains("The profile changed since this copy");
}

#[test]
fn a_report_before_the_first_copy_says_staging_does_not_exist_yet() {
    let source = production();
    let dir = work_dir();
    let staging = crate::support::url_with_database(
        &crate::support::pg_admin_url(),
        &crate::support::unique_name("restage_test_never_made"),
    );
    let written = run(restage(dir.path())
        .args(["report", "--json", "--source-url", &source.url()])
        .args(["--staging-url", &staging, "--anonymizers"])
        .arg(repo_file("anonymizers/default.toml")));
    written.assert_code(0);
    let document = written.json();
    assert_eq!(document["staging_exists"], false, "{document}");
    assert!(document["last_copy"].is_null() && document["history"] == serde_json::json!([]));
    run(restage(dir.path())
        .args(["report", "--source-url", &source.url()])
        .args(["--staging-url", &staging, "--anonymizers"])
        .arg(repo_file("anonymizers/default.toml")))
    .assert_code(0)
    .assert_stdout_contains("The staging database does not exist yet: no copy has been made.");
}

#[test]
fn a_report_file_of_another_format_is_refused_before_anything_is_read() {
    let dir = work_dir();
    let refused = run(restage(dir.path())
        .args(["report", "--output", "report.pdf"])
        .args(["--source-url", "postgres://127.0.0.1:1/nowhere"]));
    refused
        .assert_code(2)
        .assert_stderr_contains("report.pdf: the report is written as FILE.html")
        .assert_stderr_contains("or FILE.md");
    assert!(!dir.path().join("report.pdf").exists());
}

/// The browser the HTML test renders in: $RESTAGE_CHROMIUM, else Chromium or Chrome on the
/// PATH (scripts/test.sh installs Debian's chromium when it can).
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RESTAGE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

#[test]
fn the_html_report_is_one_page_that_headless_chromium_renders_with_its_tables() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI renders the report in Chromium: install Debian's chromium (scripts/test.sh does)"
        );
        crate::support::say_skipped(
            "it: no Chromium to render the report in (set RESTAGE_CHROMIUM or install chromium)",
        );
        return;
    };
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE customers (id serial PRIMARY KEY, full_name text, email text, city text,
                                 loyalty_tier text);
         INSERT INTO customers (full_name, email, city, loyalty_tier)
           SELECT 'Ann Lee ' || g, 'ann' || g || '@mail.example', 'Leeds', 'gold'
           FROM generate_series(1, 40) g;
         CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers,
                              ship_city text, total numeric);
         INSERT INTO orders (customer_id, ship_city, total)
           SELECT g, 'York', g * 1.5 FROM generate_series(1, 40) g;
         CREATE TABLE audit_events (id serial PRIMARY KEY, payload text);
         ANALYZE;",
    );
    let staging = staging();
    let dir = work_dir();
    let profile = crate::support::profile(
        &dir,
        "version = 1\n\
         [tables.customers.columns]\nfull_name = \"name\"\nemail = \"email\"\ncity = \"city\"\n\
         [tables.orders.columns]\nship_city = \"city\"\n\
         [tables.audit_events]\ndata = false\n",
    );
    copy(dir.path(), &source, &staging, &profile);
    report(
        dir.path(),
        &source,
        &staging,
        &profile,
        &["--output", "privacy.html"],
    )
    .assert_code(0);
    let page = dir.path().join("privacy.html");
    let html = std::fs::read_to_string(&page).expect("privacy.html");
    for absent in ["<script", "<link", "src=", "@import", "url("] {
        assert!(
            !html.contains(absent),
            "the page is not self-contained: {absent}"
        );
    }
    assert_eq!(html.matches("<table class=\"columns\">").count(), 3);

    let shot = dir.path().join("shot.png");
    let browser_home = dir.path().join("browser");
    let rendered = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--no-first-run", "--window-size=1280,2400"])
        .arg(format!("--user-data-dir={}", browser_home.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    if let Some(keep) = std::env::var_os("RESTAGE_REPORT_SHOT") {
        std::fs::copy(&shot, keep).expect("keep the screenshot");
    }
    let bands = header_bands(&shot);
    // Each table's header row: 3 column tables and the history; the fact tables have light
    // headers of their own colour.
    assert!(
        bands >= 4,
        "{bands} dark header rows on the screenshot (expected the 3 column tables and the history)"
    );
}

/// How many separate horizontal bands of the table header's colour (#1f3a5f), each at least
/// 12 pixels high and 200 wide, the screenshot shows: the rendered header rows of tables.
fn header_bands(png_path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("open the screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let frame = reader
        .next_frame(&mut pixels)
        .expect("decode the screenshot");
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let header_row = |y: usize| {
        let row = &pixels[y * frame.line_size..];
        (0..width)
            .filter(|x| {
                let p = &row[x * channels..x * channels + 3];
                p[0].abs_diff(0x1f) < 6 && p[1].abs_diff(0x3a) < 6 && p[2].abs_diff(0x5f) < 6
            })
            .count()
            >= 200
    };
    let mut bands = 0;
    let mut run_height = 0;
    for y in 0..height {
        if header_row(y) {
            run_height += 1;
        } else {
            bands += usize::from(run_height >= 12);
            run_height = 0;
        }
    }
    bands
}
