//! Staging's privileges across a rebuild. A copy or a command reset makes staging anew as
//! restage's login (`pg_restore --no-owner --no-acl`, or the migrations), so the new
//! database would carry no owner and no grant of the one it replaces, and an application
//! connecting as another role would fail after the swap. Before the swap, [`capture`]
//! reads what the old database grants (owners; ACLs of the database, schemas, relations,
//! their columns, sequences, routines and types; default privileges; `ALTER DATABASE …
//! SET`) and
//! [`apply`] gives the same to the new one, then `[staging] grants` and `owner`.
//!
//! Nothing here needs superuser: restage owns what it made and grants as its owner. What
//! the login may not do (make a role it is not a member of the owner, say) is skipped and
//! listed in the report, except what `[staging]` declares, which fails the run before the
//! swap.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::catalog::quote;
use crate::config::{Access, DeclaredPrivileges};
use crate::error::Error;
use crate::pg::database_error;
use crate::secret::SecretUrl;

/// What a staging database grants, read before it is replaced.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Captured {
    database: Option<DatabaseGrants>,
    objects: Vec<Object>,
    columns: Vec<ColumnGrants>,
    defaults: Vec<DefaultGrants>,
}

/// The grants on one column of a table or view (`GRANT SELECT (email) ON … TO …`).
#[derive(Debug, Clone, Deserialize)]
struct ColumnGrants {
    /// Quoted and qualified.
    table: String,
    /// Quoted.
    column: String,
    grants: Vec<Grant>,
}

/// The database's owner, ACL and settings.
#[derive(Debug, Clone, Deserialize)]
struct DatabaseGrants {
    name: String,
    owner: String,
    owner_is_superuser: bool,
    /// `None`: the built-in defaults (PUBLIC may connect).
    grants: Option<Vec<Grant>>,
    settings: Vec<Setting>,
}

/// `ALTER DATABASE … SET name = value`, or `ALTER ROLE role IN DATABASE … SET` with a role.
#[derive(Debug, Clone, Deserialize)]
struct Setting {
    role: Option<String>,
    /// `name=value`, as `pg_db_role_setting` keeps it.
    setting: String,
}

/// A schema, relation, routine or type: its owner and grants.
#[derive(Debug, Clone, Deserialize)]
struct Object {
    /// GRANT's word for it: TABLE (views too), SEQUENCE, SCHEMA, FUNCTION, PROCEDURE, TYPE,
    /// DOMAIN.
    kind: String,
    /// ALTER's word for it: VIEW, MATERIALIZED VIEW, FOREIGN TABLE, … or `kind`.
    alter: String,
    /// Quoted and qualified, with the argument types of a routine.
    name: String,
    owner: String,
    owner_is_superuser: bool,
    /// Its owner follows another object's (a serial's sequence follows its table).
    follows_owner: bool,
    /// `None`: the built-in defaults.
    grants: Option<Vec<Grant>>,
}

/// `ALTER DEFAULT PRIVILEGES FOR ROLE role [IN SCHEMA schema] GRANT … ON objects`.
#[derive(Debug, Clone, Deserialize)]
struct DefaultGrants {
    role: String,
    /// Quoted.
    schema: Option<String>,
    objects: String,
    grants: Vec<Grant>,
}

/// One entry of an ACL (the owner's own entry left out).
#[derive(Debug, Clone, Deserialize)]
struct Grant {
    /// A role name, or `PUBLIC`.
    grantee: String,
    privilege: String,
    grantable: bool,
}

/// What [`apply`] gave the new database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrivilegeReport {
    /// The database whose privileges were carried over, if there was one.
    pub carried_from: Option<String>,
    /// Statements run (grants, owners, settings).
    pub statements: usize,
    /// The owner the new database was given, when it is not restage's login.
    pub owner: Option<String>,
    /// Grants and owners of the old database the login could not give, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

impl PrivilegeReport {
    /// One line for people.
    pub fn human(&self) -> String {
        let mut text = format!("privileges: {} statement(s)", self.statements);
        if let Some(database) = &self.carried_from {
            text.push_str(&format!(", carried over from {database}"));
        }
        if let Some(owner) = &self.owner {
            text.push_str(&format!(", owner {owner}"));
        }
        for skipped in &self.skipped {
            text.push_str(&format!("\n  not carried over: {skipped}"));
        }
        text
    }
}

/// Schemas whose privileges are the application's (not PostgreSQL's own).
const USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_%' \
     AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = o.oid AND e.deptype = 'e')";

