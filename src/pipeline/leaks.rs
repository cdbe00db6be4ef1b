//! The token scan of verification: every e-mail address, phone number and card number of the
//! source — found by pattern in every text, json, array and composite column of the copied
//! tables — is kept as a set of hashes, then every such column of staging is read in full,
//! streamed, and each token found there is looked up. A hit is a leak, whatever the rule (or
//! `keep`) that let it through. Memory is the set (8 bytes a distinct token) and one chunk of
//! the stream; values never leave the scan, only counts.

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use foldhash::fast::RandomState;
use futures_util::StreamExt;
use sqlx::postgres::PgConnection;

use super::copy_text::{RowSplitter, fields};
use super::plan::{TableCopy, TablePlan};
use crate::catalog::{Catalog, Column, Table, TypeCategory, quote};
use crate::error::Error;
use crate::pg::database_error;
use crate::secret::SecretUrl;

/// Digits a phone number has at least: fewer are dates, times, amounts and codes.
const PHONE_DIGITS: usize = 9;

/// The kinds of tokens searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    Email,
    Phone,
    Card,
}

impl TokenKind {
    /// The kind a spool record names (two bits).
    fn from_bits(bits: u32) -> TokenKind {
        match bits & 3 {
            0 => TokenKind::Email,
            1 => TokenKind::Phone,
            _ => TokenKind::Card,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            TokenKind::Email => "e-mail address",
            TokenKind::Phone => "phone number",
            TokenKind::Card => "card number",
        }
    }
}

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
    for email in crate::tokens::emails(value) {
        normal.clear();
        normal.extend(email.iter().map(u8::to_ascii_lowercase));
        found(TokenKind::Email, &normal, Phones::International);
    }
    let whole = value.trim_ascii();
    for run in digit_runs(value).filter(|run| run.len() >= PHONE_DIGITS) {
        digits_of(run, &mut normal);
        if (13..=19).contains(&normal.len())
            && std::str::from_utf8(&normal).is_ok_and(crate::luhn::is_valid)
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

/// The runs of digits in `value`, grouped by spaces, dashes, dots or parentheses, each with
/// its leading `+` or `(`: phone and card numbers.
/// Hand-written because it runs on every value of every text column of both databases.
fn digit_runs(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut position = 0;
    std::iter::from_fn(move || {
        let start = position + value[position..].iter().position(u8::is_ascii_digit)?;
        let mut end = start;
        let mut last_digit = start;
        while end < value.len() && (value[end].is_ascii_digit() || b" ().-".contains(&value[end])) {
            if value[end].is_ascii_digit() {
                last_digit = end;
            }
            end += 1;
        }
        position = last_digit + 1;
        let mut first = start;
        while first > 0 && matches!(value[first - 1], b'+' | b'(') {
            first -= 1;
        }
        Some(&value[first..=last_digit])
    })
}

fn digits_of(text: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(text.iter().copied().filter(u8::is_ascii_digit));
}

/// A hasher for keys that are hashes already: the set's buckets come from the token's keyed
/// hash as it is, so a lookup is one memory access (a sorted list took twenty).
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 hashes are stored")
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

type HashSet = std::collections::HashSet<u64, BuildHasherDefault<AlreadyHashed>>;

/// The source's tokens, as hashes (distinct). The hash (foldhash: fast on short keys, 64
/// bits) is seeded at random for each run, so the set says nothing about the values outside
/// this process.
pub struct SourceTokens {
    hasher: RandomState,
    hashes: HashSet,
}

impl SourceTokens {
    /// No token yet, with a new random key for the hash.
    pub fn empty() -> SourceTokens {
        SourceTokens {
            hasher: RandomState::default(),
            hashes: HashSet::default(),
        }
    }

    fn add(&mut self, kind: TokenKind, token: &[u8]) {
        let hash = self.hash(kind, token);
        self.hashes.insert(hash);
    }

    /// How many distinct tokens the source holds.
    fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the source holds no token at all.
    fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    fn hash(&self, kind: TokenKind, token: &[u8]) -> u64 {
        self.hasher.hash_one((kind, token))
    }

    fn contains(&self, kind: TokenKind, token: &[u8]) -> bool {
        self.hashes.contains(&self.hash(kind, token))
    }
}

/// Hashes a copy worker adds to the source's set, which all workers share: kept back and
/// added a batch at a time, so that workers rarely wait for each other, and memory is one
/// set (not one per worker and their union).
pub struct TokenBatch {
    hasher: RandomState,
    pending: Vec<u64>,
    shared: Arc<Mutex<SourceTokens>>,
}

impl TokenBatch {
    /// Hashes added at once.
    const SIZE: usize = 8192;

    /// A batch for `shared`.
    pub fn new(shared: &Arc<Mutex<SourceTokens>>) -> TokenBatch {
        let hasher = shared.lock().map(|set| set.hasher).unwrap_or_default();
        TokenBatch {
            hasher,
            pending: Vec::with_capacity(TokenBatch::SIZE),
            shared: shared.clone(),
        }
    }

    fn hash(&self, kind: TokenKind, token: &[u8]) -> u64 {
        self.hasher.hash_one((kind, token))
    }

    fn insert(&mut self, hash: u64) {
        self.pending.push(hash);
        if self.pending.len() >= TokenBatch::SIZE {
            self.flush();
        }
    }

    fn add(&mut self, kind: TokenKind, token: &[u8]) {
        let hash = self.hash(kind, token);
        self.insert(hash);
    }

    /// Adds what is pending to the shared set.
    pub fn flush(&mut self) {
        if let Ok(mut set) = self.shared.lock() {
            set.hashes.extend(self.pending.drain(..));
        }
    }
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

/// What the scan of one staging column found.
#[derive(Debug, Default)]
struct ColumnHits {
    /// Rows holding a source e-mail or card number.
    rows: u64,
    /// Rows holding a source phone number (and no e-mail or card).
    phone_rows: u64,
    /// Rows holding anything phone-shaped.
    phone_shaped_rows: u64,
    kinds: Vec<TokenKind>,
    /// What the value being scanned holds so far: a source e-mail or card, a source phone,
    /// anything phone-shaped.
    value: (bool, bool, bool),
}

impl ColumnHits {
    fn scan(&mut self, value: &[u8], source: &SourceTokens) {
        tokens(value, Phones::Anywhere, |kind, token| {
            self.token(kind, source.contains(kind, token))
        });
        self.end_value();
    }

    /// One token of the value being scanned, and whether the source holds it.
    fn token(&mut self, kind: TokenKind, in_source: bool) {
        let (hit, phone_hit, phone_shaped) = &mut self.value;
        *phone_shaped |= kind == TokenKind::Phone;
        if in_source {
            if kind == TokenKind::Phone {
                *phone_hit = true;
            } else {
                *hit = true;
            }
            if !self.kinds.contains(&kind) {
                self.kinds.push(kind);
            }
        }
    }

    /// Counts the value scanned and starts the next.
    fn end_value(&mut self) {
        let (hit, phone_hit, phone_shaped) = std::mem::take(&mut self.value);
        self.rows += u64::from(hit);
        self.phone_rows += u64::from(phone_hit && !hit);
        self.phone_shaped_rows += u64::from(phone_shaped);
    }

    /// The leak this column shows, if any: an e-mail or card at all, phones above chance.
    fn leak(mut self, table: &str, column: &str) -> Option<Leak> {
        let phones_leak = self.phone_rows * 100 > self.phone_shaped_rows * PHONE_CHANCE_PCT;
        if !phones_leak {
            self.kinds.retain(|kind| *kind != TokenKind::Phone);
        }
        let rows = self.rows + if phones_leak { self.phone_rows } else { 0 };
        self.kinds.sort_unstable();
        (rows > 0).then(|| Leak {
            table: table.to_owned(),
            column: column.to_owned(),
            rows,
            kinds: self.kinds,
        })
    }
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
        || rule.is_some() && crate::pii::name_suggests_phone(&column.name)
    {
        Phones::AlsoWholeValues
    } else {
        Phones::International
    }
}

/// Where a copy worker finds one column's tokens in the rows it reads and writes.
#[derive(Debug, Clone)]
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
/// second time for the token scan: the source's tokens into its set, staging's (the values
/// as written) into a [`Spool`]. It covers the columns of one table that the scan searches
/// and that the copy reads as text: all in a text-format copy; in a binary one, those whose
/// binary form is their text.
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
        found: &mut Found<'_>,
    ) {
        for index in 0..self.fields.len() {
            let wanted = self.fields[index].clone();
            let (input, escaped) = field(wanted.field);
            match rewritten(wanted.field) {
                None => {
                    let Some(input) = input else { continue };
                    let text = self.as_copy_text(input, escaped);
                    found.spool.start_value();
                    each_token(text, |kind, token, needs| {
                        let hash = found.source.hash(kind, token);
                        if needs <= wanted.phones {
                            found.source.insert(hash);
                        }
                        found.spool.push(wanted.column, kind, hash);
                    });
                }
                Some(output) => {
                    if let Some(input) = input {
                        let text = self.as_copy_text(input, escaped);
                        tokens(text, wanted.phones, |kind, token| {
                            found.source.add(kind, token)
                        });
                    }
                    let Some(output) = output else { continue };
                    let text = self.as_copy_text(output.as_bytes(), false);
                    found.spool.start_value();
                    each_token(text, |kind, token, _| {
                        found
                            .spool
                            .push(wanted.column, kind, found.source.hash(kind, token))
                    });
                }
            }
        }
    }

    /// `value` in the COPY text form: as it is when `escaped`, else escaped as `COPY … TO
    /// STDOUT` writes text.
    fn as_copy_text<'v>(&'v mut self, value: &'v [u8], escaped: bool) -> &'v [u8] {
        if escaped || !value.iter().any(|&byte| byte == b'\\' || byte < b' ') {
            return value;
        }
        self.escaped.clear();
        escape_like_copy(value, &mut self.escaped);
        &self.escaped
    }
}

