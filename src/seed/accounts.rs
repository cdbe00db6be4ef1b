//! The `accounts` seeder: test accounts with known staging passwords, hashed in the format
//! the application verifies (`[schema.accounts] password_format`).

use sqlx::postgres::PgConnection;

use super::owned::{self, Counts};
use super::plan::SEED_EPOCH;
use super::{SeedContext, SeedError, Seeder};
use crate::mapping::Entity;

/// Upserts the accounts of accounts.toml; their roles must exist when accounts have a role.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let accounts = &context.data.accounts;
    let table = context.tables.get(Entity::Accounts);
    let role_ids = if table.has("role") {
        let role_names: Vec<String> = accounts
            .iter()
            .filter_map(|account| account.role.clone())
            .collect();
        let role_ids = context
            .tables
            .get(Entity::Roles)
            .ids_by_key(connection, &role_names)
            .await?;
        if let Some(missing) = role_names.iter().find(|name| !role_ids.contains_key(*name)) {
            return Err(SeedError::Prerequisite {
                missing: format!("role '{missing}' is not in the database"),
                run_first: Seeder::Roles,
            });
        }
        role_ids
    } else {
        Default::default()
    };
    let mut rows = Vec::with_capacity(accounts.len());
    for account in accounts {
        let hash =
            crate::password::hash_as(table.password_format, &account.email, &account.password)?;
        let role = account
            .role
            .as_ref()
            .and_then(|role| table.refer("role", role, &role_ids));
        let fields = vec![
            ("name", Some(account.full_name.clone())),
            ("phone", account.phone.clone()),
            ("password", Some(hash)),
            ("role", role),
            ("active", Some("true".to_owned())),
            ("created_at", Some(SEED_EPOCH.to_string())),
            ("updated_at", Some(SEED_EPOCH.to_string())),
        ];
        rows.push((account.email.clone(), fields));
    }
    let upserted = owned::upsert(connection, &table.seed("accounts", rows, false)).await?;
    Ok(upserted.counts)
}
