//! The user's shell commands (the migration command, hooks): run by `sh -c` in their own
//! process group with the environment restage chooses for them (never its own: that holds
//! the source URL, the key, AWS credentials), their output scrubbed of every secret restage
//! knows and streamed into restage's log line by line (stderr, so that `--json` stays one
//! document on stdout), and bounded by a timeout. A command that times out, or whose run is
//! dropped (Ctrl-C, SIGTERM), is killed with everything it started.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::output::seconds_since;

/// The lines of output an error message repeats.
const TAIL_LINES: usize = 10;

/// How long a timed-out command gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// The variables of restage's own environment a command inherits: where programs are, the
/// user, the locale and time zone, temporary files, TLS trust. Everything else is left out
/// unless `[hooks] pass_env` names it.
pub const INHERITED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "TERM",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "PGSSLROOTCERT",
    "PGSSLMODE",
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

/// A command line and how to run it.
#[derive(Debug, Clone)]
pub struct ShellCommand<'a> {
    /// Run by `sh -c`.
    pub command: &'a str,
    /// Put before each line of its output (`[before_swap] …`).
    pub label: &'a str,
    /// The variables restage sets for it, beside [`INHERITED_ENV`].
    pub env: Vec<(&'static str, String)>,
    /// More variables of restage's environment it inherits (`[hooks] pass_env`).
    pub pass_env: &'a [String],
    /// Killed after this long.
    pub timeout: Option<Duration>,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Success,
    Exited(i32),
    Signalled,
    TimedOut(Duration),
    NotStarted(String),
}

impl Ending {
    /// `exited with status 3`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Ending::Success => "succeeded".to_owned(),
            Ending::Exited(code) => format!("exited with status {code}"),
            Ending::Signalled => "was killed by a signal".to_owned(),
            Ending::TimedOut(after) => {
                format!("timed out after {}s and was killed", after.as_secs())
            }
            Ending::NotStarted(reason) => format!("could not be started ({reason})"),
        }
    }

    /// The exit status, when it exited.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Ending::Success => Some(0),
            Ending::Exited(code) => Some(*code),
            _ => None,
        }
    }
}

/// What a finished command did.
#[derive(Debug, Clone)]
pub struct Finished {
    pub ending: Ending,
    pub seconds: f64,
    /// Its last lines of output, for an error message.
    pub tail: Vec<String>,
}

/// Kills a child's whole process group unless it ended by itself: a timed-out hook, or a run
/// dropped by a signal, leaves nothing running.
pub struct GroupGuard {
    group: Option<Pid>,
}

impl GroupGuard {
    /// Guards the process group led by `child` (spawned by [`child_command`]).
    pub fn of(child: &tokio::process::Child) -> GroupGuard {
        GroupGuard {
            group: child
                .id()
                .and_then(|id| Pid::from_raw(i32::try_from(id).ok()?)),
        }
    }

    fn signal(&self, signal: Signal) {
        if let Some(group) = self.group {
            let _ = kill_process_group(group, signal);
        }
    }

    /// The child ended by itself: nothing to kill any more.
    pub fn disarm(&mut self) {
        self.group = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.signal(Signal::KILL);
    }
}

/// Where util-linux's `setpriv` is, to give a child a parent-death signal.
const SETPRIV: &str = "/usr/bin/setpriv";

/// `program` as restage runs every child: in a process group of its own (so that it can be
/// killed with everything it started), killed when its handle is dropped, and — where
/// util-linux's `setpriv` is installed — sent SIGKILL by the kernel when restage dies, so
/// that even a `kill -9` of restage leaves no `pg_restore` running.
///
/// The kernel sends the signal when the *thread* that spawned the child ends: children are
/// spawned from async tasks, on the runtime's worker threads, which live as long as restage
/// (never from `spawn_blocking`, whose threads come and go).
pub fn child_command(program: &str) -> tokio::process::Command {
    let mut command = if std::path::Path::new(SETPRIV).exists() {
        let mut command = tokio::process::Command::new(SETPRIV);
        command.args(["--pdeathsig", "KILL", "--", program]);
        command
    } else {
        tokio::process::Command::new(program)
    };
    command.process_group(0).kill_on_drop(true);
    command
}

