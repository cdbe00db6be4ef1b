//! `restage copy`, `check` and `rollback` against real PostgreSQL: anonymization, pass-through,
//! schema features, filters and subsets, fail-closed checks, bad profiles, failures, swap.

use std::path::{Path, PathBuf};

use crate::support::{
    KEY, Run, TestDb, default_profile, edited_default, pbkdf2_sha256, production, profile,
    repo_file, restage, run, staging, work_dir,
};

/// `restage copy --yes --json` from `source` into `staging` with `profile`.
pub(crate) fn copy(source: &TestDb, staging: &TestDb, profile: &Path, extra: &[&str]) -> Run {
    copy_with_key(source, staging, profile, KEY, extra)
}

/// [`copy`] with `key` in the key's environment variable.
fn copy_with_key(
    source: &TestDb,
    staging: &TestDb,
    profile: &Path,
    key: &str,
    extra: &[&str],
) -> Run {
    let dir = work_dir();
    run(restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--json",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
            "--anonymizers",
        ])
        .arg(profile)
        .args(extra)
        .env("RESTAGE_ANONYMIZE_KEY", key))
}

/// `restage check` of `source` with `profile`.
pub(crate) fn check(source: &TestDb, profile: &Path) -> Run {
    let dir = work_dir();
    run(restage(dir.path())
        .args(["check", "--source-url", &source.url(), "--anonymizers"])
        .arg(profile))
}

/// `restage verify ARGS` of `staging` against `source` with `profile`.
pub(crate) fn verify(source: &TestDb, staging: &TestDb, profile: &Path, extra: &[&str]) -> Run {
    let dir = work_dir();
    run(restage(dir.path())
        .args([
            "verify",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
            "--anonymizers",
        ])
        .arg(profile)
        .args(extra))
}

/// Starts a copy whose data phase takes seconds (a sleeping row filter) and returns once it
/// is loading: the child process and the name of the database it loads.
fn start_slow_copy(
    dir: &tempfile::TempDir,
    source: &TestDb,
    staging: &mut TestDb,
) -> (std::process::Child, String) {
    let slow = edited_default(
        dir,
        &[(
            "[tables.orders.columns]",
            "[tables.orders]\nwhere = \"pg_sleep(0.01) IS NOT NULL\"\n\n[tables.orders.columns]",
        )],
    );
    let child = restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
            "--anonymizers",
        ])
        .arg(&slow)
        .env("RESTAGE_ANONYMIZE_KEY", KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start restage");
    let next = format!("{}_restage_next", staging.name);
    crate::support::wait_until_loading_rows(&next);
    (child, next)
}

/// `SELECT …` on both databases: (source, staging).
fn both(source: &mut TestDb, staging: &mut TestDb, sql: &str) -> (String, String) {
    (source.scalar(sql), staging.scalar(sql))
}

#[test]
fn copy_anonymizes_personal_data_and_passes_everything_else_through() {
    let mut source = production();
    let mut staging = staging();
    let copied = copy(
        &source,
        &staging,
        &repo_file("anonymizers/default.toml"),
        &[],
    );
    copied.assert_code(0);
    let report = copied.json();
    assert_eq!(report["status"], "ok");
    assert!(
        report["previous"]
            .as_str()
            .is_some_and(|p| p.ends_with("_restage_prev")),
        "{report}"
    );
    staging.reconnect();

    // Row counts: all, except the schema-only tables.
    for table in [
        "users",
        "customers",
        "products",
        "items",
        "movements",
        "orders",
        "order_items",
        "payments",
    ] {
        let count = format!("SELECT count(*) FROM {table}");
        let (a, b) = both(&mut source, &mut staging, &count);
        assert_eq!(a, b, "{table}");
    }
    assert_eq!(staging.scalar("SELECT count(*) FROM audit_log"), "0");
    assert_eq!(staging.scalar("SELECT count(*) FROM sessions"), "0");
    assert_eq!(
        staging.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'yesterday'"),
        "0"
    );

    // Personal data replaced, shapes kept.
    let emails = "SELECT string_agg(email::text, ',' ORDER BY id) FROM users";
    let (real, fake) = both(&mut source, &mut staging, emails);
    assert!(
        real.split(',')
            .zip(fake.split(','))
            .all(|(r, f)| r != f && f.ends_with("@example.com")),
        "{fake}"
    );
    assert_eq!(
        staging.scalar("SELECT count(DISTINCT email) FROM users"),
        "300"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM users WHERE full_name LIKE 'Real Person%'"),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM customers WHERE street_address LIKE '%Real Street'"),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM movements WHERE note LIKE '%Real Person%'"),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT count(DISTINCT password_hash) FROM users"),
        "1"
    );
    assert_eq!(staging.scalar("SELECT count(*) FROM payments WHERE card_number IN ('4111111111111111', '5500000000000004', '4012888888881881')"), "0");
    assert_eq!(
        staging.scalar("SELECT count(*) FROM payments WHERE right(card_number, 4) <> card_last4"),
        "0"
    );
    // Birth dates keep their 5-year band.
    let bands = "SELECT md5(string_agg((extract(year FROM date_of_birth)::int / 5)::text, ',' ORDER BY id)) FROM customers";
    let (a, b) = both(&mut source, &mut staging, bands);
    assert_eq!(a, b, "birth dates left their age band");

    // Columns without rules are byte-identical.
    for (table, columns) in [
        ("users", "id, role_id, is_active, created_at"),
        ("products", "*"),
        (
            "orders",
            "id, order_number, customer_id, status, total, currency, placed_at",
        ),
        ("payments", "id, order_id, card_last4, amount, status"),
        ("locations", "*"),
    ] {
        let digest = format!(
            "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT {columns} FROM {table}) t"
        );
        let (a, b) = both(&mut source, &mut staging, &digest);
        assert_eq!(a, b, "{table} ({columns}) changed");
    }

    // Schema: constraints, indexes and triggers are there; sequences are past the data.
    let shape = "SELECT (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace) || '/' || \
                 (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') || '/' || \
                 (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)";
    let (a, b) = both(&mut source, &mut staging, shape);
    assert_eq!(a, b);
    let next_id: i64 = staging
        .scalar("SELECT nextval('users_id_seq')")
        .parse()
        .expect("id");
    assert!(next_id > 300, "sequence not set: {next_id}");

    // The previous staging is kept, and rollback swaps it back.
    assert!(staging.database_exists(&format!("{}_restage_prev", staging.name)));
    let dir = work_dir();
    run(restage(dir.path()).args(["rollback", "--yes", "--staging-url", &staging.url()]))
        .assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
}

#[test]
fn the_same_key_gives_the_same_fakes_and_another_key_others() {
    let source = production();
    let mut first = staging();
    let mut second = staging();
    copy(&source, &first, &repo_file("anonymizers/default.toml"), &[]).assert_code(0);
    copy(
        &source,
        &second,
        &repo_file("anonymizers/default.toml"),
        &["--jobs", "1"],
    )
    .assert_code(0);
    first.reconnect();
    second.reconnect();
    let people = "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM (SELECT id, email, full_name, phone, date_of_birth FROM customers) t";
    assert_eq!(first.scalar(people), second.scalar(people));
    // Equal inputs give equal outputs across tables: one e-mail in two columns.
    let dir = work_dir();
    let mut other = staging();
    run(restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
            &other.url(),
            "--anonymizers",
        ])
        .arg(repo_file("anonymizers/default.toml"))
        .env("RESTAGE_ANONYMIZE_KEY", "another key, as long"))
    .assert_code(0);
    other.reconnect();
    assert_ne!(first.scalar(people), other.scalar(people));
}

#[test]
fn uncovered_personal_data_stops_the_copy_and_keep_silences_it() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let weak = edited_default(
        &dir,
        &[(
            "email = { transform = \"email\", domain = \"example.com\" }\nfull_name = \"name\"\nphone = \"phone\"\npassword_hash",
            "password_hash",
        )],
    );
    let refused = copy(&source, &staging, &weak, &[]);
    refused
        .assert_code(7)
        .assert_stderr_contains("3 column(s) look like personal data and have no rule")
        .assert_stderr_contains("users.email (citext): its name says an e-mail address ('email')")
        .assert_stderr_contains("users.full_name")
        .assert_stderr_contains("users.phone");
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));

    check(&source, &weak)
        .assert_code(7)
        .assert_stderr_contains("users.email");

    let kept = edited_default(
        &dir,
        &[(
            "full_name = \"name\"\nphone = \"phone\"\npassword_hash",
            "full_name = \"keep\"\nphone = \"keep\"\npassword_hash",
        )],
    );
    check(&source, &kept)
        .assert_code(0)
        .assert_stdout_contains("has a rule");
}

