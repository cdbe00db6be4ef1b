//! Where the token scan keeps its tokens: not in memory but in temporary files, so that its
//! memory stays flat however large the databases. Every token is a 64-bit keyed hash, written
//! with what it belongs to (the source, or one value of one staging column) into one of
//! [`PARTITIONS`] files chosen by the hash. The scan then joins one partition at a time: a
//! set of that partition's source hashes, probed by that partition's staging tokens. A
//! partition of more than a million records is first split by the next bits of the hash, so
//! the set stays small however large the databases. Memory is that set, and the hits (none
//! when nothing leaked).

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use foldhash::fast::RandomState;

/// Files the hashes are spread over.
pub const PARTITIONS: usize = 16;

/// The value number of a source token's record.
const SOURCE: u32 = u32::MAX;

/// Bytes of a record: value number, column and kind, hash.
const RECORD: usize = 16;

/// The kinds of tokens searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    Email,
    Phone,
    Card,
}

impl TokenKind {
    /// How a message names it.
    pub fn noun(self) -> &'static str {
        match self {
            TokenKind::Email => "e-mail address",
            TokenKind::Phone => "phone number",
            TokenKind::Card => "card number",
        }
    }

    fn from_bits(bits: u32) -> TokenKind {
        match bits & 3 {
            0 => TokenKind::Email,
            1 => TokenKind::Phone,
            _ => TokenKind::Card,
        }
    }
}

/// A hasher for keys that are hashes already: the set's buckets come from the token's keyed
/// hash as it is, so a lookup is one memory access.
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

/// The tokens one copy worker (or one read of a database) found, on their way to disk. The
/// hash (foldhash: fast on short keys, 64 bits) is seeded at random for each run and shared
/// by every spool of the run, so the files say nothing about the values outside it.
pub struct Spool {
    hasher: RandomState,
    files: Vec<BufWriter<File>>,
    /// The first write error; reported when the spool is finished.
    error: Option<io::Error>,
    /// Staging values started so far (the number of the next one).
    values: u32,
    column: u32,
    value_numbered: bool,
    value_has_phone: bool,
    /// By column: staging values holding anything phone-shaped.
    phone_shaped: BTreeMap<u32, u64>,
}

impl Spool {
    /// An empty spool hashing with `hasher`, in new unnamed temporary files.
    pub fn new(hasher: RandomState) -> io::Result<Spool> {
        let files = (0..PARTITIONS)
            .map(|_| temporary())
            .collect::<io::Result<_>>()?;
        Ok(Spool {
            hasher,
            files,
            error: None,
            values: 0,
            column: 0,
            value_numbered: false,
            value_has_phone: false,
            phone_shaped: BTreeMap::new(),
        })
    }

    /// The keyed hash of a token.
    pub fn hash(&self, kind: TokenKind, token: &[u8]) -> u64 {
        self.hasher.hash_one((kind, token))
    }

    /// A token of the source, by its hash.
    pub fn source(&mut self, hash: u64) {
        self.write(SOURCE, 0, hash);
    }

    /// A token of the source.
    pub fn add_source(&mut self, kind: TokenKind, token: &[u8]) {
        let hash = self.hash(kind, token);
        self.source(hash);
    }

    /// Starts a value of staging column `column` (as [`super::leaks::SpoolColumns`] numbers
    /// them); its tokens follow. Only a value with a token gets a number.
    pub fn start_value(&mut self, column: u32) {
        self.column = column;
        self.value_numbered = false;
        self.value_has_phone = false;
    }

    /// A token of the staging value started last, by its hash.
    pub fn staging(&mut self, kind: TokenKind, hash: u64) {
        if !self.value_numbered {
            self.value_numbered = true;
            if self.values == SOURCE - 1 && self.error.is_none() {
                self.error = Some(io::Error::other(
                    "more than 4 billion staging values with tokens in one copy worker",
                ));
            }
            self.values = (self.values + 1).min(SOURCE - 1);
        }
        if kind == TokenKind::Phone && !self.value_has_phone {
            self.value_has_phone = true;
            *self.phone_shaped.entry(self.column).or_default() += 1;
        }
        self.write(self.values - 1, self.column << 2 | kind as u32, hash);
    }

    fn write(&mut self, value: u32, tag: u32, hash: u64) {
        if self.error.is_some() {
            return;
        }
        let mut record = [0u8; RECORD];
        record[..4].copy_from_slice(&value.to_le_bytes());
        record[4..8].copy_from_slice(&tag.to_le_bytes());
        record[8..].copy_from_slice(&hash.to_le_bytes());
        if let Err(error) = self.files[partition(hash, 0)].write_all(&record) {
            self.error = Some(error);
        }
    }

