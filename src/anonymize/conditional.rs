//! Rules with conditions. A column's rule may be a list: each rule but the last has a `when`,
//! an SQL boolean expression over the source row; the first whose condition holds applies,
//! and the last rule (without `when`) applies to the other rows:
//!
//! ```toml
//! email = [
//!   { when = "email ILIKE '%@ourcompany.com' OR is_test", transform = "keep" },
//!   "email",
//! ]
//! ```
//!
//! The source server evaluates every condition as one more column of the COPY query (`true`
//! or `false` as text, in both COPY formats), so a condition costs no client CPU and sees
//! every type as PostgreSQL does. Those results follow the table's columns in the row the
//! rules see: the condition `i` of a table with `n` columns is at position `n + i`.

use toml::Value;

use super::{BuildContext, CompiledRule, TransformError, Transformer, ValueContext};

/// One `when` of a table, as the profile wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The SQL expression.
    pub sql: String,
    /// The profile's line it is on, and the column's key (`tables.t.columns.c`).
    pub line: usize,
    pub key: String,
}

impl Condition {
    /// The expression the source evaluates in the COPY query: `true` or `false` as text
    /// (a NULL condition does not hold). On lines of its own: a `--` comment ends with it.
    pub fn select_sql(&self) -> String {
        format!("((\n{}\n) IS TRUE)::text", self.sql)
    }
}

/// What the source wrote for a condition that holds.
const HOLDS: &str = "true";

/// One rule of a list and the position of its condition's result in the row.
#[derive(Debug)]
struct Branch {
    slot: usize,
    when: String,
    /// `None`: `keep`.
    rule: Option<CompiledRule>,
}

/// The rules of one column with their conditions.
#[derive(Debug)]
pub struct Conditional {
    branches: Vec<Branch>,
    /// The rule of the rows no condition holds for; `None` keeps them.
    otherwise: Option<CompiledRule>,
}

impl Conditional {
    /// The rule that applies to `row` and the condition that chose it (`None`: no condition
    /// held, the last rule applies).
    fn choose(&self, row: &[Option<String>]) -> (Option<&CompiledRule>, Option<&str>) {
        let held = self
            .branches
            .iter()
            .find(|branch| row.get(branch.slot).and_then(Option::as_deref) == Some(HOLDS));
        match held {
            Some(branch) => (branch.rule.as_ref(), Some(&branch.when)),
            None => (self.otherwise.as_ref(), None),
        }
    }
}

/// `"keep"` or the rule's transformer.
fn rule_name(rule: Option<&CompiledRule>) -> &'static str {
    rule.map_or("keep", |rule| rule.transform)
}

impl Transformer for Conditional {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        match self.choose(context.row).0 {
            Some(rule) => rule.apply(Some(value), context.keyer, context.row),
            None => Ok(Some(value.to_owned())),
        }
    }

    fn reads(&self) -> Vec<usize> {
        self.branches
            .iter()
            .flat_map(|branch| {
                let mut reads = branch
                    .rule
                    .iter()
                    .flat_map(CompiledRule::reads)
                    .collect::<Vec<_>>();
                reads.push(branch.slot);
                reads
            })
            .chain(self.otherwise.iter().flat_map(CompiledRule::reads))
            .collect()
    }

    fn applied(&self, row: &[Option<String>]) -> Option<String> {
        Some(match self.choose(row) {
            (rule, Some(when)) => format!("{} when {when}", rule_name(rule)),
            (rule, None) => format!("{}, no condition held", rule_name(rule)),
        })
    }

    fn keeps(&self, row: &[Option<String>]) -> bool {
        self.choose(row).0.is_none()
    }

    fn kept_when(&self) -> Option<String> {
        let keeps = |rule: Option<&CompiledRule>| if rule.is_none() { "true" } else { "false" };
        let cases: String = self
            .branches
            .iter()
            .map(|branch| {
                format!(
                    " WHEN (\n{}\n) THEN {}",
                    branch.when,
                    keeps(branch.rule.as_ref())
                )
            })
            .collect();
        Some(format!(
            "CASE{cases} ELSE {} END",
            keeps(self.otherwise.as_ref())
        ))
    }
}

/// What the profile says of a column besides its rule: how to place its conditions and
/// whether it looks personal.
pub struct ColumnSetting<'a> {
    /// The table's conditions so far; this column's are added.
    pub conditions: &'a mut Vec<Condition>,
    /// The column's key in the profile.
    pub key: &'a str,
    /// The profile's line of a condition's text.
    pub locate: &'a dyn Fn(&str) -> usize,
    /// Why the column looks like personal data, if it does (then its other rows need a rule).
    pub personal: Option<&'a str>,
}