#[test]
fn profile_mistakes_are_reported_with_file_line_and_column_before_any_write() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let bad = profile(
        &dir,
        "version = 1\n\n[tables.users.columns]\nemial = \"email\"\nfull_name = \"nmae\"\nphone = { transform = \"phone\", colour = \"red\" }\n\n[tables.clients]\ndata = false\n",
    );
    let failed = copy(&source, &staging, &bad, &[]);
    failed
        .assert_code(2)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("profile.toml (checked before any row is read)")
        .assert_stderr_contains("line 4: users.emial: no such column; columns of users: id, email")
        .assert_stderr_contains(
            "line 5: users.full_name: unknown transformer 'nmae'; did you mean 'name'?",
        )
        .assert_stderr_contains("line 6: users.phone: unknown option 'colour'")
        .assert_stderr_contains(
            "line 8: tables.clients: no table 'clients' in the source database",
        );
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");

    let unfit = profile(
        &dir,
        "version = 1\n[tables.users.columns]\nrole_id = \"email\"\n",
    );
    copy(&source, &staging, &unfit, &[])
        .assert_code(2)
        .assert_stderr_contains(
            "line 3: users.role_id: transformer 'email' cannot write a bigint column",
        );
    let bad_where = profile(
        &dir,
        "version = 1\n[tables.users]\nwhere = \"created_at >\"\n",
    );
    copy(&source, &staging, &bad_where, &[])
        .assert_code(2)
        .assert_stderr_contains(
            "line 3: tables.users.where: `created_at >` does not run on the source",
        );
    let malformed = profile(&dir, "version = 1\n[tables.users.columns\n");
    copy(&source, &staging, &malformed, &[])
        .assert_code(2)
        .assert_stderr_contains("line 2");
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
}

/// Asserts that `texts` appear in `stderr` in this order.
fn assert_in_order(stderr: &str, texts: &[&str]) {
    let positions: Vec<usize> = texts
        .iter()
        .map(|text| {
            stderr
                .find(text)
                .unwrap_or_else(|| panic!("stderr lacks {text:?}:\n{stderr}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "not in line order:\n{stderr}"
    );
}

#[test]
fn every_profile_mistake_is_reported_at_once_in_line_order() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    // Tables in anti-alphabetical order: the report follows the file, not the names.
    let bad = profile(
        &dir,
        "version = 1\n[tables.users.columns]\nemial = \"email\"\n[tables.orders.columns]\nnope = \"keep\"\n\
         [tables.customers.columns]\nemail = \"nmae\"\n[tables.addresses]\ndata = false\n",
    );
    let failed = copy(&source, &staging, &bad, &[]);
    failed.assert_code(2);
    assert_in_order(
        &failed.stderr,
        &[
            "line 3: users.emial",
            "line 5: orders.nope: no such column",
            "line 7: customers.email: unknown transformer 'nmae'",
            "line 8: tables.addresses: no table 'addresses'",
        ],
    );

    let malformed = profile(
        &dir,
        "version = 1\ncolour = \"red\"\n[tables.users]\ndata = \"no\"\npublic = \"email\"\n",
    );
    let failed = copy(&source, &staging, &malformed, &[]);
    failed.assert_code(2);
    assert_in_order(
        &failed.stderr,
        &[
            "line 2: colour: unknown field `colour`",
            "line 4: tables.users.data: a text value \"no\", expected true or false (without quotes)",
            "line 5: tables.users.public: a text value \"email\", expected a list, [\"…\"]",
        ],
    );
    let document = failed.json();
    assert_eq!(document["command"], "copy", "{document}");
    let problems = document["problems"].as_array().expect("typed problems");
    let located: Vec<(&str, u64)> = problems
        .iter()
        .map(|p| {
            assert_eq!(p["file"], malformed.display().to_string(), "{p}");
            assert!(p["message"].as_str().is_some_and(|m| !m.is_empty()), "{p}");
            (
                p["key"].as_str().unwrap_or_default(),
                p["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        located,
        [
            ("colour", 2),
            ("tables.users.data", 4),
            ("tables.users.public", 5)
        ]
    );
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
}

#[test]
fn table_names_may_be_sql_quoted_and_unknown_ones_get_suggestions() {
    let mut source = TestDb::new();
    source.execute(
        &std::fs::read_to_string(repo_file("tests/fixtures/edge_schema.sql")).expect("fixture"),
    );
    let staging = staging();
    let dir = work_dir();
    let quoted = profile(
        &dir,
        "version = 1\n[tables.'\"Sales\".\"Order\"'.columns]\nemail = \"keep\"\nip = \"keep\"\n\
         [tables.'public.\"tree\"'.columns]\nlabel = \"keep\"\n[tables.'\"no_pk\"']\ndata = false\n",
    );
    let planned = copy(&source, &staging, &quoted, &["--dry-run"]);
    planned.assert_code(0);
    let plan = planned.json();
    let table = |name: &str| {
        plan["plan"]
            .as_array()
            .expect("plan")
            .iter()
            .find(|t| t["table"] == name)
            .unwrap_or_else(|| panic!("{name} in the plan"))
            .clone()
    };
    assert_eq!(
        table("Sales.Order")["kept"],
        serde_json::json!(["email", "ip"])
    );
    assert_eq!(table("tree")["kept"], serde_json::json!(["label"]));
    assert_eq!(table("no_pk")["schema_only"], true);

    let misspelt = profile(
        &dir,
        "version = 1\n[tables.'Sales.Ordr'.columns]\nemail = \"keep\"\n[tables.trea]\ndata = false\n\
         [tables.'SALES.ORDER']\ndata = false\n[tables.invoices]\ndata = false\n\
         [subset]\nlimits = { 'cycle_c' = 5 }\n",
    );
    copy(&source, &staging, &misspelt, &["--dry-run"])
        .assert_code(2)
        .assert_stderr_contains(
            "no table 'Sales.Ordr' in the source database; did you mean 'Sales.Order'?",
        )
        .assert_stderr_contains("no table 'trea' in the source database; did you mean 'tree'?")
        .assert_stderr_contains(
            "no table 'SALES.ORDER' in the source database; did you mean 'Sales.Order'?",
        )
        .assert_stderr_contains(
            "no table 'invoices' in the source database; `restage copy --dry-run` lists the tables",
        )
        .assert_stderr_contains(
            "no table 'cycle_c' in the source database; did you mean 'cycle_a' or 'cycle_b'?",
        );
}

#[test]
fn text_rules_write_citext_of_any_schema_and_domains_over_text_types() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE SCHEMA ext;
         CREATE EXTENSION citext SCHEMA ext;
         CREATE DOMAIN email_address AS ext.citext;
         CREATE DOMAIN work_email AS email_address CHECK (VALUE LIKE '%@%');
         CREATE DOMAIN short_name AS varchar(8);
         CREATE DOMAIN nickname AS short_name;
         CREATE TABLE accounts (email ext.citext PRIMARY KEY, name short_name NOT NULL, nick nickname);
         CREATE UNIQUE INDEX accounts_lower_email ON accounts (lower(email::text));
         CREATE TABLE orders (
             id int PRIMARY KEY,
             account_email ext.citext NOT NULL REFERENCES accounts (email),
             contact work_email
         );
         INSERT INTO accounts VALUES
             ('Mary.Smith@Example.com', 'Mary', 'mare'), ('john@shop.example', 'John', NULL),
             ('ANA.LOPEZ@Example.org', 'Ana', 'ana');
         INSERT INTO orders VALUES
             (1, 'mary.smith@example.com', 'MARY.SMITH@EXAMPLE.COM'),
             (2, 'JOHN@SHOP.EXAMPLE', 'john@shop.example'),
             (3, 'ana.lopez@example.org', NULL);",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.accounts.columns]\nemail = \"email\"\nname = \"last_name\"\nnick = \"first_name\"\n\
         [tables.orders.columns]\naccount_email = \"email\"\ncontact = \"email\"\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    // Every address changed, case variants of one address became one fake in every table,
    // and the foreign key (checked when post-data added it) still resolves.
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM accounts WHERE email IN
               ('mary.smith@example.com', 'john@shop.example', 'ana.lopez@example.org')"
        ),
        "0"
    );
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM orders o JOIN accounts a ON a.email = o.account_email
             WHERE o.contact IS NULL OR o.contact::text = a.email::text"
        ),
        "3"
    );
    assert_eq!(
        staging.scalar("SELECT count(DISTINCT lower(email::text)) FROM accounts"),
        "3"
    );
    // Domains over varchar(8), directly and through another domain, get fakes that fit.
    assert_eq!(
        staging.scalar(
            "SELECT bool_and(length(name) <= 8 AND coalesce(length(nick), 0) <= 8) FROM accounts"
        ),
        "true"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM accounts WHERE name IN ('Mary', 'John', 'Ana')"),
        "0"
    );
}

#[test]
fn fakes_are_tried_against_domain_checks_before_anything_is_written() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE DOMAIN phone_e164 AS varchar(16) CHECK (VALUE ~ '^\\+[1-9][0-9]{6,14}$');
         CREATE DOMAIN mobile AS phone_e164 CHECK (length(VALUE) >= 10);
         CREATE TABLE contacts (id int PRIMARY KEY, phone phone_e164, mobile mobile);
         INSERT INTO contacts
         SELECT i, '+4420794' || lpad(i::text, 5, '0'), CASE WHEN i % 3 = 0 THEN NULL
                ELSE '+3161234' || lpad(i::text, 4, '0') END
         FROM generate_series(1, 500) i;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let varied = profile(
        &dir,
        "version = 1\n[tables.contacts.columns]\nphone = \"phone\"\nmobile = { transform = \"phone\", format = \"+31 6 ########\" }\n",
    );
    copy(&source, &staging, &varied, &[])
        .assert_code(2)
        .assert_stderr_contains(
            "contacts.phone: the fakes of rule 'phone' do not fit its type phone_e164",
        )
        .assert_stderr_contains("CHECK")
        .assert_stderr_contains("format = \"e164\"")
        .assert_stderr_contains(
            "contacts.mobile: the fakes of rule 'phone' do not fit its type mobile",
        )
        .assert_clean_failure("+4420794")
        .assert_no_secret("+3161234");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));

    let e164 = profile(
        &dir,
        "version = 1\n[tables.contacts.columns]\nphone = { transform = \"phone\", format = \"e164\" }\nmobile = { transform = \"phone\", format = \"+316########\" }\n",
    );
    copy(&source, &staging, &e164, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM contacts WHERE phone ~ '^\\+[1-9][0-9]{6,14}$'
               AND phone NOT LIKE '+4420794%' AND (mobile IS NULL) = (id % 3 = 0)
               AND (mobile IS NULL OR mobile NOT LIKE '+3161234%')"
        ),
        "500"
    );
}

