//! MySQL binary JSON (the JSON column storage format) and the JSON diffs of
//! PARTIAL_UPDATE_ROWS events.
//!
//! Values decode into a small tree ([`JsonNode`]) that renders to JSON text
//! the way MySQL prints JSON (`{"a": 1, "b": [true, null]}`), keeps exact
//! decimals and 64-bit integers, and can have diffs applied.

use serde::{Deserialize, Serialize};

use crate::cursor::{Cursor, DResult};
use crate::error::DecodeError;
use crate::value::{datetime_from_packed, time_from_packed, Value};

const MAX_DEPTH: usize = 150;

/// A decoded JSON document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonNode {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    /// Exact number text (opaque DECIMAL).
    Number(String),
    String(String),
    /// Opaque value rendered as a JSON string (dates, times, base64 blobs).
    OpaqueText(String),
    Array(Vec<JsonNode>),
    /// Members in MySQL key order (length, then bytes).
    Object(Vec<(String, JsonNode)>),
}

fn err(at: usize, reason: impl Into<String>) -> DecodeError {
    DecodeError::new(at, reason)
}

/// Decodes a whole binary JSON document (type byte + value). An empty
/// document is JSON null, as MySQL stores it.
pub(crate) fn decode_binary(doc: &[u8]) -> Result<JsonNode, DecodeError> {
    let Some((&t, rest)) = doc.split_first() else {
        return Ok(JsonNode::Null);
    };
    decode_value(t, rest, 0, 1)
}

fn slice(data: &[u8], from: usize, len: usize, base: usize) -> Result<&[u8], DecodeError> {
    from.checked_add(len)
        .and_then(|end| data.get(from..end))
        .ok_or_else(|| err(base + from, "JSON value points outside the document"))
}

fn read_uint(data: &[u8], at: usize, n: usize, base: usize) -> Result<u64, DecodeError> {
    Ok(crate::cursor::le_uint(slice(data, at, n, base)?))
}

/// `data` starts right after the type byte; `base` is its offset in the
/// document for error messages.
fn decode_value(t: u8, data: &[u8], depth: usize, base: usize) -> Result<JsonNode, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(err(base, "JSON nesting too deep"));
    }
    match t {
        0 => decode_container(data, false, true, depth, base),
        1 => decode_container(data, true, true, depth, base),
        2 => decode_container(data, false, false, depth, base),
        3 => decode_container(data, true, false, depth, base),
        4 => match data.first() {
            Some(0) => Ok(JsonNode::Null),
            Some(1) => Ok(JsonNode::Bool(true)),
            Some(2) => Ok(JsonNode::Bool(false)),
            Some(x) => Err(err(base, format!("invalid JSON literal {x}"))),
            None => Err(err(base, "missing JSON literal")),
        },
        5 => Ok(JsonNode::Int(
            read_uint(data, 0, 2, base)? as u16 as i16 as i64
        )),
        6 => Ok(JsonNode::UInt(read_uint(data, 0, 2, base)?)),
        7 => Ok(JsonNode::Int(
            read_uint(data, 0, 4, base)? as u32 as i32 as i64
        )),
        8 => Ok(JsonNode::UInt(read_uint(data, 0, 4, base)?)),
        9 => Ok(JsonNode::Int(read_uint(data, 0, 8, base)? as i64)),
        10 => Ok(JsonNode::UInt(read_uint(data, 0, 8, base)?)),
        11 => Ok(JsonNode::Double(f64::from_bits(read_uint(
            data, 0, 8, base,
        )?))),
        12 => {
            let (len, n) = read_varlen(data, base)?;
            let s = slice(data, n, len, base)?;
            Ok(JsonNode::String(String::from_utf8_lossy(s).into_owned()))
        }
        15 => {
            let field_type = *data
                .first()
                .ok_or_else(|| err(base, "missing opaque type"))?;
            let rest = data.get(1..).unwrap_or(&[]);
            let (len, n) = read_varlen(rest, base + 1)?;
            let payload = slice(rest, n, len, base + 1)?;
            Ok(decode_opaque(field_type, payload))
        }
        other => Err(err(base, format!("invalid JSON value type {other}"))),
    }
}

