//! What the engine returns: items with their class, kind and suggestion, grouped for
//! all-or-nothing application. These types are the plan's format too (`plan.jsonl`),
//! so `apply` reads back exactly what `scan` decided.

use std::collections::BTreeMap;
use std::fmt;

use reconcile_binlog::Value;
use serde::{Deserialize, Serialize};

/// What may happen to an item without a human.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Safe to replay on West: only East changed the key and nothing West wrote can
    /// be overwritten.
    Auto,
    /// Nothing to do: both sides already agree (or East's changes cancel out).
    Skip,
    /// A real conflict or an uncertainty: a human decides.
    #[default]
    Review,
}

impl Class {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Auto => "auto",
            Class::Skip => "skip",
            Class::Review => "review",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an item needs review. Ordered by precedence: when several apply, the item
/// reports the first (the others are named in its reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Statement-format DML in the window: its rows are unknown.
    StatementEvent,
    /// DDL on the item's table in the window, on either side.
    DdlInWindow,
    /// The binlog's table layout differs from `--schema`.
    SchemaMismatch,
    /// No unique-key knowledge for the table (no `--schema`, or the table is not in it).
    SchemaUnknown,
    /// The table has no primary key and no NOT NULL unique key: the whole row is the identity.
    NoKey,
    /// The table has triggers: their changes are already in the binlog, replaying would run them twice.
    Trigger,
    /// A row image lacks columns the comparison needs (`binlog_row_image` MINIMAL or NOBLOB).
    PartialImage,
    /// The two sides saw a different base, or a side's own history has a gap.
    BaseMismatch,
    /// Both sides inserted the key with different rows.
    InsertInsert,
    /// Both sides updated the key to different rows.
    UpdateUpdate,
    /// East updated a row West deleted.
    UpdateDelete,
    /// East deleted a row West updated.
    DeleteUpdate,
    /// East's final row takes a unique-key value West gives to another key.
    UniqueCollision,
    /// A foreign-key parent (or child) is missing on West, or West has new children of a row East deleted.
    FkOrphan,
    /// East's insert looks like one West's users already repeated under another key.
    PossibleRetry,
    /// Clean by itself, but its group holds an item that needs review.
    SameTransaction,
}

impl Kind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::StatementEvent => "statement-event",
            Kind::DdlInWindow => "ddl-in-window",
            Kind::SchemaMismatch => "schema-mismatch",
            Kind::SchemaUnknown => "schema-unknown",
            Kind::NoKey => "no-key",
            Kind::Trigger => "trigger",
            Kind::PartialImage => "partial-image",
            Kind::BaseMismatch => "base-mismatch",
            Kind::InsertInsert => "insert-insert",
            Kind::UpdateUpdate => "update-update",
            Kind::UpdateDelete => "update-delete",
            Kind::DeleteUpdate => "delete-update",
            Kind::UniqueCollision => "unique-collision",
            Kind::FkOrphan => "fk-orphan",
            Kind::PossibleRetry => "possible-retry",
            Kind::SameTransaction => "same-transaction",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A side's net change of one key over the window: base → final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetOp {
    /// Absent before, present after.
    Insert,
    /// Present before and after.
    Update,
    /// Present before, absent after.
    Delete,
    /// The side's changes cancel out (base equals final).
    None,
}

impl NetOp {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            NetOp::Insert => "insert",
            NetOp::Update => "update",
            NetOp::Delete => "delete",
            NetOp::None => "none",
        }
    }
}

/// A row image as column name → value, in table column order. Columns a partial
/// image did not carry are absent.
pub type Image = BTreeMap<String, Value>;

/// What the engine proposes for a review item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Suggestion {
    /// Both sides changed disjoint columns from the same base: this row keeps both.
    MergeColumns {
        /// The merged row.
        merged: Vec<(String, Value)>,
    },
    /// An AUTO_INCREMENT key both sides inserted: East's row can take a new key.
    Rekey {
        /// Items that refer to this key through a known foreign key (empty: none).
        referenced_by: Vec<u64>,
    },
    /// East's insert repeats West's row under this key (a user retry).
    DuplicateOf {
        /// West's key, `{column: value}`.
        key: Vec<(String, Value)>,
    },
}

