//! The built-in seeders on the keys applications use: uuid ids (with and without a
//! default), tables keyed by a text code, references that hold a natural key, word columns
//! limited by a CHECK, an enum or a lookup table, and seed words mapped onto them.

use std::path::Path;

use crate::support::{TestDb, edit_file, restage, run, seeder_count, seeder_reports, work_dir};

/// A shop keyed the way many applications are: roles and units by uuid without a default,
/// members by uuid with one, capabilities, article kinds and sites by a text code, units'
/// state by a CHECK, sites' kind by an enum, articles' currency by a lookup table, and
/// transfers by an integer identity, recorded by a member's uuid.
const SCHEMA: &str = r#"
CREATE SCHEMA IF NOT EXISTS "Shop";
CREATE TYPE "Shop".site_kind AS ENUM ('depot', 'shop', 'van', 'workshop');
CREATE TABLE "Shop".capability (code text PRIMARY KEY, summary text);
CREATE TABLE "Shop".role (id uuid PRIMARY KEY, name text NOT NULL UNIQUE, about text);
CREATE TABLE "Shop".role_capability (
    role_id uuid NOT NULL REFERENCES "Shop".role (id) ON DELETE CASCADE,
    capability_code text NOT NULL REFERENCES "Shop".capability (code),
    PRIMARY KEY (role_id, capability_code));
CREATE TABLE "Shop".member (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL UNIQUE,
    display_name text,
    password_digest text NOT NULL,
    role_name text REFERENCES "Shop".role (name),
    joined_at timestamptz);
CREATE TABLE "Shop".article_kind (kind_code text PRIMARY KEY, title text);
CREATE TABLE "Shop".currency (code char(3) PRIMARY KEY);
INSERT INTO "Shop".currency VALUES ('EUR'), ('USD');
CREATE TABLE "Shop".article (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    title text NOT NULL,
    kind_code text REFERENCES "Shop".article_kind (kind_code),
    price_cents integer NOT NULL,
    currency char(3) NOT NULL REFERENCES "Shop".currency (code));
CREATE TABLE "Shop".site (code text PRIMARY KEY, label text, kind "Shop".site_kind NOT NULL);
CREATE TABLE "Shop".unit (
    id uuid PRIMARY KEY,
    serial text NOT NULL UNIQUE,
    article_id bigint NOT NULL REFERENCES "Shop".article (id),
    parent_id uuid REFERENCES "Shop".unit (id),
    state text NOT NULL CHECK (state IN ('available', 'moving', 'retired')),
    site_code text REFERENCES "Shop".site (code));
CREATE TABLE "Shop".transfer (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id uuid NOT NULL REFERENCES "Shop".unit (id),
    from_site text REFERENCES "Shop".site (code),
    to_site text NOT NULL REFERENCES "Shop".site (code),
    moved_by uuid REFERENCES "Shop".member (id),
    moved_at timestamptz NOT NULL,
    note text);
"#;

/// The `[schema]` mapping of [`SCHEMA`]: no `id` is written (uuid and integer ids are the
/// tables' `id` columns, the code-keyed tables have none).
const MAPPING: &str = r#"
[schema.roles]
table = "Shop.role"
name = "name"
description = "about"

[schema.permissions]
table = "Shop.capability"
code = "code"
description = "summary"

[schema.role_permissions]
table = "Shop.role_capability"
role = "role_id"
permission = "capability_code"

[schema.accounts]
table = "Shop.member"
email = "email"
name = "display_name"
password = "password_digest"
role = "role_name"
created_at = "joined_at"

[schema.item_types]
table = "Shop.article_kind"
code = "kind_code"
name = "title"

[schema.products]
table = "Shop.article"
key = "sku"
name = "title"
type = "kind_code"
price = "price_cents"
currency = "currency"

[schema.locations]
table = '"Shop".site'
code = "code"
name = "label"
kind = "kind"
kind_values = { warehouse = "depot", store = "shop", transit = "van", repair = "workshop" }

[schema.items]
table = "Shop.unit"
serial = "serial"
product = "article_id"
parent = "parent_id"
status = "state"
status_values = { in_stock = "available" }
location = "site_code"