#[test]
fn a_value_the_target_refuses_is_named_by_column_and_rule_never_shown() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE DOMAIN short_code AS text CHECK (length(VALUE) <= 8);
         CREATE TABLE codes (id bigint PRIMARY KEY, code short_code NOT NULL);
         INSERT INTO codes VALUES (1, 'secret-1'), (1000000001, 'secret-2');",
    );
    let mut staging = staging();
    let dir = work_dir();
    // The plan's sample of fakes passes (it knows no ids); the long id does not.
    let rules = profile(
        &dir,
        "version = 1\n[tables.codes.columns]\ncode = { transform = \"template\", template = \"c-{id}\" }\n",
    );
    copy(&source, &staging, &rules, &[])
        .assert_code(4)
        .assert_stderr_contains("copying codes failed: the target refused a row, column code:")
        .assert_stderr_contains("violates check constraint \"short_code_check\"")
        .assert_stderr_contains("(rules: code = 'template')")
        .assert_clean_failure("secret-")
        .assert_no_secret("c-1000000001");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));
    staging.reconnect();
}

/// `fast` travels in binary, its ruled date, timestamp, inet, cidr and jsonb columns read as
/// text and written in their binary form by restage; `slow`, with the same values, travels in text
/// (an array of an enum keeps it there: its type may have another OID in the target). Both
/// must come out the same, to the byte.
#[test]
fn ruled_dates_times_addresses_and_jsonb_copied_in_binary_equal_a_copy_in_text() {
    let mut source = TestDb::new();
    let columns = "id int PRIMARY KEY, day date, ip inet, net cidr, doc jsonb, note text, \
                   at timestamptz, local timestamp";
    source.execute(&format!(
        "CREATE TYPE mood AS ENUM ('calm', 'busy');
         CREATE TABLE fast ({columns});
         CREATE TABLE slow ({columns}, moods mood[]);
         INSERT INTO fast VALUES
           (1, '2024-02-29', '10.1.2.3', '10.0.0.0/8',
               '{{\"email\": \"ann@shop.example\", \"n\": 1.50}}', 'a',
               '2024-02-29 23:59:59.5+00', '2024-02-29 23:59:59.123456'),
           (2, '0044-03-15 BC', '10.1.2.3/8', '192.168.1.0/24',
               '{{\"email\": \"bob@shop.example\", \"s\": \"tab\\there\"}}', 'b',
               '0044-03-15 10:00:00+05:30 BC', '0044-03-15 10:00:00 BC'),
           (3, NULL, '2001:db8::1', '2001:db8::/32', NULL, 'c', NULL, NULL),
           (4, 'infinity', '::ffff:1.2.3.4/128', NULL, '[]', NULL,
               '1899-12-31 19:32:20-04:27:40', '1999-12-31 00:00:00'),
           (5, '1999-12-31', '172.16.0.1/32', '10.1.0.0/16', '{{\"email\": null}}', 'e',
               '2020-06-01 12:34:56.789-08', '2020-06-01 12:34:56');
         INSERT INTO slow SELECT *, '{{calm}}' FROM fast;"
    ));
    let rules = "day = { transform = \"date\", shift_days = 30, keep_null = true }\n\
                 at = { transform = \"date\", shift_days = 10 }\n\
                 local = { transform = \"date\", shift_days = 10 }\n\
                 ip = \"ipv6\"\nnet = \"keep\"\nnote = \"keep\"\n\
                 doc = { transform = \"json\", paths = { \"$.email\" = \"email\" } }\n";
    let dir = work_dir();
    let profile = profile(
        &dir,
        &format!(
            "version = 1\n[tables.fast.columns]\n{rules}\
             [tables.slow.columns]\n{rules}moods = \"keep\"\n"
        ),
    );
    let mut staging = staging();
    let run = copy(&source, &staging, &profile, &[]);
    // `date` cannot shift infinity: the copy stops at that row, in either format.
    run.assert_code(4)
        .assert_stderr_contains("'infinity' does not start with a YYYY-MM-DD date");
    source.execute("UPDATE fast SET day = '2000-01-01' WHERE id = 4; UPDATE slow SET day = '2000-01-01' WHERE id = 4;");
    copy(&source, &staging, &profile, &[]).assert_code(0);
    staging.reconnect();
    let row = |table: &str| {
        format!(
            "SELECT string_agg(concat_ws('|', id, day, ip, net, doc, note, at, local), ';' ORDER BY id) \
             FROM {table}"
        )
    };
    let (fast, slow) = (staging.scalar(&row("fast")), staging.scalar(&row("slow")));
    assert_eq!(fast, slow);
    assert!(
        !fast.contains("shop.example") && !fast.contains("2024-02-29"),
        "{fast}"
    );
    assert!(
        fast.contains("23:59:59.5+00") && fast.contains("23:59:59.123456"),
        "{fast}"
    );
    // Kept and NULL values arrive as they were.
    assert_eq!(
        staging.scalar("SELECT string_agg(concat_ws('|', net, note), ';' ORDER BY id) FROM fast"),
        source.scalar("SELECT string_agg(concat_ws('|', net, note), ';' ORDER BY id) FROM fast")
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM fast WHERE day IS NULL OR doc IS NULL"),
        "1"
    );
}

#[test]
fn json_paths_filter_and_descend_and_untouched_values_pass_verification() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE events (id int PRIMARY KEY, payload json, details jsonb, note text);
         INSERT INTO events VALUES
           (1, '{\"contacts\": [{\"type\": \"email\", \"value\": \"mary@shop.example\"}, {\"type\": \"note\", \"value\": \"call after 6\"}]}',
               '{\"a\": {\"b\": [{\"email\": \"deep@shop.example\"}]}}', 'ticket 1'),
           (2, '{\"b\": 1,  \"b\": 2, \"contacts\": []}', '{}', 'mail the shop'),
           (3, '{ \"x\" : [1, 2.50] }', '{\"list\": [\"email\"]}', 'no address here');",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.events.columns]\n\
         payload = { transform = \"json\", paths = { \"$.contacts[?(@.type == 'email')].value\" = \"email\" } }\n\
         details = { transform = \"json\", paths = { \"$..email\" = \"email\" } }\n\
         note = \"keep\"\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%mary@shop%' OR details::text LIKE '%deep@shop%'"),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT payload #>> '{contacts,1,value}' FROM events WHERE id = 1"),
        "call after 6"
    );
    // Documents the rules do not touch arrive as they were, to the byte.
    let (before, after) = both(
        &mut source,
        &mut staging,
        "SELECT string_agg(payload::text || '|' || details::text || '|' || note, ';' ORDER BY id) FROM events WHERE id = 3",
    );
    assert_eq!(before, after);
    let (before, after) = both(
        &mut source,
        &mut staging,
        "SELECT payload::text FROM events WHERE id = 2",
    );
    assert_eq!(before, after);
}

#[test]
fn scrub_replaces_personal_data_inside_free_text_and_keeps_the_rest() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
         CREATE TABLE tickets (id int PRIMARY KEY, customer_id int REFERENCES customers, log text, meta jsonb);
         INSERT INTO customers VALUES (1, 'mary.smith@shop.example'), (2, 'john@corp.example');
         INSERT INTO tickets VALUES
           (1, 1, 'login mary.smith@shop.example from 192.168.10.20; card 4242 4242 4242 4242; call +44 20 7946 0958.',
               '{\"note\": \"call +31 6 1234 5678 or mail john@corp.example\", \"n\": 5}'),
           (2, 2, 'order 12345 shipped on 2026-01-02', '{\"note\": \"nothing personal\"}');",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.customers.columns]\nemail = \"email\"\n\
         [tables.tickets.columns]\nlog = \"scrub\"\nmeta = \"scrub\"\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    let log = staging.scalar("SELECT log FROM tickets WHERE id = 1");
    for secret in [
        "mary.smith@shop.example",
        "192.168.10.20",
        "4242 4242 4242 4242",
        "+44 20 7946 0958",
    ] {
        assert!(!log.contains(secret), "{log}");
    }
    // The text around the tokens is byte-identical, and the address inside the log line is
    // the fake the customers.email rule gave the same customer.
    assert!(log.starts_with("login ") && log.ends_with('.'), "{log}");
    assert!(
        log.contains(" from ") && log.contains("; card ") && log.contains("; call "),
        "{log}"
    );
    let fake_email = staging.scalar("SELECT email FROM customers WHERE id = 1");
    assert!(log.contains(&fake_email), "{log} lacks {fake_email}");
    let meta = staging.scalar("SELECT meta::text FROM tickets WHERE id = 1");
    assert!(
        !meta.contains("john@corp.example") && !meta.contains("1234 5678"),
        "{meta}"
    );
    assert_eq!(
        staging.scalar("SELECT meta ->> 'n' FROM tickets WHERE id = 1"),
        "5"
    );
    let (before, after) = both(
        &mut source,
        &mut staging,
        "SELECT log || '|' || meta::text FROM tickets WHERE id = 2",
    );
    assert_eq!(before, after);
}

