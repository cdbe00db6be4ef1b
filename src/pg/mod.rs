//! PostgreSQL connections: libpq-style URLs, a connect timeout, errors naming the server.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::error::Error;
use crate::secret::SecretUrl;

pub mod reader;
mod tls;

/// The timeouts restage sets for each of its database sessions, whatever the roles' and
/// servers' own settings (a role's `statement_timeout` of 300 ms must not fail a long COPY).
/// Zero means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub statement_timeout: Duration,
    pub idle_in_transaction_session_timeout: Duration,
    pub lock_timeout: Duration,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            statement_timeout: Duration::ZERO,
            idle_in_transaction_session_timeout: Duration::ZERO,
            // A lock held for longer than this (a migration on production, an open
            // transaction of the application on staging) fails the run instead of hanging it.
            lock_timeout: Duration::from_secs(600),
        }
    }
}

/// The timeouts of every session restage opens (`[session]`), set once at start.
static SESSION: OnceLock<Session> = OnceLock::new();

/// Sets the timeouts every session restage opens from now on asks for (`[session]`); the
/// first call wins.
pub fn use_session_settings(session: Session) {
    let _ = SESSION.set(session);
}

/// The `SET`s of a new session: restage's own timeouts, so that a role's or a server's
/// (`ALTER ROLE … SET statement_timeout`) cannot cut a long COPY short.
fn session_settings() -> [(&'static str, String); 3] {
    let session = SESSION.get().copied().unwrap_or_default();
    let millis = |duration: Duration| duration.as_millis().to_string();
    [
        ("statement_timeout", millis(session.statement_timeout)),
        (
            "idle_in_transaction_session_timeout",
            millis(session.idle_in_transaction_session_timeout),
        ),
        ("lock_timeout", millis(session.lock_timeout)),
    ]
}

/// How long to wait for a server before saying it does not answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses a libpq-style URL (`postgres://user:pass@host:port/db?sslmode=…`).
pub fn parse_options(url: &SecretUrl) -> Result<PgConnectOptions, String> {
    let scheme_ok =
        url.expose().starts_with("postgres://") || url.expose().starts_with("postgresql://");
    if !scheme_ok {
        // A bare word is most likely a database name, but it could be a secret pasted in the
        // wrong place: it is described, never shown.
        let raw = url.expose();
        let bare = !raw.is_empty() && !raw.contains([':', '@', '/', '?']);
        return Err(if bare {
            "the URL given is a bare word, not a PostgreSQL URL; a database name alone is not \
             enough: write postgres://user@host:5432/NAME"
                .to_owned()
        } else {
            format!("{url} is not a PostgreSQL URL; expected postgres://user@host:5432/dbname")
        });
    }
    PgConnectOptions::from_str(url.expose()).map_err(|error| {
        // sqlx repeats its prefix ("error with configuration: error with configuration: …").
        let message = error.to_string();
        let reason = message.trim_start_matches("error with configuration: ");
        let hint = if reason.contains("ssl_mode") {
            "; sslmode is one of disable, allow, prefer, require, verify-ca, verify-full"
        } else {
            ""
        };
        format!("{url} does not parse: {reason}{hint}")
    })
}

/// Opens one connection; `role` names the server in errors ("staging database"), `application`
/// shows in `pg_stat_activity` so that a blocked user can see which restage command is running.
pub async fn connect(
    url: &SecretUrl,
    role: &'static str,
    application: &str,
) -> Result<PgConnection, Error> {
    connect_with(url, role, application, &[]).await
}

/// [`connect`] with server settings given at login.
async fn connect_with(
    url: &SecretUrl,
    role: &'static str,
    application: &str,
    settings: &[(&str, &str)],
) -> Result<PgConnection, Error> {
    let options = parse_options(url)
        .map_err(|reason| Error::InvalidSetting {
            origin: format!("{role} URL"),
            reason,
        })?
        .application_name(application)
        .options(session_settings())
        .options(settings.iter().copied())
        .log_statements(tracing::log::LevelFilter::Debug);
    tracing::debug!(%url, role, "connecting");
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(source)) => Err(Error::Connect {
            role,
            url: url.to_string(),
            source,
        }),
        Err(_) => Err(Error::ConnectTimeout {
            role,
            url: url.to_string(),
            after: CONNECT_TIMEOUT,
        }),
    }
}

