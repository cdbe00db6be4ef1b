//! `restage init`: a starter profile for the source, or the additions to one.

use crate::cli::InitArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::pipeline::init::{self, InitMode, InitReport};

/// Writes a starter profile (or, with --update, what an existing one lacks).
pub async fn run(settings: &Settings, args: &InitArgs) -> Result<InitReport, Error> {
    let source = settings.source_url(args.source_url.as_deref())?;
    let mode = match &args.update {
        Some(path) => InitMode::Update { path: path.clone() },
        None => InitMode::Create {
            path: settings.anonymizers(args.output.as_deref()),
            force: args.force,
        },
    };
    init::init(&source, &mode).await
}