#[test]
fn each_rewrites_the_elements_of_arrays_and_domains_over_arrays() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE DOMAIN email_list AS text[] CHECK (array_length(VALUE, 1) < 10);
         CREATE TABLE people (
             id int PRIMARY KEY,
             phones text[],
             emails email_list,
             nicknames varchar(12)[],
             grid text[]
         );
         INSERT INTO people VALUES
           (1, '{\"+44 20 7946 0958\",+31612345678}', '{mary@shop.example,MARY@SHOP.EXAMPLE}',
               '{\"Mary Ann\",NULL}', '{{a,b},{c,d}}'),
           (2, '{}', NULL, '{NULL}', '{{e,NULL}}'),
           (3, NULL, '{john@corp.example}', '{Jo}', NULL);",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.people.columns]\n\
         phones = { each = { transform = \"phone\", format = \"e164\" } }\n\
         emails = { each = \"email\" }\n\
         nicknames = { each = \"first_name\" }\n\
         grid = { each = { transform = \"constant\", value = \"x\" } }\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM people WHERE phones::text LIKE '%7946%' OR phones::text LIKE '%612345678%'
               OR emails::text ILIKE '%shop.example%' OR emails::text LIKE '%corp.example%'
               OR nicknames::text LIKE '%Mary%'"
        ),
        "0"
    );
    // Shapes, NULL elements and NULL arrays stay; case variants of one address become one fake.
    assert_eq!(
        staging.scalar(
            "SELECT array_length(phones, 1) = 2 AND array_length(emails, 1) = 2
                    AND nicknames[1] IS NOT NULL AND nicknames[2] IS NULL AND grid = '{{x,x},{x,x}}'
             FROM people WHERE id = 1"
        ),
        "true"
    );
    assert_eq!(
        staging.scalar(
            "SELECT phones = '{}' AND emails IS NULL AND nicknames = '{NULL}' AND grid::text = '{{x,NULL}}'
             FROM people WHERE id = 2"
        ),
        "true"
    );
    assert_eq!(
        staging.scalar(
            "SELECT phones IS NULL AND array_length(emails, 1) = 1 AND grid IS NULL FROM people WHERE id = 3"
        ),
        "true"
    );
    assert_eq!(
        staging.scalar("SELECT emails[1] = emails[2] AND phones[1] ~ '^\\+[1-9][0-9]{6,14}$' FROM people WHERE id = 1"),
        "true"
    );
    assert_eq!(
        staging.scalar("SELECT bool_and(length(n) <= 12) FROM people, unnest(nicknames) n"),
        "true"
    );
}

#[test]
fn fields_rewrite_composites_nested_and_inside_arrays() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TYPE postal_address AS (street text, city text, zip varchar(8), country char(2));
         CREATE TYPE contact AS (label text, address postal_address);
         CREATE TABLE customers (id int PRIMARY KEY, home postal_address, previous postal_address[], work contact);
         INSERT INTO customers VALUES
           (1, '(\"1 Main St\",Utrecht,\"3511 AB\",NL)',
               ARRAY['(\"2 Side St\",Delft,\"2611 AA\",NL)'::postal_address, NULL],
               ROW('office', ROW('5 Work Rd', 'Amsterdam', '1011 AB', 'NL'))::contact),
           (2, '(,Leiden,,)', '{}', NULL),
           (3, NULL, NULL, ROW('home', NULL)::contact);",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.customers.columns]\n\
         home = { fields = { street = \"street_address\", zip = \"postcode\" } }\n\
         previous = { each = { fields = { street = \"street_address\", city = \"city\" } } }\n\
         work = { fields = { address = { fields = { street = \"street_address\" } } } }\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT (home).street <> '1 Main St' AND (home).city = 'Utrecht' AND (home).zip <> '3511 AB'
                    AND length((home).zip) <= 8 AND (home).country = 'NL'
                    AND (previous[1]).street <> '2 Side St' AND (previous[1]).city <> 'Delft'
                    AND (previous[1]).zip = '2611 AA' AND previous[2] IS NULL
                    AND (work).label = 'office' AND ((work).address).street <> '5 Work Rd'
                    AND ((work).address).city = 'Amsterdam'
             FROM customers WHERE id = 1"
        ),
        "true"
    );
    assert_eq!(
        staging.scalar(
            "SELECT (home).street IS NULL AND (home).city = 'Leiden' AND (home).zip IS NULL
                    AND previous = '{}' AND work IS NULL
             FROM customers WHERE id = 2"
        ),
        "true"
    );
    assert_eq!(
        staging.scalar(
            "SELECT home IS NULL AND previous IS NULL AND (work).label = 'home' AND (work).address IS NULL
             FROM customers WHERE id = 3"
        ),
        "true"
    );
}

#[test]
fn a_schema_with_personal_data_in_every_form_is_anonymized_and_verified() {
    let mut source = TestDb::new();
    source.execute(
        &std::fs::read_to_string(repo_file("tests/fixtures/pii_schema.sql")).expect("fixture"),
    );
    let mut staging = staging();
    let rules = repo_file("tests/fixtures/pii_profile.toml");
    check(&source, &rules).assert_code(0);
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    // No source value survives in any ruled column, compared row by row (ignoring case).
    for (table, key, column) in [
        ("crm.\"Account\"", "id", "email"),
        ("crm.\"Account\"", "id", "full_name"),
        ("crm.\"Account\"", "id", "phone"),
        ("crm.\"Account\"", "id", "home"),
        ("crm.\"Account\"", "id", "previous"),
        ("crm.\"Account\"", "id", "aliases"),
        ("crm.\"Account\"", "id", "phones"),
        ("crm.orders", "id", "account_email"),
        ("crm.orders", "id", "note"),
        ("crm.orders", "id", "payload"),
        ("crm.orders", "id", "details"),
        ("events", "id", "log"),
    ] {
        let values = format!(
            "SELECT string_agg({key} || '=' || lower({column}::text), chr(10) ORDER BY {key}) FROM {table}"
        );
        let (before, after) = both(&mut source, &mut staging, &values);
        assert_eq!(
            before.lines().count(),
            after.lines().count(),
            "{table}.{column}"
        );
        let after: std::collections::HashSet<&str> = after.lines().collect();
        let kept = before.lines().filter(|line| after.contains(line)).count();
        assert_eq!(kept, 0, "{table}.{column} kept {kept} value(s)");
        let leaked = staging.scalar(&format!(
            "SELECT count(*) FROM {table} WHERE lower({column}::text) LIKE '%shop.example%'
               OR lower({column}::text) LIKE '%mail.example%' OR {column}::text LIKE '%+4420794%'
               OR {column}::text LIKE '%20 7946 %' OR {column}::text LIKE '%+3161234%'
               OR {column}::text LIKE '%4242 4242%'"
        ));
        assert_eq!(leaked, "0", "{table}.{column}");
    }
    // One address, one fake: in the key, in the foreign key (case variants), inside the
    // order's note and JSON, and in the aliases' case variants.
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM crm.orders o JOIN crm.\"Account\" a ON a.email = o.account_email
             WHERE position(lower(a.email::text) IN lower(o.note)) > 0
               AND o.payload #>> '{contacts,0,value}' = lower(a.email::text)"
        ),
        "600"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM crm.\"Account\" WHERE aliases[1] = aliases[2]"),
        "300"
    );
    // The text around scrubbed tokens is byte-identical; the domain's check holds.
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM crm.orders
             WHERE note ~ ('^Customer \\S+ called from .+, card [0-9 ]+; ref #' || id || '\\.$')"
        ),
        "600"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM events WHERE log ~ '^login \\S+@\\S+ from [0-9.]+$'"),
        "800"
    );
    assert_eq!(
        staging
            .scalar("SELECT count(*) FROM crm.\"Account\" WHERE phone ~ '^\\+[1-9][0-9]{6,14}$'"),
        "300"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM events_2026"),
        source.scalar("SELECT count(*) FROM events_2026")
    );
}

#[test]
fn not_valid_constraints_and_unpopulated_views_are_copied_as_they_are_and_verify() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE parents (id int PRIMARY KEY);
         CREATE TABLE children (id int PRIMARY KEY, parent_id int, qty int);
         INSERT INTO parents VALUES (1);
         INSERT INTO children VALUES (1, 1, 5), (2, 99, -3);
         ALTER TABLE children ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID;
         ALTER TABLE children ADD CONSTRAINT children_parent FOREIGN KEY (parent_id)
             REFERENCES parents (id) NOT VALID;
         CREATE MATERIALIZED VIEW filled AS SELECT count(*) AS n FROM children;
         CREATE MATERIALIZED VIEW empty_on_purpose AS SELECT count(*) AS n FROM children WITH NO DATA;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(&dir, "version = 1\n");
    copy(&source, &staging, &rules, &[]).assert_code(0);
    verify(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT string_agg(conname || '=' || convalidated, ',' ORDER BY conname) FROM pg_constraint
             WHERE conname IN ('qty_positive', 'children_parent')"
        ),
        "children_parent=false,qty_positive=false"
    );
    assert_eq!(
        staging.scalar(
            "SELECT string_agg(matviewname || '=' || ispopulated, ',' ORDER BY matviewname) FROM pg_matviews"
        ),
        "empty_on_purpose=false,filled=true"
    );
    assert_eq!(staging.scalar("SELECT n FROM filled"), "2");
}

