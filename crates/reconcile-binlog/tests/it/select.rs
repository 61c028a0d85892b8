//! Row filters: probed columns are the decoded values, a filtered read keeps and
//! counts what filtering decoded rows would, and counted tables are not decoded.

use std::path::PathBuf;
use std::sync::Arc;

use reconcile_binlog::{
    apply_row_filter, BinlogReader, ChecksumPolicy, FileSource, ProbeChange, ReadItem,
    ReaderOptions, RowFilter, RowProbe, RowSelection, TableDescription, Transaction, Value,
};

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(rel)
}

fn read_all(path: &PathBuf, opts: ReaderOptions) -> Vec<Transaction> {
    BinlogReader::open_dir(path, opts)
        .unwrap()
        .map(|i| i.unwrap())
        .filter_map(|i| match i {
            ReadItem::Transaction(t) => Some(t),
            ReadItem::Diagnostic(_) => None,
        })
        .collect()
}

/// Notes every image's columns as the probe loads them, and keeps nothing.
#[derive(Debug)]
struct LoadEverything;

impl RowProbe for LoadEverything {
    fn keep(
        &self,
        change: &mut ProbeChange<'_>,
        notes: &mut Vec<u8>,
    ) -> Result<bool, reconcile_binlog::DecodeError> {
        for image in [change.before.as_mut(), change.after.as_mut()]
            .into_iter()
            .flatten()
        {
            // one column at a time, last first: order must not matter
            let n = image.load(&[])?.values.len();
            for c in (0..n).rev() {
                image.load(&[c])?;
            }
            let row = image.load(&[])?;
            notes.extend_from_slice(format!("{:?};", row.values).as_bytes());
        }
        Ok(false)
    }
}

/// Notes every image's columns as `get` reads them (strings borrowed), and keeps
/// nothing.
#[derive(Debug)]
struct GetEverything;

impl RowProbe for GetEverything {
    fn keep(
        &self,
        change: &mut ProbeChange<'_>,
        notes: &mut Vec<u8>,
    ) -> Result<bool, reconcile_binlog::DecodeError> {
        for image in [change.before.as_mut(), change.after.as_mut()]
            .into_iter()
            .flatten()
        {
            let n = image.load(&[])?.values.len();
            let mut values = vec![None; n];
            for c in (0..n).rev() {
                values[c] = image.get(c)?.map(|v| v.to_value());
            }
            // a second read (borrowed again, or decoded before) is the same
            for (c, v) in values.iter().enumerate() {
                assert_eq!(&image.get(c)?.map(|v| v.to_value()), v);
            }
            assert_eq!(image.get(n)?, None);
            notes.extend_from_slice(format!("{values:?};").as_bytes());
        }
        Ok(false)
    }
}

#[derive(Debug)]
struct Everything(Arc<dyn RowProbe>);

impl RowFilter for Everything {
    fn select(&self, _: &TableDescription) -> RowSelection {
        RowSelection::Probe(Arc::clone(&self.0))
    }
}

/// Every value of every column type, probed lazily out of the row images (decoded
/// by `load`, or borrowed by `get`), is the value the full decoder reads.
#[test]
fn probed_values_are_the_decoded_values() {
    let probes: [Arc<dyn RowProbe>; 2] = [Arc::new(LoadEverything), Arc::new(GetEverything)];
    for (scenario, probe) in ["types", "types-compressed", "partial-images", "collations"]
        .into_iter()
        .flat_map(|s| probes.iter().map(move |p| (s, p)))
    {
        for side in ["east", "west"] {
            let dir = testdata(&format!("{scenario}/{side}"));
            let full = read_all(&dir, ReaderOptions::default());
            let filter = Arc::new(Everything(Arc::clone(probe)));
            let probed = read_all(&dir, ReaderOptions::default().with_row_filter(filter));
            assert_eq!(full.len(), probed.len());
            let mut rows = 0;
            for (f, p) in full.iter().zip(&probed) {
                assert!(p.changes.is_empty(), "{scenario}/{side}: nothing is kept");
                let expected: String = f
                    .changes
                    .iter()
                    .flat_map(|c| [c.before.as_ref(), c.after.as_ref()])
                    .flatten()
                    .map(|r| format!("{:?};", r.values))
                    .collect();
                let got: String = p
                    .skipped
                    .iter()
                    .flat_map(|s| s.notes.iter())
                    .map(|(_, n)| String::from_utf8(n.to_vec()).unwrap())
                    .collect();
                assert_eq!(got, expected, "{scenario}/{side} {:?}", f.gtid);
                rows += f.changes.len();
                assert_eq!(
                    p.skipped.iter().map(|s| s.rows).sum::<u64>(),
                    f.changes.len() as u64
                );
            }
            assert!(rows > 0, "{scenario}/{side} has rows");
        }
    }
}

/// Keeps the changes whose first column (in either image) is even, notes the odd
/// ones; other tables than `keep_table` are counted only.
#[derive(Debug)]
struct EvenKeys {
    keep_table: String,
}

#[derive(Debug)]
struct Even;

