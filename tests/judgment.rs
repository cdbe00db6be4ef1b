//! Judgment on schemas written the way real applications write them: what `init` rules, that
//! the profile it writes passes `check`, `copy` and `verify` as written, and that
//! verification neither misses a kept value nor cries wolf. Each test is a trap that an
//! earlier judgment fell into, with several members of its class.

use crate::copy::{check, copy, init, verify};
use crate::support::{TestDb, profile, staging, work_dir};

/// `init` writes a profile for `source` into `dir`; returns its path and text.
fn init_profile(source: &TestDb, dir: &tempfile::TempDir) -> (std::path::PathBuf, String) {
    let path = dir.path().join("profile.toml");
    init(source, &["--output", path.to_str().expect("path")]).assert_code(0);
    let text = std::fs::read_to_string(&path).expect("profile written");
    (path, text)
}

/// The rule `init` wrote for `table.column`, without its comment.
fn rule_of(profile: &str, table: &str, column: &str) -> String {
    let section = format!("[tables.{table}.columns]\n");
    let start = profile
        .find(&section)
        .unwrap_or_else(|| panic!("no {section} in\n{profile}"));
    profile[start + section.len()..]
        .lines()
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| line.strip_prefix(&format!("{column} = ")))
        .map(|rule| rule.split("  #").next().unwrap_or(rule).to_owned())
        .unwrap_or_else(|| panic!("no rule for {table}.{column} in\n{profile}"))
}

/// `init → check → copy → verify` exits 0 with the profile as `init` wrote it.
fn init_check_copy_verify(source: &TestDb, staging: &TestDb) -> String {
    let dir = work_dir();
    let (path, text) = init_profile(source, &dir);
    check(source, &path).assert_code(0);
    copy(source, staging, &path, &[]).assert_code(0);
    verify(source, staging, &path, &[]).assert_code(0);
    text
}

#[test]
fn location_columns_are_ruled_wherever_the_row_is_about_someone() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE invoices (id int PRIMARY KEY, billing_address text, billing_city text,
             billing_state text, billing_postal_code varchar(10), total numeric);
         INSERT INTO invoices SELECT g, g || ' Rue de la Paix', (ARRAY['Lyon','Graz','Porto'])[1 + g % 3],
             'Rhône', lpad(g::text, 5, '0'), g * 1.5 FROM generate_series(1, 60) g;
         CREATE TABLE orders (id int PRIMARY KEY, ship_name text, ship_address text, ship_city text,
             ship_country text);
         INSERT INTO orders SELECT g, 'Bodega ' || g, 'Calle Mayor ' || g, (ARRAY['Madrid','Sevilla'])[1 + g % 2],
             'Spain' FROM generate_series(1, 60) g;
         CREATE TABLE suppliers (id int PRIMARY KEY, company_name text, contact_name text,
             contact_title text, city text, phone text, fax text);
         INSERT INTO suppliers SELECT g, 'Firma ' || g, 'Anna Berg ' || g, 'Sales Representative',
             (ARRAY['Berlin','Kassel'])[1 + g % 2], '030-00' || lpad(g::text, 5, '0'),
             '0621-0' || lpad(g::text, 4, '0') FROM generate_series(1, 60) g;
         CREATE TABLE cities (id int PRIMARY KEY, city text, country text);
         INSERT INTO cities SELECT g, 'City ' || g, 'Chile' FROM generate_series(1, 10) g;",
    );
    let staging = staging();
    let profile = init_check_copy_verify(&source, &staging);
    for (table, column, rule) in [
        ("invoices", "billing_address", "\"street_address\""),
        ("invoices", "billing_city", "\"city\""),
        ("invoices", "billing_state", "\"region\""),
        ("invoices", "billing_postal_code", "\"postcode\""),
        ("invoices", "total", "\"keep\""),
        ("orders", "ship_address", "\"street_address\""),
        ("orders", "ship_city", "\"city\""),
        ("orders", "ship_country", "\"keep\""),
        ("suppliers", "city", "\"city\""),
        ("suppliers", "contact_name", "\"name\""),
        ("suppliers", "contact_title", "\"keep\""),
        ("suppliers", "company_name", "\"keep\""),
        (
            "suppliers",
            "fax",
            "{ transform = \"phone\", format = \"same\" }",
        ),
    ] {
        assert_eq!(rule_of(&profile, table, column), rule, "{table}.{column}");
    }
    assert!(
        !profile.contains("[tables.cities"),
        "a table of cities is no one's:\n{profile}"
    );
    let mut staging = staging;
    staging.reconnect();
    // Every national-format number was replaced in its own shape.
    assert_eq!(
        staging.scalar("SELECT count(*) FROM suppliers WHERE fax !~ '^0[0-9]{3}-[0-9]{5}$' OR fax IN (SELECT '0621-0' || lpad(g::text, 4, '0') FROM generate_series(1, 60) g)"),
        "0"
    );
}

