//! The shapes of personal-data tokens inside text: one definition for detection (the
//! content of sampled values), the `scrub` transformer and verification's token scan
//! (`pipeline::leaks`, which finds them by scans of its own, [`emails`] among them).
//!
//! A number counts only where it stands alone ([`stands_alone`]): never digits inside a hex
//! string, an identifier, a decimal or a longer number.

use std::sync::LazyLock;

use regex::Regex;

/// An e-mail address; any character beyond ASCII counts as a letter (`josé@exämple.com`).
pub const EMAIL: &str = r"[A-Za-z0-9._%+\-[^\x00-\x7F]]+@[A-Za-z0-9\-[^\x00-\x7F]]+(?:\.[A-Za-z0-9\-[^\x00-\x7F]]+)*\.[A-Za-z[^\x00-\x7F]]{2,}";

/// A run of 13 to 19 digits, optionally grouped by spaces or dashes: a card number when it
/// passes the Luhn check and stands alone.
pub const CARD: &str = r"\b[0-9](?:[ -]?[0-9]){12,18}\b";

/// Whether the number at `text[start..end]` stands alone: no letter, digit, `_` or non-ASCII
/// character touches it (an escape such as `\n` before it does not count), and no `.` or `,`
/// joins it to more digits (a decimal, a version).
pub fn stands_alone(text: &[u8], start: usize, end: usize) -> bool {
    let joins = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80;
    // An escape (`\n` in COPY text or JSON) ends what is before it.
    let escaped = start >= 2 && text[start - 2] == b'\\';
    let before = start.checked_sub(1).map(|i| text[i]).filter(|_| !escaped);
    let after = text.get(end).copied();
    let decimal_before =
        matches!(before, Some(b'.' | b',')) && start >= 2 && text[start - 2].is_ascii_digit();
    let decimal_after =
        matches!(after, Some(b'.' | b',')) && text.get(end + 1).is_some_and(u8::is_ascii_digit);
    !before.is_some_and(joins) && !after.is_some_and(joins) && !decimal_before && !decimal_after
}

/// Whether the digits and separators of `number` are a decimal or a list of numbers rather
/// than one grouped number: a single `.` or `,` between digits (`0.3333333333333333`).
pub fn is_decimal(number: &[u8]) -> bool {
    let marks = number
        .iter()
        .filter(|byte| matches!(byte, b'.' | b','))
        .count();
    marks == 1
        && number
            .iter()
            .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b','))
}

