//! The rules `init` suggests for each kind of personal data, best first: the rule that gives
//! a fake of the same kind, then ones that fit narrower columns (a shorter format, a mask),
//! then what the column's type takes. `init` writes the first that compiles for the column
//! and whose fakes fit its length and CHECKs.

use super::Kind;
use super::vocabulary::VOCABULARY;
use crate::catalog::{Column, TypeCategory};

/// The rules for a column of `kind`, best first, as TOML values.
pub fn for_kind(kind: Kind, column: &Column) -> Vec<String> {
    let text = column.category == TypeCategory::Text;
    let rules: &[&str] = match kind {
        Kind::Name => return vec![name_rule(&column.name).to_owned()],
        Kind::Email => &["\"email\""],
        Kind::Phone => &[
            "{ transform = \"phone\", format = \"same\" }",
            "\"phone\"",
            "{ transform = \"phone\", format = \"e164\" }",
        ],
        Kind::Address => &["\"street_address\""],
        Kind::City => &["\"city\""],
        Kind::Postcode if text => &["\"postcode\"", "{ transform = \"mask\", keep_first = 2 }"],
        Kind::Postcode => &["{ transform = \"number\", noise_pct = 10 }"],
        Kind::Region => &["\"region\""],
        Kind::BirthDate
            if matches!(
                column.category,
                TypeCategory::Integer | TypeCategory::Decimal
            ) =>
        {
            &["{ transform = \"number\", noise_pct = 1 }"]
        }
        Kind::BirthDate => &["{ transform = \"date\", shift_days = 365 }"],
        Kind::NationalId => &["{ transform = \"mask\", keep_last = 2 }"],
        Kind::BankAccount => &["{ transform = \"mask\", keep_first = 4, keep_last = 2 }"],
        Kind::Card => &["\"card\""],
        Kind::Ip => &["\"ipv4\"", "\"ipv6\""],
        Kind::FreeText if text => &["\"sentence\"", "\"words\""],
        Kind::FreeText => &["\"scrub\""],
        Kind::Photo => &["\"null\""],
        Kind::Login => &["\"username\"", "\"email\"", "\"hash\""],
        Kind::Password => &["\"password\""],
        Kind::Secret if !column.not_null => &["\"null\""],
        Kind::Secret => &["\"hash\""],
    };
    rules.iter().map(|rule| (*rule).to_owned()).collect()
}

/// `first_name`, `last_name` or `name`, by the words of the column's name.
fn name_rule(name: &str) -> &'static str {
    let words = VOCABULARY.words(name);
    let has = |list: &[&str]| words.iter().any(|word| list.contains(&word.as_str()));
    if has(&["first", "given", "forename", "firstname", "middle"]) {
        "\"first_name\""
    } else if has(&["last", "family", "surname", "lastname", "maiden"]) {
        "\"last_name\""
    } else {
        "\"name\""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_the_part_they_name() {
        assert_eq!(name_rule("FirstName"), "\"first_name\"");
        assert_eq!(name_rule("family_name"), "\"last_name\"");
        assert_eq!(name_rule("contact_name"), "\"name\"");
    }

    #[test]
    fn phones_keep_their_shape_first() {
        let rules = for_kind(Kind::Phone, &Column::text("fax"));
        assert_eq!(rules[0], "{ transform = \"phone\", format = \"same\" }");
    }
}