/// An ACL as JSON grants, without the owner's own entry and restage's login (which owns
/// the new objects anyway).
fn grants_json(acl: &str, owner: &str) -> String {
    format!(
        "CASE WHEN {acl} IS NULL THEN NULL ELSE (
            SELECT coalesce(json_agg(json_build_object(
                'grantee', coalesce(g.rolname, 'PUBLIC'),
                'privilege', a.privilege_type,
                'grantable', a.is_grantable) ORDER BY g.rolname, a.privilege_type), '[]')
            FROM aclexplode({acl}) a LEFT JOIN pg_roles g ON g.oid = a.grantee
            WHERE a.grantee <> {owner} AND g.rolname IS DISTINCT FROM current_user) END"
    )
}

fn objects_sql() -> String {
    let grants = grants_json("o.acl", "o.owner_oid");
    format!(
        "WITH objects AS (
            SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
                   CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                        WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE'
                        ELSE 'TABLE' END AS alter,
                   format('%I.%I', n.nspname, c.relname) AS name, c.relowner AS owner_oid,
                   c.relacl AS acl,
                   EXISTS (SELECT 1 FROM pg_depend d
                           WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                             AND d.refclassid = 'pg_class'::regclass
                             AND d.deptype IN ('a', 'i')) AS follows_owner
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                 LATERAL (SELECT c.oid) o
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER_SCHEMA}
            UNION ALL
            SELECT 'SCHEMA', 'SCHEMA', format('%I', n.nspname), n.nspowner, n.nspacl, false
            FROM pg_namespace n, LATERAL (SELECT n.oid) o
            WHERE {USER_SCHEMA}
            UNION ALL
            SELECT kind, kind, format('%I.%I(%s)', n.nspname, p.proname,
                                      pg_get_function_identity_arguments(p.oid)),
                   p.proowner, p.proacl, false
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
                 LATERAL (SELECT p.oid,
                          CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind) o
            WHERE p.prokind IN ('f', 'p', 'w') AND {USER_SCHEMA}
            UNION ALL
            SELECT kind, kind, format('%I.%I', n.nspname, t.typname), t.typowner, t.typacl,
                   false
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace,
                 LATERAL (SELECT t.oid,
                          CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind) o
            WHERE t.typtype IN ('e', 'd', 'r') AND {USER_SCHEMA}
        )
        SELECT coalesce(json_agg(json_build_object(
            'kind', o.kind, 'alter', o.alter, 'name', o.name, 'owner', r.rolname,
            'owner_is_superuser', r.rolsuper, 'follows_owner', o.follows_owner,
            'grants', {grants}) ORDER BY o.kind, o.name), '[]')::text
        FROM objects o JOIN pg_roles r ON r.oid = o.owner_oid"
    )
}

fn columns_sql() -> String {
    let grants = grants_json("a.attacl", "c.relowner");
    format!(
        "SELECT coalesce(json_agg(json_build_object(
            'table', format('%I.%I', n.nspname, c.relname), 'column', quote_ident(a.attname),
            'grants', {grants}) ORDER BY n.nspname, c.relname, a.attnum), '[]')::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace, LATERAL (SELECT c.oid) o
        WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_SCHEMA}"
    )
}

fn defaults_sql() -> String {
    let grants = grants_json("d.defaclacl", "d.defaclrole");
    format!(
        "SELECT coalesce(json_agg(json_build_object(
            'role', r.rolname, 'schema', format('%I', n.nspname),
            'objects', CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES'
                       WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
            'grants', {grants})), '[]')::text
        FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole
        LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
    )
}

fn database_sql() -> String {
    let grants = grants_json("d.datacl", "d.datdba");
    format!(
        "SELECT json_build_object(
            'name', d.datname, 'owner', r.rolname, 'owner_is_superuser', r.rolsuper,
            'grants', {grants},
            'settings', (SELECT coalesce(json_agg(json_build_object(
                             'role', sr.rolname, 'setting', c)), '[]')
                         FROM pg_db_role_setting s LEFT JOIN pg_roles sr ON sr.oid = s.setrole,
                              unnest(s.setconfig) c
                         WHERE s.setdatabase = d.oid))::text
        FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
        WHERE d.datname = current_database()"
    )
}

async fn json_of<T: serde::de::DeserializeOwned>(
    connection: &mut PgConnection,
    url: &SecretUrl,
    sql: &str,
) -> Result<T, Error> {
    let text: String = sqlx::query_scalar(sql)
        .fetch_one(connection)
        .await
        .map_err(database_error(
            url,
            "reading the staging database's privileges",
        ))?;
    serde_json::from_str(&text).map_err(|error| Error::Database {
        action: "reading the staging database's privileges".to_owned(),
        url: url.to_string(),
        source: sqlx::Error::Decode(Box::new(error)),
    })
}