#[test]
fn extensions_titles_and_pictures_read_in_their_table() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE staff_members (id int PRIMARY KEY, full_name text, job_title text,
             home_phone text, extension varchar(6), photo bytea, notes text);
         INSERT INTO staff_members SELECT g, 'Nancy Fuller ' || g, 'Sales Manager',
             '(206) 555-' || lpad(g::text, 4, '0'), (1000 + g)::text, '\\x00ff', 'Joined in ' || (1990 + g)
           FROM generate_series(1, 40) g;
         CREATE TABLE attachments (id int PRIMARY KEY, file_name text, extension text, picture bytea);
         INSERT INTO attachments SELECT g, 'scan' || g || '.pdf', 'pdf', '\\x00' FROM generate_series(1, 10) g;
         CREATE TABLE product_categories (id int PRIMARY KEY, category_name text, picture bytea);
         INSERT INTO product_categories SELECT g, 'Beverages', '\\x00' FROM generate_series(1, 5) g;",
    );
    let staging = staging();
    let profile = init_check_copy_verify(&source, &staging);
    for (column, rule) in [
        ("full_name", "\"name\""),
        ("job_title", "\"keep\""),
        ("home_phone", "{ transform = \"phone\", format = \"same\" }"),
        ("extension", "{ transform = \"phone\", format = \"same\" }"),
        ("photo", "\"null\""),
        ("notes", "\"sentence\""),
    ] {
        assert_eq!(rule_of(&profile, "staff_members", column), rule, "{column}");
    }
    for table in ["attachments", "product_categories"] {
        assert!(
            !profile.contains(&format!("[tables.{table}")),
            "{table}:\n{profile}"
        );
    }
}

#[test]
fn floats_hex_ids_and_digit_runs_in_kept_columns_raise_no_alarm() {
    let mut source = TestDb::new();
    // Float arrays print 16 digits after the point; Stripe-like ids and cache keys carry
    // Luhn-valid digit runs inside their hex.
    source.execute(
        "CREATE TABLE embeddings (id int PRIMARY KEY, weights double precision[], ratio float8,
             charge_id text, payload jsonb, cache_key text);
         INSERT INTO embeddings SELECT g, ARRAY[1.0/3, 2.0/3, g/7.0]::float8[], g/3.0,
             'ch_9c725a' || '4242424242424242' || 'af18e' || g,
             jsonb_build_object('k', 'k:' || '4000056655665556' || 'baee' || g, 'v', 0.3333333333333333),
             'session:' || md5(g::text) || '4242424242424242'
           FROM generate_series(1, 50) g;",
    );
    let mut staging = staging();
    let dir = work_dir();
    let keep = profile(
        &dir,
        "version = 1\n[tables.embeddings.columns]\nid = \"keep\"\nweights = \"keep\"\nratio = \"keep\"\n\
         charge_id = \"keep\"\npayload = \"keep\"\ncache_key = \"keep\"\n",
    );
    check(&source, &keep).assert_code(0);
    copy(&source, &staging, &keep, &[]).assert_code(0);
    verify(&source, &staging, &keep, &[]).assert_code(0);
    staging.reconnect();
    assert_eq!(staging.scalar("SELECT count(*) FROM embeddings"), "50");
}

#[test]
fn an_e164_domain_gets_a_phone_rule_that_fits_its_check() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE DOMAIN phone_e164 AS varchar(16) CHECK (VALUE ~ '^\\+[1-9][0-9]{6,14}$');
         CREATE TABLE account_address (id int PRIMARY KEY, first_name text, phone phone_e164,
             mobile varchar(12));
         INSERT INTO account_address SELECT g, 'Zoë', '+4930' || (1000000 + g), '06 12 34 ' || lpad(g::text, 2, '0')
           FROM generate_series(1, 40) g;",
    );
    let mut staging = staging();
    let profile = init_check_copy_verify(&source, &staging);
    staging.reconnect();
    assert!(
        rule_of(&profile, "account_address", "phone").contains("phone"),
        "{profile}"
    );
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM account_address WHERE phone IN (SELECT '+4930' || (1000000 + g) FROM generate_series(1, 40) g) OR phone !~ '^\\+[1-9][0-9]{6,14}$'
                OR length(mobile) > 12"
        ),
        "0"
    );
}

#[test]
fn content_tells_non_ascii_emails_and_national_phone_numbers_in_unknown_columns() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE kunden (id int PRIMARY KEY, erreichbar text, rueckruf text, ref text);
         INSERT INTO kunden SELECT g, 'josé' || g || '@exämple.com', '0621-08' || lpad(g::text, 3, '0'),
             'A-' || g FROM generate_series(1, 30) g;",
    );
    let dir = work_dir();
    let empty = profile(&dir, "version = 1\n");
    check(&source, &empty)
        .assert_code(7)
        .assert_stderr_contains(
            "kunden.erreichbar (text): 100% of 30 sampled values are e-mail addresses",
        )
        .assert_stderr_contains(
            "kunden.rueckruf (text): 100% of 30 sampled values are phone numbers",
        );
    let (_, written) = init_profile(&source, &work_dir());
    assert_eq!(rule_of(&written, "kunden", "erreichbar"), "\"email\"");
    assert_eq!(rule_of(&written, "kunden", "ref"), "\"keep\"");
}

