//! TOML files that users edit (configuration, seeds): parse errors that say where.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, Deserializer};

/// Parses `text`; an error reads `line L, column C in [section]: what is wrong`. Every
/// problem serde finds is reported, in line order, not only the first (see [`parse_all`]).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Vec<String>> {
    match parse_all(text) {
        (Some(value), problems) if problems.is_empty() => Ok(value),
        (_, problems) => Err(problems),
    }
}

/// Parses `text`, collecting every problem: an entry that does not deserialize (an unknown
/// key, a value of the wrong type) is noted and left out, and the rest is parsed again. Gives
/// what parsed without those entries (`None` on a syntax error), and the problems in line
/// order, so that callers can check the values that did parse and report everything at once.
pub fn parse_all<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<String>) {
    let mut root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => return (None, vec![describe(text, &error)]),
    };
    let mut problems = Vec::new();
    let mut removed_keys = Vec::new();
    // Each round removes one entry, so the rounds end; the bound is for safety only.
    for _ in 0..=text.len() {
        match T::deserialize(Deserializer::from(root.clone())) {
            Ok(value) => {
                sort_by_line(&mut problems);
                return (Some(value), problems);
            }
            Err(error) => {
                // A required key left out for its wrong value is reported once, not missed.
                let follows_removal = missing_field(error.message())
                    .is_some_and(|field| removed_keys.iter().any(|key| key == field));
                if !follows_removal {
                    problems.push(describe(text, &error));
                }
                let removed = error
                    .span()
                    .and_then(|span| remove_entry_at(root.get_mut(), span.start));
                match removed {
                    Some(key) => removed_keys.push(key),
                    None => break,
                }
            }
        }
    }
    sort_by_line(&mut problems);
    (None, problems)
}

/// `line L, column C in [section]: message` of a parse or deserialization error.
fn describe(text: &str, error: &toml::de::Error) -> String {
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
    format!("{location}{}", plain_words(error.message()))
}

/// Serde's names of Rust types in a message, in the words of a TOML file: "expected i64"
/// becomes "expected a whole number".
fn plain_words(message: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected i64", "expected a whole number (without quotes)"),
        ("expected u64", "expected a whole number (without quotes)"),
        ("expected u32", "expected a whole number (without quotes)"),
        ("expected usize", "expected a whole number (without quotes)"),
        ("expected f64", "expected a number (without quotes)"),
        (
            "expected a boolean",
            "expected true or false (without quotes)",
        ),
        ("expected a string", "expected a text in quotes"),
        ("expected a sequence", "expected a list, [\"…\"]"),
        ("invalid type: string ", "a text value "),
        ("invalid type: integer ", "a number "),
        ("invalid type: boolean ", "true or false "),
    ];
    WORDS.iter().fold(message.to_owned(), |text, (from, to)| {
        text.replace(from, to)
    })
}

/// Removes the innermost entry whose key or value holds byte `offset`, looking into tables
/// and arrays; the key it removed (empty for an item of an array), if any.
fn remove_entry_at(table: &mut DeTable<'_>, offset: usize) -> Option<String> {
    if let Some(removed) = table
        .iter_mut()
        .find_map(|(_, value)| remove_within(value, offset))
    {
        return Some(removed);
    }
    let found = table
        .iter()
        .find(|(key, value)| key.span().contains(&offset) || value.span().contains(&offset))
        .map(|(key, _)| key.clone())?;
    table.remove(&found)?;
    Some(found.get_ref().to_string())
}

/// Removes what holds byte `offset` inside `value`: an entry of a table, else an item of an
/// array (one bad table of an array of tables goes, not the whole array).
fn remove_within(value: &mut Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    match value.get_mut() {
        DeValue::Table(inner) => remove_entry_at(inner, offset),
        DeValue::Array(items) => {
            if let Some(removed) = items
                .iter_mut()
                .find_map(|item| remove_within(item, offset))
            {
                return Some(removed);
            }
            let index = items
                .iter()
                .position(|item| item.span().contains(&offset))?;
            let mut kept = DeArray::new();
            for (at, item) in items.iter().enumerate() {
                if at != index {
                    kept.push(item.clone());
                }
            }
            *items = kept;
            Some(String::new())
        }
        _ => None,
    }
}

/// `count` of serde's "missing field `count`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Sorts `line L…` problems by their line (a stable sort: one line's problems keep their
/// order).
pub fn sort_by_line(problems: &mut [String]) {
    problems.sort_by_key(|problem| line_of_problem(problem).unwrap_or(usize::MAX));
}

/// The line a `line L…` problem is on.
pub fn line_of_problem(problem: &str) -> Option<usize> {
    problem
        .strip_prefix("line ")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
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

/// The `[table]` or `[[array]]` header above a byte offset, to say where a key stands;
/// none for an offset in a header itself (an unknown section is not in the one above it).
fn enclosing_section(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    if text[line_start..].trim_start().starts_with('[') {
        return None;
    }
    before
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        name: String,
        #[serde(default)]
        item: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        count: u32,
        #[serde(default)]
        label: Option<String>,
    }

    #[test]
    fn every_problem_is_found_in_line_order_and_what_parsed_is_kept() {
        let text = "name = \"x\"\n[[item]]\ncount = 1\n[[item]]\ncount = \"two\"\nlabel = 3\n\
                    [[item]]\ncount = 3\ncolour = \"red\"\n";
        let (file, problems) = parse_all::<File>(text);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with(
            "line 5, column 9 in [item]: a text value \"two\", expected a whole number"
        ));
        assert!(
            problems[1].starts_with("line 6, column 9 in [item]: a number `3`, expected a text")
        );
        assert!(problems[2].starts_with("line 9, column 1 in [item]: unknown field `colour`"));
        // The second item, without its count, is left out; the others parsed.
        let file = file.expect("what parsed");
        assert_eq!(file.name, "x");
        let items: Vec<(u32, Option<String>)> = file
            .item
            .into_iter()
            .map(|item| (item.count, item.label))
            .collect();
        assert_eq!(items, [(1, None), (3, None)]);
        assert!(parse::<File>(text).is_err());
    }

    #[test]
    fn a_document_without_problems_parses_and_a_syntax_error_is_one_problem() {
        let (file, problems) = parse_all::<File>("name = \"x\"\n[[item]]\ncount = 2\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(file.map(|file| file.item.len()), Some(1));
        let (file, problems) = parse_all::<File>("name = \"x\"\n[[item]\ncount = 2\n");
        assert!(file.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("line 2, column 8: unclosed array table"));
    }

    #[test]
    fn problems_sort_by_their_line_and_keep_the_order_of_one_line() {
        let mut problems = vec![
            "line 12: b".to_owned(),
            "line 3, column 1: a".to_owned(),
            "no line".to_owned(),
            "line 3: c".to_owned(),
        ];
        sort_by_line(&mut problems);
        assert_eq!(
            problems,
            ["line 3, column 1: a", "line 3: c", "line 12: b", "no line"]
        );
    }
}
