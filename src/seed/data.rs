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
use crate::mapping::Mapping;
use crate::toml_source::{self, Problem};

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
    /// Its role's name, when the application's accounts have roles.
    pub role: Option<String>,
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
    /// Its item type's code, when the application's products have types.
    pub item_type: Option<String>,
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
    /// The fixture sets of `fixtures/*.toml`, by name.
    pub fixtures: Vec<super::fixtures::FixtureSet>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct AccountsFile {
    accounts: Vec<AccountEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    email: Spanned<String>,
    full_name: String,
    role: Option<Spanned<String>>,
    phone: Option<String>,
    password_env: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
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
    item_type: Option<Spanned<String>>,
    price: Spanned<f64>,
    #[serde(default = "default_currency")]
    currency: String,
    #[serde(default)]
    components: Vec<Spanned<String>>,
}

fn default_currency() -> String {
    "EUR".to_owned()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
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
    /// A file the seeders of `mapping` do not need may be missing from `dir` (the test cards
    /// then are the built-in ones).
    pub fn load(dir: Option<&Path>, mapping: &Mapping) -> Result<SeedData, Error> {
        let dir = match dir {
            Some(dir) => Some(dir.to_path_buf()),
            None => Some(PathBuf::from("seeds")).filter(|default| default.is_dir()),
        };
        let origin = dir.as_ref().map_or_else(
            || "built-in defaults".to_owned(),
            |dir| dir.display().to_string(),
        );
        let [
            roles,
            accounts,
            item_types,
            locations,
            products,
            payment_cards,
        ] = FILES.map(|(name, built_in)| SourceFile::read(dir.as_deref(), name, built_in, mapping));
        let files = Files {
            roles: roles?,
            accounts: accounts?,
            item_types: item_types?,
            locations: locations?,
            products: products?,
            payment_cards: payment_cards?,
        };
        let fixtures = super::fixtures::load(dir.as_deref())?;
        let mut problems = Vec::new();
        for set in &fixtures {
            if mapping.seeders.contains(&set.name.as_str()) {
                problems.push(format!(
                    "fixtures/{}.toml: the fixture set has the name of the built-in seeder {}; \
                     rename the file, or leave the seeder out of [schema] seeders",
                    set.name, set.name
                ));
            }
        }
        let data = files.validate(origin.clone(), mapping, &mut problems);
        match data {
            Some(mut data) if problems.is_empty() => {
                data.fixtures = fixtures;
                Ok(data)
            }
            _ => Err(Error::SeedData { origin, problems }),
        }
    }
}

/// The numbers of the staging test cards (`payment_cards.toml` of `./seeds` when it has one,
/// else the built-in cards), which the `card` transformer may never write.
pub fn test_card_numbers() -> Result<Vec<String>, Error> {
    let dir = Path::new("seeds");
    let (name, built_in) = FILES[5];
    let file = match dir.join(name).is_file() {
        true => SourceFile::read(Some(dir), name, built_in, &Mapping::default())?,
        false => SourceFile::read(None, name, built_in, &Mapping::default())?,
    };
    let mut problems = Vec::new();
    let cards: Option<PaymentCardsFile> = file.parse(&mut problems);
    if let Some(cards) = &cards {
        check_cards(cards, &mut Report::new(&file, &mut problems));
    }
    match cards {
        Some(cards) if problems.is_empty() => Ok(cards
            .cards
            .into_iter()
            .map(|card| card.number.into_inner())
            .collect()),
        _ => Err(Error::SeedData {
            origin: file.name,
            problems,
        }),
    }
}

/// One seed file as read: its name for messages and its text for line numbers.
struct SourceFile {
    name: String,
    text: String,
}