/// JSON's own variable-length integer: 7 bits per byte, low bits first.
fn read_varlen(data: &[u8], base: usize) -> Result<(usize, usize), DecodeError> {
    let mut len: u64 = 0;
    for i in 0..5 {
        let b = *data
            .get(i)
            .ok_or_else(|| err(base + i, "truncated JSON length"))?;
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let len = usize::try_from(len).map_err(|_| err(base, "JSON length too large"))?;
            return Ok((len, i + 1));
        }
    }
    Err(err(base, "JSON length longer than 5 bytes"))
}

fn decode_container(
    data: &[u8],
    large: bool,
    object: bool,
    depth: usize,
    base: usize,
) -> Result<JsonNode, DecodeError> {
    let w = if large { 4 } else { 2 };
    let count = read_uint(data, 0, w, base)?;
    let size = read_uint(data, w, w, base)?;
    let size = usize::try_from(size).map_err(|_| err(base, "JSON size too large"))?;
    if size > data.len() {
        return Err(err(base, "JSON container larger than its document"));
    }
    let data = data.get(..size).unwrap_or(data);
    let count = usize::try_from(count).map_err(|_| err(base, "JSON count too large"))?;
    // each element needs at least one value entry of 1 + w bytes
    let entry = 1 + w;
    let key_entry = w + 2;
    let header = 2 * w;
    let needed = count
        .checked_mul(entry + if object { key_entry } else { 0 })
        .and_then(|x| x.checked_add(header));
    if needed.is_none_or(|n| n > data.len()) {
        return Err(err(base, "JSON element count exceeds its container"));
    }
    let value_entries = header + if object { count * key_entry } else { 0 };
    let mut values = Vec::with_capacity(count);
    for i in 0..count {
        let at = value_entries + i * entry;
        let t = *data
            .get(at)
            .ok_or_else(|| err(base + at, "truncated JSON entry"))?;
        let inline = match t {
            4..=6 => true,
            7 | 8 => large,
            _ => false,
        };
        let v = if inline {
            let raw = slice(data, at + 1, w, base)?;
            decode_value(t, raw, depth + 1, base + at + 1)?
        } else {
            let off = read_uint(data, at + 1, w, base)?;
            let off = usize::try_from(off).map_err(|_| err(base, "JSON offset too large"))?;
            let sub = data
                .get(off..)
                .ok_or_else(|| err(base + at, "JSON offset outside its container"))?;
            decode_value(t, sub, depth + 1, base + off)?
        };
        values.push(v);
    }
    if !object {
        return Ok(JsonNode::Array(values));
    }
    let mut members = Vec::with_capacity(count);
    for (i, v) in values.into_iter().enumerate() {
        let at = header + i * key_entry;
        let off = read_uint(data, at, w, base)?;
        let len = read_uint(data, at + w, 2, base)?;
        let key = slice(data, off as usize, len as usize, base)?;
        members.push((String::from_utf8_lossy(key).into_owned(), v));
    }
    Ok(JsonNode::Object(members))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode_opaque(field_type: u8, payload: &[u8]) -> JsonNode {
    let packed = || payload.get(..8).map(|s| crate::cursor::le_uint(s) as i64);
    let fallback = || JsonNode::OpaqueText(format!("base64:type{field_type}:{}", base64(payload)));
    match field_type {
        // NEWDECIMAL: precision, scale, binary decimal
        246 => {
            let (Some(&p), Some(&s)) = (payload.first(), payload.get(1)) else {
                return fallback();
            };
            let Some(size) = crate::decimal::decimal_size(p, s) else {
                return fallback();
            };
            match payload
                .get(2..2 + size)
                .and_then(|raw| crate::decimal::decode_decimal_bytes(raw, p, s))
            {
                Some(d) => JsonNode::Number(d),
                None => fallback(),
            }
        }
        // DATE, DATETIME, TIMESTAMP, TIME: 8-byte packed
        10 | 12 | 7 | 11 => match packed() {
            Some(p) => {
                let v = if field_type == 11 {
                    time_from_packed(p, 6)
                } else {
                    datetime_from_packed(p, 6)
                };
                let text = v.to_string();
                if field_type == 10 {
                    JsonNode::OpaqueText(text.get(..10).unwrap_or(&text).to_string())
                } else {
                    JsonNode::OpaqueText(text)
                }
            }
            None => fallback(),
        },
        _ => fallback(),
    }
}

fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn render_double(v: f64) -> String {
    if !v.is_finite() {
        return "null".to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-5..1e15).contains(&a) {
        return format!("{v:e}");
    }
    let s = format!("{v}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

impl JsonNode {
    /// MySQL-style JSON text.
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        s
    }

    fn render_into(&self, out: &mut String) {
        match self {
            JsonNode::Null => out.push_str("null"),
            JsonNode::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonNode::Int(v) => out.push_str(&v.to_string()),
            JsonNode::UInt(v) => out.push_str(&v.to_string()),
            JsonNode::Double(v) => out.push_str(&render_double(*v)),
            JsonNode::Number(n) => out.push_str(n),
            JsonNode::String(s) | JsonNode::OpaqueText(s) => escape_into(out, s),
            JsonNode::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render_into(out);
                }
                out.push(']');
            }
            JsonNode::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    escape_into(out, k);
                    out.push_str(": ");
                    v.render_into(out);
                }
                out.push('}');
            }
        }
    }
}

