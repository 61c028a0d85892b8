//! Rows events (WRITE/UPDATE/DELETE v0/v1/v2, PARTIAL_UPDATE_ROWS) and the
//! decoding of row images into typed values using the cached
//! [`TableDescription`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cursor::{bit_is_set, bits_set, Cursor, DResult};
use crate::decimal::decode_decimal;
use crate::json;
use crate::table_map::{ColumnDescription, ColumnType, TableDescription};
use crate::value::{time_from_packed, Bytes, Value};

/// What a rows event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowOp {
    /// INSERT (after image only).
    Insert,
    /// UPDATE (before and after images).
    Update,
    /// DELETE (before image only).
    Delete,
}

/// Which columns a row image carries (`binlog_row_image`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowImage {
    /// Every column.
    Full,
    /// Every column except some BLOB/TEXT/JSON/GEOMETRY columns.
    Noblob,
    /// Only some columns (e.g. primary key before, changed columns after).
    Minimal,
}

/// One row image. `values[i]` is `None` when column `i` is not in the image
/// (absent from the columns-present bitmap) and `Some(Value::Null)` for SQL
/// NULL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// One slot per table column.
    pub values: Vec<Option<Value>>,
}

impl Row {
    /// Whether column `i` is in the image.
    pub fn is_present(&self, i: usize) -> bool {
        matches!(self.values.get(i), Some(Some(_)))
    }

    /// Value of column `i` when present.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.values.get(i).and_then(|v| v.as_ref())
    }
}

/// The fixed part of a rows event, before row images are decoded.
#[derive(Debug, Clone)]
pub struct RawRows<'a> {
    /// Table id (refers to the latest TABLE_MAP with that id).
    pub table_id: u64,
    /// Rows event flags (bit 0: end of statement).
    pub flags: u16,
    /// Operation.
    pub op: RowOp,
    /// PARTIAL_UPDATE_ROWS (JSON diffs in the after image).
    pub partial: bool,
    /// Number of columns.
    pub width: usize,
    /// Columns-present bitmap (before image for updates).
    pub cols: &'a [u8],
    /// Columns-present bitmap of the after image (updates).
    pub cols_after: Option<&'a [u8]>,
    /// Undecoded row images.
    pub body: &'a [u8],
    /// Offset of `body` within the event, for error messages.
    pub body_at: usize,
}

/// Rows event flag: last event of a statement.
pub(crate) const STMT_END_F: u16 = 1;

/// Decodes the post-header and bitmaps. `id_len` is 4 or 6; `v2` means the
/// post-header carries the extra-data block.
pub(crate) fn decode_rows_header<'a>(
    body: &'a [u8],
    base: usize,
    id_len: usize,
    v2: bool,
    op: RowOp,
    partial: bool,
) -> DResult<RawRows<'a>> {
    let mut c = Cursor::with_base(body, base);
    let table_id = c.uint_le(id_len)?;
    let flags = c.u16()?;
    if v2 {
        let extra = usize::from(c.u16()?);
        if extra < 2 {
            return Err(c.err(format!("invalid extra-data length {extra}")));
        }
        c.skip(extra - 2)?;
    }
    let width = c.packed_column_count()?;
    let cols = c.take(width.div_ceil(8))?;
    let cols_after = if op == RowOp::Update {
        Some(c.take(width.div_ceil(8))?)
    } else {
        None
    };
    let body_at = c.abs_pos();
    Ok(RawRows {
        table_id,
        flags,
        op,
        partial,
        width,
        cols,
        cols_after,
        body: c.rest(),
        body_at,
    })
}

/// A decoded row pair with the image kind.
pub(crate) struct DecodedRow {
    pub before: Option<Row>,
    pub after: Option<Row>,
    pub image: RowImage,
}

pub(crate) fn image_kind(table: &TableDescription, present: &[u8], width: usize) -> RowImage {
    let mut missing_blob_only = true;
    let mut any_missing = false;
    for (i, col) in table.columns.iter().enumerate() {
        if i >= width || !bit_is_set(present, i) {
            any_missing = true;
            if !col.column_type.is_blob_like() {
                missing_blob_only = false;
            }
        }
    }
    match (any_missing, missing_blob_only) {
        (false, _) => RowImage::Full,
        (true, true) => RowImage::Noblob,
        (true, false) => RowImage::Minimal,
    }
}

