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

use crate::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use reconcile_binlog::{
    ColumnType, DecodeError, ProbeChange, ProbeImage, RowFilter, RowProbe, RowSelection,
    TableDescription, Value, ValueRef,
};
use reconcile_schema::Schema;

use crate::collation::CompareRule;
use crate::compare::split_encoded;
use crate::engine::{encode_weighed_ref, retry_columns};
use crate::table::{ForeignKeyInfo, TableInfo};

/// A fast hasher (multiply and rotate) for the filter's sets. They hold only East's
/// values, so West's data cannot crowd a bucket with entries of its own; a lookup
/// with crafted West values meets at most East's entries.
///
/// A product only carries a bit upwards, and the set picks a bucket by the low
/// bits of the hash: without the final mix, encoded integers that differ above
/// their lowest bits (East's keys 1..20000) fell into a few dozen buckets, and
/// every lookup walked the long runs they made.
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
        // every bit of the state into the low bits (MurmurHash3's 64-bit finalizer)
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A set hashed with [`QuickHasher`].
type QuickSet<T> = std::collections::HashSet<T, BuildHasherDefault<QuickHasher>>;

/// East's encoded values as the filter asks after them: a bitmap with two bits
/// set for each value (a Bloom filter), at [`BITS_PER_VALUE`] to twice that many
/// bits per value. Every value inserted is found. A value with a clear bit was
/// never inserted, so a West row it turns away needs nothing from the engine;
/// about one other value in a thousand is found too, and the row it is in is
/// decoded and handed to the engine, which looks every key, tuple and signature up
/// exactly. The filter only decides what is decoded, never what a row means, so
/// it asks nothing more exact, and a West value costs one hash and two bit tests
/// in one cache line of the bitmap, instead of a lookup that compares bytes.
#[derive(Debug, Default)]
pub(crate) struct WatchSet {
    /// The hash of every distinct value inserted, to size the bitmap anew as it grows.
    hashes: QuickSet<u64>,
    /// A power of two of bits (`bits.len() * 64`, at least 1024), or none while the
    /// set is empty.
    bits: Vec<u64>,
}

/// The least bits of a [`WatchSet`]'s bitmap per value (with two bits set per
/// value, about one value in a thousand not inserted is found).
const BITS_PER_VALUE: usize = 64;

impl WatchSet {
    fn hash(value: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        BuildHasherDefault::<QuickHasher>::default().hash_one(value)
    }

    /// The two bits of hash `h`, as (word, mask): in one block of eight words (a
    /// cache line) chosen by the hash's low bits, each bit's word and place from
    /// its high bits, so that a lookup touches one line.
    fn slots(&self, h: u64) -> [(usize, u64); 2] {
        let blocks = (self.bits.len() / 8).max(1);
        let block = ((h as usize) & (blocks - 1)) * 8;
        [h >> 32, h >> 46].map(|x| (block + (x as usize & 7), 1u64 << ((x >> 3) & 63)))
    }

    fn mark(&mut self, h: u64) {
        for (w, b) in self.slots(h) {
            if let Some(word) = self.bits.get_mut(w) {
                *word |= b;
            }
        }
    }

    pub fn insert(&mut self, value: &[u8]) {
        let h = Self::hash(value);
        if !self.hashes.insert(h) {
            return;
        }
        let slots = self
            .hashes
            .len()
            .saturating_mul(BITS_PER_VALUE)
            .next_power_of_two()
            .max(1024);
        if slots > self.bits.len().saturating_mul(64) {
            // more values than the bitmap was made for: a larger one, remade
            self.bits = vec![0; slots / 64];
            let hashes: Vec<u64> = self.hashes.iter().copied().collect();
            for h in hashes {
                self.mark(h);
            }
        } else {
            self.mark(h);
        }
    }

    /// `true` for every value inserted, and for about one other value in a
    /// thousand; `false` only for a value never inserted.
    pub fn contains(&self, value: &[u8]) -> bool {
        if self.bits.is_empty() {
            return false;
        }
        self.slots(Self::hash(value))
            .iter()
            .all(|&(w, b)| self.bits.get(w).is_some_and(|word| word & b != 0))
    }

    /// How many distinct values were inserted.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

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
    pub keys: WatchSet,
    /// Keys of parents whose delete or key change cascades to East rows.
    pub cascade: WatchSet,
    /// Unique values East's final rows take (weighed values), per unique key index.
    pub unique: Vec<WatchSet>,
    /// Retry signatures of East's inserts.
    pub retry: Option<RetryWatch>,
}

