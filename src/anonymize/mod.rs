//! Anonymization: transformers (one column value in, one out), the registry that names them,
//! and profiles that say which transformer applies to which table.column.
//!
//! A transformer *definition* (name, summary, options, the column types it accepts, a
//! constructor) is separate from the *instance* built for one column with its options.

pub mod cache;
pub mod conditional;
#[cfg(test)]
mod golden;
pub mod keyed;
pub mod options;
pub mod profile;
pub mod registry;
pub mod rule;
#[cfg(test)]
pub mod testing;
pub mod transformers;

use std::fmt::Debug;

pub use crate::error::TransformError;
pub use cache::OutputCache;
pub use keyed::{Keyer, ValueRng};
pub use options::Options;
pub use registry::REGISTRY;
pub use rule::CompiledRule;

use crate::catalog::{Column, TypeCategory};

/// How many fakes a transformer draws, at most, to find one that differs from its input.
pub const MAX_DRAWS: usize = 64;

/// Whether `fake` gives `value` away: the same text, ignoring case and surrounding space. A
/// fake that equals its input leaks it, so transformers draw again (deterministically, from
/// the same keyed stream) until they differ.
pub fn gives_away(fake: &str, value: &str) -> bool {
    let (fake, value) = (fake.trim(), value.trim());
    if fake.is_ascii() && value.is_ascii() {
        fake.eq_ignore_ascii_case(value)
    } else {
        fake.to_lowercase() == value.to_lowercase()
    }
}

/// Everything a transformer sees besides the value itself.
pub struct ValueContext<'a> {
    pub keyer: &'a Keyer,
    /// The rule's scope: equal inputs in the same scope give equal outputs, in any table.
    pub scope: &'a str,
    /// The source row's decoded values by column position (only columns some rule reads),
    /// then the rule conditions' results (see [`conditional`]).
    pub row: &'a [Option<String>],
    /// The value of the rule's `by` column, when it has one: random draws are keyed by it
    /// instead of the value, so every value of one entity moves alike.
    pub key: Option<&'a str>,
}

impl ValueContext<'_> {
    /// The keyed stream of `value`'s draws: keyed by the `by` column's value when the rule
    /// has one (and it is not NULL), else by `value`.
    pub fn rng(&self, value: &str) -> ValueRng {
        self.keyer
            .rng(self.scope, self.key.unwrap_or(value).as_bytes())
    }
}

/// Turns one non-NULL column value (PostgreSQL text form) into another; `None` is NULL.
pub trait Transformer: Send + Sync + Debug {
    /// The new value, or why the value could not be transformed.
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError>;

    /// Positions of other columns of the row it reads (templates); the pipeline decodes them.
    fn reads(&self) -> Vec<usize> {
        Vec::new()
    }

    /// Which of its rules applied to `row`, for a transformer that chooses one (conditions);
    /// `None` for the others.
    fn applied(&self, _row: &[Option<String>]) -> Option<String> {
        None
    }

    /// Whether it keeps the value of `row` as it is on purpose (a condition chose `keep`):
    /// such a value is public, as a `public` column's are.
    fn keeps(&self, _row: &[Option<String>]) -> bool {
        false
    }

    /// The SQL boolean over the source row that says when it keeps a value on purpose, for
    /// reads of the source outside a copy (verification); `None` when it never does.
    fn kept_when(&self) -> Option<String> {
        None
    }
}

/// What a transformer is built for: the column, its table's columns (for templates), the
/// staging test cards (for `card`) and the registry its rule names transformers from (rules
/// inside rules, as json paths have, are built from the same one).
pub struct BuildContext<'a> {
    pub column: &'a Column,
    pub table_columns: &'a [Column],
    pub test_cards: &'a [String],
    pub registry: &'a Registry,
}

impl BuildContext<'_> {
    /// The position of the column called `name` in the rule's table; the error lists the
    /// table's columns.
    pub fn column_position(&self, name: &str) -> Result<usize, String> {
        self.table_columns
            .iter()
            .position(|column| column.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self
                    .table_columns
                    .iter()
                    .map(|column| column.name.as_str())
                    .collect();
                format!(
                    "no column '{name}' in the table; columns: {}",
                    names.join(", ")
                )
            })
    }
}

/// How an option is written in a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Integer,
    Float,
    Boolean,
    /// A table (json `paths`).
    Table,
    /// A rule: a transformer name or an inline rule table (`each`).
    Rule,
}

/// One option a transformer takes.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    pub name: &'static str,
    pub kind: OptionKind,
    pub summary: &'static str,
}

/// Makes a transformer instance from a definition's name, a rule's options and the column.
pub type Builder = fn(&str, &Options, &BuildContext<'_>) -> Result<Box<dyn Transformer>, String>;

/// A transformer as the registry knows it.
pub struct Definition {
    pub name: &'static str,
    pub summary: &'static str,
    pub options: &'static [OptionSpec],
    /// Column categories it can write; empty = any.
    pub accepts: &'static [TypeCategory],
    /// Whether its outputs are distinct for distinct inputs (else unique columns get a tag).
    pub unique_safe: bool,
    /// A rule that uses it, as a profile writes it (`restage anonymizers list`).
    pub example: &'static str,
    /// It rewrites parts of a value (JSON paths, array elements, composite fields, tokens in
    /// text) and gives a value without such a part back unchanged, by design.
    pub rewrites_parts: bool,
    /// Builds an instance; gets the definition's name, so one builder can serve a family.
    pub build: Builder,
}

/// Transformers by name. The one instance, [`REGISTRY`], lists every family; a
/// [`BuildContext`] hands it down so that a transformer can build rules of its own.
pub struct Registry {
    families: &'static [&'static [Definition]],
}

impl Registry {
    /// A registry of these families of definitions, listed in this order.
    pub const fn new(families: &'static [&'static [Definition]]) -> Registry {
        Registry { families }
    }

    /// All transformers, in the order `restage anonymizers list` shows them.
    pub fn definitions(&self) -> impl Iterator<Item = &'static Definition> + use<> {
        self.families.iter().flat_map(|family| family.iter())
    }

    /// The transformer called `name`.
    pub fn find(&self, name: &str) -> Option<&'static Definition> {
        self.definitions()
            .find(|definition| definition.name == name)
    }

    /// The names of all transformers, for error messages.
    pub fn names(&self) -> String {
        self.definitions()
            .map(|definition| definition.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
