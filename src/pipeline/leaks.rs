//! The token scan of verification: every e-mail address, phone number and card number of the
//! source — found by pattern in every text, json, array and composite column of the copied
//! tables — is searched for in every such column of staging. A hit is a leak, whatever the
//! rule (or `keep`) that let it through. In a copy, the workers find the tokens of both sides
//! in the rows they copy; the rest is read from the databases. Tokens go to disk as keyed
//! hashes and are joined there ([`super::token_spool`]), so memory stays flat; values never
//! leave the scan, only counts.

use foldhash::fast::RandomState;
use futures_util::StreamExt;

use super::copy_text::{self, RowSplitter, fields};
use super::plan::{TableCopy, TablePlan};
pub use super::token_spool::TokenKind;
use super::token_spool::{self, ColumnCounts, Finished, Spool};
use crate::catalog::{Catalog, Column, Table, TypeCategory, quote};
use crate::error::Error;
use crate::judgment::tokens;
use crate::pg::reader::{CopyReader, read_error};
use crate::secret::SecretUrl;

/// Digits a phone number has at least: fewer are dates, times, amounts and codes.
const PHONE_DIGITS: usize = 9;

/// The longest run of digits and separators that can be one phone or card number (15 digits
/// and an extension, or 19, with their separators); a longer one is a number of another kind
/// (a hash, a serialized vector) or several numbers run together, and reading it as one
/// token would only copy it.
const LONGEST_NUMBER: usize = 64;

/// Which phone numbers count as tokens in a value, from the narrowest to the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phones {
    /// Only international ones (`+44 20 …`): in free text a bare run of digits is more often
    /// an order number or a timestamp than a phone.
    International,
    /// Also a value that is a phone number as a whole: a ruled phone column of the source.
    AlsoWholeValues,
    /// Every phone-shaped run: staging's side, where the source's set decides.
    Anywhere,
}

/// Calls `found` with every token of `value` (raw COPY text), normalized: e-mails in lower
/// case, phone and card numbers as their digits.
fn tokens(value: &[u8], phones: Phones, mut found: impl FnMut(TokenKind, &[u8])) {
    each_token(value, |kind, token, needs| {
        if needs <= phones {
            found(kind, token)
        }
    });
}

/// Calls `found` with every token of `value` as [`tokens`] finds them with
/// [`Phones::Anywhere`], and the narrowest [`Phones`] that still counts it (e-mails and
/// cards: any), so that one pass serves both sides of the scan.
fn each_token(value: &[u8], mut found: impl FnMut(TokenKind, &[u8], Phones)) {
    let mut normal = Vec::new();
    for email in tokens::emails(value) {
        normal.clear();
        normal.extend(email.iter().map(u8::to_ascii_lowercase));
        found(TokenKind::Email, &normal, Phones::International);
    }
    if digit_count(value) < PHONE_DIGITS {
        return;
    }
    let whole = value.trim_ascii();
    let runs = tokens::numbers(value).map(|(start, end)| &value[start..end]);
    for run in runs.filter(|run| (PHONE_DIGITS..=LONGEST_NUMBER).contains(&run.len())) {
        digits_of(run, &mut normal);
        if (13..=19).contains(&normal.len())
            && run
                .iter()
                .all(|byte| byte.is_ascii_digit() || matches!(byte, b' ' | b'-'))
            && std::str::from_utf8(&normal).is_ok_and(crate::luhn::is_card_number)
        {
            found(TokenKind::Card, &normal, Phones::International);
            continue;
        }
        let needs = if run.starts_with(b"+") {
            Phones::International
        } else if run == whole {
            Phones::AlsoWholeValues
        } else {
            Phones::Anywhere
        };
        if normal.len() >= PHONE_DIGITS {
            found(TokenKind::Phone, &normal, needs);
        }
    }
}

/// How many ASCII digits `value` holds: a phone or card number needs at least
/// [`PHONE_DIGITS`], and most values have fewer (a loop the compiler vectorizes).
fn digit_count(value: &[u8]) -> usize {
    // Counted in bytes, 255 at most at a time: the widest vector lanes.
    value
        .chunks(255)
        .map(|chunk| {
            let digits = chunk.iter().fold(0u8, |count, byte| {
                count + u8::from(byte.wrapping_sub(b'0') < 10)
            });
            usize::from(digits)
        })
        .sum()
}

