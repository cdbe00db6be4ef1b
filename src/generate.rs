//! A production-like database for demos, tests and benchmarks: the reference schema filled
//! with realistic personal data (made with `fake`) at a scale factor, with skewed sizes (many
//! orders, order lines and movements; a few customers with most of the orders) and jsonb
//! audit payloads that hold e-mail addresses. Deterministic for a given seed.

use std::time::Instant;

use blake2::{Blake2s256, Digest};
use fake::Fake;
use fake::faker::{address, company, internet, lorem, name, phone_number};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::anonymize::transformers::fake::Generated as SharedFake;
use serde::Serialize;
use sqlx::postgres::{PgConnection, PgCopyIn};

use crate::clock::civil_from_days;
use crate::error::Error;
use crate::pg::database_error;
use crate::pipeline::copy_text::encode;
use crate::secret::SecretUrl;
use crate::{pg, schema};

/// Bytes buffered per table before they are sent.
const BUFFER: usize = 1 << 20;
/// Generated timestamps fall in the three years before this instant (2026-01-01, Unix seconds).
const NOW: i64 = 1_767_225_600;
const YEARS_3: i64 = 3 * 365 * 24 * 3600;

const ROLES: &[&str] = &["admin", "manager", "operator", "auditor", "user", "viewer"];
const ITEM_TYPES: &[&str] = &[
    "laptop", "desktop", "monitor", "phone", "tablet", "printer", "network",
];
const KINDS: &[&str] = &["warehouse", "store", "transit", "supplier", "repair"];
const COUNTRIES: &[&str] = &["NL", "DE", "FR", "ES", "IT", "GB", "BE", "PL", "SE", "US"];
const ORDER_STATUSES: &[&str] = &[
    "pending",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
];
const ACTIONS: &[&str] = &[
    "login",
    "update_profile",
    "place_order",
    "change_address",
    "export",
    "password_reset",
];

/// Rows per table at scale 1 (scale N has N times as many, fixed tables aside).
#[derive(Debug, Clone, Copy)]
struct Sizes {
    users: u64,
    customers: u64,
    products: u64,
    locations: u64,
    items: u64,
    movements: u64,
    orders: u64,
    order_lines: u64,
    audit: u64,
    sessions: u64,
}

impl Sizes {
    fn at(scale: u64) -> Sizes {
        Sizes {
            users: 1_000 * scale,
            customers: 10_000 * scale,
            products: 200 + 40 * scale,
            locations: 40,
            items: 20_000 * scale,
            movements: 60_000 * scale,
            orders: 50_000 * scale,
            order_lines: 120_000 * scale,
            audit: 30_000 * scale,
            sessions: 2_000 * scale,
        }
    }
}

/// What was generated.
#[derive(Debug, Serialize)]
pub struct Generated {
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
    pub seconds: f64,
}

