//! AWS RDS: snapshots of production, the temporary instance a refresh restores into, and
//! the clean-up of what a crashed run left behind.
//!
//! Every RDS call goes through [`Rds`]: `deploy/iam-policy.json` lists exactly the actions
//! called here (a test reads this file to keep the two in step). Whatever restage makes is
//! tagged, and restage deletes only what carries its tags.

pub mod retention;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_rds::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};
use aws_sdk_rds::types::{DbInstance, DbSnapshot, Tag};
use rand::Rng;
use serde::Serialize;

use crate::config::{self, Production};
use crate::error::{AwsFailure, Error};
use crate::output::Output;

/// On snapshots restage made: `restage:made-by = restage`.
pub const TAG_MADE_BY: &str = "restage:made-by";
/// On temporary restored instances: `restage:temporary = true`.
pub const TAG_TEMPORARY: &str = "restage:temporary";
/// The run that made the resource.
pub const TAG_RUN_ID: &str = "restage:run-id";
/// When the resource was made (RFC 3339, UTC).
pub const TAG_CREATED_AT: &str = "restage:created-at";

/// Temporary instances are named `restage-tmp-<run id>`.
const TEMPORARY_PREFIX: &str = "restage-tmp-";

/// How long an AWS call may take before it counts as failed (each attempt, and in all).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);
/// How long to wait for a TCP connection to the API (an offline machine fails fast).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per call; throttling and transient errors are retried with exponential backoff
/// (about 1, 2, 4 s: an unreachable API fails within seconds, not minutes).
const MAX_ATTEMPTS: u32 = 4;

/// Statuses from which an instance never becomes available by itself.
const FAILED_INSTANCE_STATUSES: &[&str] = &[
    "failed",
    "incompatible-restore",
    "incompatible-parameters",
    "incompatible-network",
    "inaccessible-encryption-credentials",
    "storage-full",
    "deleting",
];

/// A DB instance, as restage needs it.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub id: String,
    pub status: String,
    /// Endpoint host and port, once RDS has assigned them.
    pub endpoint: Option<(String, u16)>,
    pub master_username: Option<String>,
    pub db_name: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: Option<i64>,
}

impl Instance {
    /// Whether restage made this instance as a temporary restore.
    pub fn is_temporary(&self) -> bool {
        self.tags.get(TAG_TEMPORARY).map(String::as_str) == Some("true")
    }

    /// When restage made it (its tag), else when RDS says it was created.
    pub fn made_at(&self) -> Option<i64> {
        made_at(&self.tags).or(self.created_at)
    }

    /// The run that made it (its `restage:run-id` tag).
    pub fn run_id(&self) -> Option<&str> {
        self.tags.get(TAG_RUN_ID).map(String::as_str)
    }
}

/// A DB snapshot, as `snapshot list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub id: String,
    pub instance: String,
    pub status: String,
    /// `manual` or `automated`.
    pub kind: String,
    /// Allocated storage of the instance it was taken of, in GiB.
    pub size_gib: Option<i32>,
    /// Creation time, seconds since the Unix epoch (none while it is being created).
    pub created_at: Option<i64>,
    pub tags: BTreeMap<String, String>,
}

impl Snapshot {
    /// Whether restage made this snapshot.
    pub fn made_by_restage(&self) -> bool {
        self.tags.get(TAG_MADE_BY).map(String::as_str) == Some("restage")
    }

    /// When restage made it (its tag), else when RDS says it was created.
    pub fn made_at(&self) -> Option<i64> {
        made_at(&self.tags).or(self.created_at)
    }
}

fn made_at(tags: &BTreeMap<String, String>) -> Option<i64> {
    let tag = tags.get(TAG_CREATED_AT)?;
    DateTime::from_str(tag, DateTimeFormat::DateTime)
        .ok()
        .map(|time| time.secs())
}

/// What a restored instance is made with (from `[rds]`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreSpec {
    pub instance_class: Option<String>,
    pub db_subnet_group: Option<String>,
    pub vpc_security_group_ids: Vec<String>,
    pub parameter_group: Option<String>,
}

impl RestoreSpec {
    /// The spec `[rds]` describes.
    pub fn from_settings(rds: &config::Rds) -> RestoreSpec {
        RestoreSpec {
            instance_class: rds.instance_class.clone(),
            db_subnet_group: rds.db_subnet_group.clone(),
            vpc_security_group_ids: rds.vpc_security_group_ids.clone(),
            parameter_group: rds.parameter_group.clone(),
        }
    }
}

