//! How values look to people: as SQL-like literals in text output, and as JSON that
//! keeps types exact (decimals as strings, binary as hex) in JSON lines and reports.

use std::fmt::Write as _;

use reconcile_binlog::{utc_civil, Bytes, ColumnDescription, Row, TableDescription, Value};
use serde_json::{json, Map, Value as Json};

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `.ffffff` cut to `fsp` digits (nothing for fsp 0).
fn fraction(micros: u32, fsp: u8) -> String {
    if fsp == 0 {
        return String::new();
    }
    let digits = format!("{micros:06}");
    format!(".{}", &digits[..usize::from(fsp.min(6))])
}

/// `YYYY-MM-DD HH:MM:SS[.f]` in UTC for a TIMESTAMP; the zero timestamp stays zero.
pub fn timestamp_utc(secs: u32, micros: u32, fsp: u8) -> String {
    if secs == 0 && micros == 0 {
        return format!("0000-00-00 00:00:00{}", fraction(0, fsp));
    }
    let (y, mo, d, h, mi, s) = utc_civil(secs);
    format!(
        "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{}",
        fraction(micros, fsp)
    )
}

/// Shortest text that reads back as the same `f32`.
fn float_text(f: f32) -> String {
    format!("{f:?}")
}

/// Shortest text that reads back as the same `f64`.
fn double_text(f: f64) -> String {
    format!("{f:?}")
}

/// A JSON number from a float's shortest round-trip text (so `0.1f32` is `0.1`).
fn json_number(text: &str) -> Json {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| Json::String(text.to_owned()), Json::Number)
}

fn bits_text(bits: u16, bytes: &[u8]) -> String {
    let all: String = bytes.iter().map(|b| format!("{b:08b}")).collect();
    let keep = usize::from(bits).min(all.len());
    all[all.len() - keep..].to_owned()
}

fn bytes_json(bytes: &Bytes) -> Json {
    match bytes.as_utf8() {
        Some(text) => Json::String(text.to_owned()),
        None => json!({ "hex": hex(&bytes.0) }),
    }
}

/// The value as exact JSON: integers as numbers, decimals as strings, floats as
/// their shortest round-trip number, temporal values as strings (TIMESTAMP in UTC),
/// text as a string when it is valid UTF-8 and `{"hex": ...}` otherwise, binary,
/// geometry and vectors always as `{"hex": ...}`.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Decimal(d) => Json::String(d.clone()),
        Value::Float(f) => json_number(&float_text(*f)),
        Value::Double(f) => json_number(&double_text(*f)),
        Value::Bit { bits, bytes } => Json::String(format!("b'{}'", bits_text(*bits, &bytes.0))),
        Value::Enum { index, label } => match label {
            Some(label) => bytes_json(label),
            None => json!(index),
        },
        Value::Set { mask, labels } => match labels {
            Some(labels) => {
                let names: Vec<String> = labels
                    .iter()
                    .map(|l| String::from_utf8_lossy(&l.0).into_owned())
                    .collect();
                Json::String(names.join(","))
            }
            None => json!(mask),
        },
        Value::Year(y) => json!(y),
        Value::Date { year, month, day } => Json::String(format!("{year:04}-{month:02}-{day:02}")),
        Value::Time { .. } | Value::DateTime { .. } | Value::Timestamp { .. } => {
            Json::String(temporal_text(value))
        }
        Value::String { bytes, .. } => bytes_json(bytes),
        Value::Binary(bytes) | Value::Geometry(bytes) | Value::Vector(bytes) => {
            json!({ "hex": hex(&bytes.0) })
        }
        Value::Json(text) => Json::String(text.clone()),
        other => serde_json::to_value(other).unwrap_or(Json::Null),
    }
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (`{n:0width$}`).
fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut v = n;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (v % 10) as u8;
        }
        len += 1;
        v /= 10;
        if v == 0 || len == digits.len() {
            break;
        }
    }
    for _ in len..width {
        out.push(b'0');
    }
    out.extend(digits.iter().take(len).rev());
}

/// Appends `.ffffff` cut to `fsp` digits, as [`fraction`] does.
fn push_fraction(out: &mut Vec<u8>, micros: u32, fsp: u8) {
    if fsp == 0 {
        return;
    }
    // the first fsp (at most 6) digits of micros padded to six digits
    let mut v = micros;
    let mut len = 0;
    let mut digits = [b'0'; 10];
    while v > 0 && len < digits.len() {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        len += 1;
    }
    let len = len.max(6);
    out.push(b'.');
    out.extend(digits.iter().take(len).rev().take(usize::from(fsp.min(6))));
}