/// Migrates the (empty) database at `url` and fills it at `scale` from `seed`.
pub async fn generate(url: &SecretUrl, scale: u64, seed: u64) -> Result<Generated, Error> {
    let start = Instant::now();
    let reference = schema::Runner::Sqlx(schema::reference_migrator().await?);
    schema::migrate(&reference, url, "").await?;
    let mut connection = pg::connect(url, "target database", "restage generate").await?;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut connection)
        .await
        .map_err(database_error(url, "looking at the target"))?;
    if users > 0 {
        return Err(Error::Refused(format!(
            "{url} already holds data; generate into an empty database"
        )));
    }
    let sizes = Sizes::at(scale.max(1));
    let mut tables = Vec::new();
    // Parents before children: the foreign keys are checked as rows arrive.
    for level in [
        &[
            FakeTable::Roles,
            FakeTable::Locations,
            FakeTable::ItemTypes,
            FakeTable::Customers,
        ][..],
        &[FakeTable::Users, FakeTable::Products],
        &[
            FakeTable::Items,
            FakeTable::Orders,
            FakeTable::Sessions,
            FakeTable::AuditLog,
        ],
        &[
            FakeTable::Movements,
            FakeTable::OrderItems,
            FakeTable::Payments,
        ],
    ] {
        let mut tasks = tokio::task::JoinSet::new();
        for &table in level {
            let url = url.clone();
            let name = table.name();
            tasks.spawn(async move {
                let mut connection =
                    pg::connect(&url, "target database", "restage generate").await?;
                let rows = fill(&mut connection, table, sizes, seed)
                    .await
                    .map_err(database_error(&url, &format!("generating {name}")))?;
                Ok::<_, Error>((name.to_owned(), rows))
            });
        }
        while let Some(done) = tasks.join_next().await {
            let done = done.map_err(|source| Error::Worker {
                what: "a generator task",
                source,
            })??;
            tables.push(done);
        }
    }
    sqlx::raw_sql(
        "INSERT INTO permissions (code, description) VALUES ('items.read', 'See items'), ('items.write', 'Change items');
         INSERT INTO role_permissions SELECT r.id, p.id FROM roles r, permissions p;
         ANALYZE;",
    )
    .execute(&mut connection)
    .await
    .map_err(database_error(url, "finishing"))?;
    tables.sort();
    Ok(Generated {
        rows: tables.iter().map(|(_, rows)| rows).sum(),
        tables,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A COPY into one table, buffered.
struct Sink<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buffer: Vec<u8>,
}

impl<'c> Sink<'c> {
    async fn open(
        connection: &'c mut PgConnection,
        table: &str,
        columns: &str,
    ) -> Result<Sink<'c>, sqlx::Error> {
        let copy = connection
            .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await?;
        Ok(Sink {
            copy,
            buffer: Vec::with_capacity(BUFFER + 4096),
        })
    }

    async fn row(&mut self, values: &[Option<&str>]) -> Result<(), sqlx::Error> {
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                self.buffer.push(b'\t');
            }
            encode(*value, &mut self.buffer);
        }
        self.buffer.push(b'\n');
        if self.buffer.len() >= BUFFER {
            self.copy.send(std::mem::take(&mut self.buffer)).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<u64, sqlx::Error> {
        if !self.buffer.is_empty() {
            self.copy.send(std::mem::take(&mut self.buffer)).await?;
        }
        self.copy.finish().await
    }
}

fn rng_for(seed: u64, table: &str) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(
        Blake2s256::new()
            .chain_update(seed.to_le_bytes())
            .chain_update(table)
            .finalize()
            .into(),
    )
}

/// Unix seconds as a timestamptz literal.
fn timestamp(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let time = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}+00",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// A moment in the three years before NOW.
fn past(rng: &mut ChaCha8Rng) -> String {
    timestamp(NOW - rng.random_range(0..YEARS_3))
}