    /// The spool written and rewound for reading, or the first error writing it.
    pub fn finish(self) -> io::Result<Finished> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let files = self
            .files
            .into_iter()
            .map(rewound)
            .collect::<io::Result<_>>()?;
        Ok(Finished {
            files,
            phone_shaped: self.phone_shaped,
        })
    }
}

/// Levels of partitioning at most: 16⁶ partitions.
const MAX_LEVEL: u32 = 5;

/// Records a partition may hold before the join splits it by the next bits (16 MB).
const SPLIT_RECORDS: u64 = 1 << 20;

/// Which partition a hash belongs to at `level`: four of its middle bits (the set's buckets
/// come from its low bits and its probing from its top ones, which must vary).
fn partition(hash: u64, level: u32) -> usize {
    ((hash >> (32 + 4 * level)) & 15) as usize
}

/// A new temporary file behind a buffer.
fn temporary() -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?))
}

/// A written file, rewound for reading.
fn rewound(file: BufWriter<File>) -> io::Result<File> {
    let mut file = file.into_inner().map_err(|error| error.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

/// A spool written in full.
pub struct Finished {
    files: Vec<File>,
    phone_shaped: BTreeMap<u32, u64>,
}

/// What the staging values of one column hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ColumnCounts {
    /// Values holding a source e-mail or card number.
    pub rows: u64,
    /// Values holding a source phone number (and no e-mail or card).
    pub phone_rows: u64,
    /// Values holding anything phone-shaped.
    pub phone_shaped_rows: u64,
    /// The kinds of source tokens found.
    pub kinds: Vec<TokenKind>,
}

/// What the join found.
pub struct Joined {
    /// Distinct source tokens.
    pub source_tokens: usize,
    /// By spool column: what its values hold.
    pub columns: BTreeMap<u32, ColumnCounts>,
}

/// Joins the staging tokens of every spool with the source tokens of every spool, one
/// partition at a time. Only the hits are kept (8 bytes each: none in a copy without leaks),
/// then counted by value.
pub fn join(spools: Vec<Finished>) -> io::Result<Joined> {
    join_splitting_above(spools, SPLIT_RECORDS)
}

/// [`join`], splitting partitions of more than `split_records` records.
fn join_splitting_above(spools: Vec<Finished>, split_records: u64) -> io::Result<Joined> {
    let mut columns: BTreeMap<u32, ColumnCounts> = BTreeMap::new();
    let mut hits: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut by_partition: Vec<Vec<(usize, File)>> = (0..PARTITIONS).map(|_| Vec::new()).collect();
    for (index, spool) in spools.into_iter().enumerate() {
        for (column, count) in spool.phone_shaped {
            columns.entry(column).or_default().phone_shaped_rows += count;
        }
        hits.push(Vec::new());
        for (partition, file) in spool.files.into_iter().enumerate() {
            by_partition[partition].push((index, file));
        }
    }
    let mut source_tokens = 0;
    for files in by_partition {
        source_tokens += join_partition(files, (0, split_records), &mut hits)?;
    }
    for mut hits in hits {
        hits.sort_unstable();
        for value in hits.chunk_by(|a, b| a.0 == b.0) {
            count_value(value, &mut columns);
        }
    }
    Ok(Joined {
        source_tokens,
        columns,
    })
}

/// Joins one partition's files (with the index of the spool each comes from), adding to
/// `hits`; returns its distinct source tokens. A partition too large to hold its source
/// tokens in a small set is split first, by the next four bits of the hash.
fn join_partition(
    mut files: Vec<(usize, File)>,
    (level, split_records): (u32, u64),
    hits: &mut [Vec<(u32, u32)>],
) -> io::Result<usize> {
    let mut records = 0;
    for (_, file) in &files {
        records += file.metadata()?.len() / RECORD as u64;
    }
    if records > split_records && level < MAX_LEVEL {
        let mut tokens = 0;
        for part in split(files, level + 1)? {
            tokens += join_partition(part, (level + 1, split_records), hits)?;
        }
        return Ok(tokens);
    }
    let mut set = HashSet::default();
    for (_, file) in files.iter_mut() {
        read_records(file, |value, _, hash| {
            if value == SOURCE {
                set.insert(hash);
            }
        })?;
    }
    if !set.is_empty() {
        for (index, file) in files.iter_mut() {
            let hits = &mut hits[*index];
            read_records(file, |value, tag, hash| {
                if value != SOURCE && set.contains(&hash) {
                    hits.push((value, tag));
                }
            })?;
        }
    }
    Ok(set.len())
}

/// Spreads the records of `files` over [`PARTITIONS`] new files each by their hash's bits
/// at `level`: the parts, each with its files and their spools' indexes.
fn split(files: Vec<(usize, File)>, level: u32) -> io::Result<Vec<Vec<(usize, File)>>> {
    let mut parts: Vec<Vec<(usize, File)>> = (0..PARTITIONS).map(|_| Vec::new()).collect();
    for (index, mut file) in files {
        let mut writers = (0..PARTITIONS)
            .map(|_| temporary())
            .collect::<io::Result<Vec<_>>>()?;
        let mut failed = None;
        read_raw(&mut file, |record, hash| {
            if failed.is_none()
                && let Err(error) = writers[partition(hash, level)].write_all(record)
            {
                failed = Some(error);
            }
        })?;
        if let Some(error) = failed {
            return Err(error);
        }
        for (part, writer) in writers.into_iter().enumerate() {
            parts[part].push((index, rewound(writer)?));
        }
    }
    Ok(parts)
}

/// Counts one staging value by the source tokens found in it (`(value, tag)`, one value).
fn count_value(hits: &[(u32, u32)], columns: &mut BTreeMap<u32, ColumnCounts>) {
    let counts = columns.entry(hits[0].1 >> 2).or_default();
    let mut phone_only = true;
    for &(_, tag) in hits {
        let kind = TokenKind::from_bits(tag);
        phone_only &= kind == TokenKind::Phone;
        if !counts.kinds.contains(&kind) {
            counts.kinds.push(kind);
        }
    }
    if phone_only {
        counts.phone_rows += 1;
    } else {
        counts.rows += 1;
    }
}

/// Calls `record` with every record of `file` (value number, tag, hash), then rewinds it.
fn read_records(file: &mut File, mut record: impl FnMut(u32, u32, u64)) -> io::Result<()> {
    read_raw(file, |bytes, hash| {
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        record(word(0), word(4), hash)
    })
}

/// Calls `record` with the bytes and the hash of every record of `file`, then rewinds it.
fn read_raw(file: &mut File, mut record: impl FnMut(&[u8; RECORD], u64)) -> io::Result<()> {
    let mut reader = BufReader::with_capacity(64 * 1024, &mut *file);
    let mut bytes = [0u8; RECORD];
    loop {
        match reader.read_exact(&mut bytes) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(error) => return Err(error),
        }
        let hash = u64::from_le_bytes(bytes[8..].try_into().expect("8 bytes"));
        record(&bytes, hash);
    }
    drop(reader);
    file.seek(SeekFrom::Start(0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two spools: 1,000 source e-mails in one, a source phone in the other, and staging
    /// values of two columns spread over both.
    fn spools(hasher: RandomState) -> Vec<Finished> {
        let mut first = Spool::new(hasher).expect("spool");
        let mut second = Spool::new(hasher).expect("spool");
        for n in 0..1000 {
            first.add_source(TokenKind::Email, format!("p{n}@mail.example").as_bytes());
        }
        second.add_source(TokenKind::Phone, b"442079460001");
        let staged = [
            (0, vec![(TokenKind::Email, "p7@mail.example")]),
            (0, vec![(TokenKind::Email, "fake@example.com")]),
            (1, vec![(TokenKind::Phone, "442079460001")]),
            (1, vec![(TokenKind::Phone, "15550100")]),
            (
                1,
                vec![
                    (TokenKind::Phone, "442079460001"),
                    (TokenKind::Email, "p8@mail.example"),
                ],
            ),
        ];
        for (index, (column, tokens)) in staged.iter().enumerate() {
            let spool = if index % 2 == 0 {
                &mut first
            } else {
                &mut second
            };
            spool.start_value(*column);
            for (kind, token) in tokens {
                let hash = spool.hash(*kind, token.as_bytes());
                spool.staging(*kind, hash);
            }
        }
        vec![
            first.finish().expect("first"),
            second.finish().expect("second"),
        ]
    }

    /// A source token counts in a staging value wherever the two land, in one spool or in
    /// two, and however finely the partitions are split; a value with an e-mail and a phone
    /// counts once, as an e-mail.
    #[test]
    fn joins_across_spools_and_partitions() {
        let hasher = RandomState::default();
        let joined = join(spools(hasher)).expect("joined");
        let split = join_splitting_above(spools(hasher), 4).expect("joined");
        assert_eq!(joined.source_tokens, 1001);
        assert_eq!(split.source_tokens, 1001);
        assert_eq!(joined.columns, split.columns);
        assert_eq!(
            joined.columns.get(&0),
            Some(&ColumnCounts {
                rows: 1,
                phone_rows: 0,
                phone_shaped_rows: 0,
                kinds: vec![TokenKind::Email],
            })
        );
        let column = joined.columns.get(&1).expect("column 1");
        assert_eq!(
            (column.rows, column.phone_rows, column.phone_shaped_rows),
            (1, 1, 3)
        );
    }
}