fn digits_of(text: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(text.iter().copied().filter(u8::is_ascii_digit));
}

/// One staging column in which source tokens were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub table: String,
    pub column: String,
    /// Rows holding at least one source token.
    pub rows: u64,
    pub kinds: Vec<TokenKind>,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<&str> = self.kinds.iter().map(|kind| kind.noun()).collect();
        write!(
            f,
            "{}.{}: {} rows hold a source {} (token scan of every row)",
            self.table,
            self.column,
            self.rows,
            kinds.join(" / ")
        )
    }
}

/// Share of a column's phone-bearing rows (in percent) that may hold a source phone number
/// by chance: a national number has few digits, so at a million rows a fake equals some
/// other customer's real number now and then. E-mails (65-bit tags) and card numbers never
/// coincide like that; any hit of theirs is a leak.
const PHONE_CHANCE_PCT: u64 = 1;

/// The leak the values of one staging column show, if any: an e-mail or card at all, phones
/// above chance.
fn leak_of(mut counts: ColumnCounts, table: &str, column: &str) -> Option<Leak> {
    let phones_leak = counts.phone_rows * 100 > counts.phone_shaped_rows * PHONE_CHANCE_PCT;
    if !phones_leak {
        counts.kinds.retain(|kind| *kind != TokenKind::Phone);
    }
    let rows = counts.rows + if phones_leak { counts.phone_rows } else { 0 };
    counts.kinds.sort_unstable();
    (rows > 0).then(|| Leak {
        table: table.to_owned(),
        column: column.to_owned(),
        rows,
        kinds: counts.kinds,
    })
}

/// The columns of `table` whose values can hold text (text, json and jsonb, arrays and
/// composites), but those the profile declares public.
fn scanned_columns<'a>(table: &'a Table, plans: &[TablePlan]) -> Vec<&'a Column> {
    let name = table.profile_name();
    let public = plans
        .iter()
        .find(|plan| plan.table == name)
        .map_or(&[][..], |plan| plan.public.as_slice());
    table
        .columns
        .iter()
        .filter(|column| {
            matches!(
                column.category,
                TypeCategory::Text
                    | TypeCategory::Json
                    | TypeCategory::Array
                    | TypeCategory::Composite
            ) && !public.contains(&column.name)
        })
        .collect()
}

/// Which phone numbers of a source column are tokens: whole values too where the column is
/// ruled and its name or rule says phone.
fn source_phones(plan: &TablePlan, column: &Column) -> Phones {
    let rule = plan.rules.get(&column.name);
    if rule.is_some_and(|rule| rule == "phone")
        || rule.is_some() && crate::judgment::name_says_phone(&column.name)
    {
        Phones::AlsoWholeValues
    } else {
        Phones::International
    }
}

/// Where a copy worker finds one column's tokens in the rows it reads and writes.
#[derive(Debug, Clone, Copy)]
struct TokenField {
    /// The field's index in the copied row.
    field: usize,
    /// Its number in the spool ([`SpoolColumns`]).
    column: u32,
    phones: Phones,
}

/// The `(table, column)` of each number a spool record names.
#[derive(Debug, Default)]
pub struct SpoolColumns(Vec<(String, String)>);

/// Collects tokens from the rows a copy worker copies, so that neither database is read a
/// second time for the token scan: the source's, and staging's (the values as written), into
/// the worker's [`Spool`]. It covers the columns of one table that the scan searches
/// and that the copy reads as text: all in a text-format copy; in a binary one, those whose
/// binary form is their text and the ruled ones the source sends cast to text.
#[derive(Debug, Clone, Default)]
pub struct TokenCollector {
    fields: Vec<TokenField>,
    /// A value in the COPY text form (the form the scan reads), from its raw form.
    escaped: Vec<u8>,
}

impl TokenCollector {
    /// The collector for copying `plan`'s table (`copy` says which columns travel how); its
    /// columns are numbered in `columns`.
    pub fn for_copy(
        catalog: &Catalog,
        plan: &TablePlan,
        copy: &TableCopy,
        columns: &mut SpoolColumns,
    ) -> TokenCollector {
        let Some(table) = catalog.tables.get(&plan.table).filter(|t| t.kind == 'r') else {
            return TokenCollector::default();
        };
        let fields = collected_columns(table, plan, copy)
            .into_iter()
            .map(|(field, column)| {
                columns.0.push((plan.table.clone(), column.name.clone()));
                TokenField {
                    field,
                    column: (columns.0.len() - 1) as u32,
                    phones: source_phones(plan, column),
                }
            })
            .collect();
        TokenCollector {
            fields,
            escaped: Vec::new(),
        }
    }

