//! Row selection: which row changes a reader decodes in full.
//!
//! A [`RowFilter`] is asked once per table layout (each TABLE_MAP the table filter
//! accepts) how that table's rows are read: all decoded ([`RowSelection::All`]), none
//! decoded but counted ([`RowSelection::Count`]), or probed
//! ([`RowSelection::Probe`]): every row image is walked with lengths only, the
//! [`RowProbe`] decodes the few columns it needs through a [`ProbeImage`], and only
//! the changes it keeps are decoded in full. The changes it skips are counted per
//! table in [`Transaction::skipped`](crate::Transaction), with the notes the probe
//! wrote about them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cursor::{Cursor, DResult};
use crate::error::DecodeError;
use crate::rows::{
    decode_number, decode_rows, decode_value, string_bytes, walk_image, widths, Number, RawRows,
    Row, RowImage, RowOp, Slot, Width,
};
use crate::table_map::ColumnType;
use crate::table_map::TableDescription;
use crate::transaction::RowChange;
use crate::value::Bytes;
use crate::value::Value;

/// Decides, per table layout, how a reader reads the table's rows.
pub trait RowFilter: Send + Sync + std::fmt::Debug {
    /// How the rows of the table this TABLE_MAP describes are read.
    fn select(&self, table: &TableDescription) -> RowSelection;
}

/// How one table's rows are read.
#[derive(Debug, Clone)]
pub enum RowSelection {
    /// Every row change decoded in full, as without a filter.
    All,
    /// No row decoded: the row images are walked (lengths only) to count them.
    Count,
    /// Each row change is shown to the probe, which decodes the columns it needs;
    /// only the changes it keeps are decoded in full.
    Probe(Arc<dyn RowProbe>),
}

/// Decides on a few decoded columns whether a row change is decoded in full.
pub trait RowProbe: Send + Sync + std::fmt::Debug {
    /// Whether the change must be decoded in full. A change it does not keep is
    /// counted in its table's [`SkippedRows`]. Bytes the probe writes to `notes`
    /// (empty on entry) are delivered there as one note with the change's place
    /// among the kept changes. Errors are the decoding errors of the columns it
    /// asked for.
    fn keep(&self, change: &mut ProbeChange<'_>, notes: &mut Vec<u8>) -> Result<bool, DecodeError>;
}

/// One row change as a probe sees it.
#[derive(Debug)]
pub struct ProbeChange<'a> {
    /// The operation.
    pub op: RowOp,
    /// The before image (UPDATE, DELETE).
    pub before: Option<ProbeImage<'a>>,
    /// The after image (INSERT, UPDATE).
    pub after: Option<ProbeImage<'a>>,
}

/// A row image whose columns are decoded on demand.
#[derive(Debug)]
pub struct ProbeImage<'a> {
    inner: Image<'a>,
}

#[derive(Debug)]
enum Image<'a> {
    Decoded(&'a Row),
    Lazy {
        body: &'a [u8],
        base: usize,
        table: &'a TableDescription,
        slots: &'a [Slot],
        row: &'a mut Row,
        /// Columns decoded into `row` (to reset it for the next row).
        touched: &'a mut Vec<usize>,
    },
}

