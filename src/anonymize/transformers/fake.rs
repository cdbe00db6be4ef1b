//! Fake values from the `fake` crate, drawn from a keyed RNG: email, names, username, phone,
//! addresses, company, job title, lorem text, url, network addresses, uuid.

use fake::Fake;
use fake::faker::{address, company, internet, job, lorem, name, phone_number};
use rand::Rng;

use crate::anonymize::{
    BuildContext, Definition, MAX_DRAWS, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext, gives_away,
};
use crate::catalog::TypeCategory;

const TEXT: &[TypeCategory] = &[TypeCategory::Text];

const fn fake(
    name: &'static str,
    summary: &'static str,
    accepts: &'static [TypeCategory],
    unique_safe: bool,
    example: &'static str,
) -> Definition {
    Definition {
        name,
        summary,
        options: &[],
        accepts,
        unique_safe,
        example,
        rewrites_parts: false,
        build: build_fake,
    }
}

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        name: "email",
        summary: "a fake e-mail address; distinct inputs stay distinct on unique columns; case-insensitive",
        options: &[OptionSpec {
            name: "domain",
            kind: OptionKind::String,
            summary: "the domain (default example.com)",
        }],
        accepts: TEXT,
        unique_safe: true,
        example: "email = { transform = \"email\", domain = \"example.com\" }",
        rewrites_parts: false,
        build: build_fake,
    },
    fake(
        "first_name",
        "a fake first name",
        TEXT,
        false,
        "first_name = \"first_name\"",
    ),
    fake(
        "last_name",
        "a fake last name",
        TEXT,
        false,
        "last_name = \"last_name\"",
    ),
    fake(
        "name",
        "a fake full name",
        TEXT,
        false,
        "full_name = \"name\"",
    ),
    Definition {
        name: "username",
        summary: "a fake login handle; distinct inputs stay distinct on unique columns",
        options: &[],
        accepts: TEXT,
        unique_safe: true,
        example: "login = \"username\"",
        rewrites_parts: false,
        build: build_fake,
    },
    Definition {
        name: "phone",
        summary: "a fake phone number: format = \"same\" (the value's own shape, new digits), \"e164\" (+44 20 7946 0958 as +442079460958), \"national\" (020 7946 0958) or a pattern (\"+44 #### ######\": # is a digit)",
        options: &[OptionSpec {
            name: "format",
            kind: OptionKind::String,
            summary: "same, e164, national, or a pattern where # is a digit (default: varied national formats)",
        }],
        accepts: TEXT,
        unique_safe: false,
        example: "phone = { transform = \"phone\", format = \"e164\" }",
        rewrites_parts: false,
        build: build_fake,
    },
    fake(
        "street_address",
        "a fake street address",
        TEXT,
        false,
        "street = \"street_address\"",
    ),
    fake("city", "a fake city", TEXT, false, "city = \"city\""),
    fake(
        "region",
        "a fake state or province (its abbreviation in a column of fewer than 4 characters)",
        TEXT,
        false,
        "state = \"region\"",
    ),
    fake(
        "postcode",
        "a fake postcode",
        TEXT,
        false,
        "zip = \"postcode\"",
    ),
    fake(
        "country",
        "a fake country name (a two-letter code in a char(2) column)",
        TEXT,
        false,
        "country = \"country\"",
    ),
    fake(
        "company",
        "a fake company name",
        TEXT,
        false,
        "employer = \"company\"",
    ),
    fake(
        "job_title",
        "a fake job title",
        TEXT,
        false,
        "title = \"job_title\"",
    ),
    fake(
        "words",
        "a few lorem words",
        TEXT,
        false,
        "tags = \"words\"",
    ),
    fake(
        "sentence",
        "a lorem sentence",
        TEXT,
        false,
        "headline = \"sentence\"",
    ),
    fake(
        "paragraph",
        "a lorem paragraph",
        TEXT,
        false,
        "bio = \"paragraph\"",
    ),
    fake("url", "a fake https URL", TEXT, false, "homepage = \"url\""),
    fake(
        "ipv4",
        "a fake IPv4 address",
        &[TypeCategory::Text, TypeCategory::Inet],
        false,
        "last_login_ip = \"ipv4\"",
    ),
    fake(
        "ipv6",
        "a fake IPv6 address",
        &[TypeCategory::Text, TypeCategory::Inet],
        false,
        "last_login_ip6 = \"ipv6\"",
    ),
    fake(
        "mac",
        "a fake MAC address",
        &[TypeCategory::Text, TypeCategory::Macaddr],
        false,
        "device = \"mac\"",
    ),
    fake(
        "uuid",
        "a random-looking UUID (v4 layout) derived from the value",
        &[TypeCategory::Text, TypeCategory::Uuid],
        true,
        "device_id = \"uuid\"",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Email,
    FirstName,
    LastName,
    Name,
    Username,
    Phone,
    StreetAddress,
    City,
    Region,
    RegionCode,
    Postcode,
    Country,
    CountryCode,
    Company,
    JobTitle,
    Words,
    Sentence,
    Paragraph,
    Url,
    Ipv4,
    Ipv6,
    Mac,
    Uuid,
}

