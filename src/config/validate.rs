//! Checks of the values serde cannot check: URLs, numbers in range, names, durations,
//! combinations of keys; each problem with its line and key.

use std::time::Duration;

use toml::Spanned;

use crate::pg;
use crate::secret::SecretUrl;
use crate::toml_source::Problem;

use super::file::*;
use super::*;

impl SessionSection {
    /// Durations that do not parse, with their lines.
    pub(super) fn problems(&self, text: &str) -> Vec<Problem> {
        self.entries()
            .into_iter()
            .filter_map(|(name, entry, _)| {
                let entry = entry.as_ref()?;
                let reason = parse_duration(entry.get_ref()).err()?;
                Some(Problem::at(
                    text,
                    entry.span().start,
                    &format!("session.{name}"),
                    &reason,
                ))
            })
            .collect()
    }
}

pub(super) fn validate_pg_url(url: &SecretUrl) -> Result<(), String> {
    pg::parse_options(url).map(drop)
}

pub(super) fn validate_webhook_url(url: &SecretUrl) -> Result<(), String> {
    let parsed = url::Url::parse(url.expose())
        .map_err(|e| format!("{} does not parse as a URL: {e}", url.redacted_host()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(format!(
            "{} is not an http(s) URL; expected https://hooks.slack.com/services/…",
            url.redacted_host()
        ));
    }
    Ok(())
}

pub(super) fn validate_redis_url(url: &SecretUrl) -> Result<(), String> {
    let parsed = url::Url::parse(url.expose()).map_err(|e| format!("{url} does not parse: {e}"))?;
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return Err(format!(
            "{url} is not a Redis URL; expected redis://host:6379/0"
        ));
    }
    let db = parsed.path().trim_matches('/');
    if !db.is_empty() && db.parse::<u32>().is_err() {
        return Err(format!(
            "{url}: the path must be a database number, like /0"
        ));
    }
    Ok(())
}

/// Checks the values serde cannot: URLs, numbers in range, names.
pub(super) fn validate(file: &ConfigFile, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut check =
        |value: Option<&Spanned<String>>, key: &str, rule: fn(&SecretUrl) -> Result<(), String>| {
            if let Some(value) = value
                && let Err(reason) = rule(&SecretUrl::new(value.get_ref().clone()))
            {
                problems.push(Problem::at(text, value.span().start, key, &reason));
            }
        };
    check(
        file.production.url.as_ref(),
        "production.url",
        validate_pg_url,
    );
    check(
        file.production.redis_url.as_ref(),
        "production.redis_url",
        validate_redis_url,
    );
    check(
        file.staging.database_url.as_ref(),
        "staging.database_url",
        validate_pg_url,
    );
    check(
        file.staging.redis_url.as_ref(),
        "staging.redis_url",
        validate_redis_url,
    );
    if let Some(jobs) = &file.refresh.jobs
        && !(1..=256).contains(jobs.get_ref())
    {
        let reason = format!("must be between 1 and 256, not {}", jobs.get_ref());
        problems.push(Problem::at(
            text,
            jobs.span().start,
            "refresh.jobs",
            &reason,
        ));
    }
    if let Some(region) = &file.production.region
        && !is_region_name(region.get_ref())
    {
        let reason = format!(
            "'{}' is not an AWS region name like eu-west-1",
            region.get_ref()
        );
        problems.push(Problem::at(
            text,
            region.span().start,
            "production.region",
            &reason,
        ));
    }
    problems.extend(file.rds.problems(text));
    problems.extend(file.hooks.problems(text));
    problems.extend(file.session.problems(text));
    if let Some(notify) = &file.notify {
        problems.extend(notify.get_ref().problems(notify.span().start, text));
    }
    problems.extend(file.staging.problems(text));
    for table in &file.refresh.exclude_tables {
        if table.get_ref().trim().is_empty() {
            let reason = "table names must not be empty";
            problems.push(Problem::at(
                text,
                table.span().start,
                "refresh.exclude_tables",
                reason,
            ));
        }
    }
    problems
}