/// Where a copy worker puts what it finds: the source's tokens and staging's spool.
pub struct Found<'a> {
    pub source: &'a mut TokenBatch,
    pub spool: &'a mut Spool,
}

/// Staging's tokens as the copy workers write them: each a 4-byte tag (spool column number,
/// kind, whether it starts a value) and its 8-byte hash, in an unnamed temporary file, read
/// back once the source's set is complete. Memory stays one buffer, whatever the size.
pub struct Spool {
    file: BufWriter<File>,
    /// The first write error; reported when the spool is finished.
    error: Option<std::io::Error>,
    starts_value: bool,
}

impl Spool {
    /// An empty spool in a new temporary file.
    pub fn new() -> std::io::Result<Spool> {
        Ok(Spool {
            file: BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?),
            error: None,
            starts_value: false,
        })
    }

    /// The next token pushed starts a new value.
    fn start_value(&mut self) {
        self.starts_value = true;
    }

    fn push(&mut self, column: u32, kind: TokenKind, hash: u64) {
        let tag = column << 3 | (kind as u32) << 1 | u32::from(self.starts_value);
        self.starts_value = false;
        if self.error.is_none() {
            let mut record = [0u8; 12];
            record[..4].copy_from_slice(&tag.to_le_bytes());
            record[4..].copy_from_slice(&hash.to_le_bytes());
            if let Err(error) = self.file.write_all(&record) {
                self.error = Some(error);
            }
        }
    }

    /// The spool written, rewound for reading, or the first error writing it.
    pub fn finish(self) -> std::io::Result<File> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut file = self.file.into_inner().map_err(|error| error.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }
}