impl SourceFile {
    /// `name` from `dir`, or the built-in text when there is no directory. A file missing
    /// from `dir` that no configured seeder needs reads as empty (the test cards as built in).
    fn read(
        dir: Option<&Path>,
        name: &str,
        built_in: &str,
        mapping: &Mapping,
    ) -> Result<SourceFile, Error> {
        match dir {
            Some(dir) if !dir.join(name).exists() && !mapping.needs_seed_file(name) => {
                let text = if name == "payment_cards.toml" {
                    built_in
                } else {
                    ""
                };
                Ok(SourceFile {
                    name: format!("{name} (not in {}, not needed)", dir.display()),
                    text: text.to_owned(),
                })
            }
            Some(dir) if !dir.join(name).exists() => Err(Error::SeedData {
                origin: dir.display().to_string(),
                problems: vec![format!(
                    "{name} is missing, and the built-in seeders of this schema need it ([schema] \
                     seeders: {}); add it, or leave the seeders that need it out of that list",
                    mapping.seeders.join(", ")
                )],
            }),
            Some(dir) => {
                let path = dir.join(name);
                let text =
                    std::fs::read_to_string(&path).map_err(|source| Error::SeedFileRead {
                        path: path.display().to_string(),
                        source,
                    })?;
                Ok(SourceFile {
                    name: path.display().to_string(),
                    text,
                })
            }
            None => Ok(SourceFile {
                name: format!("{name} (built in)"),
                text: built_in.to_owned(),
            }),
        }
    }

    /// The parsed file, or `None` with the parse problems noted.
    fn parse<T: serde::de::DeserializeOwned>(&self, problems: &mut Vec<String>) -> Option<T> {
        toml_source::parse(&self.text)
            .map_err(|found| {
                problems.extend(
                    found
                        .iter()
                        .map(|problem| format!("{}: {problem}", self.name)),
                )
            })
            .ok()
    }
}

/// Notes problems of one file, each as `file: line N: key: reason`.
struct Report<'a> {
    file: &'a SourceFile,
    problems: &'a mut Vec<String>,
}

impl<'a> Report<'a> {
    fn new(file: &'a SourceFile, problems: &'a mut Vec<String>) -> Report<'a> {
        Report { file, problems }
    }

    fn at(&mut self, offset: usize, key: &str, reason: String) {
        let located = Problem::at(&self.file.text, offset, key, &reason);
        self.problems.push(format!("{}: {located}", self.file.name));
    }
}

/// The six seed files.
struct Files {
    roles: SourceFile,
    accounts: SourceFile,
    item_types: SourceFile,
    locations: SourceFile,
    products: SourceFile,
    payment_cards: SourceFile,
}

impl Files {
    /// Parses and cross-checks the files; `None` when one of them did not even parse.
    fn validate(
        &self,
        origin: String,
        mapping: &Mapping,
        problems: &mut Vec<String>,
    ) -> Option<SeedData> {
        let roles: Option<RolesFile> = self.roles.parse(problems);
        let accounts: Option<AccountsFile> = self.accounts.parse(problems);
        let item_types: Option<ItemTypesFile> = self.item_types.parse(problems);
        let locations: Option<LocationsFile> = self.locations.parse(problems);
        let products: Option<ProductsFile> = self.products.parse(problems);
        let cards: Option<PaymentCardsFile> = self.payment_cards.parse(problems);
        let (roles, accounts, item_types, locations, products, cards) = (
            roles?,
            accounts?,
            item_types?,
            locations?,
            products?,
            cards?,
        );
        let role_names = check_roles(&roles, &mut Report::new(&self.roles, problems));
        let accounts = resolve_accounts(
            &accounts,
            mapping.needs_seed_file("roles.toml").then_some(&role_names),
            &mut Report::new(&self.accounts, problems),
        );
        let location_codes =
            check_locations(&locations, &mut Report::new(&self.locations, problems));
        let (resolved_types, type_codes) = resolve_item_types(
            &item_types,
            &locations,
            &location_codes,
            &mut Report::new(&self.item_types, problems),
        );
        let types_with_parents = check_products(
            &products,
            mapping
                .needs_seed_file("item_types.toml")
                .then_some(&type_codes),
            &mut Report::new(&self.products, problems),
        );
        check_parents_have_products(
            &item_types,
            &types_with_parents,
            &mut Report::new(&self.item_types, problems),
        );
        check_cards(&cards, &mut Report::new(&self.payment_cards, problems));

        Some(SeedData {
            origin,
            permissions: roles
                .permissions
                .into_iter()
                .map(|(code, description)| Permission { code, description })
                .collect(),
            roles: roles.roles.into_iter().map(Role::from).collect(),
            accounts,
            item_types: resolved_types,
            locations: locations
                .locations
                .into_iter()
                .map(Location::from)
                .collect(),
            products: products.products.into_iter().map(Product::from).collect(),
            payment_cards: cards.cards.into_iter().map(PaymentCard::from).collect(),
            fixtures: Vec::new(),
        })
    }
}

