//! The judge: restage's judgment measured on the labeled corpus of `tests/corpus` — schemas
//! modeled on public sample databases and open-source applications, filled by
//! `tests/corpus/generate.sql`, every column labeled with the personal data it holds. For each
//! schema: `init` writes a profile, and that profile, exactly as written, goes through `check`,
//! `copy` and `verify`. The table printed (`scripts/judge`) is the yardstick of every change
//! to detection; the test holds it to the bar of issue 24.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::*;

/// What one label says a column holds.
#[derive(Debug, Clone)]
struct Label {
    kind: String,
    why: String,
}

/// The transforms that are the right rule for each kind of personal data (any kind: a table
/// left out with `data = false`).
fn right_rules(kind: &str) -> &'static [&'static str] {
    match kind {
        "name" => &[
            "name",
            "first_name",
            "last_name",
            "template",
            "null",
            "constant",
        ],
        "email" => &["email", "null", "constant", "template"],
        "phone" => &["phone", "null", "constant"],
        "address" => &["street_address", "null", "constant"],
        "city" => &["city", "null", "constant"],
        "postcode" => &["postcode", "number", "mask", "null", "constant"],
        "region" => &["region", "null", "constant"],
        "birth_date" => &["date", "null"],
        "national_id" => &["mask", "hash", "regex", "template", "null"],
        "card" => &["card", "mask", "null"],
        "ip" => &["ipv4", "ipv6", "null"],
        "free_text" => &["sentence", "paragraph", "words", "null", "constant"],
        "photo" => &["null", "constant"],
        "login" => &["username", "email", "hash", "null"],
        "password" => &["password", "hash", "null", "constant"],
        "secret" => &["hash", "password", "null", "constant"],
        _ => &[],
    }
}

/// One column's verdict.
#[derive(Debug)]
struct Column {
    table: String,
    column: String,
    label: Label,
    /// The transform `init` chose (`keep` when none), or `data = false`.
    rule: String,
    /// Rows whose staging value equals the source's (by primary key), when it was copied.
    surviving: usize,
}

impl Column {
    fn personal(&self) -> bool {
        self.label.kind != "none"
    }

    /// Ruled, or (if personal) in a table left out: leaving out a table is no finding about
    /// its other columns.
    fn detected(&self) -> bool {
        match self.rule.as_str() {
            "keep" => false,
            "data = false" => self.personal(),
            _ => true,
        }
    }

    fn right_rule(&self) -> bool {
        self.rule == "data = false" || right_rules(&self.label.kind).contains(&self.rule.as_str())
    }
}

/// One schema's results.
struct Verdict {
    schema: String,
    columns: Vec<Column>,
    /// Exit codes of init, check, copy and verify.
    codes: [Option<i32>; 4],
    /// Verification problems about columns none of whose labeled values survived.
    false_alarms: Vec<String>,
    /// What a failing command printed, for the report.
    failures: Vec<String>,
}

/// The corpus schemas: every `tests/corpus/*.sql` but the generators, or those named in
/// `RESTAGE_JUDGE` (comma-separated).
fn corpus_schemas() -> Vec<String> {
    let wanted: Option<Vec<String>> = std::env::var("RESTAGE_JUDGE")
        .ok()
        .filter(|names| !names.is_empty())
        .map(|names| names.split(',').map(str::to_owned).collect());
    let mut schemas: Vec<String> = std::fs::read_dir(repo_file("tests/corpus"))
        .expect("tests/corpus")
        .filter_map(|entry| {
            let path = entry.expect("entry").path();
            let name = path.file_name()?.to_str()?.strip_suffix(".sql")?.to_owned();
            (name != "generate").then_some(name)
        })
        .filter(|name| wanted.as_ref().is_none_or(|wanted| wanted.contains(name)))
        .collect();
    schemas.sort();
    schemas
}

fn labels(schema: &str) -> BTreeMap<(String, String), Label> {
    let path = repo_file(&format!("tests/corpus/{schema}.labels.toml"));
    let text = std::fs::read_to_string(&path).expect("labels");
    let tables: toml::Table = toml::from_str(&text).expect("labels parse");
    let mut labels = BTreeMap::new();
    for (table, columns) in tables {
        for (column, label) in columns.as_table().expect("a table of columns") {
            let label = label.as_str().expect("\"kind: why\"");
            let (kind, why) = label.split_once(": ").expect("\"kind: why\"");
            assert!(
                kind == "none" || !right_rules(kind).is_empty(),
                "{schema}: unknown kind {kind}"
            );
            labels.insert(
                (table.clone(), column.clone()),
                Label {
                    kind: kind.to_owned(),
                    why: why.to_owned(),
                },
            );
        }
    }
    labels
}

/// The transform of a rule as the profile writes it.
fn transform_of(rule: &toml::Value) -> String {
    match rule {
        toml::Value::String(name) => name.clone(),
        toml::Value::Table(table) => match table.get("transform") {
            Some(toml::Value::String(name)) => name.clone(),
            _ => table.keys().next().cloned().unwrap_or_default(),
        },
        other => other.to_string(),
    }
}

