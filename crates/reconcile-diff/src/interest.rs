//! What of West's binlog can matter, once East is folded: a [`RowFilter`] for the
//! reader, so that the West pass decodes only the row changes the engine needs.
//!
//! The West pass looks at a West row change for exactly these reasons (see
//! `WestPass::add`), and the filter keeps a change when any of them may apply:
//!
//! - its key (before or after an update, as the engine splits key changes) is one
//!   East changed, or a foreign-key parent an East row needs;
//! - its before image's key is a parent whose delete or key change cascades to an
//!   East row (`ON DELETE/UPDATE CASCADE / SET NULL / SET DEFAULT`), even in a table
//!   East never touched;
//! - one of its images holds a unique value East's final rows take, on any key;
//! - its after image references, through a foreign key, a parent row East deleted;
//! - it inserts (or changes a row into) a row with the retry signature of an East
//!   insert, on any key.
//!
//! Everything else is counted, not decoded. One thing the engine tracks depends on
//! West's own history: whether a West row that repeated an East insert still does.
//! For the changes the filter skips in a table with East inserts, it notes the key
//! (with its place among the kept changes); the engine reads the note as "this row
//! changed into something that repeats no East insert", which is what decoding it
//! would have told.
//!
//! The filter judges each table layout with the same table knowledge the engine
//! uses for it; a layout whose knowledge the engine might take from another table
//! map is decoded in full.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use reconcile_binlog::{
    ColumnType, DecodeError, ProbeChange, ProbeImage, RowFilter, RowProbe, RowSelection,
    TableDescription,
};
use reconcile_schema::Schema;

use crate::compare::split_encoded;
use crate::engine::{
    encode_weighed, key_bytes_into, parent_key, retry_columns, signature, tuple, KeyBytes,
    ParentKey,
};
use crate::table::TableInfo;

/// A fast hasher (multiply and rotate) for the filter's sets. They hold only East's
/// values, so West's data cannot crowd a bucket with entries of its own; a lookup
/// with crafted West values meets at most East's entries.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct QuickHasher(u64);