[schema.movements]
table = "Shop.transfer"
item = "unit_id"
from = "from_site"
to = "to_site"
by = "moved_by"
at = "moved_at"
note = "note"
"#;

/// A working directory with the shop's migration and configuration for `db`.
fn shop_dir(db: &TestDb) -> tempfile::TempDir {
    let dir = work_dir();
    std::fs::create_dir(dir.path().join("db")).expect("mkdir db");
    std::fs::write(dir.path().join("db/1_shop.sql"), SCHEMA).expect("write the migration");
    let config = format!(
        "[staging]\ndatabase_url = \"{}\"\nmigrate = {{ dir = \"db\" }}\nschemas = [\"public\", \"Shop\"]\n{MAPPING}",
        db.url()
    );
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    dir
}

/// `restage ARGS --json` in `dir`; must succeed.
fn restage_ok(dir: &Path, args: &[&str]) -> serde_json::Value {
    let done = run(restage(dir).args(args).arg("--json"));
    done.assert_code(0);
    done.json()
}

/// A reset shop database and its working directory.
fn reset_shop() -> (TestDb, tempfile::TempDir) {
    let mut db = TestDb::new();
    let dir = shop_dir(&db);
    let report = restage_ok(dir.path(), &["reset", "--yes"]);
    for seeder in ["roles", "accounts", "products", "inventory", "movements"] {
        assert!(
            seeder_count(&report, seeder, "inserted") > 0,
            "{seeder} wrote nothing: {report}"
        );
    }
    db.reconnect();
    (db, dir)
}

/// Every uuid restage gave a row, by table and natural key.
const UUIDS: &str = r#"SELECT string_agg(row, ',' ORDER BY row) FROM (
    SELECT 'role:' || name || '=' || id AS row FROM "Shop".role
    UNION ALL SELECT 'member:' || email || '=' || id FROM "Shop".member
    UNION ALL SELECT 'unit:' || serial || '=' || id FROM "Shop".unit) rows"#;

#[test]
fn every_built_in_seeder_writes_uuid_code_and_natural_key_tables_and_a_second_seed_changes_nothing()
{
    let (mut db, dir) = reset_shop();
    for (table, rows) in [
        ("role", "6"),
        ("capability", "14"),
        ("member", "3"),
        ("article_kind", "7"),
    ] {
        assert_eq!(
            db.scalar(&format!("SELECT count(*) FROM \"Shop\".{table}")),
            rows,
            "{table}"
        );
    }
    // A join table by uuid and by code, an account's role by name.
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM \"Shop\".role_capability rc JOIN \"Shop\".role r ON r.id = rc.role_id
             WHERE r.name = 'admin'"
        ),
        "14"
    );
    assert_eq!(
        db.scalar("SELECT role_name FROM \"Shop\".member WHERE email LIKE 'admin@%'"),
        "admin"
    );
    // Products by their kind's code, priced in cents, in a currency of the lookup table.
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM \"Shop\".article a JOIN \"Shop\".article_kind k USING (kind_code)
             WHERE a.currency = 'EUR' AND a.price_cents > 0"
        ),
        db.scalar("SELECT count(*) FROM \"Shop\".article")
    );
    // Seed words turned into the columns' words: the enum's and the CHECK's.
    assert_eq!(
        db.scalar(
            "SELECT string_agg(DISTINCT kind::text, ',' ORDER BY kind::text) FROM \"Shop\".site"
        ),
        "depot,shop,van,workshop"
    );
    assert_eq!(
        db.scalar("SELECT string_agg(DISTINCT state, ',') FROM \"Shop\".unit"),
        "available"
    );
    // Items and their parents by uuid, where their last transfer took them, recorded by the
    // first test account's uuid.
    assert_eq!(
        db.scalar("SELECT count(*) FROM \"Shop\".unit WHERE parent_id IS NULL"),
        "70"
    );
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM \"Shop\".unit u WHERE site_code IS DISTINCT FROM (
                 SELECT t.to_site FROM \"Shop\".transfer t WHERE t.unit_id = u.id
                 ORDER BY t.moved_at DESC, t.id DESC LIMIT 1)"
        ),
        "0"
    );
    assert_eq!(
        db.scalar(
            "SELECT count(DISTINCT m.email) FROM \"Shop\".transfer t JOIN \"Shop\".member m ON m.id = t.moved_by"
        ),
        "1"
    );
    assert!(
        db.scalar("SELECT count(*) FROM \"Shop\".transfer WHERE from_site IS NOT NULL")
            .parse::<u64>()
            .expect("a count")
            > 0
    );

    let seeded = db.fingerprint();
    let again = restage_ok(dir.path(), &["seed"]);
    for entry in seeder_reports(&again) {
        for counter in ["inserted", "updated", "deleted"] {
            assert_eq!(entry[counter], 0, "{again}");
        }
    }
    assert_eq!(db.fingerprint(), seeded, "a second seed changed the shop");

    // Rows recorded under the table's name as written (as earlier versions did) stay ours.
    db.execute(
        "UPDATE restage.seeded_rows SET table_name = '\"Shop\".site' WHERE table_name = 'Shop.site'",
    );
    let renamed = restage_ok(dir.path(), &["seed"]);
    assert_eq!(seeder_count(&renamed, "inventory", "kept"), 0, "{renamed}");
    assert_eq!(
        db.fingerprint(),
        seeded,
        "records of the written name were lost"
    );
}