/// Decodes every row of a rows event.
pub(crate) fn decode_rows(
    raw: &RawRows<'_>,
    table: &Arc<TableDescription>,
) -> DResult<Vec<DecodedRow>> {
    if raw.width > table.columns.len() {
        return Err(crate::error::DecodeError::new(
            raw.body_at,
            format!(
                "rows event has {} columns but the table map of {}.{} has {}",
                raw.width,
                table.schema,
                table.table,
                table.columns.len()
            ),
        ));
    }
    let mut c = Cursor::with_base(raw.body, raw.body_at);
    let mut out = Vec::new();
    let image = image_kind(table, raw.cols, raw.width);
    // Each decoded image allocates one slot per table column. Bound the
    // slots by the bytes present so sparse images of a wide table cannot
    // turn a small hostile event into a huge allocation.
    let slots_per_row = table.columns.len().max(1) * if raw.op == RowOp::Update { 2 } else { 1 };
    let budget = raw.body.len().saturating_mul(1024).saturating_add(1 << 16);
    let mut slots = 0usize;
    while !c.is_empty() {
        let before_pos = c.pos();
        slots = slots.saturating_add(slots_per_row);
        if slots > budget {
            return Err(c.err("row images are implausibly sparse for their size"));
        }
        match raw.op {
            RowOp::Insert => {
                let (row, _) = decode_image(&mut c, table, raw.cols, raw.width, None, false)?;
                out.push(DecodedRow {
                    before: None,
                    after: Some(row),
                    image,
                });
            }
            RowOp::Delete => {
                let (row, _) = decode_image(&mut c, table, raw.cols, raw.width, None, false)?;
                out.push(DecodedRow {
                    before: Some(row),
                    after: None,
                    image,
                });
            }
            RowOp::Update => {
                let (before, json_before) =
                    decode_image(&mut c, table, raw.cols, raw.width, None, raw.partial)?;
                let after_cols = raw.cols_after.unwrap_or(raw.cols);
                let partial = if raw.partial {
                    Some(PartialCtx {
                        before_json: json_before,
                    })
                } else {
                    None
                };
                let (after, _) =
                    decode_image(&mut c, table, after_cols, raw.width, partial, false)?;
                out.push(DecodedRow {
                    before: Some(before),
                    after: Some(after),
                    image,
                });
            }
        }
        if c.pos() == before_pos {
            return Err(c.err("row image without any bytes (no columns present)"));
        }
    }
    Ok(out)
}

/// Decodes one row image that is not part of a partial JSON update.
pub(crate) fn decode_plain_image(
    c: &mut Cursor<'_>,
    table: &TableDescription,
    present: &[u8],
    width: usize,
) -> DResult<Row> {
    decode_image(c, table, present, width, None, false).map(|(row, _)| row)
}

struct PartialCtx<'a> {
    /// Raw binary JSON of the before image, per column index.
    before_json: Vec<(usize, &'a [u8])>,
}

type JsonSlices<'a> = Vec<(usize, &'a [u8])>;

fn decode_image<'a>(
    c: &mut Cursor<'a>,
    table: &TableDescription,
    present: &[u8],
    width: usize,
    partial: Option<PartialCtx<'a>>,
    keep_json: bool,
) -> DResult<(Row, JsonSlices<'a>)> {
    let mut partial_bits: Option<&[u8]> = None;
    if partial.is_some() {
        let options = c.packed()?;
        if options & 1 != 0 {
            partial_bits = Some(c.take(table.json_column_count().div_ceil(8))?);
        }
    }
    let n_present = bits_set(present, width);
    let nulls = c.take(n_present.div_ceil(8))?;
    let mut values: Vec<Option<Value>> = vec![None; table.columns.len()];
    let mut json_slices = Vec::new();
    let mut k = 0usize;
    let mut json_idx = 0usize;
    for (i, (slot, col)) in values.iter_mut().zip(table.columns.iter()).enumerate() {
        let is_json = matches!(col.column_type, ColumnType::Json { .. });
        let this_json = json_idx;
        if is_json {
            json_idx += 1;
        }
        if i >= width || !bit_is_set(present, i) {
            continue;
        }
        let is_null = bit_is_set(nulls, k);
        k += 1;
        if is_null {
            *slot = Some(Value::Null);
            continue;
        }
        if let (ColumnType::Json { len_bytes }, Some(bits)) = (&col.column_type, partial_bits) {
            if bit_is_set(bits, this_json) {
                let len = c.uint_le(usize::from(*len_bytes))? as usize;
                let at = c.abs_pos();
                let data = c.take(len)?;
                let diffs = json::parse_diffs(data, at)?;
                let before = partial
                    .as_ref()
                    .and_then(|p| p.before_json.iter().find(|(ci, _)| *ci == i))
                    .map(|(_, d)| *d);
                *slot = Some(match before {
                    Some(doc) => {
                        let mut node = json::decode_binary(doc)
                            .map_err(|e| c.err(format!("before image JSON: {}", e.reason)))?;
                        json::apply_diffs(&mut node, &diffs).map_err(|e| c.err(e))?;
                        json::to_value(&node)
                    }
                    None => Value::JsonPartial(json::diffs_public(&diffs)),
                });
                continue;
            }
        }
        if keep_json {
            if let ColumnType::Json { len_bytes } = &col.column_type {
                let len = c.uint_le(usize::from(*len_bytes))? as usize;
                let at = c.abs_pos();
                let doc = c.take(len)?;
                json_slices.push((i, doc));
                *slot = Some(Value::Json(json::json_text(doc, at)?));
                continue;
            }
        }
        *slot = Some(decode_value(c, col)?);
    }
    Ok((Row { values }, json_slices))
}

