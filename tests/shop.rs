//! The second worked example, `examples/shop`: its own migration command, its own tables
//! through the `[schema]` mapping, bcrypt passwords and fixture sets.

use std::path::{Path, PathBuf};

use crate::support::{TestDb, edit_file, pbkdf2_sha256, restage, run, seeder_count, work_dir};

/// A copy of examples/shop to run (and edit) in a test.
fn shop_copy() -> tempfile::TempDir {
    let copy = work_dir();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"),
        copy.path(),
    );
    copy
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

fn file(shop: &tempfile::TempDir, name: &str) -> PathBuf {
    shop.path().join(name)
}

/// `restage <args> --json --staging-url <db>` in the shop; must succeed.
fn shop_run(shop: &tempfile::TempDir, db: &TestDb, args: &[&str]) -> serde_json::Value {
    let done = run(restage(shop.path())
        .args(args)
        .args(["--json", "--staging-url", &db.url()]));
    done.assert_code(0);
    done.json()
}

/// A reset shop database.
fn reset_shop(shop: &tempfile::TempDir) -> TestDb {
    let mut db = TestDb::new();
    shop_run(shop, &db, &["reset", "--yes"]);
    db.reconnect();
    db
}

fn changed(report: &serde_json::Value) -> u64 {
    report["seeders"]
        .as_array()
        .expect("seeders")
        .iter()
        .map(|entry| {
            ["inserted", "updated", "deleted"]
                .iter()
                .map(|counter| entry[counter].as_u64().unwrap_or(0))
                .sum::<u64>()
        })
        .sum()
}

#[test]
fn the_shop_resets_with_its_own_migrations_and_seeds_through_its_mapping_and_fixtures() {
    let shop = shop_copy();
    let mut db = TestDb::new();
    let reset =
        run(restage(shop.path()).args(["reset", "--yes", "--json", "--staging-url", &db.url()]));
    reset
        .assert_code(0)
        .assert_stderr_contains("applying 001_shop.sql")
        .assert_stderr_contains("applying 002_orders.sql");
    let report = reset.json();
    db.reconnect();
    assert_eq!(report["migration_command"], "sh db/migrate.sh", "{report}");
    for (seeder, inserted) in [
        ("roles", 9),
        ("accounts", 2),
        ("products", 2),
        ("catalog", 24),
        ("orders", 3),
    ] {
        assert_eq!(
            seeder_count(&report, seeder, "inserted"),
            inserted,
            "{seeder}: {report}"
        );
    }
    assert_eq!(db.scalar("SELECT count(*) FROM shop.role_grants"), "4");
    assert_eq!(
        db.scalar(
            "SELECT string_agg(p.perm, ',' ORDER BY p.perm) FROM shop.role_grants g
             JOIN shop.staff_roles r USING (role_id) JOIN shop.permissions p USING (perm)
             WHERE r.slug = 'support'"
        ),
        "orders.read,orders.refund"
    );
    for (email, password) in [
        ("support@shop.example.com", "staging-support-password"),
        ("buyer@shop.example.com", "staging-buyer-password"),
    ] {
        let hash = db.scalar(&format!(
            "SELECT password_digest FROM shop.customers WHERE email = '{email}'"
        ));
        assert!(hash.starts_with("$2b$12$"), "{hash}");
        assert!(
            bcrypt::verify(password, &hash).expect("a bcrypt hash"),
            "{email}"
        );
        assert!(!bcrypt::verify("wrong", &hash).expect("a bcrypt hash"));
    }
    assert_eq!(
        db.scalar("SELECT staff_role_id IS NULL FROM shop.customers WHERE email LIKE 'buyer@%'"),
        "true"
    );
    // Customers are keyed by uuid: restage's name-based ones, not the column's random default.
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM shop.customers WHERE customer_id::text LIKE '________-____-5%'"
        ),
        "2"
    );
    assert_eq!(
        db.scalar("SELECT string_agg(code || '=' || price_cents, ',' ORDER BY code) FROM shop.products WHERE code NOT LIKE 'GEN-%'"),
        "MUG-WHT=850,TEE-BLK-M=1999,TEE-WHT-L=1999"
    );
    assert_eq!(
        db.scalar("SELECT c.slug || '<' || p.slug FROM shop.categories c JOIN shop.categories p ON p.category_id = c.parent_id"),
        "tees<apparel"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM shop.products p JOIN shop.categories c USING (category_id) WHERE code LIKE 'GEN-%' AND c.slug = 'kitchen' AND price_cents BETWEEN 100 AND 9999"),
        "20"
    );
    assert_eq!(
        db.scalar("SELECT tags::text FROM shop.products WHERE code = 'TEE-WHT-L'"),
        "{cotton,white}"
    );
    assert_eq!(
        db.scalar("SELECT string_agg(p.code || 'x' || l.quantity, ',' ORDER BY p.code) FROM shop.order_lines l JOIN shop.products p USING (product_id)"),
        "MUG-WHTx1,TEE-WHT-Lx2"
    );
    assert_eq!(
        db.scalar("SELECT details->>'note' FROM shop.orders"),
        "Leave at the door"
    );

    let seeded = db.fingerprint();
    let again = shop_run(&shop, &db, &["seed"]);
    assert_eq!(changed(&again), 0, "{again}");
    assert_eq!(db.fingerprint(), seeded, "a second seed changed the shop");
    let migrate = shop_run(&shop, &db, &["migrate"]);
    assert_eq!(migrate["migration_command"], "sh db/migrate.sh");
    assert_eq!(
        db.fingerprint(),
        seeded,
        "migrate after reset changed the shop"
    );
}