#[test]
fn uuids_are_the_same_across_two_resets_from_empty() {
    let (mut first, _first_dir) = reset_shop();
    let (mut second, _second_dir) = reset_shop();
    let uuids = first.scalar(UUIDS);
    let units: usize = first
        .scalar("SELECT count(*) FROM \"Shop\".unit")
        .parse()
        .expect("a count");
    assert_eq!(uuids.matches('=').count(), 6 + 3 + units);
    assert_eq!(second.scalar(UUIDS), uuids);
    // Not PostgreSQL's random default: restage's name-based ids.
    assert_eq!(
        first.scalar("SELECT count(*) FROM \"Shop\".member WHERE id::text LIKE '________-____-5%'"),
        "3"
    );
}

#[test]
fn only_products_changes_only_the_products_and_their_kinds() {
    let mut db = TestDb::new();
    let dir = shop_dir(&db);
    restage_ok(dir.path(), &["migrate"]);
    let before = db.table_digests();
    let report = restage_ok(dir.path(), &["seed", "--only", "products"]);
    assert_eq!(seeder_reports(&report).len(), 1, "{report}");
    let after = db.table_digests();
    let changed: Vec<&String> = after
        .keys()
        .filter(|table| before.get(*table) != after.get(*table))
        .collect();
    assert_eq!(
        changed,
        ["Shop.article", "Shop.article_kind", "restage.seeded_rows"]
    );
}

#[test]
fn seed_words_the_columns_refuse_are_named_with_their_words_before_anything_is_written() {
    let mut db = TestDb::new();
    let dir = shop_dir(&db);
    restage_ok(dir.path(), &["migrate"]);
    db.execute("DELETE FROM \"Shop\".currency WHERE code = 'EUR'");
    let config = dir.path().join("restage.toml");
    edit_file(&config, ", repair = \"workshop\"", "");
    edit_file(&config, "transit = \"van\"", "transit = \"truck\"");
    edit_file(&config, "status_values = { in_stock = \"available\" }", "");
    let before = db.fingerprint();
    let refused = run(restage(dir.path()).arg("seed"));
    refused
        .assert_code(2)
        .assert_stderr_contains("nothing was written")
        .assert_stderr_contains(
            "schema.locations.kind_values: column Shop.site.kind takes only depot, shop, van, \
             workshop (its enum type \"Shop\".site_kind); the seed words 'repair', 'transit' \
             (mapped to 'truck') are not among them: map each in [schema.locations] kind_values \
             = { repair = \"…\", transit = \"…\" }",
        )
        .assert_stderr_contains(
            "schema.items.status: column Shop.unit.state takes only available, moving, retired \
             (its CHECK); the seed word 'in_stock' is not one of them",
        )
        .assert_stderr_contains(
            "schema.products.currency: column Shop.article.currency takes only USD (its foreign \
             key to Shop.currency(code)); the seed word 'EUR' is not one of them",
        );
    let text = std::fs::read_to_string(&config).expect("read restage.toml");
    for (key, written) in [
        ("products.currency", "currency = \"currency\""),
        ("locations.kind_values", "kind_values ="),
        ("items.status", "status = \"state\""),
    ] {
        refused.assert_stderr_contains(&format!("line {}: schema.{key}:", line_of(&text, written)));
    }
    assert_eq!(db.fingerprint(), before, "a refused seed wrote something");
}