fn sign_extend(v: u64, bytes: usize) -> i64 {
    let shift = 64 - 8 * bytes as u32;
    ((v << shift) as i64) >> shift
}

/// An integer of `bytes` bytes, signed unless the column is known to be unsigned.
fn read_int(c: &mut Cursor<'_>, bytes: usize, unsigned: Option<bool>) -> DResult<Number> {
    let v = c.uint_le(bytes)?;
    Ok(if unsigned == Some(true) {
        Number::UInt(v)
    } else {
        Number::Int(sign_extend(v, bytes))
    })
}

/// A number of column `col` as [`decode_value`] reads it, when the column holds
/// an integer (signed or unsigned as the column says) or a DOUBLE, without making
/// a [`Value`]. `None` for every other type.
pub(crate) fn decode_number(
    c: &mut Cursor<'_>,
    col: &ColumnDescription,
) -> DResult<Option<Number>> {
    let bytes = match col.column_type {
        ColumnType::Tiny => 1,
        ColumnType::Short => 2,
        ColumnType::Int24 => 3,
        ColumnType::Long => 4,
        ColumnType::LongLong => 8,
        ColumnType::Double => return Ok(Some(Number::Double(f64::from_bits(c.u64()?)))),
        _ => return Ok(None),
    };
    read_int(c, bytes, col.unsigned).map(Some)
}

/// What [`decode_number`] reads: the payload of a [`Value::Int`], [`Value::UInt`]
/// or [`Value::Double`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    UInt(u64),
    Double(f64),
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        match n {
            Number::Int(i) => Value::Int(i),
            Number::UInt(u) => Value::UInt(u),
            Number::Double(d) => Value::Double(d),
        }
    }
}

fn frac_micros(c: &mut Cursor<'_>, fsp: u8) -> DResult<u32> {
    Ok(match fsp {
        1 | 2 => c.uint_be(1)? as u32 * 10_000,
        3 | 4 => c.uint_be(2)? as u32 * 100,
        5 | 6 => c.uint_be(3)? as u32,
        _ => 0,
    })
}

fn string_value(bytes: &[u8], col: &ColumnDescription) -> Value {
    if col.collation == Some(63) {
        Value::Binary(Bytes(bytes.to_vec()))
    } else {
        Value::String {
            bytes: Bytes(bytes.to_vec()),
            collation: col.collation,
        }
    }
}

fn decode_time2(c: &mut Cursor<'_>, fsp: u8) -> DResult<Value> {
    const OFS: i64 = 0x80_0000;
    let packed: i64 = match fsp {
        0 => (c.uint_be(3)? as i64 - OFS) << 24,
        1 | 2 => {
            let mut int = c.uint_be(3)? as i64 - OFS;
            let mut frac = i64::from(c.u8()?);
            if int < 0 && frac != 0 {
                int += 1;
                frac -= 0x100;
            }
            (int << 24) + frac * 10_000
        }
        3 | 4 => {
            let mut int = c.uint_be(3)? as i64 - OFS;
            let mut frac = c.uint_be(2)? as i64;
            if int < 0 && frac != 0 {
                int += 1;
                frac -= 0x10000;
            }
            (int << 24) + frac * 100
        }
        _ => c.uint_be(6)? as i64 - 0x8000_0000_0000,
    };
    Ok(time_from_packed(packed, fsp))
}