impl<'a> ProbeImage<'a> {
    /// An image that is already decoded (rows from another source, or tests).
    pub fn decoded(row: &'a Row) -> ProbeImage<'a> {
        ProbeImage {
            inner: Image::Decoded(row),
        }
    }

    /// Decodes `columns` (those not decoded yet) and returns the row: the columns
    /// decoded so far are present, every other column is absent (`None`), exactly
    /// like columns a partial image lacks. A column the image does not carry stays
    /// absent.
    pub fn load(&mut self, columns: &[usize]) -> Result<&Row, DecodeError> {
        match &mut self.inner {
            Image::Decoded(row) => Ok(row),
            Image::Lazy {
                body,
                base,
                table,
                slots,
                row,
                touched,
            } => {
                for &col in columns {
                    let Some(slot) = row.values.get_mut(col) else {
                        continue;
                    };
                    if slot.is_some() {
                        continue;
                    }
                    match slots.get(col) {
                        Some(Slot::Null) => *slot = Some(Value::Null),
                        Some(Slot::At(at)) => {
                            let (Some(bytes), Some(desc)) =
                                (body.get(*at..), table.columns.get(col))
                            else {
                                continue;
                            };
                            let mut c = Cursor::with_base(bytes, base.saturating_add(*at));
                            *slot = Some(decode_value(&mut c, desc)?);
                        }
                        Some(Slot::Absent) | None => continue,
                    }
                    // a string `get` borrowed is counted already
                    if !touched.contains(&col) {
                        touched.push(col);
                    }
                }
                Ok(row)
            }
        }
    }

    /// Column `col` of the image, `None` when the image does not carry it (as
    /// [`load`](Self::load) leaves it absent). The value is the one `load` decodes,
    /// but a character or binary string is borrowed from the row image instead of
    /// copied, and an integer or DOUBLE is read without becoming a [`Value`]: no
    /// allocation for strings, integers, floats and temporal values.
    /// Errors are those `load` of the column returns.
    pub fn get(&mut self, col: usize) -> Result<Option<ValueRef<'_>>, DecodeError> {
        match &mut self.inner {
            Image::Decoded(row) => Ok(row.get(col).map(ValueRef::Value)),
            Image::Lazy {
                body,
                base,
                table,
                slots,
                row,
                touched,
            } => {
                let Some(slot) = row.values.get_mut(col) else {
                    return Ok(None);
                };
                if slot.is_none() {
                    match slots.get(col) {
                        Some(Slot::Null) => *slot = Some(Value::Null),
                        Some(Slot::At(at)) => {
                            let (Some(bytes), Some(desc)) =
                                (body.get(*at..), table.columns.get(col))
                            else {
                                return Ok(None);
                            };
                            let at = base.saturating_add(*at);
                            // numbers are read again at each call, which costs less
                            // than keeping them
                            let read = match decode_number(&mut Cursor::with_base(bytes, at), desc)?
                            {
                                Some(number) => Some(ValueRef::from(number)),
                                None => borrow_string(bytes, at, desc)?,
                            };
                            if let Some(v) = read {
                                if !touched.contains(&col) {
                                    touched.push(col);
                                }
                                return Ok(Some(v));
                            }
                            let mut c = Cursor::with_base(bytes, at);
                            *slot = Some(decode_value(&mut c, desc)?);
                        }
                        Some(Slot::Absent) | None => return Ok(None),
                    }
                    if !touched.contains(&col) {
                        touched.push(col);
                    }
                }
                Ok(row.get(col).map(ValueRef::Value))
            }
        }
    }
}

/// A string value of column `desc` at the start of `bytes`, borrowed; `None` for
/// other types, and for a BINARY(n) value that decoding pads with zero bytes.
fn borrow_string<'b>(
    bytes: &'b [u8],
    at: usize,
    desc: &crate::table_map::ColumnDescription,
) -> Result<Option<ValueRef<'b>>, DecodeError> {
    let mut c = Cursor::with_base(bytes, at);
    let Some(value) = string_bytes(&mut c, desc)? else {
        return Ok(None);
    };
    if desc.collation != Some(63) {
        return Ok(Some(ValueRef::String {
            bytes: value,
            collation: desc.collation,
        }));
    }
    match desc.column_type {
        ColumnType::Char { max_len } if value.len() < usize::from(max_len) => Ok(None),
        _ => Ok(Some(ValueRef::Binary(value))),
    }
}

