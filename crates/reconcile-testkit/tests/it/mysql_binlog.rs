//! The MySQL-flavor fixture `testdata/mysql-conflicts`: the committed files are what
//! the generator writes, the project's reader finds in them what was written, and
//! `mariadb-binlog` (an independent reader) accepts them.

use std::path::{Path, PathBuf};
use std::process::Command;

use reconcile_binlog::{BinlogReader, ReadItem, ReaderOptions, RowOp, Transaction, Value};
use reconcile_testkit::{
    find_program, mysql_conflicts, Program, MYSQL_EAST_UUID, MYSQL_WEST_DDL, MYSQL_WEST_UUID,
};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mysql-conflicts")
}

fn gtids(uuid: &str, gnos: std::ops::RangeInclusive<u64>) -> Vec<String> {
    gnos.map(|n| format!("{uuid}:{n}")).collect()
}

/// Transactions and per-file PREVIOUS_GTIDS of one side, checksums verified.
fn read_side(side: &str) -> (Vec<Transaction>, Vec<String>) {
    let mut reader = BinlogReader::open_dir(scenario().join(side), ReaderOptions::default())
        .unwrap_or_else(|e| panic!("{side}: {e}"));
    let mut transactions = Vec::new();
    for item in reader.by_ref() {
        match item.unwrap_or_else(|e| panic!("{side}: {e}")) {
            ReadItem::Transaction(t) => transactions.push(t),
            ReadItem::Diagnostic(d) => panic!("{side}: unexpected diagnostic {d:?}"),
        }
    }
    let previous = reader
        .files()
        .iter()
        .map(|f| {
            assert_eq!(f.server_version.as_deref(), Some("8.0.36"), "{}", f.file);
            assert!(!f.in_use, "{} is marked in use", f.file);
            f.previous_gtids
                .as_ref()
                .unwrap_or_else(|| panic!("{} has no PREVIOUS_GTIDS", f.file))
                .to_string()
        })
        .collect();
    (transactions, previous)
}

fn gtid_of(t: &Transaction) -> String {
    t.gtid.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn find<'a>(ts: &'a [Transaction], gtid: &str) -> &'a Transaction {
    ts.iter()
        .find(|t| gtid_of(t) == gtid)
        .unwrap_or_else(|| panic!("no transaction {gtid}"))
}

fn string(s: &str) -> Value {
    Value::String {
        bytes: reconcile_binlog::Bytes(s.as_bytes().to_vec()),
        collation: Some(255),
    }
}

#[test]
fn committed_mysql_conflicts_is_what_the_generator_writes() {
    let generated = mysql_conflicts();
    assert_eq!(
        generated,
        mysql_conflicts(),
        "the generator is not deterministic"
    );
    for (relative, bytes) in &generated {
        let committed = std::fs::read(scenario().join(relative)).unwrap_or_else(|e| {
            panic!("{relative}: {e}; run `cargo xtask gen-testdata mysql-conflicts`")
        });
        assert!(
            committed == *bytes,
            "{relative} differs from the generator's output; run `cargo xtask gen-testdata mysql-conflicts`"
        );
    }
    for side in ["east", "west"] {
        let mut on_disk: Vec<String> = std::fs::read_dir(scenario().join(side))
            .unwrap()
            .flatten()
            .map(|e| format!("{side}/{}", e.file_name().to_string_lossy()))
            .collect();
        on_disk.sort();
        let mut expected: Vec<String> = generated
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| p.starts_with(&format!("{side}/")))
            .collect();
        expected.sort();
        assert_eq!(on_disk, expected, "stray or missing files in {side}/");
    }
}

