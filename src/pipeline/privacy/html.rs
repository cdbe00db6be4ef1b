//! The privacy report as one self-contained HTML page: styles inline, no script, nothing
//! fetched from the network, so it opens the same from a file, a mail or an archive.

use super::{
    PrivacyReport, Treatment, drift_warnings, header_facts, history_line, no_copy, summary_facts,
    verification_facts,
};

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 2px solid #1f3a5f; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th { background: #1f3a5f; color: #fff; text-align: left; }
th, td { border: 1px solid #9aa5b1; padding: 0.3rem 0.6rem; vertical-align: top; }
table.facts th { background: #e8edf3; color: #1b1b1b; }
tr.uncovered td { background: #f8d7d5; font-weight: bold; }
tr.anonymized td.treatment { color: #1d6b32; }
tr.kept td.treatment { color: #8a5a00; }
.warning { background: #fff3cd; border: 1px solid #e0b000; padding: 0.5rem; }
code { font-size: 0.9em; }
";

/// The report as a single HTML page.
pub fn to_html(report: &PrivacyReport) -> String {
    let mut body = format!("<h1>Privacy report: {}</h1>\n", escape(&report.staging));
    facts(
        &mut body,
        header_facts(report).iter().map(|(k, v)| (*k, v.as_str())),
    );
    body.push_str("<h2>Summary</h2>\n");
    facts(
        &mut body,
        summary_facts(&report.summary)
            .iter()
            .map(|(k, v)| (*k, v.as_str())),
    );
    body.push_str("<h2>Last copy</h2>\n");
    last_copy(&mut body, report);
    body.push_str("<h2>Tables</h2>\n");
    for table in &report.tables {
        body.push_str(&format!(
            "<h3>{}</h3>\n<p>{}, about {} rows{}.</p>\n",
            escape(&table.table),
            escape(&table.data),
            table.estimated_rows,
            if table.partitions.is_empty() {
                String::new()
            } else {
                format!(
                    "; partitions, ruled alike: {}",
                    escape(&table.partitions.join(", "))
                )
            }
        ));
        body.push_str(
            "<table class=\"columns\"><tr><th>Column</th><th>Type</th><th>Detected</th>\
             <th>Evidence</th><th>Treatment</th><th>Rule</th><th>Decided by</th></tr>\n",
        );
        for column in &table.columns {
            body.push_str(&format!(
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"treatment\">{}</td><td>{}</td><td>{}</td></tr>\n",
                row_class(column.treatment),
                escape(&column.column),
                escape(&column.type_name),
                column.kind.map_or("", |kind| kind.noun()),
                escape(&column.evidence.join("; ")),
                column.treatment.label(),
                column
                    .rule
                    .as_deref()
                    .map(|rule| format!("<code>{}</code>", escape(rule)))
                    .unwrap_or_default(),
                escape(&column.decided_by),
            ));
        }
        body.push_str("</table>\n");
    }
    body.push_str("<h2>Run history</h2>\n");
    history(&mut body, report);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Privacy report: {}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        escape(&report.staging)
    )
}

/// The last copy's facts, warnings and verification.
fn last_copy(body: &mut String, report: &PrivacyReport) {
    let Some(copy) = &report.last_copy else {
        body.push_str(&format!("<p>{}</p>\n", escape(no_copy(report))));
        return;
    };
    body.push_str(&format!(
        "<p><code>{}</code> run {} at {}: {} rows.</p>\n",
        escape(&copy.command),
        escape(copy.run_id.as_deref().unwrap_or("-")),
        escape(&copy.recorded_at),
        copy.rows
    ));
    for warning in drift_warnings(copy) {
        body.push_str(&format!("<p class=\"warning\">{}</p>\n", escape(warning)));
    }
    match &copy.verification {
        None => {
            body.push_str("<p>This copy recorded no verification (an older restage made it).</p>\n")
        }
        Some(verification) => {
            let lines = verification_facts(verification);
            facts(body, lines.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if !verification.problems.is_empty() {
                body.push_str("<ul>\n");
                for problem in &verification.problems {
                    body.push_str(&format!("<li>{}</li>\n", escape(problem)));
                }
                body.push_str("</ul>\n");
            }
        }
    }
}

/// The run history, oldest first.
fn history(body: &mut String, report: &PrivacyReport) {
    if report.history.is_empty() {
        body.push_str("<p>Staging records no run.</p>\n");
        return;
    }
    body.push_str(
        "<table class=\"history\"><tr><th>Recorded (UTC)</th><th>Command</th><th>Run</th>\
         <th>restage</th><th>What</th></tr>\n",
    );
    for entry in &report.history {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&entry.recorded_at),
            escape(&entry.command),
            escape(entry.run_id.as_deref().unwrap_or("-")),
            escape(&entry.restage_version),
            escape(&history_line(entry)),
        ));
    }
    body.push_str("</table>\n");
}

/// A two-column table of facts.
fn facts<'a>(body: &mut String, facts: impl Iterator<Item = (&'a str, &'a str)>) {
    body.push_str("<table class=\"facts\">\n");
    for (name, value) in facts {
        body.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            escape(name),
            escape(value)
        ));
    }
    body.push_str("</table>\n");
}

/// The CSS class of a column's row.
fn row_class(treatment: Treatment) -> &'static str {
    match treatment {
        Treatment::Anonymized => "anonymized",
        Treatment::Kept => "kept",
        Treatment::Copied => "copied",
        Treatment::Uncovered => "uncovered",
        Treatment::NotCopied => "not-copied",
    }
}

/// Text safe inside HTML elements and attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
