//! TOML files that users edit (configuration, profiles, seeds): problems that say where, in
//! one format (`line 6: refresh.jobs: expected a whole number`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, Deserializer};

/// One problem of a file a user edits: where it is (file, line, dotted key) and what is
/// wrong, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file as given; empty until the error that carries the problem names it (see
    /// [`in_file`]).
    pub file: String,
    pub line: Option<usize>,
    /// The dotted key (`refresh.jobs`, `tables.users.email`), when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem with `key` at byte `offset` of `text`.
    pub fn at(text: &str, offset: usize, key: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: String::new(),
            line: Some(line_of(text, offset)),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// A problem of the whole file (no line to point at).
    pub fn whole_file(message: impl Into<String>) -> Problem {
        Problem {
            file: String::new(),
            line: None,
            key: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// `problems`, each naming `file` (for the `--json` document of an error).
pub fn in_file(problems: &[Problem], file: &str) -> Vec<Problem> {
    problems
        .iter()
        .map(|problem| Problem {
            file: file.to_owned(),
            ..problem.clone()
        })
        .collect()
}

/// Parses `text`; a problem reads `line L: section.key: what is wrong`. Every problem serde
/// finds is reported, in line order, not only the first (see [`parse_all`]).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Vec<Problem>> {
    match parse_all(text) {
        (Some(value), problems) if problems.is_empty() => Ok(value),
        (_, problems) => Err(problems),
    }
}

/// Parses `text`, collecting every problem: an entry that does not deserialize (an unknown
/// key, a value of the wrong type) is noted and left out, and the rest is parsed again. Gives
/// what parsed without those entries (`None` on a syntax error), and the problems in line
/// order, so that callers can check the values that did parse and report everything at once.
pub fn parse_all<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<Problem>) {
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

/// The problem of a parse or deserialization error: its line, the key there, and serde's
/// message in plain words.
fn describe(text: &str, error: &toml::de::Error) -> Problem {
    let message = plain_words(error.message());
    match error.span() {
        Some(span) => Problem {
            file: String::new(),
            line: Some(line_of(text, span.start)),
            key: key_at(text, span.start),
            message,
        },
        None => Problem::whole_file(message),
    }
}

/// The dotted key written on the line of byte `offset`: its section and the key before `=`
/// (`staging.database_url`), or the section a header line opens.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    if line.starts_with('[') {
        return Some(header_name(line)).filter(|name| !name.is_empty());
    }
    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim().trim_matches(|c| c == '"' || c == '\''))
        .filter(|key| !key.is_empty());
    match (enclosing_section(text, offset), key) {
        (Some(section), Some(key)) => Some(format!("{section}.{key}")),
        (section, key) => key.map(str::to_owned).or(section),
    }
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

/// Sorts problems by their line, those without one last (a stable sort: one line's
/// problems keep their order).
pub fn sort_by_line(problems: &mut [Problem]) {
    problems.sort_by_key(|problem| problem.line.unwrap_or(usize::MAX));
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
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
        .map(header_name)
}

/// `staging` of `[staging]`, `item` of `[[item]]`.
fn header_name(header: &str) -> String {
    header
        .split('#')
        .next()
        .unwrap_or_default()
        .trim()
        .trim_matches(|c| c == '[' || c == ']')
        .trim()
        .to_owned()
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
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{shown:?}");
        assert!(
            shown[0]
                .starts_with("line 5: item.count: a text value \"two\", expected a whole number")
        );
        assert!(shown[1].starts_with("line 6: item.label: a number `3`, expected a text"));
        assert!(shown[2].starts_with("line 9: item.colour: unknown field `colour`"));
        assert_eq!(problems[2].line, Some(9));
        assert_eq!(problems[2].key.as_deref(), Some("item.colour"));
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
        assert!(
            problems[0]
                .to_string()
                .starts_with("line 2: item: unclosed array table")
        );
    }

    #[test]
    fn problems_sort_by_their_line_and_keep_the_order_of_one_line() {
        let text = "a = 1\nb = 2\nc = 3\n";
        let mut problems = vec![
            Problem::at(text, 12, "c", "third"),
            Problem::at(text, 0, "a", "first"),
            Problem::whole_file("no line"),
            Problem::at(text, 2, "a", "second"),
        ];
        sort_by_line(&mut problems);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "line 1: a: first",
                "line 1: a: second",
                "line 3: c: third",
                "no line"
            ]
        );
    }

    #[test]
    fn a_problem_names_the_key_of_its_line_and_its_section() {
        let text = "top = 1\n[staging]\ndatabse_url = \"x\"\n[stagin]\n";
        assert_eq!(key_at(text, 2).as_deref(), Some("top"));
        assert_eq!(key_at(text, 20).as_deref(), Some("staging.databse_url"));
        assert_eq!(key_at(text, text.len() - 3).as_deref(), Some("stagin"));
        let named = in_file(
            &[Problem::at(text, 20, "staging.databse_url", "unknown")],
            "r.toml",
        );
        assert_eq!(named[0].file, "r.toml");
        assert_eq!(
            named[0].to_string(),
            "r.toml: line 3: staging.databse_url: unknown"
        );
    }
}
