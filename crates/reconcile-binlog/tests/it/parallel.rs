//! The parallel reader yields what the sequential reader yields: the same items in
//! the same order, the same first error and nothing after it, whatever the number
//! of workers and however small the batches (which then cut transactions).

use std::path::PathBuf;

use reconcile_binlog::{BinlogReader, ChecksumPolicy, FileSource, ReadItem, ReaderOptions};

use crate::common::corpus_file;

/// Each item (or the error) as text; `Debug` shows every field, and unlike `==` it
/// finds a NaN equal to itself.
fn sequential(name: &str, bytes: &[u8], opts: ReaderOptions) -> Vec<String> {
    BinlogReader::new(FileSource::from_bytes(name, bytes.to_vec()), opts)
        .map(|item| format!("{item:?}"))
        .collect()
}

fn parallel(
    name: &str,
    bytes: &[u8],
    opts: ReaderOptions,
    workers: usize,
    batch: usize,
) -> Vec<String> {
    BinlogReader::new(FileSource::from_bytes(name, bytes.to_vec()), opts)
        .parallel(workers, |item: ReadItem| item)
        .with_batch_bytes(batch)
        .map(|item| format!("{item:?}"))
        .collect()
}

fn fixtures() -> Vec<PathBuf> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
    let mut files = vec![PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/mariadb-compressed.000001"
    ))];
    for scenario in std::fs::read_dir(&root).unwrap() {
        let scenario = scenario.unwrap().path();
        // `large` is the same story at 69 MiB: too slow for a debug build
        if !scenario.is_dir() || scenario.ends_with("large") {
            continue;
        }
        for side in ["east", "west"] {
            let Ok(dir) = std::fs::read_dir(scenario.join(side)) else {
                continue;
            };
            for f in dir {
                let f = f.unwrap().path();
                if f.extension().is_none_or(|e| e != "index") {
                    files.push(f);
                }
            }
        }
    }
    for rel in [
        "rust_mysql_common/test-data/binlogs/json.binlog.000001",
        "mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000057",
        "rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID_TAG.000001",
    ] {
        if let Some(p) = corpus_file(rel) {
            files.push(p);
        }
    }
    files.sort();
    files
}

#[test]
fn every_fixture_reads_the_same_in_parallel() {
    let files = fixtures();
    assert!(files.len() > 20, "{files:?}");
    let mut items = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.display().to_string();
        let expected = sequential(&name, &bytes, ReaderOptions::default());
        items += expected.len();
        for (workers, batch) in [(1, 1), (2, 700), (3, 1 << 20)] {
            let got = parallel(&name, &bytes, ReaderOptions::default(), workers, batch);
            assert_eq!(
                got, expected,
                "{name}: {workers} workers, batches of {batch} bytes"
            );
        }
    }
    assert!(items > 200, "only {items} items in all fixtures");
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

/// Damage decodes to the same error at the same place (checksums off, so that the
/// damage reaches the decoders), and truncation too.
#[test]
fn damaged_input_fails_the_same_in_parallel() {
    let files: Vec<Vec<u8>> = fixtures()
        .iter()
        .filter(|f| {
            let name = f.display().to_string();
            name.contains("mariadb-compressed") || name.contains("fk-cascade/west")
        })
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(files.len() >= 2);
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let no_checksums = || ReaderOptions {
        verify_checksums: ChecksumPolicy::Skip,
        ..ReaderOptions::default()
    };
    let mut errors = 0;
    for i in 0..300 {
        let original = &files[i % files.len()];
        let mut bytes = original.clone();
        if i % 3 == 0 {
            bytes.truncate((rng.next() as usize) % original.len());
        } else {
            for _ in 0..1 + rng.next() % 3 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] ^= 1 << (rng.next() % 8);
            }
        }
        let expected = sequential("bad", &bytes, no_checksums());
        if expected.last().is_some_and(|l| l.starts_with("Err")) {
            errors += 1;
        }
        for (workers, batch) in [(2, 1), (2, 1 << 20)] {
            let got = parallel("bad", &bytes, no_checksums(), workers, batch);
            assert_eq!(got, expected, "case {i}: {workers} workers, batch {batch}");
        }
    }
    // the damage must reach the decoders often enough to mean something
    assert!(errors > 50, "only {errors} of 300 damaged inputs failed");
}

/// A map that panics panics the caller, not a worker silently.
#[test]
fn a_panicking_map_panics_the_caller() {
    let f = &fixtures()[0];
    let bytes = std::fs::read(f).unwrap();
    let result = std::panic::catch_unwind(|| {
        BinlogReader::new(FileSource::from_bytes("x", bytes), ReaderOptions::default())
            .parallel(2, |item: ReadItem| {
                if matches!(item, ReadItem::Transaction(_)) {
                    panic!("map failed");
                }
                item
            })
            .count()
    });
    assert!(result.is_err());
}

