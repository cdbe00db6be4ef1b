//! The compiled rule of one column: a transformer instance with its options, ready to apply.

use toml::Value;

use super::{BuildContext, Keyer, Options, TransformError, Transformer, ValueContext};
use crate::catalog::Column;

/// One column's rule, ready to apply.
#[derive(Debug)]
pub struct CompiledRule {
    pub transform: &'static str,
    /// `keep`: the column passes through untouched.
    pub is_keep: bool,
    /// See [`Definition::rewrites_parts`](super::Definition::rewrites_parts).
    pub rewrites_parts: bool,
    transformer: Box<dyn Transformer>,
    keep_null: bool,
    scope: String,
    max_length: Option<usize>,
    /// Append a keyed tag so a transformer that may repeat itself cannot break a unique index.
    unique_tag: bool,
    /// The position of the `by` column that keys the draws, if any.
    by: Option<usize>,
}

impl CompiledRule {
    /// Builds the rule written as `rule` (a transformer name, or a table with `transform`
    /// and options) for `context.column`. The error says what to fix.
    pub fn build(rule: &Value, context: &BuildContext<'_>) -> Result<CompiledRule, String> {
        let table = match rule {
            Value::String(name) => {
                let mut table = toml::Table::new();
                table.insert("transform".into(), Value::String(name.clone()));
                table
            }
            Value::Table(table) => table.clone(),
            other => {
                return Err(format!(
                    "a rule is a transformer name or a table, not a {}",
                    other.type_str()
                ));
            }
        };
        // `{ each = … }` needs no `transform`: the option names it …
        let mut table = table;
        // … and `{ fields = … }` neither.
        for implied in ["each", "fields"] {
            if !table.contains_key("transform") && table.contains_key(implied) {
                table.insert("transform".into(), Value::String(implied.into()));
            }
        }
        let name = table
            .get("transform")
            .and_then(Value::as_str)
            .ok_or("the rule has no `transform`")?
            .to_owned();
        let definition = context
            .registry
            .find(&name)
            .ok_or_else(|| unknown_transformer(&name, context.registry))?;
        let column = context.column;
        if !definition.accepts.is_empty() && !definition.accepts.contains(&column.category) {
            return Err(format!(
                "transformer '{name}' cannot write a {} column; it writes {}",
                column.type_name,
                definition
                    .accepts
                    .iter()
                    .map(|c| format!("{c:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let options = Options::new(table, definition.options)?;
        let transformer = (definition.build)(definition.name, &options, context)?;
        let keep_null = options.boolean("keep_null").unwrap_or(true);
        let by = options
            .string("by")
            .map(|by| {
                context
                    .column_position(by)
                    .map_err(|reason| format!("option 'by': {reason}"))
            })
            .transpose()?;
        if name == "null" && column.not_null {
            return Err(format!(
                "column is NOT NULL, so '{name}' cannot apply; use constant or a fake"
            ));
        }
        Ok(CompiledRule {
            transform: definition.name,
            is_keep: definition.name == "keep",
            rewrites_parts: definition.rewrites_parts,
            transformer,
            keep_null,
            scope: options
                .string("scope")
                .unwrap_or(definition.name)
                .to_owned(),
            max_length: column.max_length,
            unique_tag: column.unique && !definition.unique_safe,
            by,
        })
    }

    /// A rule around a transformer made of other rules (a list with conditions), which apply
    /// their own options: NULL stays NULL, nothing is cut or tagged on top.
    pub fn wrapping(
        transform: &'static str,
        transformer: Box<dyn Transformer>,
        rewrites_parts: bool,
    ) -> CompiledRule {
        CompiledRule {
            transform,
            is_keep: false,
            rewrites_parts,
            transformer,
            keep_null: true,
            scope: String::new(),
            max_length: None,
            unique_tag: false,
            by: None,
        }
    }

    /// What applied to `row`: the transformer's name, and for rules with conditions which
    /// one and why (`preview`).
    pub fn applied(&self, row: &[Option<String>]) -> String {
        self.transformer
            .applied(row)
            .unwrap_or_else(|| self.transform.to_owned())
    }

    /// Whether it keeps the value of `row` on purpose (see [`Transformer::keeps`]).
    pub fn keeps(&self, row: &[Option<String>]) -> bool {
        self.transformer.keeps(row)
    }

    /// See [`Transformer::kept_when`].
    pub fn kept_when(&self) -> Option<String> {
        self.transformer.kept_when()
    }

    /// Builds a rule that lives inside another — a JSON path's, an array element's, a
    /// composite field's — for `column`, with the outer rule's table, cards and registry.
    pub fn build_within(
        rule: &Value,
        column: &Column,
        outer: &BuildContext<'_>,
    ) -> Result<CompiledRule, String> {
        let context = BuildContext {
            column,
            table_columns: outer.table_columns,
            test_cards: outer.test_cards,
            registry: outer.registry,
        };
        CompiledRule::build(rule, &context)
    }

    /// The new value of one cell; `None` is NULL.
    pub fn apply(
        &self,
        value: Option<&str>,
        keyer: &Keyer,
        row: &[Option<String>],
    ) -> Result<Option<String>, TransformError> {
        let input = match value {
            None if self.keep_null => return Ok(None),
            None => "",
            Some(value) => value,
        };
        let key = self
            .by
            .and_then(|by| row.get(by))
            .and_then(Option::as_deref);
        let context = ValueContext {
            keyer,
            scope: &self.scope,
            row,
            key,
        };
        let Some(mut output) = self.transformer.transform(input, &context)? else {
            return Ok(None);
        };
        if self.unique_tag {
            output.push('-');
            output.push_str(&keyer.tag(&self.scope, input.as_bytes(), 13));
        }
        if let Some(max) = self.max_length {
            fit_length(&mut output, max);
        }
        Ok(Some(output))
    }

    /// Column positions this rule reads besides its own (templates, `by`, conditions).
    pub fn reads(&self) -> Vec<usize> {
        let mut reads = self.transformer.reads();
        reads.extend(self.by);
        reads
    }
}

/// "unknown transformer": with the closest names when some are a few letters away
/// (`citty` → `city`, `nmae` → `name`: a swap counts as one), else every name.
fn unknown_transformer(name: &str, registry: &super::Registry) -> String {
    let mut close: Vec<(usize, &str)> = registry
        .definitions()
        .map(|definition| (strsim::osa_distance(name, definition.name), definition.name))
        .filter(|(distance, known)| *distance <= 2.max(known.len() / 4))
        .collect();
    close.sort();
    let closest = close.first().map_or(0, |(distance, _)| *distance);
    close.retain(|(distance, _)| *distance == closest);
    match close.as_slice() {
        [] => format!(
            "unknown transformer '{name}'; transformers: {}",
            registry.names()
        ),
        close => {
            let names: Vec<String> = close
                .iter()
                .take(3)
                .map(|(_, n)| format!("'{n}'"))
                .collect();
            format!(
                "unknown transformer '{name}'; did you mean {}? (`restage anonymizers list` \
                 shows them all)",
                names.join(" or ")
            )
        }
    }
}

/// Cuts to at most `max` characters, keeping a keyed tag or e-mail domain at the end.
fn fit_length(value: &mut String, max: usize) {
    let length = value.chars().count();
    if length <= max {
        return;
    }
    let keep_tail = value
        .rfind(['@', '-'])
        .map_or(0, |at| value[at..].chars().count())
        .min(max / 2);
    let head: String = value.chars().take(max - keep_tail).collect();
    let tail: String = value.chars().skip(length - keep_tail).collect();
    *value = head + &tail;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_length_keeps_the_domain() {
        let mut email = "averyveryverylongname@example.com".to_owned();
        fit_length(&mut email, 24);
        assert_eq!(email.chars().count(), 24);
        assert!(email.ends_with("@example.com"), "{email}");
    }
}
