//! scrub: personal data inside ordinary text — e-mail addresses, card numbers, IP addresses
//! and phone numbers — replaced by the same fakes the `email`, `card`, `ipv4` and `phone`
//! rules give them, every other byte left as it was.

use std::sync::LazyLock;

use regex::Regex;

use crate::anonymize::{
    BuildContext, CompiledRule, Definition, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::{Column, TypeCategory};
use crate::judgment::tokens::{self, EMAIL};

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

static EMAILS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(EMAIL).expect("the e-mail pattern is valid"));

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
        let rule: toml::Value = transform
            .parse()
            .expect("scrub's own rules are TOML values");
        CompiledRule::build_within(&rule, &leaf, context).map(Some)
    };
    Ok(Box::new(Scrub {
        email: rule("emails", "\"email\"")?,
        card: rule("cards", "\"card\"")?,
        ip: rule("ips", "\"ipv4\"")?,
        // New digits in the number's own shape: never another kind of token, brackets kept.
        phone: rule("phones", "{ transform = \"phone\", format = \"same\" }")?,
    }))
}

impl Transformer for Scrub {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let mut scrubbed = String::with_capacity(value.len());
        let mut kept_to = 0;
        for (start, end, rule) in self.tokens(value) {
            let Some(rule) = rule else { continue };
            let token = &value[start..end];
            let fake = rule.apply(Some(token), context.keyer, context.row)?;
            scrubbed.push_str(&value[kept_to..start]);
            scrubbed.push_str(fake.as_deref().unwrap_or(token));
            kept_to = end;
        }
        scrubbed.push_str(&value[kept_to..]);
        Ok(Some(scrubbed))
    }
}

impl Scrub {
    /// The tokens of `value` in order, as byte ranges, each with the rule that replaces it
    /// (`None`: its kind is not scrubbed): e-mail addresses first, then the numbers that stand
    /// alone outside them — card numbers, IP addresses (not French phone numbers written
    /// `40.32.21.21`), phone numbers; other numbers are no token.
    fn tokens(&self, value: &str) -> Vec<(usize, usize, Option<&CompiledRule>)> {
        let mut found: Vec<(usize, usize, Option<&CompiledRule>)> = EMAILS
            .find_iter(value)
            .map(|email| (email.start(), email.end(), self.email.as_ref()))
            .collect();
        let emails = found.clone();
        let outside_emails =
            |start: usize, end: usize| emails.iter().all(|(s, e, _)| end <= *s || start >= *e);
        for (start, end) in tokens::numbers(value.as_bytes()) {
            let number = &value[start..end];
            let rule = if tokens::is_card(number) {
                self.card.as_ref()
            } else if is_ipv4(number) {
                self.ip.as_ref()
            } else if tokens::is_phone(number) {
                self.phone.as_ref()
            } else {
                continue;
            };
            if outside_emails(start, end) {
                found.push((start, end, rule));
            }
        }
        found.sort_by_key(|(start, _, _)| *start);
        found
    }
}

/// An IPv4 address, not a French phone number.
fn is_ipv4(number: &str) -> bool {
    number.parse::<std::net::Ipv4Addr>().is_ok() && !tokens::is_dotted_phone(number)
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
    fn phones_in_national_formats_keep_their_shape() {
        let input = "fax 030-0076545, tél. 40.32.21.21, call (5) 555-4729 or 192.168.1.2; id ch_9c725a9931471932909af18e, ratio 0.3333333333333333";
        let output = apply("\"scrub\"", Some(input)).expect("text");
        for secret in ["030-0076545", "40.32.21.21", "555-4729", "192.168.1.2"] {
            assert!(!output.contains(secret), "{output}");
        }
        let shape = |text: &str| -> String {
            text.chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect()
        };
        let prefix = "fax ###-#######, tél. ##.##.##.##, call (#) ###-####";
        assert!(shape(&output).starts_with(prefix), "{output}");
        assert!(
            output.ends_with("; id ch_9c725a9931471932909af18e, ratio 0.3333333333333333"),
            "{output}"
        );
        assert_eq!(output.matches('(').count(), output.matches(')').count());
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
