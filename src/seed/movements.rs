//! The `movements` seeder: every seeded item moves 0–4 more times after its arrival, each
//! time from where it is to another location, recorded by the first test account; the item
//! ends up where its last movement took it.

use sqlx::postgres::PgConnection;

use super::inventory::{MOVEMENT_COLUMNS, movement_key};
use super::owned::{self, Counts, NaturalKey, SeedRow, TableSeed};
use super::{SeedContext, SeedError, Seeder};

/// Upserts the planned movements of the items the inventory seeder made, removes movements it
/// made earlier that the plan no longer has, and puts each item at its final location.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let arrival_keys: Vec<String> = context
        .plan
        .iter()
        .map(|item| movement_key(&item.serial, 0))
        .collect();
    let arrivals = owned::owned_ids(connection, "movements", &arrival_keys).await?;
    if arrivals.is_empty() && !context.plan.is_empty() {
        return Err(SeedError::Prerequisite {
            missing: "no item of the inventory seeder is in the database".to_owned(),
            run_first: Seeder::Inventory,
        });
    }
    let mover = context
        .data
        .accounts
        .first()
        .map(|account| account.email.clone())
        .unwrap_or_default();
    let mover_id = owned::ids_by_key(
        connection,
        "users",
        "email",
        "citext",
        std::slice::from_ref(&mover),
    )
    .await?
    .get(&mover)
    .copied()
    .ok_or_else(|| SeedError::Prerequisite {
        missing: format!("account '{mover}' is not in the database"),
        run_first: Seeder::Accounts,
    })?;
    let serials: Vec<String> = context
        .plan
        .iter()
        .map(|item| item.serial.clone())
        .collect();
    let item_ids = owned::ids_by_key(connection, "items", "serial", "text", &serials).await?;
    let codes: Vec<String> = context
        .data
        .locations
        .iter()
        .map(|location| location.code.clone())
        .collect();
    let location_ids = owned::ids_by_key(connection, "locations", "code", "text", &codes).await?;

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
            rows.push(SeedRow {
                key: movement_key(&item.serial, index + 1),
                values: vec![
                    Some(item_id.to_string()),
                    Some(location_ids[&step.from].to_string()),
                    Some(location_ids[&step.to].to_string()),
                    Some(mover_id.to_string()),
                    Some(step.at.to_string()),
                    Some(step.note.to_owned()),
                ],
            });
        }
        final_locations.0.push(*item_id);
        final_locations.1.push(*final_location);
    }
    let keys: Vec<String> = rows.iter().map(|row| row.key.clone()).collect();
    let seed = TableSeed {
        seeder: "movements",
        table: "movements",
        key: NaturalKey::OwnershipOnly,
        columns: MOVEMENT_COLUMNS,
        rows,
    };
    let mut counts = owned::upsert(connection, &seed).await?.counts;
    counts.deleted +=
        owned::delete_owned_except(connection, "movements", "movements", &keys).await?;
    counts.updated += sqlx::query(
        "UPDATE items t SET location_id = d.location_id
         FROM UNNEST($1::bigint[], $2::bigint[]) AS d(id, location_id)
         WHERE t.id = d.id AND t.location_id IS DISTINCT FROM d.location_id",
    )
    .bind(&final_locations.0)
    .bind(&final_locations.1)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(counts)
}
