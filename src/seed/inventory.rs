//! The `inventory` seeder: locations, parent items with their child items, and the initial
//! movement (arrival) of each item.

use std::collections::HashMap;

use sqlx::postgres::PgConnection;

use super::owned::{self, Counts, Upserted};
use super::plan::{PlannedItem, SEED_EPOCH};
use super::tables::Fields;
use super::{SeedContext, SeedError, Seeder};
use crate::mapping::Entity;

/// The natural key of an item's n-th movement (0 = its arrival).
pub fn movement_key(serial: &str, number: usize) -> String {
    format!("{serial}#{number}")
}

/// A movement's values by field.
pub fn movement_fields(
    item: Option<i64>,
    from: Option<i64>,
    to: i64,
    by: Option<i64>,
    at: i64,
    note: &str,
) -> Fields {
    vec![
        ("item", item.map(|id| id.to_string())),
        ("from", from.map(|id| id.to_string())),
        ("to", Some(to.to_string())),
        ("by", by.map(|id| id.to_string())),
        ("at", Some(at.to_string())),
        ("note", Some(note.to_owned())),
    ]
}

/// Upserts locations and items and the arrival of every item it owns.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let skus: Vec<String> = context.plan.iter().map(|item| item.sku.clone()).collect();
    let product_ids = context
        .tables
        .get(Entity::Products)
        .ids_by_key(connection, &skus)
        .await?;
    if let Some(missing) = skus.iter().find(|sku| !product_ids.contains_key(*sku)) {
        return Err(SeedError::Prerequisite {
            missing: format!("product '{missing}' is not in the database"),
            run_first: Seeder::Products,
        });
    }
    let locations = upsert_locations(connection, context).await?;
    let (parents, children): (Vec<&PlannedItem>, Vec<&PlannedItem>) =
        context.plan.iter().partition(|item| item.parent.is_none());
    let items = Items {
        product_ids: &product_ids,
        location_ids: &locations.ids,
    };
    let parents = items
        .upsert(connection, context, &parents, &HashMap::new())
        .await?;
    let children = items
        .upsert(connection, context, &children, &parents.ids)
        .await?;

    let arrivals = context
        .plan
        .iter()
        .filter(|item| {
            parents.owned.contains(&item.serial) || children.owned.contains(&item.serial)
        })
        .map(|item| {
            let item_id = parents
                .ids
                .get(&item.serial)
                .or_else(|| children.ids.get(&item.serial))
                .copied();
            let to = locations.ids[&item.arrives_at];
            let fields = movement_fields(item_id, None, to, None, item.arrived, "Received");
            (movement_key(&item.serial, 0), fields)
        })
        .collect();
    let movements = context.tables.get(Entity::Movements);
    let arrivals = owned::upsert(connection, &movements.seed("inventory", arrivals, true)).await?;

    let mut counts = locations.counts;
    counts += parents.counts;
    counts += children.counts;
    counts += arrivals.counts;
    Ok(counts)
}

async fn upsert_locations(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Upserted, sqlx::Error> {
    let rows = context
        .data
        .locations
        .iter()
        .map(|location| {
            let fields = vec![
                ("name", Some(location.name.clone())),
                ("kind", Some(location.kind.clone())),
                ("street", location.street_address.clone()),
                ("city", location.city.clone()),
                ("postcode", location.postcode.clone()),
                ("country", location.country.clone()),
                ("created_at", Some(SEED_EPOCH.to_string())),
            ];
            (location.code.clone(), fields)
        })
        .collect();
    let table = context.tables.get(Entity::Locations);
    owned::upsert(connection, &table.seed("inventory", rows, false)).await
}

/// The ids items refer to.
struct Items<'a> {
    product_ids: &'a HashMap<String, i64>,
    location_ids: &'a HashMap<String, i64>,
}

impl Items<'_> {
    async fn upsert(
        &self,
        connection: &mut PgConnection,
        context: &SeedContext<'_>,
        items: &[&PlannedItem],
        parent_ids: &HashMap<String, i64>,
    ) -> Result<Upserted, sqlx::Error> {
        let rows = items
            .iter()
            .map(|item| {
                let fields = vec![
                    ("product", Some(self.product_ids[&item.sku].to_string())),
                    (
                        "parent",
                        item.parent
                            .as_ref()
                            .and_then(|parent| parent_ids.get(parent))
                            .map(i64::to_string),
                    ),
                    ("status", Some("in_stock".to_owned())),
                    ("created_at", Some(item.arrived.to_string())),
                    (
                        "location",
                        Some(self.location_ids[&item.arrives_at].to_string()),
                    ),
                ];
                (item.serial.clone(), fields)
            })
            .collect();
        let table = context.tables.get(Entity::Items);
        owned::upsert(connection, &table.seed("inventory", rows, false)).await
    }
}
