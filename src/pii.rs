//! Fail-closed PII detection: columns that look like personal data — by name, by type, or by
//! a sample of their content (inside json too) — and that the profile does not cover.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use sqlx::postgres::PgConnection;

use crate::anonymize::profile::CompiledProfile;
use crate::catalog::{Catalog, Column, Table, TypeCategory, quote};

/// Rows sampled per column.
pub const SAMPLE_ROWS: i64 = 200;
/// Pages read at most per table for the sample: random blocks spread over the whole table
/// (`TABLESAMPLE SYSTEM`), so rows written last count as much as the first.
pub const SAMPLE_PAGES: i64 = 200;

/// A column that looks like personal data and has no rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub table: String,
    pub column: String,
    pub type_name: String,
    pub reasons: Vec<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{} ({}): {}",
            self.table,
            self.column,
            self.type_name,
            self.reasons.join("; ")
        )
    }
}

/// Name fragments that mean personal data wherever they appear: (fragment, what it suggests,
/// the rule `init` suggests for it). The first that matches wins, so `ip_address` is an IP.
const PERSONAL_NAMES: &[(&str, &str, &str)] = &[
    ("email", "e-mail", r#""email""#),
    ("e_mail", "e-mail", r#""email""#),
    ("phone", "phone number", r#""phone""#),
    ("mobile", "phone number", r#""phone""#),
    ("msisdn", "phone number", r#""phone""#),
    ("first_name", "name", r#""first_name""#),
    ("firstname", "name", r#""first_name""#),
    ("last_name", "name", r#""last_name""#),
    ("lastname", "name", r#""last_name""#),
    ("full_name", "name", r#""name""#),
    ("fullname", "name", r#""name""#),
    ("surname", "name", r#""last_name""#),
    ("given_name", "name", r#""first_name""#),
    ("family_name", "name", r#""last_name""#),
    ("middle_name", "name", r#""first_name""#),
    ("username", "login name", r#""username""#),
    ("user_name", "login name", r#""username""#),
    ("nickname", "name", r#""username""#),
    ("ip_addr", "IP address", r#""ipv4""#),
    ("last_login_ip", "IP address", r#""ipv4""#),
    ("address", "address", r#""street_address""#),
    ("street", "address", r#""street_address""#),
    ("postcode", "address", r#""postcode""#),
    ("postal", "address", r#""postcode""#),
    ("zip", "address", r#""postcode""#),
    (
        "birth",
        "date of birth",
        r#"{ transform = "date", shift_days = 365 }"#,
    ),
    (
        "dob",
        "date of birth",
        r#"{ transform = "date", shift_days = 365 }"#,
    ),
    ("card_number", "card number", r#""card""#),
    ("cc_number", "card number", r#""card""#),
    ("password", "password", r#""password""#),
    ("passwd", "password", r#""password""#),
    (
        "ssn",
        "national id",
        r#"{ transform = "mask", keep_last = 2 }"#,
    ),
    (
        "passport",
        "national id",
        r#"{ transform = "mask", keep_last = 2 }"#,
    ),
    (
        "national_id",
        "national id",
        r#"{ transform = "mask", keep_last = 2 }"#,
    ),
    (
        "iban",
        "bank account",
        r#"{ transform = "mask", keep_first = 4, keep_last = 2 }"#,
    ),
    ("picture", "photo", r#""null""#),
    ("photo", "photo", r#""null""#),
    ("avatar", "photo", r#""null""#),
];

/// `*_name` columns that do not name a person (every other `*_name` is taken for one).
pub const NOT_PERSON_NAMES: &[&str] = &[
    "product_name",
    "item_name",
    "sku_name",
    "variant_name",
    "brand_name",
    "model_name",
    "category_name",
    "file_name",
    "image_name",
    "table_name",
    "column_name",
    "schema_name",
    "database_name",
    "db_name",
    "index_name",
    "constraint_name",
    "sequence_name",
    "type_name",
    "class_name",
    "method_name",
    "function_name",
    "module_name",
    "package_name",
    "host_name",
    "server_name",
    "domain_name",
    "service_name",
    "app_name",
    "device_name",
    "queue_name",
    "job_name",
    "task_name",
    "step_name",
    "stage_name",
    "event_name",
    "metric_name",
    "report_name",
    "template_name",
    "field_name",
    "attribute_name",
    "option_name",
    "setting_name",
    "parameter_name",
    "property_name",
    "key_name",
    "tag_name",
    "label_name",
    "status_name",
    "role_name",
    "group_name",
    "team_name",
    "permission_name",
    "scope_name",
    "plan_name",
    "feature_name",
    "project_name",
    "campaign_name",
    "channel_name",
    "list_name",
    "bucket_name",
    "resource_name",
    "provider_name",
    "vendor_name",
    "supplier_name",
    "company_name",
    "bank_name",
    "store_name",
    "location_name",
    "warehouse_name",
    "country_name",
    "region_name",
    "state_name",
    "city_name",
    "language_name",
    "currency_name",
];

/// Words of a column name (split at `_`) that mean a person: `card_holder`, `recipient`,
/// `emergency_contact`, `signature`.
const PERSON_WORDS: &[&str] = &[
    "holder",
    "recipient",
    "contact",
    "signature",
    "signatory",
    "beneficiary",
    "payee",
    "addressee",
    "guardian",
    "spouse",
    "kin",
    "displayname",
];

/// Whole column names that mean personal data only in a table about people: (name, what it
/// suggests, the rule `init` suggests).
const PERSON_TABLE_NAMES: &[(&str, &str, &str)] = &[
    ("name", "name", r#""name""#),
    ("city", "address", r#""city""#),
    ("district", "address", r#""city""#),
    ("login", "login name", r#""username""#),
    ("bio", "free text about a person", r#""paragraph""#),
];

/// The rule `init` suggests for a person's name.
const NAME_RULE: &str = r#""name""#;

/// Table name fragments of tables about people.
const PERSON_TABLES: &[&str] = &[
    "user", "customer", "staff", "employee", "person", "people", "contact", "member", "account",
    "patient", "client", "address",
];

/// Words of a column name that mean free text typed by people (`delivery_note`,
/// `internal_comments`): names and phone numbers end up there whatever the form said.
/// `description` is left out: it describes things far more often than people.
const FREE_TEXT_WORDS: &[&str] = &[
    "note",
    "notes",
    "comment",
    "comments",
    "remark",
    "remarks",
    "memo",
    "memos",
    "message",
    "feedback",
    "instructions",
];

/// The rule `init` suggests for free text: a whole new sentence, since a name inside it has
/// no shape to find.
const FREE_TEXT_RULE: &str = r#""sentence""#;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(crate::tokens::EMAIL).expect("regex"));
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+?[0-9][0-9 ().-]{7,}[0-9]$").expect("regex"));
static CARD: LazyLock<Regex> = LazyLock::new(|| Regex::new(crate::tokens::CARD).expect("regex"));
/// A phone number inside free text: grouped as phone numbers are written (`552-941-7925`,
/// `131.370.3147`, `+44 20 7946 0958`), which dates, times and amounts are not.
static PHONE_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)(?:\+[0-9]{1,3}[ .-]?)?\(?\b[0-9]{2,4}\)?[ .-][0-9]{3,4}[ .-][0-9]{3,5}\b")
        .expect("regex")
});
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b").expect("regex"));

/// The columns of `catalog` that look personal and that `profile` leaves uncovered.
pub async fn uncovered(
    connection: &mut PgConnection,
    catalog: &Catalog,
    profile: &CompiledProfile,
) -> Result<Vec<Finding>, sqlx::Error> {
    let mut findings = Vec::new();
    for (name, table) in &catalog.tables {
        // Partitions are judged (and ruled) through their root.
        if table.partition_root.is_some() {
            continue;
        }
        let rules = profile.tables.get(name);
        if rules.is_some_and(|rules| rules.schema_only) {
            continue;
        }
        let sample = Sample::of(catalog, table);
        for (position, column) in table.columns.iter().enumerate() {
            let covered = rules.is_some_and(|rules| {
                rules.kept.contains(&column.name)
                    || rules.rules.iter().any(|(ruled, _)| *ruled == position)
            });
            if covered || column.generated {
                continue;
            }
            let mut reasons = name_reasons(table, column);
            reasons.extend(field_reasons(table, column));
            if holds_network_addresses(column) {
                reasons.push("its type holds network addresses".to_owned());
            }
            if holds_text(column) {
                reasons.extend(content_reasons(connection, &sample, column).await?);
            }
            if !reasons.is_empty() {
                findings.push(Finding {
                    table: name.clone(),
                    column: column.name.clone(),
                    type_name: column.type_name.clone(),
                    reasons,
                });
            }
        }
    }
    Ok(findings)
}

/// Whether a column called `name` holds phone numbers, by its name.
pub fn name_suggests_phone(name: &str) -> bool {
    let name = name.to_lowercase();
    PERSONAL_NAMES
        .iter()
        .any(|(fragment, kind, _)| *kind == "phone number" && name.contains(fragment))
}

/// The rule that the column's name suggests (as TOML), if its name suggests personal data.
pub fn suggested_rule(table: &Table, column: &Column) -> Option<&'static str> {
    name_match(table, column).map(|(_, rule)| rule)
}

fn name_reasons(table: &Table, column: &Column) -> Vec<String> {
    name_match(table, column)
        .map(|(reason, _)| reason)
        .into_iter()
        .collect()
}

/// Why the column's name suggests personal data, and the rule to suggest for it.
fn name_match(table: &Table, column: &Column) -> Option<(String, &'static str)> {
    let name = column.name.to_lowercase();
    // `address_id`, `customer_id`: keys that point at personal data are not personal data.
    if column.category == TypeCategory::Integer && (name == "id" || name.ends_with("_id")) {
        return None;
    }
    if let Some((_, kind, rule)) = PERSONAL_NAMES
        .iter()
        .find(|(fragment, _, _)| name.contains(fragment))
    {
        return Some((format!("its name suggests {kind}"), rule));
    }
    let holds_text = holds_text(column);
    if holds_text && name.ends_with("_name") && !NOT_PERSON_NAMES.contains(&name.as_str()) {
        return Some((
            "its name suggests a person's name (`*_name`)".to_owned(),
            NAME_RULE,
        ));
    }
    if holds_text && let Some(word) = name.split('_').find(|word| PERSON_WORDS.contains(word)) {
        return Some((format!("its name suggests a person ('{word}')"), NAME_RULE));
    }
    if holds_text && let Some(word) = name.split('_').find(|word| FREE_TEXT_WORDS.contains(word)) {
        return Some((
            format!("its name suggests free text ('{word}'), where people write names and numbers"),
            FREE_TEXT_RULE,
        ));
    }
    let about_people = PERSON_TABLES
        .iter()
        .any(|fragment| table.name.to_lowercase().contains(fragment));
    PERSON_TABLE_NAMES
        .iter()
        .find(|(whole, _, _)| name == *whole)
        .filter(|_| about_people)
        .map(|(_, kind, rule)| {
            (
                format!("its name suggests {kind} in a table about people"),
                *rule,
            )
        })
}

/// Whether values of `column` can hold text: text, json and jsonb, arrays and composites.
fn holds_text(column: &Column) -> bool {
    matches!(
        column.category,
        TypeCategory::Text | TypeCategory::Json | TypeCategory::Array | TypeCategory::Composite
    )
}

/// Whether `column` is (or its elements or fields are) of a network address type.
fn holds_network_addresses(column: &Column) -> bool {
    matches!(column.category, TypeCategory::Inet | TypeCategory::Macaddr)
        || column
            .element
            .as_deref()
            .is_some_and(holds_network_addresses)
        || column.fields.iter().any(holds_network_addresses)
}

/// What the names of a composite column's fields (or its elements' fields) suggest:
/// `contact.email`, `signer.full_name`.
fn field_reasons(table: &Table, column: &Column) -> Vec<String> {
    let fields = match &column.element {
        Some(element) => &element.fields,
        None => &column.fields,
    };
    fields
        .iter()
        .flat_map(|field| {
            let nested = field_reasons(table, field);
            name_reasons(table, field)
                .into_iter()
                .map(|reason| format!("its field {}: {reason}", field.name))
                .chain(nested)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// How a table's rows are sampled: random blocks over the whole table, through a partitioned
/// parent's partitions, never through an inheritance parent's children (they are tables of
/// their own, judged on their own rows).
struct Sample {
    from: String,
    percent: f64,
}

impl Sample {
    fn of(catalog: &Catalog, table: &Table) -> Sample {
        let (from, pages) = if table.kind == 'p' {
            let name = table.profile_name();
            let pages = catalog
                .tables
                .values()
                .filter(|part| part.partition_root.as_deref() == Some(name.as_str()))
                .map(|part| part.pages)
                .sum();
            (table.quoted(), pages)
        } else {
            (format!("ONLY {}", table.quoted()), table.pages)
        };
        let percent = if pages <= SAMPLE_PAGES {
            100.0
        } else {
            (SAMPLE_PAGES as f64 * 100.0 / pages as f64).max(0.0001)
        };
        Sample { from, percent }
    }

    /// Up to SAMPLE_ROWS non-null values of `column` as text (their first
    /// [`SAMPLED_CHARACTERS`]), spread over the sampled blocks and the same from one run to
    /// the next (`REPEATABLE`, ordered by a hash of the value).
    fn sql(&self, column: &str) -> String {
        format!(
            "SELECT left(v, {SAMPLED_CHARACTERS}) FROM (SELECT {column}::text AS v FROM {from} \
             TABLESAMPLE SYSTEM ({percent}) REPEATABLE (0) WHERE {column} IS NOT NULL) sampled \
             ORDER BY md5(v), v LIMIT {SAMPLE_ROWS}",
            column = quote(column),
            from = self.from,
            percent = self.percent
        )
    }
}

/// How much of each sampled value detection reads: what a value holds shows in its start,
/// and a column of documents must not cost their size.
pub const SAMPLED_CHARACTERS: usize = 8192;

/// What a sample of the column's values shows.
async fn content_reasons(
    connection: &mut PgConnection,
    sample: &Sample,
    column: &Column,
) -> Result<Vec<String>, sqlx::Error> {
    let values: Vec<String> = sqlx::query_scalar(&sample.sql(&column.name))
        .fetch_all(connection)
        .await?;
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let share = |test: &dyn Fn(&str) -> bool| {
        values.iter().filter(|value| test(value)).count() * 100 / values.len()
    };
    let mut reasons = Vec::new();
    let emails = share(&|value| EMAIL.is_match(value));
    if emails > 0 {
        reasons.push(format!(
            "{emails}% of {} sampled values hold e-mail addresses",
            values.len()
        ));
    }
    let cards = share(&|value| {
        CARD.find_iter(value)
            .any(|m| crate::luhn::is_valid(&m.as_str().replace([' ', '-'], "")))
    });
    if cards > 0 {
        reasons.push(format!("{cards}% of sampled values hold card numbers"));
    }
    if column.category == TypeCategory::Text {
        let phones = share(&|value| PHONE.is_match(value.trim()));
        let phones_inside = share(&|value| PHONE_IN_TEXT.is_match(value));
        if phones >= 50 {
            reasons.push(format!(
                "{phones}% of sampled values look like phone numbers"
            ));
        } else if phones_inside >= 10 {
            reasons.push(format!(
                "{phones_inside}% of sampled values contain phone numbers"
            ));
        }
        let ips = share(&|value| IPV4.is_match(value));
        if ips >= 50 {
            reasons.push(format!("{ips}% of sampled values look like IP addresses"));
        }
    }
    Ok(reasons)
}