/// An extension after a phone number: `x123`, ` ext. 45`, `#7`.
static EXTENSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(?:x|ext\.?|extension|#)\s*[0-9]{1,6}$").expect("regex"));

/// Whether `text`, as a whole, is written as a phone number, in any common national or
/// international format: 7 to 15 digits, a leading `+` or at least two groups (separated by
/// spaces, dots, dashes or slashes, or an area code in parentheses), an optional extension;
/// never a date, a thousands-grouped amount or an IP address.
pub fn is_phone(text: &str) -> bool {
    let text = text.trim();
    let number = match EXTENSION.find(text) {
        Some(extension) if extension.start() > 0 => &text[..extension.start()],
        _ => text,
    };
    phone_groups(number).is_some_and(|groups| groups.plausible())
}

/// The digit groups of a number written as phone numbers are, and how they are separated.
struct Groups {
    plus: bool,
    lengths: Vec<usize>,
    separators: Vec<u8>,
}

/// `number` read as groups of digits, if it is made of nothing else: an optional `+`, one
/// pair of parentheses around digits, single separators between groups.
fn phone_groups(number: &str) -> Option<Groups> {
    let bytes = number.as_bytes();
    let plus = bytes.first() == Some(&b'+');
    let mut groups = Groups {
        plus,
        lengths: Vec::new(),
        separators: Vec::new(),
    };
    let mut run = 0;
    let mut open = false;
    let mut separated = true;
    for &byte in &bytes[usize::from(plus)..] {
        match byte {
            b'0'..=b'9' => {
                run += 1;
                separated = false;
            }
            b'(' if !open && run == 0 => open = true,
            b')' if open && run > 0 => {
                open = false;
                groups.lengths.push(std::mem::take(&mut run));
                groups.separators.push(b')');
                separated = true;
            }
            b' ' | b'.' | b'-' | b'/' if run > 0 => {
                groups.lengths.push(std::mem::take(&mut run));
                groups.separators.push(byte);
                separated = true;
            }
            b' ' if separated && !groups.lengths.is_empty() => {}
            _ => return None,
        }
    }
    if open || run == 0 {
        return None;
    }
    groups.lengths.push(run);
    Some(groups)
}

impl Groups {
    fn plausible(&self) -> bool {
        let digits: usize = self.lengths.iter().sum();
        let lengths = self.lengths.as_slice();
        let dotted = !self.separators.is_empty() && self.separators.iter().all(|s| *s == b'.');
        let day_or_month = |n: &usize| (1..=2).contains(n);
        // A date, or a date and a time: 2024-01-05, 05.01.2024 12.
        let date = !self.plus
            && matches!(self.separators.as_slice(), [a, b, ..] if a == b && b"-/.".contains(a))
            && matches!(lengths, [4, b, c, ..] | [b, c, 4, ..] if day_or_month(b) && day_or_month(c));
        let thousands = lengths.len() > 1
            && !self.plus
            && lengths[0] <= 3
            && lengths[1..].iter().all(|n| *n == 3)
            && self.separators.iter().all(|s| matches!(s, b'.' | b','));
        // An IP address, unless every group has two digits: French numbers (40.32.21.21).
        let ip = dotted
            && lengths.len() == 4
            && lengths.iter().all(|n| *n <= 3)
            && !lengths.iter().all(|n| *n == 2);
        (7..=15).contains(&digits)
            && (self.plus || lengths.len() >= 2)
            && !date
            && !thousands
            && !ip
    }
}

/// Whether a dotted quad is written as a French phone number (`40.32.21.21`), not an IP.
pub fn is_dotted_phone(text: &str) -> bool {
    let groups: Vec<&str> = text.split('.').collect();
    groups.len() == 4 && groups.iter().all(|group| group.len() == 2)
}

/// The numbers of `text` that stand alone: runs of digits grouped by spaces, dots, dashes,
/// slashes or parentheses, each with its leading `+` or `(` (and a closing `)` that it
/// opened), as byte ranges; decimals left out.
pub fn numbers(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut position = 0;
    std::iter::from_fn(move || {
        loop {
            let start = position + text[position..].iter().position(u8::is_ascii_digit)?;
            let mut end = start;
            let mut last_digit = start;
            while end < text.len() && (text[end].is_ascii_digit() || b" ().-/".contains(&text[end]))
            {
                if text[end].is_ascii_digit() {
                    last_digit = end;
                }
                end += 1;
            }
            position = last_digit + 1;
            let mut first = start;
            while first > 0 && matches!(text[first - 1], b'+' | b'(') {
                first -= 1;
            }
            let mut last = last_digit + 1;
            let opened = text[first..last].iter().filter(|b| **b == b'(').count();
            let closed = text[first..last].iter().filter(|b| **b == b')').count();
            if opened > closed && text.get(last) == Some(&b')') {
                last += 1;
            }
            if stands_alone(text, first, last) && !is_decimal(&text[first..last]) {
                return Some((first, last));
            }
        }
    })
}

/// Whether `number` (digits grouped by spaces or dashes at most) is a card number: 13 to 19
/// digits that a card scheme could issue ([`crate::luhn::is_card_number`]).
pub fn is_card(number: &str) -> bool {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    number
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        && (13..=19).contains(&digits.len())
        && crate::luhn::is_card_number(&digits)
}

/// The matches of [`EMAIL`] in `text`, exactly as the regular expression finds them (leftmost
/// first, greedy, without overlaps). Hand-written because the token scan runs it on every
/// value of every text column: it looks only around each `@`.
pub fn emails(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let is_local =
        |byte: u8| byte.is_ascii_alphanumeric() || byte >= 0x80 || b"._%+-".contains(&byte);
    let is_label = |byte: u8| byte.is_ascii_alphanumeric() || byte >= 0x80 || byte == b'-';
    // Where the next match may start: the end of the last one.
    let mut from = 0;
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(offset) = memchr::memchr(b'@', &text[at..]) {
            let sign = at + offset;
            at = sign + 1;
            let start = (from..sign).rev().take_while(|&i| is_local(text[i])).last();
            let Some(start) = start else { continue };
            if let Some(end) = domain_end(text, sign + 1, is_label) {
                from = end;
                at = end;
                return Some(&text[start..end]);
            }
        }
        None
    })
}