/// Advances past one non-NULL value of column `col` without decoding it: the
/// length arithmetic of [`decode_value`], no allocation. Errors where the value's
/// bytes are not there (or the type cannot be decoded at all).
pub(crate) fn skip_value(c: &mut Cursor<'_>, col: &ColumnDescription) -> DResult<()> {
    let frac = |fsp: u8| usize::from(fsp).div_ceil(2);
    let n = match &col.column_type {
        ColumnType::Tiny | ColumnType::Year => 1,
        ColumnType::Short => 2,
        ColumnType::Int24 | ColumnType::Date | ColumnType::NewDate | ColumnType::Time => 3,
        ColumnType::Long | ColumnType::Float | ColumnType::Timestamp => 4,
        ColumnType::LongLong | ColumnType::Double | ColumnType::DateTime => 8,
        ColumnType::Decimal { precision, scale } => {
            crate::decimal::decimal_size(*precision, *scale)
                .ok_or_else(|| c.err(format!("invalid DECIMAL({precision},{scale})")))?
        }
        ColumnType::Time2 { fsp } => 3 + frac(*fsp),
        ColumnType::DateTime2 { fsp } => 5 + frac(*fsp),
        ColumnType::Timestamp2 { fsp } => 4 + frac(*fsp),
        ColumnType::Varchar { max_len }
        | ColumnType::VarString { max_len }
        | ColumnType::Char { max_len } => read_length(c, *max_len)?,
        ColumnType::Enum { pack_len, .. } | ColumnType::Set { pack_len, .. } => {
            if *pack_len > 8 {
                return Err(c.err(format!("integer width {pack_len} > 8")));
            }
            usize::from(*pack_len)
        }
        ColumnType::Bit { bits } => usize::from(*bits).div_ceil(8),
        ColumnType::Blob { len_bytes }
        | ColumnType::Json { len_bytes }
        | ColumnType::Geometry { len_bytes, .. }
        | ColumnType::Vector { len_bytes, .. } => {
            usize::try_from(c.uint_le(usize::from(*len_bytes))?)
                .map_err(|_| c.err("length does not fit in memory"))?
        }
        ColumnType::Null => 0,
        ColumnType::OldDecimal => {
            return Err(c.err("pre-5.0 DECIMAL columns cannot be decoded from row events"))
        }
        ColumnType::Unsupported { type_code, .. } => {
            return Err(c.err(format!("unsupported column type {type_code}")))
        }
    };
    c.skip(n)
}

/// How to step over one column's value: a fixed size, a length prefix of 1 to 4
/// bytes, or [`skip_value`] (which also reports what cannot be decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    Fixed(usize),
    Prefixed(usize),
    Other,
}

/// [`Width`] of every column of a table, in the terms of [`skip_value`].
pub(crate) fn widths(table: &TableDescription) -> Vec<Width> {
    let frac = |fsp: u8| usize::from(fsp).div_ceil(2);
    table
        .columns
        .iter()
        .map(|col| match &col.column_type {
            ColumnType::Tiny | ColumnType::Year => Width::Fixed(1),
            ColumnType::Short => Width::Fixed(2),
            ColumnType::Int24 | ColumnType::Date | ColumnType::NewDate | ColumnType::Time => {
                Width::Fixed(3)
            }
            ColumnType::Long | ColumnType::Float | ColumnType::Timestamp => Width::Fixed(4),
            ColumnType::LongLong | ColumnType::Double | ColumnType::DateTime => Width::Fixed(8),
            ColumnType::Decimal { precision, scale } => {
                crate::decimal::decimal_size(*precision, *scale).map_or(Width::Other, Width::Fixed)
            }
            ColumnType::Time2 { fsp } => Width::Fixed(3 + frac(*fsp)),
            ColumnType::DateTime2 { fsp } => Width::Fixed(5 + frac(*fsp)),
            ColumnType::Timestamp2 { fsp } => Width::Fixed(4 + frac(*fsp)),
            ColumnType::Varchar { max_len }
            | ColumnType::VarString { max_len }
            | ColumnType::Char { max_len } => Width::Prefixed(length_bytes(*max_len)),
            ColumnType::Enum { pack_len, .. } | ColumnType::Set { pack_len, .. }
                if *pack_len <= 8 =>
            {
                Width::Fixed(usize::from(*pack_len))
            }
            ColumnType::Bit { bits } => Width::Fixed(usize::from(*bits).div_ceil(8)),
            ColumnType::Blob { len_bytes }
            | ColumnType::Json { len_bytes }
            | ColumnType::Geometry { len_bytes, .. }
            | ColumnType::Vector { len_bytes, .. }
                if (1..=4).contains(len_bytes) =>
            {
                Width::Prefixed(usize::from(*len_bytes))
            }
            ColumnType::Null => Width::Fixed(0),
            _ => Width::Other,
        })
        .collect()
}

