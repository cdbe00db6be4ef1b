//! restage's reader of whole tables: a `COPY … TO STDOUT` stream whose memory stays at about
//! one message, however large a row. sqlx's read buffer copies a message that outgrows it
//! several times over (a 200 MB row took 800 MB), so the copy workers and the token scan read
//! through tokio-postgres, which splits each message off its buffer without copying. The connection
//! settings are sqlx's, resolved the same way as every other connection restage opens (URL,
//! `PG*` variables, passfile), and the session is read-only from login, as
//! [`super::connect_source`]'s.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sqlx::ConnectOptions;
use sqlx::postgres::PgSslMode;
use tokio_postgres::config::SslMode;

use super::{CONNECT_TIMEOUT, READ_ONLY, parse_options, session_settings, tls};
use crate::error::{Error, ReadError};
use crate::secret::SecretUrl;

/// A read-only session (on the source, or staging for the token scan) that streams
/// `COPY … TO STDOUT`.
pub struct CopyReader {
    client: tokio_postgres::Client,
}

/// The rows of one `COPY … TO STDOUT`, one message (a row) at a time.
pub type CopyStream = Pin<Box<dyn Stream<Item = Result<Bytes, ReadError>> + Send>>;

impl CopyReader {
    /// Opens a session; `role` names the database in errors ("staging database"),
    /// `application` shows in `pg_stat_activity`.
    pub async fn connect(
        url: &SecretUrl,
        role: &str,
        application: &str,
    ) -> Result<CopyReader, Error> {
        let invalid = |reason| Error::InvalidSetting {
            origin: format!("{role} URL"),
            reason,
        };
        let (config, tls) = reader_config(url, application).map_err(invalid)?;
        let connecting = format!("connecting to the {role} to read its tables");
        let (client, connection) = config
            .connect(tls)
            .await
            .map_err(|e| read_error(url, &connecting)(e.into()))?;
        // The connection ends when the client is dropped; its failures reach the client.
        tokio::spawn(connection);
        Ok(CopyReader { client })
    }

    /// A session reading `snapshot` (exported by the copy's leader with
    /// `pg_export_snapshot()`), so that it sees what every other reader of the run sees.
    pub async fn in_snapshot(
        url: &SecretUrl,
        snapshot: &str,
        application: &str,
    ) -> Result<CopyReader, Error> {
        let reader = CopyReader::connect(url, "source database", application).await?;
        let begin = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'"
        );
        reader
            .client
            .batch_execute(&begin)
            .await
            .map_err(|e| read_error(url, "joining the snapshot")(e.into()))?;
        Ok(reader)
    }

    /// Starts `copy` (a `COPY … TO STDOUT`) and returns its rows.
    pub async fn copy_out(&self, copy: &str) -> Result<CopyStream, ReadError> {
        let stream = self.client.copy_out(copy).await?;
        Ok(Box::pin(stream.map(|row| row.map_err(ReadError::from))))
    }
}

/// Maps a reader's failure to [`Error::Read`] naming the action and the (redacted) URL, as
/// [`super::database_error`] does for sqlx's.
pub fn read_error<'a>(url: &'a SecretUrl, action: &'a str) -> impl FnOnce(ReadError) -> Error + 'a {
    move |source| Error::Read {
        action: action.to_owned(),
        url: url.to_string(),
        source,
    }
}

/// tokio-postgres's settings for `url`: every value from sqlx's own parse (which also reads
/// the `PG*` variables and the passfile), restage's session settings, read-only transactions.
fn reader_config(
    url: &SecretUrl,
    application: &str,
) -> Result<
    (
        tokio_postgres::Config,
        tokio_postgres_rustls::MakeRustlsConnect,
    ),
    String,
