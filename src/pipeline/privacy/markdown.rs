//! The privacy report as Markdown, for a pull request or a wiki page.

use super::{
    PrivacyReport, drift_warnings, header_facts, history_line, no_copy, summary_facts,
    verification_facts,
};

/// The report as GitHub-flavoured Markdown.
pub fn to_markdown(report: &PrivacyReport) -> String {
    let mut out = format!("# Privacy report: {}\n\n", cell(&report.staging));
    facts(
        &mut out,
        header_facts(report).iter().map(|(k, v)| (*k, v.as_str())),
    );
    out.push_str("\n## Summary\n\n");
    facts(
        &mut out,
        summary_facts(&report.summary)
            .iter()
            .map(|(k, v)| (*k, v.as_str())),
    );
    out.push_str("\n## Last copy\n\n");
    match &report.last_copy {
        None => out.push_str(&format!("{}\n", no_copy(report))),
        Some(copy) => {
            out.push_str(&format!(
                "`{}` run {} at {}: {} rows.\n\n",
                copy.command,
                copy.run_id.as_deref().unwrap_or("-"),
                copy.recorded_at,
                copy.rows
            ));
            for warning in drift_warnings(copy) {
                out.push_str(&format!("> **Warning:** {warning}\n\n"));
            }
            match &copy.verification {
                None => {
                    out.push_str("This copy recorded no verification (an older restage made it).\n")
                }
                Some(verification) => {
                    let lines = verification_facts(verification);
                    facts(
                        &mut out,
                        lines.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    );
                    for problem in &verification.problems {
                        out.push_str(&format!("\n- {}", cell(problem)));
                    }
                    out.push('\n');
                }
            }
        }
    }
    out.push_str("\n## Tables\n");
    for table in &report.tables {
        out.push_str(&format!(
            "\n### {}\n\n{}, about {} rows{}.\n\n",
            cell(&table.table),
            cell(&table.data),
            table.estimated_rows,
            if table.partitions.is_empty() {
                String::new()
            } else {
                format!("; partitions, ruled alike: {}", table.partitions.join(", "))
            }
        ));
        out.push_str("| Column | Type | Detected | Evidence | Treatment | Rule | Decided by |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for column in &table.columns {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&column.column),
                cell(&column.type_name),
                column.kind.map_or("-", |kind| kind.noun()),
                cell(&column.evidence.join("; ")),
                column.treatment.label(),
                column
                    .rule
                    .as_deref()
                    .map_or("-".to_owned(), |rule| format!(
                        "`{}`",
                        rule.replace('`', "'").replace('|', "\\|")
                    )),
                cell(&column.decided_by),
            ));
        }
    }
    out.push_str("\n## Run history\n\n");
    if report.history.is_empty() {
        out.push_str("Staging records no run.\n");
    } else {
        out.push_str(
            "| Recorded (UTC) | Command | Run | restage | What |\n|---|---|---|---|---|\n",
        );
        for entry in &report.history {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                entry.recorded_at,
                entry.command,
                entry.run_id.as_deref().unwrap_or("-"),
                entry.restage_version,
                cell(&history_line(entry)),
            ));
        }
    }
    out
}

/// A two-column table of facts.
fn facts<'a>(out: &mut String, facts: impl Iterator<Item = (&'a str, &'a str)>) {
    out.push_str("| | |\n|---|---|\n");
    for (name, value) in facts {
        out.push_str(&format!("| {} | {} |\n", name, cell(value)));
    }
}

/// Text that stays inside one table cell: no line break, no column separator.
fn cell(text: &str) -> String {
    let text = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    if text.is_empty() {
        "-".to_owned()
    } else {
        text
    }
}