/// Where one column of a walked row image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Not in the image.
    Absent,
    /// SQL NULL.
    Null,
    /// A value starting at this position of the rows body.
    At(usize),
}

/// Walks one (non-partial) row image: the same layout [`decode_image`] reads, with
/// lengths only. Fills `slots` with one entry per table column when given.
pub(crate) fn walk_image(
    c: &mut Cursor<'_>,
    table: &TableDescription,
    widths: &[Width],
    present: &[u8],
    width: usize,
    mut slots: Option<&mut Vec<Slot>>,
) -> DResult<()> {
    let n_present = bits_set(present, width);
    let nulls = c.take(n_present.div_ceil(8))?;
    if let Some(s) = slots.as_deref_mut() {
        s.clear();
    }
    let mut k = 0usize;
    for (i, (col, w)) in table.columns.iter().zip(widths).enumerate() {
        let slot = if i >= width || !bit_is_set(present, i) {
            Slot::Absent
        } else {
            let is_null = bit_is_set(nulls, k);
            k += 1;
            if is_null {
                Slot::Null
            } else {
                let at = c.pos();
                match *w {
                    Width::Fixed(n) => c.skip(n)?,
                    Width::Prefixed(p) => {
                        let n = usize::try_from(c.uint_le(p)?)
                            .map_err(|_| c.err("length does not fit in memory"))?;
                        c.skip(n)?;
                    }
                    Width::Other => skip_value(c, col)?,
                }
                Slot::At(at)
            }
        };
        if let Some(s) = slots.as_deref_mut() {
            s.push(slot);
        }
    }
    Ok(())
}

/// Bytes of the length before a character string whose column holds at most
/// `max_len` bytes.
fn length_bytes(max_len: u16) -> usize {
    if max_len < 256 {
        1
    } else {
        2
    }
}

/// The length before a character string whose column holds at most `max_len` bytes.
fn read_length(c: &mut Cursor<'_>, max_len: u16) -> DResult<usize> {
    Ok(match length_bytes(max_len) {
        1 => usize::from(c.u8()?),
        _ => usize::from(c.u16()?),
    })
}

/// The bytes of one non-NULL VARCHAR, CHAR or BLOB/TEXT value of column `col` as
/// the row image holds them, which [`decode_value`] copies into its value (and
/// pads, for a BINARY(n) value logged without its trailing zero bytes); `None`,
/// reading nothing, for a column of any other type.
pub(crate) fn string_bytes<'a>(
    c: &mut Cursor<'a>,
    col: &ColumnDescription,
) -> DResult<Option<&'a [u8]>> {
    let n = match &col.column_type {
        ColumnType::Varchar { max_len }
        | ColumnType::VarString { max_len }
        | ColumnType::Char { max_len } => read_length(c, *max_len)?,
        ColumnType::Blob { len_bytes } => c.uint_le(usize::from(*len_bytes))? as usize,
        _ => return Ok(None),
    };
    c.take(n).map(Some)
}