/// Reads the owners, grants, default privileges and settings of the database `connection`
/// is on.
pub async fn capture(connection: &mut PgConnection, url: &SecretUrl) -> Result<Captured, Error> {
    Ok(Captured {
        database: Some(json_of(connection, url, &database_sql()).await?),
        objects: json_of(connection, url, &objects_sql()).await?,
        columns: json_of(connection, url, &columns_sql()).await?,
        defaults: json_of(connection, url, &defaults_sql()).await?,
    })
}

/// Reads the grants of the schemas and objects only: for a database that stays (an
/// in-place reset), whose own grants and settings are kept.
pub async fn capture_objects(
    connection: &mut PgConnection,
    url: &SecretUrl,
) -> Result<Captured, Error> {
    Ok(Captured {
        database: None,
        objects: json_of(connection, url, &objects_sql()).await?,
        columns: json_of(connection, url, &columns_sql()).await?,
        defaults: json_of(connection, url, &defaults_sql()).await?,
    })
}

/// A statement to run, and whether its failure fails the run (`[staging]` declared it) or
/// is only reported (carried over from the old database).
struct Statement {
    sql: String,
    declared: bool,
    /// The role it makes an owner, which restage's login must be a member of.
    owner: Option<String>,
}

/// Gives the database `connection` is on (named `database`) what `captured` holds, then
/// what `declared` says. A statement carried over that the login may not run is skipped
/// and reported; a declared one that fails is an error, and the caller does not swap.
pub async fn apply(
    connection: &mut PgConnection,
    url: &SecretUrl,
    database: &str,
    captured: &Captured,
    declared: &DeclaredPrivileges,
) -> Result<PrivilegeReport, Error> {
    let login: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *connection)
        .await
        .map_err(database_error(url, "reading the login's name"))?;
    let now: Vec<Object> = json_of(connection, url, &objects_sql()).await?;
    let plan = Plan {
        login: &login,
        database,
        captured,
        declared,
        now: &now,
    };
    let mut report = PrivilegeReport {
        carried_from: captured
            .database
            .as_ref()
            .map(|old| old.name.clone())
            .filter(|old| old != database),
        owner: plan.database_owner(),
        ..PrivilegeReport::default()
    };
    for statement in plan.statements() {
        let mut savepoint = connection
            .begin()
            .await
            .map_err(database_error(url, "starting a savepoint"))?;
        match sqlx::raw_sql(&statement.sql).execute(&mut *savepoint).await {
            Ok(_) => {
                savepoint
                    .commit()
                    .await
                    .map_err(database_error(url, "releasing a savepoint"))?;
                report.statements += 1;
            }
            Err(error) => {
                let _ = savepoint.rollback().await;
                let reason = database_message(&error);
                if statement.declared {
                    let hint = membership_hint(&statement, &login);
                    return Err(Error::Privileges {
                        url: url.to_string(),
                        statement: statement.sql,
                        reason: format!("{reason}{hint}"),
                    });
                }
                tracing::warn!(statement = %statement.sql, %reason, "privilege not carried over");
                report.skipped.push(format!("{} ({reason})", statement.sql));
            }
        }
    }
    Ok(report)
}

fn database_message(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(database) => database.message().to_owned(),
        None => error.to_string(),
    }
}

/// How to let the login give ownership to a role.
fn membership_hint(statement: &Statement, login: &str) -> String {
    match &statement.owner {
        Some(owner) => format!(
            " (to make {owner} an owner, restage's login {login} must be a member of it: \
             GRANT {} TO {})",
            quote(owner),
            quote(login)
        ),
        None => String::new(),
    }
}

/// The statements that give the new database the old one's privileges and the declared.
struct Plan<'a> {
    login: &'a str,
    database: &'a str,
    captured: &'a Captured,
    declared: &'a DeclaredPrivileges,
    /// The new database's objects as they are now.
    now: &'a [Object],
}

