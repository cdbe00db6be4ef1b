//! `restage report`: the privacy report, as a file or as Markdown on standard output.

use std::path::PathBuf;

use serde::Serialize;

use crate::cli::ReportArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::output::Report;
use crate::pipeline::privacy::{self, Format, PrivacyReport};

/// The report, and where it went.
#[derive(Debug, Serialize)]
pub struct ReportOutcome {
    pub command: &'static str,
    /// The file written, if any (else the Markdown is the output).
    pub output: Option<PathBuf>,
    #[serde(flatten)]
    pub report: PrivacyReport,
}

impl Report for ReportOutcome {
    fn human(&self) -> String {
        match &self.output {
            None => privacy::to_markdown(&self.report),
            Some(path) => {
                let summary = &self.report.summary;
                format!(
                    "wrote the privacy report of {} to {}: {} tables, {} columns, {} look personal \
                     ({} anonymized, {} kept on purpose, {} uncovered)",
                    self.report.staging,
                    path.display(),
                    summary.tables,
                    summary.columns,
                    summary.personal,
                    summary.anonymized,
                    summary.kept_on_purpose,
                    summary.uncovered
                )
            }
        }
    }
}

/// Builds the report and writes it where `--output` says.
pub async fn run(settings: &Settings, args: &ReportArgs) -> Result<ReportOutcome, Error> {
    let format = match &args.output {
        None => None,
        Some(path) => Some(Format::of(path).ok_or_else(|| Error::InvalidSetting {
            origin: "--output".to_owned(),
            reason: format!(
                "{}: the report is written as FILE.html (a page for a browser) or FILE.md (Markdown)",
                path.display()
            ),
        })?),
    };
    let source = settings.source_url(args.source.source_url.as_deref())?;
    let profile = settings.anonymizers(args.source.anonymizers.as_deref());
    let report = privacy::report(&source, settings.staging_url()?, &profile).await?;
    if let (Some(path), Some(format)) = (&args.output, format) {
        std::fs::write(path, format.render(&report)).map_err(|source| Error::Io {
            action: format!("writing the report to {}", path.display()),
            source,
        })?;
    }
    Ok(ReportOutcome {
        command: "report",
        output: args.output.clone(),
        report,
    })
}