/// Decodes a binary JSON column value to its text form.
pub(crate) fn json_text(doc: &[u8], at: usize) -> Result<String, DecodeError> {
    decode_binary(doc)
        .map(|n| n.render())
        .map_err(|e| DecodeError::new(at + e.at, e.reason))
}

/// Operation of one JSON diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonDiffOp {
    /// Replace the value at the path.
    Replace,
    /// Insert a member or array element at the path.
    Insert,
    /// Remove the value at the path.
    Remove,
}

/// One JSON diff of a PARTIAL_UPDATE_ROWS after image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDiff {
    /// Operation.
    pub op: JsonDiffOp,
    /// MySQL JSON path, e.g. `$.a[2]`.
    pub path: String,
    /// New value as JSON text (absent for `Remove`).
    pub value: Option<String>,
}

pub(crate) struct RawDiff {
    op: JsonDiffOp,
    path: String,
    value: Option<JsonNode>,
}

/// Parses the diff list stored for one partially updated JSON column.
pub(crate) fn parse_diffs(data: &[u8], base: usize) -> DResult<Vec<RawDiff>> {
    let mut c = Cursor::with_base(data, base);
    let mut out = Vec::new();
    while !c.is_empty() {
        let op = match c.u8()? {
            0 => JsonDiffOp::Replace,
            1 => JsonDiffOp::Insert,
            2 => JsonDiffOp::Remove,
            x => return Err(c.err(format!("invalid JSON diff operation {x}"))),
        };
        let n = c.packed_len()?;
        let path = String::from_utf8_lossy(c.take(n)?).into_owned();
        let value = if op == JsonDiffOp::Remove {
            None
        } else {
            let n = c.packed_len()?;
            let at = c.abs_pos();
            let doc = c.take(n)?;
            Some(decode_binary(doc).map_err(|e| DecodeError::new(at + e.at, e.reason))?)
        };
        out.push(RawDiff { op, path, value });
    }
    Ok(out)
}

