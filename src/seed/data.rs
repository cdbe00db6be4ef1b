//! The seed data in `seeds/*.toml`: loaded, cross-checked and turned into plain values.
//!
//! Everything is validated before any seeder connects, so bad seed data writes nothing.
//! When no seeds directory is given and `./seeds` does not exist, the defaults compiled into
//! the binary are used, so `restage reset` works from any directory.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::toml_source::{self, located};

/// The seed files, in the order they are read.
const FILES: [(&str, &str); 6] = [
    ("roles.toml", include_str!("../../seeds/roles.toml")),
    ("accounts.toml", include_str!("../../seeds/accounts.toml")),
    (
        "item_types.toml",
        include_str!("../../seeds/item_types.toml"),
    ),
    ("locations.toml", include_str!("../../seeds/locations.toml")),
    ("products.toml", include_str!("../../seeds/products.toml")),
    (
        "payment_cards.toml",
        include_str!("../../seeds/payment_cards.toml"),
    ),
];

/// A permission code and what it allows.
#[derive(Debug, Clone)]
pub struct Permission {
    pub code: String,
    pub description: String,
}

/// A role and its permission codes.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

/// A test account; `password` is the plain staging password, hashed before it is stored.
#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub full_name: String,
    pub role: String,
    pub phone: Option<String>,
    pub password: String,
}

/// An item type and how many parent items of it the inventory has.
#[derive(Debug, Clone)]
pub struct ItemType {
    pub code: String,
    pub name: String,
    pub description: String,
    pub parent_items: u32,
    /// Location codes its parent items are spread over.
    pub locations: Vec<String>,
}

/// A location items can be at.
#[derive(Debug, Clone)]
pub struct Location {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
}

/// A catalogue product; `components` are the SKUs of a parent item's child items.
#[derive(Debug, Clone)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub item_type: String,
    /// The price as PostgreSQL reads a numeric(12,2), e.g. `899.00`.
    pub price: String,
    pub currency: String,
    pub components: Vec<String>,
}

/// A test payment card and what the staging payment provider does with it.
#[derive(Debug, Clone)]
pub struct PaymentCard {
    pub number: String,
    pub brand: String,
    pub behaviour: String,
    pub description: String,
}

