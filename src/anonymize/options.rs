//! The options of one rule, checked against what its transformer accepts.

use toml::Table;

use super::{OptionKind, OptionSpec};

/// Options every rule takes, whatever its transformer.
pub const COMMON_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "transform",
        kind: OptionKind::String,
        summary: "the transformer's name",
    },
    OptionSpec {
        name: "keep_null",
        kind: OptionKind::Boolean,
        summary: "NULL stays NULL (default true)",
    },
    OptionSpec {
        name: "scope",
        kind: OptionKind::String,
        summary: "equal inputs in one scope give equal outputs (default: the transformer's name)",
    },
    OptionSpec {
        name: "by",
        kind: OptionKind::String,
        summary: "a column of the row that keys the rule's random draws (a date shift, a fake) instead of the value: every row of one customer moves alike",
    },
];

/// A rule's options, validated against its transformer's specs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    table: Table,
}

impl Options {
    /// Checks names and kinds; `specs` are the transformer's own options.
    pub fn new(table: Table, specs: &[OptionSpec]) -> Result<Options, String> {
        for (name, value) in &table {
            let spec = specs
                .iter()
                .chain(COMMON_OPTIONS)
                .find(|spec| spec.name == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = specs
                        .iter()
                        .chain(COMMON_OPTIONS)
                        .map(|spec| spec.name)
                        .collect();
                    format!("unknown option '{name}'; options: {}", known.join(", "))
                })?;
            let fits = match spec.kind {
                OptionKind::String => value.is_str(),
                OptionKind::Integer => value.is_integer(),
                OptionKind::Float => value.is_float() || value.is_integer(),
                OptionKind::Boolean => value.is_bool(),
                OptionKind::Table => value.is_table(),
                OptionKind::Rule => value.is_str() || value.is_table(),
            };
            if !fits {
                return Err(format!(
                    "option '{name}' must be {:?}, not {}",
                    spec.kind,
                    value.type_str()
                )
                .to_lowercase());
            }
        }
        Ok(Options { table })
    }

    /// A string option.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.table.get(name).and_then(|value| value.as_str())
    }

    /// A required string option.
    pub fn required_string(&self, name: &str) -> Result<&str, String> {
        self.string(name)
            .ok_or_else(|| format!("option '{name}' is required"))
    }

    /// An integer option.
    pub fn integer(&self, name: &str) -> Option<i64> {
        self.table.get(name).and_then(|value| value.as_integer())
    }

    /// A number option (integers allowed).
    pub fn float(&self, name: &str) -> Option<f64> {
        self.table.get(name).and_then(|value| {
            value
                .as_float()
                .or_else(|| value.as_integer().map(|i| i as f64))
        })
    }

    /// A boolean option.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.table.get(name).and_then(|value| value.as_bool())
    }

    /// A rule option: a transformer name or an inline rule table.
    pub fn rule(&self, name: &str) -> Option<&toml::Value> {
        self.table.get(name)
    }

    /// A table option.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.table.get(name).and_then(|value| value.as_table())
    }
}
