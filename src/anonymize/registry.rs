//! The registry: every transformer by name.

use super::Registry;
use super::transformers::{array, basic, card, composite, date, fake, json, linked, number, scrub};

/// All transformers, family by family, in the order `restage anonymizers list` shows them.
pub static REGISTRY: Registry = Registry::new(&[
    basic::DEFINITIONS,
    fake::DEFINITIONS,
    linked::DEFINITIONS,
    card::DEFINITIONS,
    date::DEFINITIONS,
    number::DEFINITIONS,
    json::DEFINITIONS,
    scrub::DEFINITIONS,
    array::DEFINITIONS,
    composite::DEFINITIONS,
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

    /// Every example `restage anonymizers list` shows is a rule that builds.
    #[test]
    fn every_example_builds() {
        use crate::anonymize::testing::{compile, example_of};

        for definition in REGISTRY.definitions() {
            let (rule, target) = example_of(definition);
            if let Err(error) = compile(rule, &target) {
                panic!(
                    "{}: {} does not build: {error}",
                    definition.name, definition.example
                );
            }
        }
    }
}