    /// Whether it collects nothing (the rows need no parsing for it).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Collects from one row. `field(i)` is the raw value of field `i` as it came (`None`
    /// for NULL) and whether it is still escaped (COPY text) or raw (binary); `rewritten(i)`
    /// is what a rule wrote for it (`Some(None)` for NULL), `None` when it went through as it
    /// came.
    pub fn row<'r>(
        &mut self,
        field: impl Fn(usize) -> (Option<&'r [u8]>, bool),
        rewritten: impl Fn(usize) -> Option<Option<&'r str>>,
        spool: &mut Spool,
    ) {
        for index in 0..self.fields.len() {
            let wanted = self.fields[index];
            let (input, escaped) = field(wanted.field);
            match rewritten(wanted.field) {
                None => {
                    let Some(input) = input else { continue };
                    let text = self.as_copy_text(input, escaped);
                    spool.start_value(wanted.column);
                    each_token(text, |kind, token, needs| {
                        let hash = spool.hash(kind, token);
                        if needs <= wanted.phones {
                            spool.source(hash);
                        }
                        spool.staging(kind, hash);
                    });
                }
                Some(output) => {
                    if let Some(input) = input {
                        let text = self.as_copy_text(input, escaped);
                        tokens(text, wanted.phones, |kind, token| {
                            spool.add_source(kind, token)
                        });
                    }
                    let Some(output) = output else { continue };
                    let text = self.as_copy_text(output.as_bytes(), false);
                    spool_staging_value(spool, wanted.column, text);
                }
            }
        }
    }

    /// `value` in the COPY text form: as it is when `escaped`, else escaped as `COPY … TO
    /// STDOUT` writes text.
    fn as_copy_text<'v>(&'v mut self, value: &'v [u8], escaped: bool) -> &'v [u8] {
        if escaped || !copy_text::needs_escape(value) {
            return value;
        }
        self.escaped.clear();
        copy_text::escape(value, &mut self.escaped);
        &self.escaped
    }
}

/// Spools the tokens of one staging value (COPY text) of spool column `column`.
fn spool_staging_value(spool: &mut Spool, column: u32, text: &[u8]) {
    spool.start_value(column);
    tokens(text, Phones::Anywhere, |kind, token| {
        let hash = spool.hash(kind, token);
        spool.staging(kind, hash);
    });
}

/// The error of the token scan's temporary files that could not be made, written or read.
pub fn spool_error(doing: &str) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let action =
        format!("{doing} the token scan's temporary files (is TMPDIR writable, with room?)");
    move |source| Error::Io { action, source }
}

/// What the copy workers collected for the token scan.
pub struct Collected {
    /// The seed of the hash every spool of the run uses.
    pub hasher: RandomState,
    pub spools: Vec<Finished>,
    pub columns: SpoolColumns,
}

/// The searched columns of `table` that a copy of it reads as text, with their field index
/// in the copied row.
fn collected_columns<'a>(
    table: &'a Table,
    plan: &TablePlan,
    copy: &TableCopy,
) -> Vec<(usize, &'a Column)> {
    let searched = scanned_columns(table, std::slice::from_ref(plan));
    copy.columns
        .iter()
        .enumerate()
        .map(|(field, &position)| (field, &table.columns[position]))
        .filter(|(field, column)| {
            let read_as_text = !copy.binary || column.text_binary || copy.writers[*field].is_some();
            searched.iter().any(|s| s.name == column.name) && read_as_text
        })
        .collect()
}

/// The columns' names, to read them as they are.
fn names_of(columns: &[&Column]) -> Vec<String> {
    columns.iter().map(|column| quote(&column.name)).collect()
}

/// How the source's tokens of `column` are read: NULL where its rule keeps the value on
/// purpose (a condition chose `keep`), as the copy's workers leave such values out.
fn source_expression(plan: &TablePlan, column: &Column) -> String {
    let kept_when = plan
        .copy
        .as_deref()
        .and_then(|copy| copy.rule_of(&column.name))
        .and_then(|rule| rule.kept_when());
    match kept_when {
        Some(kept) => format!(
            "CASE WHEN {kept} THEN NULL ELSE {} END",
            quote(&column.name)
        ),
        None => quote(&column.name),
    }
}