/// (table, column) → the transform `init` wrote for it.
fn rules_written(profile: &Path) -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(profile).expect("profile written");
    let parsed: toml::Table = toml::from_str(&text).expect("profile parses");
    let mut rules = BTreeMap::new();
    let Some(tables) = parsed.get("tables").and_then(toml::Value::as_table) else {
        return rules;
    };
    for (table, entry) in tables {
        if entry.get("data").and_then(toml::Value::as_bool) == Some(false) {
            rules.insert((table.clone(), "*".to_owned()), "data = false".to_owned());
        }
        if let Some(columns) = entry.get("columns").and_then(toml::Value::as_table) {
            for (column, rule) in columns {
                rules.insert((table.clone(), column.clone()), transform_of(rule));
            }
        }
    }
    rules
}

/// Key → value (as text) of every row of `table` in `db`, keyed by the primary key.
fn values_by_key(db: &mut TestDb, table: &str, column: &str) -> BTreeMap<String, String> {
    let key = db.scalar(&format!(
        "SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM pg_index i, \
         unnest(i.indkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attnum = k.attnum \
         WHERE i.indisprimary AND i.indrelid = '{table}'::regclass AND a.attrelid = i.indrelid"
    ));
    assert_ne!(key, "NULL", "{table} has a primary key in the corpus");
    let json = db.scalar(&format!(
        "SELECT coalesce(json_object_agg(row({key})::text, \"{column}\"::text), '{{}}') \
         FROM {table} WHERE \"{column}\" IS NOT NULL AND \"{column}\"::text <> ''"
    ));
    serde_json::from_str(&json).expect("json object")
}

/// Runs init, check, copy and verify on `schema` and judges the outcome.
fn judge(schema: &str) -> Verdict {
    let mut source = TestDb::new();
    for file in ["generate.sql", &format!("{schema}.sql")] {
        source.execute(
            &std::fs::read_to_string(repo_file(&format!("tests/corpus/{file}"))).expect("corpus"),
        );
    }
    source.execute("DROP SCHEMA gen CASCADE; ANALYZE");
    let mut staging = TestDb::new();
    let dir = work_dir();
    let profile = dir.path().join("profile.toml");
    let profile_arg = profile.to_str().expect("path");
    let source_url = source.url();
    let staging_url = staging.url();
    let command = |args: &[&str]| {
        run(restage(dir.path())
            .args(args)
            .env("RESTAGE_ANONYMIZE_KEY", KEY))
    };
    let runs = [
        command(&["init", "--source-url", &source_url, "--output", profile_arg]),
        command(&[
            "check",
            "--source-url",
            &source_url,
            "--anonymizers",
            profile_arg,
        ]),
        command(&[
            "copy",
            "--yes",
            "--source-url",
            &source_url,
            "--staging-url",
            &staging_url,
            "--anonymizers",
            profile_arg,
        ]),
        command(&[
            "verify",
            "--source-url",
            &source_url,
            "--staging-url",
            &staging_url,
            "--anonymizers",
            profile_arg,
        ]),
    ];
    let codes = [runs[0].code, runs[1].code, runs[2].code, runs[3].code];
    let failures: Vec<String> = ["init", "check", "copy", "verify"]
        .iter()
        .zip(&runs)
        .filter(|(_, run)| run.code != Some(0))
        .map(|(name, run)| format!("{name} exited {:?}:\n{}", run.code, run.stderr.trim()))
        .collect();
    let rules = if profile.exists() {
        rules_written(&profile)
    } else {
        BTreeMap::new()
    };
    let copied = codes[2] == Some(0);
    // The copy swapped staging: the session to the database it replaced is gone.
    staging.reconnect();
    let mut columns = Vec::new();
    for ((table, column), label) in labels(schema) {
        let rule = rules
            .get(&(table.clone(), "*".to_owned()))
            .or_else(|| rules.get(&(table.clone(), column.clone())))
            .cloned()
            .unwrap_or_else(|| "keep".to_owned());
        let surviving = if copied && label.kind != "none" && rule != "data = false" {
            let before = values_by_key(&mut source, &table, &column);
            let after = values_by_key(&mut staging, &table, &column);
            before
                .iter()
                .filter(|(key, value)| after.get(*key) == Some(value))
                .count()
        } else {
            0
        };
        columns.push(Column {
            table,
            column,
            label,
            rule,
            surviving,
        });
    }
    let false_alarms = verification_problems(&runs[2].stderr)
        .into_iter()
        .chain(verification_problems(&runs[3].stderr))
        .filter(|problem| {
            !columns.iter().any(|column| {
                column.surviving > 0
                    && problem.starts_with(&format!("{}.{}:", column.table, column.column))
            })
        })
        .collect();
    Verdict {
        schema: schema.to_owned(),
        columns,
        codes,
        false_alarms,
        failures,
    }
}

/// The problems a failed verification lists.
fn verification_problems(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|line| !line.starts_with("error: verification of"))
        .filter_map(|line| line.strip_prefix("  - "))
        .map(str::to_owned)
        .collect()
}

