//! Generated MariaDB 10.11 fixture (compressed events) and reader options.

use std::path::PathBuf;

use reconcile_binlog::{
    BinlogReader, ChecksumPolicy, DiagnosticKind, Error, FileSource, ReadItem, ReaderOptions,
    RowImage, Value,
};

use crate::common::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(name)
}

#[test]
fn mariadb_compressed_events_match_mariadb_binlog() {
    let r = read_path(&data("mariadb-compressed.000001"));
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.transactions.len(), 6);
    let dump = String::from_utf8_lossy(
        &std::fs::read(data("mariadb-compressed.mariadb-binlog-vv.txt")).unwrap(),
    )
    .into_owned();
    let n = crate::oracle::assert_matches_dump("mariadb-compressed", &r.transactions, &dump);
    assert!(n >= 40, "compared {n} values");
    // values mariadb-binlog prints differently or not at all
    let t = &r.transactions[2];
    let row = t.changes[0].after.as_ref().unwrap();
    assert_eq!(
        row.get(11),
        Some(&Value::Binary(reconcile_binlog::Bytes(vec![0, 0xff, 0x10])))
    );
    match row.get(7) {
        Some(Value::Set {
            mask: 5,
            labels: Some(l),
        }) => {
            assert_eq!(
                l.iter().map(|b| b.as_utf8().unwrap()).collect::<Vec<_>>(),
                ["a", "c"]
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        row.get(6),
        Some(&Value::Enum {
            index: 2,
            label: Some(reconcile_binlog::Bytes(b"green".to_vec()))
        })
    );
    let d = t.table_of(&t.changes[0]).unwrap();
    // composite primary key in key order (k2, id), not column order
    assert_eq!(d.primary_key, Some(vec![(1, 0), (0, 0)]));
    assert_eq!(d.columns[0].unsigned, Some(true));
    assert_eq!(t.changes[0].image, RowImage::Full);
    // compressed statements are reported
    assert!(r.transactions[1].statements[0]
        .text
        .starts_with("CREATE TABLE t ("));
    assert_eq!(
        r.transactions[5].statements[0].text,
        "ALTER TABLE t ADD COLUMN extra INT"
    );
    assert_eq!(
        r.files[0].checksum,
        Some(reconcile_binlog::ChecksumAlg::Crc32)
    );
}

#[test]
fn table_filter_skips_rows_without_decoding() {
    let opts = ReaderOptions::default().with_table_filter(|_, t| t != "t");
    let r = read_source(FileSource::open(data("mariadb-compressed.000001")), opts);
    assert!(r.error.is_none());
    assert_eq!(
        r.transactions
            .iter()
            .map(|t| t.changes.len())
            .sum::<usize>(),
        0
    );
    // transactions are still reported (their GTIDs matter)
    assert_eq!(r.transactions.len(), 6);
}

fn flip(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    bytes[at] ^= 0x01;
    bytes
}

#[test]
fn checksum_mismatch_names_offset_and_can_be_downgraded() {
    let bytes = std::fs::read(data("mariadb-compressed.000001")).unwrap();
    // a byte inside the QUERY event at offset 364 (its statement text)
    let bad = flip(bytes, 364 + 60);
    let r = read_bytes("bad.000001", bad.clone());
    match r.error {
        Some(Error::ChecksumMismatch {
            offset, ref file, ..
        }) => {
            assert_eq!(offset, 364);
            assert_eq!(file, "bad.000001");
        }
        other => panic!("{other:?}"),
    }
    let opts = ReaderOptions {
        verify_checksums: ChecksumPolicy::Warn,
        ..Default::default()
    };
    let r = read_source(FileSource::from_bytes("bad.000001", bad), opts);
    assert!(r.error.is_none());
    assert!(matches!(
        r.diagnostics[0].kind,
        DiagnosticKind::ChecksumMismatch { .. }
    ));
    assert_eq!(r.diagnostics[0].offset, 364);
}

#[test]
fn truncated_closed_file_is_an_error_and_in_use_is_a_diagnostic() {
    let bytes = std::fs::read(data("mariadb-compressed.000001")).unwrap();
    // the fixture was closed by the server: cutting it is an error
    let r = read_bytes("cut.000001", bytes[..1000].to_vec());
    assert!(
        matches!(r.error, Some(Error::Truncated { offset: 819, .. })),
        "{:?}",
        r.error
    );
    // pretend the server still writes it: set the in-use flag and fix the FDE checksum
    let mut live = bytes[..1000].to_vec();
    live[4 + 17] |= 1;
    let r = read_bytes("live.000001", live);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(
        r.diagnostics.last().unwrap().kind,
        DiagnosticKind::FileEndsMidEvent
    );
    assert_eq!(r.transactions.len(), 2);
}

#[test]
fn bad_magic() {
    let r = read_bytes("x", b"GIF89a....".to_vec());
    assert!(matches!(r.error, Some(Error::BadMagic { .. })));
}

#[test]
fn directory_with_index_and_without() {
    let dir = std::env::temp_dir().join(format!("reconcile-binlog-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(data("mariadb-compressed.000001")).unwrap();
    std::fs::write(dir.join("bin.000010"), &bytes).unwrap();
    std::fs::write(dir.join("bin.000009"), &bytes).unwrap();
    std::fs::write(dir.join("notes.txt"), b"hello").unwrap();
    let count = |r: BinlogReader| {
        r.filter(|i| matches!(i, Ok(ReadItem::Transaction(_))))
            .count()
    };
    let r = BinlogReader::open_dir(&dir, ReaderOptions::default()).unwrap();
    assert_eq!(count(r), 12);
    let files: Vec<String> = {
        let mut r = BinlogReader::open_dir(&dir, ReaderOptions::default()).unwrap();
        for _ in r.by_ref() {}
        r.files().iter().map(|f| f.file.clone()).collect()
    };
    assert!(files[0].ends_with("bin.000009") && files[1].ends_with("bin.000010"));
    // an index file wins and orders the files
    std::fs::write(dir.join("bin.index"), "./bin.000010\n").unwrap();
    let r = BinlogReader::open_dir(&dir, ReaderOptions::default()).unwrap();
    assert_eq!(count(r), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: a rows event's column count is a count of bitmap bits, not of bytes.
/// A narrow row (all NULL but the key) of the 51-column `types.all_types` table is
/// 22 bytes long, fewer than its column count, and was rejected as truncated.
#[test]
fn a_narrow_row_of_a_wide_table_decodes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/types/east");
    let reader =
        reconcile_binlog::BinlogReader::open_dir(dir, reconcile_binlog::ReaderOptions::default())
            .unwrap();
    let mut found = false;
    for item in reader {
        let reconcile_binlog::ReadItem::Transaction(tx) = item.unwrap() else {
            continue;
        };
        for change in &tx.changes {
            let row = change.after.as_ref().or(change.before.as_ref()).unwrap();
            assert_eq!(row.values.len(), 51);
            if row.values[0] == Some(reconcile_binlog::Value::UInt(2)) && change.after.is_some() {
                assert!(row.values[1..]
                    .iter()
                    .all(|v| *v == Some(reconcile_binlog::Value::Null)));
                found = true;
            }
        }
    }
    assert!(found, "the all-NULL row id=2 was not read");
}