/// Streams every row of `list` (column names or expressions) of `table` (ONLY, as text;
/// those meeting `condition` if given) and calls `field` with each column's index and raw
/// value (NULLs skipped).
async fn stream_columns(
    reader: &CopyReader,
    url: &SecretUrl,
    table: &Table,
    list: &[String],
    condition: Option<&str>,
    mut field: impl FnMut(usize, &[u8]),
) -> Result<(), Error> {
    let condition = condition
        .map(|condition| format!(" WHERE {condition}"))
        .unwrap_or_default();
    let sql = format!(
        "COPY (SELECT {} FROM ONLY {}{condition}) TO STDOUT",
        list.join(", "),
        table.quoted()
    );
    let action = format!("scanning {} for source tokens", table.profile_name());
    let failed = || read_error(url, &action);
    let mut stream = reader.copy_out(&sql).await.map_err(failed())?;
    let mut rows = RowSplitter::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(failed())?;
        rows.push(&chunk, |row| {
            for (index, value) in fields(row).enumerate() {
                if value != b"\\N" {
                    field(index, value);
                }
            }
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {});
    }
    Ok(())
}

/// What the token scan found: how many distinct source tokens it searched for, the staging
/// columns holding any, and the time it took.
#[derive(Debug, Default)]
pub struct TokenScan {
    pub source_tokens: usize,
    pub leaks: Vec<Leak>,
    pub seconds: f64,
}