#[test]
fn verification_fails_when_a_personal_column_is_kept_unchanged() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE shipments (id int PRIMARY KEY, recipient_name text, delivery_city text, weight int);
         INSERT INTO shipments SELECT g, 'Ann Lee ' || g, (ARRAY['Lyon','Graz'])[1 + g % 2], g
           FROM generate_series(1, 80) g;",
    );
    let staging = staging();
    let dir = work_dir();
    let kept = profile(
        &dir,
        "version = 1\n[tables.shipments.columns]\nid = \"keep\"\nrecipient_name = \"name\"\n\
         delivery_city = \"keep\"\nweight = \"keep\"\n",
    );
    let failed = copy(&source, &staging, &kept, &[]);
    failed.assert_code(1).assert_stderr_contains(
        "shipments.delivery_city: 80 of 80 sampled values are the source's under rule 'keep'",
    );
    let public = profile(
        &dir,
        "version = 1\n[tables.shipments]\npublic = [\"delivery_city\"]\n[tables.shipments.columns]\n\
         id = \"keep\"\nrecipient_name = \"name\"\nweight = \"keep\"\n",
    );
    copy(&source, &staging, &public, &[]).assert_code(0);
}

#[test]
fn a_no_swap_copy_that_fails_verification_drops_what_it_built() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE SCHEMA crm;
         CREATE TYPE crm.tier AS ENUM ('a', 'b');
         CREATE TABLE crm.contacts (id serial PRIMARY KEY, email text, tier crm.tier);
         INSERT INTO crm.contacts (email, tier) SELECT 'c' || g || '@mail.example', 'a' FROM generate_series(1, 30) g;
         CREATE TABLE public.notes (id int PRIMARY KEY, body text);
         CREATE FUNCTION public.shout(text) RETURNS text LANGUAGE sql AS 'SELECT upper($1)';",
    );
    // An empty database, as --no-swap loads into.
    let mut staging = TestDb::new();
    let dir = work_dir();
    let leaky = profile(
        &dir,
        "version = 1\n[tables.\"crm.contacts\".columns]\nemail = \"keep\"\n",
    );
    copy(&source, &staging, &leaky, &["--no-swap"])
        .assert_code(1)
        .assert_stderr_contains("crm.contacts.email: 30 rows hold a source e-mail address");
    assert_eq!(
        staging.scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
        ),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('crm', 'restage')"),
        "0"
    );
    assert_eq!(
        staging.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'shout'"),
        "0"
    );
    // Staging is empty again: the next --no-swap copy may load into it.
    let fixed = profile(
        &dir,
        "version = 1\n[tables.\"crm.contacts\".columns]\nemail = \"email\"\n",
    );
    copy(&source, &staging, &fixed, &["--no-swap"]).assert_code(0);
}

/// A postcode whose values have a phone's shape (ZIP+4, a Dutch or Brazilian code) is a
/// postcode, by its name: ruled `postcode` where the row is about someone, kept where it is
/// not (a warehouse), and never ruled or described as phone numbers.
#[test]
fn postcodes_shaped_like_phone_numbers_are_postcodes() {
    let mut source = TestDb::new();
    source.execute(
        "CREATE TABLE customers (id int PRIMARY KEY, full_name text, zip text, postal_code text,
             cep varchar(9));
         INSERT INTO customers SELECT g, 'Ann Lee ' || g,
             lpad((g * 7919 % 99999)::text, 5, '0') || '-' || lpad(g::text, 4, '0'),
             lpad((g * 31 % 99999)::text, 5, '0') || '-' || lpad((g * 17 % 9999)::text, 4, '0'),
             lpad((g * 13 % 99999)::text, 5, '0') || '-' || lpad((g % 999)::text, 3, '0')
         FROM generate_series(1, 120) g;
         CREATE TABLE warehouses (id int PRIMARY KEY, code text, zip text);
         INSERT INTO warehouses SELECT g, 'W' || g,
             lpad((g * 7919 % 99999)::text, 5, '0') || '-' || lpad(g::text, 4, '0')
         FROM generate_series(1, 60) g;",
    );
    let dir = work_dir();
    let (_, profile) = init_profile(&source, &dir);
    for column in ["zip", "postal_code"] {
        assert_eq!(
            rule_of(&profile, "customers", column),
            "\"postcode\"",
            "{profile}"
        );
    }
    assert!(
        !profile.contains("[tables.warehouses"),
        "nothing of the warehouses looks personal: {profile}"
    );
    assert!(!profile.contains("phone"), "{profile}");
}