#[derive(Debug, Clone)]
struct Faker {
    kind: Kind,
    domain: String,
    phone: PhoneFormat,
    /// The column's length limit: an e-mail's local part is cut to fit it, never its domain.
    max_length: Option<usize>,
}

/// Characters of the keyed tag that keeps e-mails and handles distinct.
const TAG_LENGTH: usize = 13;

/// How `phone` writes its fakes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PhoneFormat {
    /// The `fake` crate's varied formats (extensions included).
    Varied,
    /// The value's own shape: every digit replaced, every other character kept; a leading
    /// `0` (a trunk prefix) stays `0` and a first digit that is not `0` stays not `0`, so the
    /// fake passes the checks its original passed. A value of fewer than 4 digits (empty,
    /// `n/a`) gets a varied fake.
    Same,
    /// `+` and 11 or 12 digits: a country code, then the national number.
    E164,
    /// A trunk `0`, then 10 digits in groups: `020 7946 0958`.
    National,
    /// `#` is a digit, everything else is kept: `+44 #### ######`.
    Pattern(String),
}

impl PhoneFormat {
    fn parse(format: Option<&str>) -> Result<PhoneFormat, String> {
        match format {
            None => Ok(PhoneFormat::Varied),
            Some(format) if format.eq_ignore_ascii_case("same") => Ok(PhoneFormat::Same),
            Some(format) if format.eq_ignore_ascii_case("e164") => Ok(PhoneFormat::E164),
            Some(format) if format.eq_ignore_ascii_case("national") => Ok(PhoneFormat::National),
            Some(pattern) if pattern.contains('#') => Ok(PhoneFormat::Pattern(pattern.to_owned())),
            Some(other) => Err(format!(
                "option 'format' is \"same\", \"e164\", \"national\" or a pattern with # for each digit, \
                 like \"+44 #### ######\"; not '{other}'"
            )),
        }
    }
}

/// Country calling codes of E.164 fakes, with the national number's length.
const CALLING_CODES: &[(&str, usize)] = &[
    ("1", 10),
    ("44", 10),
    ("49", 10),
    ("31", 9),
    ("33", 9),
    ("34", 9),
    ("39", 10),
    ("46", 9),
];

pub(super) fn build_fake(
    name: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let short = context.column.max_length.is_some_and(|n| n < 4);
    let kind = kind_named(name, short).ok_or_else(|| format!("no fake named '{name}'"))?;
    let domain = options.string("domain").unwrap_or("example.com").to_owned();
    if domain.is_empty() || domain.contains(['@', ' ']) {
        return Err(format!("option 'domain' is not a domain name: '{domain}'"));
    }
    let phone = PhoneFormat::parse(options.string("format"))?;
    if let Some(max) = context.column.max_length {
        fits(kind, &domain, &phone, max, context.column.unique)?;
    }
    Ok(Box::new(Faker {
        kind,
        domain,
        phone,
        max_length: context.column.max_length,
    }))
}

