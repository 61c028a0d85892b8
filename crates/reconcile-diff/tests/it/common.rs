//! Shared fixtures: one table `d.t (id INT PK, email VARCHAR UNIQUE, v INT)`, rows of
//! it, hand-built transactions, and a driver that runs the engine over two histories.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use reconcile_binlog::{
    Bytes, ColumnDescription, ColumnType, Gtid, Row, RowChange, RowImage, RowOp, SourcePosition,
    TableDescription, Transaction, Value,
};
use reconcile_diff::{Class, Config, EastPass, Item, Kind, Outcome};
use reconcile_schema::Schema;

/// The `--schema` of every test: a primary key and one unique key.
pub const DDL: &str = "CREATE DATABASE d;
USE d;
CREATE TABLE t (
  id INT NOT NULL,
  email VARCHAR(20) NOT NULL,
  v INT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_email (email)
) ENGINE=InnoDB;
";

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| reconcile_schema::parse_schema(DDL).expect("the test schema parses"))
}

fn table() -> Arc<TableDescription> {
    let int = |name: &str| ColumnDescription {
        name: Some(name.to_owned()),
        column_type: ColumnType::Long,
        type_code: 3,
        unsigned: Some(false),
        collation: None,
        nullable: false,
        visible: None,
    };
    Arc::new(TableDescription {
        table_id: 42,
        schema: "d".to_owned(),
        table: "t".to_owned(),
        columns: vec![
            int("id"),
            ColumnDescription {
                name: Some("email".to_owned()),
                column_type: ColumnType::Varchar { max_len: 80 },
                type_code: 15,
                unsigned: None,
                collation: Some(45),
                nullable: false,
                visible: None,
            },
            int("v"),
        ],
        primary_key: Some(vec![(0, 0)]),
    })
}

/// A row of `d.t`; `email` n stands for the string `un@x`, or `Un@X` when `upper`.
/// The column's collation (45, `utf8mb4_general_ci`) is case-insensitive, so
/// uniqueness depends on `email` alone while the stored row keeps its case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct R {
    pub id: i64,
    pub email: u8,
    pub v: i64,
    pub upper: bool,
}

impl fmt::Debug for R {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = if self.upper { "U" } else { "u" };
        let x = if self.upper { "X" } else { "x" };
        write!(f, "{{id {} {u}{}@{x} v{}}}", self.id, self.email, self.v)
    }
}

pub fn r(id: i64, email: u8, v: i64) -> R {
    R {
        id,
        email,
        v,
        upper: false,
    }
}

/// One row change as a side logged it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub before: Option<R>,
    pub after: Option<R>,
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.before, self.after) {
            (None, Some(a)) => write!(f, "ins {a:?}"),
            (Some(b), None) => write!(f, "del {b:?}"),
            (Some(b), Some(a)) => write!(f, "upd {b:?} -> {a:?}"),
            (None, None) => write!(f, "nothing"),
        }
    }
}

pub fn ins(a: R) -> Change {
    Change {
        before: None,
        after: Some(a),
    }
}

pub fn upd(b: R, a: R) -> Change {
    Change {
        before: Some(b),
        after: Some(a),
    }
}

pub fn del(b: R) -> Change {
    Change {
        before: Some(b),
        after: None,
    }
}

fn row(r: R) -> Row {
    Row {
        values: vec![
            Some(Value::Int(r.id)),
            Some(Value::String {
                bytes: Bytes(
                    if r.upper {
                        format!("U{}@X", r.email)
                    } else {
                        format!("u{}@x", r.email)
                    }
                    .into_bytes(),
                ),
                collation: Some(45),
            }),
            Some(Value::Int(r.v)),
        ],
    }
}

/// A row as the engine's items name it: `(column, value)` in table order.
pub fn named(r: R) -> Vec<(String, Value)> {
    ["id", "email", "v"]
        .into_iter()
        .map(str::to_owned)
        .zip(row(r).values.into_iter().flatten())
        .collect()
}

/// A binlog transaction of `changes`; `server` 1 is East, 2 is West.
pub fn transaction(server: u32, seq: u64, changes: &[Change]) -> Transaction {
    let changes = changes
        .iter()
        .map(|c| RowChange {
            table_index: 0,
            schema: "d".into(),
            table: "t".into(),
            op: match (c.before, c.after) {
                (None, _) => RowOp::Insert,
                (Some(_), Some(_)) => RowOp::Update,
                (Some(_), None) => RowOp::Delete,
            },
            before: c.before.map(row),
            after: c.after.map(row),
            image: RowImage::Full,
        })
        .collect();
    Transaction {
        gtid: Some(Gtid::Mariadb {
            domain: 0,
            server,
            seq,
        }),
        server_id: server,
        timestamp: 1_700_000_000,
        position: SourcePosition {
            file: format!("server{server}-bin.000001").into(),
            start: seq * 1000,
            end: seq * 1000 + 999,
        },
        tables: vec![table()],
        changes,
        statements: vec![],
        skipped: vec![],
    }
}

/// Runs the engine: East's transactions (server 1), then West's (server 2), each
/// numbered from 12 on, as after a divergence at `0-1-11`.
pub fn run(east: &[Vec<Change>], west: &[Vec<Change>]) -> Outcome {
    let mut pass = EastPass::new(Config::default(), Some(schema()));
    for (n, tx) in east.iter().enumerate() {
        pass.add(&transaction(1, 12 + n as u64, tx));
    }
    let mut pass = pass.into_west();
    for (n, tx) in west.iter().enumerate() {
        pass.add(&transaction(2, 12 + n as u64, tx));
    }
    pass.finish()
}

/// [`run`], with West's transactions passed through the engine's West filter first
/// (as the reader applies it while decoding); also returns the row changes it
/// skipped.
pub fn run_filtered(east: &[Vec<Change>], west: &[Vec<Change>]) -> (Outcome, u64) {
    let mut pass = EastPass::new(Config::default(), Some(schema()));
    for (n, tx) in east.iter().enumerate() {
        pass.add(&transaction(1, 12 + n as u64, tx));
    }
    let mut pass = pass.into_west();
    let filter = pass.row_filter();
    let mut skipped = 0;
    for (n, tx) in west.iter().enumerate() {
        let mut tx = transaction(2, 12 + n as u64, tx);
        reconcile_binlog::apply_row_filter(&mut tx, &filter).unwrap();
        skipped += tx.skipped.iter().map(|s| s.rows).sum::<u64>();
        pass.add(&tx);
    }
    (pass.finish(), skipped)
}

/// The `id` of an item's key (every key of `d.t` is `{"id": n}`).
pub fn key_id(item: &Item) -> i64 {
    match item.key.as_slice() {
        [(name, Value::Int(id))] if name == "id" => *id,
        other => panic!("unexpected key {other:?}"),
    }
}

/// Items by key id; panics on a duplicate key.
pub fn by_key(outcome: &Outcome) -> BTreeMap<i64, &Item> {
    let mut map = BTreeMap::new();
    for item in &outcome.items {
        let previous = map.insert(key_id(item), item);
        assert!(previous.is_none(), "two items for key {}", key_id(item));
    }
    map
}

/// `(class, kind)` per key id.
pub fn verdicts(outcome: &Outcome) -> BTreeMap<i64, (Class, Option<Kind>)> {
    by_key(outcome)
        .into_iter()
        .map(|(k, item)| (k, (item.class, item.kind)))
        .collect()
}