/// Parses a duration like `500ms`, `30s`, `90m`, `6h` or `2d`, or with the unit in words:
/// `5 minutes`, `1 hour`, `2 days`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 30s, 90m, 6h or 2d"))?;
    if value == 0 && unit.is_empty() {
        return Ok(Duration::ZERO);
    }
    let seconds_per_unit = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "millisecond" | "milliseconds" => return Ok(Duration::from_millis(value)),
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86400,
        "" => {
            return Err(format!(
                "'{text}' has no unit: write ms, s, m, h or d after the number, like 30s, 90m, \
                 6h or 2d"
            ));
        }
        other => {
            return Err(format!(
                "'{text}': '{other}' is not a unit restage knows; use ms, s, m, h or d \
                 (or milliseconds, seconds, minutes, hours, days), like 30s, 90m, 6h or 2d"
            ));
        }
    };
    Ok(Duration::from_secs(value.saturating_mul(seconds_per_unit)))
}

pub(super) fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
}

impl StagingSection {
    /// The migration runner and the schema list, checked.
    pub(super) fn problems(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(migrate) = &self.migrate {
            let reason = match (&migrate.get_ref().command, &migrate.get_ref().dir) {
                (Some(_), Some(_)) => Some("give either command or dir, not both"),
                (None, None) => Some(
                    "give command = \"your migration command\" or dir = \"a directory of SQL migrations\"",
                ),
                (Some(command), None) if command.trim().is_empty() => {
                    Some("the command must not be empty")
                }
                (None, Some(dir)) if dir.trim().is_empty() => {
                    Some("the directory must not be empty")
                }
                _ => None,
            };
            if let Some(reason) = reason {
                problems.push(Problem::at(
                    text,
                    migrate.span().start,
                    "staging.migrate",
                    reason,
                ));
            }
        }
        match &self.schemas {
            Some(schemas) if schemas.get_ref().is_empty() => {
                let reason = "list at least one schema the application owns, e.g. [\"public\"]";
                problems.push(Problem::at(
                    text,
                    schemas.span().start,
                    "staging.schemas",
                    reason,
                ));
            }
            Some(schemas) => {
                for schema in schemas.get_ref() {
                    let name = schema.get_ref();
                    if name.trim().is_empty()
                        || name == "restage"
                        || name.starts_with("pg_")
                        || name == "information_schema"
                    {
                        let reason = format!(
                            "'{name}' cannot be an application schema (restage, pg_* and \
                             information_schema are not the application's)"
                        );
                        problems.push(Problem::at(
                            text,
                            schema.span().start,
                            "staging.schemas",
                            &reason,
                        ));
                    }
                }
            }
            None => {}
        }
        if let Some(owner) = &self.owner
            && owner.get_ref().trim().is_empty()
        {
            let reason = "name the role that owns staging, or leave owner out";
            problems.push(Problem::at(
                text,
                owner.span().start,
                "staging.owner",
                reason,
            ));
        }
        for (role, access) in &self.grants {
            if Access::parse(access.get_ref()).is_none() {
                let reason = format!(
                    "'{}' for role '{role}' is neither \"read-only\" nor \"read-write\"",
                    access.get_ref()
                );
                let key = format!("staging.grants.{role}");
                problems.push(Problem::at(text, access.span().start, &key, &reason));
            }
        }
        problems
    }
}

impl HooksSection {
    /// Empty commands and durations that do not parse, with their lines.
    pub(super) fn problems(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(timeout) = &self.timeout
            && let Err(reason) = parse_duration(timeout.get_ref())
        {
            problems.push(Problem::at(
                text,
                timeout.span().start,
                "hooks.timeout",
                &reason,
            ));
        }
        for (name, entry) in self.entries() {
            let Some(entry) = entry else { continue };
            let key = format!("hooks.{name}");
            let (command, timeout) = entry.get_ref().parts();
            if command.trim().is_empty() {
                let reason = "the command must not be empty";
                problems.push(Problem::at(text, entry.span().start, &key, reason));
            }
            if let Some(Err(reason)) = timeout.map(parse_duration) {
                problems.push(Problem::at(text, entry.span().start, &key, &reason));
            }
        }
        problems
    }
}

