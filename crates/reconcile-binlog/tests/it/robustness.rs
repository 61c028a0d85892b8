//! Truncation at every length and deterministic bit flips: errors or a clean
//! end, never a panic.

use std::path::PathBuf;

use reconcile_binlog::{BinlogReader, ChecksumPolicy, FileSource, ReaderOptions};

use crate::common::*;

fn drain(name: &str, bytes: Vec<u8>, opts: ReaderOptions) {
    let r = BinlogReader::new(FileSource::from_bytes(name, bytes), opts);
    for item in r {
        if let Ok(reconcile_binlog::ReadItem::Transaction(t)) = item {
            // exercise serialization of whatever was decoded
            let _ = serde_json::to_string(&t).unwrap();
        }
    }
}

fn samples() -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/mariadb-compressed.000001"
    ))];
    if let Some(d) = corpus_dir() {
        for rel in [
            "rust_mysql_common/test-data/binlogs/json.binlog.000001",
            "mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000057",
            "rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID_TAG.000001",
            "MySqlCdc/samples/MySqlCdc.Sample/mysql-bin.000001",
            "rust_mysql_common/test-data/binlogs/mariadb-bin.000001",
        ] {
            v.push(d.join(rel));
        }
    }
    v
}

#[test]
fn every_truncation_point() {
    for p in samples().iter().take(4) {
        let bytes = std::fs::read(p).unwrap();
        for len in 0..bytes.len() {
            drain("cut", bytes[..len].to_vec(), ReaderOptions::default());
        }
    }
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[test]
fn seeded_bit_flips() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let files: Vec<Vec<u8>> = samples()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    for i in 0..1000 {
        let f = &files[i % files.len()];
        let mut bytes = f.clone();
        let flips = 1 + (rng.next() % 4) as usize;
        for _ in 0..flips {
            let at = (rng.next() as usize) % bytes.len();
            bytes[at] ^= 1 << (rng.next() % 8);
        }
        // checksums would catch most flips: also decode with verification off
        let policy = if i % 2 == 0 {
            ChecksumPolicy::Skip
        } else {
            ChecksumPolicy::Error
        };
        drain(
            "flipped",
            bytes,
            ReaderOptions {
                verify_checksums: policy,
                ..Default::default()
            },
        );
    }
}

#[test]
fn random_garbage_after_magic() {
    let mut rng = XorShift(42);
    for n in [0usize, 1, 18, 19, 20, 100, 1000] {
        for _ in 0..50 {
            let mut bytes = reconcile_binlog::BINLOG_MAGIC.to_vec();
            bytes.extend((0..n).map(|_| rng.next() as u8));
            drain("garbage", bytes, ReaderOptions::default());
        }
    }
}

/// Counts every other table and probes the rest, loading every column (the
/// lengths-only walk and the lazy decoder on hostile bytes).
#[derive(Debug)]
struct WalkAndProbe;

#[derive(Debug)]
struct LoadAll;

impl reconcile_binlog::RowProbe for LoadAll {
    fn keep(
        &self,
        change: &mut reconcile_binlog::ProbeChange<'_>,
        notes: &mut Vec<u8>,
    ) -> Result<bool, reconcile_binlog::DecodeError> {
        let mut keep = false;
        for image in [change.before.as_mut(), change.after.as_mut()]
            .into_iter()
            .flatten()
        {
            let n = image.load(&[])?.values.len();
            let all: Vec<usize> = (0..n).collect();
            keep |= image.load(&all)?.values.len() % 2 == 0;
            notes.push(1);
        }
        Ok(keep)
    }
}

impl reconcile_binlog::RowFilter for WalkAndProbe {
    fn select(&self, t: &reconcile_binlog::TableDescription) -> reconcile_binlog::RowSelection {
        if t.table.len() % 2 == 0 {
            reconcile_binlog::RowSelection::Count
        } else {
            reconcile_binlog::RowSelection::Probe(std::sync::Arc::new(LoadAll))
        }
    }
}

/// Row filters and the parallel reader on damaged input: errors or a clean end,
/// never a panic.
#[test]
fn filtered_and_parallel_reads_of_damaged_input() {
    let mut rng = XorShift(0x5151_7777_2024_0001);
    let files: Vec<Vec<u8>> = samples()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let opts = || {
        ReaderOptions {
            verify_checksums: ChecksumPolicy::Skip,
            ..Default::default()
        }
        .with_row_filter(std::sync::Arc::new(WalkAndProbe))
    };
    for i in 0..400 {
        let f = &files[i % files.len()];
        let mut bytes = f.clone();
        if i % 4 == 0 {
            bytes.truncate((rng.next() as usize) % f.len());
        } else {
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] ^= 1 << (rng.next() % 8);
            }
        }
        drain("filtered", bytes.clone(), opts());
        let parallel = BinlogReader::new(FileSource::from_bytes("parallel", bytes), opts())
            .parallel(2, |item| item)
            .with_batch_bytes(1 + (i % 3) * 2000);
        for item in parallel {
            if let Ok(reconcile_binlog::ReadItem::Transaction(t)) = item {
                let _ = serde_json::to_string(&t).unwrap();
            }
        }
    }
}
