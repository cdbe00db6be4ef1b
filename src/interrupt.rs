//! Ctrl-C and SIGTERM: one listener per run, so that a signal arriving at any moment (during
//! a phase, or between two) stops the work and lets the command clean up after itself — and
//! report exactly what staging holds at that point. No signal is ignored: a step that cannot
//! be cut short (the swap) finishes, and the run stops right after it.

use std::future::Future;

use tokio::sync::watch;

use crate::error::Error;
pub use crate::error::Signal;

/// What staging holds when a run stopped before it changed staging: the report of every
/// interruption up to the swap.
pub const STAGING_AS_IT_WAS: &str = "the half-built database was removed and staging is as it was";

/// What staging holds once a copy swapped in: the new copy, and where the previous one is.
pub fn staging_replaced(previous: Option<&str>) -> String {
    match previous {
        Some(previous) => format!(
            "staging is the new copy; the previous one is kept as {previous} \
             (`restage rollback` swaps it back)"
        ),
        None => "staging is the new copy".to_owned(),
    }
}

/// What staging holds when a refresh stopped after the swap, before the seeders finished
/// (they run in one transaction, so none of their rows is there).
pub fn staging_not_seeded(previous: Option<&str>) -> String {
    format!(
        "{}; it is not seeded: `restage seed` seeds it",
        staging_replaced(previous)
    )
}

/// What staging holds when a run stopped during the Redis flush, after everything else.
pub const REDIS_NOT_FLUSHED: &str = "staging is complete (new and seeded), but staging Redis \
     was not flushed: `restage redis flush` flushes it";

/// Whether the run was asked to stop; cheap to clone, every clone sees the same signal.
#[derive(Clone)]
pub struct Shutdown {
    received: watch::Receiver<Option<Signal>>,
}

impl Shutdown {
    /// Starts listening for Ctrl-C and SIGTERM. From now on they no longer kill the process:
    /// they make [`Shutdown::wait`] resolve instead.
    pub fn listen() -> Shutdown {
        let (sender, received) = watch::channel(None);
        tokio::spawn(async move {
            let signal = signal_received().await;
            let _ = sender.send(Some(signal));
        });
        Shutdown { received }
    }

    /// Resolves once a signal has arrived, at once if it already has.
    pub async fn wait(&self) -> Signal {
        let mut received = self.received.clone();
        match received.wait_for(Option::is_some).await {
            Ok(signal) => signal.unwrap_or(Signal::Terminate),
            // The listener is gone without a signal: then never resolve.
            Err(_) => std::future::pending().await,
        }
    }

    /// Runs `work`, which may only change what is beside staging, unless a signal arrives
    /// first; then `work` is dropped (cancelled) and the error says staging is as it was.
    pub async fn guard<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        self.guard_in(STAGING_AS_IT_WAS, work).await
    }

    /// Runs `work` unless a signal arrives first; then `work` is dropped (cancelled) and the
    /// error says `staging` (what staging holds while `work` runs, and what to do).
    pub async fn guard_in<T>(
        &self,
        staging: &str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        tokio::select! {
            result = work => result,
            signal = self.wait() => Err(Error::Interrupted { signal, staging: staging.to_owned() }),
        }
    }

    /// An error saying `staging` when a signal arrived while a step that cannot be cut short
    /// ran (the swap): the run stops here instead of ignoring it.
    pub fn check(&self, staging: &str) -> Result<(), Error> {
        match *self.received.borrow() {
            Some(signal) => Err(Error::Interrupted {
                signal,
                staging: staging.to_owned(),
            }),
            None => Ok(()),
        }
    }
}

async fn signal_received() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => Signal::Interrupt,
                    _ = terminate.recv() => Signal::Terminate,
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                Signal::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}
