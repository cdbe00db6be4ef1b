//! `restage seed`: what the seeders create, idempotence, determinism, `--only`, bad seed data,
//! and coexistence with rows that came from production.

use argon2::{Argon2, PasswordHash, PasswordVerifier};

use crate::support::{TestDb, edit_file, restage, run, seeds_copy, work_dir};

/// A freshly migrated database.
fn migrated() -> TestDb {
    let db = TestDb::new();
    let dir = work_dir();
    run(restage(dir.path()).args(["migrate", "--staging-url", &db.url()])).assert_code(0);
    db
}

/// Runs `restage seed ARGS --json` against `db` and returns the report.
fn seed(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let dir = work_dir();
    let seeded = run(restage(dir.path()).arg("seed").args(args).args([
        "--json",
        "--staging-url",
        &db.url(),
    ]));
    seeded.assert_code(0);
    seeded.json()
}

/// Sum of one counter over all seeders of a report.
fn total(report: &serde_json::Value, counter: &str) -> u64 {
    report["seeders"]
        .as_array()
        .expect("seeders")
        .iter()
        .map(|s| s[counter].as_u64().expect("count"))
        .sum()
}

fn seeder<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["seeders"]
        .as_array()
        .expect("seeders")
        .iter()
        .find(|s| s["seeder"] == name)
        .expect("seeder in report")
}

#[test]
fn all_seeders_build_the_documented_staging_data() {
    let mut db = migrated();
    let report = seed(&db, &[]);
    assert_eq!(report["status"], "ok");
    assert_eq!(report["seeders"].as_array().map(Vec::len), Some(5));

    assert_eq!(db.scalar("SELECT count(*) FROM roles"), "6");
    assert_eq!(
        db.scalar("SELECT string_agg(name, ',' ORDER BY name) FROM roles"),
        "admin,auditor,manager,operator,user,viewer"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM roles r WHERE NOT EXISTS (SELECT 1 FROM role_permissions p WHERE p.role_id = r.id)"), "0");
    assert_eq!(db.scalar("SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'admin'"), "14");
    assert_eq!(db.scalar("SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'viewer'"), "3");

    let accounts = db.scalar(
        "SELECT string_agg(u.email || ':' || r.name, ',' ORDER BY u.email) FROM users u JOIN roles r ON r.id = u.role_id",
    );
    assert_eq!(
        accounts,
        "admin@staging.example.com:admin,readonly@staging.example.com:viewer,testuser@staging.example.com:user"
    );
    for (email, password) in [
        ("admin@staging.example.com", "staging-admin-password"),
        ("testuser@staging.example.com", "staging-testuser-password"),
        ("readonly@staging.example.com", "staging-readonly-password"),
    ] {
        let stored = db.scalar(&format!(
            "SELECT password_hash FROM users WHERE email = '{email}'"
        ));
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        let hash = PasswordHash::new(&stored).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok(),
            "{email}"
        );
        assert!(
            Argon2::default().verify_password(b"wrong", &hash).is_err(),
            "{email}"
        );
    }

    assert_eq!(
        db.scalar("SELECT count(*) FROM items WHERE parent_item_id IS NULL"),
        "70"
    );
    let per_type = db.scalar(
        "SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT t.code, count(*) n FROM items i \
         JOIN products p ON p.id = i.product_id JOIN item_types t ON t.id = p.item_type_id \
         WHERE i.parent_item_id IS NULL GROUP BY t.code) x",
    );
    assert_eq!(per_type, "10");
    assert_eq!(db.scalar("SELECT count(DISTINCT p.item_type_id) FROM items i JOIN products p ON p.id = i.product_id WHERE i.parent_item_id IS NULL"), "7");
    assert_eq!(db.scalar("SELECT count(*) FROM items p WHERE p.parent_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM items c WHERE c.parent_item_id = p.id)"), "0");

    // Every item arrives once, then moves 0-4 times, each from where it is to elsewhere.
    assert_eq!(db.scalar("SELECT count(*) FROM items i WHERE (SELECT count(*) FROM movements m WHERE m.item_id = i.id AND m.from_location_id IS NULL) <> 1"), "0");
    assert_eq!(db.scalar("SELECT count(*) FROM items i WHERE (SELECT count(*) FROM movements m WHERE m.item_id = i.id AND m.from_location_id IS NOT NULL) > 4"), "0");
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM (SELECT from_location_id, to_location_id, from_location_id IS NULL AS arrival, \
                    lag(to_location_id) OVER (PARTITION BY item_id ORDER BY moved_at) AS previous \
             FROM movements) m WHERE NOT arrival AND (from_location_id <> previous OR from_location_id = to_location_id)"
        ),
        "0"
    );
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM items i WHERE i.location_id <> \
             (SELECT to_location_id FROM movements m WHERE m.item_id = i.id ORDER BY moved_at DESC LIMIT 1)"
        ),
        "0"
    );
    let movements: u64 = db
        .scalar("SELECT count(*) FROM movements")
        .parse()
        .expect("count");
    assert!(movements >= 125, "only {movements} movements");
    let items: u64 = db
        .scalar("SELECT count(*) FROM items")
        .parse()
        .expect("count");
    assert!(movements > items, "no item moved after arriving");
}

