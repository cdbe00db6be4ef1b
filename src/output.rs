//! What a command prints: progress on stderr (silenced by `--quiet`), and at the end either
//! a human summary on stdout or, with `--json`, one JSON document for schedulers.

use std::io::Write;
use std::time::Instant;

use serde::Serialize;

/// The result of a command, printable for people and as JSON.
pub trait Report: Serialize {
    /// A few lines for a person.
    fn human(&self) -> String;
}

/// Output switches of the current run.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    quiet: bool,
    json: bool,
}

impl Output {
    /// From the global `--quiet` and `--json` flags.
    pub fn new(quiet: bool, json: bool) -> Self {
        Output { quiet, json }
    }

    /// Tells the user what is happening now (stderr, unless `--quiet`).
    pub fn step(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// A spinner line on stderr for a wait; hidden with `--quiet` and when stderr is not a
    /// terminal (schedulers get the lines of [`Output::step`] instead).
    pub fn spinner(&self) -> indicatif::ProgressBar {
        if self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(250));
        spinner
    }

    /// Whether `--quiet` was given.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Prints the final report: JSON with `--json`, else the human summary unless `--quiet`.
    pub fn finish<R: Report>(&self, report: &R) {
        let mut stdout = std::io::stdout().lock();
        let written = if self.json {
            writeln!(stdout, "{}", document(report))
        } else if self.quiet {
            Ok(())
        } else {
            writeln!(stdout, "{}", report.human())
        };
        // A closed stdout (`restage … | head`) is not worth failing a finished run for.
        let _ = written;
    }
}

/// The `--json` document of a finished command: its report with `"status": "ok"`.
pub fn document<R: Report>(report: &R) -> serde_json::Value {
    let mut document = serde_json::to_value(report).unwrap_or_default();
    if let Some(object) = document.as_object_mut() {
        object.insert("status".into(), "ok".into());
    }
    crate::secret::scrub_json(document)
}

/// Seconds since `start`, rounded to milliseconds for reports.
pub fn seconds_since(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

/// Bytes as B, kB, MB, GB.
pub fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

/// Bytes as lower-case hex (digests, fingerprints, hash formats that print them so).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `42.1s`, `5m 03s`, `1h 02m`, `3d 04h`: a duration for people.
pub fn human_seconds(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    match whole {
        _ if seconds < 60.0 => format!("{seconds:.1}s"),
        0..3600 => format!("{}m {:02}s", whole / 60, whole % 60),
        3600..86400 => format!("{}h {:02}m", whole / 3600, whole % 3600 / 60),
        _ => format!("{}d {:02}h", whole / 86400, whole % 86400 / 3600),
    }
}