/// The login setting that makes every transaction of a source session read-only.
const READ_ONLY: (&str, &str) = ("default_transaction_read_only", "on");

/// Opens a connection to the source on which every transaction is read-only from the start
/// (`default_transaction_read_only`, set at login): whatever a profile's filter calls, it
/// cannot write, nor turn read-write mode back on once a query has run.
pub async fn connect_source(url: &SecretUrl, application: &str) -> Result<PgConnection, Error> {
    connect_with(url, "source database", application, &[READ_ONLY]).await
}

/// What a connection to the staging server's maintenance database is called in errors: the
/// URL shows that database, not staging's, so the message says why.
pub const MAINTENANCE: &str = "staging server's maintenance database (restage connects to it, \
     not to staging, to take its lock and to create, rename and drop databases beside staging; \
     [staging] maintenance_database names it, default postgres)";

/// The database a URL names: its path, or libpq's default (the user name).
pub fn database_name(url: &SecretUrl) -> Option<String> {
    let options = parse_options(url).ok()?;
    Some(
        options
            .get_database()
            .unwrap_or(options.get_username())
            .to_owned(),
    )
}

/// The same server and credentials as `url`, but database `dbname`.
pub fn with_database(url: &SecretUrl, dbname: &str) -> SecretUrl {
    match url::Url::parse(url.expose()) {
        Ok(mut parsed) => {
            parsed.set_path(&format!("/{dbname}"));
            SecretUrl::new(parsed.to_string())
        }
        Err(_) => url.clone(),
    }
}

/// Where a URL points: what the production guard compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Lower-cased host; every loopback spelling becomes `loopback`.
    pub host: String,
    pub port: u16,
    pub dbname: String,
}

impl Endpoint {
    /// The endpoint of a PostgreSQL URL, or `None` when it does not parse.
    pub fn of(url: &SecretUrl) -> Option<Endpoint> {
        let options = parse_options(url).ok()?;
        Some(Endpoint {
            host: normalize_host(options.get_host()),
            port: options.get_port(),
            dbname: options
                .get_database()
                .unwrap_or(options.get_username())
                .to_owned(),
        })
    }
}

/// Lower-cases a host name and folds the spellings of loopback (and the local socket)
/// together: a first, quick comparison before the identity check (`safety::identity`), which
/// sees through every other alias.
pub fn normalize_host(host: &str) -> String {
    let host = host
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host = host.strip_prefix("::ffff:").unwrap_or(&host);
    let is_loopback = host
        .parse::<std::net::IpAddr>()
        .is_ok_and(|address| address.is_loopback());
    if is_loopback || host == "localhost" || host.starts_with('/') {
        "loopback".to_owned()
    } else {
        host.to_owned()
    }
}

/// Maps a sqlx error to [`Error::Database`] naming the action and the (redacted) URL.
pub fn database_error<'a>(
    url: &'a SecretUrl,
    action: &'a str,
) -> impl FnOnce(sqlx::Error) -> Error + 'a {
    move |source| Error::Database {
        action: action.to_owned(),
        url: url.to_string(),
        source,
    }
}

/// Runs `sql` (with one text[] parameter, when given) as a prepared statement — the extended
/// protocol, which refuses a second command — inside a savepoint that is rolled back: the
/// server's message when it fails, `None` when it runs.
pub async fn rolled_back_error(
    connection: &mut PgConnection,
    url: &SecretUrl,
    sql: &str,
    values: Option<Vec<String>>,
) -> Result<Option<String>, Error> {
    // Separate statements: a statement that fails would fail everything sent with it.
    sqlx::raw_sql("SAVEPOINT restage_check")
        .execute(&mut *connection)
        .await
        .map_err(database_error(url, "checking the profile"))?;
    let mut query = sqlx::query(sql).persistent(false);
    if let Some(values) = values {
        query = query.bind(values);
    }
    let outcome = query.execute(&mut *connection).await;
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT restage_check")
        .execute(&mut *connection)
        .await
        .map_err(database_error(url, "checking the profile"))?;
    Ok(outcome.err().map(|error| {
        error
            .as_database_error()
            .map_or_else(|| error.to_string(), |e| e.message().to_owned())
    }))
}
