//! The `movements` seeder: every seeded item moves 0–4 more times after its arrival, each
//! time from where it is to another location, recorded by the first test account; the item
//! ends up where its last movement took it.

use sqlx::postgres::PgConnection;

use super::inventory::{Move, movement_fields, movement_key};
use super::owned::{self, Counts, NaturalKey};
use super::{SeedContext, SeedError, Seeder};
use crate::mapping::Entity;

/// Upserts the planned movements of the items the inventory seeder made, removes movements it
/// made earlier that the plan no longer has, and puts each item at its final location.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let tables = context.tables;
    let movements = tables.get(Entity::Movements);
    let arrival_keys: Vec<String> = context
        .plan
        .iter()
        .map(|item| movement_key(&item.serial, 0))
        .collect();
    let arrivals = owned::owned_ids(connection, &movements.target, &arrival_keys).await?;
    if arrivals.is_empty() && !context.plan.is_empty() {
        return Err(SeedError::Prerequisite {
            missing: "no item of the inventory seeder is in the database".to_owned(),
            run_first: Seeder::Inventory,
        });
    }
    let mover = if movements.has("by") {
        Some(mover(connection, context).await?)
    } else {
        None
    };
    let serials: Vec<String> = context
        .plan
        .iter()
        .map(|item| item.serial.clone())
        .collect();
    let item_ids = tables
        .get(Entity::Items)
        .ids_by_key(connection, &serials)
        .await?;
    let codes: Vec<String> = context
        .data
        .locations
        .iter()
        .map(|location| location.code.clone())
        .collect();
    let location_ids = tables
        .get(Entity::Locations)
        .ids_by_key(connection, &codes)
        .await?;

    // Only items whose arrival the inventory seeder recorded are ours to move.
    let ours: Vec<_> = context
        .plan
        .iter()
        .filter(|item| arrivals.contains_key(&movement_key(&item.serial, 0)))
        .collect();
    let items = tables.get(Entity::Items);
    let mut rows = Vec::new();
    let mut final_locations = (Vec::new(), Vec::new());
    for item in &ours {
        let Some(item_row) = item_ids.get(&item.serial) else {
            return Err(SeedError::Prerequisite {
                missing: format!("item {} is not in the database", item.serial),
                run_first: Seeder::Inventory,
            });
        };
        for (index, step) in item.moves.iter().enumerate() {
            let moved = Move {
                item: movements.refer("item", &item.serial, &item_ids),
                from: movements.refer("from", &step.from, &location_ids),
                to: movements.refer("to", &step.to, &location_ids),
                by: mover.clone(),
            };
            let fields = movement_fields(moved, step.at, step.note);
            rows.push((movement_key(&item.serial, index + 1), fields));
        }
        if let Some(location) = items.refer("location", item.final_location(), &location_ids) {
            final_locations.0.push(item_row.clone());
            final_locations.1.push(location);
        }
    }
    let keys: Vec<String> = rows.iter().map(|(key, _)| key.clone()).collect();
    let seed = movements.seed("movements", rows, true);
    let mut counts = owned::upsert(connection, &seed).await?.counts;
    counts.deleted += owned::delete_owned_except(
        connection,
        "movements",
        &movements.target,
        &NaturalKey::OwnershipOnly,
        &keys,
    )
    .await?;
    counts.updated +=
        move_items(connection, context, &final_locations.0, &final_locations.1).await?;
    Ok(counts)
}

/// What a movement's `by` holds for the first test account, who records the movements.
async fn mover(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<String, SeedError> {
    let mover = context
        .data
        .accounts
        .first()
        .map(|account| account.email.clone())
        .unwrap_or_default();
    let accounts = context
        .tables
        .get(Entity::Accounts)
        .ids_by_key(connection, std::slice::from_ref(&mover))
        .await?;
    context
        .tables
        .get(Entity::Movements)
        .refer("by", &mover, &accounts)
        .ok_or_else(|| SeedError::Prerequisite {
            missing: format!("account '{mover}' is not in the database"),
            run_first: Seeder::Accounts,
        })
}

/// Puts each item (given as its row, see [`super::tables::Rows`]) where its last movement
/// took it (given as what the item's location column holds), when items record where they
/// are.
async fn move_items(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
    item_rows: &[String],
    locations: &[String],
) -> Result<u64, sqlx::Error> {
    let items = context.tables.get(Entity::Items);
    let (Some((row, row_type)), Some(location), Some(location_type)) = (
        items.row_column(),
        items.column_sql("location"),
        items.column_type("location"),
    ) else {
        return Ok(0);
    };
    let sql = format!(
        "UPDATE {} t SET {location} = d.location::{location_type}
         FROM UNNEST($1::text[], $2::text[]) AS d(item, location)
         WHERE t.{row} = d.item::{row_type}
           AND t.{location} IS DISTINCT FROM d.location::{location_type}",
        items.target.sql
    );
    Ok(sqlx::query(&sql)
        .bind(item_rows)
        .bind(locations)
        .execute(connection)
        .await?
        .rows_affected())
}