/// One column's value as [`ProbeImage::get`] reads it: strings borrowed from the
/// row image, integers and doubles read out of it, other values decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'r> {
    /// A decoded value.
    Value(&'r Value),
    /// Character data: decodes to [`Value::String`] with these bytes and collation.
    String {
        /// The bytes, in the column's character set.
        bytes: &'r [u8],
        /// The column's collation id, when the table map carries it.
        collation: Option<u32>,
    },
    /// Binary data: decodes to [`Value::Binary`] with these bytes.
    Binary(&'r [u8]),
    /// A signed integer: decodes to [`Value::Int`].
    Int(i64),
    /// An unsigned integer: decodes to [`Value::UInt`].
    UInt(u64),
    /// A DOUBLE: decodes to [`Value::Double`].
    Double(f64),
}

impl From<Number> for ValueRef<'_> {
    fn from(n: Number) -> Self {
        match n {
            Number::Int(i) => ValueRef::Int(i),
            Number::UInt(u) => ValueRef::UInt(u),
            Number::Double(d) => ValueRef::Double(d),
        }
    }
}

impl ValueRef<'_> {
    /// The value [`ProbeImage::load`] decodes.
    pub fn to_value(&self) -> Value {
        match *self {
            ValueRef::Value(v) => v.clone(),
            ValueRef::String { bytes, collation } => Value::String {
                bytes: Bytes(bytes.to_vec()),
                collation,
            },
            ValueRef::Binary(bytes) => Value::Binary(Bytes(bytes.to_vec())),
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::UInt(u) => Value::UInt(u),
            ValueRef::Double(d) => Value::Double(d),
        }
    }
}

/// Row changes of one table that a [`RowFilter`] left undecoded in a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRows {
    /// Index of the table's description in [`Transaction::tables`](crate::Transaction).
    pub table_index: usize,
    /// How many row changes were skipped.
    pub rows: u64,
    /// What the probe noted about single changes, in binlog order.
    #[serde(default, skip_serializing_if = "RowNotes::is_empty")]
    pub notes: RowNotes,
}

/// Notes a [`RowProbe`] wrote about single row changes, each with its place: the
/// number of kept changes of the transaction before the change it is about (its
/// place among [`Transaction::changes`](crate::Transaction)). Stored flat, so that
/// a note costs no allocation of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowNotes {
    /// Place and end (in `bytes`) of each note.
    index: Vec<(usize, usize)>,
    bytes: Vec<u8>,
}

impl RowNotes {
    /// Whether there is no note.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Number of notes.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Appends a note about a change at place `at`.
    pub fn push(&mut self, at: usize, note: &[u8]) {
        self.bytes.extend_from_slice(note);
        self.index.push((at, self.bytes.len()));
    }

    /// Each note with its place, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let mut start = 0;
        self.index.iter().map(move |&(at, end)| {
            let note = self.bytes.get(start..end).unwrap_or(&[]);
            start = end;
            (at, note)
        })
    }
}

/// Counters of what a reader decoded, to see that a filter saves work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Row changes decoded in full.
    pub rows_decoded: u64,
    /// Row changes counted without being decoded in full.
    pub rows_skipped: u64,
    /// Single values a probe decoded.
    pub values_probed: u64,
}

impl ReadStats {
    pub(crate) fn add(&mut self, other: &ReadStats) {
        self.rows_decoded += other.rows_decoded;
        self.rows_skipped += other.rows_skipped;
        self.values_probed += other.values_probed;
    }
}

/// The row changes of one transaction decoded so far.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    pub changes: Vec<RowChange>,
    /// Skipped rows, one entry per table, in table index order (a transaction
    /// touches a few tables: a list, not a map that allocates per entry).
    pub skipped: Vec<SkippedRows>,
}

