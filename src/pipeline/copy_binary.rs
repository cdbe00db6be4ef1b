//! PostgreSQL's binary COPY format, for tables whose ruled columns are text-like (their
//! binary form is the UTF-8 text itself) or of a type whose binary form restage writes from
//! text (`date`, `inet`, `cidr`; the source sends them cast to text): tuples are split
//! without touching the other columns, which pass through as raw bytes, and the server skips
//! text conversion.
//!
//! Format: an 11-byte signature, flags and a header extension, then per tuple a 16-bit field
//! count and per field a 32-bit length (-1 for NULL) and the bytes; a count of -1 ends the data
//! (<https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>).

use std::net::IpAddr;

use crate::anonymize::transformers::date::parse_date;
use crate::catalog::BinaryWriter;
use crate::clock::{civil_from_days, days_from_civil};
use crate::error::TransformError;

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
    /// Tuples that lie whole in `chunk` are read where they are (their fields are slices of
    /// `chunk`); only an unfinished tail is kept for the next chunk.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        tuple: impl FnMut(&[Option<&[u8]>]) -> Result<(), E>,
    ) -> Result<(), TupleError<E>> {
        let mut pending = std::mem::take(&mut self.pending);
        let outcome = if pending.is_empty() {
            self.read_tuples(chunk, tuple).map(|consumed| {
                pending.extend_from_slice(&chunk[consumed..]);
            })
        } else {
            pending.extend_from_slice(chunk);
            self.read_tuples(&pending, tuple)
                .map(|consumed| drop(pending.drain(..consumed)))
        };
        self.pending = pending;
        outcome
    }

    /// Reads the header (once) and every complete tuple of `bytes`; returns how many bytes
    /// it consumed.
    fn read_tuples<E>(
        &mut self,
        bytes: &[u8],
        mut tuple: impl FnMut(&[Option<&[u8]>]) -> Result<(), E>,
    ) -> Result<usize, TupleError<E>> {
        let mut position = 0;
        if !self.header_read {
            let Some(after) = header_end(bytes) else {
                return Ok(0);
            };
            position = after.map_err(TupleError::Stream)?;
            self.header_read = true;
        }
        let mut values: Vec<Option<&[u8]>> = Vec::new();
        while !self.finished {
            match parse_tuple(bytes, position, &mut self.fields).map_err(TupleError::Stream)? {
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
                            .map(|field| field.map(|(from, to)| &bytes[from..to])),
                    );
                    tuple(&values).map_err(TupleError::Row)?;
                    position = next;
                }
            }
        }
        Ok(position)
    }

    /// Bytes left over that do not make a whole tuple.
    pub fn leftover(&self) -> bool {
        !self.pending.is_empty() || !self.finished
    }
}

/// `None` until the header is complete; then where it ends, or why it is wrong.
fn header_end(bytes: &[u8]) -> Option<Result<usize, BinaryError>> {
    if bytes.len() < 19 {
        return None;
    }
    if &bytes[..11] != SIGNATURE {
        return Some(Err(BinaryError::BadSignature));
    }
    let extension = i32::from_be_bytes(bytes[15..19].try_into().expect("4 bytes"));
    let Ok(extension) = usize::try_from(extension) else {
        return Some(Err(BinaryError::BadLength(extension)));
    };
    (bytes.len() >= 19 + extension).then_some(Ok(19 + extension))
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
    write_length(value.map(<[u8]>::len), out);
    if let Some(bytes) = value {
        out.extend_from_slice(bytes);
    }
}

/// Appends the length word of a field of `length` bytes (None = NULL), which its bytes follow.
pub fn write_length(length: Option<usize>, out: &mut Vec<u8>) {
    let word = length.map_or(-1, |length| length as i32);
    out.extend_from_slice(&word.to_be_bytes());
}

