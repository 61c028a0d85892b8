//! Batched guards: one locking read per table and key for several items of a group,
//! used only where its answer maps back to the items with certainty.
//!
//! The per-item guard (`PlannedItem::guard_sql`, `k <=> ? LIMIT 2 FOR UPDATE`) is the
//! reference: a batch must give every item exactly the rows that guard would give
//! it, and lock the same index records. So:
//!
//! - A batch reads through a unique index whose columns are exactly the key's,
//!   named with `FORCE INDEX`: without it the optimizer may scan a small table and
//!   lock rows no per-item guard locks. Each key is then an equality range of that
//!   index, locked as the per-item guard locks it (the record, or the gap before
//!   the next one when the key is absent).
//! - Only keys without NULL (the batch compares with `=`, the per-item guard with
//!   `<=>`) and of types [`same_value`] decides exactly are batched.
//! - The server compares keys by the column's collation and type, which may be
//!   coarser than byte equality (`'a' = 'A'`, `'a' = 'a '`). A row it returns is
//!   given to the one item whose key it equals type-exactly. That is only the
//!   server's answer when no two items of the batch could be equal to the server
//!   without being equal exactly (then a row equal to one item's key is equal to
//!   no other's): every pair of items must differ in a key column where equality
//!   is certain (integers, temporal values, binary strings). An item that might
//!   equal another of its batch is guarded on its own.
//! - A returned row that exactly equals no item, or several, or a second row for
//!   the same item: the whole batch is guarded item by item instead.

use std::collections::HashMap;

use mysql_async::Value as My;
use reconcile_binlog::Value;

use crate::compare::{param, same_value};
use crate::sql::{push_ident, select_list, PlannedItem};

/// Most items one batched read holds; more are split over several reads. IN lists
/// are padded to a power of two up to this, so that few statement texts exist and
/// each stays in the connection's prepared-statement cache.
pub const MAX_BATCH: usize = 64;

/// A unique index the server lists for a table: every column whole (no prefix),
/// usable by the optimizer (not invisible or ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueIndex {
    /// Its name (`PRIMARY` for the primary key).
    pub name: String,
    /// Its columns, in index order.
    pub columns: Vec<String>,
}

/// The unique index whose columns are exactly `key`'s (in any order); the primary
/// key when several are.
pub fn index_for<'a>(
    indexes: &'a [UniqueIndex],
    key: &[(String, Value)],
) -> Option<&'a UniqueIndex> {
    let fits = |ix: &&UniqueIndex| {
        ix.columns.len() == key.len()
            && key.iter().all(|(c, _)| ix.columns.iter().any(|i| i == c))
            && ix
                .columns
                .iter()
                .all(|i| key.iter().filter(|(c, _)| c == i).count() == 1)
    };
    indexes
        .iter()
        .filter(fits)
        .find(|ix| ix.name == "PRIMARY")
        .or_else(|| indexes.iter().find(fits))
}

/// One row of `information_schema.STATISTICS`, by column name (upper case).
pub type StatisticsRow = HashMap<String, My>;

fn text(v: Option<&My>) -> Option<String> {
    match v {
        Some(My::Bytes(b)) => String::from_utf8(b.clone()).ok(),
        _ => None,
    }
}

