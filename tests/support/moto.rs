//! moto's RDS API on a free loopback port, one server per test (so tests share no AWS
//! state), with the SDK pointed at it and faults injected on request (moto_server.py).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use aws_sdk_rds::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_rds::types::Tag;

/// The region every test uses.
pub const REGION: &str = "eu-west-1";

/// Faults the server injects.
#[derive(Default)]
pub struct Faults<'a> {
    /// RDS actions answered with AccessDenied.
    pub deny: &'a [&'a str],
    /// Instances whose id starts with this never become available.
    pub never_ready: Option<&'a str>,
    /// moto's quota of snapshots (manual and automated together).
    pub snapshot_limit: Option<u32>,
    /// (action, n): the first n calls of the action are throttled.
    pub throttle: Option<(&'a str, u32)>,
    /// The first n answers of DescribeDBSnapshots show every snapshot as `creating`.
    pub slow_snapshots: Option<u32>,
}

/// A running moto server and an SDK client for setting up and inspecting its state.
pub struct Moto {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_rds::Client,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::with_faults(&Faults::default())
    }

    pub fn with_faults(faults: &Faults) -> Moto {
        let dir = tempfile::tempdir().expect("temp dir");
        let python = std::env::var("RESTAGE_MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut command = Command::new(&python);
        command
            .arg(super::repo_file("tests/support/moto_server.py"))
            .env("RESTAGE_MOTO_LOG", dir.path().join("actions.log"))
            .env("RESTAGE_MOTO_DENY", faults.deny.join(","))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some((action, count)) = faults.throttle {
            command.env("RESTAGE_MOTO_THROTTLE", format!("{action}:{count}"));
        }
        if let Some(limit) = faults.snapshot_limit {
            command.env("MOTO_RDS_SNAPSHOT_LIMIT", limit.to_string());
        }
        if let Some(prefix) = faults.never_ready {
            command.env("RESTAGE_MOTO_NEVER_READY", prefix);
        }
        if let Some(answers) = faults.slow_snapshots {
            command.env("RESTAGE_MOTO_SLOW_SNAPSHOTS", answers.to_string());
        }
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!("start {python} (moto's server): {e}; run the tests through scripts/test.sh")
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("moto stdout"))
            .read_line(&mut line)
            .expect("read moto's port");
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "moto did not start with {python} (is moto[server] installed? run the tests \
                 through scripts/test.sh, or set RESTAGE_MOTO_PYTHON)"
            )
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let config = aws_sdk_rds::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        Moto {
            child,
            port,
            dir,
            runtime,
            client: aws_sdk_rds::Client::from_conf(config),
        }
    }

    /// The endpoint URL of the server.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Points a restage command at this server, with test credentials and no AWS
    /// configuration or instance metadata from the machine.
    pub fn env<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        for file in ["config", "credentials"] {
            std::fs::write(self.dir.path().join(file), "").expect("empty AWS file");
        }
        for name in [
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
        ] {
            command.env_remove(name);
        }
        command
            .env("HOME", self.dir.path())
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL_RDS", self.endpoint())
    }

    /// Creates a PostgreSQL instance (which makes an automated snapshot of it, as RDS does).
    pub fn create_instance(
        &self,
        id: &str,
        master_user: &str,
        db_name: &str,
        tags: &[(&str, &str)],
    ) {
        self.runtime
            .block_on(
                self.client
                    .create_db_instance()
                    .db_instance_identifier(id)
                    .engine("postgres")
                    .engine_version("15.8")
                    .db_instance_class("db.t4g.micro")
                    .allocated_storage(20)
                    .master_username(master_user)
                    .master_user_password("production-secret")
                    .db_name(db_name)
                    .set_tags(Some(tags_of(tags)))
                    .send(),
            )
            .unwrap_or_else(|e| panic!("create instance {id}: {e:?}"));
    }

    /// Creates a manual snapshot with these tags.
    pub fn create_snapshot(&self, instance: &str, id: &str, tags: &[(&str, &str)]) {
        self.runtime
            .block_on(
                self.client
                    .create_db_snapshot()
                    .db_instance_identifier(instance)
                    .db_snapshot_identifier(id)
                    .set_tags(Some(tags_of(tags)))
                    .send(),
            )
            .unwrap_or_else(|e| panic!("create snapshot {id}: {e:?}"));
    }

    /// The ids of every instance, sorted.
    pub fn instance_ids(&self) -> Vec<String> {
        let output = self
            .runtime
            .block_on(self.client.describe_db_instances().send())
            .expect("describe instances");
        let mut ids: Vec<String> = output
            .db_instances()
            .iter()
            .filter_map(|instance| instance.db_instance_identifier().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }

    /// One instance as RDS describes it.
    pub fn instance(&self, id: &str) -> aws_sdk_rds::types::DbInstance {
        let output = self
            .runtime
            .block_on(
                self.client
                    .describe_db_instances()
                    .db_instance_identifier(id)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("describe instance {id}: {e:?}"));
        output.db_instances()[0].clone()
    }

    /// Every snapshot (manual and automated): id → tags.
    pub fn snapshots(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let output = self
            .runtime
            .block_on(self.client.describe_db_snapshots().send())
            .expect("describe snapshots");
        output
            .db_snapshots()
            .iter()
            .map(|snapshot| {
                let tags = snapshot
                    .tag_list()
                    .iter()
                    .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value()?.to_owned())))
                    .collect();
                (
                    snapshot
                        .db_snapshot_identifier()
                        .unwrap_or_default()
                        .to_owned(),
                    tags,
                )
            })
            .collect()
    }

    /// The API actions the server was asked for, in order (the test's own included).
    pub fn actions(&self) -> Vec<String> {
        self.calls().into_iter().map(|(action, _)| action).collect()
    }

    /// The parameters of every call of `action`, in order (passwords as `***`).
    pub fn requests(&self, action: &str) -> Vec<BTreeMap<String, String>> {
        self.calls()
            .into_iter()
            .filter(|(name, _)| name == action)
            .map(|(_, params)| params)
            .collect()
    }

    fn calls(&self) -> Vec<(String, BTreeMap<String, String>)> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let (action, params) = line.split_once('\t').expect("action\tparams");
                let params = serde_json::from_str(params).expect("parameters as JSON");
                (action.to_owned(), params)
            })
            .collect()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("actions.log")
    }
}

fn tags_of(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(key, value)| Tag::builder().key(*key).value(*value).build())
        .collect()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
