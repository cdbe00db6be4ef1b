//! Rules tied to other columns of the row: `person` (one fake person per source identity,
//! whose parts several columns take) and `same_as` (another column's rule, so that values
//! equal in the source stay equal).
//!
//! A person is the fake of its identity under the `email` rule: its e-mail is exactly what
//! an `email` rule (default scope) makes of the identity, and its first and last names are
//! the names that e-mail was made from. So when the identity is the source e-mail (the
//! default), the person's e-mail is also what `email` writes in a JSON path and what `scrub`
//! writes in a log line for that address.

use fake::Fake;
use fake::faker::name;

use super::fake::build_fake;
use crate::anonymize::{
    BuildContext, CompiledRule, Definition, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::TypeCategory;

const TEXT: &[TypeCategory] = &[TypeCategory::Text];

/// The parts of a person a column can take.
pub const PARTS: &[&str] = &["first_name", "last_name", "name", "email", "username"];

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        name: "person",
        summary: "one part of one fake person per source identity (a profile's [tables.T.person] writes these rules): first_name, last_name, name, email or username",
        options: &[
            OptionSpec {
                name: "part",
                kind: OptionKind::String,
                summary: "first_name, last_name, name, email or username",
            },
            OptionSpec {
                name: "identity",
                kind: OptionKind::String,
                summary: "the column(s) naming the source person, comma-separated (a [person] section defaults to its e-mail column)",
            },
            OptionSpec {
                name: "domain",
                kind: OptionKind::String,
                summary: "the domain of its e-mail (default example.com)",
            },
        ],
        accepts: TEXT,
        unique_safe: true,
        example: "first_name = { transform = \"person\", part = \"first_name\", identity = \"value\" }",
        rewrites_parts: false,
        build: build_person,
    },
    Definition {
        name: "same_as",
        summary: "the rule of another column of the row, so that a value equal to it in the source stays equal (a shipping address that was the billing address)",
        options: &[
            OptionSpec {
                name: "column",
                kind: OptionKind::String,
                summary: "the other column, which has a rule",
            },
            OptionSpec {
                name: "rule",
                kind: OptionKind::Rule,
                summary: "its rule (the profile fills it in from the other column's)",
            },
        ],
        accepts: &[],
        unique_safe: true,
        example: "ship_to = { transform = \"same_as\", column = \"bill_to\" }",
        rewrites_parts: false,
        build: build_same_as,
    },
];

/// The scope of the `email` rule whose fakes people are made from.
const PERSON_SCOPE: &str = "email";

/// Characters of the tag that keeps usernames distinct on a unique column.
const USERNAME_TAG: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    FirstName,
    LastName,
    Name,
    Email,
    Username,
}

#[derive(Debug)]
struct Person {
    part: Part,
    /// Positions of the identity's columns.
    identity: Vec<usize>,
    /// The `email` fake of the column, for the e-mail part.
    email: Box<dyn Transformer>,
    unique: bool,
}

fn build_person(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let part = match options.required_string("part")? {
        "first_name" => Part::FirstName,
        "last_name" => Part::LastName,
        "name" => Part::Name,
        "email" => Part::Email,
        "username" => Part::Username,
        other => {
            return Err(format!(
                "option 'part' is one of {}; not '{other}'",
                PARTS.join(", ")
            ));
        }
    };
    let identity = options
        .required_string("identity")?
        .split(',')
        .map(|name| context.column_position(name.trim()))
        .collect::<Result<Vec<usize>, String>>()?;
    Ok(Box::new(Person {
        part,
        identity,
        email: build_fake("email", options, context)?,
        unique: context.column.unique,
    }))
}

impl Person {
    /// The source person's identity in `row`: its columns' values, or `value` itself when
    /// they are all NULL.
    fn identity<'v>(&self, value: &'v str, row: &'v [Option<String>]) -> std::borrow::Cow<'v, str> {
        let values: Vec<&str> = self
            .identity
            .iter()
            .filter_map(|&position| row.get(position).and_then(Option::as_deref))
            .collect();
        match values.as_slice() {
            [] => value.into(),
            [one] => (*one).into(),
            many => many.join("\u{1f}").into(),
        }
    }
}

impl Transformer for Person {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let identity = self.identity(value, context.row);
        let person_context = ValueContext {
            keyer: context.keyer,
            scope: PERSON_SCOPE,
            row: context.row,
            key: None,
        };
        if self.part == Part::Email {
            return self.email.transform(&identity, &person_context);
        }
        // The first two draws of the e-mail's stream are the names its address is made of.
        let normalized = identity.trim().to_lowercase();
        let mut rng = person_context.rng(&normalized);
        let first: &str = name::en::FirstName().fake_with_rng(&mut rng);
        let last: &str = name::en::LastName().fake_with_rng(&mut rng);
        Ok(Some(match self.part {
            Part::FirstName => first.to_owned(),
            Part::LastName => last.to_owned(),
            Part::Name => [first, " ", last].concat(),
            Part::Email => unreachable!("returned above"),
            Part::Username => {
                let mut username: String = first
                    .chars()
                    .take(1)
                    .chain(last.chars())
                    .flat_map(char::to_lowercase)
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                if self.unique {
                    username.push('.');
                    let tag = context
                        .keyer
                        .tag("person", normalized.as_bytes(), USERNAME_TAG);
                    username.push_str(&tag);
                }
                username
            }
        }))
    }

    fn reads(&self) -> Vec<usize> {
        self.identity.clone()
    }
}

/// Another column's rule, built for that column (its length, its unique tag), so that equal
/// values come out equal.
#[derive(Debug)]
struct SameAs {
    rule: CompiledRule,
}

fn build_same_as(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let other = context.column_position(options.required_string("column")?)?;
    let rule = options.rule("rule").ok_or_else(|| {
        format!(
            "column '{}' has no rule to repeat; give it one",
            context.table_columns[other].name
        )
    })?;
    let rule = CompiledRule::build_within(rule, &context.table_columns[other], context)?;
    Ok(Box::new(SameAs { rule }))
}

impl Transformer for SameAs {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        self.rule.apply(Some(value), context.keyer, context.row)
    }

    fn reads(&self) -> Vec<usize> {
        self.rule.reads()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::testing::{apply_in_row, apply_to, column};

    fn part(part: &str, email: &str) -> String {
        let rule = format!("{{ transform = \"person\", part = \"{part}\", identity = \"id\" }}");
        apply_in_row(&rule, &[Some(email), Some("whatever")]).expect("a value")
    }

    #[test]
    fn one_person_per_identity_whose_email_is_the_email_rules_fake() {
        let (first, last) = (
            part("first_name", "Ann@X.org"),
            part("last_name", "ann@x.org"),
        );
        assert_eq!(part("name", "ann@x.org"), format!("{first} {last}"));
        let email = part("email", "ann@x.org");
        let same = apply_to(
            "\"email\"",
            &column("value", "text", TypeCategory::Text),
            Some("ann@x.org"),
            &[],
        )
        .expect("applies")
        .expect("a value");
        assert_eq!(email, same, "the person's e-mail is the email rule's fake");
        let handle = |name: &str| -> String {
            name.chars()
                .flat_map(char::to_lowercase)
                .filter(char::is_ascii_alphanumeric)
                .collect()
        };
        assert!(
            email.starts_with(&format!("{}.{}.", handle(&first), handle(&last))),
            "{email}"
        );
        let username = part("username", "ann@x.org");
        assert!(username.ends_with(&handle(&last)), "{username}");
        assert_ne!(
            part("first_name", "bob@x.org") + &part("last_name", "bob@x.org"),
            first + &last
        );
    }
}
