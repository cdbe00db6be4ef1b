//! PostgreSQL's COPY text format: rows split from a byte stream, fields split and decoded
//! only when a rule needs them, values encoded back. Columns without a rule are never decoded:
//! their raw bytes go out exactly as they came in.
//!
//! Format: one row per line (`\n`), fields separated by a tab, `\N` for NULL, and backslash
//! escapes for backslash, newline, carriage return, tab and others inside values
//! (<https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2>).

/// Collects chunks of a COPY stream and hands out complete rows (without their `\n`).
#[derive(Debug, Default)]
pub struct RowSplitter {
    pending: Vec<u8>,
}

impl RowSplitter {
    /// Feeds one chunk; calls `row` for every row it completes.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut row: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        if !self.pending.is_empty() {
            let Some(end) = memchr(rest) else {
                self.pending.extend_from_slice(rest);
                return Ok(());
            };
            self.pending.extend_from_slice(&rest[..end]);
            let pending = std::mem::take(&mut self.pending);
            row(&pending)?;
            rest = &rest[end + 1..];
        }
        while let Some(end) = memchr(rest) {
            row(&rest[..end])?;
            rest = &rest[end + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(())
    }

    /// The bytes of an unfinished last row, if the stream ended inside one.
    pub fn leftover(&self) -> Option<&[u8]> {
        (!self.pending.is_empty()).then_some(self.pending.as_slice())
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&byte| byte == b'\n')
}

/// The raw (still escaped) fields of a row. A raw tab always separates fields: tabs inside
/// values are escaped.
pub fn fields(row: &[u8]) -> impl Iterator<Item = &[u8]> {
    row.split(|&byte| byte == b'\t')
}

/// A field's value; `None` for NULL (`\N`). Invalid UTF-8 is replaced, which only happens
/// when the server sends another client encoding than the UTF-8 restage asks for.
pub fn decode(field: &[u8]) -> Option<String> {
    let mut value = None;
    decode_into(field, &mut value);
    value
}

/// [`decode`] into `slot`, reusing the string it holds: one allocation per column and
/// piece, not one per value.
pub fn decode_into(field: &[u8], slot: &mut Option<String>) {
    fill_slot(slot, (field != b"\\N").then_some(field), unescape);
}

/// Sets `slot` to what `fill` writes of `value` (`None` for NULL), reusing the string it
/// holds. Invalid UTF-8 is replaced.
pub fn fill_slot(
    slot: &mut Option<String>,
    value: Option<&[u8]>,
    fill: impl FnOnce(&[u8], &mut Vec<u8>),
) {
    let mut bytes = slot.take().map(String::into_bytes).unwrap_or_default();
    *slot = value.map(|value| {
        bytes.clear();
        fill(value, &mut bytes);
        String::from_utf8(bytes)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    });
}

/// Appends the value of an escaped field to `bytes`.
fn unescape(field: &[u8], bytes: &mut Vec<u8>) {
    if !field.contains(&b'\\') {
        bytes.extend_from_slice(field);
        return;
    }
    let mut index = 0;
    while index < field.len() {
        let byte = field[index];
        index += 1;
        if byte != b'\\' || index == field.len() {
            bytes.push(byte);
            continue;
        }
        let escaped = field[index];
        index += 1;
        match escaped {
            b'b' => bytes.push(0x08),
            b'f' => bytes.push(0x0c),
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'v' => bytes.push(0x0b),
            b'0'..=b'7' => {
                let mut value = u32::from(escaped - b'0');
                for _ in 0..2 {
                    match field.get(index) {
                        Some(digit @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(digit - b'0');
                            index += 1;
                        }
                        _ => break,
                    }
                }
                bytes.push((value & 0xff) as u8);
            }
            b'x' if field.get(index).is_some_and(u8::is_ascii_hexdigit) => {
                let mut value = 0u32;
                for _ in 0..2 {
                    match field
                        .get(index)
                        .and_then(|digit| char::from(*digit).to_digit(16))
                    {
                        Some(digit) => {
                            value = value * 16 + digit;
                            index += 1;
                        }
                        None => break,
                    }
                }
                bytes.push(value as u8);
            }
            other => bytes.push(other),
        }
    }
}

