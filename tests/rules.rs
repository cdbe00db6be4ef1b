//! Rules that know the row: conditions (`when`), draws keyed by another column (`by`),
//! `same_as`, and one fake person across columns and tables.

use crate::copy::{check, copy, verify};
use crate::support::{TestDb, profile, restage, run, staging, work_dir};

const PREAMBLE: &str = "version = 1\n";

/// `restage preview TABLE --json` of `source` with the profile at `path`.
fn preview(source: &TestDb, path: &std::path::Path, table: &str) -> serde_json::Value {
    let dir = work_dir();
    let shown = run(restage(dir.path())
        .args(["preview", "--source-url", &source.url(), "--anonymizers"])
        .arg(path)
        .args([table, "--rows", "10", "--json"]));
    shown.assert_code(0);
    shown.json()
}

#[test]
fn staff_and_test_accounts_keep_their_email_and_customers_get_fakes() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL UNIQUE, is_test boolean NOT NULL,
             deleted_at timestamptz, phone text);
         INSERT INTO users SELECT g,
             CASE WHEN g % 10 = 0 THEN 'staff' || g || '@OurCompany.com'
                  ELSE 'customer' || g || '@mail.example' END,
             g % 7 = 0, CASE WHEN g % 5 = 0 THEN now() END, '+44 20 7946 ' || lpad(g::text, 4, '0')
         FROM generate_series(1, 200) g;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let path = profile(
        &dir,
        &format!(
            "{PREAMBLE}
[tables.users.columns]
email = [
  {{ when = \"email ILIKE '%@ourcompany.com' OR is_test\", transform = \"keep\" }},
  \"email\",
]
# Soft-deleted rows lose their phone altogether.
phone = [
  {{ when = \"deleted_at IS NOT NULL\", transform = \"null\" }},
  {{ transform = \"phone\", format = \"same\" }},
]
"
        ),
    );
    check(&source, &path).assert_code(0);
    copy(&source, &staging, &path, &[]).assert_code(0);
    verify(&source, &staging, &path, &[]).assert_code(0);
    staging.reconnect();
    let kept_expected = source.scalar(
        "SELECT string_agg(email, ',' ORDER BY id) FROM users
         WHERE email ILIKE '%@ourcompany.com' OR is_test",
    );
    let kept = staging.scalar(
        "SELECT string_agg(email, ',' ORDER BY id) FROM users
         WHERE email ILIKE '%@ourcompany.com' OR email LIKE 'customer%'",
    );
    assert_eq!(
        kept, kept_expected,
        "staff and test accounts keep theirs, nobody else"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM users WHERE email LIKE '%@example.com'"),
        (200 - 20 - 28 + 2).to_string(),
        "every other customer has a fake"
    );
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FILTER (WHERE deleted_at IS NOT NULL AND phone IS NOT NULL)
                 || '/' || count(*) FILTER (WHERE deleted_at IS NULL AND phone ~ '^\\+[0-9]{2} [0-9]{2} [0-9]{4} [0-9]{4}$') FROM users"
        ),
        "0/160",
        "deleted rows lose their phone, the others keep its shape"
    );
    let report = preview(&source, &path, "users");
    let applied: Vec<String> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let change = &row["changes"][0];
            assert_eq!(change["column"], "email");
            change["transform"].as_str().expect("transform").to_owned()
        })
        .collect();
    assert_eq!(applied[0], "email, no condition held");
    assert_eq!(
        applied[6], "keep when email ILIKE '%@ourcompany.com' OR is_test",
        "row 7 is a test account"
    );
}

#[test]
fn contact_value_follows_contact_type() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE contacts (id int PRIMARY KEY, contact_type text NOT NULL, contact_value text);
         INSERT INTO contacts SELECT g, (ARRAY['email','phone','website'])[1 + g % 3],
             CASE g % 3 WHEN 0 THEN 'person' || g || '@mail.example'
                        WHEN 1 THEN '030-' || lpad(g::text, 7, '0')
                        ELSE 'https://shop' || g || '.example' END
         FROM generate_series(1, 90) g;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let path = profile(
        &dir,
        &format!(
            "{PREAMBLE}
[tables.contacts.columns]
contact_value = [
  {{ when = \"contact_type = 'email'\", transform = \"email\" }},
  {{ when = \"contact_type = 'phone'\", transform = \"phone\", format = \"same\" }},
  \"keep\",
]
"
        ),
    );
    copy(&source, &staging, &path, &[]).assert_code(0);
    verify(&source, &staging, &path, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FILTER (WHERE contact_type = 'email' AND contact_value LIKE '%@example.com')
                 || '/' || count(*) FILTER (WHERE contact_type = 'phone' AND contact_value ~ '^[0-9]{3}-[0-9]{7}$')
                 || '/' || count(*) FILTER (WHERE contact_type = 'website' AND contact_value LIKE 'https://shop%')
             FROM contacts"
        ),
        "30/30/30"
    );
    let leaked = staging.scalar(
        "SELECT count(*) FROM contacts WHERE contact_value LIKE 'person%' OR contact_value ~ '^030-0'",
    );
    assert_eq!(leaked, "0");
}

#[test]
fn a_condition_that_does_not_run_is_refused_with_its_line_before_any_row_is_read() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE users (id int PRIMARY KEY, email text, is_staff boolean);
         INSERT INTO users VALUES (1, 'ann@mail.example', false);",
    );
    let mut staging = staging();
    staging.execute("CREATE TABLE marker (id int); INSERT INTO marker VALUES (7);");
    let before = staging.fingerprint();
    let dir = work_dir();
    let path = profile(
        &dir,
        &format!(
            "{PREAMBLE}
[tables.users.columns]
email = [
  {{ when = \"is_staff AND\", transform = \"keep\" }},
  {{ when = \"no_such_column = 1\", transform = \"null\" }},
  \"email\",
]
"
        ),
    );
    for run in [check(&source, &path), copy(&source, &staging, &path, &[])] {
        run.assert_code(2)
            .assert_stderr_contains(
                "line 5: users.email: the condition `is_staff AND` does not run",
            )
            .assert_stderr_contains(
                "line 6: users.email: the condition `no_such_column = 1` does not run",
            )
            .assert_stderr_contains("no_such_column");
    }
    assert_eq!(staging.fingerprint(), before, "staging untouched");
    // A personal column must say what becomes of the rows no condition holds for.
    let unsaid = profile(
        &dir,
        &format!(
            "{PREAMBLE}
[tables.users.columns]
email = {{ when = \"NOT is_staff\", transform = \"email\" }}
"
        ),
    );
    check(&source, &unsaid)
        .assert_code(2)
        .assert_stderr_contains("end the list with a rule without `when`");
}

#[test]
fn dates_keyed_by_their_customer_shift_together_in_every_table() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE customers (id int PRIMARY KEY, signed_up date NOT NULL);
         INSERT INTO customers SELECT g, date '2023-06-01' + g % 100 FROM generate_series(1, 1000) g;
         CREATE TABLE invoices (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
             issued_at date NOT NULL, due_at date NOT NULL, paid_at timestamp);
         INSERT INTO invoices SELECT g, 1 + g % 1000, date '2024-01-01' + g % 300,
             date '2024-01-01' + g % 300 + 30,
             date '2024-01-01' + g % 300 + 10 + g % 15 + time '13:45:10'
         FROM generate_series(1, 100000) g;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let shifted =
        "{ transform = \"date\", shift_days = 60, by = \"customer_id\", scope = \"customer\" }";
    let path = profile(
        &dir,
        &format!(
            "{PREAMBLE}
[tables.customers.columns]
signed_up = {{ transform = \"date\", shift_days = 60, by = \"id\", scope = \"customer\" }}

[tables.invoices.columns]
issued_at = {shifted}
due_at = {shifted}
paid_at = {shifted}
"
        ),
    );
    copy(&source, &staging, &path, &[]).assert_code(0);
    staging.reconnect();
    // Every invoice keeps its spacing (issued < due < paid, by as many days as before) …
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM invoices WHERE due_at - issued_at = 30
               AND paid_at = issued_at + 10 + id % 15 + time '13:45:10'"
        ),
        "100000"
    );
    // … and moves by its customer's offset, the one the customer's own date moved by.
    let offsets = "SELECT i.customer_id, issued_at - (date '2024-01-01' + i.id % 300) AS shift,
                          c.signed_up - (date '2023-06-01' + c.id % 100) AS own
                   FROM invoices i JOIN customers c ON c.id = i.customer_id";
    assert_eq!(
        staging.scalar(&format!(
            "SELECT count(DISTINCT (customer_id, shift)) || '/' || count(*) FILTER (WHERE shift <> own)
                 || '/' || count(*) FILTER (WHERE shift = 0) || '/' || (count(DISTINCT shift) > 60)
             FROM ({offsets}) o"
        )),
        "1000/0/0/true",
        "one offset per customer, its own, never zero, and customers differ"
    );
}

#[test]
fn a_linked_person_is_one_person_across_tables_json_and_text() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE users (id int PRIMARY KEY, first_name text, last_name text,
             email text UNIQUE, username text UNIQUE);
         INSERT INTO users SELECT g, 'Maria' || g, 'Lopez' || g, 'maria' || g || '@mail.example',
             'mlopez' || g FROM generate_series(1, 50) g;
         CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, customer_name text,
             customer_email text, billing_address text, shipping_address text);
         INSERT INTO orders SELECT g, 1 + g % 50, 'Maria' || (1 + g % 50) || ' Lopez' || (1 + g % 50),
             'MARIA' || (1 + g % 50) || '@mail.example', g || ' Calle Mayor',
             CASE WHEN g % 2 = 0 THEN g || ' Calle Mayor' ELSE g || ' Rua Augusta' END
         FROM generate_series(1, 200) g;
         CREATE TABLE events (id int PRIMARY KEY, user_id int, payload jsonb, log text);
         INSERT INTO events SELECT g, 1 + g % 50,
             jsonb_build_object('user', jsonb_build_object('email', 'maria' || (1 + g % 50) || '@mail.example')),
             'login by maria' || (1 + g % 50) || '@mail.example from the app'
         FROM generate_series(1, 100) g;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let path = profile(
        &dir,
        &format!(
            "{PREAMBLE}
[tables.users.person]
first_name = \"first_name\"
last_name = \"last_name\"
email = \"email\"
username = \"username\"

[tables.orders.person]
name = \"customer_name\"
email = \"customer_email\"

[tables.orders.columns]
billing_address = \"street_address\"
shipping_address = {{ transform = \"same_as\", column = \"billing_address\" }}

[tables.events.columns]
payload = {{ transform = \"json\", paths = {{ \"$.user.email\" = \"email\" }} }}
log = \"scrub\"
"
        ),
    );
    check(&source, &path).assert_code(0);
    copy(&source, &staging, &path, &[]).assert_code(0);
    verify(&source, &staging, &path, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM users u WHERE u.email LIKE
                 regexp_replace(lower(u.first_name || '.' || u.last_name), '[^a-z0-9.]', '', 'g') || '.%@example.com'
               AND u.username LIKE
                 regexp_replace(lower(left(u.first_name, 1) || u.last_name), '[^a-z0-9]', '', 'g') || '.%'
               AND u.first_name NOT LIKE 'Maria%'"
        ),
        "50",
        "each user is one fake person: the e-mail and username are made of the names"
    );
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id
             WHERE o.customer_email = u.email AND o.customer_name = u.first_name || ' ' || u.last_name"
        ),
        "200",
        "the same person in orders"
    );
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id
             WHERE e.payload #>> '{user,email}' = u.email
               AND e.log = 'login by ' || u.email || ' from the app'"
        ),
        "100",
        "the same e-mail in a JSON path and a scrubbed log line"
    );
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FILTER (WHERE id % 2 = 0 AND shipping_address = billing_address)
                 || '/' || count(*) FILTER (WHERE id % 2 = 1 AND shipping_address <> billing_address
                     AND shipping_address NOT LIKE '%Rua Augusta')
             FROM orders"
        ),
        "100/100",
        "a shipping address equal to the billing address stays equal"
    );
}

#[test]
fn a_profile_names_the_fakes_version_it_was_written_for() {
    let mut source = TestDb::new();
    source.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
    let dir = work_dir();
    let current = profile(&dir, "version = 1\nfakes = 1\n");
    check(&source, &current).assert_code(0);
    let future = profile(&dir, "version = 1\nfakes = 2\n");
    check(&source, &future)
        .assert_code(2)
        .assert_stderr_contains(
            "line 2: fakes: fakes version 2 does not exist; this restage has version(s) 1",
        );
}

#[test]
fn init_suggests_a_linked_person_that_then_checks_copies_and_verifies() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE members (id int PRIMARY KEY, first_name text, last_name text,
             email text UNIQUE, joined date);
         INSERT INTO members SELECT g, 'Ana' || g, 'Silva' || g, 'ana' || g || '@mail.example',
             date '2020-01-01' + g FROM generate_series(1, 40) g;",
    );
    let staging = staging();
    let dir = work_dir();
    let path = dir.path().join("profile.toml");
    crate::copy::init(&source, &["--output", path.to_str().expect("path")])
        .assert_code(0)
        .assert_stdout_contains("members: its names and e-mail describe one person");
    let written = std::fs::read_to_string(&path).expect("profile");
    let suggestion = "# [tables.members.person]\n# first_name = \"first_name\"\n\
                      # last_name = \"last_name\"\n# email = \"email\"\n";
    assert!(written.contains(suggestion), "{written}");
    // Taken as suggested: the section uncommented, the three rules it replaces removed.
    let mut taken: String = written
        .lines()
        .filter(|line| {
            !["first_name = ", "last_name = ", "email = "]
                .iter()
                .any(|rule| line.starts_with(rule))
        })
        .collect::<Vec<_>>()
        .join("\n");
    taken = taken.replace(suggestion, "");
    taken.push_str(
        "\n[tables.members.person]\nfirst_name = \"first_name\"\nlast_name = \"last_name\"\nemail = \"email\"\n",
    );
    std::fs::write(&path, taken).expect("write");
    check(&source, &path).assert_code(0);
    copy(&source, &staging, &path, &[]).assert_code(0);
    verify(&source, &staging, &path, &[]).assert_code(0);
}

