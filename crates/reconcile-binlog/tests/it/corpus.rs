//! Every corpus binlog reads to the end, or fails exactly as its damage deserves.

use std::collections::HashMap;

use reconcile_binlog::{BinlogReader, Error, FileSource, ReadItem, ReaderOptions};

use crate::common::*;

/// Files that must fail, with the error they deserve.
fn expected_failure(rel: &str, e: &Error) -> Option<&'static str> {
    let ok = |cond: bool, why: &'static str| if cond { Some(why) } else { None };
    match rel {
        "rust_mysql_common/test-data/binlogs/binlog_truncated_event.000001" => ok(
            matches!(
                e,
                Error::Truncated {
                    offset: 4,
                    needed: 19,
                    available: 10,
                    ..
                }
            ),
            "cut short on purpose: 10 bytes after the magic",
        ),
        "rust_mysql_common/test-data/binlogs/corrupt-relay-bin.000624" => ok(
            matches!(
                e,
                Error::Decode {
                    offset: 91204,
                    event_type: 0x02,
                    ..
                }
            ),
            "mysql-test's corrupt relay log: broken QUERY event (event_size 171)",
        ),
        "rust_mysql_common/test-data/binlogs/ver_5_1-wl2325_r.001" => ok(
            matches!(
                e,
                Error::Decode {
                    offset: 428,
                    event_type: 0x10,
                    ..
                }
            ),
            "5.2 development drop with other type numbering: 38-byte 'XID' (a table map) fails",
        ),
        "rust_mysql_common/test-data/binlogs/ver_5_1-wl2325_s.001" => ok(
            matches!(
                e,
                Error::Decode {
                    offset: 411,
                    event_type: 0x14,
                    ..
                }
            ),
            "5.2 development drop: its pre-GA rows event is 8 bytes, not a rows event",
        ),
        "tiflow/mysql-bin.000001" => ok(
            matches!(
                e,
                Error::Decode {
                    offset: 1819,
                    event_type: 0x17,
                    ..
                }
            ),
            "MariaDB 10.0 TIMESTAMP(3) logged without metadata: its width is not in the binlog",
        ),
        _ => None,
    }
}

/// File -> event count from the MANIFEST table.
fn manifest_event_counts(dir: &std::path::Path) -> HashMap<String, u64> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.md")).unwrap();
    let mut out = HashMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() > 8 && cols[1].starts_with('`') {
            if let Ok(n) = cols[7].parse::<u64>() {
                out.insert(cols[1].trim_matches('`').to_string(), n);
            }
        }
    }
    out
}

#[test]
fn every_corpus_file_reads_to_the_end_or_fails_as_expected() {
    let Some(dir) = corpus_dir() else { return };
    let files = walk_binlogs(&dir);
    assert!(
        files.len() >= 118,
        "found only {} binlog files",
        files.len()
    );
    let counts = manifest_event_counts(&dir);
    assert!(
        counts.len() >= 110,
        "MANIFEST table parsed only {} rows",
        counts.len()
    );
    let mut failures_seen = 0;
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap().display().to_string();
        let mut reader = BinlogReader::new(FileSource::open(f), ReaderOptions::default());
        let mut error = None;
        for item in reader.by_ref() {
            if let Err(e) = item {
                error = Some(e);
            }
        }
        match &error {
            None => {
                if let Some(&n) = counts.get(&rel) {
                    assert_eq!(reader.events_read(), n, "{rel}: events read vs MANIFEST");
                }
            }
            Some(e) => {
                let why = expected_failure(&rel, e);
                assert!(why.is_some(), "{rel}: unexpected error {e}");
                failures_seen += 1;
            }
        }
    }
    assert_eq!(failures_seen, 5, "every expected failure must still fail");
}

#[test]
fn transaction_and_row_counts() {
    let Some(dir) = corpus_dir() else { return };
    // (file, transactions, row changes, diagnostics)
    let cases: &[(&str, usize, usize, usize)] = &[
        (
            "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-crc32",
            60,
            63,
            0,
        ),
        (
            "mysql-binlog-connector-java/src/test/resources/mysql-bin.sakila",
            53,
            47273,
            0,
        ),
        (
            "mariadb-poc/mariadb-binlog/binlogs/domain_id_0/mariadb-repl-bin.000002",
            4433,
            0,
            0,
        ),
        (
            "canal/parse/src/test/resources/binlog/mysql-bin.000001",
            111,
            95,
            0,
        ),
        (
            "mysql-cdc-rs/tests/events/8.0/folder/binlog.000693",
            663,
            10099,
            0,
        ),
        (
            "rust_mysql_common/test-data/binlogs/bug40482-bin.000001",
            0,
            0,
            1,
        ),
        (
            "rust_mysql_common/test-data/binlogs/binlog_truncated_prev_gtid_event.000001",
            0,
            0,
            1,
        ),
    ];
    for (rel, trx, rows, diags) in cases {
        let r = read_path(&dir.join(rel));
        assert!(r.error.is_none(), "{rel}: {:?}", r.error);
        assert_eq!(r.transactions.len(), *trx, "{rel}: transactions");
        let n: usize = r.transactions.iter().map(|t| t.changes.len()).sum();
        assert_eq!(n, *rows, "{rel}: row changes");
        assert_eq!(
            r.diagnostics.len(),
            *diags,
            "{rel}: diagnostics {:?}",
            r.diagnostics
        );
    }
}