fn number(v: Option<&My>) -> Option<i128> {
    match v {
        Some(My::Int(i)) => Some(i128::from(*i)),
        Some(My::UInt(u)) => Some(i128::from(*u)),
        Some(My::Bytes(b)) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// The usable unique indexes of `schema.table` from its `information_schema.STATISTICS`
/// rows. Rows of other tables (the server matches names case-insensitively) are
/// ignored; an index with a prefix part, an expression part, or marked invisible
/// (MySQL `IS_VISIBLE`) or ignored (MariaDB `IGNORED`) is left out.
pub fn unique_indexes(schema: &str, table: &str, rows: &[StatisticsRow]) -> Vec<UniqueIndex> {
    struct Found {
        name: String,
        usable: bool,
        parts: Vec<(i128, String)>,
    }
    let mut found: Vec<Found> = Vec::new();
    for row in rows {
        if text(row.get("TABLE_SCHEMA")).as_deref() != Some(schema)
            || text(row.get("TABLE_NAME")).as_deref() != Some(table)
        {
            continue;
        }
        let Some(name) = text(row.get("INDEX_NAME")) else {
            continue;
        };
        let column = text(row.get("COLUMN_NAME"));
        let seq = number(row.get("SEQ_IN_INDEX"));
        let usable = number(row.get("NON_UNIQUE")) == Some(0)
            && matches!(row.get("SUB_PART"), None | Some(My::NULL))
            && text(row.get("IS_VISIBLE")).is_none_or(|v| v.eq_ignore_ascii_case("YES"))
            && text(row.get("IGNORED")).is_none_or(|v| v.eq_ignore_ascii_case("NO"));
        let at = match found.iter().position(|f| f.name == name) {
            Some(at) => at,
            None => {
                found.push(Found {
                    name,
                    usable: true,
                    parts: Vec::new(),
                });
                found.len() - 1
            }
        };
        if let Some(f) = found.get_mut(at) {
            match (seq, column) {
                (Some(seq), Some(column)) if usable => f.parts.push((seq, column)),
                // an expression part, or a part the index cannot be forced with
                _ => f.usable = false,
            }
        }
    }
    found
        .into_iter()
        .filter(|f| f.usable && !f.parts.is_empty())
        .filter_map(|mut f| {
            f.parts.sort_by_key(|(seq, _)| *seq);
            let in_order = f
                .parts
                .iter()
                .enumerate()
                .all(|(n, (seq, _))| i128::try_from(n + 1).is_ok_and(|n| n == *seq));
            in_order.then(|| UniqueIndex {
                name: f.name,
                columns: f.parts.into_iter().map(|(_, c)| c).collect(),
            })
        })
        .collect()
}

/// The kind of a key value as far as batching cares: values of one key column must
/// be of one kind in a batch (the server compares an IN list by one type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyKind {
    Int,
    UInt,
    Year,
    Decimal,
    Date,
    DateTime(u8),
    Timestamp(u8),
    Time(u8),
    String(Option<u32>),
    Binary,
    EnumLabel,
    EnumIndex,
    SetLabels,
    SetMask,
    Bit(u16),
}

/// The kind of a value a batch can hold; `None` for NULL and for types whose exact
/// comparison may accept a row the server's `=` would not (JSON compares parsed,
/// floats by bits while `-0 = 0`), or that are no key at all.
fn key_kind(v: &Value) -> Option<KeyKind> {
    Some(match v {
        Value::Int(_) => KeyKind::Int,
        Value::UInt(_) => KeyKind::UInt,
        Value::Year(_) => KeyKind::Year,
        Value::Decimal(_) => KeyKind::Decimal,
        Value::Date { .. } => KeyKind::Date,
        Value::DateTime { fsp, .. } => KeyKind::DateTime(*fsp),
        Value::Timestamp { fsp, .. } => KeyKind::Timestamp(*fsp),
        Value::Time { fsp, .. } => KeyKind::Time(*fsp),
        Value::String { collation, .. } => KeyKind::String(*collation),
        Value::Binary(_) => KeyKind::Binary,
        Value::Enum { label: Some(_), .. } => KeyKind::EnumLabel,
        Value::Enum { label: None, .. } => KeyKind::EnumIndex,
        Value::Set {
            labels: Some(_), ..
        } => KeyKind::SetLabels,
        Value::Set { labels: None, .. } => KeyKind::SetMask,
        Value::Bit { bits, .. } => KeyKind::Bit(*bits),
        _ => return None,
    })
}

fn integer(v: &Value) -> Option<i128> {
    match v {
        Value::Int(i) => Some(i128::from(*i)),
        Value::UInt(u) => Some(i128::from(*u)),
        Value::Year(y) => Some(i128::from(*y)),
        _ => None,
    }
}

/// Whether no server can find `a` and `b` equal in one column: integers by value,
/// dates and times of one precision by their fields, binary strings by their bytes
/// without trailing zero bytes (a BINARY(n) key pads with them). Strings with a
/// collation, decimals, ENUM, SET, BIT and TIME are never certain.
fn certainly_differ(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (integer(a), integer(b)) {
        return x != y;
    }
    match (a, b) {
        (Value::Date { .. }, Value::Date { .. }) => a != b,
        (Value::DateTime { fsp: f, .. }, Value::DateTime { fsp: g, .. })
        | (Value::Timestamp { fsp: f, .. }, Value::Timestamp { fsp: g, .. }) => f == g && a != b,
        (Value::Binary(x), Value::Binary(y)) => {
            let trim = |b: &[u8]| -> usize { b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1) };
            x.0.get(..trim(&x.0)) != y.0.get(..trim(&y.0))
        }
        _ => false,
    }
}

