//! PostgreSQL's binary COPY format, for tables whose ruled columns are all text-like (their
//! binary form is the UTF-8 text itself): tuples are split without touching the other
//! columns, which pass through as raw bytes, and the server skips text conversion.
//!
//! Format: an 11-byte signature, flags and a header extension, then per tuple a 16-bit field
//! count and per field a 32-bit length (-1 for NULL) and the bytes; a count of -1 ends the data
//! (<https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>).

/// The file signature.
pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// The header restage writes: signature, no flags, no extension.
pub fn header() -> Vec<u8> {
    let mut header = SIGNATURE.to_vec();
    header.extend_from_slice(&0i32.to_be_bytes());
    header.extend_from_slice(&0i32.to_be_bytes());
    header
}

/// The end-of-data marker.
pub const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// Why a binary stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryError {
    BadSignature,
    BadLength(i32),
}

impl std::fmt::Display for BinaryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BinaryError::BadSignature => f.write_str("not a binary COPY stream (bad signature)"),
            BinaryError::BadLength(length) => {
                write!(f, "invalid field length {length} in a binary COPY stream")
            }
        }
    }
}

/// Reassembles tuples from the chunks of a binary COPY stream.
#[derive(Debug, Default)]
pub struct TupleReader {
    pending: Vec<u8>,
    header_read: bool,
    /// The end-of-data marker was seen.
    pub finished: bool,
    fields: Vec<Option<(usize, usize)>>,
}

/// What a tuple callback can fail with: the stream, or the caller's own error.
#[derive(Debug)]
pub enum TupleError<E> {
    Stream(BinaryError),
    Row(E),
}

impl TupleReader {
    /// Feeds one chunk; calls `tuple` with the fields (None = NULL) of every complete tuple.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut tuple: impl FnMut(&[Option<&[u8]>]) -> Result<(), E>,
    ) -> Result<(), TupleError<E>> {
        self.pending.extend_from_slice(chunk);
        let mut position = 0;
        if !self.header_read {
            let Some(after) = self.header_end() else {
                return Ok(());
            };
            position = after.map_err(TupleError::Stream)?;
            self.header_read = true;
        }
        let mut values: Vec<Option<&[u8]>> = Vec::new();
        while !self.finished {
            match parse_tuple(&self.pending, position, &mut self.fields)
                .map_err(TupleError::Stream)?
            {
                Parsed::Incomplete => break,
                Parsed::End(next) => {
                    self.finished = true;
                    position = next;
                }
                Parsed::Tuple(next) => {
                    values.clear();
                    values.extend(
                        self.fields
                            .iter()
                            .map(|field| field.map(|(from, to)| &self.pending[from..to])),
                    );
                    tuple(&values).map_err(TupleError::Row)?;
                    position = next;
                }
            }
        }
        self.pending.drain(..position);
        Ok(())
    }

    /// Bytes left over that do not make a whole tuple.
    pub fn leftover(&self) -> bool {
        !self.pending.is_empty() || !self.finished
    }

    /// `None` until the header is complete; then where it ends, or why it is wrong.
    fn header_end(&self) -> Option<Result<usize, BinaryError>> {
        if self.pending.len() < 19 {
            return None;
        }
        if &self.pending[..11] != SIGNATURE {
            return Some(Err(BinaryError::BadSignature));
        }
        let extension = i32::from_be_bytes(self.pending[15..19].try_into().expect("4 bytes"));
        let Ok(extension) = usize::try_from(extension) else {
            return Some(Err(BinaryError::BadLength(extension)));
        };
        (self.pending.len() >= 19 + extension).then_some(Ok(19 + extension))
    }
}

enum Parsed {
    Incomplete,
    End(usize),
    Tuple(usize),
}

fn parse_tuple(
    bytes: &[u8],
    start: usize,
    fields: &mut Vec<Option<(usize, usize)>>,
) -> Result<Parsed, BinaryError> {
    let Some(count) = bytes.get(start..start + 2) else {
        return Ok(Parsed::Incomplete);
    };
    let count = i16::from_be_bytes([count[0], count[1]]);
    if count == -1 {
        return Ok(Parsed::End(start + 2));
    }
    fields.clear();
    let mut position = start + 2;
    for _ in 0..count.max(0) {
        let Some(length) = bytes.get(position..position + 4) else {
            return Ok(Parsed::Incomplete);
        };
        let length = i32::from_be_bytes([length[0], length[1], length[2], length[3]]);
        position += 4;
        if length == -1 {
            fields.push(None);
            continue;
        }
        let length = usize::try_from(length).map_err(|_| BinaryError::BadLength(length))?;
        if bytes.len() < position + length {
            return Ok(Parsed::Incomplete);
        }
        fields.push(Some((position, position + length)));
        position += length;
    }
    Ok(Parsed::Tuple(position))
}

/// Appends the field count of a tuple.
pub fn write_count(count: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(count as i16).to_be_bytes());
}

/// Appends one field (None = NULL).
pub fn write_field(value: Option<&[u8]>, out: &mut Vec<u8>) {
    match value {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(bytes) => {
            out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream(rows: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
        let mut out = header();
        for row in rows {
            write_count(row.len(), &mut out);
            for field in row {
                write_field(field.as_deref(), &mut out);
            }
        }
        out.extend_from_slice(&TRAILER);
        out
    }

    proptest! {
        #[test]
        fn tuples_round_trip_whatever_the_chunking(
            rows in proptest::collection::vec(proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)), 1..5), 0..20),
            chunk in 1usize..64,
        ) {
            let bytes = stream(&rows);
            let mut reader = TupleReader::default();
            let mut seen: Vec<Vec<Option<Vec<u8>>>> = Vec::new();
            for piece in bytes.chunks(chunk) {
                reader.push::<()>(piece, |fields| {
                    seen.push(fields.iter().map(|field| field.map(<[u8]>::to_vec)).collect());
                    Ok(())
                }).map_err(|_| TestCaseError::fail("stream error"))?;
            }
            prop_assert!(!reader.leftover());
            prop_assert_eq!(seen, rows);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut with_header = header();
            with_header.extend_from_slice(&bytes);
            for input in [bytes.clone(), with_header] {
                let mut reader = TupleReader::default();
                let _ = reader.push::<()>(&input, |_| Ok(()));
            }
        }
    }
}
