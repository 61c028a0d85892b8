//! TRANSACTION_PAYLOAD, PARTIAL_UPDATE_ROWS, GTID_TAGGED, PREVIOUS_GTIDS,
//! MariaDB GTIDs and FULL row metadata, checked against hand-verified values.

use reconcile_binlog::{Gtid, RowOp, StatementKind, Value};

use crate::common::*;

fn s(v: &str) -> Value {
    Value::String {
        bytes: reconcile_binlog::Bytes(v.as_bytes().to_vec()),
        collation: Some(255),
    }
}

#[test]
fn transaction_payload_rust_mysql_common() {
    let Some(p) = corpus_file("rust_mysql_common/test-data/binlogs/transaction_compression.000001")
    else {
        return;
    };
    let r = read_path(&p);
    assert!(r.error.is_none());
    assert_eq!(r.transactions.len(), 1);
    let t = &r.transactions[0];
    assert_eq!(t.changes.len(), 1);
    assert_eq!(&*t.changes[0].schema, "test");
    assert_eq!(&*t.changes[0].table, "tb1");
    assert_eq!(
        t.changes[0].after.as_ref().unwrap().values,
        vec![Some(Value::Int(1))]
    );
}

#[test]
fn without_rows_query_text_the_statements_stay_listed_with_empty_text() {
    let Some(p) =
        corpus_file("mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000057")
    else {
        return;
    };
    let full = read_path(&p);
    let opts = reconcile_binlog::ReaderOptions::default().without_rows_query_text();
    let lean = read_source(reconcile_binlog::FileSource::open(&p), opts);
    assert!(lean.error.is_none());
    assert_eq!(lean.transactions.len(), full.transactions.len());
    let mut blanked = 0;
    for (l, f) in lean.transactions.iter().zip(&full.transactions) {
        assert_eq!(l.changes, f.changes);
        assert_eq!(l.statements.len(), f.statements.len());
        for (ls, fs) in l.statements.iter().zip(&f.statements) {
            assert_eq!(ls.kind, fs.kind);
            if fs.kind == StatementKind::RowsQuery {
                assert_eq!(ls.text, "");
                blanked += 1;
            } else {
                assert_eq!(ls.text, fs.text);
            }
        }
    }
    assert!(blanked > 0, "the file has ROWS_QUERY events");
}

#[test]
fn transaction_payload_connector_java_update() {
    let Some(p) =
        corpus_file("mysql-binlog-connector-java/src/test/resources/mysql-bin.compressed")
    else {
        return;
    };
    let r = read_path(&p);
    let t = &r.transactions[0];
    assert_eq!(t.changes.len(), 1);
    let c = &t.changes[0];
    assert_eq!(c.op, RowOp::Update);
    assert_eq!((&*c.schema, &*c.table), ("demo", "movies"));
    assert_eq!(t.position.start, 157);
    let before = c.before.as_ref().unwrap();
    let after = c.after.as_ref().unwrap();
    assert_eq!(before.values.len(), t.table_of(c).unwrap().columns.len());
    assert_ne!(before, after);
}

#[test]
fn transaction_payload_with_gtids_and_rows_query() {
    let Some(p) =
        corpus_file("mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000057")
    else {
        return;
    };
    let r = read_path(&p);
    assert_eq!(r.transactions.len(), 3);
    let uuid = "76f3e7be-6720-11ed-9cad-0242ac110002";
    for (t, gno) in r.transactions.iter().zip(11..) {
        assert_eq!(
            t.gtid,
            Some(format!("{uuid}:{gno}").parse::<Gtid>().unwrap())
        );
    }
    let t = &r.transactions[1];
    assert_eq!(
        t.changes[0].after.as_ref().unwrap().values,
        vec![Some(Value::Int(1))]
    );
    assert_eq!(t.statements[0].kind, StatementKind::RowsQuery);
    assert_eq!(t.statements[0].text, "insert into b values(1)");
    assert_eq!(
        r.transactions[0].statements[0].text,
        "create table b(id int)"
    );
    assert_eq!(r.transactions[0].statements[0].kind, StatementKind::Ddl);
    // the third transaction (payload) holds an insert and an update with a JSON column
    let json_cells: Vec<&Value> = r.transactions[2]
        .changes
        .iter()
        .flat_map(|c| c.after.iter().flat_map(|r| r.values.iter().flatten()))
        .filter(|v| matches!(v, Value::Json(_)))
        .collect();
    assert!(!json_cells.is_empty());
}