#[test]
fn reconcile_binlog_reads_back_east() {
    let (ts, previous) = read_side("east");
    let a = MYSQL_EAST_UUID;
    assert_eq!(
        ts.iter().map(gtid_of).collect::<Vec<_>>(),
        gtids(a, 1..=27),
        "East's GTIDs"
    );
    assert_eq!(previous, vec![String::new(), format!("{a}:1-19")]);
    assert!(ts.iter().all(|t| t.server_id == 1));
    let files: Vec<&str> = ts.iter().map(|t| &*t.position.file).collect();
    assert!(files[..19].iter().all(|f| f.ends_with("binlog.000001")));
    assert!(files[19..].iter().all(|f| f.ends_with("binlog.000002")));

    // DDL is a transaction of its own: GTID then QUERY
    let ddl = find(&ts, &format!("{a}:1"));
    assert!(ddl.changes.is_empty());
    assert_eq!(ddl.statements[0].text, "CREATE DATABASE shop");

    // every column type of the fixture, from the shared orders insert
    let orders = find(&ts, &format!("{a}:8"));
    assert_eq!(orders.changes.len(), 3);
    let table = orders.table_of(&orders.changes[1]).unwrap();
    let names: Vec<&str> = table
        .columns
        .iter()
        .map(|c| c.name.as_deref().unwrap_or("?"))
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "customer_id",
            "amount",
            "status",
            "placed_at",
            "paid_at",
            "weight_kg"
        ]
    );
    assert_eq!(table.primary_key, Some(vec![(0, 0)]));
    let row = orders.changes[1].after.as_ref().unwrap();
    let values: Vec<&Value> = row.values.iter().map(|v| v.as_ref().unwrap()).collect();
    assert_eq!(values[0], &Value::Int(2));
    assert_eq!(values[1], &Value::Int(1));
    assert_eq!(values[2], &Value::Decimal("20.00".into()));
    assert_eq!(values[3], &string("new"));
    assert_eq!(
        values[4],
        &Value::DateTime {
            year: 2026,
            month: 11,
            day: 20,
            hour: 8,
            minute: 1,
            second: 20,
            micros: 2,
            fsp: 6
        }
    );
    assert_eq!(
        values[5],
        &Value::Timestamp {
            secs: 1_795_161_900,
            micros: 125_000,
            fsp: 3
        }
    );
    assert_eq!(values[6], &Value::Double(1.25));
    let third = orders.changes[2].after.as_ref().unwrap();
    assert_eq!(third.get(5), Some(&Value::Null));
    assert_eq!(third.get(6), Some(&Value::Null));

    // the mixed transaction: a clean insert and a conflicting update, in order
    let mixed = find(&ts, &format!("{a}:20"));
    let ops: Vec<(RowOp, &str)> = mixed.changes.iter().map(|c| (c.op, &*c.table)).collect();
    assert_eq!(ops, [(RowOp::Insert, "orders"), (RowOp::Update, "stock")]);
    let update = &mixed.changes[1];
    let stock = mixed.table_of(update).unwrap();
    assert_eq!(
        stock.columns[1].unsigned,
        Some(true),
        "stock.qty is UNSIGNED"
    );
    assert_eq!(
        update.before.as_ref().unwrap().get(0),
        Some(&string("E005"))
    );
    assert_eq!(
        update.before.as_ref().unwrap().get(1),
        Some(&Value::UInt(50))
    );
    assert_eq!(
        update.after.as_ref().unwrap().get(1),
        Some(&Value::UInt(49))
    );
    assert_eq!(
        update.after.as_ref().unwrap().get(2),
        Some(&Value::Decimal("5.00".into()))
    );

    // the clean delete carries the full before image
    let delete = &find(&ts, &format!("{a}:27")).changes[0];
    assert_eq!(delete.op, RowOp::Delete);
    assert_eq!(delete.before.as_ref().unwrap().get(0), Some(&Value::Int(2)));
    assert!(delete.after.is_none());
}

