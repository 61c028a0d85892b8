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