/// The counts behind a row of the table.
struct Tally {
    personal: usize,
    detected: usize,
    /// Personal columns detected.
    hits: usize,
    /// Personal columns given a rule of their kind.
    right: usize,
    surviving: usize,
}

impl Tally {
    fn of(all: &[&Column]) -> Tally {
        let count = |test: &dyn Fn(&Column) -> bool| all.iter().filter(|c| test(c)).count();
        Tally {
            personal: count(&|c| c.personal()),
            detected: count(&|c| c.detected()),
            hits: count(&|c| c.personal() && c.detected()),
            right: count(&|c| c.personal() && c.right_rule()),
            surviving: all.iter().map(|c| c.surviving).sum(),
        }
    }

    fn recall(&self) -> f64 {
        percent(self.hits, self.personal)
    }

    fn precision(&self) -> f64 {
        percent(self.hits, self.detected)
    }

    fn right_rules(&self) -> f64 {
        percent(self.right, self.personal)
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The table of results, per schema and in total, and the details behind every shortfall.
fn report(verdicts: &[Verdict]) -> String {
    let mut text = format!(
        "{:<10} {:>7} {:>8} {:>9} {:>7} {:>9} {:>10} {:>9} {:>7}  init/check/copy/verify\n",
        "schema",
        "columns",
        "personal",
        "recall",
        "precis.",
        "rightrule",
        "surviving",
        "alarms",
        "found"
    );
    let row = |name: &str, all: &[&Column], alarms: usize, codes: String| {
        let tally = Tally::of(all);
        format!(
            "{name:<10} {:>7} {:>8} {:>8.1}% {:>6.1}% {:>8.1}% {:>10} {:>9} {:>7}  {codes}\n",
            all.len(),
            tally.personal,
            tally.recall(),
            tally.precision(),
            tally.right_rules(),
            tally.surviving,
            alarms,
            tally.detected
        )
    };
    for verdict in verdicts {
        let all: Vec<&Column> = verdict.columns.iter().collect();
        let codes: Vec<String> = verdict
            .codes
            .iter()
            .map(|code| code.map_or("-".to_owned(), |code| code.to_string()))
            .collect();
        text.push_str(&row(
            &verdict.schema,
            &all,
            verdict.false_alarms.len(),
            codes.join("/"),
        ));
    }
    let all: Vec<&Column> = verdicts.iter().flat_map(|v| &v.columns).collect();
    let alarms = verdicts.iter().map(|v| v.false_alarms.len()).sum();
    text.push_str(&row("total", &all, alarms, String::new()));
    for verdict in verdicts {
        for column in &verdict.columns {
            let place = format!("{}: {}.{}", verdict.schema, column.table, column.column);
            let label = format!("{} ({})", column.label.kind, column.label.why);
            if column.personal() && !column.detected() {
                text.push_str(&format!("missed      {place}: {label}\n"));
            } else if !column.personal() && column.detected() {
                text.push_str(&format!(
                    "false find  {place}: ruled {}, but {label}\n",
                    column.rule
                ));
            } else if column.personal() && !column.right_rule() {
                text.push_str(&format!(
                    "wrong rule  {place}: ruled {}, but {label}\n",
                    column.rule
                ));
            }
            if column.surviving > 0 {
                text.push_str(&format!(
                    "surviving   {place}: {} values unchanged in staging\n",
                    column.surviving
                ));
            }
        }
        for alarm in &verdict.false_alarms {
            text.push_str(&format!("false alarm {}: {alarm}\n", verdict.schema));
        }
        for failure in &verdict.failures {
            text.push_str(&format!("failed      {}: {failure}\n", verdict.schema));
        }
    }
    text
}

#[test]
fn judgment_on_the_labeled_corpus_misses_nothing_and_cries_no_wolf() {
    let schemas = corpus_schemas();
    let verdicts: Vec<Verdict> = std::thread::scope(|scope| {
        let running: Vec<_> = schemas
            .iter()
            .map(|schema| scope.spawn(|| judge(schema)))
            .collect();
        running
            .into_iter()
            .map(|judging| judging.join().expect("judge"))
            .collect()
    });
    let table = report(&verdicts);
    println!("{table}");
    let all: Vec<&Column> = verdicts.iter().flat_map(|v| &v.columns).collect();
    let tally = Tally::of(&all);
    assert!(
        verdicts
            .iter()
            .all(|verdict| verdict.codes.iter().all(|code| *code == Some(0))),
        "every command exits 0:\n{table}"
    );
    assert_eq!(tally.hits, tally.personal, "recall is 100%:\n{table}");
    assert!(
        tally.precision() >= 90.0,
        "precision is at least 90%:\n{table}"
    );
    assert!(
        tally.right_rules() >= 95.0,
        "the right rule for at least 95% of personal columns:\n{table}"
    );
    assert_eq!(tally.surviving, 0, "no labeled value survives:\n{table}");
    assert!(
        verdicts
            .iter()
            .all(|verdict| verdict.false_alarms.is_empty()),
        "no false alarm:\n{table}"
    );
}