/// Runs `command` to its end.
pub async fn run(command: ShellCommand<'_>) -> Finished {
    let start = Instant::now();
    let inherited = INHERITED_ENV
        .iter()
        .copied()
        .chain(command.pass_env.iter().map(String::as_str))
        .filter_map(|name| Some((name, std::env::var_os(name)?)));
    let spawned = child_command("sh")
        .arg("-c")
        .arg(command.command)
        .env_clear()
        .envs(inherited)
        .envs(command.env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            return Finished {
                ending: Ending::NotStarted(error.to_string()),
                seconds: seconds_since(start),
                tail: Vec::new(),
            };
        }
    };
    let mut guard = GroupGuard::of(&child);
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let pumps = [
        child
            .stdout
            .take()
            .map(|out| pump(out, command.label, &tail)),
        child
            .stderr
            .take()
            .map(|err| pump(err, command.label, &tail)),
    ];
    let waited = match command.timeout {
        Some(limit) => tokio::time::timeout(limit, child.wait()).await.ok(),
        None => Some(child.wait().await),
    };
    let ending = match waited {
        Some(Ok(status)) if status.success() => Ending::Success,
        Some(Ok(status)) => status.code().map_or(Ending::Signalled, Ending::Exited),
        Some(Err(error)) => Ending::NotStarted(error.to_string()),
        None => {
            guard.signal(Signal::TERM);
            if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
                guard.signal(Signal::KILL);
            }
            Ending::TimedOut(command.timeout.unwrap_or_default())
        }
    };
    // Whatever it left behind in its group goes with it.
    guard.signal(Signal::KILL);
    guard.disarm();
    for pump in pumps.into_iter().flatten() {
        let _ = pump.await;
    }
    let tail = tail
        .lock()
        .map(|lines| lines.iter().cloned().collect())
        .unwrap_or_default();
    Finished {
        ending,
        seconds: seconds_since(start),
        tail,
    }
}

/// Copies `stream` line by line to stderr with the label, keeping the last lines.
fn pump(
    stream: impl AsyncRead + Unpin + Send + 'static,
    label: &str,
    tail: &Arc<Mutex<VecDeque<String>>>,
) -> tokio::task::JoinHandle<()> {
    let label = label.to_owned();
    let tail = Arc::clone(tail);
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let line = crate::secret::scrub(&line);
            eprintln!("[{label}] {line}");
            if let Ok(mut tail) = tail.lock() {
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str, timeout: Option<Duration>) -> ShellCommand<'_> {
        ShellCommand {
            command: line,
            label: "test",
            env: vec![("RESTAGE_TEST_VALUE", "forty two".to_owned())],
            pass_env: &[],
            timeout,
        }
    }

    #[tokio::test]
    async fn the_environment_reaches_the_command_and_its_output_is_kept() {
        let finished = run(command("echo \"$RESTAGE_TEST_VALUE\"; echo oops >&2", None)).await;
        assert_eq!(finished.ending, Ending::Success);
        assert_eq!(finished.tail.len(), 2);
        assert!(finished.tail.contains(&"forty two".to_owned()));
        assert!(finished.tail.contains(&"oops".to_owned()));
    }

    #[tokio::test]
    async fn an_exit_status_is_reported() {
        let finished = run(command("exit 3", None)).await;
        assert_eq!(finished.ending, Ending::Exited(3));
        assert_eq!(finished.ending.describe(), "exited with status 3");
    }

    #[tokio::test]
    async fn a_command_past_its_timeout_is_killed_with_what_it_started() {
        let marker = tempfile::NamedTempFile::new().expect("temp file");
        let path = marker.path().display().to_string();
        let line = format!("(sleep 2; echo late > {path}) & sleep 30");
        let finished = run(command(&line, Some(Duration::from_millis(300)))).await;
        assert!(matches!(finished.ending, Ending::TimedOut(_)));
        assert!(finished.seconds < 10.0, "{}", finished.seconds);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "");
    }
}