/// Skewed towards small ids: a few customers place most orders.
fn skewed(rng: &mut ChaCha8Rng, count: u64) -> u64 {
    let u: f64 = rng.random();
    ((count as f64) * u.powi(3)) as u64 % count + 1
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn person(rng: &mut ChaCha8Rng) -> (String, String) {
    (
        name::en::FirstName().fake_with_rng(rng),
        name::en::LastName().fake_with_rng(rng),
    )
}

fn email(rng: &mut ChaCha8Rng, first: &str, last: &str, number: u64) -> String {
    let provider: String = internet::en::FreeEmailProvider().fake_with_rng(rng);
    format!(
        "{}.{}{number}@{provider}",
        first.to_lowercase(),
        last.to_lowercase()
    )
    .replace(['\'', ' '], "")
}

fn card(rng: &mut ChaCha8Rng) -> String {
    let mut digits: Vec<u8> = std::iter::once(4)
        .chain((0..15).map(|_| rng.random_range(0..10)))
        .collect();
    crate::luhn::fix(&mut digits);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// A table the generator fills.
#[derive(Debug, Clone, Copy)]
enum FakeTable {
    Roles,
    ItemTypes,
    Locations,
    Customers,
    Users,
    Products,
    Items,
    Movements,
    Orders,
    OrderItems,
    Payments,
    AuditLog,
    Sessions,
}

impl FakeTable {
    fn name(self) -> &'static str {
        match self {
            FakeTable::Roles => "roles",
            FakeTable::ItemTypes => "item_types",
            FakeTable::Locations => "locations",
            FakeTable::Customers => "customers",
            FakeTable::Users => "users",
            FakeTable::Products => "products",
            FakeTable::Items => "items",
            FakeTable::Movements => "movements",
            FakeTable::Orders => "orders",
            FakeTable::OrderItems => "order_items",
            FakeTable::Payments => "payments",
            FakeTable::AuditLog => "audit_log",
            FakeTable::Sessions => "sessions",
        }
    }

    /// The columns its rows give, in order.
    fn columns(self) -> &'static str {
        match self {
            FakeTable::Roles => "name, description",
            FakeTable::ItemTypes => "code, name",
            FakeTable::Locations => "code, name, kind, street_address, city, postcode, country",
            FakeTable::Customers => {
                "email, full_name, phone, street_address, city, postcode, country, date_of_birth, created_at"
            }
            FakeTable::Users => {
                "email, full_name, phone, password_hash, role_id, last_login_ip, created_at"
            }
            FakeTable::Products => "sku, name, description, item_type_id, price",
            FakeTable::Items => "serial, product_id, parent_item_id, location_id, status",
            FakeTable::Movements => {
                "item_id, from_location_id, to_location_id, moved_by, moved_at, note"
            }
            FakeTable::Orders => {
                "order_number, customer_id, status, total, shipping_address, placed_at"
            }
            FakeTable::OrderItems => "order_id, line_no, product_id, quantity, unit_price",
            FakeTable::Payments => "order_id, card_number, card_last4, amount, status",
            FakeTable::AuditLog => {
                "occurred_at, actor_user_id, action, entity, entity_id, ip_address, payload"
            }
            FakeTable::Sessions => {
                "user_id, token_hash, ip_address, user_agent, created_at, expires_at"
            }
        }
    }

    /// Writes its rows into `sink`.
    async fn write(self, sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
        match self {
            FakeTable::Roles => roles(sink).await,
            FakeTable::ItemTypes => item_types(sink).await,
            FakeTable::Locations => locations(sink, rng, sizes).await,
            FakeTable::Customers => customers(sink, rng, sizes).await,
            FakeTable::Users => users(sink, rng, sizes).await,
            FakeTable::Products => products(sink, rng, sizes).await,
            FakeTable::Items => items(sink, rng, sizes).await,
            FakeTable::Movements => movements(sink, rng, sizes).await,
            FakeTable::Orders => orders(sink, rng, sizes).await,
            FakeTable::OrderItems => order_items(sink, rng, sizes).await,
            FakeTable::Payments => payments(sink, rng, sizes).await,
            FakeTable::AuditLog => audit_log(sink, rng, sizes).await,
            FakeTable::Sessions => sessions(sink, rng, sizes).await,
        }
    }
}

/// What a generator of rows returns.
type Rows = Result<(), sqlx::Error>;

/// Fills one table; returns its rows.
async fn fill(
    connection: &mut PgConnection,
    table: FakeTable,
    sizes: Sizes,
    seed: u64,
) -> Result<u64, sqlx::Error> {
    let rng = &mut rng_for(seed, table.name());
    let mut sink = Sink::open(connection, table.name(), table.columns()).await?;
    table.write(&mut sink, rng, sizes).await?;
    sink.finish().await
}

/// The production roles.
async fn roles(sink: &mut Sink<'_>) -> Rows {
    for role in ROLES {
        sink.row(&[Some(role), Some("Production role")]).await?;
    }
    Ok(())
}

/// The item types.
async fn item_types(sink: &mut Sink<'_>) -> Rows {
    for code in ITEM_TYPES {
        sink.row(&[Some(code), Some(&code.to_uppercase())]).await?;
    }
    Ok(())
}

/// The rules' fakes the demo rows use, by the rules' names: production-like rows, rules and
/// fixtures share one vocabulary and one generator of each.
struct Fakes {
    street: SharedFake,
    city: SharedFake,
    postcode: SharedFake,
    phone: SharedFake,
}

impl Fakes {
    fn new() -> Fakes {
        let named = |name| SharedFake::named(name).expect("a fake the rules have");
        Fakes {
            street: named("street_address"),
            city: named("city"),
            postcode: named("postcode"),
            phone: named("phone"),
        }
    }
}