/// The fake called `name` (a region or country as its code for a `short` column), in the
/// names rules and fixtures share; fixtures also know `street` and `country_code`.
fn kind_named(name: &str, short: bool) -> Option<Kind> {
    Some(match name {
        "email" => Kind::Email,
        "first_name" => Kind::FirstName,
        "last_name" => Kind::LastName,
        "name" => Kind::Name,
        "username" => Kind::Username,
        "phone" => Kind::Phone,
        "street_address" | "street" => Kind::StreetAddress,
        "city" => Kind::City,
        "region" if short => Kind::RegionCode,
        "region" => Kind::Region,
        "postcode" => Kind::Postcode,
        "country" if short => Kind::CountryCode,
        "country" => Kind::Country,
        "country_code" => Kind::CountryCode,
        "company" => Kind::Company,
        "job_title" => Kind::JobTitle,
        "words" => Kind::Words,
        "sentence" => Kind::Sentence,
        "paragraph" => Kind::Paragraph,
        "url" => Kind::Url,
        "ipv4" => Kind::Ipv4,
        "ipv6" => Kind::Ipv6,
        "mac" => Kind::Mac,
        "uuid" => Kind::Uuid,
        _ => return None,
    })
}

/// A fake of the rules' vocabulary for rows that restage makes up (seed fixtures): the
/// generator of the rule of that name, drawn from the caller's stream, so that fixtures and
/// anonymized rows look alike and share one list of names.
#[derive(Debug, Clone)]
pub struct Generated(Faker);

impl Generated {
    /// The fake called `name` (one of [`GENERATED_NAMES`]), with its rule's default options.
    pub fn named(name: &str) -> Option<Generated> {
        Some(Generated(Faker {
            kind: kind_named(name, false)?,
            domain: "example.com".to_owned(),
            phone: PhoneFormat::Varied,
            max_length: None,
        }))
    }

    /// One value; e-mails and handles end in a tag from the stream, as rules' do.
    pub fn value<R: Rng>(&self, rng: &mut R) -> String {
        const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let tag: String = if matches!(self.0.kind, Kind::Email | Kind::Username) {
            (0..TAG_LENGTH)
                .map(|_| char::from(ALPHABET[rng.random_range(0..32)]))
                .collect()
        } else {
            String::new()
        };
        self.0.draw(rng, &tag, "")
    }
}

/// The names of the fakes [`Generated`] knows, for messages.
pub const GENERATED_NAMES: &str = "email, first_name, last_name, name, username, phone, \
    street_address (or street), city, region, postcode, country, country_code, company, \
    job_title, words, sentence, paragraph, url, ipv4, ipv6, mac, uuid";

/// Refuses a rule whose fakes cannot fit a column of `max` characters and stay what they
/// are: cutting an e-mail's domain, an address or an identifier gives a value of no kind.
/// The reason names the length and the option (or rule) that fixes it.
fn fits(
    kind: Kind,
    domain: &str,
    phone: &PhoneFormat,
    max: usize,
    unique: bool,
) -> Result<(), String> {
    let shortest = match kind {
        Kind::Email => {
            // The local part keeps the tag on a unique column (distinct fakes), else one
            // character of it.
            let local = if unique { TAG_LENGTH } else { 1 };
            let needed = local + 1 + domain.len();
            if needed <= max {
                return Ok(());
            }
            let room = max.saturating_sub(local + 1);
            let fix = if room >= 3 {
                format!("give it a domain of at most {room} characters (domain = \"x.io\")")
            } else {
                "no domain fits: widen the column, or write a `template` or `regex` rule".to_owned()
            };
            return Err(format!(
                "the column holds at most {max} characters, and an e-mail of rule 'email' needs \
                 at least {needed} ({}'@' and the domain {domain}); {fix}",
                if unique {
                    format!(
                        "a {TAG_LENGTH}-character tag that keeps the unique column's fakes distinct, "
                    )
                } else {
                    "one character, ".to_owned()
                }
            ));
        }
        Kind::Ipv4 => 15,
        Kind::Ipv6 => 39,
        Kind::Mac => 17,
        Kind::Uuid => 36,
        Kind::Phone if *phone == PhoneFormat::E164 => 16,
        _ => return Ok(()),
    };
    if shortest <= max {
        return Ok(());
    }
    Err(format!(
        "the column holds at most {max} characters, and a fake of this rule can be \
         {shortest} long, which cut would not be one any more; widen the column, or write a \
         `template`, `regex` or `mask` rule that fits"
    ))
}

