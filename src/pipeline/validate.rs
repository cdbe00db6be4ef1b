//! A profile checked against the source before anything is written: it compiles against the
//! catalog, its row filters and rule conditions run, and its fakes pass the CHECKs of the
//! domains they go into.
//! Everything here reads; problems are reported all at once.

use sqlx::postgres::PgConnection;

use crate::anonymize::profile::{CompiledProfile, Profile};
use crate::anonymize::{CompiledRule, Keyer};
use crate::catalog::{Catalog, Column, Table};
use crate::error::Error;
use crate::pg::{self, database_error};
use crate::secret::SecretUrl;
use crate::toml_source::Problem;

/// Values of a column (or made-up ones, for an empty table) whose fakes are tried against its
/// domain.
const SAMPLES: i64 = 20;

/// Compiles the profile against the catalog (`test_cards` are the staging cards `card` may
/// write), runs each `where` and condition and tries each rule's fakes against the domain
/// CHECKs of its column, on the source, read-only.
pub async fn compile_profile(
    profile: &Profile,
    catalog: &Catalog,
    connection: &mut PgConnection,
    source: &SecretUrl,
    test_cards: &[String],
) -> Result<CompiledProfile, Error> {
    let compiled = profile.compile(catalog, test_cards)?;
    let mut problems = Vec::new();
    for (name, rules) in &compiled.tables {
        let Some(table) = catalog.tables.get(name) else {
            continue;
        };
        if let Some(filter) = &rules.filter
            && let Some(reason) =
                super::filter::problem(connection, source, &table.quoted(), filter).await?
        {
            problems.push(Problem {
                line: rules.filter_line,
                key: Some(format!("tables.{name}.where")),
                ..Problem::whole_file(format!("`{filter}` {reason}"))
            });
        }
        for condition in &rules.conditions {
            if let Some(reason) =
                super::filter::problem(connection, source, &table.quoted(), &condition.sql).await?
            {
                let reason = reason.replace("a filter may only", "a condition may only");
                problems.push(Problem {
                    line: Some(condition.line),
                    key: Some(condition.key.clone()),
                    ..Problem::whole_file(format!("the condition `{}` {reason}", condition.sql))
                });
            }
        }
        for (position, rule) in &rules.rules {
            let column = &table.columns[*position];
            if let Some(problem) = refused_fake(connection, source, table, column, rule).await? {
                problems.push(problem);
            }
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(Error::Profile {
            path: profile.path.clone(),
            problems,
        })
    }
}

/// [`compile_profile`] with the test cards of `./seeds` (or the built-in ones): for the
/// commands that read a source without a seeds directory of their own (check, init, preview).
pub async fn compile_profile_with_seed_cards(
    profile: &Profile,
    catalog: &Catalog,
    connection: &mut PgConnection,
    source: &SecretUrl,
) -> Result<CompiledProfile, Error> {
    let test_cards = crate::seed::data::test_card_numbers()?;
    compile_profile(profile, catalog, connection, source, &test_cards).await
}

/// The problem with `rule` when one of its fakes for sampled values of `column` is refused by
/// the column's domain (none without domain CHECKs). The message names the rule, the domain
/// and its checks, never a value.
pub(super) async fn refused_fake(
    connection: &mut PgConnection,
    source: &SecretUrl,
    table: &Table,
    column: &Column,
    rule: &CompiledRule,
) -> Result<Option<Problem>, Error> {
    if column.domain_checks.is_empty() {
        return Ok(None);
    }
    // The start of each value, as detection reads it: a fake's shape does not depend on the
    // rest, and a column of documents must not cost their size.
    let mut inputs: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT left({0}::text, {2}) FROM {1} WHERE {0} IS NOT NULL LIMIT {SAMPLES}",
        crate::catalog::quote(&column.name),
        table.quoted(),
        crate::judgment::SAMPLED_CHARACTERS
    ))
    .fetch_all(&mut *connection)
    .await
    .map_err(database_error(
        source,
        "sampling values for the domain checks",
    ))?;
    if inputs.is_empty() {
        inputs = (0..SAMPLES)
            .map(|i| format!("restage-sample-{i}"))
            .collect();
    }
    // The fakes' shape does not depend on the key; a throwaway one keeps the real key out.
    let keyer = Keyer::random();
    let row = vec![None; table.columns.len()];
    // Values a rule cannot read (a date rule on a made-up input) are the copy's business.
    let fakes: Vec<String> = inputs
        .iter()
        .filter_map(|input| rule.apply(Some(input), &keyer, &row).ok().flatten())
        .collect();
    // One cast of them all: the first fake the type refuses fails the statement.
    let cast = format!(
        "SELECT fake::{} FROM unnest($1::text[]) fake",
        column.type_name
    );
    let reason = pg::rolled_back_error(connection, source, &cast, Some(fakes)).await?;
    Ok(reason.map(|reason| Problem {
        key: Some(format!("{}.{}", table.profile_name(), column.name)),
        ..Problem::whole_file(format!(
            "the fakes of rule '{}' do not fit its type {} ({}): {reason}; {}",
            rule.transform,
            column.type_name,
            column.domain_checks.join(", "),
            fitting_rule_hint(rule.transform)
        ))
    }))
}

/// What to change in a rule whose fakes a domain refuses.
fn fitting_rule_hint(transform: &str) -> &'static str {
    match transform {
        "phone" => {
            "give it a format that fits: format = \"e164\", \"national\" or a pattern like \"+44 #### ######\""
        }
        "email" => "choose a `domain` the check accepts, or write a `regex` or `template` rule",
        _ => "write a rule whose values fit, such as `regex`, `template` or `constant`",
    }
}