#[test]
fn reconcile_binlog_reads_back_west() {
    let (ts, previous) = read_side("west");
    let (a, b) = (MYSQL_EAST_UUID, MYSQL_WEST_UUID);
    assert_eq!(
        ts.iter().map(gtid_of).collect::<Vec<_>>(),
        [gtids(a, 1..=11), gtids(b, 1..=13)].concat(),
        "West's GTIDs"
    );
    assert_eq!(previous, vec![String::new(), format!("{a}:1-11,{b}:1-6")]);
    // replicated with log_replica_updates: the events keep East's server id
    assert!(ts[..11].iter().all(|t| t.server_id == 1));
    assert!(ts[11..].iter().all(|t| t.server_id == 2));

    let ddl = find(&ts, &format!("{b}:12"));
    assert!(ddl.changes.is_empty());
    assert_eq!(ddl.statements.len(), 1);
    assert_eq!(ddl.statements[0].text, MYSQL_WEST_DDL);
    assert_eq!(ddl.statements[0].schema.as_deref(), Some("shop"));

    let ida = &find(&ts, &format!("{b}:1")).changes[0];
    assert_eq!(ida.op, RowOp::Insert);
    let after = ida.after.as_ref().unwrap();
    assert_eq!(after.get(0), Some(&Value::Int(7)));
    assert_eq!(after.get(1), Some(&string("ida@example.com")));

    let location = &find(&ts, &format!("{b}:3")).changes[0];
    assert_eq!(
        location.before.as_ref().unwrap().get(3),
        Some(&string("W1"))
    );
    assert_eq!(location.after.as_ref().unwrap().get(3), Some(&string("W2")));
}

#[test]
fn mariadb_binlog_accepts_the_mysql_files() {
    let Ok(program) = find_program(Program::Binlog) else {
        eprintln!("SKIPPED: mariadb-binlog is not installed; the independent check of testdata/mysql-conflicts did not run");
        return;
    };
    for (side, gtid_count, rows) in [("east", 27, 36), ("west", 24, 31)] {
        let dir = scenario().join(side);
        let out = Command::new(&program)
            .args(["--verbose", "--base64-output=decode-rows"])
            .arg(dir.join("binlog.000001"))
            .arg(dir.join("binlog.000002"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{side}: mariadb-binlog failed: {stderr}"
        );
        // MariaDB has no collation 255 (utf8mb4_0900_ai_ci) and says so; nothing else
        for line in stderr.lines() {
            assert!(
                line.contains("Character set '#255' is not a compiled character set"),
                "{side}: mariadb-binlog: {line}"
            );
        }
        let count = |needle: &str| stdout.matches(needle).count();
        assert_eq!(
            count("Ignorable event type 33 (MySQL Gtid)"),
            gtid_count,
            "{side}: GTID events"
        );
        assert_eq!(
            count("Ignorable event type 35 (MySQL Previous_gtids)"),
            2,
            "{side}"
        );
        assert_eq!(count("Rotate to binlog.000002  pos: 4"), 1, "{side}");
        let decoded = count("### INSERT INTO") + count("### UPDATE") + count("### DELETE FROM");
        assert_eq!(decoded, rows, "{side}: decoded row changes");
        assert!(!stdout.contains("CRC32 0x00000000"), "{side}");
    }
}

/// The GTIDs from the first to the last backticked `uuid:gno` on the line of
/// `EXPECTED.md` that starts with `- {label}:`.
fn stated_range(expected: &str, label: &str) -> Vec<String> {
    let prefix = format!("- {label}:");
    let line = expected
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("EXPECTED.md: no line starting with `{prefix}`"));
    let stated: Vec<(&str, u64)> = line
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|t| {
            let (uuid, gno) = t.rsplit_once(':')?;
            Some((uuid, gno.parse().ok()?))
        })
        .collect();
    let (first, last) = (stated[0], stated[stated.len() - 1]);
    assert_eq!(first.0, last.0, "`{line}` spans sources");
    gtids(first.0, first.1..=last.1)
}

#[test]
fn expected_md_states_the_divergence_in_the_binlogs() {
    let expected = std::fs::read_to_string(scenario().join("EXPECTED.md")).unwrap();
    let shared = stated_range(&expected, "Shared");
    let east_only = stated_range(&expected, "East only");
    let west_only = stated_range(&expected, "West only");
    let side_gtids = |side| read_side(side).0.iter().map(gtid_of).collect::<Vec<_>>();
    assert_eq!(side_gtids("east"), [shared.clone(), east_only].concat());
    assert_eq!(side_gtids("west"), [shared, west_only].concat());
}