impl Transformer for Faker {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        // E-mail addresses and handles are compared case-insensitively (citext keys): normalise
        // first, so that Mary@x and mary@x, in any table, become the same fake.
        let normalized;
        let input = if matches!(self.kind, Kind::Email | Kind::Username) {
            normalized = value.trim().to_lowercase();
            normalized.as_str()
        } else {
            value
        };
        // Always the long tag: the same address must get the same fake in a unique column and
        // in, say, a JSON payload, and 65 bits keep distinct inputs distinct.
        // Keyed by a `by` column, the tag still comes from the value: distinct values of one
        // entity stay distinct.
        let (mut rng, tag) = match (self.kind, context.key) {
            (Kind::Email | Kind::Username, None) => {
                context
                    .keyer
                    .rng_and_tag(context.scope, input.as_bytes(), TAG_LENGTH)
            }
            (Kind::Email | Kind::Username, Some(_)) => (
                context.rng(input),
                context
                    .keyer
                    .tag(context.scope, input.as_bytes(), TAG_LENGTH),
            ),
            _ => (context.rng(input), String::new()),
        };
        for _ in 0..MAX_DRAWS {
            let output = self.draw(&mut rng, &tag, value);
            if !gives_away(&output, value) {
                return Ok(Some(output));
            }
        }
        Err(TransformError::NoDifferentFake(MAX_DRAWS))
    }
}

impl Faker {
    /// One fake of this kind for `value` from the keyed stream; `tag` makes e-mails and
    /// handles unique.
    fn draw<R: Rng>(&self, rng: &mut R, tag: &str, value: &str) -> String {
        match self.kind {
            Kind::Email => {
                let mut local = handle(rng);
                local.extend([".", tag]);
                // Too long for the column: the end of the local part (the tag) and the whole
                // domain stay (`fits` checked there is room for them).
                if let Some(max) = self.max_length {
                    let room = max.saturating_sub(1 + self.domain.len());
                    let cut = local.chars().count().saturating_sub(room);
                    local = local.chars().skip(cut).collect::<String>();
                    local = local.trim_start_matches('.').to_owned();
                }
                [local.as_str(), "@", &self.domain].concat()
            }
            Kind::Username => {
                let mut username = handle(rng);
                username.extend([".", tag]);
                username
            }
            Kind::FirstName => name::en::FirstName().fake_with_rng(rng),
            Kind::LastName => name::en::LastName().fake_with_rng(rng),
            Kind::Name => {
                let first: &str = name::en::FirstName().fake_with_rng(rng);
                let last: &str = name::en::LastName().fake_with_rng(rng);
                [first, " ", last].concat()
            }
            Kind::Phone => self.phone(rng, value),
            Kind::StreetAddress => {
                let mut address: String = address::en::BuildingNumber().fake_with_rng(rng);
                address.push(' ');
                push_street_name(rng, &mut address);
                address
            }
            Kind::City => city_name(rng),
            Kind::Region => address::en::StateName().fake_with_rng(rng),
            Kind::RegionCode => address::en::StateAbbr().fake_with_rng(rng),
            Kind::Postcode => address::en::PostCode().fake_with_rng(rng),
            Kind::Country => address::en::CountryName().fake_with_rng(rng),
            Kind::CountryCode => address::en::CountryCode()
                .fake_with_rng::<String, _>(rng)
                .chars()
                .take(2)
                .collect(),
            Kind::Company => company::en::CompanyName().fake_with_rng(rng),
            Kind::JobTitle => job::en::Title().fake_with_rng(rng),
            Kind::Words => lorem::en::Words(2..5)
                .fake_with_rng::<Vec<String>, _>(rng)
                .join(" "),
            Kind::Sentence => lorem::en::Sentence(4..12).fake_with_rng(rng),
            Kind::Paragraph => lorem::en::Paragraph(2..5).fake_with_rng(rng),
            Kind::Url => {
                let words: Vec<String> = lorem::en::Words(2..3).fake_with_rng(rng);
                format!("https://{}.example.com/{}", words[0], words[1])
            }
            Kind::Ipv4 => std::net::Ipv4Addr::from(rng.random::<[u8; 4]>()).to_string(),
            Kind::Ipv6 => internet::en::IPv6().fake_with_rng(rng),
            Kind::Mac => internet::en::MACAddress().fake_with_rng(rng),
            Kind::Uuid => uuid(rng),
        }
    }

