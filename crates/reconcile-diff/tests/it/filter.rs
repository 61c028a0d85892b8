//! The West filter keeps every West row change that can matter, one reason at a
//! time: each case runs the engine over West's rows filtered and unfiltered, wants
//! the same outcome, wants the verdict the case is about, and wants the filter to
//! have skipped the rows that do not matter (so a filter that kept everything, or
//! one that dropped the row that matters, fails).

use std::sync::{Arc, OnceLock};

use reconcile_binlog::{
    apply_row_filter, Bytes, ColumnDescription, ColumnType, Gtid, Row, RowChange, RowImage, RowOp,
    SourcePosition, TableDescription, Transaction, Value,
};
use reconcile_diff::{Class, Config, EastPass, Kind, Outcome};
use reconcile_schema::Schema;

const DDL: &str = "CREATE DATABASE d;
USE d;
CREATE TABLE `parent` (
  `id` int(11) NOT NULL,
  `name` varchar(20) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
CREATE TABLE `child` (
  `id` int(11) NOT NULL,
  `parent_id` int(11) DEFAULT NULL,
  `v` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_child` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE `acct` (
  `id` int(11) NOT NULL,
  `email` varchar(20) NOT NULL,
  `v` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uk_email` (`email`)
) ENGINE=InnoDB;
CREATE TABLE `msg` (
  `id` int(11) NOT NULL,
  `body` varchar(20) NOT NULL,
  `n` int(11) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
CREATE TABLE `other` (
  `id` int(11) NOT NULL,
  `x` int(11) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
";

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| reconcile_schema::parse_schema(DDL).expect("the schema parses"))
}

/// `name:i` is an INT column, `name:s` a VARCHAR in utf8mb4_general_ci.
fn table(name: &str, columns: &[&str]) -> Arc<TableDescription> {
    Arc::new(TableDescription {
        table_id: 1,
        schema: "d".to_owned(),
        table: name.to_owned(),
        columns: columns
            .iter()
            .map(|c| {
                let (name, kind) = c.split_once(':').unwrap();
                let text = kind == "s";
                ColumnDescription {
                    name: Some(name.to_owned()),
                    column_type: if text {
                        ColumnType::Varchar { max_len: 80 }
                    } else {
                        ColumnType::Long
                    },
                    type_code: if text { 15 } else { 3 },
                    unsigned: (!text).then_some(false),
                    collation: text.then_some(45),
                    nullable: name == "parent_id",
                    visible: None,
                }
            })
            .collect(),
        primary_key: Some(vec![(0, 0)]),
    })
}

fn tables() -> Vec<Arc<TableDescription>> {
    vec![
        table("parent", &["id:i", "name:s"]),
        table("child", &["id:i", "parent_id:i", "v:i"]),
        table("acct", &["id:i", "email:s", "v:i"]),
        table("msg", &["id:i", "body:s", "n:i"]),
        table("other", &["id:i", "x:i"]),
    ]
}

#[derive(Clone, Copy)]
enum V {
    I(i64),
    S(&'static str),
}

fn row(values: &[V]) -> Row {
    Row {
        values: values
            .iter()
            .map(|v| {
                Some(match v {
                    V::I(i) => Value::Int(*i),
                    V::S(s) => Value::String {
                        bytes: Bytes(s.as_bytes().to_vec()),
                        collation: Some(45),
                    },
                })
            })
            .collect(),
    }
}

/// One row change: table name, before, after.
type C = (&'static str, Option<Vec<V>>, Option<Vec<V>>);

fn ins(t: &'static str, a: &[V]) -> C {
    (t, None, Some(a.to_vec()))
}

fn upd(t: &'static str, b: &[V], a: &[V]) -> C {
    (t, Some(b.to_vec()), Some(a.to_vec()))
}

fn del(t: &'static str, b: &[V]) -> C {
    (t, Some(b.to_vec()), None)
}

fn transaction(server: u32, seq: u64, changes: &[C]) -> Transaction {
    let tables = tables();
    let changes = changes
        .iter()
        .map(|(t, b, a)| {
            let index = tables.iter().position(|d| d.table == *t).unwrap();
            RowChange {
                table_index: index,
                schema: "d".into(),
                table: (*t).into(),
                op: match (b, a) {
                    (None, _) => RowOp::Insert,
                    (Some(_), Some(_)) => RowOp::Update,
                    (Some(_), None) => RowOp::Delete,
                },
                before: b.as_deref().map(row),
                after: a.as_deref().map(row),
                image: RowImage::Full,
            }
        })
        .collect();
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
            start: seq,
            end: seq,
        },
        tables,
        changes,
        statements: Vec::new(),
        skipped: Vec::new(),
    }
}

/// The outcome with West unfiltered, and with West filtered (and the rows skipped).
fn both(east: &[Vec<C>], west: &[Vec<C>]) -> (Outcome, Outcome, u64) {
    let run = |filter: bool| {
        let mut pass = EastPass::new(Config::default(), Some(schema()));
        for (n, tx) in east.iter().enumerate() {
            pass.add(&transaction(1, 10 + n as u64, tx));
        }
        let mut pass = pass.into_west();
        let f = pass.row_filter();
        let mut skipped = 0;
        for (n, tx) in west.iter().enumerate() {
            let mut tx = transaction(2, 10 + n as u64, tx);
            if filter {
                apply_row_filter(&mut tx, &f).unwrap();
                skipped += tx.skipped.iter().map(|s| s.rows).sum::<u64>();
            }
            pass.add(&tx);
        }
        (pass.finish(), skipped)
    };
    let (all, _) = run(false);
    let (filtered, skipped) = run(true);
    (all, filtered, skipped)
}

/// The one item's class and kind, after checking that filtering changed nothing and
/// skipped `skipped` rows.
fn verdict(east: &[Vec<C>], west: &[Vec<C>], skipped: u64) -> (Class, Option<Kind>) {
    let (all, filtered, n) = both(east, west);
    assert_eq!(filtered, all);
    assert_eq!(n, skipped, "rows the filter skipped");
    assert_eq!(all.items.len(), 1, "{:?}", all.items);
    (all.items[0].class, all.items[0].kind)
}

use V::{I, S};

#[test]
fn a_unique_value_taken_under_another_key_is_kept() {
    let east = [vec![ins("acct", &[I(1), S("a@x"), I(1)])]];
    // West gives the same email (equal under the collation) to key 2; key 3 and the
    // untouched table do not matter
    let west = [vec![
        ins("acct", &[I(2), S("A@X"), I(5)]),
        ins("acct", &[I(3), S("b@x"), I(5)]),
        ins("other", &[I(1), I(1)]),
    ]];
    assert_eq!(
        verdict(&east, &west, 2),
        (Class::Review, Some(Kind::UniqueCollision))
    );
    // and a West row that gives the value up again is seen too
    let west = [
        west[0].clone(),
        vec![upd(
            "acct",
            &[I(2), S("A@X"), I(5)],
            &[I(2), S("c@x"), I(5)],
        )],
    ];
    assert_eq!(verdict(&east, &west, 2), (Class::Auto, None));
}

#[test]
fn a_cascade_from_a_parent_table_east_never_touched_is_kept() {
    // East moves child 10 from parent 1 to parent 2; West deletes parent 1, and the
    // server deletes West's child 10 (still under parent 1) with it, unlogged
    let east = [vec![upd(
        "child",
        &[I(10), I(1), I(0)],
        &[I(10), I(2), I(0)],
    )]];
    let west = [vec![
        del("parent", &[I(1), S("one")]),
        del("parent", &[I(3), S("three")]),
    ]];
    assert_eq!(
        verdict(&east, &west, 1),
        (Class::Review, Some(Kind::UpdateDelete))
    );
    // East deletes child 11 of parent 4; West's delete of parent 4 deleted it too
    let east = [vec![del("child", &[I(11), I(4), I(0)])]];
    let west = [vec![
        del("parent", &[I(4), S("four")]),
        del("parent", &[I(3), S("three")]),
    ]];
    assert_eq!(verdict(&east, &west, 1), (Class::Skip, None));
}

#[test]
fn a_west_child_of_a_parent_east_deleted_is_kept() {
    let east = [vec![del("parent", &[I(5), S("five")])]];
    let west = [vec![
        ins("child", &[I(20), I(5), I(0)]),
        ins("child", &[I(21), I(6), I(0)]),
    ]];
    assert_eq!(
        verdict(&east, &west, 1),
        (Class::Review, Some(Kind::FkOrphan))
    );
}

#[test]
fn a_parent_an_east_row_needs_is_kept() {
    let east = [vec![ins("child", &[I(30), I(7), I(0)])]];
    let west = [vec![
        del("parent", &[I(7), S("seven")]),
        del("parent", &[I(8), S("eight")]),
    ]];
    assert_eq!(
        verdict(&east, &west, 1),
        (Class::Review, Some(Kind::FkOrphan))
    );
}

#[test]
fn a_west_insert_repeating_an_east_insert_under_another_key_is_kept() {
    let east = [vec![ins("msg", &[I(1), S("hi"), I(1)])]];
    let west = [vec![
        ins("msg", &[I(7), S("HI"), I(1)]),
        ins("msg", &[I(8), S("hi"), I(2)]),
        ins("msg", &[I(9), S("yo"), I(1)]),
    ]];
    assert_eq!(
        verdict(&east, &west, 2),
        (Class::Review, Some(Kind::PossibleRetry))
    );
}

/// A retry row West later changed is no duplicate; the change is skipped (it
/// matters only through the note), also when West's history of it has a gap.
#[test]
fn a_retry_row_west_changed_later_is_no_duplicate() {
    let east = [vec![ins("msg", &[I(1), S("hi"), I(1)])]];
    let insert = vec![ins("msg", &[I(7), S("hi"), I(1)])];
    for before in ["hi", "gap"] {
        let west = [
            insert.clone(),
            vec![upd(
                "msg",
                &[I(7), S(before), I(1)],
                &[I(7), S("hey"), I(1)],
            )],
        ];
        assert_eq!(verdict(&east, &west, 1), (Class::Auto, None), "{before}");
    }
    let west = [insert.clone(), vec![del("msg", &[I(7), S("hi"), I(1)])]];
    assert_eq!(verdict(&east, &west, 1), (Class::Auto, None));
}

/// Within one West transaction, what the skipped change says is applied in binlog
/// order among the changes kept.
#[test]
fn skipped_changes_count_in_binlog_order() {
    let east = [vec![ins("msg", &[I(1), S("hi"), I(1)])]];
    // changed away (skipped), then back (kept): a duplicate again
    let west = [vec![
        ins("msg", &[I(7), S("hi"), I(1)]),
        upd("msg", &[I(7), S("hi"), I(1)], &[I(7), S("zz"), I(1)]),
        upd("msg", &[I(7), S("zz"), I(1)], &[I(7), S("hi"), I(1)]),
    ]];
    assert_eq!(
        verdict(&east, &west, 1),
        (Class::Review, Some(Kind::PossibleRetry))
    );
    // inserted and changed away in the same transaction: no duplicate
    let west = [vec![
        ins("msg", &[I(7), S("hi"), I(1)]),
        upd("msg", &[I(7), S("hi"), I(1)], &[I(7), S("zz"), I(1)]),
    ]];
    assert_eq!(verdict(&east, &west, 1), (Class::Auto, None));
}

/// The filter learns which place of a retry signature rejects most of West's rows
/// (here the body, checked second at first) and checks it first: rows it has seen
/// are judged as before, and a West insert repeating East's is still kept.
#[test]
fn retries_are_found_after_the_filter_reorders_its_checks() {
    const BODIES: [&str; 4] = ["b0", "b1", "b2", "b3"];
    let east = [vec![ins("msg", &[I(1), S("hi"), I(1)])]];
    let mut west: Vec<Vec<C>> = (0..1_000)
        .map(|i| vec![ins("msg", &[I(100 + i), S(BODIES[i as usize % 4]), I(1)])])
        .collect();
    // the same body under another n, then a repeat under another key
    west.push(vec![ins("msg", &[I(5_000), S("hi"), I(2)])]);
    west.push(vec![ins("msg", &[I(5_001), S("HI"), I(1)])]);
    assert_eq!(
        verdict(&east, &west, 1_001),
        (Class::Review, Some(Kind::PossibleRetry))
    );
}

/// Counts stay what they are without the filter: West's rows and those on keys
/// East did not touch, per table.
#[test]
fn skipped_rows_are_counted() {
    let east = [vec![ins("acct", &[I(1), S("a@x"), I(1)])]];
    let west = [
        vec![
            ins("other", &[I(1), I(1)]),
            ins("other", &[I(2), I(1)]),
            upd("acct", &[I(4), S("d@x"), I(1)], &[I(4), S("d@x"), I(2)]),
        ],
        vec![upd(
            "acct",
            &[I(1), S("a@x"), I(0)],
            &[I(1), S("a@x"), I(2)],
        )],
    ];
    let (all, filtered, skipped) = both(&east, &west);
    assert_eq!(skipped, 3);
    assert_eq!(filtered.west, all.west);
    assert_eq!(all.west.row_changes, 4);
    assert_eq!(all.west.untouched_row_changes, 3);
    assert_eq!(all.west.per_table["d.other"], 2);
}
