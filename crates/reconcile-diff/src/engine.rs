//! The classification engine: East's window is folded first (it is the side whose
//! changes are replayed, and after a split-brain usually the small one), then West's
//! window is streamed, keeping state only for what East's changes involve: their
//! keys, the unique values they take, the foreign-key parents they need, and West
//! inserts that may repeat them. Memory grows with East, not with West.

use std::collections::BTreeMap;

use crate::{HashMap, HashSet};
use std::sync::Arc;

use reconcile_binlog::{
    Row, Statement, StatementKind, TableDescription, Transaction, Value, ValueRef,
};
use reconcile_schema::{FkAction, Schema};

use crate::collation::CompareRule;
use crate::compare::{
    changed_columns, compare_rows, encode_binary_bytes, encode_string_bytes, encode_value,
    encode_values, encode_weight, RowCmp,
};
use crate::fold::SideFold;
use crate::interest::{RetryWatch, TableWatch, Watch, WatchSet, WestFilter};
use crate::model::{Class, Config, DdlEvent, Item, Kind, NetOp, Outcome, SideCounts, Suggestion};
use crate::table::TableInfo;

pub(crate) type NameId = u32;
pub(crate) type KeyBytes = Vec<u8>;

/// How many of a group's items to review a clean item of the group names.
const NAMED_MEMBERS: usize = 5;
/// A West key that inserted the same row as an East insert: its table, key bytes,
/// the row's retry signature, and the key as `(column, value)`.
type RetryHit = (NameId, KeyBytes, Vec<u8>, Vec<(String, Value)>);

/// One row identity East changed.
#[derive(Debug)]
struct KeyState {
    table: usize,
    name: NameId,
    key_bytes: KeyBytes,
    key: Vec<(String, Value)>,
    order: u64,
    first_tx: usize,
    east: SideFold,
    west: Option<SideFold>,
    /// Reasons for `fk-orphan` found while streaming West.
    fk_notes: Vec<String>,
}

/// A West row holding a unique value that East's final row of another key takes.
#[derive(Debug)]
struct WestHolder {
    /// The row's key as `(column, value)`.
    key: Vec<(String, Value)>,
    /// The West transaction that last wrote the row.
    label: Arc<str>,
}

/// A foreign-key parent that an East row needs on West.
#[derive(Debug, Default)]
struct ParentWatch {
    /// `Some(false)`: West deleted it (and did not re-create it) in the given GTID.
    west_present: Option<(bool, String)>,
    /// `schema.table {key}` for messages.
    label: String,
}

/// A statement-format DML statement in East's window.
#[derive(Debug)]
struct StatementItem {
    tx: usize,
    label: String,
    statement: Statement,
    tables: Option<Vec<(String, String)>>,
}

#[derive(Debug, Default)]
struct State<'s> {
    config: Config,
    schema: Option<&'s Schema>,
    volatile: HashSet<(String, String, String)>,
    tables: Vec<Arc<TableInfo>>,
    /// Table knowledge and name per table map the reader handed over (its `Arc`,
    /// kept so that the address is not reused): most transactions reuse them.
    by_table_map: HashMap<usize, (Arc<TableDescription>, usize, NameId)>,
    /// West's row changes per table name, made `per_table` at the end.
    west_per_name: HashMap<NameId, u64>,
    table_cache: HashMap<crate::interest::LayoutKey, usize>,
    names: HashMap<(String, String), NameId>,
    keys: HashMap<(NameId, KeyBytes), usize>,
    states: Vec<KeyState>,
    seq: u64,
    east_tx: Vec<String>,
    union: Vec<usize>,
    statement_items: Vec<StatementItem>,
    ddl: Vec<DdlEvent>,
    /// Tables whose items are untrustworthy: (reason kind, message) per table.
    table_marks: HashMap<(String, String), Vec<(Kind, String)>>,
    /// Statements that could touch any table (unparseable).
    global_marks: Vec<(Kind, String)>,
    east_counts: SideCounts,
    west_counts: SideCounts,
    notes: Vec<String>,
    // Built when East is complete, fed by West.
    /// The unique values East's final rows take, per table and unique key index,
    /// each with the West rows that hold it (by key bytes, so in their order).
    west_holders: HashMap<(NameId, usize), HashMap<KeyBytes, BTreeMap<KeyBytes, WestHolder>>>,
    parents: HashMap<(NameId, KeyBytes), ParentWatch>,
    deleted_parents: HashMap<(NameId, KeyBytes), usize>,
    retry_sigs: HashMap<(NameId, Vec<u8>), Vec<usize>>,
    /// Parents of East rows' base images whose delete or key change on West would
    /// change those rows through a cascading foreign key, invisibly in the binlog:
    /// parent key -> (East state, foreign key index).
    cascade_watch: HashMap<(NameId, KeyBytes), Vec<(usize, usize)>>,
    /// East insert -> West keys that inserted the same row.
    retry_hits: HashMap<usize, Vec<RetryHit>>,
    /// Those West keys: for each retry signature seen inserted there, whether West's
    /// current row still has it (a retry row West later deleted or changed is no
    /// duplicate, and a key West reused for another row does not revive it).
    retry_west: HashMap<(NameId, KeyBytes), HashMap<Vec<u8>, bool>>,
}

/// First pass: feed East's transactions after the divergence point, in commit order.
#[derive(Debug)]
pub struct EastPass<'s> {
    state: State<'s>,
}

/// Second pass: feed West's transactions after the divergence point.
#[derive(Debug)]
pub struct WestPass<'s> {
    state: State<'s>,
}

/// A transaction's label, formatted only when shown.
struct Label<'t>(&'t Transaction);

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&label_of(self.0))
    }
}

fn label_of(tx: &Transaction) -> String {
    match &tx.gtid {
        Some(g) => g.to_string(),
        None => format!(
            "{}:{}",
            tx.position
                .file
                .rsplit('/')
                .next()
                .unwrap_or(&tx.position.file),
            tx.position.start
        ),
    }
}

