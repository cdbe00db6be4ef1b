//! Ctrl-C and SIGTERM: one listener per run, so that a signal arriving at any moment (during
//! a phase, or between two) stops the work and lets the command clean up after itself.

use std::future::Future;

use tokio::sync::watch;

use crate::error::Error;

/// Whether the run was asked to stop; cheap to clone, every clone sees the same signal.
#[derive(Clone)]
pub struct Shutdown {
    received: watch::Receiver<bool>,
}

impl Shutdown {
    /// Starts listening for Ctrl-C and SIGTERM. From now on they no longer kill the process:
    /// they make [`Shutdown::wait`] resolve instead.
    pub fn listen() -> Shutdown {
        let (sender, received) = watch::channel(false);
        tokio::spawn(async move {
            signal_received().await;
            let _ = sender.send(true);
        });
        Shutdown { received }
    }

    /// Resolves (with [`Error::Interrupted`]) once a signal has arrived, at once if it already has.
    pub async fn wait(&self) -> Error {
        let mut received = self.received.clone();
        // An error means the listener is gone without a signal: then never resolve.
        if received.wait_for(|signalled| *signalled).await.is_err() {
            std::future::pending::<()>().await;
        }
        Error::Interrupted
    }

    /// Runs `work` unless a signal arrives first; then `work` is dropped (cancelled).
    pub async fn guard<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        tokio::select! {
            result = work => result,
            interrupted = self.wait() => Err(interrupted),
        }
    }
}

async fn signal_received() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