#[test]
fn only_a_fixture_set_touches_its_tables_and_an_edited_row_updates_exactly_that_row() {
    let shop = shop_copy();
    let mut db = reset_shop(&shop);
    let before = db.table_digests();
    let catalog = file(&shop, "seeds/fixtures/catalog.toml");
    edit_file(&catalog, "name = \"T-shirts\"", "name = \"Tees\"");
    edit_file(
        &catalog,
        "    { slug = \"kitchen\", name = \"Kitchen\" },",
        "    { slug = \"kitchen\", name = \"Kitchen\" },\n    { slug = \"garden\", name = \"Garden\" },",
    );
    let report = shop_run(&shop, &db, &["seed", "--only", "catalog"]);
    let seeders: Vec<&str> = report["seeders"]
        .as_array()
        .expect("seeders")
        .iter()
        .filter_map(|entry| entry["seeder"].as_str())
        .collect();
    assert_eq!(seeders, ["catalog"]);
    assert_eq!(seeder_count(&report, "catalog", "updated"), 1, "{report}");
    assert_eq!(seeder_count(&report, "catalog", "inserted"), 1, "{report}");
    assert_eq!(
        seeder_count(&report, "catalog", "unchanged"),
        23,
        "{report}"
    );
    let after = db.table_digests();
    let differing: Vec<&String> = after
        .keys()
        .filter(|table| before.get(*table) != after.get(*table))
        .collect();
    assert_eq!(differing, ["restage.seeded_rows", "shop.categories"]);
    assert_eq!(
        db.scalar("SELECT string_agg(slug || '=' || name, ',' ORDER BY slug) FROM shop.categories"),
        "apparel=Apparel,garden=Garden,kitchen=Kitchen,tees=Tees"
    );

    edit_file(
        &catalog,
        "\n    { slug = \"garden\", name = \"Garden\" },",
        "",
    );
    let report = shop_run(&shop, &db, &["seed", "--only", "catalog"]);
    assert_eq!(seeder_count(&report, "catalog", "deleted"), 1, "{report}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM shop.categories WHERE slug = 'garden'"),
        "0"
    );
}