#[test]
fn gtid_tagged_and_tagged_previous_gtids() {
    let Some(p) =
        corpus_file("rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID_TAG.000001")
    else {
        return;
    };
    let r = read_path(&p);
    assert_eq!(r.transactions.len(), 1);
    let t = &r.transactions[0];
    let g = t.gtid.as_ref().unwrap();
    assert_eq!(
        g.to_string(),
        "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3"
    );
    assert_eq!(
        t.changes[0].after.as_ref().unwrap().values,
        vec![
            Some(Value::Int(3)),
            Some(Value::Int(100)),
            Some(Value::Decimal("250.00".into()))
        ]
    );
    let prev = r.files[0].previous_gtids.as_ref().unwrap();
    assert_eq!(
        prev.to_string(),
        "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13,55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:1-2"
    );
}

#[test]
fn previous_gtids_untagged() {
    let Some(p) = corpus_file(
        "rust_mysql_common/test-data/binlogs/binlog_transaction_previous_GTID_no_tag.000001",
    ) else {
        return;
    };
    let r = read_path(&p);
    let prev = r.files[0].previous_gtids.as_ref().unwrap();
    assert!(!prev.entries.is_empty());
    assert!(prev.entries.iter().all(|e| e.tag.is_none()));
}

#[test]
fn partial_json_update_with_minimal_before_image() {
    let Some(p) = corpus_file("rust_mysql_common/test-data/binlogs/json.binlog.000001") else {
        return;
    };
    let r = read_path(&p);
    assert!(r.error.is_none());
    let changes: Vec<_> = r
        .transactions
        .iter()
        .flat_map(|t| t.changes.iter())
        .collect();
    assert_eq!(changes.len(), 18);
    // full-image update: whole JSON before and after
    let full = changes[6];
    assert_eq!(
        full.after.as_ref().unwrap().get(1),
        Some(&Value::Json(
            r#"{"age": 25, "data": "xxxxxxxxxx", "name": "Joe"}"#.into()
        ))
    );
    // PARTIAL_UPDATE_ROWS with binlog_row_image=MINIMAL: the before image has
    // only the key, so the after image carries the diff
    let partial = changes[12];
    assert_eq!(partial.image, reconcile_binlog::RowImage::Minimal);
    assert_eq!(
        partial.before.as_ref().unwrap().values[0],
        Some(Value::Int(1))
    );
    assert!(!partial.before.as_ref().unwrap().is_present(1));
    let after = partial.after.as_ref().unwrap();
    assert_eq!(after.get(3), Some(&Value::Int(26)));
    assert_eq!(after.get(2), Some(&s("Joe")));
    match after.get(1) {
        Some(Value::JsonPartial(d)) => {
            assert_eq!(d.len(), 1);
            assert_eq!(d[0].op, reconcile_binlog::JsonDiffOp::Replace);
            assert_eq!(d[0].path, "$.age");
            assert_eq!(d[0].value.as_deref(), Some("26"));
        }
        other => panic!("expected JSON diffs, got {other:?}"),
    }
}

#[test]
fn mariadb_full_row_metadata() {
    let Some(p) = corpus_file("rust_mysql_common/test-data/binlogs/mariadb-bin.000001") else {
        return;
    };
    let r = read_path(&p);
    assert_eq!(r.transactions.len(), 2);
    let t = &r.transactions[0];
    assert_eq!(t.gtid.as_ref().unwrap().to_string(), "0-1-1");
    let d = t.table_of(&t.changes[0]).unwrap();
    assert_eq!(
        (d.schema.as_str(), d.table.as_str()),
        ("toddy_test", "outbox")
    );
    let names: Vec<_> = d.columns.iter().map(|c| c.name.clone().unwrap()).collect();
    assert_eq!(names, ["id", "topic", "event_type", "event", "created"]);
    assert_eq!(d.primary_key, Some(vec![(0, 0)]));
    assert_eq!(d.columns[3].collation, Some(63));
    assert!(matches!(
        t.changes[0].after.as_ref().unwrap().get(3),
        Some(Value::Binary(_))
    ));
    match t.changes[0].after.as_ref().unwrap().get(2) {
        Some(Value::Enum { label: Some(l), .. }) => assert!(l.as_utf8().is_some()),
        other => panic!("enum with label expected, got {other:?}"),
    }
    assert!(t
        .statements
        .iter()
        .any(|s| s.kind == StatementKind::RowsQuery));
    let f = &r.files[0];
    assert_eq!(f.flavor, Some(reconcile_binlog::Flavor::Mariadb));
    assert_eq!(f.gtid_list.as_deref(), Some(&[][..]));
    assert_eq!(f.checkpoints.len(), 1);
}

