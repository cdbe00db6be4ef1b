//! card: a Luhn-valid fake card number that keeps the last four digits, or one of the
//! staging test cards.

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::anonymize::{
    BuildContext, Definition, OptionKind, OptionSpec, Options, TransformError, Transformer,
    ValueContext,
};
use crate::catalog::TypeCategory;

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "card",
    summary: "a Luhn-valid fake card number keeping the last 4 digits (or a staging test card)",
    options: &[OptionSpec {
        name: "test_cards",
        kind: OptionKind::Boolean,
        summary: "use the test cards of seeds/payment_cards.toml instead (last 4 not kept)",
    }],
    accepts: &[TypeCategory::Text],
    unique_safe: false,
    example: "card_number = \"card\"",
    rewrites_parts: false,
    build: build_card,
}];

#[derive(Debug)]
struct Card {
    test_cards: Vec<String>,
}

fn build_card(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let test_cards = if options.boolean("test_cards").unwrap_or(false) {
        context.test_cards.to_vec()
    } else {
        Vec::new()
    };
    Ok(Box::new(Card { test_cards }))
}

impl Transformer for Card {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        let mut rng = context.rng(&digits);
        if let Some(card) = self.test_cards.choose(&mut rng) {
            return Ok(Some(card.clone()));
        }
        let last4 = if digits.len() >= 4 {
            &digits[digits.len() - 4..]
        } else {
            ""
        };
        let mut number: Vec<u8> = vec![4];
        while number.len() < 16 - last4.len() {
            number.push(rng.random_range(0..10));
        }
        number.extend(last4.bytes().map(|b| b - b'0'));
        crate::luhn::fix(&mut number);
        Ok(Some(number.iter().map(|d| char::from(b'0' + d)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use crate::anonymize::testing::apply;

    #[test]
    fn keeps_the_last_four_and_is_luhn_valid() {
        for input in [
            "4111111111111111",
            "5500 0000 0000 0004",
            "378282246310005",
            "12",
        ] {
            let card = apply("\"card\"", Some(input)).expect("card");
            assert!(crate::luhn::is_valid(&card), "{card}");
            assert_ne!(card, input);
            if input.len() > 4 {
                assert!(card.ends_with(&input[input.len() - 4..]), "{card} {input}");
            }
        }
    }

    #[test]
    fn maps_to_test_cards() {
        let card = apply(
            "{ transform = \"card\", test_cards = true }",
            Some("4111111111111111"),
        )
        .expect("card");
        assert!(
            ["4242424242424242", "4000000000000002"].contains(&card.as_str()),
            "{card}"
        );
    }
}
