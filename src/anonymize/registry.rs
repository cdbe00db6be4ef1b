//! The registry: every transformer by name.

use super::Registry;
use super::transformers::{basic, card, date, fake, json, number, scrub};

/// All transformers, family by family, in the order `restage anonymizers list` shows them.
pub static REGISTRY: Registry = Registry::new(&[
    basic::DEFINITIONS,
    fake::DEFINITIONS,
    card::DEFINITIONS,
    date::DEFINITIONS,
    number::DEFINITIONS,
    json::DEFINITIONS,
    scrub::DEFINITIONS,
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = REGISTRY.definitions().map(|d| d.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