#[test]
fn check_finds_person_names_free_text_and_phone_numbers_inside_it() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE invoices (
             id int PRIMARY KEY,
             display_name text, holder_name text, billing_name varchar(80), card_holder text,
             recipient text, emergency_contact text, signature text,
             product_name text, file_name text, table_name text, placeholder text,
             contact_count int, recipient_id int,
             delivery_note text, internal_comments varchar(200), description text, notes_count int,
             details text, log text
         );
         INSERT INTO invoices (id, details, log) SELECT g,
             CASE WHEN g % 2 = 0 THEN 'Handed to the courier, call 552-941-7925' ELSE 'left at the door' END,
             '2024-01-01 12:00:00 order ' || (1000000 + g) || ' shipped, total 1.234,50'
           FROM generate_series(1, 100) g;",
    );
    let dir = work_dir();
    let empty = profile(&dir, "version = 1\n");
    let found = check(&source, &empty);
    found.assert_code(7);
    for column in [
        "display_name",
        "holder_name",
        "billing_name",
        "card_holder",
        "recipient",
        "emergency_contact",
        "signature",
        "delivery_note",
        "internal_comments",
        "details",
    ] {
        found.assert_stderr_contains(&format!("invoices.{column} ("));
    }
    found.assert_stderr_contains(
        "invoices.details (text): 50% of 100 sampled values contain phone numbers",
    );
    for column in [
        "product_name",
        "file_name",
        "table_name",
        "placeholder",
        "contact_count",
        "recipient_id",
        "description",
        "notes_count",
        "log",
    ] {
        assert!(
            !found.stderr.contains(&format!("invoices.{column} (")),
            "{column} taken for a person:\n{}",
            found.stderr
        );
    }
}

#[test]
fn check_samples_whole_tables_through_partitions_children_arrays_and_composites() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE events (id bigint, at date NOT NULL, payload json) PARTITION BY RANGE (at);
         CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         -- the first rows (and the first partition) hold nothing personal
         INSERT INTO events SELECT g, '2025-03-01', '{\"kind\": \"view\"}' FROM generate_series(1, 20000) g;
         INSERT INTO events SELECT g, '2026-03-01', CASE WHEN g % 10 = 0 THEN '{\"kind\": \"view\"}'::json
             ELSE json_build_object('kind', 'mail', 'to', 'user' || g || '@mail.example') END
           FROM generate_series(20001, 60000) g;
         CREATE TABLE notes (id int PRIMARY KEY, body text);
         INSERT INTO notes SELECT g, 'nothing to see ' || g FROM generate_series(1, 30000) g;
         INSERT INTO notes SELECT g, 'forwarded to person' || g || '@mail.example' FROM generate_series(30001, 60000) g;
         CREATE TABLE entries (id int, info text);
         CREATE TABLE vip_entries (tier int) INHERITS (entries);
         INSERT INTO entries SELECT g, 'plain ' || g FROM generate_series(1, 100) g;
         INSERT INTO vip_entries SELECT g, 'vip' || g || '@mail.example', 1 FROM generate_series(1, 100) g;
         CREATE TABLE messages (id int PRIMARY KEY, cc text[], labels text[]);
         INSERT INTO messages SELECT g, ARRAY['a' || g || '@mail.example'], ARRAY['inbox'] FROM generate_series(1, 50) g;
         CREATE TYPE party AS (label text, email text);
         CREATE TYPE remark AS (kind text, body text);
         CREATE TABLE shipments (id int PRIMARY KEY, sender party, remark remark, status remark);
         INSERT INTO shipments SELECT g, ROW('shop', NULL)::party, ROW('note', 'ask b' || g || '@mail.example')::remark, ROW('ok', 'sent')::remark
           FROM generate_series(1, 50) g;",
    );
    let dir = work_dir();
    let empty = profile(&dir, "version = 1\n");
    let found = check(&source, &empty);
    found.assert_code(7);
    for (column, reason) in [
        (
            "events.payload (json)",
            "sampled values contain e-mail addresses",
        ),
        (
            "notes.body (text)",
            "sampled values contain e-mail addresses",
        ),
        (
            "vip_entries.info (text)",
            "sampled values are e-mail addresses",
        ),
        (
            "messages.cc (text[])",
            "sampled values contain e-mail addresses",
        ),
        (
            "shipments.sender (party)",
            "its field email: its name says an e-mail address ('email')",
        ),
        (
            "shipments.remark (remark)",
            "sampled values contain e-mail addresses",
        ),
    ] {
        found.assert_stderr_contains(&format!("{column}: "));
        let line = found
            .stderr
            .lines()
            .find(|line| line.contains(column))
            .unwrap_or_default();
        assert!(line.contains(reason), "{column}: {line}");
    }
    for innocent in [
        "- entries.info",
        "messages.labels",
        "shipments.status",
        "events_2025",
        "events_2026",
    ] {
        assert!(
            !found.stderr.contains(innocent),
            "{innocent} taken for personal data:\n{}",
            found.stderr
        );
    }
    // The same verdict every run: the sample is spread at random, but repeatably.
    assert_eq!(check(&source, &empty).stderr, found.stderr);
}

/// Staging still holds its old data, and no half-built database was left beside it.
fn assert_staging_as_it_was(staging: &mut TestDb) {
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert_eq!(
        staging.scalar(&format!(
            "SELECT count(*) FROM pg_database WHERE datname LIKE '{}%'",
            staging.name
        )),
        "1",
        "a half-built database was left beside staging"
    );
}

/// The copy keeps its schema dump and the token scan's spools in `TMPDIR`: without one it
/// cannot write to, it fails saying so, and staging is as it was.
#[test]
fn an_unwritable_tmpdir_fails_the_copy_and_leaves_staging_alone() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let missing = dir.path().join("no-such-directory");
    run(restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
        ])
        .arg(staging.url())
        .arg("--anonymizers")
        .arg(repo_file("anonymizers/default.toml"))
        .env("RESTAGE_ANONYMIZE_KEY", KEY)
        .env("TMPDIR", &missing))
    .assert_code(1)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains("is TMPDIR writable");
    assert_staging_as_it_was(&mut staging);
}

#[test]
fn a_keep_on_customer_emails_fails_the_copy_before_the_swap() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let leaky = edited_default(
        &dir,
        &[(
            "email = { transform = \"email\", domain = \"example.com\" }\nfull_name",
            "email = \"keep\"\nfull_name",
        )],
    );
    copy(&source, &staging, &leaky, &[])
        .assert_code(1)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("customers.email: 500 rows hold a source e-mail address");
    assert_staging_as_it_was(&mut staging);
}

/// The copy collects the tokens of the rows it reads and writes, whatever way a table
/// travels (text rows, binary tuples, piped untouched, a column a binary copy carries in
/// another form, a generated column staging computes), and reads the source and staging
/// only for what it did not see (rows its filter left out, those columns): a kept column of
/// personal data fails verification in every case.
#[test]
fn a_source_token_is_found_however_its_table_travels() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE people (id int PRIMARY KEY, phone text, active bool NOT NULL);
         INSERT INTO people SELECT g, '555 010 ' || lpad(g::text, 4, '0'), g % 2 = 0
           FROM generate_series(1, 40) g;
         CREATE TABLE calls (id int PRIMARY KEY, person_id int, number text);
         INSERT INTO calls SELECT g, g, '555 010 ' || lpad(g::text, 4, '0')
           FROM generate_series(1, 40, 2) g;
         CREATE TABLE in_binary (id int PRIMARY KEY, name text, contact text,
             shouted text GENERATED ALWAYS AS (upper(contact)) STORED);
         INSERT INTO in_binary SELECT g, 'Ann ' || g, 'b' || g || '@mail.example' FROM generate_series(1, 30) g;
         CREATE TABLE in_text (id int PRIMARY KEY, prefs jsonb, contact text);
         INSERT INTO in_text SELECT g, '{\"email\": \"x@y.example\"}', 't' || g || '@mail.example'
           FROM generate_series(1, 30) g;
         CREATE TABLE piped (id int PRIMARY KEY, contact varchar(80));
         INSERT INTO piped SELECT g, 'p' || g || '@mail.example' FROM generate_series(1, 30) g;
         CREATE TABLE piped_arrays (id int PRIMARY KEY, contacts text[]);
         INSERT INTO piped_arrays SELECT g, ARRAY['a' || g || '@mail.example'] FROM generate_series(1, 30) g;",
    );
    let staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n\
         [tables.people]\nwhere = \"active\"\n[tables.people.columns]\nphone = \"phone\"\n\
         [tables.calls.columns]\nnumber = \"keep\"\n\
         [tables.in_binary.columns]\nname = \"name\"\ncontact = \"keep\"\n\
         [tables.in_text.columns]\nprefs = { transform = \"json\", paths = { \"$.email\" = \"email\" } }\ncontact = \"keep\"\n\
         [tables.piped.columns]\ncontact = \"keep\"\n\
         [tables.piped_arrays.columns]\ncontacts = \"keep\"\n",
    );
    let failed = copy(&source, &staging, &rules, &[]);
    failed.assert_code(1);
    for leak in [
        "calls.number: 20 rows hold a source phone number",
        "in_binary.contact: 30 rows hold a source e-mail address",
        "in_binary.shouted: 30 rows hold a source e-mail address",
        "in_text.contact: 30 rows hold a source e-mail address",
        "piped.contact: 30 rows hold a source e-mail address",
        "piped_arrays.contacts: 30 rows hold a source e-mail address",
    ] {
        failed.assert_stderr_contains(leak);
    }
}

