//! keep, null, constant, hash, mask, regex, template, password.

use std::sync::OnceLock;

use crate::anonymize::{
    BuildContext, Definition, OptionKind, OptionSpec, Options, TransformError, Transformer,
    ValueContext,
};
use crate::catalog::TypeCategory;
use crate::password::{HashFormat, hash_as};

const TEXT: &[TypeCategory] = &[TypeCategory::Text];

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        name: "keep",
        summary: "leave the value as it is (an explicit decision that the column is not personal data)",
        options: &[],
        accepts: &[],
        unique_safe: true,
        example: "nickname = \"keep\"",
        rewrites_parts: false,
        build: |_, _, _| Ok(Box::new(Keep)),
    },
    Definition {
        name: "null",
        summary: "replace by NULL",
        options: &[],
        accepts: &[],
        unique_safe: true,
        example: "fax = \"null\"",
        rewrites_parts: false,
        build: |_, _, _| Ok(Box::new(Constant(None))),
    },
    Definition {
        name: "constant",
        summary: "replace by one fixed value",
        options: &[OptionSpec {
            name: "value",
            kind: OptionKind::String,
            summary: "the value (PostgreSQL text form)",
        }],
        accepts: &[],
        unique_safe: false,
        example: "notes = { transform = \"constant\", value = \"redacted\" }",
        rewrites_parts: false,
        build: |_, options, _| {
            Ok(Box::new(Constant(Some(
                options.required_string("value")?.to_owned(),
            ))))
        },
    },
    Definition {
        name: "hash",
        summary: "keyed hex digest of the value (irreversible without the key; equal in, equal out)",
        options: &[OptionSpec {
            name: "length",
            kind: OptionKind::Integer,
            summary: "hex characters, 8-64 (default 32)",
        }],
        accepts: TEXT,
        unique_safe: true,
        example: "external_id = { transform = \"hash\", length = 16 }",
        rewrites_parts: false,
        build: build_hash,
    },
    Definition {
        name: "mask",
        summary: "replace characters by a mask character, keeping the first and last few",
        options: &[
            OptionSpec {
                name: "keep_first",
                kind: OptionKind::Integer,
                summary: "characters kept at the start (default 0)",
            },
            OptionSpec {
                name: "keep_last",
                kind: OptionKind::Integer,
                summary: "characters kept at the end (default 0)",
            },
            OptionSpec {
                name: "char",
                kind: OptionKind::String,
                summary: "the mask character (default *)",
            },
        ],
        accepts: TEXT,
        unique_safe: false,
        example: "iban = { transform = \"mask\", keep_first = 4, keep_last = 2, char = \"*\" }",
        rewrites_parts: false,
        build: build_mask,
    },
    Definition {
        name: "regex",
        summary: "replace what a regular expression matches ($1 for groups)",
        options: &[
            OptionSpec {
                name: "pattern",
                kind: OptionKind::String,
                summary: "the regular expression (Rust regex syntax)",
            },
            OptionSpec {
                name: "replacement",
                kind: OptionKind::String,
                summary: "the replacement",
            },
        ],
        accepts: TEXT,
        unique_safe: false,
        example: "ticket = { transform = \"regex\", pattern = \"[0-9]{6}\", replacement = \"000000\" }",
        rewrites_parts: true,
        build: build_regex,
    },
    Definition {
        name: "template",
        summary: "build the value from other columns of the same row: \"user{id}@example.com\"",
        options: &[OptionSpec {
            name: "template",
            kind: OptionKind::String,
            summary: "text with {column} placeholders",
        }],
        accepts: TEXT,
        unique_safe: false,
        example: "login = { transform = \"template\", template = \"user{id}@example.com\" }",
        rewrites_parts: false,
        build: build_template,
    },
    Definition {
        name: "password",
        summary: "one known staging password, hashed in the format of the hash it replaces",
        options: &[
            OptionSpec {
                name: "hash",
                kind: OptionKind::String,
                summary: "the hash to store as is",
            },
            OptionSpec {
                name: "password",
                kind: OptionKind::String,
                summary: "the staging password to hash (default staging-password)",
            },
            OptionSpec {
                name: "format",
                kind: OptionKind::String,
                summary: "auto (default: the format of each replaced hash, argon2id when \
                          unknown), argon2id, bcrypt, bcrypt-2y, pbkdf2-sha256, scrypt or \
                          werkzeug-pbkdf2-sha256",
            },
        ],
        accepts: TEXT,
        unique_safe: false,
        example: "password_hash = { transform = \"password\", password = \"staging-password\" }",
        rewrites_parts: false,
        build: build_password,
    },
];

