//! The `roles` seeder: permissions, the default roles and which permissions each has.

use std::collections::HashSet;

use sqlx::postgres::PgConnection;

use super::owned::{self, Column, Counts, NaturalKey, SeedRow, TEXT, TableSeed, UNIX_TIME};
use super::plan::SEED_EPOCH;
use super::{SeedContext, SeedError};

const PERMISSION_COLUMNS: &[Column] = &[Column::new("description", TEXT)];
const ROLE_COLUMNS: &[Column] = &[
    Column::new("description", TEXT),
    Column::new("created_at", UNIX_TIME),
];

/// Upserts permissions and roles, then gives each role it owns exactly its listed permissions.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let data = context.data;
    let permissions = owned::upsert(
        connection,
        &TableSeed {
            seeder: "roles",
            table: "permissions",
            key: NaturalKey::text("code"),
            columns: PERMISSION_COLUMNS,
            rows: data
                .permissions
                .iter()
                .map(|permission| SeedRow {
                    key: permission.code.clone(),
                    values: vec![Some(permission.description.clone())],
                })
                .collect(),
        },
    )
    .await?;
    let roles = owned::upsert(
        connection,
        &TableSeed {
            seeder: "roles",
            table: "roles",
            key: NaturalKey::text("name"),
            columns: ROLE_COLUMNS,
            rows: data
                .roles
                .iter()
                .map(|role| SeedRow {
                    key: role.name.clone(),
                    values: vec![Some(role.description.clone()), Some(SEED_EPOCH.to_string())],
                })
                .collect(),
        },
    )
    .await?;

    let mut links = (Vec::new(), Vec::new());
    for role in data
        .roles
        .iter()
        .filter(|role| roles.owned.contains(&role.name))
    {
        for code in &role.permissions {
            links.0.push(roles.ids[&role.name]);
            links.1.push(permissions.ids[code]);
        }
    }
    let owned_role_ids: Vec<i64> = roles.owned.iter().map(|name| roles.ids[name]).collect();
    let link_counts =
        sync_role_permissions(connection, &owned_role_ids, &links.0, &links.1).await?;

    let mut counts = permissions.counts;
    counts += roles.counts;
    counts += link_counts;
    Ok(counts)
}

/// Makes the links of the owned roles exactly the wanted (role, permission) pairs.
async fn sync_role_permissions(
    connection: &mut PgConnection,
    owned_role_ids: &[i64],
    role_ids: &[i64],
    permission_ids: &[i64],
) -> Result<Counts, sqlx::Error> {
    let deleted = sqlx::query(
        "DELETE FROM role_permissions rp WHERE rp.role_id = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM UNNEST($2::bigint[], $3::bigint[]) AS d(r, p)
                           WHERE d.r = rp.role_id AND d.p = rp.permission_id)",
    )
    .bind(owned_role_ids)
    .bind(role_ids)
    .bind(permission_ids)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    let inserted = sqlx::query(
        "INSERT INTO role_permissions (role_id, permission_id)
         SELECT r, p FROM UNNEST($1::bigint[], $2::bigint[]) AS d(r, p) ORDER BY r, p
         ON CONFLICT DO NOTHING",
    )
    .bind(role_ids)
    .bind(permission_ids)
    .execute(connection)
    .await?
    .rows_affected();
    let wanted = role_ids
        .iter()
        .zip(permission_ids)
        .collect::<HashSet<_>>()
        .len() as u64;
    Ok(Counts {
        inserted,
        deleted,
        unchanged: wanted - inserted,
        ..Counts::default()
    })
}