/// Whether JSON must escape some byte: a control character, `"` or `\\` (eight
/// bytes at a time: a byte is below 0x20 or equal to a constant exactly when the
/// borrow trick sets its high bit).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(n * ONES) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        let quote = x ^ (u64::from(b'"') * ONES);
        let backslash = x ^ (u64::from(b'\\') * ONES);
        if below(x, 0x20) | below(quote, 1) | below(backslash, 1) != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Appends a JSON string. serde_json escapes it, so the text is the one
/// [`value_json`] and `serde_json::to_writer` produce.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if !needs_escape(s.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Appends `{"hex":"..."}`.
fn push_hex_json(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"{\"hex\":\"");
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
    out.extend_from_slice(b"\"}");
}

/// Appends what `serde_json::to_writer(value_json(value))` writes, without building
/// the JSON value for the common types.
pub fn push_value_json(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int(i) => {
            if *i < 0 {
                out.push(b'-');
            }
            push_padded(out, i.unsigned_abs(), 1);
        }
        Value::UInt(u) => push_padded(out, *u, 1),
        Value::Year(y) => push_padded(out, u64::from(*y), 1),
        Value::Decimal(d) => push_json_str(out, d),
        Value::String { bytes, .. } => match bytes.as_utf8() {
            Some(text) => push_json_str(out, text),
            None => push_hex_json(out, &bytes.0),
        },
        Value::Enum {
            label: Some(bytes), ..
        } if bytes.as_utf8().is_some() => push_json_str(out, bytes.as_utf8().unwrap_or("")),
        Value::Json(text) => push_json_str(out, text),
        Value::Binary(bytes) | Value::Geometry(bytes) | Value::Vector(bytes) => {
            push_hex_json(out, &bytes.0)
        }
        Value::Date { year, month, day } => {
            out.push(b'"');
            push_padded(out, u64::from(*year), 4);
            out.push(b'-');
            push_padded(out, u64::from(*month), 2);
            out.push(b'-');
            push_padded(out, u64::from(*day), 2);
            out.push(b'"');
        }
        Value::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
            fsp,
        } => {
            out.push(b'"');
            push_padded(out, u64::from(*year), 4);
            out.push(b'-');
            push_padded(out, u64::from(*month), 2);
            out.push(b'-');
            push_padded(out, u64::from(*day), 2);
            out.push(b' ');
            push_padded(out, u64::from(*hour), 2);
            out.push(b':');
            push_padded(out, u64::from(*minute), 2);
            out.push(b':');
            push_padded(out, u64::from(*second), 2);
            push_fraction(out, *micros, *fsp);
            out.push(b'"');
        }
        Value::Timestamp { secs, micros, fsp } => {
            let (y, mo, d, h, mi, sec) = if *secs == 0 && *micros == 0 {
                (0, 0, 0, 0, 0, 0)
            } else {
                utc_civil(*secs)
            };
            let micros = if *secs == 0 && *micros == 0 {
                0
            } else {
                *micros
            };
            out.push(b'"');
            push_padded(out, u64::from(y), 4);
            out.push(b'-');
            push_padded(out, u64::from(mo), 2);
            out.push(b'-');
            push_padded(out, u64::from(d), 2);
            out.push(b' ');
            push_padded(out, u64::from(h), 2);
            out.push(b':');
            push_padded(out, u64::from(mi), 2);
            out.push(b':');
            push_padded(out, u64::from(sec), 2);
            push_fraction(out, micros, *fsp);
            out.push(b'"');
        }
        other => {
            let _ = serde_json::to_writer(&mut *out, &value_json(other));
        }
    }
}

/// TIME and DATETIME in SQL's text form (the reader's `Display`), TIMESTAMP in UTC.
fn temporal_text(value: &Value) -> String {
    match value {
        Value::Timestamp { secs, micros, fsp } => timestamp_utc(*secs, *micros, *fsp),
        other => other.to_string(),
    }
}

/// SQL-style quoting: `'...'` with quotes, backslashes and control characters escaped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn bytes_text(bytes: &Bytes) -> String {
    match bytes.as_utf8() {
        Some(text) => quoted(text),
        None => format!("x'{}'", hex(&bytes.0)),
    }
}

