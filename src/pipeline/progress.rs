//! Progress of the data phase on stderr: rows, bytes, rows/s and ETA (hidden with --quiet
//! or when stderr is not a terminal).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A handle every worker reports to; cheap to clone.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
    bytes: Arc<AtomicU64>,
}

impl Progress {
    /// A bar over the estimated total of rows.
    pub fn new(estimated_rows: u64, quiet: bool) -> Progress {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(estimated_rows.max(1)), target);
        let style = ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/~{human_len} rows, {per_sec}, ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress {
            bar,
            bytes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Counts rows and bytes copied from `table`.
    pub fn rows(&self, table: &str, rows: u64, bytes: u64) {
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.bar.inc(rows);
        self.bar
            .set_message(format!("{} — {table}", HumanBytes(total)));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
