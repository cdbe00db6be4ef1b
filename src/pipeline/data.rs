//! The data phase: workers, each with a source connection in the shared snapshot and a
//! target connection, take table pieces (largest first) and stream them with
//! `COPY … TO STDOUT` → transform → `COPY … FROM STDIN`. Only the columns with rules are
//! decoded; everything else is copied as raw bytes, and tables without rules are piped
//! through without parsing. Memory per worker is one output buffer, whatever the table size,
//! and the row it holds, once: large parts of a row go on as slices of the source's message.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use sqlx::postgres::{PgConnection, PgDatabaseError};
use tokio::task::JoinSet;

use super::copy_binary::{self, TupleError, TupleReader};
use super::copy_text::{self, RowSplitter};
use super::leaks::{self, Collected, SpoolColumns, TokenCollector};
use super::plan::{TableCopy, TablePlan};
use super::progress::Progress;
use super::token_spool::Spool;
use super::{CopyOptions, Planned, TableResult};
use crate::anonymize::{Keyer, OutputCache, TransformError};
use crate::error::{CopyError, Error};
use crate::pg::reader::CopyReader;
use crate::pg::{self, database_error};
use crate::secret::SecretUrl;

/// Bytes buffered before they are sent to the target.
const SEND_BUFFER: usize = 256 * 1024;

/// One piece of one table.
#[derive(Debug, Clone)]
pub struct Piece {
    pub table: Arc<TableCopy>,
    pub index: usize,
    /// The source tokens to collect from its rows.
    pub tokens: Arc<TokenCollector>,
}

/// What copying a piece did.
#[derive(Debug, Clone, Default)]
pub struct PieceResult {
    pub table: String,
    /// Rows the source's COPY sent.
    pub read: u64,
    /// Rows the target's COPY took.
    pub rows: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// Starts the workers on the pieces of every table, largest first. Returns what each piece
/// did and the tokens found in the rows read and written (for verification's token scan).
pub async fn copy_all(
    planned: &Planned,
    options: &CopyOptions,
    target: &SecretUrl,
    progress: Progress,
) -> Result<(Vec<PieceResult>, Collected), Error> {
    let mut columns = SpoolColumns::default();
    let pieces: VecDeque<Piece> = planned
        .tables
        .iter()
        .filter_map(|plan| {
            let table = plan.copy.clone()?;
            let collector = TokenCollector::for_copy(&planned.catalog, plan, &table, &mut columns);
            Some((table, Arc::new(collector)))
        })
        .flat_map(|(table, tokens)| {
            (0..table.ranges.len()).map(move |index| Piece {
                table: table.clone(),
                index,
                tokens: tokens.clone(),
            })
        })
        .collect();
    let workers = options.jobs.min(pieces.len()).max(1);
    let queue = Arc::new(Mutex::new(pieces));
    let keyer = Arc::new(planned.keyer.clone());
    let mut set = JoinSet::new();
    let hasher = foldhash::fast::RandomState::default();
    for _ in 0..workers {
        let source =
            CopyReader::in_snapshot(&options.source, &planned.snapshot, "restage copy").await?;
        let mut writer = pg::connect(target, "target database", "restage copy").await?;
        sqlx::raw_sql("SET synchronous_commit = off")
            .execute(&mut writer)
            .await
            .map_err(database_error(target, "preparing a writer"))?;
        let spool = Spool::new(hasher).map_err(leaks::spool_error("creating"))?;
        set.spawn(worker(
            (source, writer),
            queue.clone(),
            keyer.clone(),
            progress.clone(),
            spool,
        ));
    }
    let mut results = Vec::new();
    let mut spools = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok((mut pieces, spool))) => {
                results.append(&mut pieces);
                spools.push(spool.finish().map_err(leaks::spool_error("writing"))?);
            }
            Ok(Err(error)) => {
                set.abort_all();
                return Err(Error::Copy(error));
            }
            Err(source) => {
                set.abort_all();
                return Err(Error::Worker {
                    what: "a copy worker",
                    source,
                });
            }
        }
    }
    let collected = Collected {
        hasher,
        spools,
        columns,
    };
    Ok((results, collected))
}

