//! `[hooks]`: the user's commands at four moments of a copy, refresh or reset — before the
//! new database replaces staging (a failure stops the swap), after it did, after the whole
//! run succeeded, and when it failed. Each gets the run's facts in its environment, its
//! output in the log, a timeout, and a line in the report. [`start`] and [`conclude`] open
//! and close every writing run (confirmation, staging lock, closing hooks, the `[notify]`
//! webhook), so that commands share one beginning and one end.

use std::sync::Mutex;

use serde::Serialize;

use crate::config::{Hook, Hooks, Production};
use crate::error::{Error, error_chain};
use crate::notify::{NotifiedReport, Notifier, RunFacts};
use crate::output::{self, Report};
use crate::pg;
use crate::safety::{self, StagingLock};
use crate::secret::SecretUrl;
use crate::shell::{self, Ending, ShellCommand};

/// The moments a hook runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    BeforeSwap,
    AfterSwap,
    AfterRefresh,
    OnFailure,
}

impl Moment {
    /// The key in `[hooks]` (and `$RESTAGE_HOOK`).
    pub fn as_str(self) -> &'static str {
        match self {
            Moment::BeforeSwap => "before_swap",
            Moment::AfterSwap => "after_swap",
            Moment::AfterRefresh => "after_refresh",
            Moment::OnFailure => "on_failure",
        }
    }
}

/// One hook that ran, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct HookRun {
    pub hook: Moment,
    pub command: String,
    /// `ok`, `exited with status 3`, `timed out after 600s and was killed`, …
    pub outcome: String,
    pub exit_code: Option<i32>,
    pub seconds: f64,
}

/// The hooks of one run, and what they did.
pub struct HookRunner {
    hooks: Hooks,
    command: &'static str,
    run_id: String,
    staging: SecretUrl,
    runs: Mutex<Vec<HookRun>>,
}

impl HookRunner {
    /// The hooks of the `command` run `run_id` on `staging`.
    pub fn new(hooks: &Hooks, command: &'static str, run_id: &str, staging: &SecretUrl) -> Self {
        HookRunner {
            hooks: hooks.clone(),
            command,
            run_id: run_id.to_owned(),
            staging: staging.clone(),
            runs: Mutex::new(Vec::new()),
        }
    }

    /// Runs `before_swap`, told which database is about to replace staging; its failure
    /// is an error, and the caller does not swap.
    pub async fn before_swap(&self, new_database: &SecretUrl) -> Result<(), Error> {
        let env = vec![
            (
                "RESTAGE_NEW_DATABASE",
                pg::database_name(new_database).unwrap_or_default(),
            ),
            ("RESTAGE_NEW_DATABASE_URL", new_database.expose().to_owned()),
        ];
        self.run_checked(
            Moment::BeforeSwap,
            env,
            "Staging was not replaced: the new database is dropped.",
        )
        .await
    }

    /// Runs `after_swap`; its failure is an error (staging has been replaced already).
    pub async fn after_swap(&self) -> Result<(), Error> {
        self.run_checked(
            Moment::AfterSwap,
            Vec::new(),
            "Staging has been replaced already; the previous copy is kept for `restage rollback`.",
        )
        .await
    }

    /// Runs `after_refresh`; its failure is an error (staging is the new one).
    pub async fn after_refresh(&self) -> Result<(), Error> {
        self.run_checked(
            Moment::AfterRefresh,
            Vec::new(),
            "Staging has been replaced already; the previous copy is kept for `restage rollback`.",
        )
        .await
    }

    /// Runs `on_failure` with the error (and the phase that failed, when there was one);
    /// its own failure is only logged, the run's error is what matters.
    pub async fn on_failure(&self, error: &Error) {
        let mut env = vec![("RESTAGE_ERROR", error_chain(error))];
        if let Some(phase) = error.failed_phase() {
            env.push(("RESTAGE_FAILED_PHASE", phase));
        }
        if let Some(finished) = self.run(Moment::OnFailure, env).await
            && finished.ending != Ending::Success
        {
            tracing::warn!(outcome = %finished.ending.describe(), "the on_failure hook failed too");
        }
    }

