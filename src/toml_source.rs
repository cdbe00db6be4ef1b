//! TOML files that users edit (configuration, seeds): parse errors that say where.

use serde::de::DeserializeOwned;

/// Parses `text`; an error reads `line L, column C in [section]: what is wrong`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|error| {
        let location = error
            .span()
            .map(|span| {
                let (line, column) = line_column(text, span.start);
                let section = enclosing_section(text, span.start)
                    .map(|name| format!(" in [{name}]"))
                    .unwrap_or_default();
                format!("line {line}, column {column}{section}: ")
            })
            .unwrap_or_default();
        format!("{location}{}", error.message())
    })
}

/// `line L: key: reason`, for a value that parsed but is not acceptable.
pub fn located(text: &str, offset: usize, key: &str, reason: &str) -> String {
    let (line, _) = line_column(text, offset);
    format!("line {line}: {key}: {reason}")
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    line_column(text, offset).0
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// The `[table]` or `[[array]]` header above a byte offset, to say where a key stands.
fn enclosing_section(text: &str, offset: usize) -> Option<String> {
    text[..offset.min(text.len())]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('[') && line.ends_with(']'))
        .map(|header| {
            header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned()
        })
}