/// The value as a SQL-like literal for people: `42`, `'text'`, `x'00ff'`, `NULL`.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Decimal(d) => d.clone(),
        Value::Float(f) => float_text(*f),
        Value::Double(f) => double_text(*f),
        Value::Bit { bits, bytes } => format!("b'{}'", bits_text(*bits, &bytes.0)),
        Value::Enum { index, label } => match label {
            Some(label) => bytes_text(label),
            None => format!("{index} (enum index)"),
        },
        Value::Set { mask, labels } => match labels {
            Some(_) => match value_json(value) {
                Json::String(s) => quoted(&s),
                other => other.to_string(),
            },
            None => format!("{mask} (set bitmask)"),
        },
        Value::Year(y) => format!("{y:04}"),
        Value::Date { .. } => match value_json(value) {
            Json::String(s) => quoted(&s),
            other => other.to_string(),
        },
        Value::Time { .. } | Value::DateTime { .. } => quoted(&temporal_text(value)),
        Value::Timestamp { .. } => format!("{} UTC", quoted(&temporal_text(value))),
        Value::String { bytes, .. } => bytes_text(bytes),
        Value::Binary(bytes) | Value::Geometry(bytes) | Value::Vector(bytes) => {
            format!("x'{}'", hex(&bytes.0))
        }
        Value::Json(text) => quoted(text),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A column's name, or `@N` (1-based, as `mariadb-binlog` prints it) when the binlog
/// has no column names.
pub fn column_name(table: Option<&TableDescription>, index: usize) -> String {
    table
        .and_then(|t| t.columns.get(index))
        .and_then(|c: &ColumnDescription| c.name.clone())
        .unwrap_or_else(|| format!("@{}", index + 1))
}

/// A row image as a JSON object `{column: value}` of the columns present in it.
pub fn row_json(table: Option<&TableDescription>, row: &Row) -> Json {
    let mut map = Map::new();
    for (i, value) in row.values.iter().enumerate() {
        if let Some(value) = value {
            map.insert(column_name(table, i), value_json(value));
        }
    }
    Json::Object(map)
}

/// The JSON object keys of a table's columns (`"name":`, escaped), when the names
/// (as [`column_name`] gives them) are all different, so that a row's object can be
/// written column by column.
#[derive(Debug)]
pub struct RowKeys(Option<Vec<Vec<u8>>>);

impl RowKeys {
    pub fn new(table: Option<&TableDescription>) -> RowKeys {
        let Some(t) = table else {
            return RowKeys(None);
        };
        let names: Vec<String> = (0..t.columns.len())
            .map(|i| column_name(table, i))
            .collect();
        let mut sorted: Vec<&String> = names.iter().collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w.first() == w.last()) {
            return RowKeys(None);
        }
        let keys = names
            .iter()
            .map(|n| {
                let mut key = Vec::with_capacity(n.len() + 3);
                push_json_str(&mut key, n);
                key.push(b':');
                key
            })
            .collect();
        RowKeys(Some(keys))
    }
}

/// Appends what `serde_json::to_writer(row_json(table, row))` writes; `keys` are the
/// table's [`RowKeys`].
pub fn push_row_json(
    out: &mut Vec<u8>,
    table: Option<&TableDescription>,
    row: &Row,
    keys: &RowKeys,
) {
    let Some(keys) = &keys.0 else {
        let _ = serde_json::to_writer(&mut *out, &row_json(table, row));
        return;
    };
    out.push(b'{');
    let mut first = true;
    for (i, value) in row.values.iter().enumerate() {
        let Some(value) = value else { continue };
        if !first {
            out.push(b',');
        }
        first = false;
        match keys.get(i) {
            Some(key) => out.extend_from_slice(key),
            None => {
                push_json_str(out, &column_name(table, i));
                out.push(b':');
            }
        }
        push_value_json(out, value);
    }
    out.push(b'}');
}