#[test]
fn rows_restage_did_not_make_are_kept_as_they_are() {
    let shop = shop_copy();
    let mut db = TestDb::new();
    shop_run(&shop, &db, &["migrate"]);
    db.execute(
        "INSERT INTO shop.customers (email, display_name, password_digest) VALUES ('buyer@shop.example.com', 'The real buyer', 'x');
         INSERT INTO shop.categories (slug, name) VALUES ('apparel', 'Clothes'), ('outdoor', 'Outdoor');",
    );
    let report = shop_run(&shop, &db, &["seed"]);
    assert_eq!(seeder_count(&report, "accounts", "kept"), 1, "{report}");
    assert_eq!(seeder_count(&report, "catalog", "kept"), 1, "{report}");
    assert_eq!(
        db.scalar("SELECT display_name || '/' || password_digest FROM shop.customers WHERE email = 'buyer@shop.example.com'"),
        "The real buyer/x"
    );
    assert_eq!(
        db.scalar("SELECT string_agg(slug || '=' || name, ',' ORDER BY slug) FROM shop.categories"),
        "apparel=Clothes,kitchen=Kitchen,outdoor=Outdoor,tees=T-shirts"
    );
    // The order still refers to the real buyer: references go by natural key.
    assert_eq!(
        db.scalar(
            "SELECT c.display_name FROM shop.orders o JOIN shop.customers c USING (customer_id)"
        ),
        "The real buyer"
    );
}

