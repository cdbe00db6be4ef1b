//! The `roles` seeder: permissions, the default roles and which permissions each has.

use std::collections::HashSet;

use sqlx::postgres::PgConnection;

use super::owned::Counts;
use super::plan::SEED_EPOCH;
use super::{SeedContext, SeedError};
use crate::mapping::Entity;

/// Upserts permissions and roles, then gives each role it owns exactly its listed permissions.
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let data = context.data;
    let permissions_table = context.tables.get(Entity::Permissions);
    let permission_rows = data
        .permissions
        .iter()
        .map(|permission| {
            let fields = vec![("description", Some(permission.description.clone()))];
            (permission.code.clone(), fields)
        })
        .collect();
    let permissions = super::owned::upsert(
        connection,
        &permissions_table.seed("roles", permission_rows, false),
    )
    .await?;
    let role_rows = data
        .roles
        .iter()
        .map(|role| {
            let fields = vec![
                ("description", Some(role.description.clone())),
                ("created_at", Some(SEED_EPOCH.to_string())),
            ];
            (role.name.clone(), fields)
        })
        .collect();
    let roles_table = context.tables.get(Entity::Roles);
    let roles =
        super::owned::upsert(connection, &roles_table.seed("roles", role_rows, false)).await?;

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
        sync_role_permissions(connection, context, &owned_role_ids, &links.0, &links.1).await?;

    let mut counts = permissions.counts;
    counts += roles.counts;
    counts += link_counts;
    Ok(counts)
}

/// Makes the links of the owned roles exactly the wanted (role, permission) pairs.
async fn sync_role_permissions(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
    owned_role_ids: &[i64],
    role_ids: &[i64],
    permission_ids: &[i64],
) -> Result<Counts, sqlx::Error> {
    let links = context.tables.get(Entity::RolePermissions);
    let (table, role, permission) = (
        &links.target.sql,
        links.column_sql("role").unwrap_or_default(),
        links.column_sql("permission").unwrap_or_default(),
    );
    let deleted = sqlx::query(&format!(
        "DELETE FROM {table} rp WHERE rp.{role} = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM UNNEST($2::bigint[], $3::bigint[]) AS d(r, p)
                           WHERE d.r = rp.{role} AND d.p = rp.{permission})"
    ))
    .bind(owned_role_ids)
    .bind(role_ids)
    .bind(permission_ids)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    let inserted = sqlx::query(&format!(
        "INSERT INTO {table} ({role}, {permission})
         SELECT r, p FROM UNNEST($1::bigint[], $2::bigint[]) AS d(r, p)
         WHERE NOT EXISTS (SELECT 1 FROM {table} rp WHERE rp.{role} = d.r AND rp.{permission} = d.p)
         ORDER BY r, p"
    ))
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