/// A reader dropped after a few items, its reading thread waiting for a free slot
/// and its workers for chunks, stops them all: the drop returns, and a panic in
/// the reading thread (here: none) would reach the caller.
#[test]
fn a_reader_dropped_early_stops_its_threads() {
    let (bytes, want) = fixtures()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            let items = sequential("x", &bytes, ReaderOptions::default());
            (bytes, items)
        })
        .max_by_key(|(_, items)| items.len())
        .unwrap();
    assert!(want.len() > 10, "the fixtures have too few items");
    for taken in [0, 1, 5] {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let bytes = bytes.clone();
        std::thread::spawn(move || {
            let mut r =
                BinlogReader::new(FileSource::from_bytes("x", bytes), ReaderOptions::default())
                    .parallel(2, |item: ReadItem| item)
                    // chunks of one transaction: every slot fills at once
                    .with_batch_bytes(1);
            let got: Vec<String> = r.by_ref().take(taken).map(|i| format!("{i:?}")).collect();
            drop(r);
            done_tx.send(got).unwrap();
        });
        let got = done_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("dropping the reader hangs");
        assert_same(&got, &want[..taken], "items before the drop");
    }
}

/// Equal lists, or a message naming the first item that differs.
fn assert_same(got: &[String], want: &[String], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        panic!(
            "{what}: item {i} of {} differs\n got: {:?}\nwant: {:?}",
            want.len(),
            got.get(i),
            want.get(i)
        );
    }
}

/// Items and file facts of a sequential and a parallel read of the same files.
fn both_ways(
    paths: &[PathBuf],
    opts: ReaderOptions,
    workers: usize,
    batch: usize,
) -> [(Vec<String>, String); 2] {
    let mut seq = BinlogReader::new(FileSource::open_all(paths.to_vec()), opts.clone());
    let items: Vec<String> = seq.by_ref().map(|item| format!("{item:?}")).collect();
    let sequential = (items, format!("{:?}", seq.files()));
    let mut par = BinlogReader::new(FileSource::open_all(paths.to_vec()), opts)
        .parallel(workers, |item: ReadItem| item)
        .with_batch_bytes(batch);
    let items: Vec<String> = par.by_ref().map(|item| format!("{item:?}")).collect();
    let parallel = (items, format!("{:?}", par.files()));
    [sequential, parallel]
}

/// Every corpus file, alone, and each fixture side's files read one after the
/// other: chunks cut at every transaction boundary (chunks of 1 byte) or at few,
/// give the items and the file facts of the sequential reader.
#[test]
fn every_corpus_file_and_fixture_side_reads_the_same_in_parallel() {
    let mut inputs: Vec<Vec<PathBuf>> = Vec::new();
    if let Some(dir) = crate::common::corpus_dir() {
        inputs.extend(
            crate::common::walk_binlogs(&dir)
                .into_iter()
                .map(|p| vec![p]),
        );
    }
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
    for scenario in [
        "conflicts",
        "types-compressed",
        "fk-cascade",
        "mysql-conflicts",
    ] {
        for side in ["east", "west"] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(scenario).join(side))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e != "index"))
                .collect();
            files.sort();
            assert!(!files.is_empty(), "{scenario}/{side}");
            inputs.push(files);
        }
    }
    assert!(inputs.len() > 4, "{inputs:?}");
    for paths in &inputs {
        for (workers, batch) in [(2, 1), (2, 5000), (1, 1 << 20)] {
            let [want, got] = both_ways(paths, ReaderOptions::default(), workers, batch);
            assert_same(
                &got.0,
                &want.0,
                &format!("items of {paths:?}, chunks of {batch} bytes"),
            );
            assert_eq!(
                got.1, want.1,
                "file facts of {paths:?}, chunks of {batch} bytes"
            );
        }
    }
}

/// The same events without the first XID event after `skip` of them: the
/// transaction it ended is then open when the next GTID event comes.
fn without_an_xid(bytes: &[u8], skip: usize) -> Vec<u8> {
    let mut at = 4;
    let mut seen = 0;
    while at + 19 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 9..at + 13].try_into().unwrap()) as usize;
        if bytes[at + 4] == 0x10 {
            if seen == skip {
                let mut out = bytes[..at].to_vec();
                out.extend_from_slice(&bytes[at + size..]);
                return out;
            }
            seen += 1;
        }
        at += size;
    }
    panic!("fewer than {} XID events", skip + 1);
}

/// A transaction without its XID is dropped, with a note, when the next GTID
/// event comes: also when a chunk boundary falls on that GTID event.
#[test]
fn a_transaction_open_at_a_chunk_boundary_is_dropped_as_sequentially() {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/conflicts/west/mariadb-bin.000001"
    ));
    let bytes = std::fs::read(&path).unwrap();
    for skip in [0, 3] {
        let damaged = without_an_xid(&bytes, skip);
        let expected = sequential("damaged", &damaged, ReaderOptions::default());
        assert!(
            expected.iter().any(
                |i| i.contains("UnterminatedTransaction") && i.contains("before the next GTID")
            ),
            "{expected:#?}"
        );
        for (workers, batch) in [(1, 1), (2, 1), (2, 300)] {
            let got = parallel(
                "damaged",
                &damaged,
                ReaderOptions::default(),
                workers,
                batch,
            );
            assert_same(
                &got,
                &expected,
                &format!("{workers} workers, chunks of {batch} bytes"),
            );
        }
    }
}