/// Whether two keys (same columns, same order) certainly name different rows.
pub fn certainly_distinct(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
    a.iter()
        .zip(b)
        .any(|((_, x), (_, y))| certainly_differ(x, y))
}

/// One locking read of several items of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Positions of its items in the group, in group order.
    pub items: Vec<usize>,
    /// Columns before the key columns in each returned row: the guard columns of
    /// the items that expect a row (all the same list).
    pub guard_width: usize,
    /// The statement.
    pub sql: String,
    /// Its parameters (the keys, the last repeated to fill the IN list).
    pub params: Vec<My>,
}

/// A step of a group's guards, in group order of its first item.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// Several items read at once.
    Batch(Batch),
    /// One item by its own guard (`PlannedItem::guard_sql`).
    Single(usize),
}

impl Unit {
    fn first(&self) -> usize {
        match self {
            Unit::Batch(b) => b.items.first().copied().unwrap_or(usize::MAX),
            Unit::Single(i) => *i,
        }
    }
}

/// What items share a batch: the table, the index forced, the key columns in
/// order and their kinds (which decide how each is read).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape<'i> {
    schema: &'i str,
    table: &'i str,
    index: &'i str,
    key: Vec<(&'i str, KeyKind)>,
}

/// What decides the guard's select list of an item expecting a row: its columns,
/// and which are read as binary.
type GuardColumns<'i> = Vec<(&'i str, bool)>;

fn guard_columns(row: &[(String, Value)]) -> GuardColumns<'_> {
    row.iter()
        .map(|(c, v)| (c.as_str(), matches!(v, Value::Binary(_))))
        .collect()
}

/// The batches of one shape and guard list being filled.
struct Open<'i> {
    shape: Shape<'i>,
    /// The guard columns of the items expecting a row (`None`: none yet).
    guard: Option<GuardColumns<'i>>,
    /// Positions of the items, at most [`MAX_BATCH`] a chunk.
    chunks: Vec<Vec<usize>>,
}