/// All seed data, validated.
#[derive(Debug, Clone)]
pub struct SeedData {
    /// Where it came from, for messages: a directory or "built-in defaults".
    pub origin: String,
    pub permissions: Vec<Permission>,
    pub roles: Vec<Role>,
    pub accounts: Vec<Account>,
    pub item_types: Vec<ItemType>,
    pub locations: Vec<Location>,
    pub products: Vec<Product>,
    pub payment_cards: Vec<PaymentCard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    permissions: BTreeMap<String, String>,
    roles: Vec<RoleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    permissions: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    accounts: Vec<AccountEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    email: Spanned<String>,
    full_name: String,
    role: Spanned<String>,
    phone: Option<String>,
    password_env: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemTypesFile {
    item_types: Vec<ItemTypeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemTypeEntry {
    code: Spanned<String>,
    name: String,
    #[serde(default)]
    description: String,
    parent_items: Spanned<i64>,
    locations: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationsFile {
    locations: Vec<LocationEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationEntry {
    code: Spanned<String>,
    name: String,
    kind: Spanned<String>,
    street_address: Option<String>,
    city: Option<String>,
    postcode: Option<String>,
    country: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductsFile {
    products: Vec<ProductEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductEntry {
    sku: Spanned<String>,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "type")]
    item_type: Spanned<String>,
    price: Spanned<f64>,
    #[serde(default = "default_currency")]
    currency: String,
    #[serde(default)]
    components: Vec<Spanned<String>>,
}

fn default_currency() -> String {
    "EUR".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentCardsFile {
    cards: Vec<PaymentCardEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentCardEntry {
    number: Spanned<String>,
    brand: String,
    behaviour: Spanned<String>,
    #[serde(default)]
    description: String,
}

const LOCATION_KINDS: &[&str] = &["warehouse", "store", "transit", "supplier", "repair"];
const CARD_BEHAVIOURS: &[&str] = &[
    "success",
    "insufficient_funds",
    "generic_decline",
    "requires_3ds",
];

impl SeedData {
    /// Loads `dir` (which must exist), else `./seeds` when present, else the built-in defaults.
    pub fn load(dir: Option<&Path>) -> Result<SeedData, Error> {
        let dir = match dir {
            Some(dir) => Some(dir.to_path_buf()),
            None => Some(PathBuf::from("seeds")).filter(|default| default.is_dir()),
        };
        let mut texts = Vec::with_capacity(FILES.len());
        for (name, built_in) in FILES {
            let text = match &dir {
                Some(dir) => {
                    let path = dir.join(name);
                    std::fs::read_to_string(&path).map_err(|source| Error::SeedFileRead {
                        path: path.display().to_string(),
                        source,
                    })?
                }
                None => built_in.to_owned(),
            };
            texts.push(text);
        }
        let origin = dir.map_or_else(
            || "built-in defaults".to_owned(),
            |dir| dir.display().to_string(),
        );
        let shown = |name: &str| match origin.as_str() {
            "built-in defaults" => format!("{name} (built in)"),
            dir => Path::new(dir).join(name).display().to_string(),
        };
        let mut problems = Problems::default();
        let parsed = Parsed {
            roles: problems.parse(&shown(FILES[0].0), &texts[0]),
            accounts: problems.parse(&shown(FILES[1].0), &texts[1]),
            item_types: problems.parse(&shown(FILES[2].0), &texts[2]),
            locations: problems.parse(&shown(FILES[3].0), &texts[3]),
            products: problems.parse(&shown(FILES[4].0), &texts[4]),
            payment_cards: problems.parse(&shown(FILES[5].0), &texts[5]),
        };
        let files = SourceFiles {
            texts: &texts,
            names: FILES.map(|(name, _)| shown(name)),
        };
        let data = parsed.validate(origin.clone(), &files, &mut problems);
        match data {
            Some(data) if problems.0.is_empty() => Ok(data),
            _ => Err(Error::SeedData {
                origin,
                problems: problems.0,
            }),
        }
    }
}

/// Every problem found, each starting with its file.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn parse<T: serde::de::DeserializeOwned>(&mut self, file: &str, text: &str) -> Option<T> {
        toml_source::parse(text)
            .map_err(|problem| self.0.push(format!("{file}: {problem}")))
            .ok()
    }
}

struct SourceFiles<'a> {
    texts: &'a [String],
    names: [String; 6],
}

impl SourceFiles<'_> {
    /// `file: line N: key: reason` for a value at `offset` in file number `file`.
    fn at(&self, file: usize, offset: usize, key: &str, reason: &str) -> String {
        format!(
            "{}: {}",
            self.names[file],
            located(&self.texts[file], offset, key, reason)
        )
    }
}

struct Parsed {
    roles: Option<RolesFile>,
    accounts: Option<AccountsFile>,
    item_types: Option<ItemTypesFile>,
    locations: Option<LocationsFile>,
    products: Option<ProductsFile>,
    payment_cards: Option<PaymentCardsFile>,
}

impl Parsed {
    /// Cross-checks the files; `None` when one of them did not even parse.
    fn validate(
        self,
        origin: String,
        files: &SourceFiles,
        problems: &mut Problems,
    ) -> Option<SeedData> {
        let (roles, accounts, item_types, locations, products, cards) = (
            self.roles?,
            self.accounts?,
            self.item_types?,
            self.locations?,
            self.products?,
            self.payment_cards?,
        );
        let mut report = |file: usize, offset: usize, key: &str, reason: String| {
            problems.0.push(files.at(file, offset, key, &reason));
        };

        let permission_codes: HashSet<&str> =
            roles.permissions.keys().map(String::as_str).collect();
        let mut role_names = HashSet::new();
        for role in &roles.roles {
            if !role_names.insert(role.name.get_ref().as_str()) {
                report(
                    0,
                    role.name.span().start,
                    "roles.name",
                    format!("role '{}' is listed twice", role.name.get_ref()),
                );
            }
            for permission in &role.permissions {
                if !permission_codes.contains(permission.get_ref().as_str()) {
                    let reason = format!(
                        "unknown permission '{}'; add it under [permissions] first",
                        permission.get_ref()
                    );
                    report(0, permission.span().start, "roles.permissions", reason);
                }
            }
        }

        let mut emails = HashSet::new();
        let mut resolved_accounts = Vec::new();
        for account in &accounts.accounts {
            let email = account.email.get_ref();
            if !emails.insert(email.to_lowercase()) {
                report(
                    1,
                    account.email.span().start,
                    "accounts.email",
                    format!("'{email}' is listed twice"),
                );
            }
            if !role_names.contains(account.role.get_ref().as_str()) {
                let reason = format!(
                    "unknown role '{}'; roles in roles.toml: {}",
                    account.role.get_ref(),
                    sorted(&role_names)
                );
                report(1, account.role.span().start, "accounts.role", reason);
            }
            let from_env = account
                .password_env
                .as_deref()
                .and_then(|name| std::env::var(name).ok())
                .filter(|value| !value.is_empty());
            match from_env
                .or_else(|| account.password.clone())
                .filter(|password| !password.is_empty())
            {
                Some(password) => resolved_accounts.push(Account {
                    email: email.clone(),
                    full_name: account.full_name.clone(),
                    role: account.role.get_ref().clone(),
                    phone: account.phone.clone(),
                    password,
                }),
                None => {
                    let reason = format!(
                        "no staging password for '{email}': set ${} or `password`",
                        account.password_env.as_deref().unwrap_or("<password_env>")
                    );
                    report(1, account.email.span().start, "accounts.password", reason);
                }
            }
        }

        let mut location_codes = HashSet::new();
        for location in &locations.locations {
            if !location_codes.insert(location.code.get_ref().as_str()) {
                report(
                    3,
                    location.code.span().start,
                    "locations.code",
                    format!("'{}' is listed twice", location.code.get_ref()),
                );
            }
            if !LOCATION_KINDS.contains(&location.kind.get_ref().as_str()) {
                let reason = format!(
                    "unknown kind '{}'; one of {}",
                    location.kind.get_ref(),
                    LOCATION_KINDS.join(", ")
                );
                report(3, location.kind.span().start, "locations.kind", reason);
            }
            if let Some(country) = &location.country
                && !(country.get_ref().len() == 2
                    && country.get_ref().chars().all(|c| c.is_ascii_uppercase()))
            {
                let reason = format!("'{}' is not an ISO country code like NL", country.get_ref());
                report(3, country.span().start, "locations.country", reason);
            }
        }
        let default_locations: Vec<String> = locations
            .locations
            .iter()
            .filter(|location| location.kind.get_ref() != "transit")
            .map(|location| location.code.get_ref().clone())
            .collect();

        let mut type_codes = HashSet::new();
        let mut resolved_types = Vec::new();
        for item_type in &item_types.item_types {
            let code = item_type.code.get_ref();
            if !type_codes.insert(code.as_str()) {
                report(
                    2,
                    item_type.code.span().start,
                    "item_types.code",
                    format!("'{code}' is listed twice"),
                );
            }
            let count = *item_type.parent_items.get_ref();
            if !(0..=10_000).contains(&count) {
                report(
                    2,
                    item_type.parent_items.span().start,
                    "item_types.parent_items",
                    format!("must be 0 to 10000, not {count}"),
                );
            }
            let spread: Vec<String> = match &item_type.locations {
                Some(codes) => codes.iter().map(|code| code.get_ref().clone()).collect(),
                None => default_locations.clone(),
            };
            for code in item_type.locations.iter().flatten() {
                if !location_codes.contains(code.get_ref().as_str()) {
                    let reason = format!(
                        "unknown location '{}'; locations in locations.toml: {}",
                        code.get_ref(),
                        sorted(&location_codes)
                    );
                    report(2, code.span().start, "item_types.locations", reason);
                }
            }
            if spread.len() < 2 && count > 0 {
                let reason =
                    format!("items of type '{code}' need at least two locations to move between");
                report(
                    2,
                    item_type.code.span().start,
                    "item_types.locations",
                    reason,
                );
            }
            resolved_types.push(ItemType {
                code: code.clone(),
                name: item_type.name.clone(),
                description: item_type.description.clone(),
                parent_items: u32::try_from(count).unwrap_or(0),
                locations: spread,
            });
        }

        let skus: HashSet<&str> = products
            .products
            .iter()
            .map(|product| product.sku.get_ref().as_str())
            .collect();
        let mut seen_skus = HashSet::new();
        let mut types_with_parents = HashSet::new();
        for product in &products.products {
            let sku = product.sku.get_ref();
            if !seen_skus.insert(sku.as_str()) {
                report(
                    4,
                    product.sku.span().start,
                    "products.sku",
                    format!("'{sku}' is listed twice"),
                );
            }
            if !type_codes.contains(product.item_type.get_ref().as_str()) {
                let reason = format!(
                    "unknown item type '{}'; types in item_types.toml: {}",
                    product.item_type.get_ref(),
                    sorted(&type_codes)
                );
                report(4, product.item_type.span().start, "products.type", reason);
            }
            let price = *product.price.get_ref();
            if !(0.0..1e10).contains(&price) {
                report(
                    4,
                    product.price.span().start,
                    "products.price",
                    format!("must be between 0 and 9999999999.99, not {price}"),
                );
            }
            for component in &product.components {
                if !skus.contains(component.get_ref().as_str()) || component.get_ref() == sku {
                    let reason = format!(
                        "unknown component SKU '{}' (components must be other products in this file)",
                        component.get_ref()
                    );
                    report(4, component.span().start, "products.components", reason);
                }
            }
            if !product.components.is_empty() {
                types_with_parents.insert(product.item_type.get_ref().as_str());
            }
        }
        for item_type in &item_types.item_types {
            if *item_type.parent_items.get_ref() > 0
                && !types_with_parents.contains(item_type.code.get_ref().as_str())
            {
                let reason = format!(
                    "type '{}' has parent items but no product with components in products.toml",
                    item_type.code.get_ref()
                );
                report(
                    2,
                    item_type.code.span().start,
                    "item_types.parent_items",
                    reason,
                );
            }
        }

        let mut card_numbers = HashSet::new();
        for card in &cards.cards {
            let number = card.number.get_ref();
            if !crate::luhn::is_valid(number) {
                report(
                    5,
                    card.number.span().start,
                    "cards.number",
                    format!("'{number}' is not a Luhn-valid card number"),
                );
            }
            if !card_numbers.insert(number.as_str()) {
                report(
                    5,
                    card.number.span().start,
                    "cards.number",
                    format!("'{number}' is listed twice"),
                );
            }
            if !CARD_BEHAVIOURS.contains(&card.behaviour.get_ref().as_str()) {
                let reason = format!(
                    "unknown behaviour '{}'; one of {}",
                    card.behaviour.get_ref(),
                    CARD_BEHAVIOURS.join(", ")
                );
                report(5, card.behaviour.span().start, "cards.behaviour", reason);
            }
        }

        Some(SeedData {
            origin,
            permissions: roles
                .permissions
                .into_iter()
                .map(|(code, description)| Permission { code, description })
                .collect(),
            roles: roles
                .roles
                .into_iter()
                .map(|role| Role {
                    name: role.name.into_inner(),
                    description: role.description,
                    permissions: role
                        .permissions
                        .into_iter()
                        .map(Spanned::into_inner)
                        .collect(),
                })
                .collect(),
            accounts: resolved_accounts,
            item_types: resolved_types,
            locations: locations
                .locations
                .into_iter()
                .map(|location| Location {
                    code: location.code.into_inner(),
                    name: location.name,
                    kind: location.kind.into_inner(),
                    street_address: location.street_address,
                    city: location.city,
                    postcode: location.postcode,
                    country: location.country.map(Spanned::into_inner),
                })
                .collect(),
            products: products
                .products
                .into_iter()
                .map(|product| Product {
                    sku: product.sku.into_inner(),
                    name: product.name,
                    description: product.description,
                    item_type: product.item_type.into_inner(),
                    price: format!("{:.2}", product.price.get_ref()),
                    currency: product.currency,
                    components: product
                        .components
                        .into_iter()
                        .map(Spanned::into_inner)
                        .collect(),
                })
                .collect(),
            payment_cards: cards
                .cards
                .into_iter()
                .map(|card| PaymentCard {
                    number: card.number.into_inner(),
                    brand: card.brand,
                    behaviour: card.behaviour.into_inner(),
                    description: card.description,
                })
                .collect(),
        })
    }
}

fn sorted(names: &HashSet<&str>) -> String {
    let mut names: Vec<&str> = names.iter().copied().collect();
    names.sort_unstable();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_are_valid() {
        let data = SeedData::load(Some(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("seeds")
                .as_path(),
        ))
        .expect("seeds/ is valid");
        assert_eq!(data.roles.len(), 6);
        assert_eq!(data.item_types.len(), 7);
        assert_eq!(data.payment_cards.len(), 4);
        assert!(
            data.accounts
                .iter()
                .any(|account| account.email.starts_with("admin@"))
        );
    }

    #[test]
    fn luhn() {
        for valid in [
            "4242424242424242",
            "4000000000009995",
            "4000000000000002",
            "4000002500003155",
        ] {
            assert!(crate::luhn::is_valid(valid), "{valid}");
        }
        for invalid in ["4242424242424241", "42424242", "4242-4242-4242-4242"] {
            assert!(!crate::luhn::is_valid(invalid), "{invalid}");
        }
    }
}