#[test]
fn mappings_that_cannot_fit_these_keys_report_every_problem_with_its_line_and_write_nothing() {
    let mut db = TestDb::new();
    let dir = shop_dir(&db);
    restage_ok(dir.path(), &["migrate"]);
    let config = dir.path().join("restage.toml");
    edit_file(
        &config,
        "code = \"code\"\ndescription",
        "id = \"code\"\ncode = \"code\"\ndescription",
    );
    edit_file(&config, "role = \"role_name\"", "role = \"display_name\"");
    edit_file(&config, "type = \"kind_code\"", "type = \"price_cents\"");
    edit_file(&config, "item = \"unit_id\"", "item = \"id\"");
    edit_file(&config, "by = \"moved_by\"", "by = \"unit_id\"");
    let before = db.fingerprint();
    let refused = run(restage(dir.path()).arg("seed"));
    refused
        .assert_code(2)
        .assert_stderr_contains("nothing was written");
    let text = std::fs::read_to_string(&config).expect("read restage.toml");
    for (written, expected) in [
        (
            "id = \"code\"",
            "schema.permissions.id: column Shop.capability.code is text; an id must be an \
             integer (identity or serial), a uuid, or absent (leave id out when the natural key \
             is the primary key)",
        ),
        (
            "role = \"display_name\"",
            "schema.accounts.role: column Shop.member.display_name is text, but the id of \
             Shop.role (id) is uuid: a reference holds the referenced row's id or natural key",
        ),
        (
            "type = \"price_cents\"",
            "schema.products.type: column Shop.article.price_cents is integer, but the code of \
             Shop.article_kind (kind_code) is text",
        ),
        (
            "by = \"unit_id\"",
            "schema.movements.by: column Shop.transfer.unit_id refers to Shop.unit (its foreign \
             key says so), but [schema.accounts] is Shop.member",
        ),
        (
            "item = \"id\"",
            "schema.movements.item: column Shop.transfer.id is bigint, but the id of Shop.unit \
             (id) is uuid",
        ),
    ] {
        refused.assert_stderr_contains(&format!("line {}: {expected}", line_of(&text, written)));
    }
    assert_eq!(db.fingerprint(), before, "a refused seed wrote something");
}

/// The line of `text` that holds `written`.
fn line_of(text: &str, written: &str) -> usize {
    text.lines()
        .position(|line| line.contains(written))
        .unwrap_or_else(|| panic!("no {written:?} in {text}"))
        + 1
}

#[test]
fn verify_after_seeding_does_not_count_seeded_uuid_or_code_keyed_rows_as_the_copys() {
    let mut source = TestDb::new();
    restage_ok(shop_dir(&source).path(), &["migrate"]);
    source.execute(
        "INSERT INTO \"Shop\".site VALUES ('HQ', 'Head office', 'depot');
         INSERT INTO \"Shop\".member (email, display_name, password_digest)
         VALUES ('real@customer.example', 'Real Person', 'x');",
    );
    let staging = TestDb::new();
    let profile_dir = work_dir();
    let profile = profile_dir.path().join("profile.toml");
    crate::copy::init(&source, &["--output", profile.to_str().expect("path")]).assert_code(0);
    crate::copy::copy(&source, &staging, &profile, &[]).assert_code(0);
    // Role grants are not recorded row by row, so verify would count them as the copy's.
    let seeding = shop_dir(&staging);
    edit_file(
        &seeding.path().join("restage.toml"),
        "role = \"role_name\"\n",
        "",
    );
    let report = restage_ok(
        seeding.path(),
        &["seed", "--only", "accounts,products,inventory,movements"],
    );
    assert!(
        seeder_count(&report, "inventory", "inserted") > 0,
        "{report}"
    );
    crate::copy::verify(&source, &staging, &profile, &[])
        .assert_code(0)
        .assert_stdout_contains("all good");
}