/// Roles are named once and use declared permissions; returns the role names.
fn check_roles<'f>(roles: &'f RolesFile, report: &mut Report<'_>) -> HashSet<&'f str> {
    let permission_codes: HashSet<&str> = roles.permissions.keys().map(String::as_str).collect();
    let mut role_names = HashSet::new();
    for role in &roles.roles {
        if !role_names.insert(role.name.get_ref().as_str()) {
            report.at(
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
                report.at(permission.span().start, "roles.permissions", reason);
            }
        }
    }
    role_names
}

/// Accounts are listed once, have a known role (when `role_names` are given: accounts have
/// roles) and a staging password (from its environment variable, else the file).
fn resolve_accounts(
    accounts: &AccountsFile,
    role_names: Option<&HashSet<&str>>,
    report: &mut Report<'_>,
) -> Vec<Account> {
    let mut emails = HashSet::new();
    let mut resolved = Vec::new();
    for account in &accounts.accounts {
        let email = account.email.get_ref();
        if !emails.insert(email.to_lowercase()) {
            report.at(
                account.email.span().start,
                "accounts.email",
                format!("'{email}' is listed twice"),
            );
        }
        if let Some(role_names) = role_names {
            match &account.role {
                // An account without a role gets none (NULL).
                Some(role) if !role_names.contains(role.get_ref().as_str()) => {
                    let reason = format!(
                        "unknown role '{}'; roles in roles.toml: {}",
                        role.get_ref(),
                        sorted(role_names)
                    );
                    report.at(role.span().start, "accounts.role", reason);
                }
                _ => {}
            }
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
            Some(password) => resolved.push(Account {
                email: email.clone(),
                full_name: account.full_name.clone(),
                role: account.role.as_ref().map(|role| role.get_ref().clone()),
                phone: account.phone.clone(),
                password,
            }),
            None => {
                let reason = format!(
                    "no staging password for '{email}': set ${} or `password`",
                    account.password_env.as_deref().unwrap_or("<password_env>")
                );
                report.at(account.email.span().start, "accounts.password", reason);
            }
        }
    }
    resolved
}

/// Locations are listed once, of a known kind, with ISO country codes; returns their codes.
fn check_locations<'f>(locations: &'f LocationsFile, report: &mut Report<'_>) -> HashSet<&'f str> {
    let mut codes = HashSet::new();
    for location in &locations.locations {
        if !codes.insert(location.code.get_ref().as_str()) {
            report.at(
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
            report.at(location.kind.span().start, "locations.kind", reason);
        }
        if let Some(country) = &location.country
            && !(country.get_ref().len() == 2
                && country.get_ref().chars().all(|c| c.is_ascii_uppercase()))
        {
            let reason = format!("'{}' is not an ISO country code like NL", country.get_ref());
            report.at(country.span().start, "locations.country", reason);
        }
    }
    codes
}

/// Item types are listed once, with a sane number of parent items spread over known
/// locations (by default every location that is not in transit); returns them and their codes.
fn resolve_item_types<'f>(
    item_types: &'f ItemTypesFile,
    locations: &LocationsFile,
    location_codes: &HashSet<&str>,
    report: &mut Report<'_>,
) -> (Vec<ItemType>, HashSet<&'f str>) {
    let default_locations: Vec<String> = locations
        .locations
        .iter()
        .filter(|location| location.kind.get_ref() != "transit")
        .map(|location| location.code.get_ref().clone())
        .collect();
    let mut codes = HashSet::new();
    let mut resolved = Vec::new();
    for item_type in &item_types.item_types {
        let code = item_type.code.get_ref();
        if !codes.insert(code.as_str()) {
            report.at(
                item_type.code.span().start,
                "item_types.code",
                format!("'{code}' is listed twice"),
            );
        }
        let count = *item_type.parent_items.get_ref();
        if !(0..=10_000).contains(&count) {
            report.at(
                item_type.parent_items.span().start,
                "item_types.parent_items",
                format!("must be 0 to 10000, not {count}"),
            );
        }
        let spread: Vec<String> = match &item_type.locations {
            Some(codes) => codes.iter().map(|code| code.get_ref().clone()).collect(),
            None => default_locations.clone(),
        };
        for location in item_type.locations.iter().flatten() {
            if !location_codes.contains(location.get_ref().as_str()) {
                let reason = format!(
                    "unknown location '{}'; locations in locations.toml: {}",
                    location.get_ref(),
                    sorted(location_codes)
                );
                report.at(location.span().start, "item_types.locations", reason);
            }
        }
        if spread.len() < 2 && count > 0 {
            let reason =
                format!("items of type '{code}' need at least two locations to move between");
            report.at(item_type.code.span().start, "item_types.locations", reason);
        }
        resolved.push(ItemType {
            code: code.clone(),
            name: item_type.name.clone(),
            description: item_type.description.clone(),
            parent_items: u32::try_from(count).unwrap_or(0),
            locations: spread,
        });
    }
    (resolved, codes)
}