/// Decodes one non-NULL value of column `col`.
pub(crate) fn decode_value(c: &mut Cursor<'_>, col: &ColumnDescription) -> DResult<Value> {
    Ok(match &col.column_type {
        ColumnType::Tiny => read_int(c, 1, col.unsigned)?.into(),
        ColumnType::Short => read_int(c, 2, col.unsigned)?.into(),
        ColumnType::Int24 => read_int(c, 3, col.unsigned)?.into(),
        ColumnType::Long => read_int(c, 4, col.unsigned)?.into(),
        ColumnType::LongLong => read_int(c, 8, col.unsigned)?.into(),
        ColumnType::Float => Value::Float(f32::from_bits(c.u32()?)),
        ColumnType::Double => Value::Double(f64::from_bits(c.u64()?)),
        ColumnType::Decimal { precision, scale } => {
            Value::Decimal(decode_decimal(c, *precision, *scale)?)
        }
        ColumnType::Year => {
            let y = c.u8()?;
            Value::Year(if y == 0 { 0 } else { 1900 + u16::from(y) })
        }
        ColumnType::Date | ColumnType::NewDate => {
            let v = c.uint_le(3)?;
            Value::Date {
                year: (v >> 9) as u16,
                month: ((v >> 5) & 15) as u8,
                day: (v & 31) as u8,
            }
        }
        ColumnType::Time => {
            let v = sign_extend(c.uint_le(3)?, 3);
            let a = v.unsigned_abs();
            Value::Time {
                negative: v < 0,
                hours: (a / 10000) as u16,
                minutes: ((a / 100) % 100) as u8,
                seconds: (a % 100) as u8,
                micros: 0,
                fsp: 0,
            }
        }
        ColumnType::Time2 { fsp } => decode_time2(c, *fsp)?,
        ColumnType::DateTime => {
            let v = c.u64()?;
            let (d, t) = (v / 1_000_000, v % 1_000_000);
            Value::DateTime {
                year: (d / 10000).min(9999) as u16,
                month: ((d / 100) % 100) as u8,
                day: (d % 100) as u8,
                hour: (t / 10000) as u8,
                minute: ((t / 100) % 100) as u8,
                second: (t % 100) as u8,
                micros: 0,
                fsp: 0,
            }
        }
        ColumnType::DateTime2 { fsp } => {
            let int = c.uint_be(5)? as i64 - 0x80_0000_0000;
            let micros = frac_micros(c, *fsp)?;
            let a = int.unsigned_abs();
            let ymd = a >> 17;
            let ym = ymd >> 5;
            let hms = a % (1 << 17);
            Value::DateTime {
                year: (ym / 13) as u16,
                month: (ym % 13) as u8,
                day: (ymd % 32) as u8,
                hour: (hms >> 12) as u8,
                minute: ((hms >> 6) % 64) as u8,
                second: (hms % 64) as u8,
                micros,
                fsp: *fsp,
            }
        }
        ColumnType::Timestamp => Value::Timestamp {
            secs: c.u32()?,
            micros: 0,
            fsp: 0,
        },
        ColumnType::Timestamp2 { fsp } => {
            let secs = c.uint_be(4)? as u32;
            let micros = frac_micros(c, *fsp)?;
            Value::Timestamp {
                secs,
                micros,
                fsp: *fsp,
            }
        }
        ColumnType::Varchar { .. } | ColumnType::VarString { .. } | ColumnType::Blob { .. } => {
            string_value(string_bytes(c, col)?.unwrap_or_default(), col)
        }
        ColumnType::Char { max_len } => {
            let value = string_value(string_bytes(c, col)?.unwrap_or_default(), col);
            // The server logs a BINARY(n) value without its trailing 0x00 bytes, but
            // stores (and returns) all n of them: restore them, so the value is the
            // one the table holds (INET4 0.0.0.0 is four zero bytes, not empty).
            match value {
                Value::Binary(Bytes(mut b)) if b.len() < usize::from(*max_len) => {
                    b.resize(usize::from(*max_len), 0);
                    Value::Binary(Bytes(b))
                }
                other => other,
            }
        }
        ColumnType::Enum { pack_len, labels } => {
            let index = c.uint_le(usize::from(*pack_len))? as u16;
            let label = labels.as_ref().and_then(|ls| {
                usize::from(index)
                    .checked_sub(1)
                    .and_then(|i| ls.get(i))
                    .cloned()
            });
            Value::Enum { index, label }
        }
        ColumnType::Set { pack_len, labels } => {
            let mask = c.uint_le(usize::from(*pack_len))?;
            let labels = labels.as_ref().map(|ls| {
                ls.iter()
                    .enumerate()
                    .filter(|(i, _)| *i < 64 && mask & (1u64 << i) != 0)
                    .map(|(_, l)| l.clone())
                    .collect()
            });
            Value::Set { mask, labels }
        }
        ColumnType::Bit { bits } => {
            let n = usize::from(*bits).div_ceil(8);
            Value::Bit {
                bits: *bits,
                bytes: Bytes(c.take(n)?.to_vec()),
            }
        }
        ColumnType::Json { len_bytes } => {
            let n = c.uint_le(usize::from(*len_bytes))? as usize;
            let at = c.abs_pos();
            let doc = c.take(n)?;
            Value::Json(json::json_text(doc, at)?)
        }
        ColumnType::Geometry { len_bytes, .. } => {
            let n = c.uint_le(usize::from(*len_bytes))? as usize;
            Value::Geometry(Bytes(c.take(n)?.to_vec()))
        }
        ColumnType::Vector { len_bytes, .. } => {
            let n = c.uint_le(usize::from(*len_bytes))? as usize;
            Value::Vector(Bytes(c.take(n)?.to_vec()))
        }
        ColumnType::Null => Value::Null,
        ColumnType::OldDecimal => {
            return Err(c.err("pre-5.0 DECIMAL columns cannot be decoded from row events"))
        }
        ColumnType::Unsupported { type_code, .. } => {
            return Err(c.err(format!("unsupported column type {type_code}")))
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn col(t: ColumnType) -> ColumnDescription {
        ColumnDescription {
            name: None,
            column_type: t,
            type_code: 0,
            unsigned: None,
            collation: None,
            nullable: true,
            visible: None,
        }
    }

    fn dec(bytes: &[u8], t: ColumnType) -> Value {
        let mut c = Cursor::new(bytes);
        let v = decode_value(&mut c, &col(t)).unwrap();
        assert!(c.is_empty(), "value left {} bytes", c.remaining());
        v
    }

    fn time(neg: bool, h: u16, m: u8, s: u8, us: u32, fsp: u8) -> Value {
        Value::Time {
            negative: neg,
            hours: h,
            minutes: m,
            seconds: s,
            micros: us,
            fsp,
        }
    }

    /// Encodes a TIME2 the way the server does (test helper).
    fn enc_time2(neg: bool, h: i64, m: i64, s: i64, us: i64, fsp: u8) -> Vec<u8> {
        let hms = (h << 12) | (m << 6) | s;
        let mut packed = (hms << 24) + us;
        if neg {
            packed = -packed;
        }
        let int = packed >> 24;
        let frac = packed % (1 << 24);
        let int3 = ((int + 0x80_0000) as u64).to_be_bytes()[5..].to_vec();
        match fsp {
            0 => int3,
            1 | 2 => {
                let mut v = int3;
                v.push((frac / 10000) as i8 as u8);
                v
            }
            3 | 4 => {
                let mut v = int3;
                v.extend_from_slice(&((frac / 100) as i16).to_be_bytes());
                v
            }
            _ => ((packed + 0x8000_0000_0000) as u64).to_be_bytes()[2..].to_vec(),
        }
    }

    #[test]
    fn integers_with_and_without_signedness() {
        assert_eq!(dec(&[0xff], ColumnType::Tiny), Value::Int(-1));
        let mut c = col(ColumnType::Tiny);
        c.unsigned = Some(true);
        assert_eq!(
            decode_value(&mut Cursor::new(&[0xff]), &c).unwrap(),
            Value::UInt(255)
        );
        assert_eq!(
            dec(&[0xff, 0xff, 0x7f], ColumnType::Int24),
            Value::Int(0x7fffff)
        );
        assert_eq!(
            dec(&[0x00, 0x00, 0x80], ColumnType::Int24),
            Value::Int(-0x800000)
        );
        let mut c = col(ColumnType::LongLong);
        c.unsigned = Some(true);
        assert_eq!(
            decode_value(&mut Cursor::new(&[0xff; 8]), &c).unwrap(),
            Value::UInt(u64::MAX)
        );
    }

    #[test]
    fn year_date_bit() {
        assert_eq!(dec(&[0], ColumnType::Year), Value::Year(0));
        assert_eq!(dec(&[124], ColumnType::Year), Value::Year(2024));
        let v: u32 = (2024 << 9) | (2 << 5) | 29;
        assert_eq!(
            dec(&v.to_le_bytes()[..3], ColumnType::Date),
            Value::Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(
            dec(&[0, 0, 0], ColumnType::Date),
            Value::Date {
                year: 0,
                month: 0,
                day: 0
            }
        );
        assert_eq!(
            dec(&[0x01, 0xff], ColumnType::Bit { bits: 9 }),
            Value::Bit {
                bits: 9,
                bytes: Bytes(vec![1, 0xff])
            }
        );
    }

    #[test]
    fn time2_every_fsp_positive_and_negative() {
        for fsp in 0..=6u8 {
            let us = match fsp {
                0 => 0,
                1 => 500_000,
                2 => 120_000,
                3 => 123_000,
                4 => 123_400,
                5 => 123_450,
                _ => 123_456,
            };
            for neg in [false, true] {
                let bytes = enc_time2(neg, 838, 59, 58, us, fsp);
                assert_eq!(bytes.len(), 3 + usize::from(fsp).div_ceil(2));
                assert_eq!(
                    dec(&bytes, ColumnType::Time2 { fsp }),
                    time(neg, 838, 59, 58, us as u32, fsp),
                    "fsp {fsp} negative {neg}"
                );
            }
        }
        // -00:00:01.5 at fsp 1 (frac borrows from the integer part)
        let bytes = enc_time2(true, 0, 0, 1, 500_000, 1);
        assert_eq!(
            dec(&bytes, ColumnType::Time2 { fsp: 1 }),
            time(true, 0, 0, 1, 500_000, 1)
        );
    }

    #[test]
    fn datetime2_and_timestamp2_every_fsp() {
        for fsp in 0..=6u8 {
            let us: u64 =
                [0, 100_000, 120_000, 123_000, 123_400, 123_450, 123_456][usize::from(fsp)];
            let ymd: u64 = ((2023 * 13 + 12) << 5) | 31;
            let hms: u64 = (23 << 12) | (59 << 6) | 59;
            let int = ((ymd << 17) | hms) + 0x80_0000_0000;
            let mut b = int.to_be_bytes()[3..].to_vec();
            let mut t = 1_700_000_000u32.to_be_bytes().to_vec();
            let frac: Vec<u8> = match fsp {
                1 | 2 => vec![(us / 10000) as u8],
                3 | 4 => ((us / 100) as u16).to_be_bytes().to_vec(),
                5 | 6 => (us as u32).to_be_bytes()[1..].to_vec(),
                _ => vec![],
            };
            b.extend_from_slice(&frac);
            t.extend_from_slice(&frac);
            assert_eq!(
                dec(&b, ColumnType::DateTime2 { fsp }),
                Value::DateTime {
                    year: 2023,
                    month: 12,
                    day: 31,
                    hour: 23,
                    minute: 59,
                    second: 59,
                    micros: us as u32,
                    fsp
                }
            );
            assert_eq!(
                dec(&t, ColumnType::Timestamp2 { fsp }),
                Value::Timestamp {
                    secs: 1_700_000_000,
                    micros: us as u32,
                    fsp
                }
            );
        }
    }

    #[test]
    fn legacy_temporal() {
        let v: u64 = 20_240_229_235_958;
        assert_eq!(
            dec(&v.to_le_bytes(), ColumnType::DateTime),
            Value::DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59,
                second: 58,
                micros: 0,
                fsp: 0
            }
        );
        let t: i32 = -8_385_958;
        assert_eq!(
            dec(&t.to_le_bytes()[..3], ColumnType::Time),
            time(true, 838, 59, 58, 0, 0)
        );
    }

    #[test]
    fn enum_set_strings() {
        let labels = Some(Arc::new(vec![Bytes(b"a".to_vec()), Bytes(b"b".to_vec())]));
        assert_eq!(
            dec(
                &[2],
                ColumnType::Enum {
                    pack_len: 1,
                    labels: labels.clone()
                }
            ),
            Value::Enum {
                index: 2,
                label: Some(Bytes(b"b".to_vec()))
            }
        );
        assert_eq!(
            dec(
                &[3],
                ColumnType::Set {
                    pack_len: 1,
                    labels: labels.clone()
                }
            ),
            Value::Set {
                mask: 3,
                labels: Some(vec![Bytes(b"a".to_vec()), Bytes(b"b".to_vec())])
            }
        );
        assert_eq!(
            dec(
                &[1, 0],
                ColumnType::Set {
                    pack_len: 2,
                    labels: None
                }
            ),
            Value::Set {
                mask: 1,
                labels: None
            }
        );
        assert_eq!(
            dec(&[2, b'h', b'i'], ColumnType::Varchar { max_len: 10 }),
            Value::String {
                bytes: Bytes(b"hi".to_vec()),
                collation: None
            }
        );
        assert_eq!(
            dec(&[1, 0, 0xff], ColumnType::Varchar { max_len: 300 }),
            Value::String {
                bytes: Bytes(vec![0xff]),
                collation: None
            }
        );
        let mut bin = col(ColumnType::Blob { len_bytes: 2 });
        bin.collation = Some(63);
        assert_eq!(
            decode_value(&mut Cursor::new(&[1, 0, 7]), &bin).unwrap(),
            Value::Binary(Bytes(vec![7]))
        );
    }

    #[test]
    fn rows_with_no_present_columns_do_not_loop_forever() {
        let table = Arc::new(TableDescription {
            table_id: 1,
            schema: "s".into(),
            table: "t".into(),
            columns: vec![col(ColumnType::Long)],
            primary_key: None,
        });
        // width 1, columns-present bitmap 0, then bytes that would be rows
        let mut ev = vec![1, 0, 0, 0, 0, 0, 0, 0, 1, 0];
        ev.extend_from_slice(&[0xaa; 64]);
        let raw = decode_rows_header(&ev, 0, 6, false, RowOp::Insert, false).unwrap();
        assert!(decode_rows(&raw, &table).is_err());
    }

    #[test]
    fn truncated_values_are_errors() {
        for t in [
            ColumnType::Long,
            ColumnType::Time2 { fsp: 6 },
            ColumnType::Varchar { max_len: 10 },
            ColumnType::Blob { len_bytes: 4 },
            ColumnType::Decimal {
                precision: 20,
                scale: 4,
            },
        ] {
            assert!(decode_value(&mut Cursor::new(&[5]), &col(t)).is_err());
        }
    }
}