/// The RDS API of one region, with restage's error messages.
pub struct Rds {
    client: aws_sdk_rds::Client,
    region: String,
}

/// A master password for a temporary instance: 32 letters and digits (RDS forbids `/@"`
/// and spaces); it lives only in this process.
pub fn new_master_password() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// What the command line says over the configured region and RDS API endpoint.
#[derive(Debug, Clone, Default)]
pub struct ApiOverrides {
    /// The AWS region (else `[production] region`, else the standard chain).
    pub region: Option<String>,
    /// The RDS API endpoint (else `[rds] endpoint_url`, else the standard variables).
    pub endpoint_url: Option<String>,
}

impl Rds {
    /// The client for production's region: AWS's standard credential chain (environment,
    /// profile, SSO, web identity, ECS task role, instance metadata), the region from
    /// `--region`, else `[production] region`, else the standard region chain; the endpoint from
    /// `--endpoint-url`, else `[rds] endpoint_url`, else `AWS_ENDPOINT_URL_RDS` /
    /// `AWS_ENDPOINT_URL`, else AWS's own.
    pub async fn connect(
        production: &Production,
        rds: &config::Rds,
        flags: &ApiOverrides,
    ) -> Result<Rds, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https_client())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            );
        if let Some(region) = flags.region.clone().or_else(|| production.region.clone()) {
            loader = loader.region(Region::new(region));
        }
        if let Some(endpoint) = flags
            .endpoint_url
            .clone()
            .or_else(|| rds.endpoint_url.clone())
        {
            loader = loader.endpoint_url(endpoint);
        }
        let config = loader.load().await;
        let region = config.region().map(ToString::to_string).ok_or_else(|| {
            Error::aws(
                AwsFailure::NoRegion,
                "no AWS region: set region under [production] in restage.toml, pass --region, \
                 or set AWS_REGION",
            )
        })?;
        Ok(Rds {
            client: aws_sdk_rds::Client::new(&config),
            region,
        })
    }

    /// The region the client talks to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// One DB instance (DescribeDBInstances).
    pub async fn instance(&self, id: &str) -> Result<Instance, Error> {
        let output = self
            .client
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(|e| self.error("DescribeDBInstances", &format!("DB instance {id}"), e))?;
        output
            .db_instances()
            .first()
            .map(instance)
            .ok_or_else(|| self.not_found("DB instance", id))
    }

    /// One DB instance, or `None` when there is none of that name.
    pub async fn find_instance(&self, id: &str) -> Result<Option<Instance>, Error> {
        match self.instance(id).await {
            Ok(found) => Ok(Some(found)),
            Err(Error::AwsNotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every DB instance of the region (DescribeDBInstances, all pages).
    pub async fn instances(&self) -> Result<Vec<Instance>, Error> {
        let pages = self
            .client
            .describe_db_instances()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<DbInstance>, _>>()
            .await
            .map_err(|e| self.error("DescribeDBInstances", "the DB instances", e))?;
        Ok(pages.iter().map(instance).collect())
    }

    /// The manual and automated snapshots of `instance_id`, newest first (DescribeDBSnapshots).
    pub async fn snapshots(&self, instance_id: &str) -> Result<Vec<Snapshot>, Error> {
        let found = self
            .client
            .describe_db_snapshots()
            .db_instance_identifier(instance_id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<DbSnapshot>, _>>()
            .await
            .map_err(|e| {
                self.error(
                    "DescribeDBSnapshots",
                    &format!("the snapshots of {instance_id}"),
                    e,
                )
            })?;
        let mut snapshots: Vec<Snapshot> = found.iter().map(snapshot).collect();
        snapshots.sort_by_key(|snapshot| std::cmp::Reverse(snapshot.made_at().unwrap_or(i64::MAX)));
        Ok(snapshots)
    }

    /// One snapshot (DescribeDBSnapshots).
    pub async fn snapshot(&self, id: &str) -> Result<Snapshot, Error> {
        let output = self
            .client
            .describe_db_snapshots()
            .db_snapshot_identifier(id)
            .send()
            .await
            .map_err(|e| self.error("DescribeDBSnapshots", &format!("DB snapshot {id}"), e))?;
        output
            .db_snapshots()
            .first()
            .map(snapshot)
            .ok_or_else(|| self.not_found("DB snapshot", id))
    }

    /// Starts a manual snapshot of `instance_id`, tagged as restage's (CreateDBSnapshot).
    pub async fn create_snapshot(
        &self,
        instance_id: &str,
        snapshot_id: &str,
        run_id: &str,
    ) -> Result<Snapshot, Error> {
        let output = self
            .client
            .create_db_snapshot()
            .db_instance_identifier(instance_id)
            .db_snapshot_identifier(snapshot_id)
            .set_tags(Some(tags(&[
                (TAG_MADE_BY, "restage"),
                (TAG_RUN_ID, run_id),
                (TAG_CREATED_AT, &crate::clock::now_rfc3339()),
            ])))
            .send()
            .await
            .map_err(|e| {
                self.error(
                    "CreateDBSnapshot",
                    &format!("snapshot {snapshot_id} of DB instance {instance_id}"),
                    e,
                )
            })?;
        output.db_snapshot().map(snapshot).ok_or_else(|| {
            Error::aws(
                AwsFailure::Incomplete,
                format!("RDS returned no snapshot for {snapshot_id}"),
            )
        })
    }

    /// Deletes snapshot `id` (DeleteDBSnapshot); a snapshot restage did not make only when `force`.
    pub async fn delete_snapshot(&self, id: &str, force: bool) -> Result<(), Error> {
        let found = self.snapshot(id).await?;
        if !force && !found.made_by_restage() {
            return Err(Error::Refused(format!(
                "snapshot {id} was not made by restage (no {TAG_MADE_BY} tag); pass --force to \
                 delete it anyway"
            )));
        }
        if found.kind == "automated" {
            return Err(Error::Refused(format!(
                "snapshot {id} is an automated snapshot; RDS deletes those itself when they age \
                 out of the instance's backup retention"
            )));
        }
        self.client
            .delete_db_snapshot()
            .db_snapshot_identifier(id)
            .send()
            .await
            .map_err(|e| self.error("DeleteDBSnapshot", &format!("DB snapshot {id}"), e))?;
        Ok(())
    }

    /// Restores `snapshot_id` into a new, private, tagged temporary instance
    /// (RestoreDBInstanceFromDBSnapshot).
    pub async fn restore(
        &self,
        snapshot_id: &str,
        instance_id: &str,
        run_id: &str,
        spec: &RestoreSpec,
    ) -> Result<Instance, Error> {
        let created_at = crate::clock::now_rfc3339();
        let tags = tags(&[
            (TAG_TEMPORARY, "true"),
            (TAG_RUN_ID, run_id),
            (TAG_CREATED_AT, &created_at),
        ]);
        let output = self
            .client
            .restore_db_instance_from_db_snapshot()
            .db_snapshot_identifier(snapshot_id)
            .db_instance_identifier(instance_id)
            .publicly_accessible(false)
            .multi_az(false)
            .deletion_protection(false)
            .auto_minor_version_upgrade(false)
            .set_db_instance_class(spec.instance_class.clone())
            .set_db_subnet_group_name(spec.db_subnet_group.clone())
            .set_db_parameter_group_name(spec.parameter_group.clone())
            .set_vpc_security_group_ids(
                (!spec.vpc_security_group_ids.is_empty())
                    .then(|| spec.vpc_security_group_ids.clone()),
            )
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| {
                self.error(
                    "RestoreDBInstanceFromDBSnapshot",
                    &format!("DB instance {instance_id} from snapshot {snapshot_id}"),
                    e,
                )
            })?;
        output.db_instance().map(instance).ok_or_else(|| {
            Error::aws(
                AwsFailure::Incomplete,
                format!("RDS returned no instance for {instance_id}"),
            )
        })
    }

    /// Gives a temporary instance a new master password, applied now (ModifyDBInstance).
    pub async fn set_master_password(
        &self,
        instance_id: &str,
        password: &str,
    ) -> Result<(), Error> {
        refuse_unless_temporary(&self.instance(instance_id).await?)?;
        self.client
            .modify_db_instance()
            .db_instance_identifier(instance_id)
            .master_user_password(password)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| {
                self.error("ModifyDBInstance", &format!("DB instance {instance_id}"), e)
            })?;
        Ok(())
    }

    /// Deletes a temporary instance without a final snapshot, with its automated backups
    /// (DeleteDBInstance). Refuses any instance without restage's temporary tag. An instance
    /// that is already gone counts as deleted (returns false).
    pub async fn delete_temporary_instance(&self, instance_id: &str) -> Result<bool, Error> {
        let Some(found) = self.find_instance(instance_id).await? else {
            return Ok(false);
        };
        refuse_unless_temporary(&found)?;
        self.client
            .delete_db_instance()
            .db_instance_identifier(instance_id)
            .skip_final_snapshot(true)
            .delete_automated_backups(true)
            .send()
            .await
            .map_err(|e| {
                self.error("DeleteDBInstance", &format!("DB instance {instance_id}"), e)
            })?;
        Ok(true)
    }

    /// Waits until the snapshot is available, showing its status.
    pub async fn wait_for_snapshot(
        &self,
        id: &str,
        timeout: Duration,
        poll: Duration,
        out: &Output,
    ) -> Result<Snapshot, Error> {
        let wait = Wait::new(format!("snapshot {id}"), "snapshot_timeout", timeout, poll);
        wait.until_available(out, || async {
            let found = self.snapshot(id).await?;
            Ok((found.status.clone(), found.status == "failed", found))
        })
        .await
    }

    /// Waits until the instance is available, showing its status.
    pub async fn wait_for_instance(
        &self,
        id: &str,
        timeout: Duration,
        poll: Duration,
        out: &Output,
    ) -> Result<Instance, Error> {
        let wait = Wait::new(
            format!("DB instance {id}"),
            "restore_timeout",
            timeout,
            poll,
        );
        wait.until_available(out, || async {
            let found = self.instance(id).await?;
            let failed = FAILED_INSTANCE_STATUSES.contains(&found.status.as_str());
            Ok((found.status.clone(), failed, found))
        })
        .await
    }

    fn not_found(&self, kind: &str, id: &str) -> Error {
        Error::AwsNotFound(format!(
            "{kind} {id} does not exist in region {}; check the name (and [production] region)",
            self.region
        ))
    }

    /// An SDK error as a message that names the action, the resource and what to do; the
    /// SDK's error goes with it.
    fn error<E>(&self, action: &str, resource: &str, error: SdkError<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        aws_sdk_rds::Error: From<SdkError<E>>,
    {
        let code = error.code().unwrap_or_default().to_owned();
        let message = error.message().unwrap_or_default().to_owned();
        let (kind, text) = match code.as_str() {
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "NotAuthorized" => {
                return Error::AwsAccessDenied {
                    action: format!("rds:{action}"),
                    resource: resource.to_owned(),
                    message,
                };
            }
            code if code.ends_with("NotFound") || code.ends_with("NotFoundFault") => {
                return Error::AwsNotFound(format!(
                    "{resource} does not exist in region {} ({action}: {message}); check the \
                     name (and [production] region)",
                    self.region
                ));
            }
            "SnapshotQuotaExceeded" | "SnapshotQuotaExceededFault" => (
                AwsFailure::Quota,
                format!(
                    "cannot create {resource}: the account's quota of manual snapshots is \
                     reached; delete old ones (`restage snapshot prune --keep N`) or ask AWS \
                     for a higher quota"
                ),
            ),
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId" => (
                AwsFailure::Credentials,
                format!(
                    "AWS rejected the credentials for {action} on {resource} ({code}: \
                     {message}); check AWS_PROFILE or AWS_ACCESS_KEY_ID, or sign in again (aws \
                     sso login)"
                ),
            ),
            "" if credentials_missing(&error) => (
                AwsFailure::Credentials,
                format!(
                    "no AWS credentials for {action} on {resource}: set AWS_PROFILE (or \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), sign in with `aws sso \
                     login`, or run where a task or instance role is available"
                ),
            ),
            "" => (
                AwsFailure::Unreachable,
                format!(
                    "cannot reach the RDS API in region {} for {action} on {resource}; check \
                     the network, the region and --endpoint-url ({})",
                    self.region,
                    DisplayErrorContext(&error)
                ),
            ),
            code => (
                AwsFailure::Service,
                format!("RDS {action} on {resource} failed: {code}: {message}"),
            ),
        };
        Error::Aws {
            kind,
            message: text,
            sdk: Some(Box::new(error.into())),
        }
    }
}

/// Whether the SDK failed before sending because no credentials could be loaded.
fn credentials_missing(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if current.is::<CredentialsError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

/// What a wait is for and how long it may take.
struct Wait {
    what: String,
    /// The `[rds]` key of the timeout, named when it runs out.
    setting: &'static str,
    timeout: Duration,
    poll: Duration,
}

impl Wait {
    fn new(what: String, setting: &'static str, timeout: Duration, poll: Duration) -> Wait {
        Wait {
            what,
            setting,
            timeout,
            poll,
        }
    }

    /// Polls `status` (status, failed for good, value) until it says available, failed, or the
    /// timeout passes; a spinner shows the status and the elapsed time on a terminal, and each
    /// change is printed as a line.
    async fn until_available<T, F, Fut>(&self, out: &Output, mut status: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(String, bool, T), Error>>,
    {
        let what = &self.what;
        let start = Instant::now();
        let spinner = out.spinner();
        let mut last = String::new();
        loop {
            let (current, failed, value) = status().await?;
            let elapsed = start.elapsed();
            spinner.set_message(format!(
                "{what}: {current} ({}s elapsed)",
                elapsed.as_secs()
            ));
            if current != last {
                spinner.suspend(|| {
                    out.step(format!("{what}: {current} after {}s", elapsed.as_secs()))
                });
                last = current.clone();
            }
            let outcome = if current == "available" {
                Some(Ok(value))
            } else if failed {
                Some(Err(Error::aws(
                    AwsFailure::FailedStatus,
                    format!(
                        "{what} went to status '{current}' and will not become available; see \
                         the RDS events of the resource"
                    ),
                )))
            } else if elapsed >= self.timeout {
                Some(Err(Error::AwsTimeout {
                    what: what.clone(),
                    setting: self.setting,
                    wanted: "available",
                    status: current,
                    after: self.timeout,
                }))
            } else {
                None
            };
            if let Some(outcome) = outcome {
                spinner.finish_and_clear();
                return outcome;
            }
            tokio::time::sleep(self.poll.min(self.timeout.saturating_sub(elapsed))).await;
        }
    }
}

/// restage changes and deletes only the temporary instances it restored.
fn refuse_unless_temporary(instance: &Instance) -> Result<(), Error> {
    if instance.is_temporary() {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "DB instance {} is not tagged {TAG_TEMPORARY}=true; restage changes and deletes only \
             the temporary instances it restored",
            instance.id
        )))
    }
}