impl NotifySection {
    /// Exactly one webhook source, a known `on` and a duration, with their lines.
    pub(super) fn problems(&self, section_start: usize, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        match (&self.webhook_url, &self.webhook_url_env) {
            (Some(_), Some(env)) => problems.push(Problem::at(
                text,
                env.span().start,
                "notify.webhook_url_env",
                "give either webhook_url or webhook_url_env, not both",
            )),
            (None, None) => problems.push(Problem::at(
                text,
                section_start,
                "notify",
                "say where to post: webhook_url_env = \"THE_VARIABLE_HOLDING_THE_URL\" \
                 (or webhook_url = \"https://…\")",
            )),
            (Some(url), None) => {
                if let Err(reason) = validate_webhook_url(&SecretUrl::new(url.get_ref().clone())) {
                    problems.push(Problem::at(
                        text,
                        url.span().start,
                        "notify.webhook_url",
                        &reason,
                    ));
                }
            }
            (None, Some(env)) if env.get_ref().trim().is_empty() => problems.push(Problem::at(
                text,
                env.span().start,
                "notify.webhook_url_env",
                "name the environment variable that holds the webhook URL",
            )),
            (None, Some(_)) => {}
        }
        if let Some(on) = &self.on
            && NotifyOn::parse(on.get_ref()).is_none()
        {
            let reason = format!("'{}' is not one of failure, always", on.get_ref());
            problems.push(Problem::at(text, on.span().start, "notify.on", &reason));
        }
        if let Some(timeout) = &self.timeout
            && let Err(reason) = parse_duration(timeout.get_ref())
        {
            problems.push(Problem::at(
                text,
                timeout.span().start,
                "notify.timeout",
                &reason,
            ));
        }
        problems
    }
}

impl RdsSection {
    /// Every invalid value of the section, with its line.
    pub(super) fn problems(&self, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |value: &Spanned<String>, key: &str, reason: String| {
            problems.push(Problem::at(text, value.span().start, key, &reason));
        };
        if let Some(snapshot) = &self.snapshot
            && !matches!(snapshot.get_ref().as_str(), "new" | "latest-automated")
        {
            let reason = format!(
                "'{}' is neither \"new\" nor \"latest-automated\"",
                snapshot.get_ref()
            );
            report(snapshot, "rds.snapshot", reason);
        }
        if let Some(mode) = &self.sslmode {
            match SslMode::parse(mode.get_ref()) {
                None => report(
                    mode,
                    "rds.sslmode",
                    format!(
                        "'{}' is not one of verify-full, verify-ca, require, disable",
                        mode.get_ref()
                    ),
                ),
                Some(SslMode::Disable) if self.connect_to.is_none() => report(
                    mode,
                    "rds.sslmode",
                    "\"disable\" is only allowed with connect_to (a local stand-in); RDS \
                     enforces TLS"
                        .to_owned(),
                ),
                Some(_) => {}
            }
        }
        for (value, key) in [
            (&self.snapshot_timeout, "rds.snapshot_timeout"),
            (&self.restore_timeout, "rds.restore_timeout"),
            (&self.poll_interval, "rds.poll_interval"),
        ] {
            if let Some(value) = value
                && let Err(reason) = parse_duration(value.get_ref())
            {
                report(value, key, reason);
            }
        }
        if let Some(connect_to) = &self.connect_to
            && parse_host_port(connect_to.get_ref()).is_none()
        {
            let reason = format!("'{}' is not host:port", connect_to.get_ref());
            report(connect_to, "rds.connect_to", reason);
        }
        if let Some(endpoint) = &self.endpoint_url
            && url::Url::parse(endpoint.get_ref()).is_err()
        {
            let reason = format!("'{}' is not a URL", endpoint.get_ref());
            report(endpoint, "rds.endpoint_url", reason);
        }
        if let Some(keep) = &self.keep_snapshots
            && *keep.get_ref() < 1
        {
            let reason = format!("must be at least 1, not {}", keep.get_ref());
            problems.push(Problem::at(
                text,
                keep.span().start,
                "rds.keep_snapshots",
                &reason,
            ));
        }
        problems
    }
}

/// `host:port` (a bracketed IPv6 host allowed), split.
pub fn parse_host_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then_some(())?;
    Some((host.to_owned(), port.parse().ok()?))
}
