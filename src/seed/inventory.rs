//! The `inventory` seeder: locations, parent items with their child items, and the initial
//! movement (arrival) of each item.

use sqlx::postgres::PgConnection;

use super::data::SeedData;
use super::owned::{self, Counts, Upserted};
use super::plan::{PlannedItem, SEED_EPOCH};
use super::tables::{Fields, Rows, SeedWords};
use super::{SeedContext, SeedError, Seeder};
use crate::mapping::Entity;

/// The status of an item the inventory seeder makes (a seed word: `[schema.items]
/// status_values` maps it to the column's word).
pub const ARRIVED_STATUS: &str = "in_stock";

/// The seed words the inventory seeder writes into word columns.
pub fn words(data: &SeedData) -> Vec<SeedWords> {
    let of_locations = |word: fn(&super::data::Location) -> Option<&String>| {
        data.locations.iter().filter_map(word).cloned().collect()
    };
    vec![
        SeedWords {
            entity: Entity::Locations,
            field: "kind",
            words: of_locations(|location| Some(&location.kind)),
        },
        SeedWords {
            entity: Entity::Locations,
            field: "country",
            words: of_locations(|location| location.country.as_ref()),
        },
        SeedWords {
            entity: Entity::Items,
            field: "status",
            words: vec![ARRIVED_STATUS.to_owned()],
        },
    ]
}

/// The natural key of an item's n-th movement (0 = its arrival).
pub fn movement_key(serial: &str, number: usize) -> String {
    format!("{serial}#{number}")
}

/// Where a movement takes which item, by whom: the values its reference columns hold.
pub struct Move {
    pub item: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: Option<String>,
}

/// A movement's values by field.
pub fn movement_fields(moved: Move, at: i64, note: &str) -> Fields {
    vec![
        ("item", moved.item),
        ("from", moved.from),
        ("to", moved.to),
        ("by", moved.by),
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
        .upsert(connection, context, &parents, &Rows::new())
        .await?;
    let children = items
        .upsert(connection, context, &children, &parents.ids)
        .await?;

    let movements = context.tables.get(Entity::Movements);
    let arrivals = context
        .plan
        .iter()
        .filter(|item| {
            parents.owned.contains(&item.serial) || children.owned.contains(&item.serial)
        })
        .map(|item| {
            let items = if parents.ids.contains_key(&item.serial) {
                &parents.ids
            } else {
                &children.ids
            };
            let arrival = Move {
                item: movements.refer("item", &item.serial, items),
                from: None,
                to: movements.refer("to", &item.arrives_at, &locations.ids),
                by: None,
            };
            let fields = movement_fields(arrival, item.arrived, "Received");
            (movement_key(&item.serial, 0), fields)
        })
        .collect();
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

/// The rows items refer to.
struct Items<'a> {
    product_ids: &'a Rows,
    location_ids: &'a Rows,
}

impl Items<'_> {
    async fn upsert(
        &self,
        connection: &mut PgConnection,
        context: &SeedContext<'_>,
        items: &[&PlannedItem],
        parent_ids: &Rows,
    ) -> Result<Upserted, sqlx::Error> {
        let table = context.tables.get(Entity::Items);
        let rows = items
            .iter()
            .map(|item| {
                let fields = vec![
                    (
                        "product",
                        table.refer("product", &item.sku, self.product_ids),
                    ),
                    (
                        "parent",
                        item.parent
                            .as_ref()
                            .and_then(|parent| table.refer("parent", parent, parent_ids)),
                    ),
                    ("status", Some(ARRIVED_STATUS.to_owned())),
                    ("created_at", Some(item.arrived.to_string())),
                    (
                        "location",
                        table.refer("location", &item.arrives_at, self.location_ids),
                    ),
                ];
                (item.serial.clone(), fields)
            })
            .collect();
        owned::upsert(connection, &table.seed("inventory", rows, false)).await
    }
}
