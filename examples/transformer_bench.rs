//! The cost of each transformer per value (ns/value), for `scripts/bench`: every transformer's
//! example rule (as `restage anonymizers list` shows it) applied to varied inputs of the kind
//! of column it writes, with a fixed key, single-threaded.
//!
//! `cargo run --release --example transformer_bench [VALUES]` (default 100000 per transformer).

use std::hint::black_box;
use std::time::Instant;

use restage::anonymize::{BuildContext, CompiledRule, Keyer, REGISTRY};
use restage::catalog::{Column, TypeCategory};

fn main() {
    let values: usize = std::env::args()
        .nth(1)
        .and_then(|count| count.parse().ok())
        .unwrap_or(100_000);
    let keyer = Keyer::from_secret("restage transformer bench key");
    let cards = ["4242424242424242".to_owned()];
    println!("{:<16} {:>10}  example", "transformer", "ns/value");
    for definition in REGISTRY.definitions() {
        let category = definition
            .accepts
            .first()
            .copied()
            .unwrap_or(TypeCategory::Text);
        // The composite example names the fields of a postal address.
        let column = Column {
            category,
            fields: ["street", "city", "zip", "country"]
                .iter()
                .map(|name| Column::text(name))
                .collect(),
            ..Column::text("value")
        };
        let columns = [
            Column {
                category: TypeCategory::Integer,
                ..Column::text("id")
            },
            column.clone(),
        ];
        let context = BuildContext {
            column: &column,
            table_columns: &columns,
            test_cards: &cards,
            registry: &REGISTRY,
        };
        let Some((_, rule)) = definition.example.split_once(" = ") else {
            continue;
        };
        let rule: toml::Value = match toml::from_str::<toml::Table>(&format!("rule = {rule}")) {
            Ok(mut table) => table.remove("rule").unwrap_or(toml::Value::Boolean(false)),
            Err(error) => {
                eprintln!("{}: example does not parse: {error}", definition.name);
                continue;
            }
        };
        let compiled = match CompiledRule::build(&rule, &context) {
            Ok(compiled) => compiled,
            Err(error) => {
                eprintln!("{}: example does not build: {error}", definition.name);
                continue;
            }
        };
        let inputs: Vec<String> = (0..1024).map(|i| input(category, i)).collect();
        let row = vec![Some("42".to_owned()), None];
        let start = Instant::now();
        for i in 0..values {
            let output = compiled.apply(Some(&inputs[i % inputs.len()]), &keyer, &row);
            black_box(output.ok());
        }
        let nanos = start.elapsed().as_nanos() as f64 / values.max(1) as f64;
        println!(
            "{:<16} {:>10.0}  {}",
            definition.name, nanos, definition.example
        );
    }
}

/// A varied input of the kind a column of `category` holds.
fn input(category: TypeCategory, i: usize) -> String {
    match category {
        TypeCategory::Date | TypeCategory::Timestamp => {
            format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28)
        }
        TypeCategory::Integer | TypeCategory::Decimal => format!("{}.{:02}", 1000 + i * 7, i % 100),
        TypeCategory::Json => format!(
            r#"{{"name":"Mary {i}","contacts":[{{"type":"email","value":"mary{i}@shop.example"}},{{"type":"note","value":"call after 6"}}],"phone":"+44 20 7946 {i:04}"}}"#
        ),
        TypeCategory::Inet => format!("10.{}.{}.{}", i % 256, (i / 7) % 256, (i / 13) % 256),
        TypeCategory::Uuid => format!("00000000-0000-4000-8000-{i:012}"),
        TypeCategory::Macaddr => format!("08:00:2b:01:{:02x}:{:02x}", i % 256, (i / 3) % 256),
        TypeCategory::Composite => format!("(\"{i} Main St\",Utrecht,\"3511 AB\",NL)"),
        TypeCategory::Array => format!("{{\"+44 20 7946 {i:04}\",+3161234{i:04},NULL}}"),
        TypeCategory::Text | TypeCategory::Bytea | TypeCategory::Other => format!(
            "2026-01-02 login mary.smith{i}@shop.example from 192.168.{}.{}, call +44 20 7946 {i:04}",
            i % 256,
            (i / 5) % 256
        ),
    }
}