/// Plans a group's guards: the batches (split at [`MAX_BATCH`]) and the items guarded
/// on their own, in group order of their first item. `index` gives the unique index
/// of an item's table that fits its key, if any.
pub fn plan<'i>(
    items: &'i [PlannedItem],
    index: impl Fn(&PlannedItem) -> Option<&'i UniqueIndex>,
) -> Vec<Unit> {
    let mut open: Vec<Open<'i>> = Vec::new();
    let mut units = Vec::new();
    for (pos, item) in items.iter().enumerate() {
        let key: Option<Vec<(&str, KeyKind)>> = item
            .key
            .iter()
            .map(|(c, v)| key_kind(v).map(|k| (c.as_str(), k)))
            .collect();
        let (Some(key), Some(ix)) = (key, index(item)) else {
            units.push(Unit::Single(pos));
            continue;
        };
        let shape = Shape {
            schema: &item.schema,
            table: &item.table,
            index: &ix.name,
            key,
        };
        let guard = item.expected.as_deref().map(guard_columns);
        // An item expecting no row reads only its key: it joins any batch of its
        // shape; one expecting a row, a batch reading the same guard columns.
        let found = open.iter().position(|o| {
            o.shape == shape && (guard.is_none() || o.guard.is_none() || o.guard == guard)
        });
        let o = match found.and_then(|at| open.get_mut(at)) {
            Some(o) => o,
            None => {
                open.push(Open {
                    shape,
                    guard: None,
                    chunks: vec![Vec::new()],
                });
                match open.last_mut() {
                    Some(o) => o,
                    None => continue,
                }
            }
        };
        if o.chunks.last().is_none_or(|c| c.len() >= MAX_BATCH) {
            o.chunks.push(Vec::new());
        }
        let Some(chunk) = o.chunks.last_mut() else {
            units.push(Unit::Single(pos));
            continue;
        };
        // It must certainly name another row than every item of the chunk.
        let distinct = chunk.iter().all(|&other| {
            items
                .get(other)
                .is_some_and(|o| certainly_distinct(&o.key, &item.key))
        });
        if distinct {
            chunk.push(pos);
            if o.guard.is_none() {
                o.guard = guard;
            }
        } else {
            units.push(Unit::Single(pos));
        }
    }
    for o in open {
        for chunk in o.chunks {
            match chunk.as_slice() {
                [] => {}
                [one] => units.push(Unit::Single(*one)),
                _ => units.push(Unit::Batch(batch(items, o.shape.index, chunk))),
            }
        }
    }
    units.sort_by_key(Unit::first);
    units
}

/// The read of the items at `positions` (one shape; those expecting a row read the
/// same guard columns) through the index `index`.
fn batch(items: &[PlannedItem], index: &str, positions: Vec<usize>) -> Batch {
    let members: Vec<&PlannedItem> = positions.iter().filter_map(|&p| items.get(p)).collect();
    let width = members.first().map_or(0, |m| m.key.len());
    let slots = positions
        .len()
        .next_power_of_two()
        .min(MAX_BATCH.max(positions.len()));
    let mut params = Vec::with_capacity(slots * width);
    for m in &members {
        params.extend(m.key.iter().map(|(_, v)| param(v)));
    }
    if let Some(last) = members.last() {
        for _ in members.len()..slots {
            params.extend(last.key.iter().map(|(_, v)| param(v)));
        }
    }
    let Some(first) = members.first() else {
        return Batch {
            items: positions,
            guard_width: 0,
            sql: String::new(),
            params,
        };
    };
    let guard = members.iter().find_map(|m| m.expected.as_deref());
    let mut sql = String::with_capacity(128 + slots * 8 * width);
    sql.push_str("SELECT ");
    if let Some(row) = guard {
        sql.push_str(&select_list(row));
        sql.push_str(", ");
    }
    sql.push_str(&select_list(&first.key));
    sql.push_str(" FROM ");
    sql.push_str(&first.table_ident());
    sql.push_str(" FORCE INDEX (");
    push_ident(&mut sql, index);
    sql.push_str(") WHERE ");
    if let [(column, _)] = first.key.as_slice() {
        push_ident(&mut sql, column);
        sql.push_str(" IN (");
        for n in 0..slots {
            sql.push_str(if n > 0 { ", ?" } else { "?" });
        }
        sql.push(')');
    } else {
        // OR of equalities rather than a row-constructor IN: every MySQL and
        // MariaDB version turns it into equality ranges of the index.
        for n in 0..slots {
            sql.push_str(if n > 0 { " OR (" } else { "(" });
            for (k, (column, _)) in first.key.iter().enumerate() {
                if k > 0 {
                    sql.push_str(" AND ");
                }
                push_ident(&mut sql, column);
                sql.push_str(" = ?");
            }
            sql.push(')');
        }
    }
    sql.push_str(" FOR UPDATE");
    Batch {
        items: positions,
        guard_width: guard.map_or(0, <[_]>::len),
        sql,
        params,
    }
}