/// Where the domain of an address starting at `begin` ends: its labels (`[A-Za-z0-9-]+`
/// separated by dots), the last one consumed only as far as the two or more letters it
/// starts with (a character beyond ASCII counts as one letter) — the longest such domain, as
/// the regex's greedy repetition backtracks.
fn domain_end(text: &[u8], begin: usize, is_label: impl Fn(u8) -> bool) -> Option<usize> {
    let label_end = |from: usize| from + text[from..].iter().take_while(|&&b| is_label(b)).count();
    let first = label_end(begin);
    if first == begin {
        return None;
    }
    let mut best = None;
    let mut end = first;
    while text.get(end) == Some(&b'.') {
        let bytes = text[end + 1..]
            .iter()
            .take_while(|byte| byte.is_ascii_alphabetic() || **byte >= 0x80)
            .count();
        // Characters, not bytes: a UTF-8 continuation byte (10xxxxxx) starts none.
        let letters = text[end + 1..end + 1 + bytes]
            .iter()
            .filter(|byte| (**byte & 0xC0) != 0x80)
            .count();
        if letters >= 2 {
            best = Some(end + 1 + bytes);
        }
        let next = label_end(end + 1);
        if next == end + 1 {
            break;
        }
        end = next;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::bytes::Regex;

    fn by_regex(text: &[u8]) -> Vec<Vec<u8>> {
        let regex = Regex::new(EMAIL).expect("pattern");
        regex
            .find_iter(text)
            .map(|m| m.as_bytes().to_vec())
            .collect()
    }

    #[test]
    fn finds_what_the_pattern_finds() {
        for text in [
            "mail Ann.Lee+x@Mail.Example.co.uk, or bob@b.c0m.uk2 now",
            "a@b.com.x@c.org",
            "x@foo.b@bar.com",
            "a@@b.com @c.de d@ e@.fr f@g..hi j@k.l",
            "ünï@mail.example 名前@例え.jp josé1@exämple.com a@b.é a@b.éé",
        ] {
            let found: Vec<Vec<u8>> = emails(text.as_bytes()).map(<[u8]>::to_vec).collect();
            assert_eq!(found, by_regex(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn phones_in_every_common_format() {
        for phone in [
            "030-0076545",
            "0621-08924",
            "(5) 555-4729",
            "(171) 555-1212",
            "+44 20 7946 0958",
            "+442079460958",
            "40.32.21.21",
            "555.123.4567",
            "089-0877310",
            "(030) 123 45 67",
            "+49 (0)30 1234567",
            "0241-039123 x45",
            "555-0100 ext. 12",
            "011 44 20 7946 0958",
        ] {
            assert!(is_phone(phone), "{phone}");
        }
        for other in [
            "2024-01-05",
            "05.01.2024",
            "2024-01-05 12345",
            "1.234.567",
            "192.168.1.20",
            "12345",
            "4242424242424242",
            "0.3333333333333333",
            "12 apples",
            "1234567",
            "(555 123",
        ] {
            assert!(!is_phone(other), "{other}");
        }
    }

    #[test]
    fn numbers_stand_alone_or_do_not_count() {
        let found = |text: &str| -> Vec<String> {
            numbers(text.as_bytes())
                .map(|(start, end)| text[start..end].to_owned())
                .collect()
        };
        assert_eq!(found("call (030) 123-4567 now"), ["(030) 123-4567"]);
        assert_eq!(
            found("ch_9c725a9931471932909af18e k:66807179194978baee"),
            Vec::<String>::new()
        );
        assert_eq!(found("{0.3333333333333333,0.25}"), Vec::<String>::new());
        assert_eq!(found("card 4242 4242 4242 4242."), ["4242 4242 4242 4242"]);
        assert_eq!(found(r"line\n+44 20 7946 0958"), ["+44 20 7946 0958"]);
        assert!(is_card("4242-4242-4242-4242"));
        assert!(!is_card("4242.4242.4242.4242"));
        assert!(is_decimal(b"0.3333333333333333"));
        assert!(!is_decimal(b"40.32.21.21"));
    }

    proptest! {
        #[test]
        fn agrees_with_the_pattern_on_any_text(text in "[a-c1.@_+ -]{0,40}") {
            let found: Vec<Vec<u8>> = emails(text.as_bytes()).map(<[u8]>::to_vec).collect();
            prop_assert_eq!(found, by_regex(text.as_bytes()));
        }
    }
}