#[test]
fn rules_with_nothing_to_change_are_no_false_alarm() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE tickets (id int PRIMARY KEY, subject text, log text, meta jsonb, tags text[]);
         INSERT INTO tickets SELECT g,
             CASE WHEN g % 20 = 0 THEN 'order ' || (100000 + g) ELSE 'question ' || g END,
             CASE WHEN g % 20 = 0 THEN 'mail ann' || g || '@mail.example' ELSE 'no contact given' END,
             CASE WHEN g % 20 = 0 THEN jsonb_build_object('email', 'b' || g || '@mail.example') ELSE '{}' END,
             ARRAY[NULL::text]
           FROM generate_series(1, 400) g;",
    );
    let staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.tickets.columns]\n\
         subject = { transform = \"regex\", pattern = \"[0-9]{6}\", replacement = \"000000\" }\n\
         log = \"scrub\"\n\
         meta = { transform = \"json\", paths = { \"$.email\" = \"email\" } }\n\
         tags = { each = \"email\" }\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    verify(&source, &staging, &rules, &[]).assert_code(0);
}

/// `restage init ARGS` against `source`.
pub(crate) fn init(source: &TestDb, args: &[&str]) -> Run {
    let dir = work_dir();
    run(restage(dir.path())
        .args(["init", "--source-url", &source.url()])
        .args(args))
}

#[test]
fn init_writes_a_starter_profile_that_checks_copies_and_verifies() {
    let source = production();
    let staging = staging();
    let dir = work_dir();
    let path = dir.path().join("anonymizers").join("app.toml");
    let output = path.to_str().expect("path");
    init(&source, &["--output", output]).assert_code(0);
    let written = std::fs::read_to_string(&path).expect("profile written");
    // Stable: the same database gives the same file, byte for byte; a change is reviewed here.
    let expected = std::fs::read_to_string(repo_file("tests/snapshots/init_reference.toml"))
        .expect("expected profile");
    assert_eq!(written, expected, "restage init's output changed");
    init(&source, &["--output", output])
        .assert_code(2)
        .assert_stderr_contains(
            "app.toml exists; pass --force to replace it, or `restage init --update",
        );
    init(&source, &["--output", output, "--force"]).assert_code(0);
    assert_eq!(std::fs::read_to_string(&path).expect("profile"), written);

    check(&source, &path).assert_code(0);
    copy(&source, &staging, &path, &[]).assert_code(0);
}

#[test]
fn init_update_adds_only_what_the_profile_does_not_mention() {
    let mut source = production();
    let dir = work_dir();
    let path = dir.path().join("app.toml");
    let output = path.to_str().expect("path");
    init(&source, &["--output", output]).assert_code(0);
    // A reviewer's decision that --update must leave alone.
    let reviewed = std::fs::read_to_string(&path)
        .expect("profile")
        .replace("country = \"keep\"", "country = \"country\"  # reviewed");
    std::fs::write(&path, &reviewed).expect("edit");
    source.execute(
        "ALTER TABLE customers ADD COLUMN alt_mobile text;
         UPDATE customers SET alt_mobile = '+44 20 7946 0' || lpad(id::text, 3, '0');
         CREATE TABLE newsletter_signups (id int PRIMARY KEY, contact_email text, signed_at date);
         INSERT INTO newsletter_signups SELECT g, 'x' || g || '@mail.example', '2026-01-01' FROM generate_series(1, 20) g;
         CREATE TABLE api_tokens (id int, token text);",
    );
    check(&source, &path)
        .assert_code(7)
        .assert_stderr_contains(&format!(
            "`restage init --update {output}` writes a suggested rule"
        ))
        .assert_stderr_contains("customers.alt_mobile (text)")
        .assert_stderr_contains("newsletter_signups.contact_email (text)");
    init(&source, &["--update", output]).assert_code(0);
    let updated = std::fs::read_to_string(&path).expect("profile");
    let new_column = "alt_mobile = { transform = \"phone\", format = \"same\" }  # added by `restage init --update`: its name says a phone number ('mobile'); 100% of 200 sampled values are phone numbers\n";
    let new_tables = "\n[tables.api_tokens]\n\
        data = false  # suggested: sessions, tokens and caches are not worth copying\n\
        \n[tables.newsletter_signups.columns]\n\
        id = \"keep\"\n\
        contact_email = \"email\"  # its name says an e-mail address ('email'); 100% of 20 sampled values are e-mail addresses\n\
        signed_at = \"keep\"\n";
    assert!(updated.contains(new_column), "{updated}");
    assert!(updated.ends_with(new_tables), "{updated}");
    // Nothing else changed: without the additions, the file is the reviewed one.
    assert_eq!(
        updated
            .replace(new_column, "")
            .strip_suffix(new_tables)
            .expect("tail"),
        reviewed
    );
    check(&source, &path).assert_code(0);
    init(&source, &["--update", output])
        .assert_code(0)
        .assert_stdout_contains("already covers every table and column");
}

#[test]
fn init_covers_pagila() {
    let Some(source) = pagila_source() else {
        return;
    };
    let staging = staging();
    let dir = work_dir();
    let path = dir.path().join("pagila.toml");
    init(&source, &["--output", path.to_str().expect("path")]).assert_code(0);
    check(&source, &path).assert_code(0);
    copy(&source, &staging, &path, &[]).assert_code(0);
}

#[test]
fn preview_shows_rows_before_and_after_their_rules_and_writes_nothing() {
    let mut source = production();
    let dir = work_dir();
    let profile = repo_file("anonymizers/default.toml");
    let before = source.fingerprint();
    let preview = |args: &[&str]| {
        run(restage(dir.path())
            .args(["preview", "--source-url", &source.url(), "--anonymizers"])
            .arg(&profile)
            .args(args))
    };
    let shown = preview(&["customers", "--rows", "3", "--where", "id > 10", "--json"]);
    shown.assert_code(0);
    let report = shown.json();
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["key"], "11");
    let changes = rows[0]["changes"].as_array().expect("changes");
    let email = changes
        .iter()
        .find(|change| change["column"] == "email")
        .expect("the e-mail rule");
    assert_eq!(email["before"], "customer11@mail.example");
    assert!(
        email["after"]
            .as_str()
            .is_some_and(|fake| fake.ends_with("@example.com"))
    );
    assert!(
        changes
            .iter()
            .all(|change| change["before"] != change["after"])
    );
    preview(&["customers", "--rows", "1"])
        .assert_code(0)
        .assert_stdout_contains("email (email)")
        .assert_stdout_contains("customer1@mail.example  →  ");
    preview(&["custmers"])
        .assert_code(2)
        .assert_stderr_contains(
            "no table 'custmers' in the source database; did you mean 'customers'?",
        );
    assert_eq!(source.fingerprint(), before);
}

#[test]
fn row_filters_and_subsets_keep_every_foreign_key_valid() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let default = default_profile();
    let filtered = edited_default(
        &dir,
        &[(
            "[tables.customers.columns]",
            "[tables.customers]\nwhere = \"id <= 100\"\n\n[tables.customers.columns]",
        )],
    );
    copy(&source, &staging, &filtered, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM customers"), "100");
    assert_eq!(
        staging.scalar("SELECT count(*) FROM orders WHERE customer_id > 100"),
        "0"
    );
    assert_eq!(staging.scalar("SELECT count(*) FROM orders"), "200");
    assert_eq!(staging.scalar("SELECT count(*) FROM payments"), "200");
    assert_eq!(staging.scalar("SELECT count(*) FROM users"), "300");

    let mut subset = crate::support::TestDb::new();
    let limited = profile(
        &dir,
        &format!("{default}\n[subset]\nlimits = {{ customers = 1000 }}\n"),
    );
    copy(&source, &subset, &limited, &["--limit", "25"]).assert_code(0);
    subset.reconnect();
    assert_eq!(subset.scalar("SELECT count(*) FROM customers"), "25");
    assert_eq!(subset.scalar("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)"), "0");
    assert_eq!(subset.scalar("SELECT count(*) FROM order_items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id)"), "0");
}

#[test]
fn json_rules_rewrite_values_inside_arrays() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let json = edited_default(
        &dir,
        &[(
            "[tables.audit_log]\ndata = false",
            "[tables.audit_log.columns]\npayload = { transform = \"json\", paths = { \"$.email\" = \"email\", \"$.contacts[*].email\" = \"email\" } }\nip_address = \"ipv4\"",
        )],
    );
    copy(&source, &staging, &json, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM audit_log"), "50");
    assert_eq!(staging.scalar("SELECT count(*) FROM audit_log WHERE payload::text LIKE '%Real-Mail%' OR payload::text LIKE '%mail.example%'"), "0");
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM audit_log WHERE payload #>> '{contacts,0,kind}' = 'friend'"
        ),
        "50"
    );
    // The same address in users.email and in the JSON payload became the same fake.
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM audit_log a JOIN users u ON u.email = a.payload ->> 'email'"
        ),
        "50"
    );
}