/// Why a batch's answer was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncertain {
    /// A row has not the number of columns asked for.
    RowWidth,
    /// A row's key equals no item's key exactly (e.g. a case-insensitive collation
    /// returned `'A'` for `'a'`).
    NoItem,
    /// A row's key equals the keys of several items.
    SeveralItems,
    /// Several rows for one item's key.
    SeveralRows,
}

impl Uncertain {
    /// For logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Uncertain::RowWidth => "a row has an unexpected number of columns",
            Uncertain::NoItem => "a row matches no item's key exactly",
            Uncertain::SeveralItems => "a row matches several items' keys",
            Uncertain::SeveralRows => "several rows match one item's key",
        }
    }
}

/// The row the server returned for each item of a batch (by position in `rows`), or
/// why that is not certain. `keys` are the batch's items' keys; each row holds
/// `guard_width` guard columns, then the key columns.
pub fn assign(
    keys: &[&[(String, Value)]],
    rows: &[Vec<My>],
    guard_width: usize,
) -> Result<Vec<Option<usize>>, Uncertain> {
    let mut owner: Vec<Option<usize>> = vec![None; keys.len()];
    for (r, row) in rows.iter().enumerate() {
        let Some(key_values) = row.get(guard_width..) else {
            return Err(Uncertain::RowWidth);
        };
        let mut matched = None;
        for (k, key) in keys.iter().enumerate() {
            if key_values.len() != key.len() {
                return Err(Uncertain::RowWidth);
            }
            let equal = key
                .iter()
                .zip(key_values)
                .all(|((_, want), got)| same_value(want, got));
            if equal {
                if matched.is_some() {
                    return Err(Uncertain::SeveralItems);
                }
                matched = Some(k);
            }
        }
        let Some(k) = matched else {
            return Err(Uncertain::NoItem);
        };
        match owner.get_mut(k) {
            Some(slot @ None) => *slot = Some(r),
            _ => return Err(Uncertain::SeveralRows),
        }
    }
    Ok(owner)
}

#[cfg(test)]
mod tests {
    use reconcile_binlog::Bytes;

    use super::*;
    use crate::sql::Write;

    fn s(text: &str) -> Value {
        Value::String {
            bytes: Bytes(text.as_bytes().to_vec()),
            collation: Some(45),
        }
    }

    fn item(table: &str, key: Vec<(&str, Value)>, expected: bool) -> PlannedItem {
        let key: Vec<(String, Value)> = key.into_iter().map(|(c, v)| (c.to_owned(), v)).collect();
        let row: Vec<(String, Value)> = key
            .iter()
            .cloned()
            .chain([("v".to_owned(), Value::Int(1))])
            .collect();
        PlannedItem {
            item: 0,
            schema: "s".into(),
            table: table.into(),
            key,
            expected: expected.then(|| row.clone()),
            write: if expected {
                Write::Delete
            } else {
                Write::Insert(row)
            },
            east_gtids: vec![],
        }
    }

