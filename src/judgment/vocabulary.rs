//! The vocabulary of personal data (`vocabulary.toml`, read by people as much as by code):
//! the concepts a column name can mean, their look-alikes, and the words names are made of.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Deserialize;

use super::Kind;
use super::words::{singular, words_of};
use crate::catalog::TypeCategory;

/// Where a concept's name means it (see `vocabulary.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Where {
    Anywhere,
    People,
    Place,
    Location,
    Phone,
}

/// The column types a concept can have, as the vocabulary names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TypeName {
    Text,
    Integer,
    Decimal,
    Date,
    Timestamp,
    Bytea,
    Inet,
    Json,
}

impl TypeName {
    fn matches(self, category: TypeCategory) -> bool {
        matches!(
            (self, category),
            (TypeName::Text, TypeCategory::Text)
                | (TypeName::Integer, TypeCategory::Integer)
                | (TypeName::Decimal, TypeCategory::Decimal)
                | (TypeName::Date, TypeCategory::Date)
                | (TypeName::Timestamp, TypeCategory::Timestamp)
                | (TypeName::Bytea, TypeCategory::Bytea)
                | (TypeName::Inet, TypeCategory::Inet)
                | (TypeName::Json, TypeCategory::Json)
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConcept {
    kind: Kind,
    phrases: Vec<String>,
    types: Vec<TypeName>,
    #[serde(rename = "where")]
    place: Where,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLookAlikes {
    phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTables {
    people: Vec<String>,
    transactions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWords {
    other: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocabulary {
    tables: RawTables,
    concept: Vec<RawConcept>,
    names: RawNames,
    not_personal: Vec<RawLookAlikes>,
    words: RawWords,
}

/// A phrase of the vocabulary, as words, and what it means.
#[derive(Debug)]
pub struct Phrase {
    pub words: Vec<String>,
    /// The concept it names; `None` for a look-alike.
    pub meaning: Option<Meaning>,
}

/// A concept a phrase names.
#[derive(Debug, Clone)]
pub struct Meaning {
    pub kind: Kind,
    types: Vec<TypeName>,
    pub place: Where,
}

impl Meaning {
    /// Whether a column of `category` can hold this concept.
    pub fn fits(&self, category: TypeCategory) -> bool {
        self.types.iter().any(|name| name.matches(category))
    }
}

/// The vocabulary, ready to match names against.
#[derive(Debug)]
pub struct Vocabulary {
    /// Every phrase, longest first.
    pub phrases: Vec<Phrase>,
    pub people_tables: HashSet<String>,
    pub transaction_tables: HashSet<String>,
    pub roles: HashSet<String>,
    /// Every word known, so that run-together names can be split.
    pub lexicon: HashSet<String>,
}

/// The vocabulary of this build.
pub static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
    let raw: RawVocabulary =
        toml::from_str(include_str!("vocabulary.toml")).expect("vocabulary.toml is valid");
    Vocabulary::new(raw)
});

impl Vocabulary {
    fn new(raw: RawVocabulary) -> Vocabulary {
        let words = |list: &[String]| -> HashSet<String> {
            list.iter()
                .map(|word| singular(&word.to_lowercase()))
                .collect()
        };
        let mut lexicon = words(&raw.words.other);
        let mut add_words = |phrase: &str| {
            for word in phrase.split(' ') {
                lexicon.insert(singular(word));
            }
        };
        raw.concept
            .iter()
            .flat_map(|concept| &concept.phrases)
            .chain(raw.not_personal.iter().flat_map(|group| &group.phrases))
            .chain(&raw.names.roles)
            .chain(&raw.tables.people)
            .chain(&raw.tables.transactions)
            .for_each(|phrase| add_words(phrase));
        let as_words = |phrase: &str| -> Vec<String> { phrase.split(' ').map(singular).collect() };
        let mut phrases: Vec<Phrase> = raw
            .not_personal
            .iter()
            .flat_map(|group| &group.phrases)
            .map(|phrase| Phrase {
                words: as_words(phrase),
                meaning: None,
            })
            .collect();
        for concept in &raw.concept {
            for phrase in &concept.phrases {
                phrases.push(Phrase {
                    words: as_words(phrase),
                    meaning: Some(Meaning {
                        kind: concept.kind,
                        types: concept.types.clone(),
                        place: concept.place,
                    }),
                });
            }
        }
        // Longest first; among equals, look-alikes first (they are listed to outweigh).
        phrases.sort_by_key(|phrase| std::cmp::Reverse(phrase.words.len()));
        Vocabulary {
            phrases,
            people_tables: words(&raw.tables.people),
            transaction_tables: words(&raw.tables.transactions),
            roles: words(&raw.names.roles),
            lexicon,
        }
    }

    /// The words of a table or column name, as this vocabulary splits them.
    pub fn words(&self, name: &str) -> Vec<String> {
        words_of(name, &self.lexicon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_loads_and_every_phrase_is_in_its_lexicon() {
        let vocabulary = &*VOCABULARY;
        assert!(vocabulary.phrases.len() > 200);
        for phrase in &vocabulary.phrases {
            for word in &phrase.words {
                assert!(vocabulary.lexicon.contains(word), "{word}");
            }
        }
    }
}