impl<'s> EastPass<'s> {
    /// An engine for one scan. `schema` is `--schema`, when given.
    pub fn new(config: Config, schema: Option<&'s Schema>) -> EastPass<'s> {
        let volatile = config.volatile_columns.iter().cloned().collect();
        EastPass {
            state: State {
                config,
                schema,
                volatile,
                ..State::default()
            },
        }
    }

    /// Folds one East transaction.
    pub fn add(&mut self, tx: &Transaction) {
        let s = &mut self.state;
        let tx_index = s.east_tx.len();
        let label = label_of(tx);
        tracing::debug!(side = "east", gtid = %label, rows = tx.changes.len(), "transaction");
        s.east_tx.push(label.clone());
        s.union.push(tx_index);
        s.east_counts.transactions += 1;
        for statement in &tx.statements {
            match statement.kind {
                StatementKind::Ddl => {
                    s.record_statement("east", &label, statement, Kind::DdlInWindow)
                }
                StatementKind::Dml => {
                    s.record_statement("east", &label, statement, Kind::StatementEvent);
                    s.statement_items.push(StatementItem {
                        tx: tx_index,
                        label: label.clone(),
                        statement: statement.clone(),
                        tables: reconcile_schema::statement_tables(
                            &statement.text,
                            statement.schema.as_deref(),
                        ),
                    });
                }
                _ => {}
            }
        }
        let infos: Vec<usize> = tx.tables.iter().map(|d| s.table_info(d)).collect();
        let gtid: Arc<str> = Arc::from(label.as_str());
        for change in &tx.changes {
            s.east_counts.row_changes += 1;
            *s.east_counts
                .per_table
                .entry(format!("{}.{}", change.schema, change.table))
                .or_insert(0) += 1;
            let Some(&ti) = infos.get(change.table_index) else {
                s.notes.push(format!(
                    "{label}: a row change without its table map was ignored"
                ));
                continue;
            };
            let info = Arc::clone(&s.tables[ti]);
            for (before, after, key_bytes) in
                parts_by_key(&info, change.before.as_ref(), change.after.as_ref())
            {
                let name = s.name_id(&info.schema, &info.table);
                match s.keys.get(&(name, key_bytes.clone())) {
                    Some(&i) => {
                        s.states[i].east.push(before, after, &gtid, &info.generated);
                        let first = s.states[i].first_tx;
                        s.unite(first, tx_index);
                    }
                    None => {
                        let Some(key) = before.or(after).and_then(|r| key_values(&info, r)) else {
                            continue;
                        };
                        s.seq += 1;
                        let state = KeyState {
                            table: ti,
                            name,
                            key_bytes: key_bytes.clone(),
                            key,
                            order: s.seq,
                            first_tx: tx_index,
                            east: SideFold::new(before, after, &gtid, &info.generated),
                            west: None,
                            fk_notes: Vec::new(),
                        };
                        s.keys.insert((name, key_bytes), s.states.len());
                        s.states.push(state);
                    }
                }
            }
        }
    }

    /// East is complete: prepare what West must be watched for.
    pub fn into_west(mut self) -> WestPass<'s> {
        self.state.prepare_west();
        WestPass { state: self.state }
    }
}

/// One part of a row change as the engine folds it: its before and after images
/// and the bytes of its key.
type Part<'r> = (Option<&'r Row>, Option<&'r Row>, KeyBytes);

/// The parts of a change, each with its key: an update that changes the key is a
/// delete of the old key and an insert of the new. A part's key is that of its
/// before image when it has one; a part without a key is left out.
fn parts_by_key<'r>(
    info: &TableInfo,
    before: Option<&'r Row>,
    after: Option<&'r Row>,
) -> impl Iterator<Item = Part<'r>> {
    let parts: [Option<Part<'r>>; 2] = match (before, after) {
        (Some(b), Some(a)) => match (key_bytes(info, b), key_bytes(info, a)) {
            (Some(kb), Some(ka)) if kb != ka => {
                [Some((Some(b), None, kb)), Some((None, Some(a), ka))]
            }
            (kb, _) => [kb.map(|k| (Some(b), Some(a), k)), None],
        },
        (b, a) => [
            b.or(a).and_then(|r| key_bytes(info, r)).map(|k| (b, a, k)),
            None,
        ],
    };
    parts.into_iter().flatten()
}

/// The identity of a row as `(column, value)` pairs: its identity-key values, or
/// every non-generated value; `None` exactly when [`key_bytes`] gives none.
fn key_values(info: &TableInfo, row: &Row) -> Option<Vec<(String, Value)>> {
    let columns: Vec<usize> = match &info.identity {
        Some(cols) => cols.clone(),
        None => (0..row.values.len())
            .filter(|&i| !info.generated.get(i).copied().unwrap_or(false))
            .collect(),
    };
    let mut values = Vec::with_capacity(columns.len());
    for c in columns {
        let value = row.values.get(c)?.as_ref()?;
        let name = info
            .columns
            .get(c)
            .cloned()
            .unwrap_or_else(|| format!("@{}", c + 1));
        values.push((name, value.clone()));
    }
    Some(values)
}

/// The bytes of a row's identity ([`key_values`]), `None` when a key column is absent.
pub(crate) fn key_bytes(info: &TableInfo, row: &Row) -> Option<KeyBytes> {
    let mut out = Vec::with_capacity(32);
    key_bytes_into(info, row, &mut out).then_some(out)
}

/// [`key_bytes`] into a buffer (cleared first); `false` when a key column is absent.
pub(crate) fn key_bytes_into(info: &TableInfo, row: &Row, out: &mut Vec<u8>) -> bool {
    out.clear();
    key_encoding(info, row, out).is_some()
}

fn key_encoding(info: &TableInfo, row: &Row, out: &mut Vec<u8>) -> Option<()> {
    match &info.identity {
        // A key compares under its collation ...
        Some(cols) => {
            for &c in cols {
                let value = row.values.get(c)?.as_ref()?;
                encode_weighed(info.collations.get(c).copied().flatten(), value, out);
            }
        }
        // ... a whole-row identity (no key) is matched record by record, exactly, as
        // the server matches such rows.
        None => {
            for (i, value) in row.values.iter().enumerate() {
                if !info.generated.get(i).copied().unwrap_or(false) {
                    encode_value(value.as_ref()?, out);
                }
            }
        }
    }
    Some(())
}

/// Appends the encoding of a value as its collation compares it: character data
/// becomes its collation weight, everything else stays as it is.
pub(crate) fn encode_weighed(rule: Option<CompareRule>, value: &Value, out: &mut Vec<u8>) {
    match (rule, value) {
        (Some(rule), Value::String { bytes, .. }) => encode_weight(rule, &bytes.0, out),
        _ => encode_value(value, out),
    }
}

/// [`encode_weighed`] of the value a probe read (a string borrowed from the row
/// image): the same bytes as of the decoded value.
pub(crate) fn encode_weighed_ref(
    rule: Option<CompareRule>,
    value: ValueRef<'_>,
    out: &mut Vec<u8>,
) {
    match (rule, value) {
        (_, ValueRef::Value(v)) => encode_weighed(rule, v, out),
        (Some(rule), ValueRef::String { bytes, .. }) => encode_weight(rule, bytes, out),
        (None, ValueRef::String { bytes, .. }) => encode_string_bytes(bytes, out),
        (_, ValueRef::Binary(bytes)) => encode_binary_bytes(bytes, out),
        (_, ValueRef::Int(i)) => encode_value(&Value::Int(i), out),
        (_, ValueRef::UInt(u)) => encode_value(&Value::UInt(u), out),
        (_, ValueRef::Double(d)) => encode_value(&Value::Double(d), out),
    }
}

/// A value as its collation compares it: character data becomes its collation
/// weight, everything else stays as it is.
fn weighed(rule: Option<CompareRule>, value: &Value) -> Value {
    match (rule, value) {
        (Some(rule), Value::String { bytes, .. }) => Value::String {
            bytes: reconcile_binlog::Bytes(rule.weight(&bytes.0)),
            collation: None,
        },
        _ => value.clone(),
    }
}

/// Values of `columns` in `row`, as their collations compare them, when all are
/// present and none is NULL.
pub(crate) fn tuple(info: &TableInfo, row: &Row, columns: &[usize]) -> Option<KeyBytes> {
    let mut out = Vec::new();
    tuple_into(info, row, columns, &mut out).then_some(out)
}

/// [`tuple`] into a buffer (cleared first); `false` where `tuple` gives `None`.
fn tuple_into(info: &TableInfo, row: &Row, columns: &[usize], out: &mut Vec<u8>) -> bool {
    out.clear();
    for &c in columns {
        match row.values.get(c).and_then(Option::as_ref) {
            None | Some(Value::Null) => return false,
            Some(v) => encode_weighed(info.collations.get(c).copied().flatten(), v, out),
        }
    }
    true
}

