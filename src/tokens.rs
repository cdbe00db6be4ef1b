//! The shapes of personal-data tokens inside text, as regular expressions: one definition for
//! the detection of uncovered columns (`pii`), the `scrub` transformer and verification's
//! token scan (`pipeline::leaks`, which finds phone and card numbers by a scan of its own).

/// An e-mail address.
pub const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";

/// A run of 13 to 19 digits, optionally grouped by spaces or dashes: a card number when it
/// passes the Luhn check.
pub const CARD: &str = r"\b[0-9](?:[ -]?[0-9]){12,18}\b";
