//! The `accounts` seeder: test accounts with known staging passwords, hashed with argon2id.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use blake2::{Blake2s256, Digest};
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
                Some(password_hash(&account.email, &account.password)?),
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

/// The argon2id hash of a staging password. The salt comes from the email, so the same
/// password always gives the same hash: re-seeding changes nothing and two databases seeded
/// alike are identical. Acceptable for published staging test passwords, not for real ones.
pub fn password_hash(email: &str, password: &str) -> Result<String, SeedError> {
    let digest = Blake2s256::new()
        .chain_update(b"restage seed salt\0")
        .chain_update(email.to_lowercase())
        .finalize();
    let salt =
        SaltString::encode_b64(&digest[..16]).map_err(|e| SeedError::Password(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| SeedError::Password(e.to_string()))
}