/// Builds a column's rule that has conditions (a list, or a table with `when`); `None` when
/// it has none (an ordinary rule).
pub fn build(
    rule: &Value,
    context: &BuildContext<'_>,
    setting: ColumnSetting<'_>,
) -> Result<Option<CompiledRule>, String> {
    let listed: Vec<&Value> = match rule {
        Value::Array(rules) => rules.iter().collect(),
        Value::Table(table) if table.contains_key("when") => vec![rule],
        _ => return Ok(None),
    };
    if listed.is_empty() {
        return Err("an empty list of rules; write one rule, or rules with `when`".to_owned());
    }
    let table_width = context.table_columns.len();
    let mut branches = Vec::new();
    let mut otherwise = None;
    for (index, listed_rule) in listed.iter().enumerate() {
        let (when, rule) = split_when(listed_rule)?;
        match when {
            Some(when) => {
                let rule = CompiledRule::build(&rule, context)
                    .map_err(|reason| format!("rule {} of the list: {reason}", index + 1))?;
                let rule = Some(rule).filter(|rule| !rule.is_keep);
                setting.conditions.push(Condition {
                    sql: when.clone(),
                    line: (setting.locate)(&when),
                    key: setting.key.to_owned(),
                });
                branches.push(Branch {
                    slot: table_width + setting.conditions.len() - 1,
                    when,
                    rule,
                });
            }
            None if index + 1 == listed.len() => {
                let rule = CompiledRule::build(&rule, context)
                    .map_err(|reason| format!("the last rule of the list: {reason}"))?;
                otherwise = Some(rule).filter(|rule| !rule.is_keep);
            }
            None => {
                return Err(format!(
                    "rule {} of the list has no `when`; only the last rule, which applies to \
                     the rows no condition holds for, goes without one",
                    index + 1
                ));
            }
        }
    }
    let last_has_when = split_when(listed[listed.len() - 1])?.0.is_some();
    if let (true, Some(why)) = (last_has_when, setting.personal) {
        return Err(format!(
            "the column looks like personal data ({why}), so the rows no condition holds for \
             need a rule too: end the list with a rule without `when` (`\"keep\"` if those \
             rows are truly not personal)"
        ));
    }
    let rewrites_parts = branches
        .iter()
        .filter_map(|branch| branch.rule.as_ref())
        .any(|rule| rule.rewrites_parts);
    Ok(Some(CompiledRule::wrapping(
        "when",
        Box::new(Conditional {
            branches,
            otherwise,
        }),
        rewrites_parts,
    )))
}

/// The `when` of a listed rule (a transformer name has none) and the rule without it.
fn split_when(rule: &Value) -> Result<(Option<String>, Value), String> {
    let Value::Table(table) = rule else {
        return Ok((None, rule.clone()));
    };
    let mut table = table.clone();
    let when = match table.remove("when") {
        None => None,
        Some(Value::String(when)) if !when.trim().is_empty() => Some(when),
        Some(_) => {
            return Err(
                "`when` is an SQL condition in a string: when = \"contact_type = 'email'\""
                    .to_owned(),
            );
        }
    };
    Ok((when, Value::Table(table)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::REGISTRY;
    use crate::anonymize::testing::{column, test_keyer};
    use crate::catalog::TypeCategory;

    fn compiled(
        rule: &str,
        personal: Option<&str>,
    ) -> Result<(CompiledRule, Vec<Condition>), String> {
        let rule: Value = toml::from_str::<toml::Table>(&format!("rule = {rule}"))
            .expect("rule parses")["rule"]
            .clone();
        let columns = [
            column("kind", "text", TypeCategory::Text),
            column("value", "text", TypeCategory::Text),
        ];
        let context = BuildContext {
            column: &columns[1],
            table_columns: &columns,
            test_cards: &[],
            registry: &REGISTRY,
        };
        let mut conditions = Vec::new();
        let setting = ColumnSetting {
            conditions: &mut conditions,
            key: "value",
            locate: &|_| 1,
            personal,
        };
        let rule = build(&rule, &context, setting)?.expect("conditional");
        Ok((rule, conditions))
    }

    #[test]
    fn the_first_condition_that_holds_chooses_the_rule() {
        let (rule, conditions) = compiled(
            r#"[{ when = "kind = 'email'", transform = "email" },
               { when = "kind = 'phone'", transform = "constant", value = "phone" },
               { transform = "constant", value = "other" }]"#,
            None,
        )
        .expect("builds");
        assert_eq!(conditions.len(), 2);
        assert_eq!(rule.reads(), vec![2, 3]);
        let keyer = test_keyer();
        let row = |email: &str, phone: &str| {
            vec![None, None, Some(email.to_owned()), Some(phone.to_owned())]
        };
        let email = rule.apply(Some("ann@x.org"), &keyer, &row("true", "true"));
        assert!(email.expect("applies").expect("value").contains('@'));
        let phone = rule.apply(Some("ann@x.org"), &keyer, &row("false", "true"));
        assert_eq!(phone.expect("applies").as_deref(), Some("phone"));
        let other = rule.apply(Some("ann@x.org"), &keyer, &row("false", "false"));
        assert_eq!(other.expect("applies").as_deref(), Some("other"));
    }

    #[test]
    fn a_personal_column_must_say_what_happens_to_the_other_rows() {
        let unsaid = r#"{ when = "kind = 'staff'", transform = "keep" }"#;
        let error = compiled(unsaid, Some("its name says e-mail")).expect_err("refused");
        assert!(
            error.contains("end the list with a rule without `when`"),
            "{error}"
        );
        assert!(
            compiled(unsaid, None).is_ok(),
            "not personal: the others are kept"
        );
        let misplaced = r#"["email", { when = "true", transform = "keep" }]"#;
        let error = compiled(misplaced, None).expect_err("refused");
        assert!(
            error.contains("rule 1 of the list has no `when`"),
            "{error}"
        );
    }
}