fn even(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Int(i)) => i % 2 == 0,
        Some(Value::UInt(u)) => u % 2 == 0,
        _ => true,
    }
}

impl RowProbe for Even {
    fn keep(
        &self,
        change: &mut ProbeChange<'_>,
        notes: &mut Vec<u8>,
    ) -> Result<bool, reconcile_binlog::DecodeError> {
        let mut keep = false;
        for image in [change.before.as_mut(), change.after.as_mut()]
            .into_iter()
            .flatten()
        {
            let row = image.load(&[0])?;
            keep |= even(row.values.first().and_then(Option::as_ref));
            if !keep {
                notes.extend_from_slice(format!("{:?}", row.values.first()).as_bytes());
            }
        }
        Ok(keep)
    }
}

impl RowFilter for EvenKeys {
    fn select(&self, t: &TableDescription) -> RowSelection {
        if t.table == self.keep_table {
            RowSelection::Probe(Arc::new(Even))
        } else {
            RowSelection::Count
        }
    }
}

/// Reading with a filter (in place or in parallel) gives what decoding everything
/// and then filtering the decoded rows gives: the same changes kept, the same
/// counts and notes at the same places.
#[test]
fn filtered_reads_equal_filtering_decoded_rows() {
    for (scenario, table) in [
        ("fk-cascade", "books"),
        ("conflicts", "customers"),
        ("retries-merge-rekey", "orders"),
        ("types", "all_types"),
        ("large", "ledger"),
    ] {
        let side = if scenario == "large" { "east" } else { "west" };
        let dir = testdata(&format!("{scenario}/{side}"));
        let filter: Arc<dyn RowFilter> = Arc::new(EvenKeys {
            keep_table: table.to_owned(),
        });
        let mut expected = read_all(&dir, ReaderOptions::default());
        for tx in &mut expected {
            apply_row_filter(tx, filter.as_ref()).unwrap();
        }
        let opts = || ReaderOptions::default().with_row_filter(Arc::clone(&filter));
        let sequential = read_all(&dir, opts());
        let parallel: Vec<Transaction> = BinlogReader::open_dir(&dir, opts())
            .unwrap()
            .parallel(2, |i| i)
            .with_batch_bytes(500)
            .map(|i| i.unwrap())
            .filter_map(|i| match i {
                ReadItem::Transaction(t) => Some(t),
                ReadItem::Diagnostic(_) => None,
            })
            .collect();
        let text = |txs: &[Transaction]| format!("{txs:?}");
        assert_eq!(text(&sequential), text(&expected), "{scenario}");
        assert_eq!(text(&parallel), text(&expected), "{scenario}");
        let kept: usize = expected.iter().map(|t| t.changes.len()).sum();
        let skipped: u64 = expected
            .iter()
            .flat_map(|t| &t.skipped)
            .map(|s| s.rows)
            .sum();
        assert!(
            kept > 0 && skipped > 0,
            "{scenario}: {kept} kept, {skipped} skipped"
        );
    }
}

#[derive(Debug)]
struct CountOnly;

impl RowFilter for CountOnly {
    fn select(&self, _: &TableDescription) -> RowSelection {
        RowSelection::Count
    }
}

/// Rows of a counted table are not decoded: no value is read, and a value that
/// cannot be decoded (DECIMAL digits out of range) does not stop the reading,
/// while reading it in full fails. The count stays exact.
#[test]
fn counted_rows_are_not_decoded() {
    let file = testdata("large/east/mariadb-bin.000001");
    let mut bytes = std::fs::read(&file).unwrap();
    // East's insert of id 5000001 (`0-1-5`): id, account, then amount DECIMAL(12,2)
    let id = 5_000_001i32.to_le_bytes();
    let at = bytes
        .windows(4)
        .position(|w| w == id)
        .expect("the row of id 5000001");
    for b in &mut bytes[at + 8..at + 14] {
        *b = 0xff;
    }
    let opts = |filter: Option<Arc<dyn RowFilter>>| ReaderOptions {
        verify_checksums: ChecksumPolicy::Skip,
        row_filter: filter,
        ..ReaderOptions::default()
    };
    let full: Vec<_> =
        BinlogReader::new(FileSource::from_bytes("east", bytes.clone()), opts(None)).collect();
    let err = full.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(err.contains("corrupt DECIMAL digits"), "{err}");

    let mut reader = BinlogReader::new(
        FileSource::from_bytes("east", bytes),
        opts(Some(Arc::new(CountOnly))),
    );
    let mut counted = 0;
    for item in reader.by_ref() {
        if let ReadItem::Transaction(t) = item.unwrap() {
            assert!(t.changes.is_empty());
            counted += t.skipped.iter().map(|s| s.rows).sum::<u64>();
        }
    }
    // 1000 shared rows, then East's 100 updates, 50 inserts and 10 deletes
    assert_eq!(counted, 1160);
    let stats = reader.stats();
    assert_eq!(stats.rows_decoded, 0);
    assert_eq!(stats.values_probed, 0);
    assert_eq!(stats.rows_skipped, 1160);
}
