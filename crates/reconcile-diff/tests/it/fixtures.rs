//! On every fixture's real binlogs, West read through the engine's row filter (rows
//! probed lazily out of the row images, on worker threads, in batches that cut
//! transactions) gives the outcome of West read in full.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reconcile_binlog::{BinlogReader, ReadItem, ReaderOptions, Transaction};
use reconcile_diff::{find_divergence, Config, EastPass, GtidHistory, Outcome};

fn testdata() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"))
}

fn transactions(
    items: impl Iterator<Item = Result<ReadItem, reconcile_binlog::Error>>,
) -> Vec<Transaction> {
    items
        .filter_map(|i| match i.unwrap() {
            ReadItem::Transaction(t) => Some(t),
            ReadItem::Diagnostic(_) => None,
        })
        .collect()
}

fn history(dir: &Path) -> (Vec<Transaction>, GtidHistory) {
    let mut reader = BinlogReader::open_dir(dir, ReaderOptions::default()).unwrap();
    let txs = transactions(reader.by_ref());
    let first = &reader.files()[0];
    let history = GtidHistory {
        mariadb_start: first.gtid_list.clone(),
        mysql_start: first.previous_gtids.clone(),
        gtids: txs.iter().map(|t| t.gtid.clone()).collect(),
    };
    (txs, history)
}

/// `--volatile-columns` of the scan command in the scenario's `EXPECTED.md`.
fn volatile(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("EXPECTED.md")).unwrap();
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "--volatile-columns")
        .flat_map(|w| w[1].split(','))
        .map(|spec| {
            let parts: Vec<&str> = spec.splitn(3, '.').collect();
            (
                parts[0].to_owned(),
                parts[1].to_owned(),
                parts[2].to_owned(),
            )
        })
        .collect()
}

fn outcomes(dir: &Path) -> (Outcome, Outcome, u64) {
    let schema =
        reconcile_schema::parse_schema(&std::fs::read_to_string(dir.join("schema.sql")).unwrap())
            .unwrap();
    let config = Config {
        volatile_columns: volatile(dir),
        ..Config::default()
    };
    let (east, east_history) = history(&dir.join("east"));
    let (west, west_history) = history(&dir.join("west"));
    let divergence = find_divergence(&east_history, &west_history).unwrap();
    let east_pass = || {
        let mut pass = EastPass::new(config.clone(), Some(&schema));
        for tx in east
            .iter()
            .filter(|t| divergence.is_east_only(t.gtid.as_ref()))
        {
            pass.add(tx);
        }
        pass.into_west()
    };

    let mut all = east_pass();
    for tx in west
        .iter()
        .filter(|t| divergence.is_west_only(t.gtid.as_ref()))
    {
        all.add(tx);
    }

    let mut filtered = east_pass();
    let options = ReaderOptions::default().with_row_filter(Arc::new(filtered.row_filter()));
    let reader = BinlogReader::open_dir(dir.join("west"), options)
        .unwrap()
        .parallel(2, |item| item)
        .with_batch_bytes(2000);
    let mut skipped = 0;
    for tx in transactions(reader) {
        if divergence.is_west_only(tx.gtid.as_ref()) {
            skipped += tx.skipped.iter().map(|s| s.rows).sum::<u64>();
            filtered.add(&tx);
        }
    }
    (all.finish(), filtered.finish(), skipped)
}

#[test]
fn every_fixture_scans_the_same_with_west_filtered() {
    let mut scenarios = 0;
    let mut skipped = 0;
    for entry in std::fs::read_dir(testdata()).unwrap() {
        let dir = entry.unwrap().path();
        // `large` (69 MiB of West) is too slow for a debug build; its scan through
        // the filter is checked against its EXPECTED.md end to end
        if !dir.join("schema.sql").exists() || dir.ends_with("large") {
            continue;
        }
        let (all, filtered, n) = outcomes(&dir);
        assert_eq!(filtered, all, "{}", dir.display());
        assert!(!all.items.is_empty(), "{}", dir.display());
        scenarios += 1;
        skipped += n;
    }
    assert!(scenarios >= 10, "{scenarios} scenarios");
    // the fixtures are made of conflicts: few West rows are on keys East left alone
    assert!(skipped >= 5, "the filter skipped only {skipped} West rows");
}