/// Appends one field of a `writer` type from the text a rule wrote (None = NULL); an error
/// when the text is not in the form PostgreSQL writes that type. The server checks ranges
/// (a date past 5874897 AD, host bits in a cidr) as it does for text.
pub fn write_text_as(
    writer: BinaryWriter,
    text: Option<&str>,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let Some(text) = text else {
        write_field(None, out);
        return Ok(());
    };
    let not_of_type = || TransformError::NotOfType(text.to_owned(), writer.type_name());
    match writer {
        BinaryWriter::Date => {
            let days = date_days(text).ok_or_else(not_of_type)?;
            write_field(Some(&days.to_be_bytes()), out);
        }
        BinaryWriter::Inet | BinaryWriter::Cidr => {
            let (address, bits) = inet_parts(text).ok_or_else(not_of_type)?;
            let mut value = [0u8; 20];
            let (family, length) = match address {
                IpAddr::V4(v4) => {
                    value[4..8].copy_from_slice(&v4.octets());
                    (PGSQL_AF_INET, 4)
                }
                IpAddr::V6(v6) => {
                    value[4..].copy_from_slice(&v6.octets());
                    (PGSQL_AF_INET6, 16)
                }
            };
            let is_cidr = u8::from(writer == BinaryWriter::Cidr);
            value[..4].copy_from_slice(&[family, bits, is_cidr, length as u8]);
            write_field(Some(&value[..4 + length]), out);
        }
        BinaryWriter::Timestamp | BinaryWriter::Timestamptz => {
            let with_zone = writer == BinaryWriter::Timestamptz;
            let micros = timestamp_micros(text, with_zone).ok_or_else(not_of_type)?;
            write_field(Some(&micros.to_be_bytes()), out);
        }
        BinaryWriter::Jsonb => {
            out.extend_from_slice(&(text.len() as i32 + 1).to_be_bytes());
            out.push(JSONB_VERSION);
            out.extend_from_slice(text.as_bytes());
        }
    }
    Ok(())
}

/// The first byte of `jsonb`'s binary form, before the document's text.
const JSONB_VERSION: u8 = 1;

/// The address families of PostgreSQL's `inet` binary form.
const PGSQL_AF_INET: u8 = 2;
const PGSQL_AF_INET6: u8 = 3;

/// Days between 1970-01-01 and PostgreSQL's date epoch, 2000-01-01.
const POSTGRES_EPOCH_DAYS: i64 = 10_957;

/// A date or timestamp as PostgreSQL writes it: `infinity`, `-infinity`, or a finite one
/// with its era (` BC` at the end for years before 1) taken off.
enum Moment<'a> {
    /// `true` for `infinity`, `false` for `-infinity`.
    Infinite(bool),
    Finite {
        text: &'a str,
        before_christ: bool,
    },
}

impl Moment<'_> {
    fn of(text: &str) -> Moment<'_> {
        match text {
            "infinity" => Moment::Infinite(true),
            "-infinity" => Moment::Infinite(false),
            _ => match text.strip_suffix(" BC") {
                Some(text) => Moment::Finite {
                    text,
                    before_christ: true,
                },
                None => Moment::Finite {
                    text,
                    before_christ: false,
                },
            },
        }
    }
}

/// The binary `date` of `YYYY-MM-DD` (` BC` after it for years before 1), `infinity` or
/// `-infinity`, as PostgreSQL writes dates with `DateStyle` ISO.
fn date_days(text: &str) -> Option<i32> {
    match Moment::of(text) {
        Moment::Infinite(future) => Some(if future { i32::MAX } else { i32::MIN }),
        Moment::Finite {
            text,
            before_christ,
        } => i32::try_from(civil_days(text, before_christ)? - POSTGRES_EPOCH_DAYS).ok(),
    }
}

/// The binary `timestamp` (`with_zone`: `timestamptz`) of PostgreSQL's ISO text:
/// `YYYY-MM-DD HH:MM:SS`, a fraction of up to six digits, for `timestamptz` the offset
/// (`+00`, `-05:30`, `+05:53:28`), then ` BC` for years before 1; or `infinity`, `-infinity`.
/// Microseconds since 2000-01-01 00:00 (UTC for `timestamptz`).
fn timestamp_micros(text: &str, with_zone: bool) -> Option<i64> {
    let (text, before_christ) = match Moment::of(text) {
        Moment::Infinite(future) => return Some(if future { i64::MAX } else { i64::MIN }),
        Moment::Finite {
            text,
            before_christ,
        } => (text, before_christ),
    };
    let (date, time) = text.split_once(' ')?;
    let days = civil_days(date, before_christ)? - POSTGRES_EPOCH_DAYS;
    let (time, offset) = if with_zone {
        let sign = time.rfind(['+', '-'])?;
        (&time[..sign], utc_offset_seconds(&time[sign..])?)
    } else {
        (time, 0)
    };
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    let seconds = clock_seconds(clock, 24, 3)?;
    let micros = match fraction {
        None => 0,
        Some(digits) if (1..=6).contains(&digits.len()) => {
            let value = number_of_digits(digits, 1)?;
            value * 10i64.pow(6 - digits.len() as u32)
        }
        Some(_) => return None,
    };
    ((days * 86_400 + seconds - offset) * 1_000_000).checked_add(micros)
}