/// Per-table totals of the pieces, in plan order.
pub fn summarize(tables: &[TablePlan], results: Vec<PieceResult>) -> Vec<TableResult> {
    let mut totals: BTreeMap<String, TableResult> = BTreeMap::new();
    for result in results {
        let entry = totals
            .entry(result.table.clone())
            .or_insert_with(|| TableResult {
                table: result.table.clone(),
                source_rows: 0,
                rows: 0,
                bytes: 0,
                seconds: 0.0,
            });
        entry.source_rows += result.read;
        entry.rows += result.rows;
        entry.bytes += result.bytes;
        entry.seconds += result.seconds;
    }
    tables
        .iter()
        .map(|plan| {
            totals.remove(&plan.table).unwrap_or(TableResult {
                table: plan.table.clone(),
                source_rows: 0,
                rows: 0,
                bytes: 0,
                seconds: 0.0,
            })
        })
        .collect()
}

/// Why one row could not be rewritten.
enum RowError {
    /// The rule of the column at this catalog position failed.
    Transform(usize, TransformError),
    /// The source sent another number of fields than the table has.
    FieldCount { expected: usize, got: usize },
}

/// Pieces still to copy, shared by the workers.
pub type Queue = Arc<Mutex<VecDeque<Piece>>>;

/// Copies pieces from the queue until it is empty; spools the tokens of the rows it reads and
/// writes.
pub async fn worker(
    (source, mut target): (CopyReader, PgConnection),
    queue: Queue,
    keyer: Arc<Keyer>,
    progress: Progress,
    mut spool: Spool,
) -> Result<(Vec<PieceResult>, Spool), CopyError> {
    let mut results = Vec::new();
    loop {
        let next = queue
            .lock()
            .map(|mut pieces| pieces.pop_front())
            .unwrap_or(None);
        let Some(piece) = next else {
            return Ok((results, spool));
        };
        let connections = (&source, &mut target);
        let result = copy_piece(connections, &piece, &keyer, &progress, &mut spool).await?;
        progress.piece_done(&piece.table.name);
        results.push(result);
    }
}