/// A row image as `col=value, col=value` of the columns present in it.
pub fn row_text(table: Option<&TableDescription>, row: &Row) -> String {
    row.values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.as_ref()
                .map(|v| format!("{}={}", column_name(table, i), value_text(v)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_in_utc() {
        assert_eq!(timestamp_utc(1, 0, 0), "1970-01-01 00:00:01");
        assert_eq!(
            timestamp_utc(2_147_483_647, 999_000, 3),
            "2038-01-19 03:14:07.999"
        );
        assert_eq!(
            timestamp_utc(1_709_210_096, 789_000, 3),
            "2024-02-29 12:34:56.789"
        );
        assert_eq!(timestamp_utc(0, 0, 3), "0000-00-00 00:00:00.000");
    }

    #[test]
    fn floats_render_as_their_shortest_round_trip() {
        assert_eq!(value_json(&Value::Float(0.1)).to_string(), "0.1");
        assert_eq!(value_json(&Value::Double(1e-300)).to_string(), "1e-300");
        assert_eq!(value_text(&Value::Float(3.40282e38)), "3.40282e38");
        let back: f32 = value_json(&Value::Float(0.1)).as_f64().unwrap() as f32;
        assert_eq!(back.to_bits(), 0.1f32.to_bits());
    }

    #[test]
    fn decimals_stay_strings_and_binary_is_hex() {
        assert_eq!(value_json(&Value::Decimal("-0.01".into())), json!("-0.01"));
        assert_eq!(
            value_json(&Value::Binary(Bytes(vec![0, 255]))),
            json!({"hex": "00ff"})
        );
        assert_eq!(
            value_json(&Value::String {
                bytes: Bytes(vec![0xe9]),
                collation: Some(8)
            }),
            json!({"hex": "e9"})
        );
    }

    /// The fast JSON writer agrees with `value_json` on edge values of every type.
    #[test]
    fn pushed_json_is_the_json_value_serialized() {
        let values = vec![
            Value::Null,
            Value::Int(0),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::UInt(u64::MAX),
            Value::Year(0),
            Value::Year(2024),
            Value::Decimal("-12.50".into()),
            Value::Float(0.1),
            Value::Float(f32::NAN),
            Value::Double(-1e300),
            Value::Double(f64::INFINITY),
            Value::String {
                bytes: Bytes(b"a\"b\\c\n\t\x01\x1f\x7f \xc3\xa9".to_vec()),
                collation: Some(45),
            },
            Value::String {
                bytes: Bytes(vec![0xff, 0x00]),
                collation: None,
            },
            Value::Binary(Bytes(vec![0, 0xab])),
            Value::Geometry(Bytes(vec![1, 2])),
            Value::Vector(Bytes(vec![])),
            Value::Json("{\"a\": [1, \"\\u00e9\"]}".into()),
            Value::Enum {
                index: 2,
                label: Some(Bytes(b"two".to_vec())),
            },
            Value::Enum {
                index: 3,
                label: Some(Bytes(vec![0xfe])),
            },
            Value::Enum {
                index: 0,
                label: None,
            },
            Value::Set {
                mask: 5,
                labels: Some(vec![Bytes(b"a".to_vec()), Bytes(b"c".to_vec())]),
            },
            Value::Set {
                mask: 5,
                labels: None,
            },
            Value::Bit {
                bits: 10,
                bytes: Bytes(vec![3, 255]),
            },
            Value::Date {
                year: 0,
                month: 0,
                day: 0,
            },
            Value::Date {
                year: 65535,
                month: 255,
                day: 9,
            },
            Value::Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 1,
                fsp: 6,
            },
            Value::DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 5,
                second: 9,
                micros: 120_000,
                fsp: 2,
            },
            // out of range micros (only a damaged binlog has them) stay as they are
            Value::DateTime {
                year: 1,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
                micros: 12_345_678,
                fsp: 6,
            },
            Value::Timestamp {
                secs: 0,
                micros: 0,
                fsp: 3,
            },
            Value::Timestamp {
                secs: 0,
                micros: 5,
                fsp: 6,
            },
            Value::Timestamp {
                secs: u32::MAX,
                micros: 999_999,
                fsp: 4,
            },
        ];
        for v in &values {
            let mut got = Vec::new();
            push_value_json(&mut got, v);
            let expected = serde_json::to_string(&value_json(v)).unwrap();
            assert_eq!(String::from_utf8(got).unwrap(), expected, "{v:?}");
        }
        let mut s = Vec::new();
        push_json_str(&mut s, "\u{0}\u{8}\u{c}\r\u{1b}\"\\é");
        assert_eq!(
            String::from_utf8(s).unwrap(),
            serde_json::to_string("\u{0}\u{8}\u{c}\r\u{1b}\"\\é").unwrap()
        );
    }

    #[test]
    fn escapes_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..len {
                for bad in [0u8, 0x1f, b'"', b'\\', b'\n'] {
                    let mut text = vec![b'a'; len];
                    text[at] = bad;
                    assert!(needs_escape(&text), "{len} {at} {bad}");
                }
            }
            let plain: Vec<u8> = (0..len)
                .map(|i| [b'a', 0x20, 0x7f, 0xc3, 0xff, b'!'][i % 6])
                .collect();
            assert!(!needs_escape(&plain), "{plain:?}");
        }
    }

    #[test]
    fn text_quotes_and_escapes() {
        let v = Value::String {
            bytes: Bytes(b"it's \\ a\0b".to_vec()),
            collation: None,
        };
        assert_eq!(value_text(&v), r"'it\'s \\ a\0b'");
        assert_eq!(
            value_text(&Value::Bit {
                bits: 13,
                bytes: Bytes(vec![0x15, 0x55])
            }),
            "b'1010101010101'"
        );
        let t = Value::Time {
            negative: true,
            hours: 838,
            minutes: 59,
            seconds: 59,
            micros: 0,
            fsp: 3,
        };
        assert_eq!(value_text(&t), "'-838:59:59.000'");
    }
}
