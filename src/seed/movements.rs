//! The `movements` seeder: every seeded item moves 0–4 more times after its arrival, each
//! time from where it is to another location, recorded by the first test account; the item
//! ends up where its last movement took it.

use sqlx::postgres::PgConnection;

use super::inventory::{movement_fields, movement_key};
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
    let mover_id = if movements.has("by") {
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
    let mut rows = Vec::new();
    let mut final_locations = (Vec::new(), Vec::new());
    for item in &ours {
        let (Some(item_id), Some(final_location)) = (
            item_ids.get(&item.serial),
            location_ids.get(item.final_location()),
        ) else {
            return Err(SeedError::Prerequisite {
                missing: format!("item {} is not in the database", item.serial),
                run_first: Seeder::Inventory,
            });
        };
        for (index, step) in item.moves.iter().enumerate() {
            let fields = movement_fields(
                Some(*item_id),
                Some(location_ids[&step.from]),
                location_ids[&step.to],
                mover_id,
                step.at,
                step.note,
            );
            rows.push((movement_key(&item.serial, index + 1), fields));
        }
        final_locations.0.push(*item_id);
        final_locations.1.push(*final_location);
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

/// The id of the first test account, who records the movements.
async fn mover(connection: &mut PgConnection, context: &SeedContext<'_>) -> Result<i64, SeedError> {
    let mover = context
        .data
        .accounts
        .first()
        .map(|account| account.email.clone())
        .unwrap_or_default();
    context
        .tables
        .get(Entity::Accounts)
        .ids_by_key(connection, std::slice::from_ref(&mover))
        .await?
        .get(&mover)
        .copied()
        .ok_or_else(|| SeedError::Prerequisite {
            missing: format!("account '{mover}' is not in the database"),
            run_first: Seeder::Accounts,
        })
}

/// Puts each item where its last movement took it (when items record where they are).
async fn move_items(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
    item_ids: &[i64],
    location_ids: &[i64],
) -> Result<u64, sqlx::Error> {
    let items = context.tables.get(Entity::Items);
    let (Some(id), Some(location)) = (
        items.target.id.as_deref().map(crate::catalog::quote),
        items.column_sql("location"),
    ) else {
        return Ok(0);
    };
    let sql = format!(
        "UPDATE {} t SET {location} = d.location_id
         FROM UNNEST($1::bigint[], $2::bigint[]) AS d(id, location_id)
         WHERE t.{id} = d.id AND t.{location} IS DISTINCT FROM d.location_id",
        items.target.sql
    );
    Ok(sqlx::query(&sql)
        .bind(item_ids)
        .bind(location_ids)
        .execute(connection)
        .await?
        .rows_affected())
}
