//! The `accounts` seeder: test accounts with known staging passwords, hashed with argon2id.

use sqlx::postgres::PgConnection;

use super::owned::{self, BIGINT, Column, Counts, NaturalKey, SeedRow, TEXT, TableSeed, UNIX_TIME};
use super::plan::SEED_EPOCH;
use super::{SeedContext, SeedError, Seeder};

const ACCOUNT_COLUMNS: &[Column] = &[
    Column::new("full_name", TEXT),
    Column::new("phone", TEXT),
    Column::new("password_hash", TEXT),
    Column::new("role_id", BIGINT),
    Column::new("is_active", "{v}::boolean"),
    Column::new("created_at", UNIX_TIME),
    Column::on_insert("updated_at", UNIX_TIME),
];

/// Upserts the accounts of accounts.toml; their roles must exist.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let accounts = &context.data.accounts;
    let role_names: Vec<String> = accounts
        .iter()
        .map(|account| account.role.clone())
        .collect();
    let role_ids = owned::ids_by_key(connection, "roles", "name", "text", &role_names).await?;
    if let Some(missing) = role_names.iter().find(|name| !role_ids.contains_key(*name)) {
        return Err(SeedError::Prerequisite {
            missing: format!("role '{missing}' is not in the database"),
            run_first: Seeder::Roles,
        });
    }
    let mut rows = Vec::with_capacity(accounts.len());
    for account in accounts {
        rows.push(SeedRow {
            key: account.email.clone(),
            values: vec![
                Some(account.full_name.clone()),
                account.phone.clone(),
                Some(crate::password::staging_hash(
                    &account.email,
                    &account.password,
                )?),
                Some(role_ids[&account.role].to_string()),
                Some("true".to_owned()),
                Some(SEED_EPOCH.to_string()),
                Some(SEED_EPOCH.to_string()),
            ],
        });
    }
    let upserted = owned::upsert(
        connection,
        &TableSeed {
            seeder: "accounts",
            table: "users",
            key: NaturalKey::Column {
                name: "email",
                sql_type: "citext",
            },
            columns: ACCOUNT_COLUMNS,
            rows,
        },
    )
    .await?;
    Ok(upserted.counts)
}