/// The value unchanged.
#[derive(Debug)]
pub struct Keep;

impl Transformer for Keep {
    fn transform(
        &self,
        value: &str,
        _: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        Ok(Some(value.to_owned()))
    }
}

#[derive(Debug)]
struct Constant(Option<String>);

impl Transformer for Constant {
    fn transform(&self, _: &str, _: &ValueContext<'_>) -> Result<Option<String>, TransformError> {
        Ok(self.0.clone())
    }
}

#[derive(Debug)]
struct Hash {
    length: usize,
}

fn build_hash(
    _: &str,
    options: &Options,
    _: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let length = options.integer("length").unwrap_or(32);
    if !(8..=64).contains(&length) {
        return Err(format!("option 'length' must be 8 to 64, not {length}"));
    }
    Ok(Box::new(Hash {
        length: length as usize,
    }))
}

impl Transformer for Hash {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let digest = context.keyer.wide_digest(context.scope, value.as_bytes());
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hex = digest
            .iter()
            .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]])
            .take(self.length)
            .map(char::from)
            .collect();
        Ok(Some(hex))
    }
}

#[derive(Debug)]
struct Mask {
    keep_first: usize,
    keep_last: usize,
    mask: char,
}

fn build_mask(
    _: &str,
    options: &Options,
    _: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let count = |name: &str| -> Result<usize, String> {
        let value = options.integer(name).unwrap_or(0);
        usize::try_from(value).map_err(|_| format!("option '{name}' must not be negative"))
    };
    let mask = options.string("char").unwrap_or("*");
    let mut chars = mask.chars();
    let (Some(mask), None) = (chars.next(), chars.next()) else {
        return Err(format!("option 'char' must be one character, not '{mask}'"));
    };
    Ok(Box::new(Mask {
        keep_first: count("keep_first")?,
        keep_last: count("keep_last")?,
        mask,
    }))
}

impl Transformer for Mask {
    fn transform(
        &self,
        value: &str,
        _: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let length = value.chars().count();
        Ok(Some(
            value
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i < self.keep_first || i + self.keep_last >= length {
                        c
                    } else {
                        self.mask
                    }
                })
                .collect(),
        ))
    }
}

#[derive(Debug)]
struct Regex {
    pattern: regex::Regex,
    replacement: String,
}

fn build_regex(
    _: &str,
    options: &Options,
    _: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let pattern = options.required_string("pattern")?;
    let pattern = regex::Regex::new(pattern)
        .map_err(|e| format!("option 'pattern' is not a valid regex: {e}"))?;
    let replacement = options.required_string("replacement")?.to_owned();
    Ok(Box::new(Regex {
        pattern,
        replacement,
    }))
}

impl Transformer for Regex {
    fn transform(
        &self,
        value: &str,
        _: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        Ok(Some(
            self.pattern
                .replace_all(value, self.replacement.as_str())
                .into_owned(),
        ))
    }
}

/// Literal text and column positions, in order.
#[derive(Debug)]
enum Piece {
    Text(String),
    Column(usize),
}

#[derive(Debug)]
struct Template {
    pieces: Vec<Piece>,
}

fn build_template(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let template = options.required_string("template")?;
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in template '{template}'"))?
            + open;
        let name = &rest[open + 1..close];
        let position = context
            .table_columns
            .iter()
            .position(|column| column.name == name)
            .ok_or_else(|| format!("template names unknown column '{name}'"))?;
        pieces.push(Piece::Text(rest[..open].to_owned()));
        pieces.push(Piece::Column(position));
        rest = &rest[close + 1..];
    }
    pieces.push(Piece::Text(rest.to_owned()));
    Ok(Box::new(Template { pieces }))
}

impl Transformer for Template {
    fn transform(
        &self,
        _: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let mut output = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => output.push_str(text),
                Piece::Column(position) => {
                    output.push_str(
                        context
                            .row
                            .get(*position)
                            .and_then(Option::as_deref)
                            .unwrap_or(""),
                    );
                }
            }
        }
        Ok(Some(output))
    }

    fn reads(&self) -> Vec<usize> {
        self.pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Column(position) => Some(*position),
                Piece::Text(_) => None,
            })
            .collect()
    }
}

/// The staging password used when a `password` rule names none.
pub const DEFAULT_STAGING_PASSWORD: &str = "staging-password";