#[test]
fn a_mapping_that_does_not_fit_the_tables_is_refused_key_by_key_and_writes_nothing() {
    let shop = shop_copy();
    let mut db = reset_shop(&shop);
    let before = db.fingerprint();
    let config = file(&shop, "restage.toml");
    edit_file(&config, "email = \"email\"", "email = \"mail\"");
    edit_file(&config, "price = \"price_cents\"", "price = \"title\"");
    edit_file(&config, "name = \"slug\"", "name = \"label\"");
    edit_file(&config, "id = \"role_id\"", "id = \"slug\"");
    let refused = run(restage(shop.path()).args(["seed", "--staging-url", &db.url()]));
    refused
        .assert_code(2)
        .assert_stderr_contains("the [schema] mapping does not fit the tables of")
        .assert_stderr_contains("schema.accounts.email: column shop.customers.mail does not exist; its columns are customer_id, email,")
        .assert_stderr_contains("schema.products.price: column shop.products.title is text; a price needs a numeric column")
        .assert_stderr_contains("schema.roles.name: column shop.staff_roles.label is not unique")
        .assert_stderr_contains("schema.roles.id: column shop.staff_roles.slug is character varying(40); an id must be an integer (identity or serial), a uuid, or absent")
        .assert_stderr_contains("nothing was written")
        .assert_clean_failure("no secret here");
    for line in [
        "line 17: schema.roles.id",
        "line 18: schema.roles.name",
        "line 35: schema.accounts.email",
        "line 47: schema.products.price",
    ] {
        refused.assert_stderr_contains(line);
    }
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn a_reference_to_a_missing_row_is_refused_and_writes_nothing() {
    let shop = shop_copy();
    let mut db = reset_shop(&shop);
    let before = db.fingerprint();
    edit_file(
        &file(&shop, "seeds/fixtures/orders.toml"),
        "key = \"buyer@shop.example.com\"",
        "key = \"nobody@shop.example.com\"",
    );
    edit_file(
        &file(&shop, "seeds/fixtures/catalog.toml"),
        "name = \"Kitchen\"",
        "name = \"Cooking\"",
    );
    run(restage(shop.path()).args(["seed", "--staging-url", &db.url()]))
        .assert_code(2)
        .assert_stderr_contains("the fixtures do not fit the tables of")
        .assert_stderr_contains("refers in customer_id to shop.customers key nobody@shop.example.com, which is not in the database")
        .assert_stderr_contains("orders.toml: line")
        .assert_clean_failure("no secret here");
    assert_eq!(db.fingerprint(), before, "a refused seed wrote something");
}

#[test]
fn bad_fixture_files_are_refused_with_file_and_line_before_connecting() {
    let shop = shop_copy();
    let db = TestDb::new();
    std::fs::write(
        file(&shop, "seeds/fixtures/broken.toml"),
        "[[tables]]\ntable = \"shop.tags\"\nkey = []\n\n[[tables]]\ntable = \"shop.products\"\nkey = \"code\"\nrows = [{ title = \"no key\" }]\n[tables.generate]\ncount = 3\nvalues = { code = \"same\", title = { fake = \"poem\" } }\n",
    )
    .expect("write");
    run(restage(shop.path()).args(["seed", "--staging-url", &db.url()]))
        .assert_code(2)
        .assert_stderr_contains("broken.toml: line 3: tables.key: must name the natural key")
        .assert_stderr_contains(
            "broken.toml: line 8: tables.rows: a row of shop.products lacks its key code",
        )
        .assert_stderr_contains("unknown fake 'poem'")
        .assert_clean_failure("no secret here");
}

#[test]
fn a_fixture_set_can_be_called_products_when_the_schema_has_no_products_seeder() {
    let shop = shop_copy();
    let config = file(&shop, "restage.toml");
    edit_file(
        &config,
        "seeders = [\"roles\", \"accounts\", \"products\"]",
        "seeders = [\"roles\", \"accounts\"]",
    );
    std::fs::rename(
        file(&shop, "seeds/fixtures/catalog.toml"),
        file(&shop, "seeds/fixtures/products.toml"),
    )
    .expect("rename");
    // Without the products seeder, orders can refer only to the fixture set's products.
    edit_file(
        &file(&shop, "seeds/fixtures/orders.toml"),
        "key = \"MUG-WHT\"",
        "key = \"GEN-001\"",
    );
    let mut db = reset_shop(&shop);
    let before = db.table_digests();
    db.execute("UPDATE shop.categories SET name = 'Edited by hand' WHERE slug = 'kitchen'; DELETE FROM restage.seeded_rows WHERE natural_key = 'kitchen';");
    edit_file(
        &file(&shop, "seeds/fixtures/products.toml"),
        "count = 20",
        "count = 21",
    );
    let report = shop_run(&shop, &db, &["seed", "--only", "products"]);
    assert_eq!(seeder_count(&report, "products", "inserted"), 1, "{report}");
    assert_eq!(seeder_count(&report, "products", "kept"), 1, "{report}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM shop.products WHERE code LIKE 'GEN-%'"),
        "21"
    );
    assert_eq!(
        db.scalar("SELECT name FROM shop.categories WHERE slug = 'kitchen'"),
        "Edited by hand"
    );
    let after = db.table_digests();
    for table in [
        "shop.customers",
        "shop.orders",
        "shop.order_lines",
        "shop.staff_roles",
    ] {
        assert_eq!(before.get(table), after.get(table), "{table} changed");
    }
    run(restage(shop.path()).args(["seed", "--only", "catalog", "--staging-url", &db.url()]))
        .assert_code(2)
        .assert_stderr_contains("unknown seeder 'catalog'; this schema's seeders and fixture sets are: roles, accounts, orders, products");
}

#[test]
fn generated_rows_are_the_same_for_one_rng_seed_and_differ_for_another() {
    let shop = shop_copy();
    let titles = |db: &mut TestDb| {
        db.scalar("SELECT string_agg(title || price_cents, ',' ORDER BY code) FROM shop.products WHERE code LIKE 'GEN-%'")
    };
    let mut first = reset_shop(&shop);
    let mut second = reset_shop(&shop);
    assert_eq!(titles(&mut first), titles(&mut second));
    let mut other = TestDb::new();
    shop_run(&shop, &other, &["reset", "--yes", "--rng-seed", "7"]);
    other.reconnect();
    assert_ne!(titles(&mut first), titles(&mut other));
}

