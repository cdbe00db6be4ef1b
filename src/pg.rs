//! PostgreSQL connections: libpq-style URLs, a connect timeout, errors naming the server.

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::error::Error;
use crate::secret::SecretUrl;

/// How long to wait for a server before saying it does not answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses a libpq-style URL (`postgres://user:pass@host:port/db?sslmode=…`).
pub fn parse_options(url: &SecretUrl) -> Result<PgConnectOptions, String> {
    let scheme_ok =
        url.expose().starts_with("postgres://") || url.expose().starts_with("postgresql://");
    if !scheme_ok {
        return Err(format!(
            "{url} is not a PostgreSQL URL; expected postgres://user@host:5432/dbname"
        ));
    }
    PgConnectOptions::from_str(url.expose()).map_err(|e| format!("{url} does not parse: {e}"))
}

/// Opens one connection; `role` names the server in errors ("staging database"), `application`
/// shows in `pg_stat_activity` so that a blocked user can see which restage command is running.
pub async fn connect(
    url: &SecretUrl,
    role: &'static str,
    application: &str,
) -> Result<PgConnection, Error> {
    let options = parse_options(url)
        .map_err(|reason| Error::InvalidSetting {
            origin: format!("{role} URL"),
            reason,
        })?
        .application_name(application)
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

/// Lower-cases a host name and folds the spellings of loopback (and the local socket) together.
pub fn normalize_host(host: &str) -> String {
    let host = host
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase();
    match host.as_str() {
        "localhost" | "127.0.0.1" | "::1" => "loopback".to_owned(),
        socket if socket.starts_with('/') => "loopback".to_owned(),
        _ => host,
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