/// Locations with street addresses.
async fn locations(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    let fakes = Fakes::new();
    for i in 1..=sizes.locations {
        let city = fakes.city.value(rng);
        let kind = pick(rng, KINDS);
        let street = fakes.street.value(rng);
        let postcode = fakes.postcode.value(rng);
        sink.row(&[
            Some(&format!("LOC-{i:03}")),
            Some(&format!("{city} {kind}")),
            Some(kind),
            Some(&street),
            Some(&city),
            Some(&postcode),
            Some(pick(rng, COUNTRIES)),
        ])
        .await?;
    }
    Ok(())
}

/// Customers: e-mail, name, phone, address and birth date.
async fn customers(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    let fakes = Fakes::new();
    for i in 1..=sizes.customers {
        let (first, last) = person(rng);
        let phone = fakes.phone.value(rng);
        let street = fakes.street.value(rng);
        let city = fakes.city.value(rng);
        let postcode = fakes.postcode.value(rng);
        let birth = format!(
            "{}-{:02}-{:02}",
            rng.random_range(1940..2006),
            rng.random_range(1..13),
            rng.random_range(1..29)
        );
        let created = past(rng);
        sink.row(&[
            Some(&email(rng, &first, &last, i)),
            Some(&format!("{first} {last}")),
            Some(&phone),
            Some(&street),
            Some(&city),
            Some(&postcode),
            Some(pick(rng, COUNTRIES)),
            Some(&birth),
            Some(&created),
        ])
        .await?;
    }
    Ok(())
}

/// Staff users with password hashes and login IPs.
async fn users(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 1..=sizes.users {
        let (first, last) = person(rng);
        let phone: String = phone_number::en::PhoneNumber().fake_with_rng(rng);
        let hash = format!(
            "$2b$12${}",
            (0..53)
                .map(|_| char::from(b'a' + rng.random_range(0..26)))
                .collect::<String>()
        );
        let ip: String = internet::en::IPv4().fake_with_rng(rng);
        let role = (rng.random_range(0..ROLES.len()) + 1).to_string();
        let created = past(rng);
        sink.row(&[
            Some(
                &format!(
                    "{}.{}{i}@corp.example",
                    first.to_lowercase(),
                    last.to_lowercase()
                )
                .replace(['\'', ' '], ""),
            ),
            Some(&format!("{first} {last}")),
            Some(&phone),
            Some(&hash),
            Some(&role),
            Some(&ip),
            Some(&created),
        ])
        .await?;
    }
    Ok(())
}

/// The product catalogue.
async fn products(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 1..=sizes.products {
        let words: Vec<String> = lorem::en::Words(2..4).fake_with_rng(rng);
        let description: String = lorem::en::Sentence(6..14).fake_with_rng(rng);
        let company: String = company::en::CompanyName().fake_with_rng(rng);
        let price = format!(
            "{}.{:02}",
            rng.random_range(5..3000),
            rng.random_range(0..100)
        );
        let kind = (rng.random_range(0..ITEM_TYPES.len()) + 1).to_string();
        sink.row(&[
            Some(&format!("P-{i:06}")),
            Some(&format!("{company} {}", words.join(" "))),
            Some(&description),
            Some(&kind),
            Some(&price),
        ])
        .await?;
    }
    Ok(())
}

/// Items, some inside a parent item.
async fn items(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 1..=sizes.items {
        let parent = (i > 10 && rng.random_bool(0.3)).then(|| rng.random_range(1..i).to_string());
        let product = rng.random_range(1..=sizes.products).to_string();
        let location = rng.random_range(1..=sizes.locations).to_string();
        let status = pick(
            rng,
            &[
                "in_stock", "in_stock", "in_stock", "reserved", "sold", "retired",
            ],
        );
        sink.row(&[
            Some(&format!("SN{i:09}")),
            Some(&product),
            parent.as_deref(),
            Some(&location),
            Some(status),
        ])
        .await?;
    }
    Ok(())
}

/// Item movements, some with a note naming a person and a phone number.
async fn movements(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for _ in 0..sizes.movements {
        let item = skewed(rng, sizes.items).to_string();
        let from = rng.random_range(1..=sizes.locations);
        let to = (from + rng.random_range(1..sizes.locations) - 1) % sizes.locations + 1;
        let by = rng.random_range(1..=sizes.users).to_string();
        let moved = past(rng);
        let note = rng.random_bool(0.3).then(|| {
            let (first, last) = person(rng);
            let phone: String = phone_number::en::PhoneNumber().fake_with_rng(rng);
            format!("Handed to {first} {last}, call {phone}")
        });
        sink.row(&[
            Some(&item),
            Some(&from.to_string()),
            Some(&to.to_string()),
            Some(&by),
            Some(&moved),
            note.as_deref(),
        ])
        .await?;
    }
    Ok(())
}