/// Products are listed once, of a known type (when `type_codes` are given: products have
/// types), sanely priced, with components that are other products; returns the item types
/// that have a product with components.
fn check_products<'f>(
    products: &'f ProductsFile,
    type_codes: Option<&HashSet<&str>>,
    report: &mut Report<'_>,
) -> HashSet<&'f str> {
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
            report.at(
                product.sku.span().start,
                "products.sku",
                format!("'{sku}' is listed twice"),
            );
        }
        if let Some(type_codes) = type_codes {
            match &product.item_type {
                Some(code) if !type_codes.contains(code.get_ref().as_str()) => {
                    let reason = format!(
                        "unknown item type '{}'; types in item_types.toml: {}",
                        code.get_ref(),
                        sorted(type_codes)
                    );
                    report.at(code.span().start, "products.type", reason);
                }
                Some(_) => {}
                None => report.at(
                    product.sku.span().start,
                    "products.type",
                    format!("'{sku}' has no type; products have item types in this schema"),
                ),
            }
        }
        let price = *product.price.get_ref();
        if !(0.0..1e10).contains(&price) {
            report.at(
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
                report.at(component.span().start, "products.components", reason);
            }
        }
        if let (false, Some(code)) = (product.components.is_empty(), &product.item_type) {
            types_with_parents.insert(code.get_ref().as_str());
        }
    }
    types_with_parents
}

/// A type with parent items needs a product with components to make them from.
fn check_parents_have_products(
    item_types: &ItemTypesFile,
    types_with_parents: &HashSet<&str>,
    report: &mut Report<'_>,
) {
    for item_type in &item_types.item_types {
        if *item_type.parent_items.get_ref() > 0
            && !types_with_parents.contains(item_type.code.get_ref().as_str())
        {
            let reason = format!(
                "type '{}' has parent items but no product with components in products.toml",
                item_type.code.get_ref()
            );
            report.at(
                item_type.code.span().start,
                "item_types.parent_items",
                reason,
            );
        }
    }
}

/// Test cards are Luhn-valid, listed once and of a known behaviour.
fn check_cards(cards: &PaymentCardsFile, report: &mut Report<'_>) {
    let mut numbers = HashSet::new();
    for card in &cards.cards {
        let number = card.number.get_ref();
        if !crate::luhn::is_valid(number) {
            report.at(
                card.number.span().start,
                "cards.number",
                format!("'{number}' is not a Luhn-valid card number"),
            );
        }
        if !numbers.insert(number.as_str()) {
            report.at(
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
            report.at(card.behaviour.span().start, "cards.behaviour", reason);
        }
    }
}

impl From<RoleEntry> for Role {
    fn from(role: RoleEntry) -> Role {
        Role {
            name: role.name.into_inner(),
            description: role.description,
            permissions: role
                .permissions
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
        }
    }
}

impl From<LocationEntry> for Location {
    fn from(location: LocationEntry) -> Location {
        Location {
            code: location.code.into_inner(),
            name: location.name,
            kind: location.kind.into_inner(),
            street_address: location.street_address,
            city: location.city,
            postcode: location.postcode,
            country: location.country.map(Spanned::into_inner),
        }
    }
}

impl From<ProductEntry> for Product {
    fn from(product: ProductEntry) -> Product {
        Product {
            sku: product.sku.into_inner(),
            name: product.name,
            description: product.description,
            item_type: product.item_type.map(Spanned::into_inner),
            price: format!("{:.2}", product.price.get_ref()),
            currency: product.currency,
            components: product
                .components
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
        }
    }
}

impl From<PaymentCardEntry> for PaymentCard {
    fn from(card: PaymentCardEntry) -> PaymentCard {
        PaymentCard {
            number: card.number.into_inner(),
            brand: card.brand,
            behaviour: card.behaviour.into_inner(),
            description: card.description,
        }
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
        let data = SeedData::load(
            Some(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("seeds")
                    .as_path(),
            ),
            &Mapping::default(),
        )
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
}
