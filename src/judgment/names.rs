//! What a column's name says, read as words in its table's context: the phrase of the
//! vocabulary that ends the name decides (`ship_address` is an address, `contact_title` a
//! title), its concept counts where its table makes it mean personal data (`city` in an
//! invoices table, not in a table of cities), and only for the types it can have.

use std::collections::BTreeSet;

use super::Kind;
use super::vocabulary::{Meaning, Phrase, VOCABULARY, Where};
use crate::catalog::{Column, Table};

/// Words that end a name without changing what it holds: `phone_number`, `email_text`.
const QUALIFIERS: &[&str] = &[
    "number",
    "no",
    "nr",
    "num",
    "value",
    "text",
    "string",
    "str",
    "field",
    "info",
    "raw",
    "plain",
    "encrypted",
    "enc",
    "full",
];

/// What a name says about its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// It names personal data of this kind; `why` quotes the words.
    Personal { kind: Kind, why: String },
    /// It names something that is not personal data (a look-alike: `account_number`).
    LookAlike,
    /// It says nothing either way.
    Silent,
}

/// How each column of `table` reads, in order; concepts that depend on their neighbours
/// (`extension` beside a phone, `state` beside an address) are read until nothing changes.
pub fn read_table(table: &Table) -> Vec<Reading> {
    let context = TableContext::of(table);
    let mut readings: Vec<Reading> = vec![Reading::Silent; table.columns.len()];
    loop {
        let beside: BTreeSet<Kind> = readings
            .iter()
            .filter_map(|reading| match reading {
                Reading::Personal { kind, .. } => Some(*kind),
                _ => None,
            })
            .collect();
        let next: Vec<Reading> = table
            .columns
            .iter()
            .map(|column| read_column(&column.name, column, &context, &beside))
            .collect();
        if next == readings {
            return readings;
        }
        readings = next;
    }
}

/// How a column (or a composite's field) called `name` reads in its table.
pub fn read_column(
    name: &str,
    column: &Column,
    context: &TableContext,
    beside: &BTreeSet<Kind>,
) -> Reading {
    let vocabulary = &*VOCABULARY;
    let mut words = vocabulary.words(name);
    while words
        .last()
        .is_some_and(|word| word.chars().all(|c| c.is_ascii_digit()))
    {
        words.pop();
    }
    loop {
        let Some(phrase) = ending_phrase(&words) else {
            match words.last() {
                Some(last) if words.len() > 1 && QUALIFIERS.contains(&last.as_str()) => {
                    words.pop();
                    continue;
                }
                _ => return Reading::Silent,
            }
        };
        let Some(meaning) = &phrase.meaning else {
            return Reading::LookAlike;
        };
        let said = phrase.words.join(" ");
        // `<role> name`: a person's name wherever it is.
        let role = (phrase.words == ["name"] && words.len() > 1)
            .then(|| &words[words.len() - 2])
            .filter(|word| vocabulary.roles.contains(*word));
        if !meaning.fits(column.category) {
            return Reading::Silent;
        }
        if role.is_none() && !context.allows(meaning, beside) {
            // The name says what the column is (a warehouse's postcode), and in this table
            // that is not about a person: it outweighs shapes, as a look-alike does (a ZIP+4
            // code is not a phone number).
            return Reading::LookAlike;
        }
        let why = match role {
            Some(role) => format!("its name says a person's name ('{role} name')"),
            None => format!("its name says {} ('{said}')", meaning.kind.noun()),
        };
        return Reading::Personal {
            kind: meaning.kind,
            why,
        };
    }
}

/// The longest phrase of the vocabulary that `words` end with.
fn ending_phrase(words: &[String]) -> Option<&'static Phrase> {
    VOCABULARY
        .phrases
        .iter()
        .find(|phrase| words.ends_with(&phrase.words))
}

/// What a table is about, by its name.
#[derive(Debug, Clone, Default)]
pub struct TableContext {
    people: bool,
    transactions: bool,
}

impl TableContext {
    /// The context of `table`, from the words of its own name (not its schema's: a schema
    /// `person` holds lists of phone types too).
    pub fn of(table: &Table) -> TableContext {
        let vocabulary = &*VOCABULARY;
        let words = vocabulary.words(&table.name);
        TableContext {
            people: words
                .iter()
                .any(|word| vocabulary.people_tables.contains(word)),
            transactions: words
                .iter()
                .any(|word| vocabulary.transaction_tables.contains(word)),
        }
    }