/// Streams one piece from the source through its rules into the target; the tokens of its
/// rows go to `spool`.
async fn copy_piece(
    (source, target): (&CopyReader, &mut PgConnection),
    piece: &Piece,
    keyer: &Keyer,
    progress: &Progress,
    spool: &mut Spool,
) -> Result<PieceResult, CopyError> {
    let table = &piece.table;
    let start = Instant::now();
    let read = |source| CopyError::Read {
        table: table.name.clone(),
        source,
    };
    let refused = |error| load_error(table, error);
    let mut writer = target
        .copy_in_raw(&table.insert_sql())
        .await
        .map_err(refused)?;
    let mut reader = source
        .copy_out(&table.select_sql(piece.index))
        .await
        .map_err(read)?;
    let mut rewriter = Rewriter::new(table, piece.index, &piece.tokens);
    let mut bytes = 0u64;
    // Progress is reported once per buffer sent, not per row: the server sends one message per
    // row, and a report per row would cost more than the row.
    let (mut reported_rows, mut reported_bytes) = (0, 0);
    while let Some(chunk) = reader.next().await {
        let chunk = chunk.map_err(read)?;
        bytes += chunk.len() as u64;
        rewriter.push(&chunk, keyer, spool)?;
        if let Some(ready) = rewriter.out.take_ready() {
            progress.rows(
                &table.name,
                rewriter.rows() - reported_rows,
                bytes - reported_bytes,
            );
            (reported_rows, reported_bytes) = (rewriter.rows(), bytes);
            send(&mut writer, &ready).await.map_err(refused)?;
        }
    }
    drop(reader);
    let mode = rewriter.mode;
    let (rest, read) = match rewriter.finish() {
        Ok(finished) => finished,
        Err(error) => {
            let _ = writer.abort("incomplete row").await;
            return Err(error);
        }
    };
    send(&mut writer, &rest).await.map_err(refused)?;
    let rows = writer.finish().await.map_err(refused)?;
    let read = match mode {
        // Unparsed binary rows are not counted on the way; the piece's total comes at the
        // end. The target took every byte the source sent, so it read as many tuples as were
        // sent.
        Mode::Pipe {
            parsed: false,
            binary: true,
        } => {
            progress.rows(&table.name, rows, bytes - reported_bytes);
            rows
        }
        Mode::Text | Mode::Binary if rows != read => {
            return Err(CopyError::Count {
                table: table.name.clone(),
                read,
                written: rows,
            });
        }
        _ => {
            progress.rows(&table.name, read - reported_rows, bytes - reported_bytes);
            read
        }
    };
    Ok(PieceResult {
        table: table.name.clone(),
        read,
        rows,
        bytes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The largest COPY message restage sends: a full send buffer goes in one.
const MAX_MESSAGE: usize = 4 * SEND_BUFFER;

/// Sends `parts` to the target in messages of at most [`MAX_MESSAGE`] bytes: a COPY stream
/// need not break at rows, and the connection's write buffer (which keeps its size) stays
/// small however large a row is.
async fn send(
    writer: &mut sqlx::postgres::PgCopyIn<&mut PgConnection>,
    parts: &[Bytes],
) -> Result<(), sqlx::Error> {
    for slice in parts.iter().flat_map(|part| part.chunks(MAX_MESSAGE)) {
        writer.send(slice).await?;
    }
    Ok(())
}

/// A part of a row at least this long is passed on as a slice of the source's message, not
/// copied: a row of 200 MB then costs its message once, not twice.
const LARGE_PART: usize = 64 * 1024;

/// What a piece has ready for the target, in order: rows gathered in a buffer, and large
/// parts of rows as slices of the messages they came in.
struct Outgoing {
    parts: Vec<Bytes>,
    /// Small or rewritten bytes, gathered until they make a part.
    buffer: Vec<u8>,
}

impl Outgoing {
    fn new() -> Outgoing {
        Outgoing {
            parts: Vec::new(),
            buffer: Outgoing::fresh_buffer(),
        }
    }

    /// An empty buffer with room for a full one and the row that fills it.
    fn fresh_buffer() -> Vec<u8> {
        Vec::with_capacity(SEND_BUFFER + 64 * 1024)
    }

    /// Appends `part` of the source's `message`: by reference when it is large.
    fn extend_from(&mut self, message: &Bytes, part: &[u8]) {
        let within = message.as_ptr_range();
        let is_slice_of_message =
            || within.start <= part.as_ptr() && part.as_ptr_range().end <= within.end;
        if part.len() < LARGE_PART || !is_slice_of_message() {
            self.buffer.extend_from_slice(part);
            return;
        }
        self.close_buffer();
        self.parts.push(message.slice_ref(part));
    }

    /// Everything gathered, once a large part is waiting or the buffer is full enough to send.
    fn take_ready(&mut self) -> Option<Vec<Bytes>> {
        (!self.parts.is_empty() || self.buffer.len() >= SEND_BUFFER).then(|| self.take())
    }

    /// Everything gathered.
    fn take(&mut self) -> Vec<Bytes> {
        self.close_buffer();
        std::mem::take(&mut self.parts)
    }

    fn close_buffer(&mut self) {
        if !self.buffer.is_empty() {
            let full = std::mem::replace(&mut self.buffer, Outgoing::fresh_buffer());
            self.parts.push(Bytes::from(full));
        }
    }
}

/// An error of the target while it loads `table`. When the target refused a value of a ruled
/// column (its type, a constraint), the error names the column or constraint and the rules,
/// and keeps the database's message but none of its context or detail, which quote the value.
fn load_error(table: &TableCopy, error: sqlx::Error) -> CopyError {
    // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): a value
    // the target would not take; anything else is the database's own trouble.
    let Some(refusal) = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
        .filter(|e| e.code().starts_with("22") || e.code().starts_with("23"))
    else {
        return CopyError::Database {
            table: table.name.clone(),
            source: error,
        };
    };
    let rule_of = |column: &str| {
        table
            .rules
            .rules
            .iter()
            .find(|(position, _)| table.column_names[*position] == column)
            .map(|(_, rule)| rule.transform)
    };
    // The context of a refused field: `COPY t, line 3, column email: "…"`.
    let column = refusal
        .r#where()
        .and_then(|context| context.split(", column ").nth(1))
        .and_then(|rest| rest.split(':').next())
        .map(str::to_owned);
    let ruled = match column.as_deref() {
        Some(column) => rule_of(column)
            .map(|rule| format!("{column} = '{rule}'"))
            .unwrap_or_else(|| format!("{column} (no rule)")),
        None => table
            .rules
            .rules
            .iter()
            .map(|(position, rule)| {
                format!("{} = '{}'", table.column_names[*position], rule.transform)
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    CopyError::Load {
        table: table.name.clone(),
        column,
        ruled,
        reason: refusal.message().to_owned(),
    }
}

/// The rows of one piece on their way: split from the source's COPY stream, rewritten by
/// the rules and buffered for the target.
struct Rewriter<'a> {
    table: &'a TableCopy,
    piece: usize,
    mode: Mode,
    transformer: RowTransformer<'a>,
    lines: RowSplitter,
    tuples: TupleReader,
    out: Outgoing,
    collector: TokenCollector,
}

impl<'a> Rewriter<'a> {
    fn new(table: &'a TableCopy, piece: usize, collector: &TokenCollector) -> Rewriter<'a> {
        let mode = match (table.is_pass_through(), table.binary) {
            (true, binary) => Mode::Pipe {
                parsed: !collector.is_empty(),
                binary,
            },
            (false, false) => Mode::Text,
            (false, true) => Mode::Binary,
        };
        let mut out = Outgoing::new();
        if mode == Mode::Binary {
            out.buffer.extend_from_slice(&copy_binary::header());
        }
        Rewriter {
            table,
            piece,
            mode,
            transformer: RowTransformer::new(table),
            lines: RowSplitter::default(),
            tuples: TupleReader::default(),
            out,
            collector: collector.clone(),
        }
    }

    /// Rewrites one chunk of the source's stream into the buffer; the tokens of its rows, as
    /// read and as written, go to `spool`.
    fn push(&mut self, chunk: &Bytes, keyer: &Keyer, spool: &mut Spool) -> Result<(), CopyError> {
        let Rewriter {
            transformer,
            out,
            collector,
            ..
        } = self;
        let pushed = match self.mode {
            Mode::Pipe {
                parsed: false,
                binary,
            } => {
                if !binary {
                    transformer.rows += chunk.iter().filter(|&&byte| byte == b'\n').count() as u64;
                }
                out.extend_from(chunk, chunk);
                return Ok(());
            }
            Mode::Pipe {
                parsed: true,
                binary: false,
            } => {
                out.extend_from(chunk, chunk);
                self.lines
                    .push(chunk, |row| {
                        transformer.split(row);
                        let field = |index| (transformer.text_field(row, index), true);
                        collector.row(field, |_| None, spool);
                        transformer.rows += 1;
                        Ok(())
                    })
                    .map_err(TupleError::Row)
            }
            Mode::Pipe {
                parsed: true,
                binary: true,
            } => {
                out.extend_from(chunk, chunk);
                self.tuples.push(chunk, |fields| {
                    let field = |index: usize| (fields.get(index).copied().flatten(), false);
                    collector.row(field, |_| None, spool);
                    transformer.rows += 1;
                    Ok(())
                })
            }
            Mode::Text => self
                .lines
                .push(chunk, |row| {
                    transformer.transform(row, chunk, keyer, out)?;
                    let field = |index| (transformer.text_field(row, index), true);
                    let field = |index| transformer.unless_kept(index, field(index));
                    collector.row(field, |index| transformer.rewritten(index), spool);
                    Ok(())
                })
                .map_err(TupleError::Row),
            Mode::Binary => self.tuples.push(chunk, |fields| {
                transformer.transform_binary(fields, chunk, keyer, out)?;
                let field = |index: usize| (fields.get(index).copied().flatten(), false);
                let field = |index| transformer.unless_kept(index, field(index));
                collector.row(field, |index| transformer.rewritten(index), spool);
                Ok(())
            }),
        };
        pushed.map_err(|error| match error {
            TupleError::Row(error) => self.row_error(error),
            TupleError::Stream(error) => CopyError::Stream {
                table: self.table.name.clone(),
                reason: error.to_string(),
            },
        })
    }

    /// Rows read so far (all but those of a binary pipe that nothing parses).
    fn rows(&self) -> u64 {
        self.transformer.rows
    }

    /// What is left to send (with the binary trailer) and the rows read; an error when the
    /// source's last row was incomplete.
    fn finish(mut self) -> Result<(Vec<Bytes>, u64), CopyError> {
        let incomplete = match self.mode {
            Mode::Pipe { .. } => false,
            Mode::Text => self.lines.leftover().is_some(),
            Mode::Binary => self.tuples.leftover(),
        };
        if incomplete {
            return Err(CopyError::Truncated {
                table: self.table.name.clone(),
            });
        }
        if self.mode == Mode::Binary {
            self.out.buffer.extend_from_slice(&copy_binary::TRAILER);
        }
        Ok((self.out.take(), self.transformer.rows))
    }

    /// The error of the row after the last one rewritten.
    fn row_error(&self, error: RowError) -> CopyError {
        let table = self.table.name.clone();
        let row = self.transformer.rows + 1;
        match error {
            RowError::Transform(position, reason) => CopyError::Transform {
                column: self.table.column_names[position].clone(),
                table,
                row,
                piece: self.piece,
                reason,
            },
            RowError::FieldCount { expected, got } => CopyError::FieldCount {
                table,
                row,
                expected,
                got,
            },
        }
    }
}

/// How a piece travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No rule: bytes go through as they came; rows are parsed only to collect source
    /// tokens (unparsed text rows are counted by their newlines).
    Pipe { parsed: bool, binary: bool },
    /// Text rows, ruled fields decoded and re-encoded.
    Text,
    /// Binary tuples, ruled (text-like) fields rewritten.
    Binary,
}

/// Rewrites rows of one table: decodes only the fields its rules need.
struct RowTransformer<'a> {
    table: &'a TableCopy,
    /// Rule index by field position.
    rule_of_field: Vec<Option<usize>>,
    /// Field positions to decode (ruled columns and what templates read).
    decode_fields: Vec<usize>,
    /// Catalog position of each field.
    field_columns: Vec<usize>,
    /// Decoded values by catalog position.
    values: Vec<Option<String>>,
    /// What the rules wrote in the last row, by field (for the token scan).
    outputs: Vec<Option<String>>,
    /// Whether a rule kept the field's value of the last row on purpose (a condition chose
    /// `keep`): the token scan leaves it out, as it does public columns.
    kept: Vec<bool>,
    /// By rule: recent outputs, for rules that read no other column.
    caches: Vec<Option<OutputCache>>,
    fields: Vec<(usize, usize)>,
    rows: u64,
}

impl<'a> RowTransformer<'a> {
    fn new(table: &'a TableCopy) -> Self {
        // The conditions' results follow the copied columns in the source's rows, and the
        // catalog's columns in the values the rules read.
        let width = table.column_names.len();
        let field_columns: Vec<usize> = table
            .columns
            .iter()
            .copied()
            .chain((0..table.rules.conditions.len()).map(|condition| width + condition))
            .collect();
        let field_of =
            |catalog_position: usize| field_columns.iter().position(|&c| c == catalog_position);
        let mut rule_of_field = vec![None; field_columns.len()];
        let mut decode_fields = Vec::new();
        for (index, (position, rule)) in table.rules.rules.iter().enumerate() {
            if let Some(field) = field_of(*position) {
                rule_of_field[field] = Some(index);
                decode_fields.push(field);
            }
            decode_fields.extend(rule.reads().into_iter().filter_map(field_of));
        }
        decode_fields.sort_unstable();
        decode_fields.dedup();
        RowTransformer {
            table,
            rule_of_field,
            decode_fields,
            values: vec![None; width + table.rules.conditions.len()],
            field_columns,
            outputs: vec![None; table.columns.len()],
            kept: vec![false; table.columns.len()],
            caches: table
                .rules
                .rules
                .iter()
                .map(|(_, rule)| rule.reads().is_empty().then(OutputCache::default))
                .collect(),
            fields: Vec::with_capacity(table.column_count),
            rows: 0,
        }
    }

    /// Appends the rewritten row (with its newline) to `out`; `row` is read from `message`.
    /// An error gives the catalog position of the column and the reason.
    fn transform(
        &mut self,
        row: &[u8],
        message: &Bytes,
        keyer: &Keyer,
        out: &mut Outgoing,
    ) -> Result<(), RowError> {
        self.split(row);
        if self.fields.len() != self.rule_of_field.len() {
            return Err(RowError::FieldCount {
                expected: self.rule_of_field.len(),
                got: self.fields.len(),
            });
        }
        for &field in &self.decode_fields {
            let (from, to) = self.fields[field];
            copy_text::decode_into(&row[from..to], &mut self.values[self.field_columns[field]]);
        }
        for field in 0..self.table.column_count {
            let (from, to) = self.fields[field];
            if field > 0 {
                out.buffer.push(b'\t');
            }
            match self.rule_of_field[field] {
                None => out.extend_from(message, &row[from..to]),
                Some(rule_index) => {
                    let output = self.apply(rule_index, field, keyer)?;
                    copy_text::encode(output.as_deref(), &mut out.buffer);
                    self.outputs[field] = output;
                }
            }
        }
        out.buffer.push(b'\n');
        self.rows += 1;
        Ok(())
    }

    /// Splits a text row into its fields' spans.
    fn split(&mut self, row: &[u8]) {
        self.fields.clear();
        let mut start = 0;
        for (index, &byte) in row.iter().enumerate() {
            if byte == b'\t' {
                self.fields.push((start, index));
                start = index + 1;
            }
        }
        self.fields.push((start, row.len()));
    }

    /// Field `index` of the text row last split, still escaped; `None` for NULL.
    fn text_field<'r>(&self, row: &'r [u8], index: usize) -> Option<&'r [u8]> {
        let (from, to) = self.fields.get(index).copied()?;
        Some(&row[from..to]).filter(|value| *value != b"\\N")
    }

    /// `field` as the token scan reads field `index` of the last row: no source value when a
    /// rule kept it on purpose.
    fn unless_kept<'r>(
        &self,
        index: usize,
        field: (Option<&'r [u8]>, bool),
    ) -> (Option<&'r [u8]>, bool) {
        if self.kept.get(index).copied().unwrap_or(false) {
            (None, field.1)
        } else {
            field
        }
    }

    /// What the rule of field `index` wrote in the last row (`Some(None)` for NULL); `None`
    /// when the field has no rule.
    fn rewritten(&self, index: usize) -> Option<Option<&str>> {
        self.rule_of_field[index].map(|_| self.outputs[index].as_deref())
    }

    /// Appends the rewritten binary tuple, read from `message`, to `out`.
    fn transform_binary(
        &mut self,
        fields: &[Option<&[u8]>],
        message: &Bytes,
        keyer: &Keyer,
        out: &mut Outgoing,
    ) -> Result<(), RowError> {
        if fields.len() != self.rule_of_field.len() {
            return Err(RowError::FieldCount {
                expected: self.rule_of_field.len(),
                got: fields.len(),
            });
        }
        for &field in &self.decode_fields {
            let slot = &mut self.values[self.field_columns[field]];
            copy_text::fill_slot(slot, fields[field], |bytes, out| {
                out.extend_from_slice(bytes)
            });
        }
        copy_binary::write_count(self.table.column_count, &mut out.buffer);
        for (field, raw) in fields.iter().enumerate().take(self.table.column_count) {
            match self.rule_of_field[field] {
                None => {
                    copy_binary::write_length(raw.map(<[u8]>::len), &mut out.buffer);
                    if let Some(raw) = raw {
                        out.extend_from(message, raw);
                    }
                }
                Some(rule_index) => {
                    let output = self.apply(rule_index, field, keyer)?;
                    let out = &mut out.buffer;
                    match self.table.writers[field] {
                        None => copy_binary::write_field(output.as_deref().map(str::as_bytes), out),
                        Some(writer) => copy_binary::write_text_as(writer, output.as_deref(), out)
                            .map_err(|reason| {
                                RowError::Transform(self.field_columns[field], reason)
                            })?,
                    }
                    self.outputs[field] = output;
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The new value of `field`, whose rule is `rule_index`, from the decoded values (or the
    /// rule's cache).
    fn apply(
        &mut self,
        rule_index: usize,
        field: usize,
        keyer: &Keyer,
    ) -> Result<Option<String>, RowError> {
        let (position, rule) = &self.table.rules.rules[rule_index];
        let values = &self.values;
        self.kept[field] = rule.keeps(values);
        let input = values[*position].as_deref();
        let compute = || rule.apply(input, keyer, values);
        let output = match (input, &mut self.caches[rule_index]) {
            (Some(input), Some(cache)) => cache.get_or_compute(input, compute),
            _ => compute(),
        };
        output.map_err(|reason| RowError::Transform(*position, reason))
    }
}