/// The whole token scan: the source's tokens, then staging searched for them. After a copy,
/// `collected` holds what its workers found in the rows they read and wrote, and only what
/// they did not see is read: from the source (`source_tokens`), from staging
/// (`staging_tokens`). Without it, both are read in full. It needs the loaded rows only, not
/// their indexes, so a copy runs it beside its post-data step.
pub async fn token_scan(
    snapshot: &str,
    source_url: &SecretUrl,
    staging_url: &SecretUrl,
    catalog: &Catalog,
    plans: &[TablePlan],
    collected: Option<Collected>,
) -> Result<TokenScan, Error> {
    let started = std::time::Instant::now();
    let after_copy = collected.is_some();
    let Collected {
        hasher,
        mut spools,
        mut columns,
    } = collected.unwrap_or_else(|| Collected {
        hasher: RandomState::default(),
        spools: Vec::new(),
        columns: SpoolColumns::default(),
    });
    let mut read = Spool::new(hasher).map_err(spool_error("creating"))?;
    let source = CopyReader::in_snapshot(source_url, snapshot, "restage verify").await?;
    source_tokens(&source, source_url, catalog, plans, after_copy, &mut read).await?;
    // Its read buffer is as large as the largest row it read.
    drop(source);
    let staging = CopyReader::connect(staging_url, "staging database", "restage verify").await?;
    staging_tokens(
        &staging,
        staging_url,
        catalog,
        plans,
        &mut columns,
        &mut read,
    )
    .await?;
    spools.push(read.finish().map_err(spool_error("writing"))?);
    let joined = tokio::task::spawn_blocking(move || token_spool::join(spools))
        .await
        .map_err(|source| Error::Worker {
            what: "the token scan's join",
            source,
        })?
        .map_err(spool_error("reading"))?;
    let mut leaks: Vec<Leak> = joined
        .columns
        .into_iter()
        .filter_map(|(column, counts)| {
            let (table, name) = &columns.0[column as usize];
            leak_of(counts, table, name)
        })
        .collect();
    leaks.sort_by(|a, b| (&a.table, &a.column).cmp(&(&b.table, &b.column)));
    Ok(TokenScan {
        source_tokens: joined.source_tokens,
        leaks,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Spools the tokens of the copied tables of the source (`reader` in the copy's
/// snapshot): all rows, whatever the plan filters, since a filtered-out row's e-mail is as
/// personal as any. `after_copy`, it reads only what the copy workers did not see: the rows
/// the plan filtered out, and the columns a binary copy carries in another form than text
/// (and generated ones, which are not copied).
async fn source_tokens(
    reader: &CopyReader,
    url: &SecretUrl,
    catalog: &Catalog,
    plans: &[TablePlan],
    after_copy: bool,
    spool: &mut Spool,
) -> Result<(), Error> {
    for plan in plans.iter().filter(|plan| !plan.schema_only) {
        let Some(table) = catalog.tables.get(&plan.table).filter(|t| t.kind == 'r') else {
            continue;
        };
        let seen: Vec<&Column> = match plan.copy.as_deref().filter(|_| after_copy) {
            Some(copy) => collected_columns(table, plan, copy)
                .into_iter()
                .map(|(_, column)| column)
                .collect(),
            None => Vec::new(),
        };
        let (seen, unseen): (Vec<&Column>, Vec<&Column>) = scanned_columns(table, plans)
            .into_iter()
            .partition(|column| seen.iter().any(|s| s.name == column.name));
        let filtered_out = plan
            .filter
            .as_ref()
            .map(|filter| format!("({filter}) IS NOT TRUE"));
        let mut reads = vec![(unseen, None)];
        if let Some(condition) = filtered_out.as_deref() {
            reads.push((seen, Some(condition)));
        }
        for (columns, condition) in reads {
            if columns.is_empty() {
                continue;
            }
            let phones: Vec<Phones> = columns
                .iter()
                .map(|column| source_phones(plan, column))
                .collect();
            let list: Vec<String> = columns
                .iter()
                .map(|column| source_expression(plan, column))
                .collect();
            stream_columns(reader, url, table, &list, condition, |index, value| {
                tokens(value, phones[index], |kind, token| {
                    spool.add_source(kind, token)
                });
            })
            .await?;
        }
    }
    Ok(())
}

/// Spools the tokens of every text, json, array and composite column of every table of
/// staging but those `columns` already numbers (the copy spooled them), numbering the ones
/// it reads.
async fn staging_tokens(
    reader: &CopyReader,
    url: &SecretUrl,
    catalog: &Catalog,
    plans: &[TablePlan],
    columns: &mut SpoolColumns,
    spool: &mut Spool,
) -> Result<(), Error> {
    for table in catalog.tables.values().filter(|table| table.kind == 'r') {
        let name = table.profile_name();
        let unread: Vec<&Column> = scanned_columns(table, plans)
            .into_iter()
            .filter(|column| !columns.0.iter().any(|s| s.0 == name && s.1 == column.name))
            .collect();
        if unread.is_empty() {
            continue;
        }
        let first = columns.0.len() as u32;
        columns.0.extend(
            unread
                .iter()
                .map(|column| (name.clone(), column.name.clone())),
        );
        stream_columns(
            reader,
            url,
            table,
            &names_of(&unread),
            None,
            |index, value| spool_staging_value(spool, first + index as u32, value),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_digits_of_values_of_any_length() {
        for length in [0, 1, 254, 255, 256, 600, 2000] {
            let value: Vec<u8> = (0..length).map(|i| b"a1b2c3+ 45"[i % 10]).collect();
            let expected = value.iter().filter(|byte| byte.is_ascii_digit()).count();
            assert_eq!(digit_count(&value), expected, "{length} bytes");
        }
    }

    fn found(value: &str, phones: Phones) -> Vec<(TokenKind, String)> {
        let mut all = Vec::new();
        tokens(value.as_bytes(), phones, |kind, token| {
            all.push((kind, String::from_utf8_lossy(token).into_owned()))
        });
        all
    }

    #[test]
    fn finds_emails_in_lower_case_cards_by_luhn_and_international_phones() {
        let text = r#"{"to": "Ada.Lovelace@Example.COM", "card": "4111 1111 1111 1111", "tel": "+44 20 7946 0958", "at": "2024-01-01 12:00:00"}"#;
        assert_eq!(
            found(text, Phones::International),
            vec![
                (TokenKind::Email, "ada.lovelace@example.com".to_owned()),
                (TokenKind::Card, "4111111111111111".to_owned()),
                (TokenKind::Phone, "442079460958".to_owned()),
            ]
        );
    }

    #[test]
    fn bare_numbers_are_phones_only_as_whole_values_of_ruled_columns() {
        assert!(found("order 555 010 0199 shipped", Phones::International).is_empty());
        assert!(found("555 010 0199", Phones::International).is_empty());
        assert_eq!(
            found(" (555) 010-0199 ", Phones::AlsoWholeValues),
            vec![(TokenKind::Phone, "5550100199".to_owned())]
        );
        assert_eq!(
            found("call (555) 010-0199 now", Phones::Anywhere),
            vec![(TokenKind::Phone, "5550100199".to_owned())]
        );
        assert!(found("2024-01-01", Phones::AlsoWholeValues).is_empty());
        assert!(found("4111 1111 1111 1112", Phones::International).is_empty());
    }

    #[test]
    fn a_run_of_digits_too_long_for_one_number_is_no_token() {
        let long = "1".repeat(LONGEST_NUMBER + 1);
        assert!(found(&long, Phones::Anywhere).is_empty());
        assert!(
            found(
                &format!("+{long} and +44 20 7946 0958"),
                Phones::International
            )
            .len()
                == 1
        );
    }

    /// The leak of column `c` of table `t` that a read of `staging` finds against `source`
    /// (its whole values being phone numbers of a ruled phone column), as `staging_tokens`
    /// and `source_tokens` spool them.
    fn scanned(source: &[&str], staging: &[String]) -> Option<Leak> {
        let mut spool = Spool::new(RandomState::default()).expect("spool");
        for value in source {
            tokens(value.as_bytes(), Phones::AlsoWholeValues, |kind, token| {
                spool.add_source(kind, token)
            });
        }
        for value in staging {
            spool.start_value(0);
            tokens(value.as_bytes(), Phones::Anywhere, |kind, token| {
                let hash = spool.hash(kind, token);
                spool.staging(kind, hash);
            });
        }
        let joined = token_spool::join(vec![spool.finish().expect("written")]).expect("joined");
        let counts = joined.columns.get(&0).cloned().unwrap_or_default();
        leak_of(counts, "t", "c")
    }

    /// Rows as a copy worker sees them, through its collector, give the same verdict as a
    /// read of the staging column: for a kept column, a rewritten one, NULLs, and values
    /// that need escaping.
    #[test]
    fn what_a_copy_collects_finds_what_a_read_of_staging_finds() {
        let rows: Vec<(Option<&str>, Option<Option<&str>>)> = vec![
            (Some("ann@mail.example"), None),
            (Some("bob@mail.example"), Some(Some("fake.x@example.com"))),
            (
                Some("cy@mail.example\nline two"),
                Some(Some("cy@mail.example")),
            ),
            (None, None),
            (Some("+44 20 7946 0001"), Some(None)),
        ];
        let mut spool = Spool::new(RandomState::default()).expect("spool");
        let mut collector = TokenCollector {
            fields: vec![TokenField {
                field: 0,
                column: 0,
                phones: Phones::International,
            }],
            escaped: Vec::new(),
        };
        for (input, output) in &rows {
            collector.row(
                |_| (input.map(str::as_bytes), false),
                |_| *output,
                &mut spool,
            );
        }
        let joined = token_spool::join(vec![spool.finish().expect("written")]).expect("joined");
        let collected = leak_of(joined.columns[&0].clone(), "t", "c");
        let inputs: Vec<&str> = rows.iter().filter_map(|(input, _)| *input).collect();
        let written: Vec<String> = rows
            .iter()
            .filter_map(|(input, output)| output.unwrap_or(*input))
            .map(|text| {
                let mut escaped = Vec::new();
                copy_text::escape(text.as_bytes(), &mut escaped);
                String::from_utf8(escaped).expect("text")
            })
            .collect();
        assert_eq!(collected, scanned(&inputs, &written));
        assert_eq!(
            collected.map(|leak| (leak.rows, leak.kinds)),
            Some((2, vec![TokenKind::Email]))
        );
    }

    #[test]
    fn a_phone_equal_by_chance_is_no_leak_but_a_kept_column_of_phones_is() {
        let source = ["555 010 0001", "ann@mail.example"];
        let fakes: Vec<String> = (2..=300).map(|n| format!("555 010 {n:04}")).collect();
        let one_in_300: Vec<String> = fakes
            .iter()
            .cloned()
            .chain(["555 010 0001".to_owned()])
            .collect();
        assert_eq!(scanned(&source, &one_in_300), None);
        let kept = vec!["555 010 0001".to_owned(); 10];
        assert_eq!(
            scanned(&source, &kept).map(|leak| (leak.rows, leak.kinds)),
            Some((10, vec![TokenKind::Phone]))
        );
        let one_email = vec!["ANN@mail.example".to_owned()];
        assert_eq!(
            scanned(&source, &one_email).map(|leak| leak.to_string()),
            Some("t.c: 1 rows hold a source e-mail address (token scan of every row)".to_owned())
        );
    }
}