/// `+` or `-`, then `HH`, `HH:MM` or `HH:MM:SS`: an offset from UTC as PostgreSQL writes it,
/// in seconds east.
fn utc_offset_seconds(offset: &str) -> Option<i64> {
    let (sign, clock) = match offset.split_at_checked(1)? {
        ("+", clock) => (1, clock),
        ("-", clock) => (-1, clock),
        _ => return None,
    };
    Some(sign * clock_seconds(clock, 100, 1)?)
}

/// Seconds of `HH:MM:SS`, or of its first `at_least` parts at least, the hours below `hours`.
fn clock_seconds(clock: &str, hours: i64, at_least: usize) -> Option<i64> {
    const UNITS: [i64; 3] = [3_600, 60, 1];
    let limits = [hours, 60, 61];
    let mut seconds = 0;
    let mut parts = 0;
    for (index, part) in clock.split(':').enumerate() {
        let (limit, unit) = (*limits.get(index)?, UNITS[index]);
        seconds += number_of_digits(part, 2).filter(|&n| n < limit)? * unit;
        parts += 1;
    }
    (parts >= at_least).then_some(seconds)
}

/// The number of a run of at least `min` ASCII digits.
fn number_of_digits(text: &str, min: usize) -> Option<i64> {
    if text.len() < min || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days since 1970-01-01 of an ISO `YYYY-MM-DD` (of a year before 1 when `before_christ`).
fn civil_days(date: &str, before_christ: bool) -> Option<i64> {
    let (year, month, day) = parse_date(date)?;
    if year < 1 || date.split('-').next().is_none_or(|y| y.len() < 4) {
        return None;
    }
    // Year 1 BC is year 0 of the proleptic Gregorian calendar.
    let year = if before_christ { 1 - year } else { year };
    let days = days_from_civil(year, month, day);
    // A day the month does not have (February 30th) does not come back the same.
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// The address and prefix length of an `inet` or `cidr` as PostgreSQL writes it: the
/// address, then `/bits` unless it is the whole address.
fn inet_parts(text: &str) -> Option<(IpAddr, u8)> {
    let (address, bits) = match text.split_once('/') {
        Some((address, bits)) => (address, Some(bits)),
        None => (text, None),
    };
    let address: IpAddr = address.parse().ok()?;
    let width = if address.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(bits) => bits.parse::<u8>().ok().filter(|&bits| bits <= width)?,
        None => width,
    };
    Some((address, bits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written(writer: BinaryWriter, text: &str) -> Result<Vec<u8>, TransformError> {
        let mut out = Vec::new();
        write_text_as(writer, Some(text), &mut out)?;
        assert_eq!(
            i32::from_be_bytes(out[..4].try_into().expect("length")) as usize,
            out.len() - 4
        );
        Ok(out[4..].to_vec())
    }

    #[test]
    fn dates_are_days_since_2000_as_postgresql_counts_them() {
        let days = |text| {
            written(BinaryWriter::Date, text)
                .map(|b| i32::from_be_bytes(b.try_into().expect("4 bytes")))
        };
        // Reference values: SELECT d - date '2000-01-01'.
        for (text, expected) in [
            ("2000-01-01", 0),
            ("1999-12-31", -1),
            ("2000-03-01", 60),
            ("1970-01-01", -10_957),
            ("2024-02-29", 8_825),
            ("0001-01-01", -730_119),
            ("0001-12-31 BC", -730_120),
            ("0044-03-15 BC", -746_117),
            ("10000-01-01", 2_921_940),
            ("infinity", i32::MAX),
            ("-infinity", i32::MIN),
        ] {
            assert_eq!(days(text).ok(), Some(expected), "{text}");
        }
        for text in [
            "2023-02-29",
            "2023-13-01",
            "0000-01-01",
            "23-01-01",
            "01/02/2000",
            "2000-01-01 12:00",
            "",
        ] {
            assert!(
                matches!(days(text), Err(TransformError::NotOfType(_, "date"))),
                "{text}"
            );
        }
    }

    /// Reference values: PostgreSQL's own `timestamp_send` / `timestamptz_send`.
    #[test]
    fn timestamps_are_microseconds_since_2000_as_postgresql_sends_them() {
        let micros = |writer, text| {
            written(writer, text).map(|b| i64::from_be_bytes(b.try_into().expect("8 bytes")))
        };
        for (text, expected) in [
            ("2000-01-01 00:00:00+00", 0),
            ("2024-02-29 23:59:59.5+00", 762_566_399_500_000),
            ("2000-01-01 04:30:00+00", 16_200_000_000),
            ("1999-12-31 23:00:00-05:30", 16_200_000_000),
            ("0044-03-15 10:00:00.000001+00 BC", -64_464_472_799_999_999),
            ("2020-06-01 12:34:56.789+00", 644_330_096_789_000),
            ("1899-12-31 19:32:20-04:27:40", -3_155_673_600_000_000),
            ("2020-01-01 05:30:00+05", 631_153_800_000_000),
            ("infinity", i64::MAX),
            ("-infinity", i64::MIN),
        ] {
            assert_eq!(
                micros(BinaryWriter::Timestamptz, text).ok(),
                Some(expected),
                "{text}"
            );
        }
        for (text, expected) in [
            ("2000-01-01 00:00:01", 1_000_000),
            ("1970-01-01 00:00:00", -946_684_800_000_000),
            ("0001-12-31 23:59:59 BC", -63_082_281_601_000_000),
            ("10000-01-01 00:00:00", 252_455_616_000_000_000),
            ("2000-01-01 00:00:00.123", 123_000),
        ] {
            assert_eq!(
                micros(BinaryWriter::Timestamp, text).ok(),
                Some(expected),
                "{text}"
            );
        }
        for text in [
            "2000-01-01",
            "2000-01-01 24:00:00",
            "2000-01-01 10:60:00",
            "2000-01-01 10:00:00.1234567",
            "2000-01-01 10:00",
            "2000-02-30 10:00:00",
            "2000-01-01T10:00:00",
        ] {
            assert!(written(BinaryWriter::Timestamp, text).is_err(), "{text}");
        }
        // A timestamptz needs its offset.
        assert!(written(BinaryWriter::Timestamptz, "2000-01-01 10:00:00").is_err());
    }

    #[test]
    fn addresses_take_inet_s_binary_form() {
        assert_eq!(
            written(BinaryWriter::Inet, "10.1.2.3").ok(),
            Some(vec![2, 32, 0, 4, 10, 1, 2, 3])
        );
        assert_eq!(
            written(BinaryWriter::Inet, "10.1.2.3/8").ok(),
            Some(vec![2, 8, 0, 4, 10, 1, 2, 3])
        );
        assert_eq!(
            written(BinaryWriter::Cidr, "10.0.0.0/8").ok(),
            Some(vec![2, 8, 1, 4, 10, 0, 0, 0])
        );
        let mut v6 = vec![3, 128, 0, 16, 0x20, 0x01, 0x0d, 0xb8];
        v6.extend([0; 11]);
        v6.push(1);
        assert_eq!(written(BinaryWriter::Inet, "2001:db8::1").ok(), Some(v6));
        for text in ["10.1.2", "10.1.2.3/33", "::1/129", "host", "10.1.2.3/x"] {
            assert!(written(BinaryWriter::Inet, text).is_err(), "{text}");
        }
    }

    #[test]
    fn jsonb_is_its_version_then_its_text() {
        assert_eq!(
            written(BinaryWriter::Jsonb, "{\"a\": 1}").ok(),
            Some(b"\x01{\"a\": 1}".to_vec())
        );
        let mut out = Vec::new();
        write_text_as(BinaryWriter::Jsonb, None, &mut out).expect("NULL");
        assert_eq!(out, (-1i32).to_be_bytes());
    }

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