#[test]
fn a_second_run_changes_nothing() {
    let mut db = migrated();
    seed(&db, &[]);
    let before = db.fingerprint();
    let again = seed(&db, &[]);
    assert_eq!(
        (
            total(&again, "inserted"),
            total(&again, "updated"),
            total(&again, "deleted")
        ),
        (0, 0, 0),
        "{again}"
    );
    assert!(total(&again, "unchanged") > 500, "{again}");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn bookkeeping_from_before_uuid_ids_is_converted_and_its_rows_stay_owned() {
    let mut db = migrated();
    seed(&db, &[]);
    let owned = db.scalar("SELECT string_agg(table_name || natural_key || row_id, ',' ORDER BY 1) FROM restage.seeded_rows");
    // restage.seeded_rows as seeds before uuid ids left it: integer row ids.
    db.execute(
        "ALTER TABLE restage.seeded_rows ALTER COLUMN row_id TYPE bigint USING row_id::bigint",
    );
    let before: Vec<(String, String)> = db
        .table_digests()
        .into_iter()
        .filter(|(table, _)| !table.starts_with("restage."))
        .collect();
    let again = seed(&db, &[]);
    assert_eq!(
        total(&again, "inserted") + total(&again, "updated") + total(&again, "deleted"),
        0,
        "{again}"
    );
    assert_eq!(
        total(&again, "kept"),
        0,
        "rows were no longer recognised as seeded: {again}"
    );
    assert_eq!(
        db.scalar("SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'restage.seeded_rows'::regclass AND attname = 'row_id'"),
        "text"
    );
    assert_eq!(db.scalar("SELECT string_agg(table_name || natural_key || row_id, ',' ORDER BY 1) FROM restage.seeded_rows"), owned);
    let after: Vec<(String, String)> = db
        .table_digests()
        .into_iter()
        .filter(|(table, _)| !table.starts_with("restage."))
        .collect();
    assert_eq!(after, before);
}

#[test]
fn the_same_rng_seed_gives_identical_databases_and_another_seed_other_movements() {
    let mut first = migrated();
    let mut second = migrated();
    let mut other = migrated();
    seed(&first, &["--rng-seed", "7"]);
    seed(&second, &["--rng-seed", "7"]);
    seed(&other, &["--rng-seed", "8"]);
    assert_eq!(first.fingerprint(), second.fingerprint());
    let (first_tables, other_tables) = (first.table_digests(), other.table_digests());
    assert_ne!(
        first_tables["public.movements"],
        other_tables["public.movements"]
    );
    assert_eq!(
        first_tables["public.products"],
        other_tables["public.products"]
    );
}

#[test]
fn editing_a_product_name_updates_exactly_that_row() {
    let mut db = migrated();
    let seeds = seeds_copy();
    let seeds_dir = seeds.path().to_str().expect("UTF-8 path");
    seed(&db, &["--seeds", seeds_dir]);
    let products =
        "SELECT string_agg(t::text, '|' ORDER BY id) FROM products t WHERE sku <> 'MON-U27'";
    let others_before = db.scalar(products);
    let digests_before = db.table_digests();

    edit_file(
        &seeds.path().join("products.toml"),
        "name = \"UltraSharp 27 monitor\"",
        "name = \"UltraSharp 27 4K monitor\"",
    );
    let report = seed(&db, &["--seeds", seeds_dir]);
    assert_eq!(seeder(&report, "products")["updated"], 1, "{report}");
    assert_eq!(
        (total(&report, "inserted"), total(&report, "updated")),
        (0, 1),
        "{report}"
    );
    assert_eq!(
        db.scalar("SELECT name FROM products WHERE sku = 'MON-U27'"),
        "UltraSharp 27 4K monitor"
    );
    assert_eq!(db.scalar(products), others_before);
    let digests_after = db.table_digests();
    for (table, digest) in &digests_before {
        if table != "public.products" {
            assert_eq!(&digests_after[table], digest, "{table} changed");
        }
    }
}

#[test]
fn only_products_touches_only_the_products_table() {
    let mut db = migrated();
    let seeds = seeds_copy();
    let seeds_dir = seeds.path().to_str().expect("UTF-8 path");
    seed(&db, &["--seeds", seeds_dir]);
    let before = db.table_digests();
    edit_file(
        &seeds.path().join("products.toml"),
        "price = 899.00",
        "price = 849.00",
    );
    // A different --rng-seed would move items, if anything but products ran.
    let report = seed(
        &db,
        &[
            "--only",
            "products",
            "--rng-seed",
            "99",
            "--seeds",
            seeds_dir,
        ],
    );
    assert_eq!(
        report["seeders"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(seeder(&report, "products")["updated"], 1, "{report}");
    let after = db.table_digests();
    for (table, digest) in &before {
        if table == "public.products" {
            assert_ne!(&after[table], digest, "products did not change");
        } else {
            assert_eq!(&after[table], digest, "{table} changed");
        }
    }
}

#[test]
fn dry_run_reports_the_changes_and_writes_nothing() {
    let mut db = migrated();
    let before = db.fingerprint();
    let dry = seed(&db, &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(db.fingerprint(), before, "the dry run wrote");
    let real = seed(&db, &[]);
    assert_eq!(total(&dry, "inserted"), total(&real, "inserted"));
    assert!(total(&real, "inserted") > 0);
}

#[test]
fn a_missing_prerequisite_names_the_seeder_to_run_first_and_writes_nothing() {
    let mut db = migrated();
    let before = db.fingerprint();
    let dir = work_dir();
    run(restage(dir.path()).args(["seed", "--only", "movements", "--staging-url", &db.url()]))
        .assert_code(2)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("seeder movements cannot run: no item of the inventory seeder is in the database; run `restage seed --only inventory` first");
    run(restage(dir.path()).args(["seed", "--only", "products,accounts", "--staging-url", &db.url()]))
        .assert_code(2)
        .assert_stderr_contains("seeder accounts cannot run: role 'admin' is not in the database; run `restage seed --only roles` first");
    assert_eq!(db.fingerprint(), before, "a failed seed wrote");
}

#[test]
fn an_unknown_seeder_lists_the_valid_ones() {
    let mut db = migrated();
    let before = db.fingerprint();
    let dir = work_dir();
    run(restage(dir.path()).args([
        "seed",
        "--only",
        "products,widgets",
        "--staging-url",
        &db.url(),
    ]))
    .assert_code(2)
    .assert_stderr_contains("unknown seeder 'widgets'")
    .assert_stderr_contains(
        "seeders and fixture sets are: roles, accounts, products, inventory, movements",
    );
    assert_eq!(db.fingerprint(), before);
}

/// Seeds with one edited seed file; the run must fail with `expected` and write nothing.
fn assert_bad_seed_data(file: &str, from: &str, to: &str, expected: &[&str]) {
    let mut db = migrated();
    let before = db.fingerprint();
    let seeds = seeds_copy();
    edit_file(&seeds.path().join(file), from, to);
    let dir = work_dir();
    let failed = run(restage(dir.path())
        .args(["seed", "--staging-url", &db.url()])
        .arg("--seeds")
        .arg(seeds.path()));
    failed
        .assert_code(2)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("nothing was written");
    for text in expected {
        failed.assert_stderr_contains(text);
    }
    assert_eq!(db.fingerprint(), before, "bad seed data wrote");
}

#[test]
fn malformed_toml_names_the_file_and_line() {
    assert_bad_seed_data(
        "locations.toml",
        "[[locations]]\ncode = \"WH-BER\"",
        "[[locations]\ncode = \"WH-BER\"",
        &["locations.toml: line 16: locations: unclosed array table"],
    );
}

#[test]
fn an_unknown_role_names_file_line_and_the_known_roles() {
    assert_bad_seed_data(
        "accounts.toml",
        "role = \"viewer\"",
        "role = \"reader\"",
        &[
            "accounts.toml: line 28: accounts.role: unknown role 'reader'; roles in roles.toml: admin, auditor",
        ],
    );
}

#[test]
fn an_unknown_item_type_or_location_is_an_error() {
    assert_bad_seed_data(
        "products.toml",
        "type = \"tablet\"",
        "type = \"phablet\"",
        &[
            "products.toml: line",
            "products.type: unknown item type 'phablet'",
        ],
    );
    assert_bad_seed_data(
        "item_types.toml",
        "locations = [\"WH-AMS\", \"WH-BER\", \"RP-UTR\"]",
        "locations = [\"WH-AMS\", \"WH-XXX\"]",
        &[
            "item_types.toml: line",
            "item_types.locations: unknown location 'WH-XXX'",
        ],
    );
}

#[test]
fn the_password_comes_from_its_environment_variable_when_set() {
    let mut db = migrated();
    let dir = work_dir();
    run(restage(dir.path())
        .args([
            "seed",
            "--only",
            "roles,accounts",
            "--staging-url",
            &db.url(),
        ])
        .env("RESTAGE_ADMIN_PASSWORD", "from-the-environment"))
    .assert_code(0);
    let stored =
        db.scalar("SELECT password_hash FROM users WHERE email = 'admin@staging.example.com'");
    let hash = PasswordHash::new(&stored).expect("a PHC string");
    assert!(
        Argon2::default()
            .verify_password(b"from-the-environment", &hash)
            .is_ok()
    );
}

#[test]
fn production_rows_are_left_untouched() {
    let mut db = migrated();
    // Rows as a refresh from production would leave them, some with seeded natural keys.
    db.execute(
        "INSERT INTO roles (name, description) VALUES ('admin', 'Production administrators'), ('support', 'Helpdesk');
         INSERT INTO permissions (code, description) VALUES ('items.read', 'Production wording');
         INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = 'admin';
         INSERT INTO users (email, full_name, password_hash, role_id)
             SELECT 'customer' || g || '@shop.example', 'Customer ' || g, 'prod-hash', 1 FROM generate_series(1, 20) g;
         INSERT INTO users (email, full_name, password_hash, role_id) VALUES ('Admin@Staging.Example.com', 'Real Person', 'prod-hash', 1);
         INSERT INTO item_types (code, name) VALUES ('laptop', 'Notebooks');
         INSERT INTO products (sku, name, item_type_id, price) VALUES ('LAP-TB14', 'Production laptop', 1, 1.00), ('PROD-1', 'Other', 1, 2.00);
         INSERT INTO locations (code, name, kind) VALUES ('WH-AMS', 'Production Amsterdam', 'warehouse'), ('PROD-LOC', 'Elsewhere', 'store');
         INSERT INTO items (serial, product_id, location_id) SELECT 'PROD-' || g, 2, 2 FROM generate_series(1, 30) g;
         INSERT INTO movements (item_id, to_location_id, note) SELECT id, 2, 'prod' FROM items;",
    );
    // Identity values only grow, so the rows above are exactly those with ids up to these.
    let production = "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
        SELECT t::text AS x FROM roles t WHERE id <= 2
        UNION ALL SELECT t::text FROM permissions t WHERE id <= 1
        UNION ALL SELECT t::text FROM role_permissions t WHERE role_id <= 2
        UNION ALL SELECT t::text FROM users t WHERE id <= 21
        UNION ALL SELECT t::text FROM item_types t WHERE id <= 1
        UNION ALL SELECT t::text FROM products t WHERE id <= 2
        UNION ALL SELECT t::text FROM locations t WHERE id <= 2
        UNION ALL SELECT t::text FROM items t WHERE id <= 30
        UNION ALL SELECT t::text FROM movements t WHERE id <= 30) production_rows";
    let before = db.scalar(production);
    let admin_links = "SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'admin'";
    assert_eq!(db.scalar(admin_links), "1");

    let report = seed(&db, &[]);
    assert!(total(&report, "kept") >= 6, "{report}");
    assert_eq!(db.scalar(production), before, "a production row changed");
    assert_eq!(
        db.scalar(admin_links),
        "1",
        "the production admin role's permissions changed"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM users WHERE password_hash = 'prod-hash'"),
        "21"
    );
    // The seeded rows are there beside them, and a second run converges.
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM items WHERE serial LIKE 'SEED-%' AND parent_item_id IS NULL"
        ),
        "70"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM users WHERE email = 'testuser@staging.example.com'"),
        "1"
    );
    let seeded = db.fingerprint();
    let again = seed(&db, &[]);
    assert_eq!(
        (total(&again, "inserted"), total(&again, "updated")),
        (0, 0),
        "{again}"
    );
    assert_eq!(db.fingerprint(), seeded);
}

/// The reference schema with its tables and columns renamed (and items moved to another
/// schema), and the `[schema]` sections that describe it.
const RENAMES: &str = "
    ALTER TABLE users RENAME TO members;
    ALTER TABLE members RENAME COLUMN email TO login;
    ALTER TABLE members RENAME COLUMN full_name TO display_name;
    ALTER TABLE products RENAME COLUMN sku TO code;
    ALTER TABLE locations RENAME TO sites;
    ALTER TABLE sites RENAME COLUMN street_address TO street;
    CREATE SCHEMA inv;
    ALTER TABLE items SET SCHEMA inv;
    ALTER TABLE inv.items RENAME COLUMN serial TO serial_no;
    ALTER TABLE movements RENAME TO item_moves;
    ALTER TABLE item_moves RENAME COLUMN moved_by TO actor_id;";

const RENAMED_MAPPING: &str = r#"
[schema.accounts]
table = "members"
email = "login"
name = "display_name"
phone = "phone"
password = "password_hash"
role = "role_id"
active = "is_active"
created_at = "created_at"
updated_at = "updated_at"

[schema.products]
table = "products"
key = "code"
name = "name"
description = "description"
type = "item_type_id"
price = "price"
currency = "currency"
created_at = "created_at"

[schema.locations]
table = "sites"
code = "code"
name = "name"
kind = "kind"
street = "street"
city = "city"
postcode = "postcode"
country = "country"
created_at = "created_at"

[schema.items]
table = "inv.items"
serial = "serial_no"
product = "product_id"
parent = "parent_item_id"
status = "status"
created_at = "created_at"
location = "location_id"

[schema.movements]
table = "item_moves"
item = "item_id"
from = "from_location_id"
to = "to_location_id"
by = "actor_id"
at = "moved_at"
note = "note"
"#;

#[test]
fn all_five_seeders_write_renamed_tables_and_columns_through_the_mapping_as_they_do_the_reference()
{
    let mut reference = migrated();
    let reference_report = seed(&reference, &[]);
    let mut renamed = migrated();
    renamed.execute(RENAMES);
    let dir = work_dir();
    let config = format!(
        "[staging]\ndatabase_url = \"{}\"\n{RENAMED_MAPPING}",
        renamed.url()
    );
    std::fs::write(dir.path().join("restage.toml"), config).expect("write restage.toml");
    let seeded = run(restage(dir.path()).args(["seed", "--json"]));
    seeded.assert_code(0);
    let report = seeded.json();
    for name in ["roles", "accounts", "products", "inventory", "movements"] {
        assert_eq!(
            seeder(&report, name)["inserted"],
            seeder(&reference_report, name)["inserted"],
            "{name}: {report}"
        );
    }
    for (reference_table, renamed_table) in [
        ("users", "members"),
        ("locations", "sites"),
        ("items", "inv.items"),
        ("movements", "item_moves"),
        ("products", "products"),
        ("role_permissions", "role_permissions"),
    ] {
        assert_eq!(
            renamed.scalar(&format!("SELECT count(*) FROM {renamed_table}")),
            reference.scalar(&format!("SELECT count(*) FROM {reference_table}")),
            "{renamed_table}"
        );
    }
    let moves = "SELECT string_agg(concat_ws(':', i.{serial}, f.code, t.code, u.{email}, m.note), ',' ORDER BY m.moved_at, i.{serial})
                 FROM {moves} m JOIN {items} i ON i.id = m.item_id JOIN {sites} t ON t.id = m.to_location_id
                 LEFT JOIN {sites} f ON f.id = m.from_location_id LEFT JOIN {users} u ON u.id = m.{by}";
    let fill = |serial: &str,
                email: &str,
                moves_table: &str,
                items: &str,
                sites: &str,
                users: &str,
                by: &str| {
        moves
            .replace("{serial}", serial)
            .replace("{email}", email)
            .replace("{moves}", moves_table)
            .replace("{items}", items)
            .replace("{sites}", sites)
            .replace("{users}", users)
            .replace("{by}", by)
    };
    assert_eq!(
        renamed.scalar(&fill(
            "serial_no",
            "login",
            "item_moves",
            "inv.items",
            "sites",
            "members",
            "actor_id"
        )),
        reference.scalar(&fill(
            "serial",
            "email",
            "movements",
            "items",
            "locations",
            "users",
            "moved_by"
        )),
        "the movements differ"
    );
    let again = run(restage(dir.path()).args(["seed", "--json"]));
    again.assert_code(0);
    assert_eq!(
        total(&again.json(), "inserted") + total(&again.json(), "updated"),
        0
    );
}