impl TableWatch {
    /// Watches the values `values` of unique key `u`.
    pub fn insert_unique(&mut self, u: usize, values: &[u8]) {
        if self.unique.len() <= u {
            self.unique.resize_with(u + 1, WatchSet::default);
        }
        if let Some(set) = self.unique.get_mut(u) {
            set.insert(values);
        }
    }
}

/// Retry signatures of East's inserts into one table.
#[derive(Debug, Default)]
pub(crate) struct RetryWatch {
    sigs: WatchSet,
    /// Per place in a signature, the encoded values East's signatures have there.
    places: Vec<WatchSet>,
}

impl RetryWatch {
    pub fn insert(&mut self, sig: &[u8]) {
        if let Some(parts) = split_encoded(sig) {
            if self.places.len() < parts.len() {
                self.places.resize_with(parts.len(), WatchSet::default);
            }
            for (set, part) in self.places.iter_mut().zip(parts) {
                set.insert(part);
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
    pub deleted_parents: HashMap<(String, String), WatchSet>,
    pub layouts: HashMap<LayoutKey, Arc<TableInfo>>,
}

/// Which West row changes can matter to the engine: a reader's [`RowFilter`].
#[derive(Debug)]
pub struct WestFilter {
    watch: Arc<Watch>,
    layouts: Mutex<HashMap<LayoutKey, Layout>>,
    /// The order of the retry checks of each layout, shared by its probes.
    place_orders: Mutex<HashMap<LayoutKey, Arc<PlaceOrder>>>,
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
            place_orders: Mutex::new(HashMap::default()),
        }
    }

    /// The engine's knowledge of the layout `key` of `desc`, when it is certain.
    fn info(&self, key: &LayoutKey, desc: &TableDescription) -> Option<Arc<TableInfo>> {
        let mut layouts = self
            .layouts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let plain = |d: &TableDescription| TableDescription {
            table_id: 0,
            ..d.clone()
        };
        match layouts.get(key) {
            Some(Layout::Engine(info)) => Some(Arc::clone(info)),
            Some(Layout::West(first, info)) if **first == plain(desc) => Some(Arc::clone(info)),
            Some(Layout::West(..)) => {
                layouts.insert(key.clone(), Layout::Varied);
                None
            }
            Some(Layout::Varied) => None,
            None => {
                let info = Arc::new(TableInfo::resolve(desc, self.watch.schema.as_ref()));
                layouts.insert(
                    key.clone(),
                    Layout::West(Box::new(plain(desc)), Arc::clone(&info)),
                );
                Some(info)
            }
        }
    }
}

impl RowFilter for WestFilter {
    fn select(&self, desc: &TableDescription) -> RowSelection {
        let layout = layout_key(desc);
        let Some(info) = self.info(&layout, desc) else {
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
        let parents = fk_children
            .iter()
            .filter_map(|&f| info.foreign_keys.get(f))
            .map(|fk| ParentProbe::new(self.watch.schema.as_ref(), fk))
            .collect();
        let watch = watch.unwrap_or_default();
        let retry_columns = if watch.retry.is_some() {
            retry_columns(&info, &self.watch.volatile, info.generated.len())
        } else {
            Vec::new()
        };
        // Until West's rows tell which places reject them most cheaply, check the
        // signature place by place, cheapest to decode first and, among equally
        // cheap ones, those where East's rows differ most (a column East's inserts
        // all share is likely one most rows share).
        let costs: Vec<u8> = retry_columns
            .iter()
            .map(|&c| {
                desc.columns
                    .get(c)
                    .map_or(9, |c| decode_cost(&c.column_type, c.collation))
            })
            .collect();
        let mut first_order: Vec<usize> = (0..retry_columns.len()).collect();
        if let Some(r) = &watch.retry {
            first_order.sort_by_key(|&j| {
                let seen = r.places.get(j).map_or(0, WatchSet::len);
                (costs.get(j).copied(), std::cmp::Reverse(seen))
            });
        }
        let retry_order = Arc::clone(
            self.place_orders
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(layout)
                .or_insert_with(|| Arc::new(PlaceOrder::new(first_order, costs))),
        );
        RowSelection::Probe(Arc::new(TableProbe {
            info,
            watch,
            filter: Arc::clone(&self.watch),
            parents,
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
    parents: Vec<ParentProbe>,
    retry_columns: Vec<usize>,
    retry_order: Arc<PlaceOrder>,
}

/// Rows of a layout whose retry places are all checked, to learn their order.
const PLACE_SAMPLE: usize = 512;

/// The order in which a layout's retry signature is checked, place by place, so
/// that most West rows are told apart cheaply. It starts from a guess (cheap
/// columns first); the first [`PLACE_SAMPLE`] rows checked have every place
/// checked and counted, and the places are then checked by their cost per row
/// they reject, least first (a cheap place that rejects half the rows before a
/// dear one that rejects them all). The order decides only how soon a row is
/// rejected, never whether (see `TableProbe::repeats_east`), so the probes of all
/// workers share it and may learn it in any order of rows.
#[derive(Debug)]
struct PlaceOrder {
    first: Vec<usize>,
    /// Per place: the rough cost of checking it (`decode_cost`).
    costs: Vec<u8>,
    sampled: AtomicUsize,
    /// Per place: sampled rows it rejected.
    rejected: Vec<AtomicUsize>,
    learned: OnceLock<Vec<usize>>,
}

impl PlaceOrder {
    fn new(first: Vec<usize>, costs: Vec<u8>) -> PlaceOrder {
        let rejected = first.iter().map(|_| AtomicUsize::new(0)).collect();
        PlaceOrder {
            first,
            costs,
            sampled: AtomicUsize::new(0),
            rejected,
            learned: OnceLock::new(),
        }
    }

    /// The order once learned; `None` while rows are sampled.
    fn learned(&self) -> Option<&[usize]> {
        self.learned.get().map(Vec::as_slice)
    }

    /// Counts a sampled row and the places that rejected it; the last sample
    /// settles the order (least cost per rejected row first, ties in the first
    /// order).
    fn sample(&self, rejected_by: impl Iterator<Item = usize>) {
        for j in rejected_by {
            if let Some(n) = self.rejected.get(j) {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        if self.sampled.fetch_add(1, Ordering::Relaxed) + 1 == PLACE_SAMPLE {
            let mut order = self.first.clone();
            // cost / (rejected + 1), compared without division
            let weigh = |j: usize| {
                let cost = self.costs.get(j).map_or(9, |&c| u64::from(c));
                let rejected = self
                    .rejected
                    .get(j)
                    .map_or(0, |n| n.load(Ordering::Relaxed));
                (cost, rejected as u64 + 1)
            };
            order.sort_by(|&a, &b| {
                let ((ca, ra), (cb, rb)) = (weigh(a), weigh(b));
                (ca * rb).cmp(&(cb * ra))
            });
            let _ = self.learned.set(order);
        }
    }
}

/// A foreign key whose parent table has rows East deleted, resolved once the way
/// `parent_key` resolves it for every row.
#[derive(Debug)]
struct ParentProbe {
    /// The referencing columns, decoded before anything is judged.
    columns: Vec<usize>,
    parent: (String, String),
    /// The referencing column and the parent column's rule of each column of the
    /// parent's identity key, in its order; `None` when `parent_key` never gives a
    /// key (the parent's key is unknown, or other columns are referenced).
    key: Option<Vec<(usize, Option<CompareRule>)>>,
}

impl ParentProbe {
    fn new(schema: Option<&Schema>, fk: &ForeignKeyInfo) -> ParentProbe {
        let (ps, pt) = &fk.parent;
        let key = schema.and_then(|s| s.table(ps, pt)).and_then(|parent| {
            parent
                .identity_key()?
                .column_names()
                .map(|id_col| {
                    let pos = fk
                        .parent_columns
                        .iter()
                        .position(|c| c.eq_ignore_ascii_case(id_col))?;
                    let rule = parent
                        .column(id_col)
                        .and_then(|c| c.collation.as_deref())
                        .and_then(CompareRule::from_name);
                    Some((*fk.columns.get(pos)?, rule))
                })
                .collect()
        });
        ParentProbe {
            columns: fk.columns.clone(),
            parent: fk.parent.clone(),
            key,
        }
    }

    /// The parent's key bytes the image references into `out` (cleared first), as
    /// `parent_key` gives them for the decoded row; `false` when it gives no key.
    fn key_into(&self, image: &mut ProbeImage<'_>, out: &mut Vec<u8>) -> Result<bool, DecodeError> {
        for &c in &self.columns {
            image.get(c)?;
        }
        out.clear();
        let Some(key) = &self.key else {
            return Ok(false);
        };
        for &(c, rule) in key {
            match image.get(c)? {
                Some(ValueRef::Value(Value::Null)) | None => return Ok(false),
                Some(v) => encode_weighed_ref(rule, v, out),
            }
        }
        Ok(true)
    }
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

/// Appends to `out` (cleared first) the values of `columns` of `image`, each as its
/// collation compares it (`encode_weighed`): what the engine's key, tuple and
/// signature encodings give for the row `load` would decode. `false` when a column
/// is absent, or NULL with `null_is_missing` (the tuple of a unique key). Every
/// column is read first, so a column that cannot be decoded is an error here too.
fn encode_columns(
    info: &TableInfo,
    image: &mut ProbeImage<'_>,
    columns: &[usize],
    null_is_missing: bool,
    out: &mut Vec<u8>,
) -> Result<bool, DecodeError> {
    out.clear();
    let mut whole = true;
    for &c in columns {
        match image.get(c)? {
            None => whole = false,
            Some(ValueRef::Value(Value::Null)) if null_is_missing => whole = false,
            Some(v) if whole => {
                encode_weighed_ref(info.collations.get(c).copied().flatten(), v, out);
            }
            Some(_) => {}
        }
    }
    Ok(whole)
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
        encode_columns(&self.info, image, cols, false, out)
    }

    fn takes_unique(
        &self,
        image: &mut ProbeImage<'_>,
        buf: &mut Vec<u8>,
    ) -> Result<bool, DecodeError> {
        if self.watch.unique.iter().all(|set| set.is_empty()) {
            return Ok(false);
        }
        for (u, cols) in self.info.unique_keys.iter().enumerate() {
            if encode_columns(&self.info, image, cols, true, buf)?
                && self
                    .watch
                    .unique
                    .get(u)
                    .is_some_and(|set| set.contains(buf.as_slice()))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn references_deleted_parent(
        &self,
        image: &mut ProbeImage<'_>,
        buf: &mut Vec<u8>,
    ) -> Result<bool, DecodeError> {
        for parent in &self.parents {
            if parent.key_into(image, buf)?
                && self
                    .filter
                    .deleted_parents
                    .get(&parent.parent)
                    .is_some_and(|keys| keys.contains(buf.as_slice()))
            {
                return Ok(true);
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
        // One place at a time, so that most rows are told apart by one value. A
        // row is rejected when a place it has is not among East's values there, or
        // when it lacks a place; a value that cannot be decoded rejects nothing
        // (the whole signature, read below, reports it). So whether a row is
        // rejected does not depend on the order of the places.
        let reject = |j: usize, image: &mut ProbeImage<'_>, buf: &mut Vec<u8>| -> bool {
            let (Some(&c), Some(seen)) = (self.retry_columns.get(j), retry.places.get(j)) else {
                return true;
            };
            match image.get(c) {
                Err(_) => false,
                Ok(None) => true,
                Ok(Some(v)) => {
                    buf.clear();
                    encode_weighed_ref(self.info.collations.get(c).copied().flatten(), v, buf);
                    !seen.contains(buf.as_slice())
                }
            }
        };
        let order = &self.retry_order;
        match order.learned() {
            Some(learned) => {
                if learned.iter().any(|&j| reject(j, image, buf)) {
                    return Ok(false);
                }
            }
            None => {
                let rejected_by: Vec<usize> = order
                    .first
                    .iter()
                    .copied()
                    .filter(|&j| reject(j, image, buf))
                    .collect();
                order.sample(rejected_by.iter().copied());
                if !rejected_by.is_empty() {
                    return Ok(false);
                }
            }
        }
        Ok(
            encode_columns(&self.info, image, &self.retry_columns, false, buf)?
                && retry.sigs.contains(buf.as_slice()),
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
                    if self.takes_unique(image, value)? {
                        return Ok(true);
                    }
                }
            }
            if after {
                if let Some(image) = change.after.as_mut() {
                    if self.takes_unique(image, value)?
                        || self.references_deleted_parent(image, value)?
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

#[cfg(test)]
mod tests {
    //! The probe's encodings, read out of real row images (strings borrowed), are
    //! the bytes the engine's encodings give for the decoded rows, on every column
    //! type and collation of the fixtures and the binlog corpus.

    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use reconcile_binlog::{BinlogReader, FileSource, ReadItem, ReaderOptions};

    use super::*;
    use crate::compare::reference;
    use crate::engine::{encode_weighed, key_bytes, parent_key, signature, tuple, ParentKey};

    #[derive(Debug, Default)]
    struct Tally {
        failures: Mutex<Vec<String>>,
        borrowed: AtomicUsize,
        decoded: AtomicUsize,
        composites: AtomicUsize,
    }

    impl Tally {
        fn fail(&self, what: String) {
            let mut f = self
                .failures
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if f.len() < 20 {
                f.push(what);
            }
        }
    }

    /// Probes every row image of every table and keeps nothing.
    #[derive(Debug)]
    struct Compare {
        schema: Option<Schema>,
        tally: Arc<Tally>,
    }

    impl RowFilter for Compare {
        fn select(&self, desc: &TableDescription) -> RowSelection {
            RowSelection::Probe(Arc::new(CompareProbe {
                info: TableInfo::resolve(desc, self.schema.as_ref()),
                schema: self.schema.clone(),
                tally: Arc::clone(&self.tally),
            }))
        }
    }

    #[derive(Debug)]
    struct CompareProbe {
        info: TableInfo,
        schema: Option<Schema>,
        tally: Arc<Tally>,
    }

    type Encoded = Option<Vec<u8>>;

    impl CompareProbe {
        fn image(&self, image: &mut ProbeImage<'_>) -> Result<(), DecodeError> {
            let info = &self.info;
            let n = image.load(&[])?.values.len();
            // no rule, a case- and accent-insensitive one, a binary one
            // (`weight_into` is checked against `weight` on every rule apart)
            let rules = [
                None,
                CompareRule::from_name("utf8mb4_general_ci"),
                CompareRule::from_name("latin1_bin"),
            ];
            // each column under every rule, read before anything is decoded
            let mut single: Vec<Vec<Encoded>> = Vec::new();
            for c in 0..n {
                let v = image.get(c)?;
                match v {
                    Some(ValueRef::Value(_)) => self.tally.decoded.fetch_add(1, Ordering::Relaxed),
                    Some(_) => self.tally.borrowed.fetch_add(1, Ordering::Relaxed),
                    None => 0,
                };
                single.push(
                    rules
                        .iter()
                        .map(|&rule| {
                            v.map(|v| {
                                let mut out = vec![0xAA];
                                encode_weighed_ref(rule, v, &mut out);
                                out
                            })
                        })
                        .collect(),
                );
            }
            // the probe's key, unique tuples, retry signature and parent keys
            let mut buf = Vec::new();
            let mut columns = |cols: &[usize], null_is_missing: bool| {
                encode_columns(info, image, cols, null_is_missing, &mut buf)
                    .map(|whole| whole.then(|| buf.clone()))
            };
            let key = match &info.identity {
                Some(cols) => Some(columns(cols, false)?),
                None => None,
            };
            let mut uniques = Vec::new();
            for cols in &info.unique_keys {
                uniques.push(columns(cols, true)?);
            }
            let retry = retry_columns(info, &HashSet::default(), info.generated.len());
            let sig = columns(&retry, false)?;
            let mut parents = Vec::new();
            for fk in &info.foreign_keys {
                let probe = ParentProbe::new(self.schema.as_ref(), fk);
                let mut out = Vec::new();
                parents.push(probe.key_into(image, &mut out)?.then_some(out));
            }

            // what the engine encodes of the decoded row
            let all: Vec<usize> = (0..n).collect();
            let row = image.load(&all)?.clone();
            let place = format!("{}.{} {:?}", info.schema, info.table, row.values);
            for (c, encoded) in single.iter().enumerate() {
                let value = row.values.get(c).and_then(Option::as_ref);
                for (rule, got) in rules.iter().zip(encoded) {
                    let expected = value.map(|v| {
                        let mut out = vec![0xAA];
                        reference::encode_weighed(*rule, v, &mut out);
                        out
                    });
                    let engine = value.map(|v| {
                        let mut out = vec![0xAA];
                        encode_weighed(*rule, v, &mut out);
                        out
                    });
                    if *got != expected || engine != expected {
                        self.tally
                            .fail(format!("{place}: column {c} under {rule:?}: {got:?} {engine:?} vs {expected:?}"));
                    }
                }
            }
            let check = |what: &str, got: &Encoded, expected: Encoded| {
                self.tally.composites.fetch_add(1, Ordering::Relaxed);
                if *got != expected {
                    self.tally
                        .fail(format!("{place}: {what}: {got:?} vs {expected:?}"));
                }
            };
            if let Some(key) = &key {
                check("key", key, key_bytes(info, &row));
            }
            for (u, cols) in info.unique_keys.iter().enumerate() {
                check("unique", &uniques[u], tuple(info, &row, cols));
            }
            if !retry.is_empty() {
                check("signature", &sig, signature(info, &row, &retry));
            }
            for (fk, got) in info.foreign_keys.iter().zip(&parents) {
                let expected = match parent_key(self.schema.as_ref(), fk, &row) {
                    ParentKey::Key(_, bytes) => Some(bytes),
                    ParentKey::None | ParentKey::Unknown(_) => None,
                };
                check("parent", got, expected);
            }
            Ok(())
        }
    }

    impl RowProbe for CompareProbe {
        fn keep(
            &self,
            change: &mut ProbeChange<'_>,
            _notes: &mut Vec<u8>,
        ) -> Result<bool, DecodeError> {
            for image in [change.before.as_mut(), change.after.as_mut()]
                .into_iter()
                .flatten()
            {
                self.image(image)?;
            }
            Ok(false)
        }
    }

    fn read(source: FileSource, schema: Option<Schema>, tally: &Arc<Tally>) {
        let filter = Compare {
            schema,
            tally: Arc::clone(tally),
        };
        let options = ReaderOptions::default().with_row_filter(Arc::new(filter));
        // damaged corpus files stop at their damage
        for item in BinlogReader::new(source, options) {
            if !matches!(item, Ok(ReadItem::Transaction(_) | ReadItem::Diagnostic(_))) {
                break;
            }
        }
    }

    fn binlogs(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                binlogs(&p, out);
            } else if std::fs::read(&p)
                .is_ok_and(|b| b.starts_with(&reconcile_binlog::BINLOG_MAGIC))
            {
                out.push(p);
            }
        }
    }

    /// The filter's sets spread East's encoded values over their buckets (the low
    /// bits of the hash) about as a random hash would: keys, pairs of keys, short
    /// strings and doubles that differ only in a few bytes.
    #[test]
    fn quick_hashes_spread_over_buckets() {
        use std::hash::BuildHasher;
        let hasher = BuildHasherDefault::<QuickHasher>::default();
        let encoded = |values: &[Value]| {
            let mut out = Vec::new();
            for v in values {
                crate::compare::encode_value(v, &mut out);
            }
            out
        };
        let text = |t: String| Value::String {
            bytes: reconcile_binlog::Bytes(t.into_bytes()),
            collation: None,
        };
        let sets: [(&str, Vec<Vec<u8>>); 4] = [
            (
                "keys",
                (1..=20_000).map(|i| encoded(&[Value::UInt(i)])).collect(),
            ),
            (
                "pairs",
                (1..=4_000)
                    .flat_map(|o| (1..=5).map(move |l| (o, l)))
                    .map(|(o, l)| encoded(&[Value::UInt(o), Value::UInt(l)]))
                    .collect(),
            ),
            (
                "strings",
                (1..=20_000)
                    .map(|i| encoded(&[text(format!("user-{i}"))]))
                    .collect(),
            ),
            (
                "doubles",
                (1..=20_000)
                    .map(|i| encoded(&[Value::Double(f64::from(i) / 8.0)]))
                    .collect(),
            ),
        ];
        for (name, values) in sets {
            let buckets: HashSet<u64> = values
                .iter()
                .map(|v| hasher.hash_one(v.as_slice()) & ((1 << 14) - 1))
                .collect();
            // 20,000 values over 16,384 buckets: a random hash fills about 11,550
            assert!(buckets.len() > 10_500, "{name}: {} buckets", buckets.len());
        }
    }

    proptest::proptest! {
        /// A watch set finds every value inserted, through every remaking of its
        /// bitmap, and counts the distinct ones.
        #[test]
        fn watch_sets_find_every_value_inserted(
            values in proptest::collection::vec(
                proptest::collection::vec(0u8..4, 0..6), 0..300),
        ) {
            let mut watch = WatchSet::default();
            let mut plain = HashSet::default();
            for v in &values {
                watch.insert(v);
                plain.insert(v.clone());
                for w in &plain {
                    proptest::prop_assert!(watch.contains(w), "{w:?} lost");
                }
            }
            proptest::prop_assert_eq!(watch.len(), plain.len());
        }
    }

    /// Values never inserted are turned away, all but about one in a thousand, at
    /// every size (just after a remaking of the bitmap, it has the fewest bits per
    /// value).
    #[test]
    fn watch_sets_turn_away_nearly_every_other_value() {
        let mut watch = WatchSet::default();
        assert!(!watch.contains(&0u64.to_le_bytes()));
        let mut inserted = 0u64;
        for size in [16u64, 1_000, 1_025, 5_000, 20_000] {
            while inserted < size {
                watch.insert(&inserted.to_le_bytes());
                inserted += 1;
            }
            let found = (1_000_000..1_200_000u64)
                .filter(|i| watch.contains(&i.to_le_bytes()))
                .count();
            // two bits of 64 to 128 per value: under 0.1% expected
            assert!(found < 400, "{found} of 200000 found among {size} values");
        }
    }

    /// Once the sample is complete, the retry places are checked by cost per
    /// rejected row; before that, and for ties, the first guess holds.
    #[test]
    fn retry_places_that_reject_rows_cheapest_go_first() {
        let order = PlaceOrder::new(vec![0, 1, 2], vec![1, 1, 1]);
        for n in 0..PLACE_SAMPLE {
            assert_eq!(order.learned(), None, "after {n} samples");
            // place 2 rejects every row, place 1 every other row, place 0 none
            let by: Vec<usize> = if n % 2 == 0 { vec![1, 2] } else { vec![2] };
            order.sample(by.into_iter());
        }
        assert_eq!(order.learned(), Some(&[2, 1, 0][..]));
        // more samples (from workers that had not seen the order yet) change nothing
        order.sample([0].into_iter());
        assert_eq!(order.learned(), Some(&[2, 1, 0][..]));
        let ties = PlaceOrder::new(vec![1, 0], vec![1, 1]);
        for _ in 0..PLACE_SAMPLE {
            ties.sample(std::iter::empty());
        }
        assert_eq!(ties.learned(), Some(&[1, 0][..]));
        // a cheap place that rejects half the rows goes before a place three
        // times dearer that rejects them all; one that rejects none goes last
        let costly = PlaceOrder::new(vec![2, 0, 1], vec![1, 3, 2]);
        for n in 0..PLACE_SAMPLE {
            let by: Vec<usize> = if n % 2 == 0 { vec![0, 1] } else { vec![1] };
            costly.sample(by.into_iter());
        }
        assert_eq!(costly.learned(), Some(&[0, 1, 2][..]));
    }

    /// A foreign key's parent key, as the probe reads it, follows the parent's key
    /// order and its columns' collations (not the child's), and is absent for a
    /// NULL reference, a foreign key on other columns than the parent's key, and an
    /// unknown parent: as `parent_key` has it.
    #[test]
    fn parent_probes_give_parent_keys() {
        let schema = reconcile_schema::parse_schema(
            "CREATE DATABASE d;
USE d;
CREATE TABLE `p` (
  `a` varchar(10) COLLATE utf8mb4_general_ci NOT NULL,
  `b` int(11) NOT NULL,
  `u` int(11) NOT NULL,
  PRIMARY KEY (`b`, `a`),
  UNIQUE KEY `uk_u` (`u`)
) ENGINE=InnoDB;
CREATE TABLE `c` (
  `id` int(11) NOT NULL,
  `x` varchar(10) COLLATE utf8mb4_bin DEFAULT NULL,
  `y` int(11) DEFAULT NULL,
  `z` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `f1` FOREIGN KEY (`x`, `y`) REFERENCES `p` (`a`, `b`),
  CONSTRAINT `f2` FOREIGN KEY (`z`) REFERENCES `p` (`u`),
  CONSTRAINT `f3` FOREIGN KEY (`z`) REFERENCES `q` (`id`)
) ENGINE=InnoDB;",
        )
        .unwrap();
        let column = |name: &str, text: bool| reconcile_binlog::ColumnDescription {
            name: Some(name.to_owned()),
            column_type: if text {
                ColumnType::Varchar { max_len: 40 }
            } else {
                ColumnType::Long
            },
            type_code: if text { 15 } else { 3 },
            unsigned: (!text).then_some(false),
            collation: text.then_some(46),
            nullable: true,
            visible: None,
        };
        let desc = TableDescription {
            table_id: 1,
            schema: "d".into(),
            table: "c".into(),
            columns: vec![
                column("id", false),
                column("x", true),
                column("y", false),
                column("z", false),
            ],
            primary_key: Some(vec![(0, 0)]),
        };
        let info = TableInfo::resolve(&desc, Some(&schema));
        assert_eq!(info.foreign_keys.len(), 3);
        let text = |t: &str| {
            Some(Value::String {
                bytes: reconcile_binlog::Bytes(t.as_bytes().to_vec()),
                collation: Some(46),
            })
        };
        let rows = [
            [
                Some(Value::Int(1)),
                text("AbC "),
                Some(Value::Int(2)),
                Some(Value::Int(3)),
            ],
            [
                Some(Value::Int(1)),
                text("Zoë"),
                Some(Value::Int(-2)),
                Some(Value::Null),
            ],
            [
                Some(Value::Int(1)),
                Some(Value::Null),
                Some(Value::Int(2)),
                None,
            ],
            [Some(Value::Int(1)), text("a"), None, Some(Value::Int(3))],
        ];
        let mut keys = 0;
        for values in rows {
            let row = reconcile_binlog::Row {
                values: values.to_vec(),
            };
            for fk in &info.foreign_keys {
                let mut got = Vec::new();
                let whole = ParentProbe::new(Some(&schema), fk)
                    .key_into(&mut ProbeImage::decoded(&row), &mut got)
                    .unwrap();
                match parent_key(Some(&schema), fk, &row) {
                    ParentKey::Key(_, expected) => {
                        assert!(whole, "{row:?} {fk:?}");
                        assert_eq!(got, expected, "{row:?} {fk:?}");
                        keys += 1;
                    }
                    ParentKey::None | ParentKey::Unknown(_) => assert!(!whole, "{row:?} {fk:?}"),
                }
            }
        }
        assert_eq!(keys, 2);
    }

    #[test]
    fn probe_encodings_are_the_engines_on_every_fixture() {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let tally = Arc::new(Tally::default());
        let mut scenarios = 0;
        for entry in std::fs::read_dir(root.join("testdata"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let dir = entry.path();
            // `large` is too slow for a debug build, and holds nothing new
            let Ok(text) = std::fs::read_to_string(dir.join("schema.sql")) else {
                continue;
            };
            if dir.ends_with("large") {
                continue;
            }
            let schema = reconcile_schema::parse_schema(&text).ok();
            assert!(schema.is_some(), "{}", dir.display());
            for side in ["east", "west"] {
                let source = FileSource::from_dir(dir.join(side)).unwrap();
                read(source, schema.clone(), &tally);
            }
            scenarios += 1;
        }
        assert!(scenarios >= 10, "{scenarios} scenarios");
        // the binlog corpus: MySQL's types, old formats, no schema
        let corpus = root.join("../shared/binlog-corpus");
        let with_corpus = corpus.join("MANIFEST.md").exists();
        if with_corpus {
            let mut files = Vec::new();
            binlogs(&corpus, &mut files);
            files.sort();
            // the few files over 1 MB hold more rows, not other types
            let small = |f: &PathBuf| std::fs::metadata(f).is_ok_and(|m| m.len() <= 1 << 20);
            for f in files.into_iter().filter(small) {
                read(FileSource::open(&f), None, &tally);
            }
        } else {
            assert!(
                std::env::var_os("CI").is_none(),
                "corpus absent and CI is set"
            );
            println!(
                "SKIPPED: the corpus part, corpus absent at {}",
                corpus.display()
            );
        }
        let failures = tally
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        let (borrowed, decoded, composites) = (
            tally.borrowed.load(Ordering::Relaxed),
            tally.decoded.load(Ordering::Relaxed),
            tally.composites.load(Ordering::Relaxed),
        );
        // The fixtures alone give about 1600 values read in place (strings
        // borrowed, integers and doubles read), 1500 decoded ones and 1000 keys;
        // the corpus adds many more of each.
        let least = if with_corpus { 1000 } else { 500 };
        assert!(
            borrowed > least && decoded > least && composites > least,
            "{borrowed} read in place, {decoded} decoded values, {composites} keys"
        );
    }
}
