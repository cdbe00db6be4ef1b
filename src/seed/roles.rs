//! The `roles` seeder: permissions, the default roles and which permissions each has.

use std::collections::HashSet;

use sqlx::postgres::PgConnection;

use super::owned::Counts;
use super::plan::SEED_EPOCH;
use super::tables::BoundTable;
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

    let links = context.tables.get(Entity::RolePermissions);
    let mut pairs = (Vec::new(), Vec::new());
    for role in data
        .roles
        .iter()
        .filter(|role| roles.owned.contains(&role.name))
    {
        for code in &role.permissions {
            if let (Some(role), Some(permission)) = (
                links.refer("role", &role.name, &roles.ids),
                links.refer("permission", code, &permissions.ids),
            ) {
                pairs.0.push(role);
                pairs.1.push(permission);
            }
        }
    }
    let owned_roles: Vec<String> = roles
        .owned
        .iter()
        .filter_map(|name| links.refer("role", name, &roles.ids))
        .collect();
    let link_counts = sync_role_permissions(connection, links, &owned_roles, &pairs).await?;

    let mut counts = permissions.counts;
    counts += roles.counts;
    counts += link_counts;
    Ok(counts)
}

/// Makes the links of the owned roles exactly the wanted (role, permission) pairs, given as
/// the values the join table's columns hold.
async fn sync_role_permissions(
    connection: &mut PgConnection,
    links: &BoundTable,
    owned_roles: &[String],
    (roles, permissions): &(Vec<String>, Vec<String>),
) -> Result<Counts, sqlx::Error> {
    let (table, role, permission) = (
        &links.target.sql,
        links.column_sql("role").unwrap_or_default(),
        links.column_sql("permission").unwrap_or_default(),
    );
    let (role_type, permission_type) = (
        links.column_type("role").unwrap_or("text"),
        links.column_type("permission").unwrap_or("text"),
    );
    let deleted = sqlx::query(&format!(
        "DELETE FROM {table} rp WHERE rp.{role} = ANY($1::text[]::{role_type}[])
           AND NOT EXISTS (SELECT 1 FROM UNNEST($2::text[], $3::text[]) AS d(r, p)
                           WHERE d.r::{role_type} = rp.{role}
                             AND d.p::{permission_type} = rp.{permission})"
    ))
    .bind(owned_roles)
    .bind(roles)
    .bind(permissions)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    let inserted = sqlx::query(&format!(
        "INSERT INTO {table} ({role}, {permission})
         SELECT d.r::{role_type}, d.p::{permission_type} FROM UNNEST($1::text[], $2::text[]) AS d(r, p)
         WHERE NOT EXISTS (SELECT 1 FROM {table} rp
                           WHERE rp.{role} = d.r::{role_type}
                             AND rp.{permission} = d.p::{permission_type})
         ORDER BY 1, 2"
    ))
    .bind(roles)
    .bind(permissions)
    .execute(connection)
    .await?
    .rows_affected();
    let wanted = roles.iter().zip(permissions).collect::<HashSet<_>>().len() as u64;
    Ok(Counts {
        inserted,
        deleted,
        unchanged: wanted - inserted,
        ..Counts::default()
    })
}