fn build_password(
    _: &str,
    options: &Options,
    _: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let format = match options.string("format") {
        None | Some("auto") => None,
        Some(name) => Some(HashFormat::named(name).ok_or_else(|| {
            format!(
                "option 'format': unknown password format '{name}'; auto, {}",
                HashFormat::names()
            )
        })?),
    };
    if let Some(hash) = options.string("hash") {
        if format.is_some() {
            return Err("give 'hash' (stored as is) or 'format', not both".to_owned());
        }
        return Ok(Box::new(Constant(Some(hash.to_owned()))));
    }
    let password = options
        .string("password")
        .unwrap_or(DEFAULT_STAGING_PASSWORD)
        .to_owned();
    let transformer = StagingPassword {
        password,
        format,
        hashes: Default::default(),
    };
    // Hashing is slow on purpose: fail at build time, not on the first row.
    transformer.hash(format.unwrap_or_default())?;
    Ok(Box::new(transformer))
}

/// One staging password for every row, hashed once per format, in the given format or in
/// the format of the hash each row held (so that the application still verifies it).
#[derive(Debug)]
struct StagingPassword {
    password: String,
    format: Option<HashFormat>,
    hashes: [OnceLock<String>; HashFormat::ALL.len()],
}

impl StagingPassword {
    fn hash(&self, format: HashFormat) -> Result<&String, String> {
        let slot = &self.hashes[format.index()];
        if let Some(hash) = slot.get() {
            return Ok(hash);
        }
        let hash = hash_as(format, "restage password transform", &self.password)
            .map_err(|e| e.to_string())?;
        Ok(slot.get_or_init(|| hash))
    }
}

impl Transformer for StagingPassword {
    fn transform(
        &self,
        value: &str,
        _: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let format = self
            .format
            .or_else(|| HashFormat::of_hash(value))
            .unwrap_or_default();
        self.hash(format)
            .map(|hash| Some(hash.clone()))
            .map_err(TransformError::Hashing)
    }
}

#[cfg(test)]
mod tests {
    use crate::anonymize::testing::{apply, apply_in_row};

    #[test]
    fn basic_transformers() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "{ transform = \"constant\", value = \"x\" }",
                "secret",
                Some("x"),
            ),
            ("\"null\"", "secret", None),
            (
                "{ transform = \"mask\", keep_first = 1, keep_last = 2 }",
                "abcdef",
                Some("a***ef"),
            ),
            (
                "{ transform = \"mask\", keep_last = 4, char = \"#\" }",
                "4242424242424242",
                Some("############4242"),
            ),
            (
                "{ transform = \"regex\", pattern = \"[0-9]\", replacement = \"0\" }",
                "a1b22",
                Some("a0b00"),
            ),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(apply(rule, Some(input)).as_deref(), *expected, "{rule}");
        }
    }

    #[test]
    fn hash_is_keyed_and_deterministic() {
        let first = apply("{ transform = \"hash\", length = 16 }", Some("secret")).expect("value");
        assert_eq!(first.len(), 16);
        assert_eq!(
            apply("{ transform = \"hash\", length = 16 }", Some("secret")).as_deref(),
            Some(first.as_str())
        );
        assert_ne!(
            apply("{ transform = \"hash\", length = 16 }", Some("other")).as_deref(),
            Some(first.as_str())
        );
    }

    #[test]
    fn template_reads_other_columns() {
        let output = apply_in_row(
            "{ transform = \"template\", template = \"user{id}@example.com\" }",
            &[Some("42"), Some("x")],
        );
        assert_eq!(output.as_deref(), Some("user42@example.com"));
    }

    #[test]
    fn password_is_one_known_hash() {
        let first = apply("\"password\"", Some("a")).expect("hash");
        assert!(first.starts_with("$argon2id$"));
        assert_eq!(apply("\"password\"", Some("b")), Some(first));
    }

    #[test]
    fn password_keeps_the_format_of_the_hash_it_replaces_unless_one_is_given() {
        let cases = [
            (
                "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
                "$2b$12$",
            ),
            (
                "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
                "$2b$12$",
            ),
            (
                "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a",
                "$2y$12$",
            ),
            ("pbkdf2_sha256$260000$abc$def=", "pbkdf2_sha256$600000$"),
            ("scrypt:32768:8:1$salt$00ff", "scrypt:32768:8:1$"),
            ("pbkdf2:sha256:260000$salt$00ff", "pbkdf2:sha256:600000$"),
            ("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$"),
            ("5f4dcc3b5aa765d61d8327deb882cf99", "$argon2id$"),
        ];
        for (production, prefix) in cases {
            let staging = apply("\"password\"", Some(production)).expect("hash");
            assert!(staging.starts_with(prefix), "{production} -> {staging}");
            assert_ne!(staging, production);
        }
        let forced = apply(
            "{ transform = \"password\", format = \"bcrypt-2y\" }",
            Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        )
        .expect("hash");
        assert!(forced.starts_with("$2y$12$"), "{forced}");
    }
}