/// The name of the temporary instance of run `run_id`.
pub fn temporary_instance_id(run_id: &str) -> String {
    format!("{TEMPORARY_PREFIX}{run_id}")
}

/// HTTPS with rustls and the ring crypto provider (no C toolchain, quick to build).
fn https_client() -> aws_sdk_rds::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(key, value)| Tag::builder().key(*key).value(*value).build())
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or("").to_owned())))
        .collect()
}

fn instance(found: &DbInstance) -> Instance {
    Instance {
        id: found
            .db_instance_identifier()
            .unwrap_or_default()
            .to_owned(),
        status: found.db_instance_status().unwrap_or("unknown").to_owned(),
        endpoint: found.endpoint().and_then(|endpoint| {
            let port = u16::try_from(endpoint.port()?).ok()?;
            Some((endpoint.address()?.to_owned(), port))
        }),
        master_username: found.master_username().map(str::to_owned),
        db_name: found.db_name().map(str::to_owned),
        tags: tag_map(found.tag_list()),
        created_at: found.instance_create_time().map(DateTime::secs),
    }
}

fn snapshot(found: &DbSnapshot) -> Snapshot {
    Snapshot {
        id: found
            .db_snapshot_identifier()
            .unwrap_or_default()
            .to_owned(),
        instance: found
            .db_instance_identifier()
            .unwrap_or_default()
            .to_owned(),
        status: found.status().unwrap_or("unknown").to_owned(),
        kind: found.snapshot_type().unwrap_or("manual").to_owned(),
        size_gib: found.allocated_storage(),
        created_at: found.snapshot_create_time().map(DateTime::secs),
        tags: tag_map(found.tag_list()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_make_valid_instance_names() {
        let id = format!("{TEMPORARY_PREFIX}{}", crate::clock::new_run_id());
        assert!(id.len() <= 63, "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}"
        );
        assert!(!id.contains("--") && !id.ends_with('-'), "{id}");
    }

    #[test]
    fn passwords_are_long_and_allowed_by_rds() {
        let password = new_master_password();
        assert_eq!(password.len(), 32);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(password, new_master_password());
    }
}