/// Reads spooled staging tokens and counts, per spool column, the values holding source
/// tokens.
fn scan_spool(
    file: File,
    source: &SourceTokens,
    hits: &mut BTreeMap<u32, ColumnHits>,
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut record = [0u8; 12];
    let mut current: Option<u32> = None;
    loop {
        match reader.read_exact(&mut record) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(error) => return Err(error),
        }
        let tag = u32::from_le_bytes(record[..4].try_into().expect("4 bytes"));
        let hash = u64::from_le_bytes(record[4..].try_into().expect("8 bytes"));
        let column = tag >> 3;
        if tag & 1 == 1
            && let Some(previous) = current
        {
            hits.entry(previous).or_default().end_value();
        }
        current = Some(column);
        hits.entry(column).or_default().token(
            TokenKind::from_bits(tag >> 1),
            source.hashes.contains(&hash),
        );
    }
    if let Some(previous) = current {
        hits.entry(previous).or_default().end_value();
    }
    Ok(())
}

/// What the copy workers collected for the token scan.
pub struct Collected {
    pub source: SourceTokens,
    pub spools: Vec<File>,
    pub columns: SpoolColumns,
}

/// Appends `value` escaped as `COPY … TO STDOUT` writes text.
fn escape_like_copy(value: &[u8], out: &mut Vec<u8>) {
    for &byte in value {
        let escaped = match byte {
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x0b => b'v',
            _ => {
                out.push(byte);
                continue;
            }
        };
        out.extend_from_slice(&[b'\\', escaped]);
    }
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
        .filter(|(_, column)| {
            searched.iter().any(|s| s.name == column.name) && (!copy.binary || column.text_binary)
        })
        .collect()
}

