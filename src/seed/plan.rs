//! The inventory plan: which items exist, where they arrive and how they move afterwards.
//!
//! A pure function of the seed data and the `--rng-seed`: every item draws from its own RNG,
//! seeded by a keyed hash of (rng seed, serial), so two runs with the same seed plan the same
//! items and movements, and changing one item type does not reshuffle the others.

use blake2::{Blake2s256, Digest};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::SeedRng;

use super::data::SeedData;

/// Seeded rows carry timestamps relative to this instant (2026-01-01T00:00:00Z, as Unix
/// seconds) rather than now(), so two databases seeded alike are identical.
pub const SEED_EPOCH: i64 = 1_767_225_600;
/// Serials of seeded items start with this, so they are recognisable among production items.
pub const SERIAL_PREFIX: &str = "SEED-";
/// How many movements each item makes after its arrival, at most.
pub const MAX_FURTHER_MOVEMENTS: u32 = 4;

const MOVEMENT_NOTES: &[&str] = &[
    "Restock",
    "Customer order",
    "Rebalancing",
    "Repair",
    "Return",
    "Audit recount",
];

/// One planned item.
#[derive(Debug, Clone)]
pub struct PlannedItem {
    pub serial: String,
    pub sku: String,
    /// The serial of the parent item, for child items.
    pub parent: Option<String>,
    /// Location code where it arrives (its initial movement).
    pub arrives_at: String,
    /// Unix seconds of its arrival.
    pub arrived: i64,
    /// Its further movements, in order; each starts where the previous one ended.
    pub moves: Vec<PlannedMove>,
}

impl PlannedItem {
    /// Where the item is after all its planned movements.
    pub fn final_location(&self) -> &str {
        self.moves.last().map_or(&self.arrives_at, |last| &last.to)
    }
}

/// One movement between two different locations.
#[derive(Debug, Clone)]
pub struct PlannedMove {
    pub from: String,
    pub to: String,
    /// Unix seconds.
    pub at: i64,
    pub note: &'static str,
}

/// Plans every parent item (per item type), its child items and all their movements.
/// Parents come first, then children, so parents can be inserted before them.
pub fn plan_inventory(data: &SeedData, rng_seed: u64) -> Vec<PlannedItem> {
    let all_locations: Vec<&str> = data
        .locations
        .iter()
        .map(|location| location.code.as_str())
        .collect();
    let mut parents = Vec::new();
    let mut children = Vec::new();
    for item_type in &data.item_types {
        let products: Vec<_> = data
            .products
            .iter()
            .filter(|product| {
                product.item_type.as_deref() == Some(item_type.code.as_str())
                    && !product.components.is_empty()
            })
            .collect();
        for number in 1..=item_type.parent_items {
            let serial = format!(
                "{SERIAL_PREFIX}{}-{number:04}",
                item_type.code.to_uppercase()
            );
            let mut rng = item_rng(rng_seed, &serial);
            let (Some(product), Some(location)) = (
                products.choose(&mut rng),
                item_type.locations.choose(&mut rng),
            ) else {
                continue;
            };
            let arrived = SEED_EPOCH + rng.random_range(0..30 * 24 * 3600);
            for (index, component) in product.components.iter().enumerate() {
                let child_serial = format!("{serial}-{}", index + 1);
                let mut child_rng = item_rng(rng_seed, &child_serial);
                let moves = plan_moves(&mut child_rng, location, arrived, &all_locations);
                children.push(PlannedItem {
                    serial: child_serial,
                    sku: component.clone(),
                    parent: Some(serial.clone()),
                    arrives_at: location.clone(),
                    arrived,
                    moves,
                });
            }
            let moves = plan_moves(&mut rng, location, arrived, &all_locations);
            parents.push(PlannedItem {
                serial,
                sku: product.sku.clone(),
                parent: None,
                arrives_at: location.clone(),
                arrived,
                moves,
            });
        }
    }
    parents.extend(children);
    parents
}

/// 0 to MAX_FURTHER_MOVEMENTS moves, each to another location, hours apart.
fn plan_moves(
    rng: &mut SeedRng,
    start: &str,
    arrived: i64,
    locations: &[&str],
) -> Vec<PlannedMove> {
    let count = rng.random_range(0..=MAX_FURTHER_MOVEMENTS);
    let mut moves = Vec::new();
    let mut here = start.to_owned();
    let mut at = arrived;
    for _ in 0..count {
        let elsewhere: Vec<&&str> = locations.iter().filter(|code| **code != here).collect();
        let Some(to) = elsewhere.choose(rng) else {
            break;
        };
        at += rng.random_range(3600..=72 * 3600);
        let note = MOVEMENT_NOTES.choose(rng).copied().unwrap_or("Move");
        moves.push(PlannedMove {
            from: here.clone(),
            to: (**to).to_owned(),
            at,
            note,
        });
        here = (**to).to_owned();
    }
    moves
}

/// An RNG of its own for each item: a stable keyed hash, never std's randomly seeded hasher.
fn item_rng(rng_seed: u64, serial: &str) -> SeedRng {
    let digest = Blake2s256::new()
        .chain_update(rng_seed.to_le_bytes())
        .chain_update(serial.as_bytes())
        .finalize();
    SeedRng::from_seed(digest.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn data() -> SeedData {
        SeedData::load(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")),
            &crate::mapping::Mapping::default(),
        )
        .expect("seeds")
    }

    #[test]
    fn the_same_seed_plans_the_same_inventory() {
        let data = data();
        let first = format!("{:?}", plan_inventory(&data, 7));
        assert_eq!(first, format!("{:?}", plan_inventory(&data, 7)));
        assert_ne!(first, format!("{:?}", plan_inventory(&data, 8)));
    }

    #[test]
    fn movements_follow_the_item_and_never_stay_put() {
        for item in plan_inventory(&data(), 42) {
            let mut here = item.arrives_at.as_str();
            let mut at = item.arrived;
            assert!(item.moves.len() <= MAX_FURTHER_MOVEMENTS as usize);
            for step in &item.moves {
                assert_eq!(step.from, here, "{}", item.serial);
                assert_ne!(step.from, step.to, "{}", item.serial);
                assert!(step.at > at);
                here = &step.to;
                at = step.at;
            }
        }
    }

    /// The built-in seeders' inventory and movements for seed 42 and the repository's seed
    /// files, pinned (as a digest of every planned item): they stay what they are across
    /// versions of restage and its crates.
    #[test]
    fn the_inventory_of_seed_42_is_pinned() {
        let planned = format!("{:?}", plan_inventory(&data(), 42));
        let digest = crate::output::hex(&Blake2s256::digest(planned.as_bytes())[..8]);
        assert_eq!(digest, PINNED_INVENTORY, "{planned:.400}");
    }

    const PINNED_INVENTORY: &str = "1aee813040729e98";
}