#[test]
fn preview_of_a_table_without_rules_says_so_instead_of_empty_rows() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE notes (id int PRIMARY KEY, body text);
         INSERT INTO notes VALUES (1, 'hello'), (2, 'world');",
    );
    let dir = work_dir();
    let path = profile(
        &dir,
        "version = 1\n\n[tables.notes.columns]\nbody = \"keep\"\n",
    );
    let shown = run(restage(dir.path())
        .args(["preview", "--source-url", &source.url(), "--anonymizers"])
        .arg(&path)
        .arg("notes"));
    shown
        .assert_code(0)
        .assert_stdout_contains("notes has no rules in ")
        .assert_stdout_contains("every column is copied as it is");
    assert!(!shown.stdout.contains("row 1"), "{}", shown.stdout);
    assert_eq!(
        preview(&source, &path, "notes")["rows"],
        serde_json::json!([])
    );
}

/// `verify` counts the sequences the copy set, not restage's own bookkeeping in staging.
#[test]
fn copy_and_verify_count_the_same_sequences() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE notes (id serial PRIMARY KEY, body text);
         CREATE TABLE tags (id bigserial PRIMARY KEY, name text);
         INSERT INTO notes (body) VALUES ('a'), ('b'); INSERT INTO tags (name) VALUES ('x');",
    );
    let staging = staging();
    let dir = work_dir();
    let path = profile(&dir, "version = 1\n");
    let copied = copy(&source, &staging, &path, &[]);
    copied.assert_code(0);
    let copied = copied.json();
    let verified = verify(&source, &staging, &path, &["--json"]);
    verified.assert_code(0);
    let verified = verified.json();
    let count = |report: &serde_json::Value| -> serde_json::Value {
        report
            .pointer("/result/verification/sequences")
            .or_else(|| report.pointer("/verification/sequences"))
            .or_else(|| report.pointer("/sequences"))
            .cloned()
            .unwrap_or_else(|| panic!("no sequence count in {report}"))
    };
    assert_eq!(count(&copied), serde_json::json!(2), "{copied}");
    assert_eq!(count(&verified), serde_json::json!(2), "{verified}");
}