    /// A phone number in the rule's format (`value`'s own, for `same`).
    fn phone<R: Rng>(&self, rng: &mut R, value: &str) -> String {
        match &self.phone {
            // A value with too few digits to be a number has no shape worth keeping.
            PhoneFormat::Same if value.bytes().filter(u8::is_ascii_digit).count() < 4 => {
                phone_number::en::PhoneNumber().fake_with_rng(rng)
            }
            PhoneFormat::Same => same_shape_phone(rng, value),
            PhoneFormat::Varied => phone_number::en::PhoneNumber().fake_with_rng(rng),
            PhoneFormat::E164 => {
                let (code, length) = CALLING_CODES[rng.random_range(0..CALLING_CODES.len())];
                let mut phone = String::with_capacity(16);
                phone.extend(["+", code]);
                // A national number never starts with 0 (the trunk prefix).
                phone.push(char::from(b'0' + rng.random_range(1..10u8)));
                push_digits(rng, length - 1, &mut phone);
                phone
            }
            PhoneFormat::National => {
                let mut phone = String::with_capacity(13);
                phone.push('0');
                phone.push(char::from(b'0' + rng.random_range(1..10u8)));
                for (count, then) in [(1, " "), (4, " "), (4, "")] {
                    push_digits(rng, count, &mut phone);
                    phone.push_str(then);
                }
                phone
            }
            PhoneFormat::Pattern(pattern) => pattern
                .chars()
                .map(|c| {
                    if c == '#' {
                        char::from(b'0' + rng.random_range(0..10u8))
                    } else {
                        c
                    }
                })
                .collect(),
        }
    }
}

/// `value` with every digit replaced: the first digit stays `0` or not `0`, as it was.
fn same_shape_phone<R: Rng>(rng: &mut R, value: &str) -> String {
    let mut first = true;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            let digit = match std::mem::replace(&mut first, false) {
                true if c == '0' => 0,
                true => rng.random_range(1..10u8),
                false => rng.random_range(0..10u8),
            };
            char::from(b'0' + digit)
        })
        .collect()
}

/// Appends `count` random decimal digits.
fn push_digits<R: Rng>(rng: &mut R, count: usize, out: &mut String) {
    out.extend((0..count).map(|_| char::from(b'0' + rng.random_range(0..10u8))));
}

/// `first.last`, lower-case ASCII.
fn handle<R: Rng>(rng: &mut R) -> String {
    let first: &str = name::en::FirstName().fake_with_rng(rng);
    let last: &str = name::en::LastName().fake_with_rng(rng);
    let mut handle = String::with_capacity(first.len() + last.len() + 32);
    for part in [first, ".", last] {
        handle.extend(
            part.chars()
                .flat_map(char::to_lowercase)
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.'),
        );
    }
    handle
}

// The street and city names below are the `fake` crate's `StreetName` and `CityName` for
// English, drawn in the same order from the same lists (so they are the crate's fakes),
// written straight into one string instead of filling templates with `replace`.

/// Appends `fake`'s English street name: a first or last name, a space, a suffix.
fn push_street_name<R: Rng>(rng: &mut R, out: &mut String) {
    let name: &str = if fake::Faker.fake_with_rng::<bool, _>(rng) {
        name::en::FirstName().fake_with_rng(rng)
    } else {
        name::en::LastName().fake_with_rng(rng)
    };
    let suffix: &str = address::en::StreetSuffix().fake_with_rng(rng);
    out.extend([name, " ", suffix]);
}

