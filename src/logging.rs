//! Diagnostic logging (tracing) on stderr: `-v` for debug, `-vv` for trace, `RUST_LOG` wins.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; call once, before anything logs.
pub fn init(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "restage=debug,info",
        (false, _) => "restage=trace,debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    if verbose == 0 {
        builder.without_time().init();
    } else {
        builder.init();
    }
}