/// The columns of a retry signature: every column but the identity, volatile and
/// generated ones, in table order.
pub(crate) fn retry_columns(
    info: &TableInfo,
    volatile: &HashSet<(String, String, String)>,
    width: usize,
) -> Vec<usize> {
    let identity: HashSet<usize> = info.identity.iter().flatten().copied().collect();
    (0..width)
        .filter(|i| {
            let name = info.columns.get(*i).cloned().unwrap_or_default();
            !identity.contains(i)
                && !volatile.contains(&(info.schema.clone(), info.table.clone(), name))
                && !info.generated.get(*i).copied().unwrap_or(false)
        })
        .collect()
}

/// The retry signature of an inserted row: the values of `columns`
/// ([`retry_columns`]) weighed by their collations; `None` when one is absent or
/// there are none.
pub(crate) fn signature(info: &TableInfo, row: &Row, columns: &[usize]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for &c in columns {
        // Compared as the collation compares them: a user who retyped `Erin@X` as
        // `erin@x` repeated the same thing.
        let v = row.values.get(c)?.as_ref()?;
        encode_weighed(info.collations.get(c).copied().flatten(), v, &mut out);
    }
    (!columns.is_empty()).then_some(out)
}

/// A value as people read it in a reason: numbers bare, text quoted, bytes as hex.
fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Decimal(d) => d.clone(),
        Value::Float(f) => format!("{f:?}"),
        Value::Double(f) => format!("{f:?}"),
        Value::String { bytes, .. } | Value::Binary(bytes) => match bytes.as_utf8() {
            Some(text) => serde_json::to_string(text).unwrap_or_default(),
            None => format!(
                "0x{}",
                bytes
                    .0
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
        },
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A key as `{"column":value, ...}`, the way the report shows keys.
fn key_text(key: &[(String, Value)]) -> String {
    let parts: Vec<String> = key
        .iter()
        .map(|(c, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(c).unwrap_or_default(),
                value_text(v)
            )
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

impl<'s> State<'s> {
    fn name_id(&mut self, schema: &str, table: &str) -> NameId {
        let next = self.names.len() as NameId;
        *self
            .names
            .entry((schema.to_owned(), table.to_owned()))
            .or_insert(next)
    }

    fn table_info(&mut self, desc: &TableDescription) -> usize {
        let cache_key = crate::interest::layout_key(desc);
        if let Some(&i) = self.table_cache.get(&cache_key) {
            return i;
        }
        let info = TableInfo::resolve(desc, self.schema);
        self.tables.push(Arc::new(info));
        let i = self.tables.len() - 1;
        self.table_cache.insert(cache_key, i);
        i
    }

    /// [`Self::table_info`] and [`Self::name_id`] of a transaction's table map.
    fn table_of(&mut self, desc: &Arc<TableDescription>) -> (usize, NameId) {
        let at = Arc::as_ptr(desc) as usize;
        if let Some((_, info, name)) = self.by_table_map.get(&at) {
            return (*info, *name);
        }
        let info = self.table_info(desc);
        let name = self.name_id(&desc.schema, &desc.table);
        // table ids may keep changing (a MySQL table cache): keep it small
        if self.by_table_map.len() >= 4096 {
            self.by_table_map.clear();
        }
        self.by_table_map.insert(at, (Arc::clone(desc), info, name));
        (info, name)
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.union[x] != x {
            let parent = self.union[x];
            self.union[x] = self.union[parent];
            x = parent;
        }
        x
    }

    fn unite(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The earliest transaction stays the root, so groups sort by East commit order.
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.union[hi] = lo;
    }

    fn record_statement(&mut self, side: &str, label: &str, statement: &Statement, kind: Kind) {
        let tables =
            reconcile_schema::statement_tables(&statement.text, statement.schema.as_deref());
        let text: String = statement.text.chars().take(200).collect();
        let what = match kind {
            Kind::DdlInWindow => "DDL",
            _ => "statement-format DML (its rows are not in the binlog)",
        };
        let message = format!("{side} ran {what} in the window ({label}): {text}");
        match &tables {
            Some(list) => {
                for t in list {
                    self.table_marks
                        .entry(t.clone())
                        .or_default()
                        .push((kind, message.clone()));
                }
            }
            None => self.global_marks.push((
                kind,
                format!("{message} (its tables could not be determined)"),
            )),
        }
        if kind == Kind::DdlInWindow {
            self.ddl.push(DdlEvent {
                side: side.to_owned(),
                gtid: label.to_owned(),
                statement: statement.text.clone(),
                tables: tables
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(d, t)| format!("{d}.{t}"))
                    .collect(),
            });
        }
    }

    /// Works out what West must be watched for, from East's folded changes.
    fn prepare_west(&mut self) {
        let mut base_holders: HashMap<(NameId, usize, KeyBytes), Vec<usize>> = HashMap::default();
        let mut takers: Vec<((NameId, usize, KeyBytes), usize)> = Vec::new();
        for i in 0..self.states.len() {
            let info = self.tables[self.states[i].table].clone();
            let name = self.states[i].name;
            let east = self.states[i].east.clone();
            for (u, cols) in info.unique_keys.iter().enumerate() {
                if let Some(t) = east.last.as_ref().and_then(|r| tuple(&info, r, cols)) {
                    self.west_holders
                        .entry((name, u))
                        .or_default()
                        .entry(t.clone())
                        .or_default();
                    takers.push(((name, u, t), i));
                }
                if let Some(t) = east.base.as_ref().and_then(|r| tuple(&info, r, cols)) {
                    base_holders.entry((name, u, t)).or_default().push(i);
                }
            }
            if let Some(base) = &east.base {
                for (f, fk) in info.foreign_keys.iter().enumerate() {
                    if propagates(fk.on_delete) || propagates(fk.on_update) {
                        if let ParentKey::Key(_, bytes) = parent_key(self.schema, fk, base) {
                            let parent = self.name_id(&fk.parent.0, &fk.parent.1);
                            self.cascade_watch
                                .entry((parent, bytes))
                                .or_default()
                                .push((i, f));
                        }
                    }
                }
            }
            if let Some(last) = &east.last {
                for fk in &info.foreign_keys {
                    self.watch_parent(i, fk, last);
                }
                if east.base.is_none() {
                    if let Some(sig) = self.retry_signature(&info, last) {
                        self.retry_sigs.entry((name, sig)).or_default().push(i);
                    }
                }
            } else if east.base.is_some() {
                let has_children = self
                    .schema
                    .is_some_and(|s| s.children_of(&info.schema, &info.table).next().is_some());
                if has_children {
                    let key = (name, self.states[i].key_bytes.clone());
                    self.deleted_parents.insert(key, i);
                }
            }
        }
        // A unique value one East row released and another took: both must be
        // applied together, in East's order.
        for (t, i) in takers {
            if let Some(holders) = base_holders.get(&t) {
                for &j in holders.clone().iter().filter(|&&j| j != i) {
                    let (a, b) = (self.states[i].first_tx, self.states[j].first_tx);
                    self.unite(a, b);
                }
            }
        }
    }

    fn watch_parent(&mut self, child: usize, fk: &crate::table::ForeignKeyInfo, row: &Row) {
        let (values, bytes) = match parent_key(self.schema, fk, row) {
            ParentKey::Key(values, bytes) => (values, bytes),
            ParentKey::None => return,
            ParentKey::Unknown(why) => {
                self.states[child].fk_notes.push(why);
                return;
            }
        };
        let (parent_schema, parent_table) = &fk.parent;
        let parent_name = self.name_id(parent_schema, parent_table);
        // East's own change of the parent must be applied with (before) the child.
        if let Some(&p) = self.keys.get(&(parent_name, bytes.clone())) {
            let (a, b) = (self.states[p].first_tx, self.states[child].first_tx);
            self.unite(a, b);
        }
        self.parents
            .entry((parent_name, bytes))
            .or_insert_with(|| ParentWatch {
                west_present: None,
                label: format!("{parent_schema}.{parent_table} {}", key_text(&values)),
            });
    }

    /// The non-key, non-volatile, non-generated values of an inserted row, weighed by
    /// their collations.
    fn retry_signature(&self, info: &TableInfo, row: &Row) -> Option<Vec<u8>> {
        signature(
            info,
            row,
            &retry_columns(info, &self.volatile, row.values.len()),
        )
    }
}

impl WestPass<'_> {
    /// Streams one West transaction.
    pub fn add(&mut self, tx: &Transaction) {
        let s = &mut self.state;
        tracing::debug!(side = "west", gtid = %Label(tx), rows = tx.changes.len(), "transaction");
        s.west_counts.transactions += 1;
        // most West transactions matter only as counts: their label is made when
        // something needs it
        let mut label: Option<String> = None;
        for statement in &tx.statements {
            let kind = match statement.kind {
                StatementKind::Ddl => Kind::DdlInWindow,
                StatementKind::Dml => Kind::StatementEvent,
                _ => continue,
            };
            let label = label.get_or_insert_with(|| label_of(tx));
            s.record_statement("west", label, statement, kind);
        }
        let tables: Vec<(usize, NameId)> = tx.tables.iter().map(|d| s.table_of(d)).collect();
        // Row changes the reader skipped (see `row_filter`) cannot touch East's keys.
        let mut notes: Vec<(usize, NameId, &[u8])> = Vec::new();
        for skipped in &tx.skipped {
            let Some(&(_, name)) = tables.get(skipped.table_index) else {
                continue;
            };
            s.west_counts.row_changes += skipped.rows;
            s.west_counts.untouched_row_changes += skipped.rows;
            *s.west_per_name.entry(name).or_insert(0) += skipped.rows;
            notes.extend(skipped.notes.iter().map(|(at, note)| (at, name, note)));
        }
        notes.sort_by_key(|(at, _, _)| *at);
        let mut notes = notes.into_iter().peekable();
        if tx.changes.is_empty() && notes.peek().is_none() {
            return;
        }
        let label: Arc<str> = Arc::from(label.unwrap_or_else(|| label_of(tx)));
        // a unique key's values, before and after the change
        let (mut before_tuple, mut after_tuple) = (Vec::new(), Vec::new());
        for (n, change) in tx.changes.iter().enumerate() {
            while let Some((_, name, key)) = notes.next_if(|(at, _, _)| *at <= n) {
                s.skipped_change(name, key);
            }
            s.west_counts.row_changes += 1;
            let Some(&(ti, name)) = tables.get(change.table_index) else {
                *s.west_counts
                    .per_table
                    .entry(format!("{}.{}", change.schema, change.table))
                    .or_insert(0) += 1;
                continue;
            };
            *s.west_per_name.entry(name).or_insert(0) += 1;
            let info = Arc::clone(&s.tables[ti]);
            s.cascade_from(
                name,
                &info,
                change.before.as_ref(),
                change.after.as_ref(),
                &label,
            );
            let mut touched = false;
            for (before, after, key_bytes) in
                parts_by_key(&info, change.before.as_ref(), change.after.as_ref())
            {
                // the key as `(column, value)`, made when a message needs it
                let mut key: Option<Vec<(String, Value)>> = None;
                let mut key_named = || {
                    key.get_or_insert_with(|| {
                        before
                            .or(after)
                            .and_then(|r| key_values(&info, r))
                            .unwrap_or_default()
                    })
                    .clone()
                };
                // looked up in several maps: made once
                let name_key = (name, key_bytes);
                let key_bytes = &name_key.1;
                if let Some(&i) = s.keys.get(&name_key) {
                    touched = true;
                    match &mut s.states[i].west {
                        Some(w) => w.push(before, after, &label, &info.generated),
                        None => {
                            s.states[i].west =
                                Some(SideFold::new(before, after, &label, &info.generated))
                        }
                    }
                }
                if let Some(p) = s.parents.get_mut(&name_key) {
                    p.west_present = Some((after.is_some(), label.to_string()));
                }
                // A later West change of a retry row: is it still the same row?
                if before.is_some() && s.retry_west.contains_key(&name_key) {
                    let now = after.and_then(|a| s.retry_signature(&info, a));
                    if let Some(sigs) = s.retry_west.get_mut(&name_key) {
                        for (sig, alive) in sigs.iter_mut() {
                            *alive = now.as_ref() == Some(sig);
                        }
                    }
                }
                // Which West rows hold the unique values East's rows take.
                for (u, cols) in info.unique_keys.iter().enumerate() {
                    let Some(values) = s.west_holders.get_mut(&(name, u)) else {
                        continue;
                    };
                    let had = before.is_some_and(|r| tuple_into(&info, r, cols, &mut before_tuple));
                    let has = after.is_some_and(|r| tuple_into(&info, r, cols, &mut after_tuple));
                    if had && !(has && before_tuple == after_tuple) {
                        if let Some(h) = values.get_mut(before_tuple.as_slice()) {
                            h.remove(key_bytes);
                        }
                    }
                    if has {
                        if let Some(h) = values.get_mut(after_tuple.as_slice()) {
                            match h.get_mut(key_bytes) {
                                // still held by the row: named by its latest writer
                                Some(holder) => holder.label = Arc::clone(&label),
                                None => {
                                    let holder = WestHolder {
                                        key: key_named(),
                                        label: Arc::clone(&label),
                                    };
                                    h.insert(key_bytes.clone(), holder);
                                }
                            }
                        }
                    }
                }
                if let Some(after) = after {
                    // New West children of a row East deleted.
                    for fk in &info.foreign_keys {
                        if let Some(parent) = s.parent_key_of(fk, after) {
                            if let Some(&i) = s.deleted_parents.get(&parent) {
                                s.states[i].fk_notes.push(format!(
                                    "East deleted it, but West's {label} gives it a child in {}.{} {}",
                                    info.schema,
                                    info.table,
                                    key_text(&key_named())
                                ));
                            }
                        }
                    }
                    // A West insert repeating an East insert (a user retry).
                    if before.is_none() {
                        if let Some(sig) = s.retry_signature(&info, after) {
                            if let Some(east) = s.retry_sigs.get(&(name, sig.clone())).cloned() {
                                for i in east {
                                    if s.states[i].key_bytes != *key_bytes {
                                        s.retry_hits.entry(i).or_default().push((
                                            name,
                                            key_bytes.clone(),
                                            sig.clone(),
                                            key_named(),
                                        ));
                                        s.retry_west
                                            .entry((name, key_bytes.clone()))
                                            .or_default()
                                            .insert(sig.clone(), true);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if !touched {
                s.west_counts.untouched_row_changes += 1;
            }
        }
        for (_, name, key) in notes {
            s.skipped_change(name, key);
        }
    }

    /// Which West row changes can matter: give it to the reader of West's binlogs
    /// ([`ReaderOptions::with_row_filter`](reconcile_binlog::ReaderOptions)), and the
    /// West pass sees every change it needs, decoding only those. The outcome is the
    /// one of a West pass over every row.
    pub fn row_filter(&self) -> WestFilter {
        WestFilter::new(self.state.watch())
    }

    /// Classifies every item and returns the outcome.
    pub fn finish(self) -> Outcome {
        self.state.finish()
    }
}

impl State<'_> {
    /// A West change the reader skipped, of the row `key` of table `name`: it
    /// changed the row into one that repeats no East insert (or deleted it).
    fn skipped_change(&mut self, name: NameId, key: &[u8]) {
        // a note matters only for a row that repeated an East insert (which an
        // earlier change of the same transaction may have inserted)
        if self.retry_west.is_empty() {
            return;
        }
        if let Some(sigs) = self.retry_west.get_mut(&(name, key.to_vec())) {
            for alive in sigs.values_mut() {
                *alive = false;
            }
        }
    }

    /// What the West pass watches, for [`WestPass::row_filter`].
    fn watch(&self) -> Watch {
        let mut names: HashMap<NameId, (String, String)> = HashMap::default();
        for (name, &id) in &self.names {
            names.insert(id, name.clone());
        }
        let mut tables: HashMap<(String, String), TableWatch> = HashMap::default();
        fn entry<'t>(
            tables: &'t mut HashMap<(String, String), TableWatch>,
            names: &HashMap<NameId, (String, String)>,
            id: NameId,
        ) -> Option<&'t mut TableWatch> {
            names
                .get(&id)
                .map(|name| tables.entry(name.clone()).or_default())
        }
        for st in &self.states {
            if let Some(t) = entry(&mut tables, &names, st.name) {
                t.keys.insert(&st.key_bytes);
            }
        }
        for (name, key) in self.parents.keys() {
            if let Some(t) = entry(&mut tables, &names, *name) {
                t.keys.insert(key);
            }
        }
        for (name, key) in self.cascade_watch.keys() {
            if let Some(t) = entry(&mut tables, &names, *name) {
                t.cascade.insert(key);
            }
        }
        for ((name, u), values) in &self.west_holders {
            if let Some(t) = entry(&mut tables, &names, *name) {
                for v in values.keys() {
                    t.insert_unique(*u, v);
                }
            }
        }
        for (name, sig) in self.retry_sigs.keys() {
            if let Some(t) = entry(&mut tables, &names, *name) {
                t.retry.get_or_insert_with(RetryWatch::default).insert(sig);
            }
        }
        let mut deleted_parents: HashMap<(String, String), WatchSet> = HashMap::default();
        for (name, key) in self.deleted_parents.keys() {
            if let Some(n) = names.get(name) {
                deleted_parents.entry(n.clone()).or_default().insert(key);
            }
        }
        let layouts = self
            .table_cache
            .iter()
            .filter_map(|(k, &i)| Some((k.clone(), Arc::clone(self.tables.get(i)?))))
            .collect();
        Watch {
            schema: self.schema.cloned(),
            volatile: self.volatile.clone(),
            tables: tables.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            deleted_parents,
            layouts,
        }
    }
}

impl State<'_> {
    /// A West delete or key change of a parent row: the server changed East rows'
    /// West copies through cascading foreign keys without logging them. Adds those
    /// changes to West's fold of each such row, as the West change they are.
    fn cascade_from(
        &mut self,
        name: NameId,
        info: &TableInfo,
        before: Option<&Row>,
        after: Option<&Row>,
        label: &str,
    ) {
        let Some(before) = before else { return };
        if self.cascade_watch.is_empty() {
            return;
        }
        let Some(old_key) = key_bytes(info, before) else {
            return;
        };
        let Some(watchers) = self.cascade_watch.get(&(name, old_key.clone())).cloned() else {
            return;
        };
        let new_key = after.and_then(|a| key_bytes(info, a));
        let deleted = after.is_none();
        if !deleted && new_key.as_ref() == Some(&old_key) {
            return; // The parent's key did not change: nothing cascades.
        }
        for (i, f) in watchers {
            let child = self.tables[self.states[i].table].clone();
            let Some(fk) = child.foreign_keys.get(f) else {
                continue;
            };
            let action = if deleted { fk.on_delete } else { fk.on_update };
            let current = match &self.states[i].west {
                Some(w) => w.last.clone(),
                None => self.states[i].east.base.clone(),
            };
            let Some(current) = current else { continue }; // Already gone on West.
                                                           // Only while West's row still references this parent.
            if !matches!(parent_key(self.schema, fk, &current), ParentKey::Key(_, k) if k == old_key)
            {
                continue;
            }
            let new_row = match action {
                FkAction::Cascade if deleted => None,
                FkAction::Cascade | FkAction::SetNull => {
                    let mut row = current.clone();
                    for (pos, &c) in fk.columns.iter().enumerate() {
                        let value = match (action, after) {
                            (FkAction::Cascade, Some(parent_after)) => fk
                                .parent_columns
                                .get(pos)
                                .and_then(|pc| {
                                    info.columns.iter().position(|n| n.eq_ignore_ascii_case(pc))
                                })
                                .and_then(|pi| parent_after.values.get(pi).cloned().flatten()),
                            _ => Some(Value::Null),
                        };
                        if let (Some(slot), Some(v)) = (row.values.get_mut(c), value) {
                            *slot = Some(v);
                        }
                    }
                    Some(row)
                }
                FkAction::SetDefault => {
                    self.states[i].fk_notes.push(format!(
                        "West's {label} changed its parent, and ON {} SET DEFAULT changed this row on West in a way the binlog does not show",
                        if deleted { "DELETE" } else { "UPDATE" }
                    ));
                    continue;
                }
                FkAction::Restrict | FkAction::NoAction => continue,
            };
            let gtid: Arc<str> = Arc::from(format!(
                "{label} (ON {} {} from {}.{})",
                if deleted { "DELETE" } else { "UPDATE" },
                if action == FkAction::Cascade {
                    "CASCADE"
                } else {
                    "SET NULL"
                },
                info.schema,
                info.table
            ));
            match &mut self.states[i].west {
                Some(w) => w.push(Some(&current), new_row.as_ref(), &gtid, &child.generated),
                None => {
                    self.states[i].west = Some(SideFold::new(
                        Some(&current),
                        new_row.as_ref(),
                        &gtid,
                        &child.generated,
                    ))
                }
            }
        }
    }

    fn parent_key_of(
        &mut self,
        fk: &crate::table::ForeignKeyInfo,
        row: &Row,
    ) -> Option<(NameId, KeyBytes)> {
        let ParentKey::Key(_, bytes) = parent_key(self.schema, fk, row) else {
            return None;
        };
        let name = *self.names.get(&fk.parent)?;
        Some((name, bytes))
    }

    fn finish(mut self) -> Outcome {
        let ids: HashMap<NameId, &(String, String)> =
            self.names.iter().map(|(n, &id)| (id, n)).collect();
        for (id, n) in std::mem::take(&mut self.west_per_name) {
            if let Some((schema, table)) = ids.get(&id) {
                *self
                    .west_counts
                    .per_table
                    .entry(format!("{schema}.{table}"))
                    .or_insert(0) += n;
            }
        }
        let mut verdicts = Vec::with_capacity(self.states.len());
        for i in 0..self.states.len() {
            verdicts.push(self.judge(i));
        }
        // What rekey suggestions need of East's final rows (the parents they
        // reference), taken before the rows go into the items.
        let rekeys = verdicts
            .iter()
            .any(|v| matches!(v.suggestion, Some(Suggestion::Rekey { .. })));
        let references: Vec<Vec<((String, String), KeyBytes)>> = if rekeys {
            self.states
                .iter()
                .map(|st| {
                    let info = &self.tables[st.table];
                    let Some(last) = &st.east.last else {
                        return Vec::new();
                    };
                    info.foreign_keys
                        .iter()
                        .filter_map(|fk| match parent_key(self.schema, fk, last) {
                            ParentKey::Key(_, b) => Some((fk.parent.clone(), b)),
                            _ => None,
                        })
                        .collect()
                })
                .collect()
        } else {
            Vec::new()
        };

        // Groups: union-find roots, ordered by their earliest East transaction.
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..self.states.len() {
            let root = self.find(self.states[i].first_tx);
            members.entry(root).or_default().push(i);
        }
        let mut statement_groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let statement_txs: Vec<usize> = self.statement_items.iter().map(|st| st.tx).collect();
        for (n, tx) in statement_txs.into_iter().enumerate() {
            let root = self.find(tx);
            statement_groups.entry(root).or_default().push(n);
        }
        let roots: Vec<usize> = {
            let mut r: Vec<usize> = members
                .keys()
                .chain(statement_groups.keys())
                .copied()
                .collect();
            r.sort_unstable();
            r.dedup();
            r
        };

        let mut items = Vec::new();
        let mut item_of_state: HashMap<usize, u64> = HashMap::default();
        for (g, root) in roots.iter().enumerate() {
            let group = g as u64 + 1;
            let mut in_group: Vec<usize> = members.get(root).cloned().unwrap_or_default();
            in_group.sort_by_key(|&i| self.states[i].order);
            let statements = statement_groups.get(root).cloned().unwrap_or_default();
            let review_members: Vec<String> = in_group
                .iter()
                .filter(|&&i| verdicts[i].class == Class::Review)
                .map(|&i| {
                    let st = &self.states[i];
                    let kind = verdicts[i]
                        .reasons
                        .iter()
                        .map(|(k, _)| *k)
                        .min()
                        .map(Kind::as_str)
                        .unwrap_or("review");
                    format!(
                        "{}.{} {} ({kind})",
                        self.tables[st.table].schema,
                        self.tables[st.table].table,
                        key_text(&st.key)
                    )
                })
                .chain(
                    statements
                        .iter()
                        .map(|&n| format!("statement in {}", self.statement_items[n].label)),
                )
                .collect();
            // Each clean item of the group names them: a few, so that a group of
            // thousands does not make its reasons grow with the square of its size.
            let named = match review_members.len() {
                n if n > NAMED_MEMBERS => format!(
                    "{} and {} more items to review in group {group}",
                    review_members[..NAMED_MEMBERS].join(", "),
                    n - NAMED_MEMBERS
                ),
                _ => review_members.join(", "),
            };
            for &i in &in_group {
                let mut verdict = std::mem::take(&mut verdicts[i]);
                if verdict.class == Class::Auto && !review_members.is_empty() {
                    verdict.class = Class::Review;
                    verdict.reasons.push((
                        Kind::SameTransaction,
                        format!("clean by itself, but applied all or nothing with {named}"),
                    ));
                }
                let id = items.len() as u64 + 1;
                item_of_state.insert(i, id);
                items.push(self.item(i, id, group, verdict));
                // the item holds the rows now
                let st = &mut self.states[i];
                st.east.base = None;
                st.east.last = None;
                st.west = None;
            }
            for n in statements {
                let id = items.len() as u64 + 1;
                items.push(self.statement_item(n, id, group));
            }
        }

        // Rekey suggestions name the items that refer to the key through a foreign key.
        for item in items.iter_mut() {
            if let Some(Suggestion::Rekey { referenced_by }) = &mut item.suggestion {
                let bytes = encode_values(item.key.iter().map(|(_, v)| v));
                let parent = (item.schema.clone(), item.table.clone());
                for (j, refs) in references.iter().enumerate() {
                    let refers = refs.iter().any(|(p, b)| *p == parent && *b == bytes);
                    if refers {
                        if let Some(&id) = item_of_state.get(&j) {
                            referenced_by.push(id);
                        }
                    }
                }
            }
        }

        Outcome {
            items,
            ddl: self.ddl,
            east: self.east_counts,
            west: self.west_counts,
            notes: self.notes,
        }
    }

    /// The verdict for one East key, before group rules.
    #[allow(clippy::too_many_lines)]
    fn judge(&self, i: usize) -> Verdict {
        let st = &self.states[i];
        let info = &self.tables[st.table];
        let generated = &info.generated;
        let mut reasons: Vec<(Kind, String)> = Vec::new();
        let mut suggestion = None;
        let mut notes = Vec::new();
        if !info.cascades_to.is_empty() && st.east.last.is_none() {
            notes.push(format!(
                "deleting it on West cascades (ON DELETE CASCADE) to {}",
                info.cascades_to.join(", ")
            ));
        }

        reasons.extend(self.global_marks.iter().cloned());
        if let Some(marks) = self
            .table_marks
            .get(&(info.schema.clone(), info.table.clone()))
        {
            reasons.extend(marks.iter().cloned());
        }
        for (kind, why) in &info.problems {
            reasons.push((*kind, why.clone()));
        }
        if let Some(gap) = &st.east.broken {
            reasons.push((Kind::BaseMismatch, format!("East's history: {gap}")));
        }

        let east_net = st.east.net(generated);
        if east_net == NetOp::None {
            return Verdict::skip("East's changes of this key cancel out: nothing to replay");
        }
        let west_net = st.west.as_ref().map(|w| w.net(generated));
        match (&st.west, west_net) {
            (Some(w), Some(wn)) if wn != NetOp::None => {
                if let Some(gap) = &w.broken {
                    reasons.push((Kind::BaseMismatch, format!("West's history: {gap}")));
                }
                match compare_rows(st.east.last.as_ref(), w.last.as_ref(), generated) {
                    // Without a key, equal rows are not one row: a table without a
                    // key may hold both, so equal finals do not mean nothing to do.
                    RowCmp::Equal if info.identity.is_some() => {
                        return Verdict::skip("both sides reached the same row")
                    }
                    RowCmp::Equal => {
                        reasons.push((
                            Kind::NoKey,
                            "both sides reached an equal row, but without a key they may be two rows".to_owned(),
                        ));
                        reasons.sort_by_key(|(k, _)| *k);
                        return Verdict {
                            class: Class::Review,
                            reasons,
                            suggestion: None,
                            notes,
                        };
                    }
                    RowCmp::Unknown => reasons.push((
                        Kind::PartialImage,
                        "the final rows agree on the columns both images hold, but not all columns were logged".to_owned(),
                    )),
                    RowCmp::Different => {}
                }
                if compare_rows(st.east.base.as_ref(), w.base.as_ref(), generated)
                    == RowCmp::Different
                {
                    reasons.push((
                        Kind::BaseMismatch,
                        "East and West started from different rows: the histories are not what they seem".to_owned(),
                    ));
                }
                if st.east.partial || w.partial {
                    reasons.push((
                        Kind::PartialImage,
                        "a row image of this key lacks columns".to_owned(),
                    ));
                }
                match (&st.east.base, &st.east.last, &w.last) {
                    (None, _, _) => {
                        reasons.push((
                            Kind::InsertInsert,
                            "both sides inserted this key with different rows".to_owned(),
                        ));
                        if info.identity_auto_increment {
                            suggestion = Some(Suggestion::Rekey {
                                referenced_by: Vec::new(),
                            });
                        }
                    }
                    (Some(base), Some(e), Some(wl)) => {
                        let ec = changed_columns(Some(base), Some(e), generated);
                        let wc = changed_columns(w.base.as_ref(), Some(wl), generated);
                        let disjoint = ec.iter().all(|c| !wc.contains(c));
                        reasons.push((
                            Kind::UpdateUpdate,
                            if disjoint {
                                "both sides updated the row, in different columns".to_owned()
                            } else {
                                "both sides updated the same columns to different values".to_owned()
                            },
                        ));
                        if disjoint && !st.east.partial && !w.partial {
                            let mut merged = wl.clone();
                            for &c in &ec {
                                if let (Some(slot), Some(v)) =
                                    (merged.values.get_mut(c), e.values.get(c))
                                {
                                    slot.clone_from(v);
                                }
                            }
                            suggestion = Some(Suggestion::MergeColumns {
                                merged: named(info, &merged),
                            });
                        }
                    }
                    (Some(_), Some(_), None) => reasons.push((
                        Kind::UpdateDelete,
                        format!(
                            "East updated the row, West deleted it ({})",
                            w.gtids.join(", ")
                        ),
                    )),
                    (Some(_), None, Some(_)) => reasons.push((
                        Kind::DeleteUpdate,
                        format!(
                            "East deleted the row, West updated it ({})",
                            w.gtids.join(", ")
                        ),
                    )),
                    (Some(_), None, None) => {}
                }
            }
            _ => {
                // Only East changed the key (or West's changes cancel out).
                if st.east.partial {
                    reasons.push((
                        Kind::PartialImage,
                        "East's row images lack columns needed to replay safely".to_owned(),
                    ));
                }
                if let Some(last) = &st.east.last {
                    for (u, cols) in info.unique_keys.iter().enumerate() {
                        if let Some(t) = tuple(info, last, cols) {
                            let holders = self
                                .west_holders
                                .get(&(st.name, u))
                                .and_then(|values| values.get(&t));
                            if let Some(holders) = holders {
                                // in the order of their keys
                                for (holder, h) in holders {
                                    if *holder != st.key_bytes {
                                        let names: Vec<&str> = cols
                                            .iter()
                                            .filter_map(|&c| {
                                                info.columns.get(c).map(String::as_str)
                                            })
                                            .collect();
                                        reasons.push((
                                            Kind::UniqueCollision,
                                            format!(
                                                "its ({}) value is held on West by {} (West, {})",
                                                names.join(", "),
                                                key_text(&h.key),
                                                h.label
                                            ),
                                        ));
                                    }
                                }
                            }
                        }
                    }
                    for fk in &info.foreign_keys {
                        if let ParentKey::Key(_, parent) = parent_key(self.schema, fk, last) {
                            let name = self.names.get(&fk.parent).copied();
                            if let Some(watch) = name.and_then(|n| self.parents.get(&(n, parent))) {
                                if let Some((false, gtid)) = &watch.west_present {
                                    reasons.push((
                                        Kind::FkOrphan,
                                        format!(
                                            "its parent {} was deleted on West ({gtid})",
                                            watch.label
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    let live_hit = self.retry_hits.get(&i).and_then(|hits| {
                        hits.iter()
                            .find(|(n, k, sig, _)| {
                                self.retry_west
                                    .get(&(*n, k.clone()))
                                    .and_then(|sigs| sigs.get(sig))
                                    .copied()
                                    .unwrap_or(false)
                            })
                            .map(|(_, _, _, key)| key)
                    });
                    if let Some(west_key) = live_hit {
                        reasons.push((
                            Kind::PossibleRetry,
                            format!(
                                "West inserted the same row as {} (a user retry?)",
                                key_text(west_key)
                            ),
                        ));
                        suggestion = Some(Suggestion::DuplicateOf {
                            key: west_key.clone(),
                        });
                    }
                }
                if west_net == Some(NetOp::None) {
                    notes.push("West changed this key too, but its changes cancel out".to_owned());
                }
            }
        }
        for note in &st.fk_notes {
            reasons.push((Kind::FkOrphan, note.clone()));
        }
        if reasons.is_empty() {
            return Verdict {
                class: Class::Auto,
                reasons,
                suggestion,
                notes,
            };
        }
        reasons.sort_by_key(|(k, _)| *k);
        let top = reasons.first().map(|(k, _)| *k);
        match (top, &suggestion) {
            (Some(Kind::UpdateUpdate), Some(Suggestion::MergeColumns { .. }))
                if self.config.merge_disjoint_columns && reasons.len() == 1 =>
            {
                notes.extend(reasons.into_iter().map(|(_, r)| r));
                notes.push("applied as the merged row (--merge disjoint-columns)".to_owned());
                Verdict {
                    class: Class::Auto,
                    reasons: Vec::new(),
                    suggestion,
                    notes,
                }
            }
            (Some(Kind::PossibleRetry), _) if self.config.retries_skip && reasons.len() == 1 => {
                notes.extend(reasons.into_iter().map(|(_, r)| r));
                notes.push("skipped as a retry (--retries skip)".to_owned());
                Verdict {
                    class: Class::Skip,
                    reasons: Vec::new(),
                    suggestion,
                    notes,
                }
            }
            _ => Verdict {
                class: Class::Review,
                reasons,
                suggestion,
                notes,
            },
        }
    }

    fn item(&self, i: usize, id: u64, group: u64, verdict: Verdict) -> Item {
        let Verdict {
            class,
            reasons,
            suggestion,
            notes,
        } = verdict;
        let st = &self.states[i];
        let info = &self.tables[st.table];
        let generated = &info.generated;
        let kind = if class == Class::Review {
            reasons.iter().map(|(k, _)| *k).min()
        } else {
            None
        };
        let west_base = st
            .west
            .as_ref()
            .and_then(|w| w.base.as_ref())
            .map(|r| named(info, r));
        let names = |cols: Vec<usize>| -> Vec<String> {
            cols.into_iter()
                .filter_map(|c| info.columns.get(c).cloned())
                .collect()
        };
        let mut parts: Vec<String> = reasons.into_iter().map(|(_, r)| r).collect();
        if class == Class::Auto && parts.is_empty() && notes.is_empty() {
            parts.push("only East changed this key".to_owned());
        }
        parts.extend(notes);
        let reason = parts.join("; ");
        Item {
            id,
            group,
            class,
            kind,
            suggestion,
            schema: info.schema.clone(),
            table: info.table.clone(),
            columns: info.columns.clone(),
            generated: info
                .columns
                .iter()
                .zip(generated)
                .filter(|(_, g)| **g)
                .map(|(c, _)| c.clone())
                .collect(),
            key: st.key.clone(),
            east_op: st.east.net(generated),
            west_op: st.west.as_ref().map(|w| w.net(generated)),
            base: st.east.base.as_ref().map(|r| named(info, r)),
            west_base,
            east: st.east.last.as_ref().map(|r| named(info, r)),
            west: st
                .west
                .as_ref()
                .and_then(|w| w.last.as_ref())
                .map(|r| named(info, r)),
            east_changed: names(changed_columns(
                st.east.base.as_ref(),
                st.east.last.as_ref(),
                generated,
            )),
            west_changed: st
                .west
                .as_ref()
                .map(|w| names(changed_columns(w.base.as_ref(), w.last.as_ref(), generated)))
                .unwrap_or_default(),
            east_gtids: st.east.gtids.iter().map(|g| g.to_string()).collect(),
            west_gtids: st
                .west
                .as_ref()
                .map(|w| w.gtids.iter().map(|g| g.to_string()).collect())
                .unwrap_or_default(),
            reason,
        }
    }

    fn statement_item(&self, n: usize, id: u64, group: u64) -> Item {
        let st = &self.statement_items[n];
        let (schema, table) = match st.tables.as_deref() {
            Some([(d, t), ..]) => (d.clone(), t.clone()),
            _ => (
                st.statement.schema.clone().unwrap_or_default(),
                String::new(),
            ),
        };
        Item {
            id,
            group,
            class: Class::Review,
            kind: Some(Kind::StatementEvent),
            suggestion: None,
            schema,
            table,
            columns: Vec::new(),
            generated: Vec::new(),
            key: Vec::new(),
            east_op: NetOp::None,
            west_op: None,
            base: None,
            west_base: None,
            east: None,
            west: None,
            east_changed: Vec::new(),
            west_changed: Vec::new(),
            east_gtids: vec![st.label.clone()],
            west_gtids: Vec::new(),
            reason: format!(
                "East logged this change as a statement, so its rows are unknown: {}",
                st.statement.text.chars().take(300).collect::<String>()
            ),
        }
    }
}

/// The verdict for one key: its class, the reasons it needs review (most important
/// first once sorted), a suggestion, and notes that explain without deciding.
#[derive(Debug, Default)]
struct Verdict {
    class: Class,
    reasons: Vec<(Kind, String)>,
    suggestion: Option<Suggestion>,
    notes: Vec<String>,
}

impl Verdict {
    fn skip(why: &str) -> Verdict {
        Verdict {
            class: Class::Skip,
            reasons: Vec::new(),
            suggestion: None,
            notes: vec![why.to_owned()],
        }
    }
}

/// Why a child row's parent cannot be looked up.
pub(crate) enum ParentKey {
    /// The parent's identity: its `(column, value)` pairs and key bytes.
    Key(Vec<(String, Value)>, KeyBytes),
    /// A NULL (or absent) reference: no parent needed.
    None,
    /// The parent's key is unknown, or the foreign key references other columns.
    Unknown(String),
}

/// The parent row a child row references: the child's referencing values in the
/// parent's identity-key order, weighed by the parent columns' collations.
pub(crate) fn parent_key(
    schema: Option<&Schema>,
    fk: &crate::table::ForeignKeyInfo,
    row: &Row,
) -> ParentKey {
    let (ps, pt) = &fk.parent;
    let Some(parent) = schema.and_then(|s| s.table(ps, pt)) else {
        return ParentKey::Unknown(format!(
            "references {ps}.{pt}, which --schema does not describe"
        ));
    };
    let Some(identity) = parent.identity_key() else {
        return ParentKey::Unknown(format!(
            "references {ps}.{pt}, whose key is unknown: the parent cannot be checked"
        ));
    };
    let mut values = Vec::new();
    let mut weights = Vec::new();
    for id_col in identity.column_names() {
        let Some(pos) = fk
            .parent_columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(id_col))
        else {
            return ParentKey::Unknown(format!(
                "references {ps}.{pt} by columns other than its key: the parent cannot be checked"
            ));
        };
        match fk
            .columns
            .get(pos)
            .and_then(|&c| row.values.get(c))
            .and_then(Option::as_ref)
        {
            Some(Value::Null) | None => return ParentKey::None,
            Some(v) => {
                let rule = parent
                    .column(id_col)
                    .and_then(|c| c.collation.as_deref())
                    .and_then(CompareRule::from_name);
                weights.push(weighed(rule, v));
                values.push((id_col.to_owned(), v.clone()));
            }
        }
    }
    ParentKey::Key(values, encode_values(weights.iter()))
}

/// Whether a foreign-key action changes child rows on the server (unlogged).
fn propagates(action: FkAction) -> bool {
    matches!(
        action,
        FkAction::Cascade | FkAction::SetNull | FkAction::SetDefault
    )
}

/// A row as `(column, value)` pairs of the columns present.
fn named(info: &TableInfo, row: &Row) -> Vec<(String, Value)> {
    row.values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = v.as_ref()?;
            Some((
                info.columns
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("@{}", i + 1)),
                v.clone(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use reconcile_binlog::{
        ColumnDescription, ColumnType, Gtid, RowChange, RowImage, RowOp, SourcePosition,
    };

    use super::*;

    fn table(schema: &str, name: &str, columns: &[&str]) -> Arc<TableDescription> {
        Arc::new(TableDescription {
            table_id: 1,
            schema: schema.to_owned(),
            table: name.to_owned(),
            columns: columns
                .iter()
                .map(|c| ColumnDescription {
                    name: Some((*c).to_owned()),
                    column_type: ColumnType::Long,
                    type_code: 3,
                    unsigned: Some(false),
                    collation: None,
                    nullable: false,
                    visible: None,
                })
                .collect(),
            primary_key: None,
        })
    }

    fn row(values: &[i64]) -> Row {
        Row {
            values: values.iter().map(|v| Some(Value::Int(*v))).collect(),
        }
    }

    fn insert(server: u32, seq: u64, t: &Arc<TableDescription>, values: &[i64]) -> Transaction {
        Transaction {
            gtid: Some(Gtid::Mariadb {
                domain: 0,
                server,
                seq,
            }),
            server_id: server,
            timestamp: 0,
            position: SourcePosition {
                file: "f".into(),
                start: 0,
                end: 0,
            },
            tables: vec![t.clone()],
            changes: vec![RowChange {
                table_index: 0,
                schema: t.schema.as_str().into(),
                table: t.table.as_str().into(),
                op: RowOp::Insert,
                before: None,
                after: Some(row(values)),
                image: RowImage::Full,
            }],
            statements: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Regression: an East insert and a West insert of equal rows in a table without
    /// a key were `skip` ("both sides reached the same row"), though the table may
    /// hold both rows: with a whole-row identity they are `review` kind `no-key`.
    #[test]
    fn equal_rows_without_a_key_are_not_skipped() {
        let schema = reconcile_schema::parse_schema(
            "CREATE TABLE d.ev (msg INT NOT NULL, n INT NOT NULL);\n\
             CREATE TABLE d.pk (id INT NOT NULL, n INT NOT NULL, PRIMARY KEY (id));",
        )
        .unwrap();
        let (ev, pk) = (
            table("d", "ev", &["msg", "n"]),
            table("d", "pk", &["id", "n"]),
        );
        let mut east = EastPass::new(Config::default(), Some(&schema));
        east.add(&insert(1, 10, &ev, &[5, 5]));
        east.add(&insert(1, 11, &pk, &[7, 7]));
        let mut west = east.into_west();
        west.add(&insert(2, 10, &ev, &[5, 5]));
        west.add(&insert(2, 11, &pk, &[7, 7]));
        let outcome = west.finish();
        let verdicts: Vec<(&str, Class, Option<Kind>)> = outcome
            .items
            .iter()
            .map(|i| (i.table.as_str(), i.class, i.kind))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("ev", Class::Review, Some(Kind::NoKey)),
                ("pk", Class::Skip, None)
            ]
        );
    }
}
