//! The shapes of personal-data tokens inside text, as regular expressions: one definition for
//! the detection of uncovered columns (`pii`), the `scrub` transformer and verification's
//! token scan (`pipeline::leaks`, which finds them by scans of its own, [`emails`] among them).

/// An e-mail address.
pub const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";

/// A run of 13 to 19 digits, optionally grouped by spaces or dashes: a card number when it
/// passes the Luhn check.
pub const CARD: &str = r"\b[0-9](?:[ -]?[0-9]){12,18}\b";

/// The matches of [`EMAIL`] in `text`, exactly as the regular expression finds them (leftmost
/// first, greedy, without overlaps). Hand-written because the token scan runs it on every
/// value of every text column: it looks only around each `@`.
pub fn emails(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let is_local = |byte: u8| byte.is_ascii_alphanumeric() || b"._%+-".contains(&byte);
    let is_label = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-';
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
/// starts with — the longest such domain, as the regex's greedy repetition backtracks.
fn domain_end(text: &[u8], begin: usize, is_label: impl Fn(u8) -> bool) -> Option<usize> {
    let label_end = |from: usize| from + text[from..].iter().take_while(|&&b| is_label(b)).count();
    let first = label_end(begin);
    if first == begin {
        return None;
    }
    let mut best = None;
    let mut end = first;
    while text.get(end) == Some(&b'.') {
        let letters = text[end + 1..]
            .iter()
            .take_while(|byte| byte.is_ascii_alphabetic())
            .count();
        if letters >= 2 {
            best = Some(end + 1 + letters);
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
            "ünï@mail.example 名前@例え.jp",
        ] {
            let found: Vec<Vec<u8>> = emails(text.as_bytes()).map(<[u8]>::to_vec).collect();
            assert_eq!(found, by_regex(text.as_bytes()), "{text}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_pattern_on_any_text(text in "[a-c1.@_+ -]{0,40}") {
            let found: Vec<Vec<u8>> = emails(text.as_bytes()).map(<[u8]>::to_vec).collect();
            prop_assert_eq!(found, by_regex(text.as_bytes()));
        }
    }
}