impl QuickHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for QuickHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(<[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            for (d, s) in last.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply carries a word's low bits up, never its high bits down, and
        // hash tables pick buckets by the low bits: keys that differ only at their
        // end (big-endian numbers, say) would share buckets. Mix the high bits down.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A set hashed with [`QuickHasher`].
pub(crate) type QuickSet<T> = HashSet<T, BuildHasherDefault<QuickHasher>>;

/// A table layout as the engine caches its knowledge: names and column types.
pub(crate) type LayoutKey = (String, String, Vec<Option<String>>, Vec<u8>);

pub(crate) fn layout_key(desc: &TableDescription) -> LayoutKey {
    (
        desc.schema.clone(),
        desc.table.clone(),
        desc.columns.iter().map(|c| c.name.clone()).collect(),
        desc.columns.iter().map(|c| c.type_code).collect(),
    )
}

/// What the West pass watches in one table.
#[derive(Debug, Default)]
pub(crate) struct TableWatch {
    /// Keys East changed, and keys of parents East rows need.
    pub keys: QuickSet<KeyBytes>,
    /// Keys of parents whose delete or key change cascades to East rows.
    pub cascade: QuickSet<KeyBytes>,
    /// Unique values East's final rows take: (unique key index, weighed values).
    pub unique: QuickSet<(usize, KeyBytes)>,
    /// Retry signatures of East's inserts.
    pub retry: Option<RetryWatch>,
}

/// Retry signatures of East's inserts into one table.
#[derive(Debug, Default)]
pub(crate) struct RetryWatch {
    sigs: QuickSet<Vec<u8>>,
    /// Per place in a signature, the encoded values East's signatures have there.
    places: Vec<QuickSet<Vec<u8>>>,
}

impl RetryWatch {
    pub fn insert(&mut self, sig: Vec<u8>) {
        if let Some(parts) = split_encoded(&sig) {
            if self.places.len() < parts.len() {
                self.places.resize_with(parts.len(), QuickSet::default);
            }
            for (set, part) in self.places.iter_mut().zip(parts) {
                set.insert(part.to_vec());
            }
        }
        self.sigs.insert(sig);
    }
}

/// How the engine's knowledge of a layout was settled.
#[derive(Debug)]
enum Layout {
    /// The engine resolved it from East's table map: it uses this for West too.
    Engine(Arc<TableInfo>),
    /// Resolved from the first West table map of the layout (the engine resolves it
    /// from the first one it folds, so it must be the only one).
    West(Box<TableDescription>, Arc<TableInfo>),
    /// West logged the layout with different table maps: decode it in full.
    Varied,
}

/// Everything the filter needs, built by `WestPass::row_filter`.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    pub schema: Option<Schema>,
    pub volatile: HashSet<(String, String, String)>,
    pub tables: HashMap<(String, String), Arc<TableWatch>>,
    /// Parent tables with rows East deleted: their keys.
    pub deleted_parents: HashMap<(String, String), QuickSet<KeyBytes>>,
    pub layouts: HashMap<LayoutKey, Arc<TableInfo>>,
}

/// Which West row changes can matter to the engine: a reader's [`RowFilter`].
#[derive(Debug)]
pub struct WestFilter {
    watch: Arc<Watch>,
    layouts: Mutex<HashMap<LayoutKey, Layout>>,
}

impl WestFilter {
    pub(crate) fn new(watch: Watch) -> WestFilter {
        let layouts = watch
            .layouts
            .iter()
            .map(|(k, info)| (k.clone(), Layout::Engine(Arc::clone(info))))
            .collect();
        WestFilter {
            watch: Arc::new(watch),
            layouts: Mutex::new(layouts),
        }
    }

    /// The engine's knowledge of the layout of `desc`, when it is certain.
    fn info(&self, desc: &TableDescription) -> Option<Arc<TableInfo>> {
        let mut layouts = self
            .layouts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = layout_key(desc);
        let plain = |d: &TableDescription| TableDescription {
            table_id: 0,
            ..d.clone()
        };
        match layouts.get(&key) {
            Some(Layout::Engine(info)) => Some(Arc::clone(info)),
            Some(Layout::West(first, info)) if **first == plain(desc) => Some(Arc::clone(info)),
            Some(Layout::West(..)) => {
                layouts.insert(key, Layout::Varied);
                None
            }
            Some(Layout::Varied) => None,
            None => {
                let info = Arc::new(TableInfo::resolve(desc, self.watch.schema.as_ref()));
                layouts.insert(key, Layout::West(Box::new(plain(desc)), Arc::clone(&info)));
                Some(info)
            }
        }
    }
}

impl RowFilter for WestFilter {
    fn select(&self, desc: &TableDescription) -> RowSelection {
        let Some(info) = self.info(desc) else {
            return RowSelection::All;
        };
        let name = (info.schema.clone(), info.table.clone());
        let watch = self.watch.tables.get(&name).cloned();
        let fk_children: Vec<usize> = info
            .foreign_keys
            .iter()
            .enumerate()
            .filter(|(_, fk)| self.watch.deleted_parents.contains_key(&fk.parent))
            .map(|(f, _)| f)
            .collect();
        if watch.is_none() && fk_children.is_empty() {
            return RowSelection::Count;
        }
        if info.identity.is_none() {
            // The whole row is the identity: nothing to decode less of.
            return RowSelection::All;
        }
        let watch = watch.unwrap_or_default();
        let retry_columns = if watch.retry.is_some() {
            retry_columns(&info, &self.watch.volatile, info.generated.len())
        } else {
            Vec::new()
        };
        // Check the signature place by place, cheapest to decode first and, among
        // equally cheap ones, those where East's rows differ most (a column East's
        // inserts all share is likely one most rows share).
        let mut retry_order: Vec<usize> = (0..retry_columns.len()).collect();
        if let Some(r) = &watch.retry {
            retry_order.sort_by_key(|&j| {
                let cost = retry_columns
                    .get(j)
                    .and_then(|&c| desc.columns.get(c))
                    .map_or(9, |c| decode_cost(&c.column_type, c.collation));
                let seen = r.places.get(j).map_or(0, QuickSet::len);
                (cost, std::cmp::Reverse(seen))
            });
        }
        RowSelection::Probe(Arc::new(TableProbe {
            info,
            watch,
            filter: Arc::clone(&self.watch),
            fk_children,
            retry_columns,
            retry_order,
        }))
    }
}

/// A rough cost of decoding and encoding a value of this column, to order checks.
fn decode_cost(t: &ColumnType, collation: Option<u32>) -> u8 {
    match t {
        ColumnType::Tiny
        | ColumnType::Short
        | ColumnType::Int24
        | ColumnType::Long
        | ColumnType::LongLong
        | ColumnType::Year
        | ColumnType::Float
        | ColumnType::Double => 1,
        ColumnType::Decimal { .. } => 2,
        // binary strings compare by bytes, text by a collation weight
        ColumnType::Varchar { .. } | ColumnType::VarString { .. } | ColumnType::Char { .. }
            if collation == Some(63) =>
        {
            2
        }
        ColumnType::Varchar { .. } | ColumnType::VarString { .. } | ColumnType::Char { .. } => 4,
        ColumnType::Blob { .. } => 5,
        ColumnType::Json { .. } | ColumnType::Geometry { .. } | ColumnType::Vector { .. } => 8,
        // temporal, enum, set, bit: small, but encoded through their JSON form
        _ => 3,
    }
}

/// Decides on the few columns it decodes whether a West row change can matter.
#[derive(Debug)]
struct TableProbe {
    info: Arc<TableInfo>,
    watch: Arc<TableWatch>,
    filter: Arc<Watch>,
    /// Foreign keys whose parent table has rows East deleted.
    fk_children: Vec<usize>,
    retry_columns: Vec<usize>,
    retry_order: Vec<usize>,
}

/// Buffers a probe reuses from row to row, one set per thread.
#[derive(Debug, Default)]
struct Buffers {
    before: Vec<u8>,
    after: Vec<u8>,
    value: Vec<u8>,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::default();
}

impl TableProbe {
    /// The key of an image into `out`; `false` without one.
    fn key(
        &self,
        image: Option<&mut ProbeImage<'_>>,
        out: &mut Vec<u8>,
    ) -> Result<bool, DecodeError> {
        let (Some(image), Some(cols)) = (image, &self.info.identity) else {
            return Ok(false);
        };
        Ok(key_bytes_into(&self.info, image.load(cols)?, out))
    }

    fn takes_unique(&self, image: &mut ProbeImage<'_>) -> Result<bool, DecodeError> {
        if self.watch.unique.is_empty() {
            return Ok(false);
        }
        for (u, cols) in self.info.unique_keys.iter().enumerate() {
            if let Some(t) = tuple(&self.info, image.load(cols)?, cols) {
                if self.watch.unique.contains(&(u, t)) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn references_deleted_parent(&self, image: &mut ProbeImage<'_>) -> Result<bool, DecodeError> {
        for &f in &self.fk_children {
            let Some(fk) = self.info.foreign_keys.get(f) else {
                continue;
            };
            let row = image.load(&fk.columns)?;
            if let ParentKey::Key(_, bytes) = parent_key(self.filter.schema.as_ref(), fk, row) {
                if self
                    .filter
                    .deleted_parents
                    .get(&fk.parent)
                    .is_some_and(|keys| keys.contains(&bytes))
                {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Whether the row has the retry signature of an East insert.
    fn repeats_east(
        &self,
        image: &mut ProbeImage<'_>,
        buf: &mut Vec<u8>,
    ) -> Result<bool, DecodeError> {
        let Some(retry) = &self.watch.retry else {
            return Ok(false);
        };
        if self.retry_columns.is_empty() {
            return Ok(false);
        }
        // one place at a time, so that most rows are told apart by one value
        for &j in &self.retry_order {
            let (Some(&c), Some(seen)) = (self.retry_columns.get(j), retry.places.get(j)) else {
                return Ok(false);
            };
            let row = image.load(&[c])?;
            let Some(v) = row.values.get(c).and_then(Option::as_ref) else {
                return Ok(false);
            };
            buf.clear();
            encode_weighed(self.info.collations.get(c).copied().flatten(), v, buf);
            if !seen.contains(buf.as_slice()) {
                return Ok(false);
            }
        }
        let row = image.load(&self.retry_columns)?;
        Ok(
            signature(&self.info, row, &self.retry_columns)
                .is_some_and(|s| retry.sigs.contains(&s)),
        )
    }
}

impl RowProbe for TableProbe {
    fn keep(&self, change: &mut ProbeChange<'_>, notes: &mut Vec<u8>) -> Result<bool, DecodeError> {
        BUFFERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buffers) => self.judge(change, notes, &mut buffers),
            Err(_) => self.judge(change, notes, &mut Buffers::default()),
        })
    }
}

impl TableProbe {
    fn judge(
        &self,
        change: &mut ProbeChange<'_>,
        notes: &mut Vec<u8>,
        buffers: &mut Buffers,
    ) -> Result<bool, DecodeError> {
        let Buffers {
            before: kb_buf,
            after: ka_buf,
            value,
        } = buffers;
        let kb = self
            .key(change.before.as_mut(), kb_buf)?
            .then_some(&*kb_buf);
        let ka = self.key(change.after.as_mut(), ka_buf)?.then_some(&*ka_buf);
        // A West delete or key change of a parent cascades to East rows' West copies.
        if kb.is_some_and(|k| self.watch.cascade.contains(k)) {
            return Ok(true);
        }
        // The parts the engine folds: an update that changes the key is a delete of
        // the old key and an insert of the new one. The key of a part is that of its
        // before image when it has one.
        let (has_before, has_after) = (change.before.is_some(), change.after.is_some());
        let split = matches!((kb, ka), (Some(b), Some(a)) if b != a);
        let parts = if split {
            [(true, false, kb), (false, true, ka)]
        } else if has_before {
            [(true, has_after, kb), (false, false, None)]
        } else {
            [(false, true, ka), (false, false, None)]
        };
        let mut noted: Option<&Vec<u8>> = None;
        for (before, after, key) in parts {
            let Some(key) = key else { continue };
            if self.watch.keys.contains(key) {
                return Ok(true);
            }
            if before {
                if let Some(image) = change.before.as_mut() {
                    if self.takes_unique(image)? {
                        return Ok(true);
                    }
                }
            }
            if after {
                if let Some(image) = change.after.as_mut() {
                    if self.takes_unique(image)?
                        || self.references_deleted_parent(image)?
                        || self.repeats_east(image, value)?
                    {
                        return Ok(true);
                    }
                }
            }
            if before {
                noted = Some(key);
            }
        }
        // A row West changed: if it repeated an East insert, it no longer does.
        if let (Some(key), Some(_)) = (noted, &self.watch.retry) {
            notes.extend_from_slice(key);
        }
        Ok(false)
    }
}