    fn pk(columns: &[&str]) -> UniqueIndex {
        UniqueIndex {
            name: "PRIMARY".into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn units(items: &[PlannedItem], ix: &UniqueIndex) -> Vec<Unit> {
        plan(items, |i| index_for(std::slice::from_ref(ix), &i.key))
    }

    fn batched(units: &[Unit]) -> Vec<Vec<usize>> {
        units
            .iter()
            .filter_map(|u| match u {
                Unit::Batch(b) => Some(b.items.clone()),
                Unit::Single(_) => None,
            })
            .collect()
    }

    fn singles(units: &[Unit]) -> Vec<usize> {
        units
            .iter()
            .filter_map(|u| match u {
                Unit::Single(i) => Some(*i),
                Unit::Batch(_) => None,
            })
            .collect()
    }

    #[test]
    fn integer_keys_of_one_table_share_one_read_through_the_forced_index() {
        let items = vec![
            item("t", vec![("id", Value::UInt(1))], true),
            item("t", vec![("id", Value::UInt(2))], false),
            item("t", vec![("id", Value::UInt(3))], true),
        ];
        let u = units(&items, &pk(&["id"]));
        assert_eq!(u.len(), 1);
        let Unit::Batch(b) = &u[0] else {
            panic!("{u:?}")
        };
        assert_eq!(b.items, vec![0, 1, 2]);
        assert_eq!(b.guard_width, 2);
        // padded to 4: the last key repeats
        assert_eq!(
            b.sql,
            "SELECT `id`, `v`, `id` FROM `s`.`t` FORCE INDEX (`PRIMARY`) WHERE `id` IN (?, ?, ?, ?) FOR UPDATE"
        );
        assert_eq!(
            b.params,
            vec![My::UInt(1), My::UInt(2), My::UInt(3), My::UInt(3)]
        );
    }

    #[test]
    fn composite_keys_read_as_or_of_equalities() {
        let items = vec![
            item("t", vec![("a", Value::Int(1)), ("b", Value::Int(1))], false),
            item("t", vec![("a", Value::Int(1)), ("b", Value::Int(2))], false),
        ];
        let u = units(&items, &pk(&["b", "a"]));
        let Unit::Batch(b) = &u[0] else {
            panic!("{u:?}")
        };
        assert_eq!(
            b.sql,
            "SELECT `a`, `b` FROM `s`.`t` FORCE INDEX (`PRIMARY`) WHERE (`a` = ? AND `b` = ?) OR (`a` = ? AND `b` = ?) FOR UPDATE"
        );
        assert_eq!(b.guard_width, 0);
    }

    #[test]
    fn these_are_guarded_on_their_own() {
        let ix = pk(&["id"]);
        // NULL in the key
        let u = units(
            &[
                item("t", vec![("id", Value::Null)], true),
                item("t", vec![("id", Value::Int(1))], true),
                item("t", vec![("id", Value::Int(2))], true),
            ],
            &ix,
        );
        assert_eq!((batched(&u), singles(&u)), (vec![vec![1, 2]], vec![0]));
        // a type the exact compare cannot decide like the server
        let u = units(
            &[
                item("t", vec![("id", Value::Double(0.0))], true),
                item("t", vec![("id", Value::Double(-0.0))], true),
                item("t", vec![("id", Value::Json("1".into()))], true),
            ],
            &ix,
        );
        assert_eq!((batched(&u), singles(&u)), (vec![], vec![0, 1, 2]));
        // no unique index with exactly the key's columns
        let u = units(
            &[
                item("t", vec![("id", Value::Int(1))], true),
                item("t", vec![("id", Value::Int(2))], true),
            ],
            &pk(&["id", "other"]),
        );
        assert_eq!((batched(&u), singles(&u)), (vec![], vec![0, 1]));
        // a batch of one is the per-item guard
        let u = units(&[item("t", vec![("id", Value::Int(1))], true)], &ix);
        assert_eq!(u, vec![Unit::Single(0)]);
        // the same key twice: the second is guarded on its own
        let u = units(
            &[
                item("t", vec![("id", Value::Int(1))], true),
                item("t", vec![("id", Value::Int(2))], true),
                item("t", vec![("id", Value::Int(1))], false),
            ],
            &ix,
        );
        assert_eq!((batched(&u), singles(&u)), (vec![vec![0, 1]], vec![2]));
    }

    #[test]
    fn collated_strings_share_a_batch_only_with_a_certain_difference_elsewhere() {
        let ix = pk(&["k"]);
        // 'a' and 'A' may be one key to the server, and nothing else tells them
        // apart: no string key is certainly another, so all are on their own.
        let u = units(
            &[
                item("t", vec![("k", s("a"))], true),
                item("t", vec![("k", s("A"))], true),
                item("t", vec![("k", s("b"))], true),
            ],
            &ix,
        );
        assert_eq!(batched(&u), Vec::<Vec<usize>>::new());
        assert_eq!(singles(&u), vec![0, 1, 2]);
        // with an integer column that differs, they may share a read
        let ix = pk(&["n", "k"]);
        let u = units(
            &[
                item("t", vec![("n", Value::Int(1)), ("k", s("a"))], true),
                item("t", vec![("n", Value::Int(2)), ("k", s("a"))], true),
                item("t", vec![("n", Value::Int(2)), ("k", s("A"))], true),
            ],
            &ix,
        );
        assert_eq!((batched(&u), singles(&u)), (vec![vec![0, 1]], vec![2]));
        // binary strings differ certainly, unless only by trailing zero bytes
        let bin = |b: &[u8]| Value::Binary(Bytes(b.to_vec()));
        let u = units(
            &[
                item("t", vec![("k", bin(b"a"))], true),
                item("t", vec![("k", bin(b"A"))], true),
                item("t", vec![("k", bin(b"a\0"))], true),
            ],
            &pk(&["k"]),
        );
        assert_eq!((batched(&u), singles(&u)), (vec![vec![0, 1]], vec![2]));
    }

    #[test]
    fn tables_shapes_and_sizes_split_batches() {
        let ix = pk(&["id"]);
        let mut items = Vec::new();
        for n in 0..(MAX_BATCH as i64 + 2) {
            items.push(item("t", vec![("id", Value::Int(n))], true));
        }
        items.push(item("u", vec![("id", Value::Int(1))], true));
        items.push(item("u", vec![("id", Value::Int(2))], true));
        // another kind in the same column: a separate read
        items.push(item("u", vec![("id", Value::UInt(3))], true));
        items.push(item("u", vec![("id", Value::UInt(4))], true));
        let u = units(&items, &ix);
        let sizes: Vec<usize> = batched(&u).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![MAX_BATCH, 2, 2, 2]);
        // items expecting no row join a batch of items expecting one
        let mixed = units(
            &[
                item("t", vec![("id", Value::Int(1))], false),
                item("t", vec![("id", Value::Int(2))], true),
            ],
            &ix,
        );
        assert_eq!(batched(&mixed), vec![vec![0, 1]]);
        // ... but a different guard list is another read
        let mut other = item("t", vec![("id", Value::Int(3))], true);
        other.expected = Some(vec![("id".into(), Value::Int(3))]);
        let split = units(
            &[
                item("t", vec![("id", Value::Int(1))], true),
                item("t", vec![("id", Value::Int(2))], true),
                other,
                item("t", vec![("id", Value::Int(4))], true),
            ],
            &ix,
        );
        assert_eq!(
            (batched(&split), singles(&split)),
            (vec![vec![0, 1, 3]], vec![2])
        );
        // units run in group order of their first item
        assert_eq!(split.first().map(Unit::first), Some(0));
        assert_eq!(split.get(1).map(Unit::first), Some(2));
    }

    #[test]
    fn rows_map_to_items_only_when_certain() {
        let one = [("k".to_owned(), s("a"))];
        let two = [("k".to_owned(), s("b"))];
        let keys: Vec<&[(String, Value)]> = vec![&one, &two];
        let row = |k: &str| vec![My::Int(7), My::Bytes(k.as_bytes().to_vec())];
        assert_eq!(assign(&keys, &[row("b")], 1), Ok(vec![None, Some(0)]));
        assert_eq!(
            assign(&keys, &[row("b"), row("a")], 1),
            Ok(vec![Some(1), Some(0)])
        );
        assert_eq!(assign(&keys, &[], 1), Ok(vec![None, None]));
        // a case-insensitive collation returned 'A' for 'a'
        assert_eq!(assign(&keys, &[row("A")], 1), Err(Uncertain::NoItem));
        // a pad-space collation returned 'a ' for 'a'
        assert_eq!(assign(&keys, &[row("a ")], 1), Err(Uncertain::NoItem));
        // two rows for one key
        assert_eq!(
            assign(&keys, &[row("a"), row("a")], 1),
            Err(Uncertain::SeveralRows)
        );
        // one row for two items
        let same: Vec<&[(String, Value)]> = vec![&one, &one];
        assert_eq!(assign(&same, &[row("a")], 1), Err(Uncertain::SeveralItems));
        // a short row
        assert_eq!(assign(&keys, &[vec![]], 1), Err(Uncertain::RowWidth));
        // a NULL read back matches nothing
        assert_eq!(
            assign(&keys, &[vec![My::Int(7), My::NULL]], 1),
            Err(Uncertain::NoItem)
        );
        // integers compare by value, whatever the protocol type
        let n = [("id".to_owned(), Value::UInt(5))];
        let keys: Vec<&[(String, Value)]> = vec![&n];
        assert_eq!(assign(&keys, &[vec![My::Int(5)]], 0), Ok(vec![Some(0)]));
        assert_eq!(
            assign(&keys, &[vec![My::Int(6)]], 0),
            Err(Uncertain::NoItem)
        );
    }

    #[test]
    fn unique_indexes_come_from_statistics_rows() {
        let row =
            |table: &str, name: &str, non_unique: i64, seq: i64, column: Option<&str>, sub: My| {
                let mut r = StatisticsRow::new();
                r.insert("TABLE_SCHEMA".into(), My::Bytes(b"s".to_vec()));
                r.insert("TABLE_NAME".into(), My::Bytes(table.as_bytes().to_vec()));
                r.insert("INDEX_NAME".into(), My::Bytes(name.as_bytes().to_vec()));
                r.insert("NON_UNIQUE".into(), My::Int(non_unique));
                r.insert(
                    "SEQ_IN_INDEX".into(),
                    My::Bytes(seq.to_string().into_bytes()),
                );
                r.insert(
                    "COLUMN_NAME".into(),
                    column.map_or(My::NULL, |c| My::Bytes(c.as_bytes().to_vec())),
                );
                r.insert("SUB_PART".into(), sub);
                r
            };
        let mut ignored = row("t", "uk_ignored", 0, 1, Some("x"), My::NULL);
        ignored.insert("IGNORED".into(), My::Bytes(b"YES".to_vec()));
        let mut invisible = row("t", "uk_invisible", 0, 1, Some("y"), My::NULL);
        invisible.insert("IS_VISIBLE".into(), My::Bytes(b"NO".to_vec()));
        let rows = vec![
            row("t", "PRIMARY", 0, 2, Some("b"), My::NULL),
            row("t", "PRIMARY", 0, 1, Some("a"), My::NULL),
            row("t", "k_plain", 1, 1, Some("c"), My::NULL),
            row("t", "uk_prefix", 0, 1, Some("d"), My::Int(10)),
            row("t", "uk_expr", 0, 1, None, My::NULL),
            row("T", "uk_other_table", 0, 1, Some("e"), My::NULL),
            row("t", "uk_e", 0, 1, Some("e"), My::NULL),
            ignored,
            invisible,
        ];
        let found = unique_indexes("s", "t", &rows);
        assert_eq!(
            found,
            vec![
                UniqueIndex {
                    name: "PRIMARY".into(),
                    columns: vec!["a".into(), "b".into()]
                },
                UniqueIndex {
                    name: "uk_e".into(),
                    columns: vec!["e".into()]
                },
            ]
        );
        let key = |cols: &[&str]| -> Vec<(String, Value)> {
            cols.iter()
                .map(|c| ((*c).to_owned(), Value::Int(1)))
                .collect()
        };
        assert_eq!(
            index_for(&found, &key(&["b", "a"])).map(|i| i.name.as_str()),
            Some("PRIMARY")
        );
        assert_eq!(
            index_for(&found, &key(&["e"])).map(|i| i.name.as_str()),
            Some("uk_e")
        );
        assert_eq!(index_for(&found, &key(&["a"])), None);
        assert_eq!(index_for(&found, &key(&["a", "a"])), None);
        assert_eq!(index_for(&found, &key(&["d"])), None);
    }
}