impl Acc {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.skipped.is_empty()
    }

    pub fn skipped_rows(&self) -> u64 {
        self.skipped.iter().map(|s| s.rows).sum()
    }

    /// The entry of a table, made if it has none (always some).
    fn entry(&mut self, table_index: usize) -> Option<&mut SkippedRows> {
        let at = match self
            .skipped
            .binary_search_by_key(&table_index, |s| s.table_index)
        {
            Ok(at) => at,
            Err(at) => {
                self.skipped.insert(
                    at,
                    SkippedRows {
                        table_index,
                        rows: 0,
                        notes: RowNotes::default(),
                    },
                );
                at
            }
        };
        self.skipped.get_mut(at)
    }

    fn skip(&mut self, table_index: usize, rows: u64) {
        if rows == 0 {
            return;
        }
        if let Some(entry) = self.entry(table_index) {
            entry.rows += rows;
        }
    }

    /// Records the probe's note about the change it just judged.
    fn note(&mut self, table_index: usize, note: &[u8]) {
        if note.is_empty() {
            return;
        }
        let at = self.changes.len();
        if let Some(entry) = self.entry(table_index) {
            entry.notes.push(at, note);
        }
    }

    /// Appends the rows of a later part of the same transaction.
    pub fn extend(&mut self, other: Acc) {
        let shift = self.changes.len();
        self.changes.extend(other.changes);
        for s in other.skipped {
            let Some(mine) = self.entry(s.table_index) else {
                continue;
            };
            mine.rows += s.rows;
            for (at, note) in s.notes.iter() {
                mine.notes.push(at + shift, note);
            }
        }
    }

    /// The changes and the skipped rows (by table index) of the transaction.
    pub fn into_parts(self) -> (Vec<RowChange>, Vec<SkippedRows>) {
        (self.changes, self.skipped)
    }
}

/// How many tables' [`TableShared`] [`Scratch`] keeps: a transaction's rows
/// events take turns among a few tables.
const TABLES_KEPT: usize = 8;

/// What the rows of one table description share.
#[derive(Debug)]
struct TableShared {
    table: Arc<TableDescription>,
    widths: Arc<[Width]>,
    schema: Arc<str>,
    name: Arc<str>,
}

/// Scratch space reused from row to row.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// What rows of the last tables walked share, the latest last (each table
    /// held, so that its pointer is not reused by another table).
    tables: Vec<TableShared>,
    before_slots: Vec<Slot>,
    after_slots: Vec<Slot>,
    before_row: Row,
    after_row: Row,
    before_touched: Vec<usize>,
    after_touched: Vec<usize>,
    notes: Vec<u8>,
}

impl Scratch {
    /// The widths of `table`'s columns, shared (not copied) for each rows event.
    fn widths(&mut self, table: &Arc<TableDescription>) -> Arc<[Width]> {
        match self.shared(table) {
            Some(shared) => Arc::clone(&shared.widths),
            None => widths(table).into(),
        }
    }

    /// The schema and table names of `table`'s row changes, shared by them.
    fn names(&mut self, table: &Arc<TableDescription>) -> (Arc<str>, Arc<str>) {
        match self.shared(table) {
            Some(shared) => (Arc::clone(&shared.schema), Arc::clone(&shared.name)),
            None => (table.schema.as_str().into(), table.table.as_str().into()),
        }
    }

    /// The entry of `table`, made if there is none (so always some).
    fn shared(&mut self, table: &Arc<TableDescription>) -> Option<&TableShared> {
        let at = match self
            .tables
            .iter()
            .position(|t| Arc::ptr_eq(&t.table, table))
        {
            Some(at) => at,
            None => {
                if self.tables.len() >= TABLES_KEPT {
                    self.tables.remove(0);
                }
                self.tables.push(TableShared {
                    table: Arc::clone(table),
                    widths: widths(table).into(),
                    schema: table.schema.as_str().into(),
                    name: table.table.as_str().into(),
                });
                self.tables.len() - 1
            }
        };
        self.tables.get(at)
    }
}

/// Makes `row` a row of `n` absent columns again, clearing only what was decoded.
fn reset(row: &mut Row, touched: &mut Vec<usize>, n: usize) {
    if row.values.len() == n {
        for c in touched.drain(..) {
            if let Some(v) = row.values.get_mut(c) {
                *v = None;
            }
        }
    } else {
        touched.clear();
        row.values.clear();
        row.values.resize(n, None);
    }
}