impl Plan<'_> {
    /// The owner to give the database: the declared, else the old database's (unless it
    /// was restage's login or a superuser, who need no ownership to get in).
    fn database_owner(&self) -> Option<String> {
        let carried = self
            .captured
            .database
            .as_ref()
            .filter(|old| !old.owner_is_superuser && old.owner != self.login)
            .map(|old| old.owner.clone());
        self.declared
            .owner
            .clone()
            .or(carried)
            .filter(|owner| owner != self.login)
    }

    /// Grants first (restage may grant only while it owns), then default privileges,
    /// then owners.
    fn statements(&self) -> Vec<Statement> {
        let mut statements = Vec::new();
        statements.extend(self.object_grants());
        statements.extend(self.column_grants());
        statements.extend(self.default_grants());
        statements.extend(self.database_grants());
        statements.extend(self.declared_grants());
        statements.extend(self.object_owners());
        statements.extend(self.database_owner().map(|owner| Statement {
            sql: format!(
                "ALTER DATABASE {} OWNER TO {}",
                quote(self.database),
                quote(&owner)
            ),
            declared: self.declared.owner.is_some(),
            owner: Some(owner),
        }));
        statements
    }

    fn exists_now(&self, object: &Object) -> bool {
        self.now
            .iter()
            .any(|now| now.kind == object.kind && now.name == object.name)
    }

    /// The ACL of every object that had one and exists in the new database: PUBLIC's
    /// built-in rights taken away, the old entries given.
    fn object_grants(&self) -> Vec<Statement> {
        let mut statements = Vec::new();
        for object in &self.captured.objects {
            let Some(grants) = &object.grants else {
                continue;
            };
            if !self.exists_now(object) {
                continue;
            }
            let on = format!("{} {}", object.kind, object.name);
            statements.push(carried(format!("REVOKE ALL ON {on} FROM PUBLIC")));
            statements.extend(grants.iter().map(|grant| carried(grant.sql(&on))));
        }
        statements
    }

    /// The column grants of every table that exists in the new database (a column it no
    /// longer has is skipped and reported, as any grant that fails).
    fn column_grants(&self) -> Vec<Statement> {
        let tables: BTreeSet<&str> = self
            .now
            .iter()
            .filter(|object| object.kind == "TABLE")
            .map(|object| object.name.as_str())
            .collect();
        let mut statements = Vec::new();
        for column in &self.captured.columns {
            if !tables.contains(column.table.as_str()) {
                continue;
            }
            let on = format!("TABLE {}", column.table);
            statements.extend(column.grants.iter().map(|grant| {
                let on_column = Grant {
                    privilege: format!("{} ({})", grant.privilege, column.column),
                    ..grant.clone()
                };
                carried(on_column.sql(&on))
            }));
        }
        statements
    }

    fn default_grants(&self) -> Vec<Statement> {
        let schemas: BTreeSet<&str> = self
            .now
            .iter()
            .filter(|object| object.kind == "SCHEMA")
            .map(|object| object.name.as_str())
            .collect();
        let mut statements = Vec::new();
        for defaults in &self.captured.defaults {
            let scope = match &defaults.schema {
                Some(schema) if !schemas.contains(schema.as_str()) => continue,
                Some(schema) => format!(" IN SCHEMA {schema}"),
                None => String::new(),
            };
            let alter = format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {}{scope}",
                quote(&defaults.role)
            );
            if defaults.schema.is_none() {
                // Without a schema the entry replaces the built-in defaults.
                statements.push(carried(format!(
                    "{alter} REVOKE ALL ON {} FROM PUBLIC",
                    defaults.objects
                )));
            }
            statements.extend(
                defaults
                    .grants
                    .iter()
                    .map(|grant| carried(format!("{alter} {}", grant.sql(&defaults.objects)))),
            );
        }
        statements
    }

    /// The old database's ACL and settings, for a database that is new.
    fn database_grants(&self) -> Vec<Statement> {
        let Some(old) = &self.captured.database else {
            return Vec::new();
        };
        if old.name == self.database {
            return Vec::new();
        }
        let database = quote(self.database);
        let mut statements = Vec::new();
        if let Some(grants) = &old.grants {
            let on = format!("DATABASE {database}");
            statements.push(carried(format!("REVOKE ALL ON {on} FROM PUBLIC")));
            statements.extend(grants.iter().map(|grant| carried(grant.sql(&on))));
        }
        for setting in &old.settings {
            let Some((name, value)) = setting.setting.split_once('=') else {
                continue;
            };
            let target = match &setting.role {
                Some(role) => format!("ROLE {} IN DATABASE {database}", quote(role)),
                None => format!("DATABASE {database}"),
            };
            statements.push(carried(format!(
                "ALTER {target} SET {name} TO {}",
                setting_value(name, value)
            )));
        }
        statements
    }

    /// `[staging] grants`: every role's rights on the database, the application's schemas
    /// and everything in them, now and (through default privileges) later.
    fn declared_grants(&self) -> Vec<Statement> {
        let schemas: Vec<&str> = self
            .now
            .iter()
            .filter(|object| object.kind == "SCHEMA" && object.name != "restage")
            .map(|object| object.name.as_str())
            .collect();
        let mut statements = Vec::new();
        for (role, access) in &self.declared.grants {
            let role = quote(role);
            let (database, tables, sequences) = match access {
                Access::ReadOnly => ("CONNECT", "SELECT", "SELECT"),
                Access::ReadWrite => (
                    "CONNECT, TEMPORARY",
                    "SELECT, INSERT, UPDATE, DELETE",
                    "USAGE, SELECT, UPDATE",
                ),
            };
            let mut add = |sql: String| {
                statements.push(Statement {
                    sql,
                    declared: true,
                    owner: None,
                })
            };
            add(format!(
                "GRANT {database} ON DATABASE {} TO {role}",
                quote(self.database)
            ));
            for schema in &schemas {
                add(format!("GRANT USAGE ON SCHEMA {schema} TO {role}"));
                add(format!(
                    "GRANT {tables} ON ALL TABLES IN SCHEMA {schema} TO {role}"
                ));
                add(format!(
                    "GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"
                ));
                add(format!(
                    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role}"
                ));
                add(format!(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {tables} ON TABLES TO {role}"
                ));
                add(format!(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {sequences} ON SEQUENCES TO {role}"
                ));
            }
        }
        statements
    }

    /// Owners: the declared owner takes everything restage's login made (but restage's
    /// own schema); else each object goes back to its old owner. Schemas first: an
    /// object's new owner must be allowed to create in its schema.
    fn object_owners(&self) -> Vec<Statement> {
        let (schemas, others): (Vec<&Object>, Vec<&Object>) =
            self.now.iter().partition(|object| object.kind == "SCHEMA");
        let mut statements = Vec::new();
        for object in schemas.into_iter().chain(others) {
            if object.owner != self.login
                || object.follows_owner
                || object.name == "restage"
                || object.name.starts_with("restage.")
            {
                continue;
            }
            let (owner, declared) = match &self.declared.owner {
                Some(owner) => (owner.as_str(), true),
                None => match self.old_owner(object) {
                    Some(owner) => (owner, false),
                    None => continue,
                },
            };
            if owner == self.login {
                continue;
            }
            statements.push(Statement {
                sql: format!(
                    "ALTER {} {} OWNER TO {}",
                    object.alter,
                    object.name,
                    quote(owner)
                ),
                declared,
                owner: Some(owner.to_owned()),
            });
        }
        statements
    }

    /// The owner `object` had in the old database, when it must be given back.
    fn old_owner(&self, object: &Object) -> Option<&str> {
        self.captured
            .objects
            .iter()
            .find(|old| old.kind == object.kind && old.name == object.name)
            .filter(|old| !old.owner_is_superuser && old.owner != object.owner)
            .map(|old| old.owner.as_str())
    }
}

