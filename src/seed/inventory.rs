//! The `inventory` seeder: locations, parent items with their child items, and the initial
//! movement (arrival) of each item.

use std::collections::HashMap;

use sqlx::postgres::PgConnection;

use super::owned::{
    self, BIGINT, Column, Counts, NaturalKey, SeedRow, TEXT, TableSeed, UNIX_TIME, Upserted,
};
use super::plan::{PlannedItem, SEED_EPOCH};
use super::{SeedContext, SeedError, Seeder};

const LOCATION_COLUMNS: &[Column] = &[
    Column::new("name", TEXT),
    Column::new("kind", TEXT),
    Column::new("street_address", TEXT),
    Column::new("city", TEXT),
    Column::new("postcode", TEXT),
    Column::new("country", "{v}::char(2)"),
    Column::new("created_at", UNIX_TIME),
];
const ITEM_COLUMNS: &[Column] = &[
    Column::new("product_id", BIGINT),
    Column::new("parent_item_id", BIGINT),
    Column::new("status", TEXT),
    Column::new("created_at", UNIX_TIME),
    // Where an item is now is the movements seeder's business once it has arrived.
    Column::on_insert("location_id", BIGINT),
];
/// Columns of `movements`, shared with the movements seeder.
pub const MOVEMENT_COLUMNS: &[Column] = &[
    Column::new("item_id", BIGINT),
    Column::new("from_location_id", BIGINT),
    Column::new("to_location_id", BIGINT),
    Column::new("moved_by", BIGINT),
    Column::new("moved_at", UNIX_TIME),
    Column::new("note", TEXT),
];

/// The natural key of an item's n-th movement (0 = its arrival).
pub fn movement_key(serial: &str, number: usize) -> String {
    format!("{serial}#{number}")
}

/// Upserts locations and items and the arrival of every item it owns.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let skus: Vec<String> = context.plan.iter().map(|item| item.sku.clone()).collect();
    let product_ids = owned::ids_by_key(connection, "products", "sku", "text", &skus).await?;
    if let Some(missing) = skus.iter().find(|sku| !product_ids.contains_key(*sku)) {
        return Err(SeedError::Prerequisite {
            missing: format!("product '{missing}' is not in the database"),
            run_first: Seeder::Products,
        });
    }
    let locations = upsert_locations(connection, context).await?;
    let (parents, children): (Vec<&PlannedItem>, Vec<&PlannedItem>) =
        context.plan.iter().partition(|item| item.parent.is_none());
    let parents = upsert_items(
        connection,
        &parents,
        &product_ids,
        &locations.ids,
        &HashMap::new(),
    )
    .await?;
    let children = upsert_items(
        connection,
        &children,
        &product_ids,
        &locations.ids,
        &parents.ids,
    )
    .await?;

    let arrivals: Vec<SeedRow> = context
        .plan
        .iter()
        .filter(|item| {
            parents.owned.contains(&item.serial) || children.owned.contains(&item.serial)
        })
        .map(|item| {
            let item_id = parents
                .ids
                .get(&item.serial)
                .or_else(|| children.ids.get(&item.serial));
            SeedRow {
                key: movement_key(&item.serial, 0),
                values: vec![
                    item_id.map(i64::to_string),
                    None,
                    Some(locations.ids[&item.arrives_at].to_string()),
                    None,
                    Some(item.arrived.to_string()),
                    Some("Received".to_owned()),
                ],
            }
        })
        .collect();
    let arrivals = owned::upsert(
        connection,
        &TableSeed {
            seeder: "inventory",
            table: "movements",
            key: NaturalKey::OwnershipOnly,
            columns: MOVEMENT_COLUMNS,
            rows: arrivals,
        },
    )
    .await?;

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
        .map(|location| SeedRow {
            key: location.code.clone(),
            values: vec![
                Some(location.name.clone()),
                Some(location.kind.clone()),
                location.street_address.clone(),
                location.city.clone(),
                location.postcode.clone(),
                location.country.clone(),
                Some(SEED_EPOCH.to_string()),
            ],
        })
        .collect();
    let seed = TableSeed {
        seeder: "inventory",
        table: "locations",
        key: NaturalKey::text("code"),
        columns: LOCATION_COLUMNS,
        rows,
    };
    owned::upsert(connection, &seed).await
}

async fn upsert_items(
    connection: &mut PgConnection,
    items: &[&PlannedItem],
    product_ids: &HashMap<String, i64>,
    location_ids: &HashMap<String, i64>,
    parent_ids: &HashMap<String, i64>,
) -> Result<Upserted, sqlx::Error> {
    let rows = items
        .iter()
        .map(|item| SeedRow {
            key: item.serial.clone(),
            values: vec![
                Some(product_ids[&item.sku].to_string()),
                item.parent
                    .as_ref()
                    .and_then(|parent| parent_ids.get(parent))
                    .map(i64::to_string),
                Some("in_stock".to_owned()),
                Some(item.arrived.to_string()),
                Some(location_ids[&item.arrives_at].to_string()),
            ],
        })
        .collect();
    let seed = TableSeed {
        seeder: "inventory",
        table: "items",
        key: NaturalKey::text("serial"),
        columns: ITEM_COLUMNS,
        rows,
    };
    owned::upsert(connection, &seed).await
}
