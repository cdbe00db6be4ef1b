//! Column and table names as words: `billing_city`, `BillingCity` and `billingcity` are all
//! "billing city"; `addressLine1` is "address line 1"; `notes` is "note".

use std::collections::HashSet;

/// The words of `name`, lower-cased and singular: split at every character that is not a
/// letter or digit, at camelCase boundaries, between letters and digits (unless the whole
/// is a known word: `ipv4`), and a run-together word into known words when it is made of
/// nothing else (`shiptoaddressid`); an unknown word stays whole.
pub fn words_of(name: &str, lexicon: &HashSet<String>) -> Vec<String> {
    let mut words = Vec::new();
    for token in camel_tokens(name) {
        let lower = token.to_lowercase();
        if lexicon.contains(&singular(&lower)) {
            words.push(singular(&lower));
            continue;
        }
        for part in letter_digit_parts(&lower) {
            if part.starts_with(|c: char| c.is_ascii_digit()) {
                words.push(part.to_owned());
            } else {
                words.extend(split_run_together(part, lexicon));
            }
        }
    }
    words
}

/// The singular of an English plural, as far as names need it: `addresses` → `address`,
/// `cities` → `city`, `notes` → `note`; `status` and `address` stay.
pub fn singular(word: &str) -> String {
    let n = word.len();
    if n > 4 && word.ends_with("ies") {
        format!("{}y", &word[..n - 3])
    } else if n > 4
        && ["sses", "shes", "ches", "xes", "uses"]
            .iter()
            .any(|end| word.ends_with(end))
    {
        word[..n - 2].to_owned()
    } else if n > 3
        && word.ends_with('s')
        && !["ss", "us", "is"].iter().any(|end| word.ends_with(end))
    {
        word[..n - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// Pieces of `name` split at non-alphanumerics and at camelCase boundaries (`IPAddress` →
/// `IP`, `Address`).
fn camel_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for piece in name.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = piece.chars().collect();
        let mut current = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = i > 0
                && c.is_uppercase()
                && (chars[i - 1].is_lowercase()
                    || chars.get(i + 1).is_some_and(|next| next.is_lowercase())
                        && chars[i - 1].is_uppercase());
            if boundary && !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        if !current.is_empty() {
            tokens.push(current);
        }
    }
    tokens
}

/// `address1` → `address`, `1`.
fn letter_digit_parts(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = word.char_indices().collect();
    for window in bytes.windows(2) {
        let ((_, a), (at, b)) = (window[0], window[1]);
        if a.is_ascii_digit() != b.is_ascii_digit() {
            parts.push(&word[start..at]);
            start = at;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// `word` as the fewest known words (each of two letters or more) that make it up, or whole
/// when it cannot be made of known words alone.
fn split_run_together(word: &str, lexicon: &HashSet<String>) -> Vec<String> {
    let known = |piece: &str| lexicon.contains(&singular(piece));
    if known(word) || !word.is_ascii() {
        return vec![singular(word)];
    }
    let n = word.len();
    // best[i]: the fewest pieces that make up word[..i], and where the last one starts.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 2..=n {
        for start in 0..=end - 2 {
            if let Some((pieces, _)) = best[start]
                && known(&word[start..end])
                && best[end].is_none_or(|(fewest, _)| pieces + 1 < fewest)
            {
                best[end] = Some((pieces + 1, start));
            }
        }
    }
    if best[n].is_none() {
        return vec![singular(word)];
    }
    let mut pieces = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end].expect("a segmentation reaches every cut it names");
        pieces.push(singular(&word[start..end]));
        end = start;
    }
    pieces.reverse();
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> HashSet<String> {
        [
            "address", "line", "ship", "to", "id", "email", "phone", "number", "type", "first",
            "name", "billing", "city", "national", "ip", "ipv4", "user",
        ]
        .iter()
        .map(|word| (*word).to_owned())
        .collect()
    }

    #[test]
    fn splits_every_way_names_are_written() {
        let lexicon = lexicon();
        let cases: &[(&str, &[&str])] = &[
            ("billing_city", &["billing", "city"]),
            ("BillingCity", &["billing", "city"]),
            ("billingcity", &["billing", "city"]),
            ("addressLine1", &["address", "line", "1"]),
            ("addressline2", &["address", "line", "2"]),
            ("shiptoaddressid", &["ship", "to", "address", "id"]),
            ("IPAddress", &["ip", "address"]),
            ("ipv4", &["ipv4"]),
            ("phonenumbertypeid", &["phone", "number", "type", "id"]),
            ("emailpromotion", &["emailpromotion"]),
            ("Notes", &["note"]),
            ("addresses", &["address"]),
            ("status", &["status"]),
            ("hotel", &["hotel"]),
            ("straße", &["straße"]),
        ];
        for (name, expected) in cases {
            assert_eq!(words_of(name, &lexicon), *expected, "{name}");
        }
    }
}