impl Grant {
    /// `GRANT privilege ON on TO grantee [WITH GRANT OPTION]`.
    fn sql(&self, on: &str) -> String {
        let grantee = if self.grantee == "PUBLIC" {
            "PUBLIC".to_owned()
        } else {
            quote(&self.grantee)
        };
        let option = if self.grantable {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        format!("GRANT {} ON {on} TO {grantee}{option}", self.privilege)
    }
}

fn carried(sql: String) -> Statement {
    Statement {
        sql,
        declared: false,
        owner: None,
    }
}

/// A setting's value as SQL: list settings (`search_path`) as kept, with their own
/// quoting; every other one as a string literal.
fn setting_value(name: &str, value: &str) -> String {
    const LIST_SETTINGS: [&str; 6] = [
        "local_preload_libraries",
        "search_path",
        "session_preload_libraries",
        "shared_preload_libraries",
        "temp_tablespaces",
        "unix_socket_directories",
    ];
    if LIST_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_keep_their_quoting_and_others_become_literals() {
        assert_eq!(
            setting_value("search_path", "\"$user\", public"),
            "\"$user\", public"
        );
        assert_eq!(setting_value("statement_timeout", "5s"), "'5s'");
        assert_eq!(setting_value("application_name", "it's"), "'it''s'");
    }

    #[test]
    fn a_grant_names_public_bare_and_roles_quoted() {
        let grant = Grant {
            grantee: "PUBLIC".into(),
            privilege: "USAGE".into(),
            grantable: false,
        };
        assert_eq!(
            grant.sql("SCHEMA app"),
            "GRANT USAGE ON SCHEMA app TO PUBLIC"
        );
        let grant = Grant {
            grantee: "app".into(),
            privilege: "SELECT".into(),
            grantable: true,
        };
        assert_eq!(
            grant.sql("TABLE public.t"),
            "GRANT SELECT ON TABLE public.t TO \"app\" WITH GRANT OPTION"
        );
    }
}
