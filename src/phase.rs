//! The phases of a copy and of a refresh, as their reports and failure messages name them.

use std::fmt;
use std::time::Instant;

use serde::Serialize;

/// One phase of a copy (plan … verify) or of a weekly refresh (snapshot … cleanup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseName {
    /// Read the source catalog, check the profile, refuse uncovered personal data.
    Plan,
    /// Pre-data DDL into the new database.
    Schema,
    /// The rows, through the anonymizers.
    Data,
    /// Indexes, constraints and triggers.
    PostData,
    /// Sequences, materialized views, ANALYZE.
    Finish,
    /// Row counts, constraints, sequences and the leak check.
    Verify,
    /// A snapshot of production (made or chosen).
    Snapshot,
    /// The snapshot restored into a temporary instance.
    Restore,
    /// A fresh master password on the temporary instance.
    Credentials,
    /// The whole anonymized copy (a refresh's view of the phases above).
    Copy,
    /// The seeders.
    Seed,
    /// The staging Redis flush.
    Flush,
    /// The temporary instance deleted and old snapshots pruned.
    Cleanup,
}

impl PhaseName {
    /// The name reports use (`post-data`).
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseName::Plan => "plan",
            PhaseName::Schema => "schema",
            PhaseName::Data => "data",
            PhaseName::PostData => "post-data",
            PhaseName::Finish => "finish",
            PhaseName::Verify => "verify",
            PhaseName::Snapshot => "snapshot",
            PhaseName::Restore => "restore",
            PhaseName::Credentials => "credentials",
            PhaseName::Copy => "copy",
            PhaseName::Seed => "seed",
            PhaseName::Flush => "flush",
            PhaseName::Cleanup => "cleanup",
        }
    }
}

impl fmt::Display for PhaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phase and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub phase: PhaseName,
    pub seconds: f64,
}

/// Times phases one after the other: each lap closes the phase that just ended.
#[derive(Debug)]
pub struct PhaseClock {
    phases: Vec<Phase>,
    lap_start: Instant,
}

impl PhaseClock {
    /// A clock whose first phase starts now.
    pub fn start() -> PhaseClock {
        PhaseClock {
            phases: Vec::new(),
            lap_start: Instant::now(),
        }
    }

    /// Records a phase that was timed elsewhere.
    pub fn record(&mut self, phase: PhaseName, seconds: f64) {
        self.phases.push(Phase { phase, seconds });
    }

    /// Ends `phase` now and starts the next one.
    pub fn lap(&mut self, phase: PhaseName) {
        self.record(phase, crate::output::seconds_since(self.lap_start));
        self.lap_start = Instant::now();
    }

    /// Whether `phase` has finished.
    pub fn finished(&self, phase: PhaseName) -> bool {
        self.phases.iter().any(|done| done.phase == phase)
    }

    /// The phases finished so far, in order.
    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// The phases, for a report.
    pub fn into_phases(self) -> Vec<Phase> {
        self.phases
    }
}

/// `phases` as `name 1.2s, name 0.3s` for people.
pub fn summary(phases: &[Phase]) -> String {
    phases
        .iter()
        .map(|phase| format!("{} {:.1}s", phase.phase, phase.seconds))
        .collect::<Vec<_>>()
        .join(", ")
}