/// One row identity East changed, `(schema, table, key)`, with both sides' net
/// changes and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// 1-based, in report order (group, then East commit order).
    pub id: u64,
    /// 1-based group: items whose East transactions share keys; applied all or nothing.
    pub group: u64,
    /// The verdict.
    pub class: Class,
    /// Why it needs review (`None` for auto and skip).
    pub kind: Option<Kind>,
    /// A proposal for the DBA, when there is one.
    pub suggestion: Option<Suggestion>,
    /// Database.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Column names of the table, in order, as the binlog (or `--schema`) names them.
    pub columns: Vec<String>,
    /// Columns that are generated: never written, never compared.
    pub generated: Vec<String>,
    /// The identity: `(column, value)` in key order (the whole row for `no-key`).
    pub key: Vec<(String, Value)>,
    /// East's net change.
    pub east_op: NetOp,
    /// West's net change, `None` when West never touched the key.
    pub west_op: Option<NetOp>,
    /// The row before the window (`None`: absent), as East's history shows it.
    pub base: Option<Vec<(String, Value)>>,
    /// The row before the window as West's history shows it, when West touched the key.
    pub west_base: Option<Vec<(String, Value)>>,
    /// East's final row (`None`: deleted or never there).
    pub east: Option<Vec<(String, Value)>>,
    /// West's final row, when West touched the key.
    pub west: Option<Vec<(String, Value)>>,
    /// Columns East changed from the base.
    pub east_changed: Vec<String>,
    /// Columns West changed from the base.
    pub west_changed: Vec<String>,
    /// East transactions that changed the key, in order.
    pub east_gtids: Vec<String>,
    /// West transactions that changed the key, in order.
    pub west_gtids: Vec<String>,
    /// Every reason found, most important first.
    pub reason: String,
}

/// A DDL statement found in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdlEvent {
    /// `east` or `west`.
    pub side: String,
    /// Its transaction's GTID (or position).
    pub gtid: String,
    /// The statement.
    pub statement: String,
    /// Tables it names, `schema.table` (empty when it could not be parsed).
    pub tables: Vec<String>,
}

/// Counts of one side's window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideCounts {
    /// Transactions after the divergence point.
    pub transactions: u64,
    /// Row changes in them.
    pub row_changes: u64,
    /// Row changes on keys East did not touch (West only; for East 0).
    pub untouched_row_changes: u64,
    /// Row changes per `schema.table`.
    pub per_table: BTreeMap<String, u64>,
}

/// The engine's complete answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Every item, in report order.
    pub items: Vec<Item>,
    /// DDL seen in the window.
    pub ddl: Vec<DdlEvent>,
    /// East's window.
    pub east: SideCounts,
    /// West's window.
    pub west: SideCounts,
    /// Things the engine noticed that are not items (skipped statements, ...).
    pub notes: Vec<String>,
}

impl Outcome {
    /// Items per class.
    pub fn count_class(&self, class: Class) -> usize {
        self.items.iter().filter(|i| i.class == class).count()
    }

    /// Items per review kind.
    pub fn count_kinds(&self) -> BTreeMap<Kind, usize> {
        let mut counts = BTreeMap::new();
        for kind in self.items.iter().filter_map(|i| i.kind) {
            *counts.entry(kind).or_insert(0) += 1;
        }
        counts
    }
}

/// What the DBA told `scan`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `--merge disjoint-columns`: column-disjoint updates become `auto`.
    pub merge_disjoint_columns: bool,
    /// `--retries skip`: possible retries become `skip`.
    pub retries_skip: bool,
    /// `--volatile-columns`: `(schema, table, column)` ignored when looking for retries.
    pub volatile_columns: Vec<(String, String, String)>,
}