#[test]
fn mariadb_gtid_list_and_checkpoints_two_domains() {
    let Some(dir) = corpus_dir() else { return };
    let r = read_path(
        &dir.join("mariadb-poc/mariadb-binlog/binlogs/domain_id_1/mariadb-repl-bin.000002"),
    );
    assert_eq!(r.transactions.len(), 12);
    assert!(r
        .transactions
        .iter()
        .all(|t| matches!(t.gtid, Some(Gtid::Mariadb { .. }))));
    assert!(r.files[0].gtid_list.is_some());
    assert!(!r.files[0].checkpoints.is_empty());
    assert!(r.files[0].rotate_to.is_some());
}

#[test]
fn enum_set_labels_from_mysql_full_metadata() {
    let Some(p) = corpus_file("rust_mysql_common/test-data/binlogs/mysql-enum-string-set.000001")
    else {
        return;
    };
    let r = read_path(&p);
    let t = r
        .transactions
        .iter()
        .find(|t| !t.changes.is_empty())
        .unwrap();
    let d = t.table_of(&t.changes[0]).unwrap();
    assert!(d.columns.iter().all(|c| c.name.is_some()));
    let vals: Vec<&Value> = t.changes[0]
        .after
        .as_ref()
        .unwrap()
        .values
        .iter()
        .flatten()
        .collect();
    assert!(vals
        .iter()
        .any(|v| matches!(v, Value::Enum { label: Some(_), .. })));
    assert!(vals.iter().any(|v| matches!(
        v,
        Value::Set {
            labels: Some(_),
            ..
        }
    )));
}

#[test]
fn serde_roundtrip_of_transactions() {
    let Some(p) = corpus_file("rust_mysql_common/test-data/binlogs/mariadb-bin.000001") else {
        return;
    };
    let r = read_path(&p);
    for t in &r.transactions {
        let j = serde_json::to_string(t).unwrap();
        let back: reconcile_binlog::Transaction = serde_json::from_str(&j).unwrap();
        assert_eq!(&back, t);
    }
}

/// The events each TRANSACTION_PAYLOAD of a file embeds, summed; MANIFEST.md
/// lists them per file.
fn embedded_events(path: &std::path::Path) -> usize {
    use reconcile_binlog::{
        event::event_type, EventSource, FileSource, FormatDescription, SourceItem,
    };
    let mut source = FileSource::open(path);
    let mut fde = None;
    let mut total = 0;
    while let Some(item) = source.next_item().unwrap() {
        let SourceItem::Event { bytes, .. } = item else {
            continue;
        };
        let without_crc = &bytes[..bytes.len() - 4]; // CRC32 files
        match bytes[4] {
            event_type::FORMAT_DESCRIPTION => fde = Some(FormatDescription::decode(bytes).unwrap()),
            event_type::TRANSACTION_PAYLOAD => {
                total += reconcile_binlog::payload_event_count(
                    without_crc,
                    fde.as_ref().unwrap(),
                    1 << 20,
                )
                .unwrap()
            }
            _ => {}
        }
    }
    total
}

#[test]
fn payload_event_count_matches_the_manifest() {
    // MANIFEST.md: QUERY, XID, TABLE_MAP, UPDATE_ROWS_V2 inside the one payload
    if let Some(p) =
        corpus_file("mysql-binlog-connector-java/src/test/resources/mysql-bin.compressed")
    {
        assert_eq!(embedded_events(&p), 4);
    }
    // MANIFEST.md: QUERY×2, XID×2, TABLE_MAP×3, ROWS_QUERY×3, WRITE_ROWS_V2×2, UPDATE_ROWS_V2×1
    if let Some(p) =
        corpus_file("mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000057")
    {
        assert_eq!(embedded_events(&p), 13);
    }
}