fn row_change(
    (schema, table_name): (Arc<str>, Arc<str>),
    table_index: usize,
    op: RowOp,
    before: Option<Row>,
    after: Option<Row>,
    image: RowImage,
) -> RowChange {
    RowChange {
        table_index,
        schema,
        table: table_name,
        op,
        before,
        after,
        image,
    }
}

/// Reads the rows of one rows event as `selection` says, into `acc`.
pub(crate) fn read_rows(
    raw: &RawRows<'_>,
    table: &Arc<TableDescription>,
    table_index: usize,
    selection: &RowSelection,
    acc: &mut Acc,
    scratch: &mut Scratch,
    stats: &mut ReadStats,
) -> DResult<()> {
    match selection {
        RowSelection::Probe(probe) if !raw.partial => {
            probe_rows(raw, table, table_index, probe.as_ref(), acc, scratch, stats)
        }
        RowSelection::Count if !raw.partial => {
            let n = walk_rows(raw, table, &scratch.widths(table))?;
            stats.rows_skipped += n;
            acc.skip(table_index, n);
            Ok(())
        }
        _ => {
            // Every row decoded; a partial JSON update (whose images need the before
            // image's documents) is judged on its decoded rows.
            let rows = decode_rows(raw, table)?;
            let names = scratch.names(table);
            stats.rows_decoded += rows.len() as u64;
            for r in rows {
                let keep = match selection {
                    RowSelection::All => true,
                    RowSelection::Count => false,
                    RowSelection::Probe(p) => {
                        scratch.notes.clear();
                        let keep = judge_decoded(
                            p.as_ref(),
                            raw.op,
                            r.before.as_ref(),
                            r.after.as_ref(),
                            &mut scratch.notes,
                        )?;
                        acc.note(table_index, &scratch.notes);
                        keep
                    }
                };
                if keep {
                    acc.changes.push(row_change(
                        names.clone(),
                        table_index,
                        raw.op,
                        r.before,
                        r.after,
                        r.image,
                    ));
                } else {
                    stats.rows_skipped += 1;
                    stats.rows_decoded -= 1;
                    acc.skip(table_index, 1);
                }
            }
            Ok(())
        }
    }
}

/// The probe's verdict on an already decoded change.
fn judge_decoded(
    probe: &dyn RowProbe,
    op: RowOp,
    before: Option<&Row>,
    after: Option<&Row>,
    notes: &mut Vec<u8>,
) -> Result<bool, DecodeError> {
    let mut change = ProbeChange {
        op,
        before: before.map(ProbeImage::decoded),
        after: after.map(ProbeImage::decoded),
    };
    probe.keep(&mut change, notes)
}