> {
    let options = parse_options(url)?;
    // sqlx's own rendering of what it resolved: the only way to its password and certificates.
    let resolved = options.to_url_lossy();
    let parameter = |name: &str| {
        resolved
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let mut config = tokio_postgres::Config::new();
    match options.get_socket() {
        Some(directory) => config.host_path(directory),
        None => config.host(options.get_host()),
    };
    config
        .port(options.get_port())
        .user(options.get_username())
        .application_name(application)
        .connect_timeout(CONNECT_TIMEOUT)
        .options(login_options(options.get_options()));
    if let Some(database) = options.get_database() {
        config.dbname(database);
    }
    if let Some(password) = resolved.password() {
        config.password(percent_encoding::percent_decode_str(password).collect::<Vec<u8>>());
    }
    let mode = options.get_ssl_mode();
    config.ssl_mode(match mode {
        PgSslMode::Disable | PgSslMode::Allow => SslMode::Disable,
        PgSslMode::Prefer => SslMode::Prefer,
        PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull => SslMode::Require,
    });
    let certificates = tls::Certificates {
        root: parameter("sslrootcert").map(tls::Pem::from_sqlx),
        client: parameter("sslcert").map(tls::Pem::from_sqlx),
        key: parameter("sslkey").map(tls::Pem::from_sqlx),
    };
    let connector = tls::connector(mode, &certificates).map_err(|reason| {
        format!(
            "{url}: its TLS settings (sslmode, sslrootcert, sslcert, sslkey) do not load: {reason}"
        )
    })?;
    Ok((config, connector))
}

/// The startup `options` of a reader: the URL's own, restage's session timeouts and
/// read-only transactions.
fn login_options(url_options: Option<&str>) -> String {
    let mut settings: Vec<(&str, String)> = session_settings().into_iter().collect();
    let (name, value) = READ_ONLY;
    settings.push((name, value.into()));
    let ours = settings
        .iter()
        .map(|(name, value)| format!("-c {name}={value}"))
        .collect::<Vec<_>>()
        .join(" ");
    match url_options {
        Some(theirs) if !theirs.trim().is_empty() => format!("{theirs} {ours}"),
        _ => ours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> tokio_postgres::Config {
        reader_config(&SecretUrl::new(url), "restage test")
            .expect("a valid URL")
            .0
    }

    #[test]
    fn takes_every_setting_sqlx_reads() {
        let config = config("postgres://ann:p%40ss%2Fw@db.internal:6543/app?sslmode=disable");
        assert_eq!(config.get_user(), Some("ann"));
        assert_eq!(config.get_password(), Some(&b"p@ss/w"[..]));
        assert_eq!(config.get_dbname(), Some("app"));
        assert_eq!(config.get_ports(), [6543]);
        assert_eq!(
            config.get_hosts(),
            [tokio_postgres::config::Host::Tcp("db.internal".into())]
        );
        assert_eq!(config.get_ssl_mode(), SslMode::Disable);
        assert_eq!(config.get_application_name(), Some("restage test"));
        let options = config.get_options().expect("restage's options");
        assert!(
            options.contains("-c default_transaction_read_only=on"),
            "{options}"
        );
        assert!(options.contains("-c statement_timeout="), "{options}");
    }

    #[test]
    fn keeps_the_urls_own_options_and_tls_modes() {
        let url = "postgres://ann@db/app?options=-c%20search_path%3Dshop&sslmode=verify-full";
        let config = config(url);
        assert!(
            config
                .get_options()
                .expect("options")
                .starts_with("-c search_path=shop -c ")
        );
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        assert_eq!(
            self::config("postgres://ann@db/app?sslmode=prefer").get_ssl_mode(),
            SslMode::Prefer
        );
    }

    #[test]
    fn a_socket_directory_is_a_socket() {
        let config = config("postgres://ann@%2Fvar%2Frun%2Fpostgresql/app");
        assert_eq!(
            config.get_hosts(),
            [tokio_postgres::config::Host::Unix(
                "/var/run/postgresql".into()
            )]
        );
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        let url = SecretUrl::new(
            "postgres://ann@db/app?sslmode=verify-ca&sslrootcert=/nonexistent/root.pem",
        );
        let error = reader_config(&url, "restage test").err().expect("an error");
        assert!(error.contains("/nonexistent/root.pem"), "{error}");
    }
}