#[test]
fn each_password_format_is_accepted_by_its_frameworks_verifier() {
    let shop = shop_copy();
    let mut db = TestDb::new();
    shop_run(&shop, &db, &["migrate"]);
    // One account keeps the slow formats quick.
    edit_file(
        &file(&shop, "seeds/accounts.toml"),
        "\n[[accounts]]\nemail = \"buyer@shop.example.com\"\nfull_name = \"Bea Buyer\"\npassword = \"staging-buyer-password\"\n",
        "",
    );
    let config = file(&shop, "restage.toml");
    let mut format = "bcrypt";
    for next in [
        "bcrypt-2y",
        "pbkdf2-sha256",
        "scrypt",
        "werkzeug-pbkdf2-sha256",
        "argon2id",
    ] {
        edit_file(
            &config,
            &format!("password_format = \"{format}\""),
            &format!("password_format = \"{next}\""),
        );
        format = next;
        // An owned account whose hash differs is updated, in the new format.
        shop_run(&shop, &db, &["seed", "--only", "roles,accounts"]);
        let hash = db.scalar(
            "SELECT password_digest FROM shop.customers WHERE email = 'support@shop.example.com'",
        );
        let password = "staging-support-password";
        match format {
            "bcrypt-2y" => {
                assert!(hash.starts_with("$2y$12$"), "{hash}");
                assert!(bcrypt::verify(password, &hash).expect("bcrypt"));
            }
            "pbkdf2-sha256" => {
                // Django: pbkdf2_sha256$<iterations>$<salt>$<base64 of PBKDF2-HMAC-SHA256>.
                let parts: Vec<&str> = hash.split('$').collect();
                assert_eq!(parts[0], "pbkdf2_sha256", "{hash}");
                let iterations: u32 = parts[1].parse().expect("iterations");
                use base64::Engine;
                assert_eq!(
                    parts[3],
                    base64::engine::general_purpose::STANDARD
                        .encode(pbkdf2_sha256(password, parts[2], iterations))
                );
            }
            "werkzeug-pbkdf2-sha256" => {
                // Werkzeug: pbkdf2:sha256:<iterations>$<salt>$<hex of PBKDF2-HMAC-SHA256>.
                let (method, rest) = hash.split_once('$').expect("method$salt$key");
                let (salt, key) = rest.split_once('$').expect("salt$key");
                let iterations: u32 = method
                    .strip_prefix("pbkdf2:sha256:")
                    .and_then(|count| count.parse().ok())
                    .unwrap_or_else(|| panic!("{hash}"));
                assert_eq!(
                    key,
                    restage::output::hex(&pbkdf2_sha256(password, salt, iterations))
                );
            }
            "scrypt" => {
                // Werkzeug: scrypt:N:r:p$<salt>$<hex of the 64-byte key>.
                let (method, rest) = hash.split_once('$').expect("method$salt$key");
                let (salt, key) = rest.split_once('$').expect("salt$key");
                assert_eq!(method, "scrypt:32768:8:1", "{hash}");
                let mut derived = [0u8; 64];
                let params = scrypt::Params::new(15, 8, 1, 64).expect("params");
                scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut derived)
                    .expect("scrypt");
                assert_eq!(key, restage::output::hex(&derived));
            }
            _ => {
                use argon2::{Argon2, PasswordHash, PasswordVerifier};
                let parsed = PasswordHash::new(&hash).expect("PHC string");
                assert!(
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                );
            }
        }
    }
}

#[test]
fn only_a_built_in_seeder_touches_only_its_tables_on_the_shop() {
    let shop = shop_copy();
    let mut db = reset_shop(&shop);
    let before = db.table_digests();
    edit_file(
        &file(&shop, "seeds/accounts.toml"),
        "full_name = \"Sam Support\"",
        "full_name = \"Samantha Support\"",
    );
    let report = shop_run(&shop, &db, &["seed", "--only", "accounts"]);
    assert_eq!(seeder_count(&report, "accounts", "updated"), 1, "{report}");
    let after = db.table_digests();
    let differing: Vec<&String> = after
        .keys()
        .filter(|table| before.get(*table) != after.get(*table))
        .collect();
    assert_eq!(differing, ["shop.customers"]);
}
