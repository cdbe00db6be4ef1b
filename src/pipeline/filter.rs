//! Row filters (`where`) from a profile, checked before the source runs them: a filter is one
//! SQL expression (parsed by the server as a prepared statement, which refuses a second
//! command), and it calls no function that can change anything (a volatile function:
//! `set_config`, `dblink_exec`, `pg_terminate_backend`, a function of the application's that
//! writes). The copy then runs it on read-only connections (`pg::connect_source`), so even
//! what slipped past could not write.

use sqlx::postgres::PgConnection;

use crate::error::Error;
use crate::pg::{self, database_error};
use crate::secret::SecretUrl;

/// Volatile built-ins that only read (or wait): a sample (`random() < 0.1`) or a timestamp
/// is a reasonable filter.
const HARMLESS_VOLATILE: &[&str] = &[
    "pg_sleep",
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
];

/// What is wrong with `filter` on table `quoted`, or `None` when it is one expression that
/// runs and changes nothing. Runs inside a savepoint of the caller's read-only transaction.
pub async fn problem(
    connection: &mut PgConnection,
    source: &SecretUrl,
    quoted: &str,
    filter: &str,
) -> Result<Option<String>, Error> {
    let explain = format!("EXPLAIN SELECT 1 FROM {quoted} WHERE (\n{filter}\n)");
    if let Some(reason) = pg::rolled_back_error(connection, source, &explain, None).await? {
        return Ok(Some(format!(
            "does not run on the source as one SQL expression: {reason}"
        )));
    }
    let writers = volatile_functions(connection, source, &called_functions(filter)).await?;
    if writers.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "calls {}, which may change the database (a volatile function); a filter may only \
         read: compare columns, call stable functions such as now(), or select from other \
         tables",
        writers.join(", ")
    )))
}

/// The volatile functions among `names` (any schema, any argument list), but the harmless ones.
async fn volatile_functions(
    connection: &mut PgConnection,
    source: &SecretUrl,
    names: &[String],
) -> Result<Vec<String>, Error> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let harmless: Vec<String> = HARMLESS_VOLATILE
        .iter()
        .map(|&name| name.to_owned())
        .collect();
    sqlx::query_scalar(
        "SELECT DISTINCT p.proname::text FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.proname = ANY($1) AND p.provolatile = 'v' \
           AND NOT (n.nspname = 'pg_catalog' AND p.proname = ANY($2)) \
         ORDER BY 1",
    )
    .bind(names)
    .bind(harmless)
    .fetch_all(connection)
    .await
    .map_err(database_error(source, "checking a row filter's functions"))
}

/// The names of the functions an SQL expression calls: every identifier (or the last part of
/// a qualified name) followed by `(`, outside literals, quoted text and comments; unquoted
/// names folded to lower case as PostgreSQL does.
pub fn called_functions(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut names = Vec::new();
    let mut last_name: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            i = skip_while(&chars, i, |c| c != '\n');
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if c == '\'' {
            last_name = None;
            i = skip_quoted(&chars, i, '\'');
        } else if c == '"' {
            let end = skip_quoted(&chars, i, '"');
            let inner: String = chars[i + 1..(end - 1).max(i + 1)].iter().collect();
            last_name = Some(inner.replace("\"\"", "\""));
            i = end;
        } else if c == '$' {
            last_name = None;
            i = skip_dollar_quoted(&chars, i);
        } else if c.is_alphabetic() || c == '_' {
            let end = skip_while(&chars, i, |c| c.is_alphanumeric() || c == '_' || c == '$');
            let word: String = chars[i..end].iter().collect();
            last_name = Some(word.to_lowercase());
            i = end;
        } else if c.is_whitespace() || c == '.' {
            i += 1;
        } else {
            if c == '(' {
                names.extend(last_name.take());
            }
            last_name = None;
            i += 1;
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The index after the run of characters from `start` that satisfy `keep`.
fn skip_while(chars: &[char], start: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut i = start;
    while i < chars.len() && keep(chars[i]) {
        i += 1;
    }
    i
}

/// The index after a `/* … */` comment (nested, as PostgreSQL allows) starting at `start`.
fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let (mut depth, mut i) = (0usize, start);
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// The index after text quoted by `quote` starting at `start` (a doubled quote is part of it;
/// a backslash escapes in E'' strings, which over-skipping cannot make unsafe here).
fn skip_quoted(chars: &[char], start: usize, quote: char) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == '\\' && quote == '\'' {
            i += 2;
        } else if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// The index after a `$tag$ … $tag$` string starting at `start`, or after a `$1`-like token.
fn skip_dollar_quoted(chars: &[char], start: usize) -> usize {
    let tag_end = skip_while(chars, start + 1, |c| c.is_alphanumeric() || c == '_');
    if chars.get(tag_end) != Some(&'$') {
        return tag_end;
    }
    let tag: String = chars[start..=tag_end].iter().collect();
    let rest: String = chars[tag_end + 1..].iter().collect();
    match rest.find(&tag) {
        Some(offset) => tag_end + 1 + rest[..offset].chars().count() + tag.chars().count(),
        None => chars.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_functions_an_expression_calls() {
        let cases: &[(&str, &[&str])] = &[
            ("created_at > now() - interval '2 years'", &["now"]),
            ("true AND public.Do_Write (1)", &["do_write"]),
            ("\"MixedCase\"(x) = 1", &["MixedCase"]),
            ("id IN (SELECT id FROM t) AND x = 'f(1)'", &["in"]),
            ("x = 1 -- drop(1)\n AND y = 2 /* set_config( */", &[]),
            ("$$ dblink_exec( $$ = x AND lower(name) = 'a'", &["lower"]),
            (
                "EXISTS (SELECT 1 FROM dblink('dbname=app', 'SELECT 1') AS t(x int))",
                &["dblink", "exists", "t"],
            ),
        ];
        for (sql, expected) in cases {
            assert_eq!(called_functions(sql), *expected, "{sql}");
        }
    }
}
