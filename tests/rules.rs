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