/// A refresh checks and copies its profile with the test cards of the seeds it is given
/// (`--seeds`), not those of a `./seeds` beside it: `card` rules with `test_cards = true`
/// write exactly those.
#[test]
fn a_refresh_writes_the_test_cards_of_the_seeds_it_is_given() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE cards (id int PRIMARY KEY, card_number text NOT NULL);
         INSERT INTO cards SELECT g, '4111111111111111' FROM generate_series(1, 20) g;",
    );
    let mut staging = staging();
    let redis = crate::support::TestRedis::new();
    let dir = work_dir();
    let path = profile(
        &dir,
        "version = 1\n\n[tables.cards.columns]\ncard_number = { transform = \"card\", test_cards = true }\n",
    );
    let seeds = tempfile::tempdir().expect("seeds dir");
    std::fs::write(
        seeds.path().join("payment_cards.toml"),
        "[[cards]]\nnumber = \"5555555555554444\"\nbrand = \"mastercard\"\nbehaviour = \"success\"\n\
         description = \"the only card of these seeds\"\n",
    )
    .expect("write cards");
    std::fs::write(
        dir.path().join("restage.toml"),
        format!(
            "[staging]\ndatabase_url = \"{}\"\nredis_url = \"{}\"\n[schema]\nseeders = []\n\
             [refresh]\nanonymizers = \"{}\"\n",
            staging.url(),
            redis.url(),
            path.display()
        ),
    )
    .expect("write restage.toml");
    let refreshed = run(restage(dir.path())
        .args(["refresh", "--yes", "--source-url", &source.url(), "--seeds"])
        .arg(seeds.path())
        .env("RESTAGE_ANONYMIZE_KEY", crate::support::KEY));
    refreshed.assert_code(0);
    staging.reconnect();
    assert_eq!(
        staging.scalar("SELECT string_agg(DISTINCT card_number, ',') FROM cards"),
        "5555555555554444"
    );
}