/// `fake`'s English city name: one time in five a prefix, a whole name and a suffix, else a
/// first (one in five) or last name and a suffix.
fn city_name<R: Rng>(rng: &mut R) -> String {
    match (0..5).fake_with_rng::<u8, _>(rng) {
        0 => {
            let prefix: &str = address::en::CityPrefix().fake_with_rng(rng);
            let name: String = name::en::Name().fake_with_rng(rng);
            let suffix: &str = address::en::CitySuffix().fake_with_rng(rng);
            [prefix, " ", &name, " ", suffix].concat()
        }
        pick => {
            let name: &str = if pick == 1 {
                name::en::FirstName().fake_with_rng(rng)
            } else {
                name::en::LastName().fake_with_rng(rng)
            };
            let suffix: &str = address::en::CitySuffix().fake_with_rng(rng);
            [name, " ", suffix].concat()
        }
    }
}

/// A UUID with the version-4 layout, from the keyed RNG.
fn uuid<R: Rng>(rng: &mut R) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut uuid = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            uuid.push('-');
        }
        uuid.push(char::from(HEX[usize::from(byte >> 4)]));
        uuid.push(char::from(HEX[usize::from(byte & 15)]));
    }
    uuid
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::anonymize::testing::{apply, apply_to, column, compile, test_keyer};
    use crate::anonymize::{ValueRng, gives_away};
    use crate::catalog::Column;
    use crate::catalog::TypeCategory;

    fn varchar(length: usize, unique: bool) -> Column {
        Column {
            max_length: Some(length),
            unique,
            ..column(
                "email",
                &format!("character varying({length})"),
                TypeCategory::Text,
            )
        }
    }

    /// An e-mail on a narrow column stays an e-mail (its `@` and whole domain), or the rule is
    /// refused with the length and the option that fixes it.
    #[test]
    fn emails_fit_narrow_columns_or_the_rule_is_refused() {
        for (length, rule) in [
            (16, "\"email\""),
            (13, "\"email\""),
            (20, "{ transform = \"email\", domain = \"x.io\" }"),
            (64, "\"email\""),
        ] {
            let narrow = varchar(length, false);
            let mut seen = HashSet::new();
            for i in 0..200 {
                let input = format!("customer.{i}@shop.example.org");
                let fake = apply_to(rule, &narrow, Some(&input), &[])
                    .expect("applies")
                    .expect("a value");
                assert!(
                    fake.chars().count() <= length,
                    "{fake} longer than {length}"
                );
                let (local, domain) = fake.split_once('@').expect("an @");
                assert!(!local.is_empty() && !local.starts_with('.'), "{fake}");
                assert!(domain == "example.com" || domain == "x.io", "{fake}");
                seen.insert(fake);
            }
            // One character of local part leaves few fakes, as a column that narrow must.
            let expected = if length > 13 { 150 } else { 20 };
            assert!(seen.len() > expected, "{length}: {} distinct", seen.len());
        }
        let unique = varchar(16, true);
        let refused = compile("\"email\"", &unique).expect_err("no unique e-mail fits 16");
        assert!(refused.contains("at most 16 characters"), "{refused}");
        assert!(refused.contains("widen the column"), "{refused}");
        let refused =
            compile("\"email\"", &varchar(20, true)).expect_err("example.com is too long");
        assert!(
            refused.contains("domain of at most 6 characters"),
            "{refused}"
        );
        let fits = compile(
            "{ transform = \"email\", domain = \"x.io\" }",
            &varchar(20, true),
        );
        assert!(fits.is_ok(), "{:?}", fits.err());
        for (rule, length) in [("\"ipv4\"", 12), ("\"uuid\"", 32), ("\"mac\"", 12)] {
            let refused = compile(rule, &varchar(length, false)).expect_err(rule);
            assert!(
                refused.contains(&format!("at most {length} characters")),
                "{refused}"
            );
        }
    }

    /// The hand-assembled fakes are exactly those the `fake` crate makes from the same
    /// seed, and leave the stream where it leaves it.
    #[test]
    fn assembled_fakes_equal_the_crates_from_the_same_seed() {
        use fake::Fake;
        use fake::faker::{address, name};
        use rand::{RngCore, SeedableRng};

        for seed in 0..5000u64 {
            let rngs = || (ValueRng::seed_from_u64(seed), ValueRng::seed_from_u64(seed));
            let (mut ours, mut theirs) = rngs();
            let city: String = address::en::CityName().fake_with_rng(&mut theirs);
            assert_eq!(super::city_name(&mut ours), city, "seed {seed}");
            assert_eq!(ours.next_u64(), theirs.next_u64());

            let (mut ours, mut theirs) = rngs();
            let mut street = String::new();
            super::push_street_name(&mut ours, &mut street);
            let expected: String = address::en::StreetName().fake_with_rng(&mut theirs);
            assert_eq!(street, expected, "seed {seed}");
            assert_eq!(ours.next_u64(), theirs.next_u64());

            let (mut ours, mut theirs) = rngs();
            let first: String = name::en::FirstName().fake_with_rng(&mut theirs);
            let last: String = name::en::LastName().fake_with_rng(&mut theirs);
            let handle: String = format!("{first}.{last}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            assert_eq!(super::handle(&mut ours), handle, "seed {seed}");
            assert_eq!(ours.next_u64(), theirs.next_u64());

            let (mut ours, mut theirs) = rngs();
            let mut bytes = [0u8; 16];
            theirs.fill_bytes(&mut bytes);
            bytes[6] = (bytes[6] & 0x0f) | 0x40;
            bytes[8] = (bytes[8] & 0x3f) | 0x80;
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let uuid = [
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..],
            ]
            .join("-");
            assert_eq!(super::uuid(&mut ours), uuid, "seed {seed}");
        }
    }

    #[test]
    fn every_fake_gives_a_value_and_is_deterministic() {
        for name in [
            "email",
            "first_name",
            "last_name",
            "name",
            "username",
            "phone",
            "street_address",
            "city",
            "postcode",
            "country",
            "company",
            "job_title",
            "words",
            "sentence",
            "paragraph",
            "url",
            "ipv4",
            "ipv6",
            "mac",
            "uuid",
        ] {
            let rule = format!("\"{name}\"");
            let first = apply(&rule, Some("Mary Smith")).expect("a value");
            assert!(!first.is_empty(), "{name}");
            assert_ne!(first, "Mary Smith", "{name}");
            assert_eq!(
                apply(&rule, Some("Mary Smith")),
                Some(first),
                "{name} is not deterministic"
            );
        }
    }

    #[test]
    fn emails_ignore_case_use_the_domain_and_stay_unique() {
        let rule = "{ transform = \"email\", domain = \"staging.test\" }";
        let lower = apply(rule, Some("mary@shop.example")).expect("email");
        assert_eq!(apply(rule, Some("MARY@Shop.Example")), Some(lower.clone()));
        assert!(lower.ends_with("@staging.test"), "{lower}");
        let mut unique = column("email", "text", TypeCategory::Text);
        unique.unique = true;
        let outputs: HashSet<String> = (0..20_000)
            .map(|i| {
                apply_to(rule, &unique, Some(&format!("user{i}@shop.example")), &[])
                    .expect("ok")
                    .expect("email")
            })
            .collect();
        assert_eq!(outputs.len(), 20_000);
    }

    #[test]
    fn country_fits_a_two_letter_column() {
        let mut code = column("country", "character(2)", TypeCategory::Text);
        code.max_length = Some(2);
        let output = apply_to("\"country\"", &code, Some("NL"), &[])
            .expect("ok")
            .expect("code");
        assert_eq!(output.len(), 2, "{output}");
    }

    #[test]
    fn uuid_has_the_v4_layout() {
        let uuid = apply_to(
            "\"uuid\"",
            &column("id", "uuid", TypeCategory::Uuid),
            Some("x"),
            &[],
        )
        .expect("ok")
        .expect("uuid");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }

    /// Inputs drawn from the fakes' own word lists, as real names and cities often are: no
    /// fake may equal its input (ignoring case), which would leave the real value in staging.
    #[test]
    fn no_fake_equals_its_input() {
        use fake::Fake;
        use fake::faker::{address, company, job, name};
        use rand::SeedableRng;

        let mut rng = ValueRng::seed_from_u64(7);
        let rng = &mut rng;
        let text = column("value", "text", TypeCategory::Text);
        let mut code = column("country", "character(2)", TypeCategory::Text);
        code.max_length = Some(2);
        type Input = fn(&mut ValueRng) -> String;
        let cases: [(&str, &Column, Input, usize); 9] = [
            (
                "last_name",
                &text,
                |r| name::en::LastName().fake_with_rng(r),
                30_000,
            ),
            (
                "first_name",
                &text,
                |r| name::en::FirstName().fake_with_rng(r),
                30_000,
            ),
            (
                "city",
                &text,
                |r| address::en::CityName().fake_with_rng(r),
                15_000,
            ),
            (
                "country",
                &code,
                |r| address::en::CountryCode().fake_with_rng::<String, _>(r)[..2].to_owned(),
                10_000,
            ),
            (
                "country",
                &text,
                |r| address::en::CountryName().fake_with_rng(r),
                5_000,
            ),
            (
                "name",
                &text,
                |r| {
                    format!(
                        "{} {}",
                        name::en::FirstName().fake_with_rng::<String, _>(r),
                        name::en::LastName().fake_with_rng::<String, _>(r)
                    )
                },
                5_000,
            ),
            (
                "company",
                &text,
                |r| company::en::CompanyName().fake_with_rng(r),
                5_000,
            ),
            (
                "job_title",
                &text,
                |r| job::en::Title().fake_with_rng(r),
                5_000,
            ),
            (
                "last_name",
                &text,
                |r| {
                    name::en::LastName()
                        .fake_with_rng::<String, _>(r)
                        .to_uppercase()
                },
                5_000,
            ),
        ];
        let keyer = test_keyer();
        let mut checked = 0;
        for (rule, target, input, count) in cases {
            let compiled = compile(&format!("\"{rule}\""), target).expect("rule builds");
            for _ in 0..count {
                let value = input(rng);
                let fake = compiled
                    .apply(Some(&value), &keyer, &[])
                    .expect("a fake")
                    .expect("not NULL");
                assert!(
                    !gives_away(&fake, &value),
                    "{rule}: '{value}' became '{fake}'"
                );
                checked += 1;
            }
        }
        assert!(checked >= 100_000);
    }

    #[test]
    fn phones_follow_their_format() {
        let e164 = regex::Regex::new(r"^\+[1-9][0-9]{6,14}$").expect("regex");
        let national = regex::Regex::new(r"^0[1-9][0-9] [0-9]{4} [0-9]{4}$").expect("regex");
        let pattern = regex::Regex::new(r"^\+44 [0-9]{4} [0-9]{6}$").expect("regex");
        let keyer = test_keyer();
        let text = column("phone", "text", TypeCategory::Text);
        for (format, shape) in [
            ("e164", &e164),
            ("national", &national),
            ("+44 #### ######", &pattern),
        ] {
            let rule = compile(
                &format!("{{ transform = \"phone\", format = \"{format}\" }}"),
                &text,
            )
            .expect("rule builds");
            for i in 0..2_000 {
                let input = format!("+1 555 010 {i:04}");
                let fake = rule
                    .apply(Some(&input), &keyer, &[])
                    .expect("a phone")
                    .expect("not NULL");
                assert!(shape.is_match(&fake), "{format}: {fake}");
                assert!(fake.len() <= 16, "{format}: {fake}");
            }
        }
        let same = compile("{ transform = \"phone\", format = \"same\" }", &text).expect("builds");
        for input in [
            "030-0076545",
            "(5) 555-4729",
            "40.32.21.21",
            "+4930123456 x12",
        ] {
            let fake = same
                .apply(Some(input), &keyer, &[])
                .expect("a phone")
                .expect("not NULL");
            let shape = |text: &str| -> String {
                text.chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect()
            };
            assert_eq!(shape(&fake), shape(input), "{input} → {fake}");
            assert_ne!(fake, input);
            let first_digit = |text: &str| text.chars().find(char::is_ascii_digit);
            assert_eq!(
                first_digit(&fake) == Some('0'),
                first_digit(input) == Some('0')
            );
        }
        let error = compile("{ transform = \"phone\", format = \"+44 xxxx\" }", &text)
            .expect_err("no digits in the pattern");
        assert!(error.contains("# for each digit"), "{error}");
    }
}
