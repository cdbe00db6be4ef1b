//! `restage anonymizers list`: the transformer registry, for people writing profiles.

use serde::Serialize;

use crate::anonymize::REGISTRY;
use crate::anonymize::options::COMMON_OPTIONS;
use crate::output::Report;

/// One transformer as listed.
#[derive(Debug, Serialize)]
pub struct TransformerEntry {
    pub name: &'static str,
    pub summary: &'static str,
    pub options: Vec<String>,
    /// Column type categories it writes; empty = any.
    pub writes: Vec<String>,
    /// A rule that uses it.
    pub example: &'static str,
}

/// Every transformer, plus the options all rules take.
#[derive(Debug, Serialize)]
pub struct AnonymizersReport {
    pub command: &'static str,
    pub common_options: Vec<String>,
    pub transformers: Vec<TransformerEntry>,
}

impl Report for AnonymizersReport {
    fn human(&self) -> String {
        let mut text = String::from(
            "Transformers (a rule is `column = \"name\"` or `column = { transform = \"name\", option = … }`):\n",
        );
        for entry in &self.transformers {
            text.push_str(&format!("\n  {:<15} {}", entry.name, entry.summary));
            if !entry.writes.is_empty() {
                text.push_str(&format!(
                    "\n  {:<15} writes: {}",
                    "",
                    entry.writes.join(", ")
                ));
            }
            for option in &entry.options {
                text.push_str(&format!("\n  {:<15} {option}", ""));
            }
            text.push_str(&format!("\n  {:<15} example: {}", "", entry.example));
        }
        text.push_str("\n\nEvery rule also takes:");
        for option in &self.common_options {
            text.push_str(&format!("\n  {option}"));
        }
        text
    }
}

/// The registry as a report.
pub fn list() -> AnonymizersReport {
    let describe = |spec: &crate::anonymize::OptionSpec| format!("{}: {}", spec.name, spec.summary);
    AnonymizersReport {
        command: "anonymizers list",
        common_options: COMMON_OPTIONS
            .iter()
            .filter(|spec| spec.name != "transform")
            .map(describe)
            .collect(),
        transformers: REGISTRY
            .definitions()
            .map(|definition| TransformerEntry {
                name: definition.name,
                summary: definition.summary,
                options: definition.options.iter().map(describe).collect(),
                writes: definition
                    .accepts
                    .iter()
                    .map(|c| format!("{c:?}").to_lowercase())
                    .collect(),
                example: definition.example,
            })
            .collect(),
    }
}
