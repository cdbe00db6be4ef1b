//! Progress of the data phase on stderr: an overall bar and one bar per table being copied,
//! each with rows, bytes, rows/s and ETA (hidden with --quiet or when stderr is not a terminal).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{
    HumanBytes, HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState,
    ProgressStyle,
};

const OVERALL: &str = "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/~{human_len} rows, {rate}, ETA {eta}, {msg}";
const TABLE: &str =
    "  {prefix:<30} [{bar:20}] {human_pos}/~{human_len} rows, {rate}, ETA {eta}, {msg}";

/// One table's bar, bytes and pieces still to copy.
struct TableBar {
    bar: Option<ProgressBar>,
    estimated_rows: u64,
    bytes: u64,
    pieces_left: usize,
}

/// A handle every worker reports to; cheap to clone.
#[derive(Clone)]
pub struct Progress {
    bars: MultiProgress,
    overall: ProgressBar,
    tables: Arc<Mutex<HashMap<String, TableBar>>>,
    bytes: Arc<Mutex<u64>>,
}

impl Progress {
    /// Bars for `tables`: (name, estimated rows, pieces).
    pub fn new(tables: &[(String, u64, usize)], quiet: bool) -> Progress {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bars = MultiProgress::with_draw_target(target);
        let total: u64 = tables.iter().map(|(_, rows, _)| rows).sum();
        let overall = bars.add(ProgressBar::new(total.max(1)));
        overall.set_style(style(OVERALL));
        let tables = tables
            .iter()
            .map(|(name, rows, pieces)| {
                (
                    name.clone(),
                    TableBar {
                        bar: None,
                        estimated_rows: *rows,
                        bytes: 0,
                        pieces_left: *pieces,
                    },
                )
            })
            .collect();
        Progress {
            bars,
            overall,
            tables: Arc::new(Mutex::new(tables)),
            bytes: Arc::new(Mutex::new(0)),
        }
    }

    /// Counts rows and bytes copied from `table`.
    pub fn rows(&self, table: &str, rows: u64, bytes: u64) {
        self.overall.inc(rows);
        if let Ok(mut total) = self.bytes.lock() {
            *total += bytes;
            self.overall.set_message(HumanBytes(*total).to_string());
        }
        let Ok(mut tables) = self.tables.lock() else {
            return;
        };
        let Some(entry) = tables.get_mut(table) else {
            return;
        };
        entry.bytes += bytes;
        let bar = entry.bar.get_or_insert_with(|| {
            let bar = self.bars.add(ProgressBar::new(entry.estimated_rows.max(1)));
            bar.set_style(style(TABLE));
            bar.set_prefix(table.to_owned());
            bar
        });
        bar.inc(rows);
        bar.set_message(HumanBytes(entry.bytes).to_string());
    }

    /// One piece of `table` is done; its bar goes when the last one is.
    pub fn piece_done(&self, table: &str) {
        let Ok(mut tables) = self.tables.lock() else {
            return;
        };
        if let Some(entry) = tables.get_mut(table) {
            entry.pieces_left = entry.pieces_left.saturating_sub(1);
            if entry.pieces_left == 0
                && let Some(bar) = entry.bar.take()
            {
                bar.finish_and_clear();
                self.bars.remove(&bar);
            }
        }
    }

    /// Removes every bar.
    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.bars.clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&rate(state.pos(), state.elapsed()));
            },
        )
        .progress_chars("=> ")
}

/// Rows per second since the bar started, in whole rows; nothing meaningful (`… rows/s`)
/// before a second has passed, when one burst of rows would read as an absurd rate.
fn rate(rows: u64, elapsed: std::time::Duration) -> String {
    if elapsed < std::time::Duration::from_secs(1) {
        return "… rows/s".to_owned();
    }
    let per_second = (rows as f64 / elapsed.as_secs_f64()).round() as u64;
    format!("{} rows/s", HumanCount(per_second))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rates_are_whole_rows_per_second_and_wait_for_a_second() {
        assert_eq!(rate(178_944, Duration::from_millis(1)), "… rows/s");
        assert_eq!(rate(0, Duration::ZERO), "… rows/s");
        assert_eq!(
            rate(1_500_000, Duration::from_millis(1500)),
            "1,000,000 rows/s"
        );
        assert_eq!(rate(7, Duration::from_secs(2)), "4 rows/s");
    }

    #[test]
    fn the_templates_parse_with_the_rate_key() {
        for template in [OVERALL, TABLE] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