#[test]
fn every_schema_feature_survives_the_round_trip() {
    let mut source = TestDb::new();
    source.execute(
        &std::fs::read_to_string(repo_file("tests/fixtures/edge_schema.sql")).expect("fixture"),
    );
    let mut staging = staging();
    let dir = work_dir();
    let keep = profile(
        &dir,
        "version = 1\n[tables.\"Sales.Order\"]\npublic = [\"email\", \"ip\"]\n",
    );
    copy(&source, &staging, &keep, &["--jobs", "2"]).assert_code(0);
    staging.reconnect();
    assert_eq!(source.fingerprint(), staging.fingerprint());
    // Triggers did not fire during the load; generated columns were recomputed.
    assert_eq!(
        staging.scalar("SELECT string_agg(label, ',' ORDER BY id) FROM tree"),
        "root (touched),child (touched),grandchild (touched)"
    );
    assert_eq!(
        staging.scalar("SELECT total FROM \"Sales\".\"Order\" WHERE id = 1"),
        "24691.357802"
    );
    assert_eq!(staging.scalar("SELECT n FROM tree_counts"), "3");
    assert_eq!(
        staging.scalar("SELECT obj_description('\"Sales\".\"Order\"'::regclass)"),
        "orders with every type"
    );
    let next: i64 = staging
        .scalar("SELECT nextval('\"Sales\".\"Order_id_seq\"')")
        .parse()
        .expect("id");
    assert!(next > 3);
    assert_eq!(staging.scalar("SELECT count(*) FROM measurements"), "2");
}

/// A database loaded with the Pagila dataset, which sits beside the repository
/// (`../shared/datasets/pagila`) or where `RESTAGE_PAGILA_DIR` says; `None`, with a line
/// saying the test is skipped and why, when a clone has no dataset beside it. Pagila is never
/// the only test of a behaviour.
fn pagila_source() -> Option<TestDb> {
    let pagila = std::env::var_os("RESTAGE_PAGILA_DIR")
        .map_or_else(|| repo_file("../shared/datasets/pagila"), PathBuf::from);
    if !pagila.join("pagila-schema.sql").is_file() {
        crate::support::say_skipped(&format!(
            "it: the Pagila dataset is not at {} (set RESTAGE_PAGILA_DIR to run it)",
            pagila.display()
        ));
        return None;
    }
    let source = TestDb::new();
    source.load_with_psql(&pagila.join("pagila-schema.sql"));
    source.load_with_psql(&pagila.join("pagila-data.sql"));
    Some(source)
}

#[test]
fn pagila_copies_checks_and_anonymizes() {
    let Some(mut source) = pagila_source() else {
        return;
    };
    let profile = repo_file("anonymizers/pagila.toml");
    check(&source, &profile).assert_code(0);
    let mut staging = staging();
    copy(&source, &staging, &profile, &[]).assert_code(0);
    staging.reconnect();
    for table in [
        "rental",
        "payment",
        "customer",
        "staff",
        "address",
        "film",
        "inventory",
    ] {
        let (a, b) = both(
            &mut source,
            &mut staging,
            &format!("SELECT count(*) FROM {table}"),
        );
        assert_eq!(a, b, "{table}");
    }
    let leaked = "SELECT count(*) FROM customer s WHERE email LIKE '%sakilacustomer.org' OR first_name = 'MARY'";
    assert_eq!(staging.scalar(leaked), "0");
    // No ruled value equals its source value (by primary key, ignoring case).
    for (table, key, columns) in [
        (
            "customer",
            "customer_id",
            &["first_name", "last_name", "email"][..],
        ),
        (
            "staff",
            "staff_id",
            &["first_name", "last_name", "email", "username", "password"],
        ),
        (
            "address",
            "address_id",
            &["address", "address2", "district", "postal_code", "phone"],
        ),
    ] {
        for column in columns {
            let values = format!(
                "SELECT string_agg({key} || '=' || lower({column}::text), chr(10) ORDER BY {key}) \
                 FROM {table} WHERE {column} IS NOT NULL"
            );
            let (before, after) = both(&mut source, &mut staging, &values);
            let after: std::collections::HashSet<&str> = after.lines().collect();
            let kept: Vec<&str> = before.lines().filter(|line| after.contains(line)).collect();
            assert!(
                kept.is_empty(),
                "{table}.{column} kept {} value(s)",
                kept.len()
            );
        }
    }
    let film = "SELECT md5(string_agg(t::text, '|' ORDER BY film_id)) FROM film t";
    let (a, b) = both(&mut source, &mut staging, film);
    assert_eq!(a, b, "film changed");
    verify(&source, &staging, &profile, &[])
        .assert_code(0)
        .assert_stdout_contains("all good");
}

#[test]
fn a_failing_copy_leaves_staging_as_it_was() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let default = default_profile();
    let failing = profile(
        &dir,
        &format!("{default}\n[tables.products.columns]\nname = \"number\"\n"),
    );
    copy(&source, &staging, &failing, &[])
        .assert_code(4)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("anonymizing products.name failed on row 1")
        .assert_stderr_contains("'Product 1' is not a number");
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));
}

#[test]
fn a_terminated_copy_leaves_staging_as_it_was() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let (child, next) = start_slow_copy(&dir, &source, &mut staging);
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM: the half-built database was removed"),
        "{stderr}"
    );
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert!(!staging.database_exists(&next));
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let source = production();
    let mut staging = staging();
    let planned = copy(
        &source,
        &staging,
        &repo_file("anonymizers/default.toml"),
        &["--dry-run"],
    );
    planned.assert_code(0);
    let plan = planned.json();
    let users = plan["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .find(|t| t["table"] == "users")
        .expect("users")
        .clone();
    assert_eq!(users["rules"]["email"], "email");
    assert!(
        plan["plan"]
            .as_array()
            .expect("plan")
            .iter()
            .any(|t| t["table"] == "sessions" && t["schema_only"] == true)
    );
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));
}

#[test]
fn excluded_tables_are_created_empty() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    std::fs::write(
        dir.path().join("restage.toml"),
        "[refresh]\nexclude_tables = [\"movements\"]\n",
    )
    .expect("config");
    run(restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
            "--anonymizers",
        ])
        .arg(repo_file("anonymizers/default.toml"))
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
    .assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM movements"), "0");
    assert_eq!(staging.scalar("SELECT count(*) FROM items"), "200");
    std::fs::write(
        dir.path().join("restage.toml"),
        "[refresh]\nexclude_tables = [\"moves\"]\n",
    )
    .expect("config");
    run(restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--dry-run",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
            "--anonymizers",
        ])
        .arg(repo_file("anonymizers/default.toml"))
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
    .assert_code(2)
    .assert_stderr_contains("invalid refresh.exclude_tables: no table 'moves'");
}

#[test]
fn copy_refuses_production_and_a_missing_key() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    std::fs::write(
        dir.path().join("restage.toml"),
        format!("[production]\nurl = \"{}\"\n", staging.url()),
    )
    .expect("config");
    run(restage(dir.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url_with_password("s3cr3t"),
        ])
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
    .assert_code(3)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains("is the production database");
    let other = work_dir();
    run(restage(other.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
            &source.url(),
            "--anonymizers",
        ])
        .arg(repo_file("anonymizers/default.toml"))
        .env("RESTAGE_ANONYMIZE_KEY", KEY))
    .assert_code(3)
    .assert_stderr_contains("is the source database itself");
    run(restage(other.path())
        .args([
            "copy",
            "--yes",
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
            "--anonymizers",
        ])
        .arg(repo_file("anonymizers/default.toml")))
    .assert_code(2)
    .assert_stderr_contains("no anonymization key: set RESTAGE_ANONYMIZE_KEY");
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
}

#[test]
fn verification_catches_a_weak_profile_and_verify_checks_a_copy() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    // Misses "$.email" in the payload, and a regex that changes nothing.
    let weak = edited_default(
        &dir,
        &[
            (
                "[tables.audit_log]\ndata = false",
                "[tables.audit_log.columns]\npayload = { transform = \"json\", paths = { \"$.contacts[*].email\" = \"email\" } }\nip_address = \"ipv4\"",
            ),
            (
                "phone = \"phone\"\npassword_hash",
                "phone = { transform = \"regex\", pattern = \"^x\", replacement = \"y\" }\npassword_hash",
            ),
        ],
    );
    copy(&source, &staging, &weak, &[])
        .assert_code(1)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("_restage_next failed:")
        .assert_stderr_contains("audit_log.payload: 50 rows hold a source e-mail address")
        .assert_stderr_contains("users.phone: 300 rows hold a source phone number");
    assert_eq!(
        staging.scalar("SELECT count(*) FROM yesterday"),
        "1",
        "a copy that failed verification was swapped in"
    );

    let good = repo_file("anonymizers/default.toml");
    copy(&source, &staging, &good, &[]).assert_code(0);
    let verified = verify(&source, &staging, &good, &["--json"]);
    verified.assert_code(0);
    assert!(
        verified.json()["tables"]
            .as_array()
            .is_some_and(|tables| tables.len() == 16)
    );
    // The source itself, as "staging", fails: counts of schema-only tables and every rule.
    verify(&source, &source, &good, &[])
        .assert_code(1)
        .assert_stderr_contains("audit_log: 50 rows in staging, 0 expected from the source")
        .assert_stderr_contains("users.email: 300 of 300 sampled values are unchanged")
        .assert_stderr_contains("customers.email: 500 rows hold a source e-mail address");
}

