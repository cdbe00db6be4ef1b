//! The words a word column (a status, a kind, a code) takes: an enum's labels, the values
//! of a CHECK that lists them (`state IN ('in_stock', 'retired')`), or the codes of the
//! lookup table its foreign key points at. Seed words are checked against them before
//! anything is written, so that a word the column would refuse is reported with the words it
//! takes rather than as a constraint violation halfway through a seeding.

use std::sync::LazyLock;

use regex::Regex;
use sqlx::postgres::PgConnection;

use crate::catalog::{self, Catalog};

/// A lookup table with more codes than this is not read as a set of words.
const MAX_LOOKUP_CODES: i64 = 1000;

/// The words a column takes, and what says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub words: Vec<String>,
    /// `its CHECK`, `its enum type site_kind`, `its foreign key to Shop.state(code)`, joined.
    pub by: String,
}

impl Allowed {
    /// Whether the column takes `word`.
    pub fn takes(&self, word: &str) -> bool {
        self.words.iter().any(|allowed| allowed == word)
    }

    /// Keeps the words `other` allows too (a column under several constraints).
    fn narrow(self, other: Allowed) -> Allowed {
        Allowed {
            words: self
                .words
                .into_iter()
                .filter(|word| other.takes(word))
                .collect(),
            by: format!("{} and {}", self.by, other.by),
        }
    }
}

/// The words column `column` of table `table` (its catalog name) takes, when its type,
/// CHECKs or foreign key limit it to a set; `None` when any text fits.
pub async fn allowed(
    connection: &mut PgConnection,
    catalog: &Catalog,
    table: &str,
    column: &str,
) -> Result<Option<Allowed>, sqlx::Error> {
    let Some(found) = catalog.tables.get(table) else {
        return Ok(None);
    };
    let (type_name, labels, checks): (String, Vec<String>, Vec<String>) = sqlx::query_as(
        "SELECT format_type(t.oid, NULL),
                ARRAY(SELECT e.enumlabel::text FROM pg_enum e
                      WHERE e.enumtypid = coalesce(nullif(t.typbasetype, 0), t.oid)
                      ORDER BY e.enumsortorder),
                ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
                      WHERE c.conrelid = a.attrelid AND c.contype = 'c'
                        AND c.conkey = ARRAY[a.attnum] ORDER BY c.conname)
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = $1::regclass AND a.attname = $2",
    )
    .bind(found.quoted())
    .bind(column)
    .fetch_one(&mut *connection)
    .await?;
    let domain_checks = found
        .column(column)
        .map(|column| column.domain_checks.clone())
        .unwrap_or_default();
    let mut sets = Vec::new();
    if !labels.is_empty() {
        sets.push(Allowed {
            words: labels,
            by: format!("its enum type {type_name}"),
        });
    }
    for check in checks.iter().chain(&domain_checks) {
        if let Some(words) = check_words(check, column) {
            sets.push(Allowed {
                words,
                by: "its CHECK".to_owned(),
            });
        }
    }
    if let Some(lookup) = lookup_codes(connection, catalog, table, column).await? {
        sets.push(lookup);
    }
    Ok(sets.into_iter().reduce(Allowed::narrow))
}

/// The codes of the lookup table the single-column foreign key of `table.column` points at.
async fn lookup_codes(
    connection: &mut PgConnection,
    catalog: &Catalog,
    table: &str,
    column: &str,
) -> Result<Option<Allowed>, sqlx::Error> {
    let Some(key) = catalog
        .foreign_keys
        .iter()
        .find(|key| key.table == table && key.columns == [column])
    else {
        return Ok(None);
    };
    let Some(lookup) = catalog.tables.get(&key.referenced) else {
        return Ok(None);
    };
    let code = &key.referenced_columns[0];
    let codes: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT {code}::text FROM {} WHERE {code} IS NOT NULL ORDER BY 1 LIMIT $1",
        lookup.quoted(),
        code = catalog::quote(code),
    ))
    .bind(MAX_LOOKUP_CODES + 1)
    .fetch_all(connection)
    .await?;
    Ok((codes.len() as i64 <= MAX_LOOKUP_CODES).then(|| Allowed {
        words: codes,
        by: format!("its foreign key to {}({code})", key.referenced),
    }))
}

static LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"'((?:[^']|'')*)'").expect("a valid pattern"));
static CAST: LazyLock<Regex> = LazyLock::new(|| {
    let part = r#"(?:"[^"]*"|[A-Za-z_][A-Za-z0-9_]*)"#;
    Regex::new(&format!(
        r"::\s*(?:character varying|character|{part}(?:\.{part})?)(?:\[\])?"
    ))
    .expect("a valid pattern")
});
static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""(?:[^"]|"")*"|\w+|\S"#).expect("a valid pattern"));

/// The words a CHECK definition allows, when it only compares `column` (or a domain's
/// `VALUE`) with a list of literals (`IN (…)`, `= ANY (ARRAY[…])`, `= … OR = …`).
pub fn check_words(definition: &str, column: &str) -> Option<Vec<String>> {
    let words: Vec<String> = LITERAL
        .captures_iter(definition)
        .map(|literal| literal[1].replace("''", "'"))
        .collect();
    let rest = LITERAL.replace_all(definition, " L ");
    let rest = CAST.replace_all(&rest, " ");
    let quoted_column = catalog::quote(column);
    let only_a_list = TOKEN.find_iter(&rest).all(|token| {
        let token = token.as_str();
        token == column
            || token == quoted_column
            || [
                "CHECK", "ANY", "ARRAY", "OR", "VALUE", "L", "(", ")", "[", "]", ",", "=",
            ]
            .contains(&token)
    });
    (only_a_list && !words.is_empty()).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::check_words;

    #[test]
    fn a_check_that_lists_values_gives_them_in_every_spelling_postgresql_writes() {
        let words = |list: &[&str]| Some(list.iter().map(|word| word.to_string()).collect());
        let cases = [
            (
                "CHECK ((state = ANY (ARRAY['in_stock'::text, 'in_transit'::text])))",
                "state",
                words(&["in_stock", "in_transit"]),
            ),
            (
                "CHECK (((state)::text = ANY ((ARRAY['a'::character varying, 'b''s'::character varying])::text[])))",
                "state",
                words(&["a", "b's"]),
            ),
            (
                "CHECK (((\"Kind\" = 'x'::text) OR (\"Kind\" = 'y'::text)))",
                "Kind",
                words(&["x", "y"]),
            ),
            (
                "CHECK ((VALUE = ANY (ARRAY['new'::\"Shop\".code, 'old'::\"Shop\".code])))",
                "state",
                words(&["new", "old"]),
            ),
            (
                "CHECK ((state = 'only'::bpchar))",
                "state",
                words(&["only"]),
            ),
        ];
        for (definition, column, expected) in cases {
            assert_eq!(check_words(definition, column), expected, "{definition}");
        }
    }

    #[test]
    fn a_check_that_does_anything_else_gives_no_list() {
        for definition in [
            "CHECK ((currency ~ '^[A-Z]{3}$'::text))",
            "CHECK ((state <> 'gone'::text))",
            "CHECK ((length(state) < 20))",
            "CHECK (((state = 'a'::text) AND (other = 'b'::text)))",
            "CHECK ((state = ANY (ARRAY['a'::text, other])))",
            "CHECK ((state IS NOT NULL))",
        ] {
            assert_eq!(check_words(definition, "state"), None, "{definition}");
        }
    }
}