pub(crate) fn diffs_public(diffs: &[RawDiff]) -> Vec<JsonDiff> {
    diffs
        .iter()
        .map(|d| JsonDiff {
            op: d.op,
            path: d.path.clone(),
            value: d.value.as_ref().map(|v| v.render()),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Leg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Option<Vec<Leg>> {
    let mut chars = path.trim().chars().peekable();
    if chars.next()? != '$' {
        return None;
    }
    let mut legs = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {}
            '.' => {
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
                if chars.peek() == Some(&'"') {
                    chars.next();
                    let mut k = String::new();
                    loop {
                        match chars.next()? {
                            '"' => break,
                            '\\' => match chars.next()? {
                                'n' => k.push('\n'),
                                't' => k.push('\t'),
                                'r' => k.push('\r'),
                                'b' => k.push('\u{8}'),
                                'f' => k.push('\u{c}'),
                                'u' => {
                                    let h: String = (0..4).filter_map(|_| chars.next()).collect();
                                    k.push(char::from_u32(u32::from_str_radix(&h, 16).ok()?)?);
                                }
                                o => k.push(o),
                            },
                            o => k.push(o),
                        }
                    }
                    legs.push(Leg::Key(k));
                } else {
                    let mut k = String::new();
                    while let Some(&n) = chars.peek() {
                        if n == '.' || n == '[' || n == ' ' {
                            break;
                        }
                        k.push(n);
                        chars.next();
                    }
                    if k.is_empty() {
                        return None;
                    }
                    legs.push(Leg::Key(k));
                }
            }
            '[' => {
                let mut n = String::new();
                loop {
                    match chars.next()? {
                        ']' => break,
                        ' ' => {}
                        d => n.push(d),
                    }
                }
                legs.push(Leg::Index(n.parse().ok()?));
            }
            _ => return None,
        }
    }
    Some(legs)
}

fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Applies diffs to a document, MySQL `apply_json_diffs` semantics.
pub(crate) fn apply_diffs(doc: &mut JsonNode, diffs: &[RawDiff]) -> Result<(), String> {
    for d in diffs {
        let legs = parse_path(&d.path).ok_or_else(|| format!("invalid JSON path {:?}", d.path))?;
        let Some((last, parents)) = legs.split_last() else {
            // the root itself
            match (&d.op, &d.value) {
                (JsonDiffOp::Replace, Some(v)) => {
                    *doc = v.clone();
                    continue;
                }
                _ => return Err(format!("cannot {:?} the document root", d.op)),
            }
        };
        let mut node = &mut *doc;
        for leg in parents {
            node = match (leg, node) {
                (Leg::Key(k), JsonNode::Object(m)) => m
                    .iter_mut()
                    .find(|(mk, _)| mk == k)
                    .map(|(_, v)| v)
                    .ok_or_else(|| format!("JSON diff path {:?} not found", d.path))?,
                (Leg::Index(i), JsonNode::Array(a)) => a
                    .get_mut(*i)
                    .ok_or_else(|| format!("JSON diff path {:?} not found", d.path))?,
                _ => return Err(format!("JSON diff path {:?} not found", d.path)),
            };
        }
        let missing = || format!("JSON diff path {:?} not found", d.path);
        match (d.op, last, node) {
            (JsonDiffOp::Remove, Leg::Key(k), JsonNode::Object(m)) => {
                let pos = m.iter().position(|(mk, _)| mk == k).ok_or_else(missing)?;
                m.remove(pos);
            }
            (JsonDiffOp::Remove, Leg::Index(i), JsonNode::Array(a)) => {
                if *i >= a.len() {
                    return Err(missing());
                }
                a.remove(*i);
            }
            (op, Leg::Key(k), JsonNode::Object(m)) => {
                let v = d.value.clone().ok_or_else(missing)?;
                match m.iter_mut().find(|(mk, _)| mk == k) {
                    Some((_, slot)) => *slot = v,
                    None if op == JsonDiffOp::Insert => {
                        let pos = m
                            .iter()
                            .position(|(mk, _)| key_order(mk, k).is_gt())
                            .unwrap_or(m.len());
                        m.insert(pos, (k.clone(), v));
                    }
                    None => return Err(missing()),
                }
            }
            (op, Leg::Index(i), JsonNode::Array(a)) => {
                let v = d.value.clone().ok_or_else(missing)?;
                if op == JsonDiffOp::Insert {
                    let at = (*i).min(a.len());
                    a.insert(at, v);
                } else {
                    *a.get_mut(*i).ok_or_else(missing)? = v;
                }
            }
            _ => return Err(missing()),
        }
    }
    Ok(())
}

/// Turns a whole-document JSON value into a `Value`.
pub(crate) fn to_value(node: &JsonNode) -> Value {
    Value::Json(node.render())
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    /// Minimal encoder of small objects/arrays for tests.
    pub(crate) fn enc_string(s: &str) -> Vec<u8> {
        let mut v = vec![12u8];
        assert!(s.len() < 128);
        v.push(s.len() as u8);
        v.extend_from_slice(s.as_bytes());
        v
    }

    /// Encodes a small array or object (values given as full typed docs).
    pub(crate) fn enc_container(keys: Option<&[&str]>, values: &[Vec<u8>]) -> Vec<u8> {
        let n = values.len();
        let obj = keys.is_some();
        let header = 4 + if obj { n * 4 } else { 0 } + n * 3;
        let mut key_bytes = Vec::new();
        let mut key_entries = Vec::new();
        if let Some(ks) = keys {
            let mut off = header;
            for k in ks {
                key_entries.extend_from_slice(&(off as u16).to_le_bytes());
                key_entries.extend_from_slice(&(k.len() as u16).to_le_bytes());
                key_bytes.extend_from_slice(k.as_bytes());
                off += k.len();
            }
        }
        let mut value_entries = Vec::new();
        let mut value_bytes = Vec::new();
        let data_start = header + key_bytes.len();
        for v in values {
            let t = v[0];
            value_entries.push(t);
            if matches!(t, 4..=6) {
                let mut inl = v[1..].to_vec();
                inl.resize(2, 0);
                value_entries.extend_from_slice(&inl);
            } else {
                let off = data_start + value_bytes.len();
                value_entries.extend_from_slice(&(off as u16).to_le_bytes());
                value_bytes.extend_from_slice(&v[1..]);
            }
        }
        let size = data_start + value_bytes.len();
        let mut out = vec![if obj { 0 } else { 2 }];
        out.extend_from_slice(&(n as u16).to_le_bytes());
        out.extend_from_slice(&(size as u16).to_le_bytes());
        out.extend(key_entries);
        out.extend(value_entries);
        out.extend(key_bytes);
        out.extend(value_bytes);
        out
    }

    #[test]
    fn scalars() {
        assert_eq!(json_text(&[4, 0], 0).unwrap(), "null");
        assert_eq!(json_text(&[4, 1], 0).unwrap(), "true");
        assert_eq!(json_text(&[5, 0xff, 0xff], 0).unwrap(), "-1");
        assert_eq!(json_text(&[6, 0xff, 0xff], 0).unwrap(), "65535");
        let mut u64max = vec![10];
        u64max.extend_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(json_text(&u64max, 0).unwrap(), "18446744073709551615");
        let mut d = vec![11];
        d.extend_from_slice(&1.5f64.to_le_bytes());
        assert_eq!(json_text(&d, 0).unwrap(), "1.5");
        assert_eq!(json_text(&enc_string("a\"b"), 0).unwrap(), r#""a\"b""#);
        assert_eq!(json_text(&[], 0).unwrap(), "null");
    }

    #[test]
    fn nested_object_and_array() {
        let arr = enc_container(None, &[vec![5, 1, 0], enc_string("x"), vec![4, 2]]);
        let inner = enc_container(Some(&["k"]), &[vec![4, 0]]);
        let doc = enc_container(Some(&["a", "bb", "arr"]), &[vec![6, 7, 0], inner, arr]);
        assert_eq!(
            json_text(&doc, 0).unwrap(),
            r#"{"a": 7, "bb": {"k": null}, "arr": [1, "x", false]}"#
        );
    }

    #[test]
    fn opaque_values() {
        // DECIMAL(4,2) 12.34 as opaque
        let dec = [0x80 ^ 12, 34];
        let mut doc = vec![15, 246, 4, 4, 2];
        doc.extend_from_slice(&dec);
        assert_eq!(json_text(&doc, 0).unwrap(), "12.34");
        // DATETIME 2015-01-15 23:24:25.000000 packed
        let ymd: i64 = ((2015 * 13 + 1) << 5) | 15;
        let hms: i64 = (23 << 12) | (24 << 6) | 25;
        let packed = ((ymd << 17) | hms) << 24;
        let mut doc = vec![15, 12, 8];
        doc.extend_from_slice(&packed.to_le_bytes());
        assert_eq!(
            json_text(&doc, 0).unwrap(),
            r#""2015-01-15 23:24:25.000000""#
        );
        // unknown opaque type -> base64
        let doc = vec![15, 252, 3, b'a', b'b', b'c'];
        assert_eq!(json_text(&doc, 0).unwrap(), r#""base64:type252:YWJj""#);
    }

    #[test]
    fn large_containers() {
        // large array of one uint32 (inlined in large format)
        let mut doc = vec![3];
        doc.extend_from_slice(&1u32.to_le_bytes());
        doc.extend_from_slice(&13u32.to_le_bytes());
        doc.push(8);
        doc.extend_from_slice(&70000u32.to_le_bytes());
        assert_eq!(json_text(&doc, 0).unwrap(), "[70000]");
    }

    #[test]
    fn hostile_json_is_error_not_panic() {
        assert!(json_text(&[0, 0xff, 0xff, 0xff, 0xff], 0).is_err());
        assert!(json_text(&[12, 0x80], 0).is_err());
        assert!(json_text(&[2, 1, 0, 7, 0, 12, 0xff, 0xff], 0).is_err());
        // deep nesting: arrays pointing at themselves cannot recurse forever
        let mut deep = vec![2u8];
        for _ in 0..400 {
            deep.extend_from_slice(&[1, 0, 9, 0, 2, 7, 0]);
        }
        let _ = json_text(&deep, 0);
    }

    #[test]
    fn apply_diff_operations() {
        let mut doc = JsonNode::Object(vec![
            ("a".into(), JsonNode::Int(1)),
            (
                "arr".into(),
                JsonNode::Array(vec![JsonNode::Int(1), JsonNode::Int(2)]),
            ),
        ]);
        let diffs = vec![
            RawDiff {
                op: JsonDiffOp::Replace,
                path: "$.a".into(),
                value: Some(JsonNode::String("x".into())),
            },
            RawDiff {
                op: JsonDiffOp::Insert,
                path: "$.arr[1]".into(),
                value: Some(JsonNode::Int(9)),
            },
            RawDiff {
                op: JsonDiffOp::Remove,
                path: "$.arr[0]".into(),
                value: None,
            },
            RawDiff {
                op: JsonDiffOp::Insert,
                path: "$.\"b c\"".into(),
                value: Some(JsonNode::Null),
            },
        ];
        apply_diffs(&mut doc, &diffs).unwrap();
        assert_eq!(doc.render(), r#"{"a": "x", "arr": [9, 2], "b c": null}"#);
        let bad = vec![RawDiff {
            op: JsonDiffOp::Replace,
            path: "$.zz".into(),
            value: Some(JsonNode::Null),
        }];
        assert!(apply_diffs(&mut doc, &bad).is_err());
    }
}
