//! What a sample of a column's values shows: values that are, as a whole, e-mail addresses,
//! card numbers, phone numbers or IP addresses; or text with them inside. Only tokens that
//! stand alone count ([`super::tokens`]).

use std::sync::LazyLock;

use regex::Regex;

use super::Kind;
use super::tokens::{self, EMAIL};

/// Share of sampled values (percent) that must be of one kind for the column to be of it.
const WHOLE_SHARE: usize = 50;
/// Share of sampled values (percent) with a phone number inside that makes a column free
/// text: one stray number is an order number more often than a phone.
const PHONES_INSIDE_SHARE: usize = 10;

static WHOLE_EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{EMAIL}$")).expect("regex"));

/// A kind a value can be as a whole: the kind, how to say it, whether it is told by shape
/// alone, and the test.
type WholeTest<'a> = (Kind, &'a str, bool, &'a dyn Fn(&str) -> bool);

/// What the sample shows, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub kind: Kind,
    pub why: String,
    /// Told by shape alone (phone or IP shapes), which a look-alike name outweighs: an
    /// account number written in groups of digits is no phone number.
    pub by_shape: bool,
}

/// What `values` (a sample of one column, as text) show, if anything personal.
pub fn classify(values: &[String]) -> Option<Shown> {
    if values.is_empty() {
        return None;
    }
    let total = values.len();
    let share = |test: &dyn Fn(&str) -> bool| {
        values.iter().filter(|value| test(value.trim())).count() * 100 / total
    };
    let wholes: [WholeTest; 4] = [
        (Kind::Email, "are e-mail addresses", false, &|v| {
            WHOLE_EMAIL.is_match(v)
        }),
        (Kind::Card, "are card numbers", false, &tokens::is_card),
        (Kind::Phone, "are phone numbers", true, &tokens::is_phone),
        (Kind::Ip, "are IP addresses", true, &is_ip),
    ];
    for (kind, what, by_shape, test) in wholes {
        let percent = share(test);
        if percent >= WHOLE_SHARE {
            return Some(Shown {
                kind,
                why: format!("{percent}% of {total} sampled values {what}"),
                by_shape,
            });
        }
    }
    let emails = share(&|v| tokens::emails(v.as_bytes()).next().is_some());
    let cards = share(&|v| numbers_of(v).any(tokens::is_card));
    let phones = share(&|v| numbers_of(v).any(tokens::is_phone));
    let inside =
        |percent: usize, what: &str| format!("{percent}% of {total} sampled values contain {what}");
    if emails > 0 || cards > 0 {
        let why = if emails > 0 {
            inside(emails, "e-mail addresses")
        } else {
            inside(cards, "card numbers")
        };
        return Some(Shown {
            kind: Kind::FreeText,
            why,
            by_shape: false,
        });
    }
    (phones >= PHONES_INSIDE_SHARE).then(|| Shown {
        kind: Kind::FreeText,
        why: inside(phones, "phone numbers"),
        by_shape: true,
    })
}

/// The numbers of `value` that stand alone.
fn numbers_of(value: &str) -> impl Iterator<Item = &str> {
    tokens::numbers(value.as_bytes()).map(move |(start, end)| &value[start..end])
}

/// An IPv4 or IPv6 address (with an optional prefix length), not a French phone number.
fn is_ip(value: &str) -> bool {
    let address = value.split_once('/').map_or(value, |(address, _)| address);
    address.parse::<std::net::IpAddr>().is_ok() && !tokens::is_dotted_phone(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    fn kind(values: &[&str]) -> Option<Kind> {
        classify(&sample(values)).map(|shown| shown.kind)
    }

    #[test]
    fn whole_values_tell_their_kind() {
        assert_eq!(
            kind(&["josé1@exämple.com", "ann@example.org"]),
            Some(Kind::Email)
        );
        assert_eq!(
            kind(&["030-0076545", "0621-08924", "(5) 555-4729"]),
            Some(Kind::Phone)
        );
        assert_eq!(kind(&["40.32.21.21", "88.60.15.31"]), Some(Kind::Phone));
        assert_eq!(kind(&["10.0.0.1", "2001:db8::1"]), Some(Kind::Ip));
        assert_eq!(
            kind(&["4242 4242 4242 4242", "4000056655665556"]),
            Some(Kind::Card)
        );
    }

    #[test]
    fn text_with_tokens_inside_is_free_text() {
        assert_eq!(
            kind(&["call me on +44 20 7946 0958", "fine"]),
            Some(Kind::FreeText)
        );
        assert_eq!(
            kind(&["{\"by\": \"ann@example.org\"}"]),
            Some(Kind::FreeText)
        );
    }

    #[test]
    fn numbers_that_do_not_stand_alone_are_nothing() {
        assert_eq!(
            kind(&[
                "{0.3333333333333333,0.6666666666666666}",
                "ch_9c725a9931471932909af18e",
                "k:66807179194978baee",
                "order 12345 shipped 2024-01-05",
                "v1.2.3",
            ]),
            None
        );
    }
}
