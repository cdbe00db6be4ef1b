//! The stability promise, tested: every transformer's exact output for a fixed key and
//! input is pinned in `golden.tsv`. A change that moves any fake fails here; it must then
//! come as a new `fakes` version of profiles (see the README), never silently.
//!
//! `RESTAGE_BLESS=1 cargo test --lib golden` rewrites the file, for a new transformer only.

use super::REGISTRY;
use super::testing::{compile, example_of, test_keyer};
use crate::catalog::TypeCategory;

/// The pinned outputs: transformer, rule, input, output (`\N` for NULL, newlines as `\n`),
/// tab-separated.
const GOLDEN: &str = include_str!("golden.tsv");

/// The input each transformer is pinned on, by the first column type it writes.
fn input_for(name: &str, category: TypeCategory) -> &'static str {
    match (name, category) {
        ("phone", _) => "+44 20 7946 0958",
        ("card", _) => "4111 1111 1111 1111",
        ("json", _) => {
            r#"{"contacts": [{"type": "email", "value": "maria@mail.example"}], "phone": "+44 20 7946 0958"}"#
        }
        ("scrub", _) => "call +44 20 7946 0958 or write to maria@mail.example",
        ("each", _) => r#"{"+44 20 7946 0958","+1 212 555 0100"}"#,
        ("fields", _) => r#"("1 Main St",Springfield,12345,US)"#,
        ("ipv4" | "ipv6" | "mac", _) => "10.1.2.3",
        (_, TypeCategory::Date | TypeCategory::Timestamp) => "1987-06-05",
        (_, TypeCategory::Integer | TypeCategory::Decimal) => "52000.75",
        _ => "maria@mail.example",
    }
}

/// Every transformer's example rule applied to its input, as `golden.tsv` lines.
fn outputs() -> Vec<String> {
    let keyer = test_keyer();
    REGISTRY
        .definitions()
        .map(|definition| {
            let (rule, target) = example_of(definition);
            let compiled = compile(rule, &target).expect("the example builds");
            let input = input_for(definition.name, target.category);
            let row = vec![Some("7".to_owned()), Some(input.to_owned()), None];
            let output = compiled
                .apply(Some(input), &keyer, &row)
                .expect("the example applies");
            format!(
                "{}\t{rule}\t{input}\t{}",
                definition.name,
                output.as_deref().unwrap_or("\\N").replace('\n', "\\n")
            )
        })
        .collect()
}

#[test]
fn every_transformer_gives_the_outputs_of_fakes_version_1() {
    let outputs = outputs();
    if std::env::var_os("RESTAGE_BLESS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/anonymize/golden.tsv");
        std::fs::write(path, outputs.join("\n") + "\n").expect("write golden.tsv");
        return;
    }
    let pinned: Vec<&str> = GOLDEN.lines().collect();
    for line in &outputs {
        let name = line.split('\t').next().unwrap_or_default();
        let expected = pinned
            .iter()
            .find(|pinned| pinned.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} has no pinned output in golden.tsv: pin it"));
        assert_eq!(
            line, expected,
            "{name}'s fake changed: a changed fake is a new `fakes` version, never version 1"
        );
    }
    assert_eq!(
        pinned.len(),
        outputs.len(),
        "golden.tsv pins a transformer that is gone"
    );
}