/// Appends a value in COPY text form (`\N` for NULL).
pub fn encode(value: Option<&str>, out: &mut Vec<u8>) {
    match value {
        Some(value) => escape(value.as_bytes(), out),
        None => out.extend_from_slice(b"\\N"),
    }
}

/// The letter `COPY … TO STDOUT` writes after a backslash for `byte`, if it escapes it.
fn escape_letter(byte: u8) -> Option<u8> {
    match byte {
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0c => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        0x0b => Some(b'v'),
        _ => None,
    }
}

/// Whether `value` has a byte that [`escape`] escapes.
pub fn needs_escape(value: &[u8]) -> bool {
    // The bytes escaped are 0x08 to 0x0d and the backslash; a fold without an early exit
    // is vectorized, and it runs on every value the token scan reads.
    let found = value.iter().fold(0u8, |found, &byte| {
        found | u8::from(byte.wrapping_sub(0x08) < 6) | u8::from(byte == b'\\')
    });
    found != 0
}

/// Appends `value` escaped exactly as `COPY … TO STDOUT` writes text (so that what is
/// written is also what the server would send back).
pub fn escape(value: &[u8], out: &mut Vec<u8>) {
    if !needs_escape(value) {
        out.extend_from_slice(value);
        return;
    }
    for &byte in value {
        match escape_letter(byte) {
            Some(letter) => out.extend_from_slice(&[b'\\', letter]),
            None => out.push(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn needs_escape_exactly_for_the_bytes_escape_escapes() {
        for byte in 0..=u8::MAX {
            let value = [b'a', byte, b'z'];
            assert_eq!(
                needs_escape(&value),
                escape_letter(byte).is_some(),
                "byte {byte:#04x}"
            );
        }
    }

    #[test]
    fn decodes_every_escape() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"\\N", None),
            (b"", Some("")),
            (b"plain", Some("plain")),
            (b"a\\tb\\nc\\\\d\\re", Some("a\tb\nc\\d\re")),
            (b"\\b\\f\\v", Some("\u{8}\u{c}\u{b}")),
            (b"\\101\\x42\\7", Some("AB\u{7}")),
            (b"\\N\\N", Some("NN")),
            (b"caf\xc3\xa9", Some("café")),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                decode(raw).as_deref(),
                *expected,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn splits_rows_across_chunks() {
        let mut splitter = RowSplitter::default();
        let mut rows = Vec::new();
        for chunk in [&b"a\tb\nc"[..], b"d\te", b"\n", b"f\n"] {
            splitter
                .push::<()>(chunk, |row| {
                    rows.push(row.to_vec());
                    Ok(())
                })
                .expect("no error");
        }
        assert_eq!(rows, [b"a\tb".to_vec(), b"cd\te".to_vec(), b"f".to_vec()]);
        assert!(splitter.leftover().is_none());
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_exact(value in proptest::option::of(".*")) {
            let mut encoded = Vec::new();
            encode(value.as_deref(), &mut encoded);
            prop_assert!(!encoded.contains(&b'\t') && !encoded.contains(&b'\n'));
            prop_assert_eq!(decode(&encoded), value);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_rows_reassemble(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            cut in 0usize..512,
        ) {
            let cut = cut.min(bytes.len());
            let mut splitter = RowSplitter::default();
            let mut rows: Vec<Vec<u8>> = Vec::new();
            for chunk in [&bytes[..cut], &bytes[cut..]] {
                splitter.push::<()>(chunk, |row| {
                    for field in fields(row) {
                        let _ = decode(field);
                    }
                    rows.push(row.to_vec());
                    Ok(())
                }).expect("no error");
            }
            let mut rebuilt: Vec<u8> = rows.iter().flat_map(|row| row.iter().copied().chain([b'\n'])).collect();
            rebuilt.extend_from_slice(splitter.leftover().unwrap_or_default());
            prop_assert_eq!(rebuilt, bytes);
        }

        #[test]
        fn rows_of_encoded_fields_round_trip(values in proptest::collection::vec(proptest::option::of(".*"), 1..6)) {
            let mut row = Vec::new();
            for (index, value) in values.iter().enumerate() {
                if index > 0 {
                    row.push(b'\t');
                }
                encode(value.as_deref(), &mut row);
            }
            let decoded: Vec<Option<String>> = fields(&row).map(decode).collect();
            prop_assert_eq!(decoded, values);
        }
    }
}
