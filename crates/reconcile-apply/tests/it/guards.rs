//! Batched guards against a real server: they give every item what one guard per
//! item gives, and lock no row that one guard per item would not lock.

use mysql_async::prelude::Queryable;
use reconcile_apply::{GroupOutcome, GroupPlan, PlannedItem, Target, ValueDiff, Write};
use reconcile_binlog::{Bytes, Value};
use reconcile_testkit::{live_servers_available, MariaDb, MariaDbOptions};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const SCHEMA: &str = "CREATE DATABASE g;
USE g;
CREATE TABLE g.n (id INT UNSIGNED NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;
INSERT INTO g.n SELECT seq, seq * 10 FROM seq_1_to_40;
CREATE TABLE g.c (a INT NOT NULL, b INT NOT NULL, v VARCHAR(20) NOT NULL, PRIMARY KEY (a, b)) ENGINE=InnoDB;
INSERT INTO g.c SELECT seq DIV 4, seq MOD 4, CONCAT('v', seq) FROM seq_0_to_39;
CREATE TABLE g.ci (n INT NOT NULL, k VARCHAR(10) COLLATE utf8mb4_general_ci NOT NULL, v INT NOT NULL, PRIMARY KEY (n, k)) ENGINE=InnoDB;
INSERT INTO g.ci VALUES (1, 'A', 1), (2, 'b', 2), (3, 'c ', 3);
CREATE TABLE g.u (id INT NOT NULL PRIMARY KEY, e VARCHAR(20) NOT NULL, v INT NOT NULL, UNIQUE KEY uk_e (e)) ENGINE=InnoDB;
INSERT INTO g.u SELECT seq, CONCAT('e', seq), seq FROM seq_1_to_20;
CREATE TABLE g.tiny (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;
INSERT INTO g.tiny VALUES (1, 1), (2, 2), (3, 3);
CREATE TABLE g.nokey (x INT NULL, v INT NULL) ENGINE=InnoDB;
INSERT INTO g.nokey VALUES (1, 1), (1, 1), (NULL, 2);";

fn server(name: &str) -> MariaDb {
    let server = MariaDb::start(MariaDbOptions::named(name)).unwrap();
    server.exec(SCHEMA).unwrap();
    server
}

fn connect(rt: &tokio::runtime::Runtime, server: &MariaDb, batched: bool) -> Target {
    let mut target = rt
        .block_on(Target::connect(server.opts(), "test", "reconcile", "plan"))
        .unwrap();
    target.set_guard_batching(batched);
    target
}

fn s(text: &str) -> Value {
    Value::String {
        bytes: Bytes(text.as_bytes().to_vec()),
        collation: Some(45),
    }
}

fn pairs(cols: &[(&str, Value)]) -> Vec<(String, Value)> {
    cols.iter()
        .map(|(c, v)| ((*c).to_owned(), v.clone()))
        .collect()
}

/// An item of `g.table`: the key, the row expected now (`None`: absent), and the
/// row to write (`None`: delete).
fn item(
    id: u64,
    table: &str,
    key: &[(&str, Value)],
    expected: Option<&[(&str, Value)]>,
    write: Option<&[(&str, Value)]>,
) -> PlannedItem {
    PlannedItem {
        item: id,
        schema: "g".into(),
        table: table.into(),
        key: pairs(key),
        expected: expected.map(pairs),
        write: match (expected, write) {
            (None, Some(row)) => Write::Insert(pairs(row)),
            (Some(_), Some(row)) => Write::Update(pairs(row)),
            (_, None) => Write::Delete,
        },
        east_gtids: vec![],
    }
}

fn n_row(id: u32, v: i64) -> Vec<(&'static str, Value)> {
    vec![("id", Value::UInt(u64::from(id))), ("v", Value::Int(v))]
}

fn n_item(id: u64, key: u32, expected: Option<i64>, write: Option<i64>) -> PlannedItem {
    let exp = expected.map(|v| n_row(key, v));
    let wr = write.map(|v| n_row(key, v));
    item(
        id,
        "n",
        &[("id", Value::UInt(u64::from(key)))],
        exp.as_deref(),
        wr.as_deref(),
    )
}

fn group(group: u64, items: Vec<PlannedItem>) -> GroupPlan {
    GroupPlan { group, items }
}

fn prepared_executions(server: &MariaDb) -> i64 {
    let rows: Vec<(String, String)> = server
        .query("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")
        .unwrap();
    rows[0].1.parse().unwrap()
}

/// Runs `g` as a dry run with batched guards and with one guard per item, checks
/// that both give the same outcome, and returns it with the number of statements
/// the batched run executed.
fn dry_run_both(
    rt: &tokio::runtime::Runtime,
    server: &MariaDb,
    batched: &mut Target,
    per_item: &mut Target,
    g: &GroupPlan,
) -> (GroupOutcome, i64) {
    let before = prepared_executions(server);
    let a = rt.block_on(batched.apply_group(g, true)).unwrap();
    let statements = prepared_executions(server) - before;
    let b = rt.block_on(per_item.apply_group(g, true)).unwrap();
    assert_eq!(
        a, b,
        "group {}: batched and per-item guards disagree",
        g.group
    );
    (a, statements)
}

#[test]
fn batched_guards_give_what_one_guard_per_item_gives() {
    if !live_servers_available("batched_guards_give_what_one_guard_per_item_gives") {
        return;
    }
    let server = server("apply-guards");
    let rt = runtime();
    let mut batched = connect(&rt, &server, true);
    let mut per_item = connect(&rt, &server, false);
    // The unique keys are read once per table, on first use: read them first.
    let absent = |table: &str| {
        item(
            0,
            table,
            &[("v", Value::Int(-1))],
            None,
            Some(&[("v", Value::Int(-1))]),
        )
    };
    let warm = group(
        0,
        ["n", "c", "ci", "u", "tiny", "nokey"]
            .into_iter()
            .map(absent)
            .collect(),
    );
    rt.block_on(batched.apply_group(&warm, true)).unwrap();

    // Every guard holds: one read for the four items of `g.n`.
    let g = group(
        1,
        vec![
            n_item(1, 1, Some(10), Some(11)),
            n_item(2, 2, Some(20), None),
            n_item(3, 41, None, Some(1)),
            n_item(4, 3, Some(30), Some(31)),
        ],
    );
    assert_eq!(
        dry_run_both(&rt, &server, &mut batched, &mut per_item, &g),
        (GroupOutcome::WouldApply { writes: 4 }, 1)
    );

    // A guard that fails inside a batch fails with the same item and diff.
    let g = group(
        2,
        vec![
            n_item(1, 1, Some(10), Some(11)),
            n_item(2, 2, Some(99), Some(21)),
            n_item(3, 3, Some(98), Some(31)),
            n_item(4, 4, Some(40), None),
        ],
    );
    let (outcome, statements) = dry_run_both(&rt, &server, &mut batched, &mut per_item, &g);
    assert_eq!(
        outcome,
        GroupOutcome::GuardFailed {
            item: 2,
            diffs: vec![ValueDiff {
                column: "v".into(),
                expected: "99".into(),
                actual: "20".into(),
            }],
        }
    );
    assert_eq!(statements, 1);

    // A row where none was expected, and none where one was.
    let g = group(
        3,
        vec![n_item(1, 5, None, Some(1)), n_item(2, 42, Some(1), None)],
    );
    let (outcome, _) = dry_run_both(&rt, &server, &mut batched, &mut per_item, &g);
    assert_eq!(
        outcome,
        GroupOutcome::GuardFailed {
            item: 1,
            diffs: vec![ValueDiff {
                column: "(row)".into(),
                expected: "absent".into(),
                actual: "present".into(),
            }],
        }
    );
    let g = group(
        4,
        vec![n_item(1, 6, Some(60), None), n_item(2, 42, Some(1), None)],
    );
    let (outcome, _) = dry_run_both(&rt, &server, &mut batched, &mut per_item, &g);
    assert_eq!(
        outcome,
        GroupOutcome::GuardFailed {
            item: 2,
            diffs: vec![ValueDiff {
                column: "(row)".into(),
                expected: "present".into(),
                actual: "absent".into(),
            }],
        }
    );

    // A case-insensitive key: the server returns (1, 'A') for (1, 'a'), which is
    // no item's key exactly; the batch is guarded item by item, as before.
    let ci = |id: u64, n: i64, k: &str, found: Option<(&str, i64)>, v: i64| {
        let exp =
            found.map(|(fk, fv)| vec![("n", Value::Int(n)), ("k", s(fk)), ("v", Value::Int(fv))]);
        let wr = vec![("n", Value::Int(n)), ("k", s(k)), ("v", Value::Int(v))];
        item(
            id,
            "ci",
            &[("n", Value::Int(n)), ("k", s(k))],
            exp.as_deref(),
            Some(&wr),
        )
    };
    let g = group(
        5,
        vec![
            ci(1, 1, "a", Some(("A", 1)), 5),
            ci(2, 2, "b", Some(("b", 2)), 6),
        ],
    );
    assert_eq!(
        dry_run_both(&rt, &server, &mut batched, &mut per_item, &g),
        (GroupOutcome::WouldApply { writes: 2 }, 3),
        "one batched read, then each item on its own"
    );
    // ... and a pad-space collation returns 'c ' for 'c': the guard sees the row.
    let g = group(
        6,
        vec![ci(1, 2, "b", Some(("b", 2)), 6), ci(2, 3, "c", None, 7)],
    );
    assert_eq!(
        dry_run_both(&rt, &server, &mut batched, &mut per_item, &g),
        (
            GroupOutcome::GuardFailed {
                item: 2,
                diffs: vec![ValueDiff {
                    column: "(row)".into(),
                    expected: "absent".into(),
                    actual: "present".into(),
                }],
            },
            3
        )
    );
    // Two items whose keys only a collation tells apart never share a read.
    let g = group(
        7,
        vec![
            ci(1, 1, "a", Some(("A", 1)), 5),
            ci(2, 1, "A", Some(("A", 1)), 6),
        ],
    );
    let (outcome, statements) = dry_run_both(&rt, &server, &mut batched, &mut per_item, &g);
    assert_eq!(outcome, GroupOutcome::WouldApply { writes: 2 });
    assert_eq!(statements, 2);

    // Composite keys, a secondary unique key, the same key twice in a group, a
    // NULL key and a table without a unique key: the outcome never changes.
    let c = |id: u64, a: i64, b: i64, v: Option<&str>| {
        let exp = v.map(|v| vec![("a", Value::Int(a)), ("b", Value::Int(b)), ("v", s(v))]);
        item(
            id,
            "c",
            &[("a", Value::Int(a)), ("b", Value::Int(b))],
            exp.as_deref(),
            None,
        )
    };
    let u = |id: u64, e: &str, row: Option<(i64, i64)>| {
        let exp = row.map(|(i, v)| vec![("id", Value::Int(i)), ("e", s(e)), ("v", Value::Int(v))]);
        item(id, "u", &[("e", s(e))], exp.as_deref(), None)
    };
    let cases = vec![
        vec![
            c(1, 0, 1, Some("v1")),
            c(2, 0, 2, Some("v2")),
            c(3, 9, 9, None),
            c(4, 1, 0, Some("v4")),
        ],
        vec![
            c(1, 0, 1, Some("v1")),
            c(2, 0, 2, Some("v3")),
            c(3, 1, 1, Some("v5")),
        ],
        vec![
            u(1, "e1", Some((1, 1))),
            u(2, "e2", Some((2, 2))),
            u(3, "e99", None),
        ],
        vec![u(1, "e1", Some((1, 1))), u(2, "E2", Some((2, 2)))],
        vec![
            n_item(1, 7, Some(70), None),
            n_item(2, 8, Some(80), None),
            n_item(3, 7, Some(70), Some(1)),
        ],
        vec![
            n_item(1, 7, Some(70), None),
            n_item(2, 8, Some(80), None),
            n_item(3, 7, Some(71), Some(1)),
        ],
        vec![
            item(1, "n", &[("id", Value::Null)], None, Some(&n_row(0, 0))),
            n_item(2, 9, Some(90), None),
            n_item(3, 10, Some(100), None),
        ],
        vec![
            item(
                1,
                "nokey",
                &[("x", Value::Int(1)), ("v", Value::Int(1))],
                Some(&[("x", Value::Int(1)), ("v", Value::Int(1))]),
                None,
            ),
            item(
                2,
                "nokey",
                &[("x", Value::Null), ("v", Value::Int(2))],
                Some(&[("x", Value::Null), ("v", Value::Int(2))]),
                None,
            ),
        ],
        vec![
            item(
                1,
                "tiny",
                &[("id", Value::Int(1))],
                Some(&[("id", Value::Int(1)), ("v", Value::Int(1))]),
                None,
            ),
            item(
                2,
                "tiny",
                &[("id", Value::Int(3))],
                Some(&[("id", Value::Int(3)), ("v", Value::Int(3))]),
                None,
            ),
            item(
                3,
                "tiny",
                &[("id", Value::Int(7))],
                None,
                Some(&[("id", Value::Int(7)), ("v", Value::Int(7))]),
            ),
        ],
    ];
    for (n, items) in cases.into_iter().enumerate() {
        dry_run_both(
            &rt,
            &server,
            &mut batched,
            &mut per_item,
            &group(10 + n as u64, items),
        );
    }

    // Many items of one table: split into reads of at most 64 keys, one failure at
    // the end of the last; and a failure early in the first stops there, as one
    // guard per item stops at the first that fails.
    let mut items: Vec<PlannedItem> = (1..=40)
        .map(|k| n_item(u64::from(k), k, Some(i64::from(k) * 10), None))
        .collect();
    items.extend((41..=100).map(|k| n_item(u64::from(k), k, None, Some(1))));
    items.push(n_item(101, 101, Some(1), None));
    let (outcome, statements) = dry_run_both(
        &rt,
        &server,
        &mut batched,
        &mut per_item,
        &group(30, items.clone()),
    );
    assert!(
        matches!(outcome, GroupOutcome::GuardFailed { item: 101, .. }),
        "{outcome:?}"
    );
    assert_eq!(statements, 2);
    items[2] = n_item(3, 3, Some(31), None);
    let (outcome, statements) =
        dry_run_both(&rt, &server, &mut batched, &mut per_item, &group(31, items));
    assert!(
        matches!(outcome, GroupOutcome::GuardFailed { item: 3, .. }),
        "{outcome:?}"
    );
    assert_eq!(statements, 1);

    rt.block_on(batched.close());
    rt.block_on(per_item.close());
}

/// A batched read goes through the key's unique index, so it locks what one guard
/// per item locks: on a three-row table, where the optimizer would rather scan the
/// table, a row another transaction holds and no item names does not block it.
#[test]
fn batched_guards_lock_no_row_that_no_item_names() {
    if !live_servers_available("batched_guards_lock_no_row_that_no_item_names") {
        return;
    }
    let server = server("apply-guard-locks");
    server
        .exec("SET GLOBAL innodb_lock_wait_timeout = 1")
        .unwrap();
    let rt = runtime();
    let mut target = connect(&rt, &server, true);
    let mut holder = rt.block_on(mysql_async::Conn::new(server.opts())).unwrap();
    rt.block_on(holder.query_drop("START TRANSACTION")).unwrap();
    rt.block_on(holder.query_drop("SELECT v FROM g.tiny WHERE id = 2 FOR UPDATE"))
        .unwrap();
    let row = |id: i64| vec![("id", Value::Int(id)), ("v", Value::Int(id))];
    let g = group(
        1,
        vec![
            item(1, "tiny", &[("id", Value::Int(1))], Some(&row(1)), None),
            item(
                2,
                "tiny",
                &[("id", Value::Int(3))],
                Some(&row(3)),
                Some(&row(4)),
            ),
            item(3, "tiny", &[("id", Value::Int(7))], None, Some(&row(7))),
        ],
    );
    let before = prepared_executions(&server);
    let outcome = rt.block_on(target.apply_group(&g, true));
    assert_eq!(
        outcome.unwrap(),
        GroupOutcome::WouldApply { writes: 3 },
        "the guards must not wait for the row no item names"
    );
    // the unique keys of g.tiny, then one read of three keys
    assert_eq!(prepared_executions(&server) - before, 2);
    rt.block_on(holder.query_drop("ROLLBACK")).unwrap();
    rt.block_on(holder.disconnect()).unwrap();
    rt.block_on(target.close());
}