#[test]
fn incident_and_in_use_truncation_are_diagnostics() {
    let Some(dir) = corpus_dir() else { return };
    let r = read_path(&dir.join("rust_mysql_common/test-data/binlogs/bug40482-bin.000001"));
    assert!(matches!(
        r.diagnostics[0].kind,
        reconcile_binlog::DiagnosticKind::Incident { incident: 66, .. }
    ));
    let r = read_path(
        &dir.join("rust_mysql_common/test-data/binlogs/binlog_truncated_prev_gtid_event.000001"),
    );
    assert_eq!(
        r.diagnostics[0].kind,
        reconcile_binlog::DiagnosticKind::FileEndsMidEvent
    );
    assert_eq!(r.diagnostics[0].offset, 120);
    assert!(r.diagnostics[0]
        .message
        .contains("was the server still writing it?"));
}

#[test]
fn mysqlbinlog_dumps_match_value_by_value() {
    let Some(dir) = corpus_dir() else { return };
    let cases = [
        (
            "binlog-parser/data/fixtures/mysql-bin.01",
            "binlog-parser/data/fixtures/plaintext-mysql-bin.01",
        ),
        (
            "binlog-parser/data/fixtures/mysql-bin.02",
            "binlog-parser/data/fixtures/plaintext-mysql-bin.02",
        ),
        (
            "binlog-parser/data/fixtures/mysql-bin.03",
            "binlog-parser/data/fixtures/plaintext-mysql-bin.03",
        ),
        (
            "binlog-parser/data/fixtures/mysql-bin.06",
            "binlog-parser/data/fixtures/plaintext-mysql-bin.06",
        ),
        (
            "binlog-parser/data/fixtures/mysql-bin.07",
            "binlog-parser/data/fixtures/plaintext-mysql-bin.07",
        ),
        (
            "binlog-parser/data/gtid-fixtures/mysql-bin.01",
            "binlog-parser/data/gtid-fixtures/plaintext-mysql-bin.01",
        ),
        (
            "mysql-cdc-rs/tests/events/5.7/32_delete_rows_v2/log.bin",
            "mysql-cdc-rs/tests/events/5.7/32_delete_rows_v2/dump.txt",
        ),
        (
            "mysql-cdc-rs/tests/events/5.7/29_row_query/log.bin",
            "mysql-cdc-rs/tests/events/5.7/29_row_query/dump.txt",
        ),
    ];
    let mut total = 0;
    for (bin, dump) in cases {
        let r = read_path(&dir.join(bin));
        assert!(r.error.is_none(), "{bin}: {:?}", r.error);
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(dump)).unwrap()).into_owned();
        total += crate::oracle::assert_matches_dump(bin, &r.transactions, &text);
    }
    assert!(total >= 80, "compared only {total} values");
}

#[test]
fn go_mysql_decimal_fixture() {
    let Some(p) = corpus_file("go-mysql/replication/t/tcb-eval002c-bin.003320") else {
        return;
    };
    let r = read_path(&p);
    let t = &r.transactions[0];
    assert_eq!(t.changes.len(), 17);
    let row = |i: usize| t.changes[i].after.as_ref().unwrap();
    // ddsql.sql first row: "-10.55" into DECIMAL(4,2) .. DECIMAL(30,25)
    assert_eq!(
        row(0).get(1),
        Some(&reconcile_binlog::Value::Decimal("-10.55".into()))
    );
    assert_eq!(
        row(0).get(2),
        Some(&reconcile_binlog::Value::Decimal("-11".into()))
    );
    assert_eq!(
        row(0).get(3),
        Some(&reconcile_binlog::Value::Decimal("-10.550".into()))
    );
    assert_eq!(
        row(0).get(11),
        Some(&reconcile_binlog::Value::Decimal(
            "-10.5500000000000000000000000".into()
        ))
    );
    // second row: 0.0123456789012345678912345 into DECIMAL(30,25)
    assert_eq!(
        row(1).get(11),
        Some(&reconcile_binlog::Value::Decimal(
            "0.0123456789012345678912345".into()
        ))
    );
}

#[test]
fn walk_reports_every_file_in_memory_too() {
    // the same bytes through the in-memory source give the same transactions
    let Some(p) = corpus_file("binlog-parser/data/fixtures/mysql-bin.01") else {
        return;
    };
    let a = read_path(&p);
    let b = read_bytes(&p.display().to_string(), std::fs::read(&p).unwrap());
    assert_eq!(a.transactions, b.transactions);
    let items: Vec<_> = BinlogReader::new(FileSource::open(&p), ReaderOptions::default())
        .filter_map(|i| match i.unwrap() {
            ReadItem::Transaction(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(items.len(), 4);
}