    /// Whether a concept counts here, with columns of the kinds `beside` in the same table.
    fn allows(&self, meaning: &Meaning, beside: &BTreeSet<Kind>) -> bool {
        let has = |kinds: &[Kind]| kinds.iter().any(|kind| beside.contains(kind));
        match meaning.place {
            Where::Anywhere => true,
            Where::People => self.people,
            Where::Place => {
                self.people
                    || self.transactions
                    || has(&[Kind::Name, Kind::Email, Kind::Phone, Kind::Address])
            }
            Where::Location => has(&[Kind::Address, Kind::City, Kind::Postcode]),
            Where::Phone => has(&[Kind::Phone]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TypeCategory;

    fn table(name: &str, columns: &[(&str, TypeCategory)]) -> Table {
        Table {
            schema: "public".to_owned(),
            name: name.to_owned(),
            kind: 'r',
            partition_root: None,
            estimated_rows: 0,
            size_bytes: 0,
            pages: 0,
            columns: columns
                .iter()
                .map(|(name, category)| {
                    let mut column = Column::text(name);
                    column.category = *category;
                    column
                })
                .collect(),
            primary_key: Vec::new(),
        }
    }

    fn kinds(table: &Table) -> Vec<Option<Kind>> {
        read_table(table)
            .into_iter()
            .map(|reading| match reading {
                Reading::Personal { kind, .. } => Some(kind),
                _ => None,
            })
            .collect()
    }

    use TypeCategory::{Integer, Text, Timestamp};

    #[test]
    fn the_last_words_decide() {
        let orders = table(
            "orders",
            &[
                ("ship_address", Text),
                ("ship_city", Text),
                ("ship_postal_code", Text),
                ("ship_region", Text),
                ("customer_ip_address", Text),
                ("mail_from_address", Text),
                ("account_number", Text),
                ("email_promotion", Integer),
                ("phone_number_type_id", Integer),
                ("reset_password_sent_at", Timestamp),
            ],
        );
        assert_eq!(
            kinds(&orders),
            vec![
                Some(Kind::Address),
                Some(Kind::City),
                Some(Kind::Postcode),
                Some(Kind::Region),
                Some(Kind::Ip),
                Some(Kind::Email),
                None,
                None,
                None,
                None,
            ]
        );
    }

    #[test]
    fn a_city_is_personal_where_the_row_is_about_someone() {
        for (name, columns) in [
            ("invoices", vec![("billing_city", Text)]),
            ("suppliers", vec![("contact_name", Text), ("city", Text)]),
            ("shipments", vec![("city", Text)]),
        ] {
            let table = table(name, &columns);
            assert_eq!(kinds(&table).last(), Some(&Some(Kind::City)), "{name}");
        }
        let cities = table("city", &[("city", Text), ("country_id", Integer)]);
        assert_eq!(kinds(&cities), vec![None, None]);
    }

    #[test]
    fn roles_titles_extensions_and_photos_read_in_context() {
        let contacts = table(
            "vendor_contacts",
            &[
                ("ContactName", Text),
                ("ContactTitle", Text),
                ("Phone", Text),
                ("Fax", Text),
                ("Extension", Text),
            ],
        );
        assert_eq!(
            kinds(&contacts),
            vec![
                Some(Kind::Name),
                None,
                Some(Kind::Phone),
                Some(Kind::Phone),
                Some(Kind::Phone)
            ]
        );
        let files = table("attachments", &[("extension", Text), ("file_name", Text)]);
        assert_eq!(kinds(&files), vec![None, None]);
        let categories = table("categories", &[("picture", TypeCategory::Bytea)]);
        assert_eq!(kinds(&categories), vec![None]);
        let staff = table("staff", &[("picture", TypeCategory::Bytea)]);
        assert_eq!(kinds(&staff), vec![Some(Kind::Photo)]);
        let reviews = table("product_review", &[("reviewer_name", Text), ("name", Text)]);
        assert_eq!(kinds(&reviews), vec![Some(Kind::Name), None]);
    }
}