    /// The run these hooks belong to.
    pub fn facts(&self) -> RunFacts<'_> {
        RunFacts {
            command: self.command,
            run_id: &self.run_id,
            staging: &self.staging,
        }
    }

    /// What ran so far.
    pub fn runs(&self) -> Vec<HookRun> {
        self.runs
            .lock()
            .map(|runs| runs.clone())
            .unwrap_or_default()
    }

    /// Runs the hook of `moment`, if there is one; an error says `consequence` when it
    /// did not succeed.
    async fn run_checked(
        &self,
        moment: Moment,
        env: Vec<(&'static str, String)>,
        consequence: &'static str,
    ) -> Result<(), Error> {
        match self.run(moment, env).await {
            Some(finished) if finished.ending != Ending::Success => Err(Error::Hook {
                hook: moment.as_str(),
                command: self
                    .hook(moment)
                    .map(|hook| hook.command.clone())
                    .unwrap_or_default(),
                outcome: finished.ending.describe(),
                output: finished.tail.join("\n"),
                consequence,
            }),
            _ => Ok(()),
        }
    }

    /// Runs the hook of `moment`, if there is one, and notes it for the report.
    async fn run(
        &self,
        moment: Moment,
        extra: Vec<(&'static str, String)>,
    ) -> Option<shell::Finished> {
        let hook = self.hook(moment)?;
        let mut env = vec![
            ("RESTAGE_HOOK", moment.as_str().to_owned()),
            ("RESTAGE_COMMAND", self.command.to_owned()),
            ("RESTAGE_RUN_ID", self.run_id.clone()),
            (
                "RESTAGE_STAGING_DATABASE",
                pg::database_name(&self.staging).unwrap_or_default(),
            ),
            ("STAGING_DATABASE_URL", self.staging.expose().to_owned()),
        ];
        env.extend(extra);
        tracing::info!(hook = moment.as_str(), command = %hook.command, "running a hook");
        let finished = shell::run(ShellCommand {
            command: &hook.command,
            label: moment.as_str(),
            env,
            pass_env: &self.hooks.pass_env,
            timeout: Some(hook.timeout),
        })
        .await;
        let run = HookRun {
            hook: moment,
            command: hook.command.clone(),
            outcome: match &finished.ending {
                Ending::Success => "ok".to_owned(),
                ending => ending.describe(),
            },
            exit_code: finished.ending.exit_code(),
            seconds: finished.seconds,
        };
        if let Ok(mut runs) = self.runs.lock() {
            runs.push(run);
        }
        Some(finished)
    }

    fn hook(&self, moment: Moment) -> Option<&Hook> {
        match moment {
            Moment::BeforeSwap => self.hooks.before_swap.as_ref(),
            Moment::AfterSwap => self.hooks.after_swap.as_ref(),
            Moment::AfterRefresh => self.hooks.after_refresh.as_ref(),
            Moment::OnFailure => self.hooks.on_failure.as_ref(),
        }
    }
}

/// A report with a list of the hooks that ran.
pub trait HookReport {
    /// Puts `runs` into the report.
    fn set_hooks(&mut self, runs: Vec<HookRun>);
}

/// Ends a run: `after_refresh` when it succeeded (its failure fails the run), `on_failure`
/// when it failed; the hooks that ran go into the report, or into the error's.
async fn run_closing_hooks<R: HookReport>(
    outcome: Result<R, Error>,
    hooks: &HookRunner,
) -> Result<R, Error> {
    let outcome = match outcome {
        Ok(report) => hooks.after_refresh().await.map(|()| report),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(mut report) => {
            report.set_hooks(hooks.runs());
            Ok(report)
        }
        Err(error) => {
            hooks.on_failure(&error).await;
            let runs = hooks.runs();
            if runs.is_empty() {
                return Err(error);
            }
            let runs = serde_json::to_value(runs).unwrap_or_default();
            Err(error.with_report_field("hooks", runs))
        }
    }
}

/// Ends a copy, refresh or reset: its closing hooks, then the `[notify]` webhook, whose
/// outcome goes into the report (or the error's).
pub async fn conclude<R: HookReport + NotifiedReport + Report>(
    outcome: Result<R, Error>,
    hooks: &HookRunner,
    notifier: Option<&Notifier>,
) -> Result<R, Error> {
    let outcome = run_closing_hooks(outcome, hooks).await;
    let Some(notifier) = notifier else {
        return outcome;
    };
    let document = match &outcome {
        Ok(report) => output::document(report),
        Err(error) => error.to_json(hooks.facts().command),
    };
    let Some(notification) = notifier.announce(&hooks.facts(), &document).await else {
        return outcome;
    };
    match outcome {
        Ok(mut report) => {
            report.set_notification(notification);
            Ok(report)
        }
        Err(error) => Err(error.with_report_field("notification", notification.into())),
    }
}

/// Asks (unless `--yes`) and takes the staging lock for the run of `hooks`. A run refused
/// here never started: the webhook hears of it (a schedule without `--yes`, a refresh that
/// found a reset running), but no hook runs — nothing was touched, and the hooks of the run
/// holding the lock are in charge. A question answered "no" is not announced.
pub async fn start(
    yes: bool,
    consequences: &str,
    maintenance_database: &str,
    production: &Production,
    hooks: &HookRunner,
    notifier: Option<&Notifier>,
) -> Result<StagingLock, Error> {
    let run = hooks.facts();
    let started = match safety::confirm(yes, run.command, consequences) {
        Ok(()) => {
            let holder = format!("{} {}", run.command, run.run_id);
            StagingLock::acquire(run.staging, maintenance_database, &holder, production).await
        }
        Err(error) => Err(error),
    };
    match (started, notifier) {
        (Err(error), Some(notifier)) if !matches!(error, Error::Declined { .. }) => {
            match notifier.announce(&run, &error.to_json(run.command)).await {
                Some(notification) => {
                    Err(error.with_report_field("notification", notification.into()))
                }
                None => Err(error),
            }
        }
        (started, _) => started,
    }
}

/// `\nhooks: before_swap ok 0.2s, after_refresh exited with status 1 3.0s` for people, or
/// nothing when none ran.
pub fn hooks_summary(runs: &[HookRun]) -> String {
    if runs.is_empty() {
        return String::new();
    }
    let runs: Vec<String> = runs
        .iter()
        .map(|run| format!("{} {} {:.1}s", run.hook.as_str(), run.outcome, run.seconds))
        .collect();
    format!("\nhooks: {}", runs.join(", "))
}