/// Streams every row of `columns` of `table` (ONLY, as text; those meeting `condition` if
/// given) and calls `field` with each column's index and raw value (NULLs skipped).
async fn stream_columns(
    connection: &mut PgConnection,
    url: &SecretUrl,
    table: &Table,
    columns: &[&Column],
    condition: Option<&str>,
    mut field: impl FnMut(usize, &[u8]),
) -> Result<(), Error> {
    let list: Vec<String> = columns.iter().map(|column| quote(&column.name)).collect();
    let condition = condition
        .map(|condition| format!(" WHERE {condition}"))
        .unwrap_or_default();
    let sql = format!(
        "COPY (SELECT {} FROM ONLY {}{condition}) TO STDOUT",
        list.join(", "),
        table.quoted()
    );
    let action = format!("scanning {} for source tokens", table.profile_name());
    let failed = || database_error(url, &action);
    let mut stream = connection.copy_out_raw(&sql).await.map_err(failed())?;
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
/// (`scan_staging`). Without it, both are read in full. It needs the loaded rows only, not
/// their indexes, so a copy runs it beside its post-data step.
pub async fn token_scan(
    source: &mut PgConnection,
    source_url: &SecretUrl,
    staging_url: &SecretUrl,
    catalog: &Catalog,
    plans: &[TablePlan],
    collected: Option<Collected>,
) -> Result<TokenScan, Error> {
    let started = std::time::Instant::now();
    let (set, spools, spooled) = match collected {
        Some(collected) => (Some(collected.source), collected.spools, collected.columns),
        None => (None, Vec::new(), SpoolColumns::default()),
    };
    let tokens = source_tokens(source, source_url, catalog, plans, set).await?;
    let mut leaks = Vec::new();
    if !tokens.is_empty() {
        let mut hits = BTreeMap::new();
        for spool in spools {
            scan_spool(spool, &tokens, &mut hits).map_err(|source| Error::Io {
                action: "reading the copy's staging tokens back from a temporary file".into(),
                source,
            })?;
        }
        leaks.extend(hits.into_iter().filter_map(|(column, hits)| {
            let (table, name) = &spooled.0[column as usize];
            hits.leak(table, name)
        }));
        let mut staging =
            crate::pg::connect(staging_url, "staging database", "restage verify").await?;
        let read = scan_staging(&mut staging, staging_url, catalog, plans, &tokens, &spooled);
        leaks.extend(read.await?);
        leaks.sort_by(|a, b| (&a.table, &a.column).cmp(&(&b.table, &b.column)));
    }
    Ok(TokenScan {
        source_tokens: tokens.len(),
        leaks,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Collects the tokens of the copied tables of the source (`connection` in the copy's
/// snapshot): all rows, whatever the plan filters, since a filtered-out row's e-mail is as
/// personal as any. Given what copy workers `collected`, it reads only what they did not
/// see: the rows the plan filtered out, and the columns a binary copy carries in another
/// form than text (and generated ones, which are not copied).
async fn source_tokens(
    connection: &mut PgConnection,
    url: &SecretUrl,
    catalog: &Catalog,
    plans: &[TablePlan],
    collected: Option<SourceTokens>,
) -> Result<SourceTokens, Error> {
    let after_copy = collected.is_some();
    let mut set = collected.unwrap_or_else(SourceTokens::empty);
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
            stream_columns(
                connection,
                url,
                table,
                &columns,
                condition,
                |index, value| {
                    tokens(value, phones[index], |kind, token| set.add(kind, token));
                },
            )
            .await?;
        }
    }
    Ok(set)
}

/// Reads every text, json, array and composite column of every table of staging but those
/// the copy `spooled`, and reports the columns that hold any of `source`'s tokens.
async fn scan_staging(
    connection: &mut PgConnection,
    url: &SecretUrl,
    catalog: &Catalog,
    plans: &[TablePlan],
    source: &SourceTokens,
    spooled: &SpoolColumns,
) -> Result<Vec<Leak>, Error> {
    let mut leaks = Vec::new();
    for table in catalog.tables.values().filter(|table| table.kind == 'r') {
        let name = table.profile_name();
        let columns: Vec<&Column> = scanned_columns(table, plans)
            .into_iter()
            .filter(|column| !spooled.0.iter().any(|s| s.0 == name && s.1 == column.name))
            .collect();
        if columns.is_empty() {
            continue;
        }
        let mut hits: BTreeMap<usize, ColumnHits> = BTreeMap::new();
        stream_columns(connection, url, table, &columns, None, |index, value| {
            hits.entry(index).or_default().scan(value, source);
        })
        .await?;
        leaks.extend(
            hits.into_iter()
                .filter_map(|(index, hits)| hits.leak(&name, &columns[index].name)),
        );
    }
    Ok(leaks)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn source_of(values: &[&str]) -> SourceTokens {
        let mut set = SourceTokens::empty();
        for value in values {
            tokens(value.as_bytes(), Phones::AlsoWholeValues, |kind, token| {
                set.add(kind, token)
            });
        }
        set
    }

    fn scanned(source: &SourceTokens, values: &[String]) -> Option<Leak> {
        let mut hits = ColumnHits::default();
        for value in values {
            hits.scan(value.as_bytes(), source);
        }
        hits.leak("t", "c")
    }

    /// Rows as a copy worker sees them, through its collector and spool, give the same
    /// verdict as a scan of the staging column: for a kept column, a rewritten one, NULLs,
    /// and values that need escaping.
    #[test]
    fn the_spool_of_a_copy_finds_what_a_scan_of_staging_finds() {
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
        let shared = Arc::new(Mutex::new(SourceTokens::empty()));
        let mut batch = TokenBatch::new(&shared);
        let mut spool = Spool::new().expect("spool");
        let mut collector = TokenCollector {
            fields: vec![TokenField {
                field: 0,
                column: 0,
                phones: Phones::International,
            }],
            escaped: Vec::new(),
        };
        for (input, output) in &rows {
            let mut found = Found {
                source: &mut batch,
                spool: &mut spool,
            };
            collector.row(
                |_| (input.map(str::as_bytes), false),
                |_| *output,
                &mut found,
            );
        }
        batch.flush();
        drop(batch);
        let source = Arc::try_unwrap(shared)
            .ok()
            .and_then(|set| set.into_inner().ok())
            .expect("the only owner");
        let mut spooled = BTreeMap::new();
        scan_spool(spool.finish().expect("written"), &source, &mut spooled).expect("read");
        let mut read = ColumnHits::default();
        for (input, output) in &rows {
            if let Some(text) = output.unwrap_or(*input) {
                let mut escaped = Vec::new();
                escape_like_copy(text.as_bytes(), &mut escaped);
                read.scan(&escaped, &source);
            }
        }
        let spooled = spooled.remove(&0).and_then(|hits| hits.leak("t", "c"));
        assert_eq!(spooled, read.leak("t", "c"));
        assert_eq!(
            spooled.map(|leak| (leak.rows, leak.kinds)),
            Some((2, vec![TokenKind::Email]))
        );
    }

    #[test]
    fn a_phone_equal_by_chance_is_no_leak_but_a_kept_column_of_phones_is() {
        let source = source_of(&["555 010 0001", "ann@mail.example"]);
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
