//! Helpers for the transformers' unit tests.

use super::{BuildContext, CompiledRule, Keyer, REGISTRY};
use crate::catalog::{Column, TypeCategory};

/// A column of `type_name`.
pub fn column(name: &str, type_name: &str, category: TypeCategory) -> Column {
    Column {
        type_name: type_name.to_owned(),
        category,
        ..Column::text(name)
    }
}

/// Builds `rule` (TOML) for `target` among columns `id`, `target` and `bill_to` (an address
/// with the rule `street_address`, which `same_as` rules repeat).
pub fn compile(rule: &str, target: &Column) -> Result<CompiledRule, String> {
    let mut rule: toml::Value = toml::from_str::<toml::Table>(&format!("rule = {rule}"))
        .expect("rule parses")["rule"]
        .clone();
    if let Some(table) = rule
        .as_table_mut()
        .filter(|table| table.contains_key("column"))
    {
        table
            .entry("rule")
            .or_insert_with(|| toml::Value::String("street_address".to_owned()));
    }
    let columns = [
        column("id", "integer", TypeCategory::Integer),
        target.clone(),
        column("bill_to", "text", TypeCategory::Text),
    ];
    let cards = ["4242424242424242".to_owned(), "4000000000000002".to_owned()];
    let context = BuildContext {
        column: target,
        table_columns: &columns,
        test_cards: &cards,
        registry: &REGISTRY,
    };
    CompiledRule::build(&rule, &context)
}

/// A definition's example rule (as written after `column = `) and a column it applies to:
/// of the first category it writes, with the fields of a postal address (which the
/// composite example names).
pub fn example_of(definition: &super::Definition) -> (&'static str, Column) {
    let (_, rule) = definition
        .example
        .split_once(" = ")
        .unwrap_or_else(|| panic!("{}: `column = rule`", definition.name));
    let category = definition
        .accepts
        .first()
        .copied()
        .unwrap_or(TypeCategory::Text);
    let mut target = column("value", "text", category);
    target.fields = ["street", "city", "zip", "country"]
        .iter()
        .map(|name| column(name, "text", TypeCategory::Text))
        .collect();
    (rule, target)
}

/// The key every unit test anonymizes with.
pub fn test_keyer() -> Keyer {
    Keyer::from_secret("test key")
}

/// Builds `rule` (TOML) for `target` among columns `id` and `target`, applies it to `value`
/// with a fixed key, in a row holding `row`.
pub fn apply_to(
    rule: &str,
    target: &Column,
    value: Option<&str>,
    row: &[Option<&str>],
) -> Result<Option<String>, String> {
    let compiled = compile(rule, target)?;
    let row: Vec<Option<String>> = row.iter().map(|v| v.map(str::to_owned)).collect();
    compiled
        .apply(value, &test_keyer(), &row)
        .map_err(|error| error.to_string())
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
