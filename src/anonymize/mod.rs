//! Anonymization: transformers (one column value in, one out), the registry that names them,
//! and profiles that say which transformer applies to which table.column.
//!
//! A transformer *definition* (name, summary, options, the column types it accepts, a
//! constructor) is separate from the *instance* built for one column with its options.

pub mod keyed;
pub mod options;
pub mod profile;
pub mod registry;
pub mod transformers;

use std::fmt::Debug;

pub use keyed::Keyer;
pub use options::Options;

use crate::catalog::{Column, TypeCategory};

/// Everything a transformer sees besides the value itself.
pub struct ValueContext<'a> {
    pub keyer: &'a Keyer,
    /// The rule's scope: equal inputs in the same scope give equal outputs, in any table.
    pub scope: &'a str,
    /// The source row's decoded values by column position (only columns some rule reads).
    pub row: &'a [Option<String>],
}

/// Turns one non-NULL column value (PostgreSQL text form) into another; `None` is NULL.
pub trait Transformer: Send + Sync + Debug {
    /// The new value, or why the value could not be transformed.
    fn transform(&self, value: &str, context: &ValueContext<'_>) -> Result<Option<String>, String>;

    /// Positions of other columns of the row it reads (templates); the pipeline decodes them.
    fn reads(&self) -> Vec<usize> {
        Vec::new()
    }
}

/// What a transformer is built for: the column, its table's columns (for templates) and the
/// staging test cards (for `card`).
pub struct BuildContext<'a> {
    pub column: &'a Column,
    pub table_columns: &'a [Column],
    pub test_cards: &'a [String],
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
    /// Builds an instance; gets the definition's name, so one builder can serve a family.
    pub build: Builder,
}

/// Helpers for the transformers' unit tests.
#[cfg(test)]
pub mod testing {
    use super::registry::CompiledRule;
    use super::{BuildContext, Keyer};
    use crate::catalog::{Column, TypeCategory};

    /// A column of `type_name`.
    pub fn column(name: &str, type_name: &str, category: TypeCategory) -> Column {
        Column {
            type_name: type_name.to_owned(),
            category,
            ..Column::text(name)
        }
    }

    /// Builds `rule` (TOML) for `target` among columns `id` and `target`, applies it to `value`
    /// with a fixed key, in a row holding `row`.
    pub fn apply_to(
        rule: &str,
        target: &Column,
        value: Option<&str>,
        row: &[Option<&str>],
    ) -> Result<Option<String>, String> {
        let rule: toml::Value = toml::from_str::<toml::Table>(&format!("rule = {rule}"))
            .expect("rule parses")["rule"]
            .clone();
        let columns = [
            column("id", "integer", TypeCategory::Integer),
            target.clone(),
        ];
        let cards = ["4242424242424242".to_owned(), "4000000000000002".to_owned()];
        let context = BuildContext {
            column: target,
            table_columns: &columns,
            test_cards: &cards,
        };
        let compiled = CompiledRule::build(&rule, &context)?;
        let row: Vec<Option<String>> = row.iter().map(|v| v.map(str::to_owned)).collect();
        compiled.apply(value, &Keyer::from_secret("test key"), &row)
    }

    /// `apply_to` on a text column, panicking on errors.
    pub fn apply(rule: &str, value: Option<&str>) -> Option<String> {
        apply_to(
            rule,
            &column("value", "text", TypeCategory::Text),
            value,
            &[],
        )
        .expect("rule applies")
    }

    /// `apply` in a row of (id, value).
    pub fn apply_in_row(rule: &str, row: &[Option<&str>]) -> Option<String> {
        apply_to(
            rule,
            &column("value", "text", TypeCategory::Text),
            row[1],
            row,
        )
        .expect("rule applies")
    }
}