fn check_width(raw: &RawRows<'_>, table: &TableDescription) -> DResult<()> {
    if raw.width > table.columns.len() {
        return Err(DecodeError::new(
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
    Ok(())
}

/// Counts the rows of an event by walking their images.
fn walk_rows(raw: &RawRows<'_>, table: &TableDescription, widths: &[Width]) -> DResult<u64> {
    check_width(raw, table)?;
    let mut c = Cursor::with_base(raw.body, raw.body_at);
    let mut n = 0u64;
    let after_cols = raw.cols_after.unwrap_or(raw.cols);
    while !c.is_empty() {
        let start = c.pos();
        walk_image(&mut c, table, widths, raw.cols, raw.width, None)?;
        if raw.op == RowOp::Update {
            walk_image(&mut c, table, widths, after_cols, raw.width, None)?;
        }
        if c.pos() == start {
            return Err(c.err("row image without any bytes (no columns present)"));
        }
        n += 1;
    }
    Ok(n)
}

fn lazy<'a>(
    raw: &RawRows<'a>,
    table: &'a TableDescription,
    slots: &'a [Slot],
    row: &'a mut Row,
    touched: &'a mut Vec<usize>,
) -> ProbeImage<'a> {
    ProbeImage {
        inner: Image::Lazy {
            body: raw.body,
            base: raw.body_at,
            table,
            slots,
            row,
            touched,
        },
    }
}

fn probe_rows(
    raw: &RawRows<'_>,
    table: &Arc<TableDescription>,
    table_index: usize,
    probe: &dyn RowProbe,
    acc: &mut Acc,
    scratch: &mut Scratch,
    stats: &mut ReadStats,
) -> DResult<()> {
    check_width(raw, table)?;
    let ncols = table.columns.len();
    let widths = scratch.widths(table);
    // taken at the first kept change: most events keep none
    let mut names = None;
    let image = crate::rows::image_kind(table, raw.cols, raw.width);
    let (has_before, has_after) = match raw.op {
        RowOp::Insert => (false, true),
        RowOp::Delete => (true, false),
        RowOp::Update => (true, true),
    };
    // the after image of an update uses the second bitmap, an insert's the first
    let after_cols = if has_before {
        raw.cols_after.unwrap_or(raw.cols)
    } else {
        raw.cols
    };
    // the same bound on decoded slots as `decode_rows`, for the rows kept
    let slots_per_row = ncols.max(1) * if raw.op == RowOp::Update { 2 } else { 1 };
    let budget = raw.body.len().saturating_mul(1024).saturating_add(1 << 16);
    let mut slots = 0usize;
    let mut c = Cursor::with_base(raw.body, raw.body_at);
    let mut skipped = 0u64;
    let mut probed = 0u64;
    while !c.is_empty() {
        let before_at = c.pos();
        if has_before {
            walk_image(
                &mut c,
                table,
                &widths,
                raw.cols,
                raw.width,
                Some(&mut scratch.before_slots),
            )?;
        }
        let after_at = c.pos();
        if has_after {
            walk_image(
                &mut c,
                table,
                &widths,
                after_cols,
                raw.width,
                Some(&mut scratch.after_slots),
            )?;
        }
        if c.pos() == before_at {
            return Err(c.err("row image without any bytes (no columns present)"));
        }
        reset(&mut scratch.before_row, &mut scratch.before_touched, ncols);
        reset(&mut scratch.after_row, &mut scratch.after_touched, ncols);
        let mut change = ProbeChange {
            op: raw.op,
            before: has_before.then(|| {
                lazy(
                    raw,
                    table,
                    &scratch.before_slots,
                    &mut scratch.before_row,
                    &mut scratch.before_touched,
                )
            }),
            after: has_after.then(|| {
                lazy(
                    raw,
                    table,
                    &scratch.after_slots,
                    &mut scratch.after_row,
                    &mut scratch.after_touched,
                )
            }),
        };
        scratch.notes.clear();
        let keep = probe.keep(&mut change, &mut scratch.notes)?;
        probed += (scratch.before_touched.len() + scratch.after_touched.len()) as u64;
        acc.note(table_index, &scratch.notes);
        if !keep {
            skipped += 1;
            continue;
        }
        slots = slots.saturating_add(slots_per_row);
        if slots > budget {
            return Err(c.err("row images are implausibly sparse for their size"));
        }
        let decode_at = |at: usize, present: &[u8]| -> DResult<Row> {
            let bytes = raw.body.get(at..).unwrap_or(&[]);
            let mut d = Cursor::with_base(bytes, raw.body_at.saturating_add(at));
            crate::rows::decode_plain_image(&mut d, table, present, raw.width)
        };
        let before = if has_before {
            Some(decode_at(before_at, raw.cols)?)
        } else {
            None
        };
        let after = if has_after {
            Some(decode_at(after_at, after_cols)?)
        } else {
            None
        };
        stats.rows_decoded += 1;
        let names = names.get_or_insert_with(|| scratch.names(table));
        acc.changes.push(row_change(
            names.clone(),
            table_index,
            raw.op,
            before,
            after,
            image,
        ));
    }
    stats.rows_skipped += skipped;
    stats.values_probed += probed;
    acc.skip(table_index, skipped);
    Ok(())
}

/// Applies a row filter to a transaction that is already decoded (from a source
/// that decoded everything, or in tests): the same changes are kept, and the same
/// counts and notes recorded, as when the reader applies the filter while decoding.
pub fn apply_row_filter(
    tx: &mut crate::Transaction,
    filter: &dyn RowFilter,
) -> Result<(), DecodeError> {
    let mut selections: Vec<Option<RowSelection>> = vec![None; tx.tables.len()];
    let mut acc = Acc::default();
    let old = std::mem::take(&mut tx.changes);
    // notes already there refer to places among the changes before this filter
    let mut kept_before = Vec::with_capacity(old.len() + 1);
    let mut notes = Vec::new();
    for c in old {
        kept_before.push(acc.changes.len());
        let selection = match (
            tx.tables.get(c.table_index),
            selections.get_mut(c.table_index),
        ) {
            (Some(table), Some(slot)) => slot.get_or_insert_with(|| filter.select(table)),
            _ => {
                acc.changes.push(c);
                continue;
            }
        };
        let keep = match selection {
            RowSelection::All => true,
            RowSelection::Count => false,
            RowSelection::Probe(p) => {
                notes.clear();
                let keep = judge_decoded(
                    p.as_ref(),
                    c.op,
                    c.before.as_ref(),
                    c.after.as_ref(),
                    &mut notes,
                )?;
                acc.note(c.table_index, &notes);
                keep
            }
        };
        if keep {
            acc.changes.push(c);
        } else {
            acc.skip(c.table_index, 1);
        }
    }
    kept_before.push(acc.changes.len());
    for s in std::mem::take(&mut tx.skipped) {
        let Some(mine) = acc.entry(s.table_index) else {
            continue;
        };
        mine.rows += s.rows;
        let mut all: Vec<(usize, Vec<u8>)> =
            mine.notes.iter().map(|(a, n)| (a, n.to_vec())).collect();
        for (at, note) in s.notes.iter() {
            let at = kept_before
                .get(at)
                .or(kept_before.last())
                .copied()
                .unwrap_or(0);
            all.push((at, note.to_vec()));
        }
        all.sort_by_key(|(at, _)| *at);
        mine.notes = RowNotes::default();
        for (at, note) in all {
            mine.notes.push(at, &note);
        }
    }
    let (changes, skipped) = acc.into_parts();
    tx.changes = changes;
    tx.skipped = skipped;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// Skipped rows come out one entry per table in table index order, whatever
    /// order the tables were met in; nothing skipped makes no entry; a later part
    /// of the transaction adds to the same entries, its notes' places shifted.
    #[test]
    fn skipped_rows_are_one_entry_per_table_in_index_order() {
        let mut acc = Acc::default();
        acc.skip(2, 3);
        acc.skip(0, 1);
        acc.skip(5, 0);
        acc.note(2, b"k");
        acc.skip(2, 1);
        acc.note(7, b"");
        let mut later = Acc::default();
        later.skip(1, 4);
        later.note(2, b"m");
        acc.changes.push(row_change(
            ("d".into(), "t".into()),
            0,
            RowOp::Insert,
            None,
            None,
            RowImage::Full,
        ));
        acc.extend(later);
        assert_eq!(acc.skipped_rows(), 9);
        let (_, skipped) = acc.into_parts();
        let tables: Vec<(usize, u64)> = skipped.iter().map(|s| (s.table_index, s.rows)).collect();
        assert_eq!(tables, [(0, 1), (1, 4), (2, 4)]);
        let notes: Vec<(usize, &[u8])> = skipped[2].notes.iter().collect();
        assert_eq!(notes, [(0, &b"k"[..]), (1, &b"m"[..])]);
    }
}