/// Orders with a shipping address, skewed towards a few customers.
async fn orders(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 1..=sizes.orders {
        let customer = skewed(rng, sizes.customers).to_string();
        let total = format!(
            "{}.{:02}",
            rng.random_range(5..5000),
            rng.random_range(0..100)
        );
        let street = format!(
            "{} {}, {}",
            address::en::BuildingNumber().fake_with_rng::<String, _>(rng),
            address::en::StreetName().fake_with_rng::<String, _>(rng),
            address::en::CityName().fake_with_rng::<String, _>(rng)
        );
        let placed = past(rng);
        sink.row(&[
            Some(&format!("O{i:010}")),
            Some(&customer),
            Some(pick(rng, ORDER_STATUSES)),
            Some(&total),
            Some(&street),
            Some(&placed),
        ])
        .await?;
    }
    Ok(())
}

/// Order lines.
async fn order_items(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 0..sizes.order_lines {
        let order = (i % sizes.orders + 1).to_string();
        let line = (i / sizes.orders + 1).to_string();
        let product = rng.random_range(1..=sizes.products).to_string();
        let price = format!(
            "{}.{:02}",
            rng.random_range(1..2000),
            rng.random_range(0..100)
        );
        sink.row(&[
            Some(&order),
            Some(&line),
            Some(&product),
            Some(&rng.random_range(1..6).to_string()),
            Some(&price),
        ])
        .await?;
    }
    Ok(())
}

/// Payments with Luhn-valid card numbers.
async fn payments(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 1..=sizes.orders {
        let number = card(rng);
        let amount = format!(
            "{}.{:02}",
            rng.random_range(5..5000),
            rng.random_range(0..100)
        );
        let status = pick(
            rng,
            &["succeeded", "succeeded", "succeeded", "failed", "refunded"],
        );
        sink.row(&[
            Some(&i.to_string()),
            Some(&number),
            Some(&number[12..]),
            Some(&amount),
            Some(status),
        ])
        .await?;
    }
    Ok(())
}

/// Audit entries whose jsonb payload holds customers' e-mails, names and phones.
async fn audit_log(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for _ in 0..sizes.audit {
        let (first, last) = person(rng);
        let customer = skewed(rng, sizes.customers);
        let payload = serde_json::json!({
            "customer": { "id": customer, "email": email(rng, &first, &last, customer), "name": format!("{first} {last}") },
            "changes": { "phone": phone_number::en::PhoneNumber().fake_with_rng::<String, _>(rng) },
            "contacts": [ { "email": email(rng, &last, &first, customer + 1), "kind": "billing" } ],
            "source": "web",
        });
        let ip: String = internet::en::IPv4().fake_with_rng(rng);
        let occurred = past(rng);
        sink.row(&[
            Some(&occurred),
            Some(&rng.random_range(1..=sizes.users).to_string()),
            Some(pick(rng, ACTIONS)),
            Some("customer"),
            Some(&customer.to_string()),
            Some(&ip),
            Some(&payload.to_string()),
        ])
        .await?;
    }
    Ok(())
}

/// Sessions with token hashes, IPs and user agents.
async fn sessions(sink: &mut Sink<'_>, rng: &mut ChaCha8Rng, sizes: Sizes) -> Rows {
    for i in 0..sizes.sessions {
        let token: String = (0..32)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect::<String>()
            + &i.to_string();
        let ip: String = internet::en::IPv4().fake_with_rng(rng);
        let agent: String = internet::en::UserAgent().fake_with_rng(rng);
        let created = NOW - rng.random_range(0..86_400);
        sink.row(&[
            Some(&rng.random_range(1..=sizes.users).to_string()),
            Some(&token),
            Some(&ip),
            Some(&agent),
            Some(&timestamp(created)),
            Some(&timestamp(created + 86_400)),
        ])
        .await?;
    }
    Ok(())
}
