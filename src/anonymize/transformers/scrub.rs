//! scrub: personal data inside ordinary text — e-mail addresses, card numbers, IP addresses
//! and phone numbers — replaced by the same fakes the `email`, `card`, `ipv4` and `phone`
//! rules give them, every other byte left as it was.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::anonymize::{
    BuildContext, CompiledRule, Definition, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::{Column, TypeCategory};
use crate::tokens::{CARD, EMAIL};

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "scrub",
    summary: "replace e-mails, card numbers, IP addresses and phone numbers inside text (or a JSON document) with the fakes of email, card, ipv4 and phone; all else kept",
    options: &[
        OptionSpec {
            name: "emails",
            kind: OptionKind::Boolean,
            summary: "replace e-mail addresses (default true)",
        },
        OptionSpec {
            name: "cards",
            kind: OptionKind::Boolean,
            summary: "replace Luhn-valid card numbers of 13 to 19 digits (default true)",
        },
        OptionSpec {
            name: "ips",
            kind: OptionKind::Boolean,
            summary: "replace IPv4 addresses (default true)",
        },
        OptionSpec {
            name: "phones",
            kind: OptionKind::Boolean,
            summary: "replace phone numbers: 7 to 15 digits with a +, an area code in parentheses, or in groups (default true)",
        },
    ],
    accepts: &[TypeCategory::Text, TypeCategory::Json],
    unique_safe: false,
    example: "log_line = { transform = \"scrub\", ips = false }",
    rewrites_parts: true,
    build: build_scrub,
}];

/// The tokens, most specific first: an e-mail's digits are no phone, a card is no phone, an
/// IP address is no phone. Names: email, card, ip, phone.
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?P<email>{EMAIL})|(?P<card>{CARD})|(?P<ip>{IPV4})|(?P<phone>{PHONE})"
    ))
    .expect("the token pattern is valid")
});

/// An IPv4 address, each octet 0 to 255.
const IPV4: &str = r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b";

/// A digit run a phone number could be (`looks_like_phone` decides).
const PHONE: &str = r"(?:\+|\b)\d(?:[ ().-]{0,2}\d){6,14}\b";

/// The rules whose fakes replace each kind of token (`None`: that kind is left alone).
#[derive(Debug)]
struct Scrub {
    email: Option<CompiledRule>,
    card: Option<CompiledRule>,
    ip: Option<CompiledRule>,
    phone: Option<CompiledRule>,
}

fn build_scrub(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let leaf = Column::text("token");
    // The plain rules, with their default scopes: the fake of an address inside a log line
    // is the fake the `email` rule gives the address in its own column.
    let rule = |option: &str, transform: &str| -> Result<Option<CompiledRule>, String> {
        if !options.boolean(option).unwrap_or(true) {
            return Ok(None);
        }
        CompiledRule::build_within(&toml::Value::String(transform.to_owned()), &leaf, context)
            .map(Some)
    };
    Ok(Box::new(Scrub {
        email: rule("emails", "email")?,
        card: rule("cards", "card")?,
        ip: rule("ips", "ipv4")?,
        phone: rule("phones", "phone")?,
    }))
}

impl Transformer for Scrub {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let mut failure = None;
        let scrubbed = TOKENS.replace_all(value, |token: &Captures<'_>| {
            let text = &token[0];
            match self.fake(token, context) {
                Ok(Some(fake)) => fake,
                Ok(None) => text.to_owned(),
                Err(error) => {
                    failure.get_or_insert(error);
                    text.to_owned()
                }
            }
        });
        if let Some(error) = failure {
            return Err(error);
        }
        Ok(Some(match scrubbed {
            Cow::Borrowed(_) => value.to_owned(),
            Cow::Owned(scrubbed) => scrubbed,
        }))
    }
}

impl Scrub {
    /// The fake of one token, or `None` to keep it (its kind is not scrubbed, or a digit run
    /// that is neither a Luhn-valid card nor phone-sized).
    fn fake(
        &self,
        token: &Captures<'_>,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let text = &token[0];
        let rule = if token.name("email").is_some() {
            self.email.as_ref()
        } else if token.name("ip").is_some() {
            self.ip.as_ref()
        } else {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let is_card = token.name("card").is_some() && crate::luhn::is_valid(&digits);
            if is_card {
                self.card.as_ref()
            } else if looks_like_phone(text, digits.len()) {
                self.phone.as_ref()
            } else {
                None
            }
        };
        match rule {
            Some(rule) => rule.apply(Some(text), context.keyer, context.row),
            None => Ok(None),
        }
    }
}

/// A run of 7 to 15 digits written as phone numbers are: with a `+` or an area code in
/// parentheses, or in at least two groups of 9 digits or more — not a date (2026-01-02), an
/// amount or an order number.
fn looks_like_phone(text: &str, digits: usize) -> bool {
    let groups = text
        .chars()
        .filter(|c| matches!(c, ' ' | '-' | '.'))
        .count();
    (7..=15).contains(&digits)
        && (text.starts_with('+') || text.contains(')') || (groups >= 2 && digits >= 9))
}

#[cfg(test)]
mod tests {
    use crate::anonymize::testing::{apply, apply_to, column};
    use crate::catalog::TypeCategory;

    #[test]
    fn replaces_tokens_and_keeps_every_other_byte() {
        let input = "2026-01-02 login mary.smith@shop.example from 192.168.10.20, card 4242 4242 4242 4242, call +44 20 7946 0958 (order 12345)";
        let output = apply("\"scrub\"", Some(input)).expect("text");
        for secret in [
            "mary.smith@shop.example",
            "192.168.10.20",
            "4242 4242 4242 4242",
            "+44 20 7946 0958",
        ] {
            assert!(!output.contains(secret), "{output}");
        }
        assert!(output.starts_with("2026-01-02 login "), "{output}");
        assert!(output.ends_with(" (order 12345)"), "{output}");
        assert!(output.contains(", card "), "{output}");
        // The same fakes as the plain rules of the same key.
        let email = apply("\"email\"", Some("mary.smith@shop.example")).expect("email");
        let card = apply("\"card\"", Some("4242424242424242")).expect("card");
        assert!(output.contains(&email), "{output} lacks {email}");
        assert!(output.contains(&card), "{output} lacks {card}");
    }

    #[test]
    fn text_without_tokens_and_kinds_switched_off_stay_as_they_are() {
        for input in [
            "no personal data here, order 12345, 3.14, v1.2.3",
            "invoice 2026-01-02",
            "",
        ] {
            assert_eq!(apply("\"scrub\"", Some(input)).as_deref(), Some(input));
        }
        let only_emails = "{ transform = \"scrub\", phones = false, cards = false, ips = false }";
        let output = apply(only_emails, Some("a@b.example 10.0.0.1 +31 6 12345678")).expect("text");
        assert!(output.ends_with(" 10.0.0.1 +31 6 12345678"), "{output}");
        assert!(!output.starts_with("a@b.example"), "{output}");
    }

    #[test]
    fn scrubs_a_json_document_as_text() {
        let json = column("payload", "jsonb", TypeCategory::Json);
        let input = r#"{"note": "ask bob@corp.example", "ip": "10.1.2.3", "n": 5}"#;
        let output = apply_to("\"scrub\"", &json, Some(input), &[])
            .expect("ok")
            .expect("text");
        let parsed: serde_json::Value = serde_json::from_str(&output).expect("still JSON");
        assert!(parsed["note"].as_str().expect("note").starts_with("ask "));
        assert!(!output.contains("bob@corp.example") && !output.contains("10.1.2.3"));
        assert_eq!(parsed["n"], 5);
    }
}