#[test]
fn generated_production_copies_seeds_and_verifies() {
    let generated = TestDb::new();
    let dir = work_dir();
    let made = run(restage(dir.path()).args([
        "generate",
        "--json",
        "--target-url",
        &generated.url(),
        "--scale",
        "1",
    ]));
    made.assert_code(0);
    assert!(
        made.json()["rows"]
            .as_u64()
            .is_some_and(|rows| rows > 300_000)
    );
    check(&generated, &repo_file("anonymizers/default.toml")).assert_code(0);
    let mut staging = staging();
    copy(
        &generated,
        &staging,
        &repo_file("anonymizers/default.toml"),
        &["--jobs", "2"],
    )
    .assert_code(0);
    run(restage(dir.path()).args(["seed", "--staging-url", &staging.url()])).assert_code(0);
    verify(
        &generated,
        &staging,
        &repo_file("anonymizers/default.toml"),
        &[],
    )
    .assert_code(0)
    .assert_stdout_contains("all good");
    staging.reconnect();
    assert_eq!(
        staging.scalar("SELECT count(*) FROM users WHERE email LIKE '%@corp.example'"),
        "0"
    );
    // Generating into a database with data is refused.
    run(restage(dir.path()).args(["generate", "--target-url", &generated.url()]))
        .assert_code(3)
        .assert_stderr_contains("already holds data");
}

#[test]
fn a_violated_constraint_or_a_lost_source_leaves_staging_as_it_was() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    // payments has CHECK (right(card_number, 4) = card_last4).
    let breaking = edited_default(
        &dir,
        &[(
            "card_last4 = \"keep\"",
            "card_last4 = { transform = \"constant\", value = \"0000\" }",
        )],
    );
    copy(&source, &staging, &breaking, &[])
        .assert_code(4)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("copying payments failed")
        .assert_stderr_contains("payments_check");
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert!(!staging.database_exists(&format!("{}_restage_next", staging.name)));

    // The source goes away in the middle of the data phase.
    let (child, next) = start_slow_copy(&dir, &source, &mut staging);
    staging.scalar(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'restage copy'",
        source.name
    ));
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("error: "), "{stderr}");
    assert_eq!(staging.scalar("SELECT count(*) FROM yesterday"), "1");
    assert!(!staging.database_exists(&next));
}

#[test]
fn the_key_comes_from_key_file_and_a_short_or_unreadable_key_is_refused() {
    let source = production();
    let mut staging = staging();
    let dir = work_dir();
    let people = "SELECT string_agg(email || full_name, ',' ORDER BY id) FROM users";
    copy(
        &source,
        &staging,
        &repo_file("anonymizers/default.toml"),
        &[],
    )
    .assert_code(0);
    staging.reconnect();
    let from_env = staging.scalar(people);
    let before = staging.fingerprint();

    let with_file = |key_file: &str| {
        let text = std::fs::read_to_string(repo_file("anonymizers/default.toml")).expect("read");
        profile(
            &dir,
            &text.replacen(
                "key_env = \"RESTAGE_ANONYMIZE_KEY\"",
                &format!("key_env = \"RESTAGE_ANONYMIZE_KEY\"\nkey_file = \"{key_file}\""),
                1,
            ),
        )
    };
    let short = dir.path().join("short.key");
    std::fs::write(&short, "tooshort\n").expect("write");
    copy(
        &source,
        &staging,
        &with_file(&short.display().to_string()),
        &[],
    )
    .assert_code(2)
    .assert_stderr_contains(&format!(
        "the anonymization key in key file {} is 8 bytes; use a random secret of at least 16 bytes",
        short.display()
    ))
    .assert_clean_failure("tooshort");
    let missing = dir.path().join("missing.key");
    copy(
        &source,
        &staging,
        &with_file(&missing.display().to_string()),
        &[],
    )
    .assert_code(2)
    .assert_stderr_contains(&format!(
        "cannot read the anonymization key file {}",
        missing.display()
    ));
    staging.reconnect();
    assert_eq!(
        staging.fingerprint(),
        before,
        "a refused copy changed staging"
    );

    // The file's key (here the environment's key plus a line break) wins over the variable.
    let same = dir.path().join("same.key");
    std::fs::write(&same, format!("{KEY}\n")).expect("write");
    let file_profile = with_file(&same.display().to_string());
    copy_with_key(
        &source,
        &staging,
        &file_profile,
        "a different key of enough length",
        &[],
    )
    .assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(people),
        from_env,
        "the key file was not the key used"
    );

    let default = repo_file("anonymizers/default.toml");
    copy_with_key(&source, &staging, &default, "short key", &[])
        .assert_code(2)
        .assert_stderr_contains("the anonymization key in $RESTAGE_ANONYMIZE_KEY is 9 bytes")
        .assert_clean_failure("short key");
}

#[test]
fn read_only_commands_do_not_speak_of_writes_when_the_profile_is_wrong() {
    let source = production();
    let dir = work_dir();
    let bad = profile(
        &dir,
        "version = 1\n\n[tables.users.columns]\nemial = \"email\"\n",
    );
    let failed = check(&source, &bad);
    failed
        .assert_code(2)
        .assert_stderr_contains("(checked before any row is read)")
        .assert_stderr_contains("users.emial: no such column");
    assert!(!failed.stderr.contains("nothing was"), "{}", failed.stderr);
}

#[test]
fn the_staging_password_keeps_each_accounts_hash_format_so_the_application_still_logs_in() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE accounts (id int PRIMARY KEY, framework text, password_hash text);
         INSERT INTO accounts VALUES
           (1, 'node', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'),
           (2, 'laravel', '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a'),
           (3, 'django', 'pbkdf2_sha256$260000$Qe1Rr0Zb$aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ='),
           (4, 'flask', 'pbkdf2:sha256:260000$Ab12Cd34$9f86d081884c7d659a2feaa0c55ad015'),
           (5, 'legacy', '5f4dcc3b5aa765d61d8327deb882cf99'),
           (6, 'none', NULL);",
    );
    let mut staging = staging();
    let dir = work_dir();
    let rules = profile(
        &dir,
        "version = 1\n[tables.accounts.columns]\n\
         password_hash = { transform = \"password\", password = \"let-me-in-staging\" }\n",
    );
    copy(&source, &staging, &rules, &[]).assert_code(0);
    staging.reconnect();
    let mut hash = |framework: &str| {
        staging.scalar(&format!(
            "SELECT coalesce(password_hash, 'NULL') FROM accounts WHERE framework = '{framework}'"
        ))
    };
    let password = "let-me-in-staging";
    for framework in ["node", "laravel"] {
        let hash = hash(framework);
        assert!(
            bcrypt::verify(password, &hash).expect("bcrypt"),
            "{framework}: {hash}"
        );
    }
    assert!(hash("laravel").starts_with("$2y$"));
    let django = hash("django");
    let parts: Vec<&str> = django.split('$').collect();
    assert_eq!(parts[0], "pbkdf2_sha256", "{django}");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(parts[3])
            .expect("base64"),
        pbkdf2_sha256(password, parts[2], parts[1].parse().expect("iterations"))
    );
    let flask = hash("flask");
    let parts: Vec<&str> = flask.split('$').collect();
    let iterations = parts[0].strip_prefix("pbkdf2:sha256:").expect("werkzeug");
    let derived = pbkdf2_sha256(password, parts[1], iterations.parse().expect("iterations"));
    assert_eq!(parts[2], restage::output::hex(&derived), "{flask}");
    assert!(
        hash("legacy").starts_with("$argon2id$"),
        "an unknown kind gets argon2id"
    );
    assert_eq!(hash("none"), "NULL");
}

#[test]
fn tables_without_columns_are_copied_with_their_rows() {
    let dir = work_dir();
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE markers ();
         CREATE TABLE skipped ();
         INSERT INTO markers DEFAULT VALUES; INSERT INTO markers DEFAULT VALUES;
         INSERT INTO markers DEFAULT VALUES; INSERT INTO skipped DEFAULT VALUES;
         CREATE TABLE people (id int PRIMARY KEY, email text);
         INSERT INTO people VALUES (1, 'ann@corp.example');",
    );
    let profile = profile(
        &dir,
        "version = 1\n[tables.skipped]\nwhere = \"false\"\n[tables.people.columns]\nemail = \"email\"\n",
    );
    let mut staging = TestDb::new();
    staging.disconnect();
    let copied = run(restage(dir.path())
        .args(["copy", "--yes", "--anonymizers"])
        .arg(&profile)
        .args([
            "--source-url",
            &source.url(),
            "--staging-url",
            &staging.url(),
        ])
        .env("RESTAGE_ANONYMIZE_KEY", KEY));
    copied.assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM markers"), "3");
    assert_eq!(staging.scalar("SELECT count(*) FROM skipped"), "0");
}
