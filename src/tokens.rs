//! The shapes of personal-data tokens inside text, as regular expressions: one definition for
//! the detection of uncovered columns (`pii`), the `scrub` transformer and verification's
//! token scan.

/// An e-mail address.
pub const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";

/// A run of 13 to 19 digits, optionally grouped by spaces or dashes: a card number when it
/// passes the Luhn check.
pub const CARD: &str = r"\b[0-9](?:[ -]?[0-9]){12,18}\b";

/// A phone number: digits grouped by spaces, dashes, dots or parentheses, optionally with a
/// leading `+` and country code. Dates match it too; users of it count the digits.
pub const PHONE: &str = r"\+?\(?[0-9][0-9 ().-]{6,}[0-9]";
