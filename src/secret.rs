//! Secrets in URLs: a URL that may hold a password prints redacted, everywhere.
//!
//! Every URL restage is given is wrapped in a [`SecretUrl`] as soon as it is read, so that
//! no message, log line or report can show its password.

use std::fmt;
use std::sync::{Mutex, PoisonError};

/// Every secret this process has seen (passwords of URLs, the anonymization key, AWS secrets,
/// webhook paths), to scrub from what other programs print ([`scrub`]).
static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Secrets shorter than this are not scrubbed: replacing every `ab` of a hook's output would
/// hide everything and protect nothing.
const MIN_SCRUBBED: usize = 4;

/// An http(s) URL path (or its end) longer than this holds a token.
const WEBHOOK_PATH: usize = 16;

/// Remembers `secret` (and its percent-encoded and -decoded forms) for [`scrub`].
pub fn remember(secret: &str) {
    if secret.len() < MIN_SCRUBBED {
        return;
    }
    let encoded: String =
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>();
    let decoded = percent_decoded(secret);
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    for form in [
        secret.to_owned(),
        encoded.replace('+', "%20"),
        encoded,
        decoded,
    ] {
        if form.len() >= MIN_SCRUBBED && !known.contains(&form) {
            known.push(form);
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    known.sort_by_key(|form| std::cmp::Reverse(form.len()));
}

/// `text` with every secret restage knows replaced by `***`.
pub fn scrub(text: &str) -> String {
    let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    let mut text = text.to_owned();
    for secret in known.iter() {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "***");
        }
    }
    text
}

/// `document` with every string scrubbed ([`scrub`]).
pub fn scrub_json(document: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match document {
        Value::String(text) => Value::String(scrub(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(scrub_json).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, scrub_json(value)))
                .collect(),
        ),
        other => other,
    }
}

/// Remembers the secrets of restage's own environment: the values of variables whose name
/// says they are secret (`*_KEY`, `*_SECRET*`, `*_TOKEN`, `*PASSWORD*`), and the passwords and
/// secret parameters of every URL in it.
pub fn remember_environment() {
    for (name, value) in std::env::vars() {
        let name = name.to_ascii_uppercase();
        let secret_name = name.contains("PASSWORD")
            || name
                .split('_')
                .any(|part| ["KEY", "SECRET", "TOKEN", "PASSWD", "CREDENTIALS"].contains(&part));
        if secret_name {
            remember(&value);
        }
        remember_url_secrets(&value);
    }
}

/// Remembers the password and secret query parameters of `raw` when it is a URL, and the
/// path of an http(s) URL (a webhook's token lives there).
fn remember_url_secrets(raw: &str) {
    let Ok(url) = url::Url::parse(raw) else {
        return;
    };
    if let Some(password) = url.password() {
        remember(password);
    }
    for (key, value) in url.query_pairs() {
        if is_secret_param(&key) {
            remember(&value);
        }
    }
    // A webhook's path is its token (Slack's `/services/T…/B…/<secret>`): the path from
    // each segment on, where it is long enough to be one; a short path is a route.
    if matches!(url.scheme(), "http" | "https") {
        let path = url.path().trim_start_matches('/');
        let suffixes =
            std::iter::once(path).chain(path.match_indices('/').map(|(at, _)| &path[at + 1..]));
        for suffix in suffixes.filter(|suffix| suffix.len() > WEBHOOK_PATH) {
            remember(suffix);
        }
        if let Some(query) = url.query() {
            remember(query);
        }
    }
}

fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

/// Anonymization keys shorter than this are refused: the fakes of a short key can be
/// recomputed by guessing it.
pub const MIN_KEY_BYTES: usize = 16;

/// A URL that may hold a password: `Display` and `Debug` show it redacted,
/// only [`SecretUrl::expose`] gives the real one (to hand to a driver).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    raw: String,
}

impl SecretUrl {
    /// Wraps a URL as given by the user.
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        remember_url_secrets(&raw);
        SecretUrl { raw }
    }

    /// The URL with its password, for drivers only; never print it.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// `https://hooks.slack.com/…`: only the scheme and host, for URLs whose path is the
    /// secret (webhooks).
    pub fn redacted_host(&self) -> String {
        match url::Url::parse(&self.raw) {
            Ok(url) if url.has_host() => format!(
                "{}://{}{}/…",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.port()
                    .map(|port| format!(":{port}"))
                    .unwrap_or_default()
            ),
            _ => redact(&self.raw),
        }
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.raw))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({self})")
    }
}

/// Query parameters that carry secrets in libpq and Redis URLs.
const SECRET_PARAMS: &[&str] = &["password", "sslpassword", "pass", "token", "secret"];

/// Replaces the password and secret query parameters of a URL by `***`.
/// A string that is not a URL keeps only what stands before `://`.
pub fn redact(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return match raw.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".to_owned(),
        };
    };
    if url.password().is_some() {
        // Cannot fail: the URL has a password, so it can have one.
        let _ = url.set_password(Some("***"));
    }
    if url.query_pairs().any(|(key, _)| is_secret_param(&key)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if is_secret_param(&key) {
                    "***".into()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

fn is_secret_param(key: &str) -> bool {
    SECRET_PARAMS
        .iter()
        .any(|secret| key.eq_ignore_ascii_case(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_secret_it_was_shown_in_every_form() {
        let _url = SecretUrl::new("postgres://app:p%40ss%2Fw0rd@db/x");
        let _webhook = SecretUrl::new("https://hooks.example.com/services/T0/B0/XyZsecretpath");
        remember("a key with spaces & more");
        let printed = "pw p@ss/w0rd enc p%40ss%2Fw0rd at services/T0/B0/XyZsecretpath \
                       key a key with spaces & more / a+key+with+spaces+%26+more";
        assert_eq!(scrub(printed), "pw *** enc *** at *** key *** / ***");
        assert_eq!(scrub("ab ab"), "ab ab");
    }

    #[test]
    fn redacts_passwords_and_secret_parameters() {
        let cases = [
            (
                "postgres://app:s3cret@db:5432/x",
                "postgres://app:***@db:5432/x",
            ),
            (
                "postgres://db/x?sslmode=require&password=p",
                "postgres://db/x?sslmode=require&password=***",
            ),
            ("redis://:hunter2@cache:6379/1", "redis://:***@cache:6379/1"),
            ("postgres://app@db/x", "postgres://app@db/x"),
            ("postgres://app:pw@[bad", "postgres://***"),
        ];
        for (raw, expected) in cases {
            assert_eq!(redact(raw), expected, "{raw}");
        }
    }

    #[test]
    fn a_webhook_shows_only_its_host() {
        let cases = [
            (
                "https://hooks.slack.com/services/T0/B0/XyZsecret",
                "https://hooks.slack.com/…",
            ),
            (
                "http://127.0.0.1:8080/hook?token=t",
                "http://127.0.0.1:8080/…",
            ),
            ("not a url", "***"),
        ];
        for (raw, expected) in cases {
            assert_eq!(SecretUrl::new(raw).redacted_host(), expected, "{raw}");
        }
    }
}
