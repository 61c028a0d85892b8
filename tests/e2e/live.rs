//! Live sources: `reconcile scan` and `inspect` reading binlogs from running
//! MariaDB servers over the replication protocol, compared with the same
//! servers' binlog files.

use std::path::Path;

use reconcile_testkit::{live_servers_available, SplitBrain, SplitBrainScript};

use crate::{reconcile, run, testdata};

/// `inspect --format jsonl` lines with the `file` field reduced to the binlog's
/// name: a file source names its path, a server the binlog. MariaDB leaves
/// ANNOTATE_ROWS events (the `rowsquery` statements) out of a replication
/// stream unless the replica sets a dump flag mysql_async cannot send, so they
/// are dropped here, and a stream must not hold any.
fn inspect_lines(source: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = run(
        reconcile()
            .args(["inspect", "--format", "jsonl"])
            .arg(source)
            .args(extra),
        true,
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let file = v["file"].as_str().unwrap().to_owned();
            let name = Path::new(&file).file_name().unwrap().to_str().unwrap();
            v["file"] = serde_json::Value::from(name);
            let statements = v["statements"].as_array_mut().unwrap();
            if source.starts_with("mysql://") {
                assert!(statements.iter().all(|s| s["kind"] != "rowsquery"), "{l}");
            }
            statements.retain(|s| s["kind"] != "rowsquery");
            v
        })
        .collect()
}

/// Scans `east` and `west` (directories or URLs) into `out` and returns the
/// worksheet's bytes.
fn scan_csv(east: &str, west: &str, schema: &Path, extra: &[&str], out: &Path) -> Vec<u8> {
    run(
        reconcile()
            .args(["scan", "--east", east, "--west", west, "--schema"])
            .arg(schema)
            .args(extra)
            .arg("--out")
            .arg(out),
        true,
    );
    std::fs::read(out.join("conflicts.csv")).unwrap()
}

/// The live scan and the file scan of a split-brain give the same worksheet,
/// and both sides' transactions read the same from the server as from files.
pub fn assert_live_equals_files(brain: &SplitBrain, scan_args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let exported = brain.export(&dir.path().join("binlogs")).unwrap();
    for (side, server) in [("east", &brain.east), ("west", &brain.west)] {
        let files = inspect_lines(dir.path().join("binlogs").join(side).to_str().unwrap(), &[]);
        let live = inspect_lines(&server.url(), &[]);
        assert!(!files.is_empty());
        assert_eq!(
            files.len(),
            live.len(),
            "{side}: {} transactions from files, {} from the server",
            files.len(),
            live.len()
        );
        for (f, l) in files.iter().zip(&live) {
            assert_eq!(
                f, l,
                "{side}: a transaction differs between file and stream"
            );
        }
    }
    let from_files = scan_csv(
        dir.path().join("binlogs/east").to_str().unwrap(),
        dir.path().join("binlogs/west").to_str().unwrap(),
        &exported.schema,
        scan_args,
        &dir.path().join("out-files"),
    );
    let from_servers = scan_csv(
        &brain.east.url(),
        &brain.west.url(),
        &exported.schema,
        scan_args,
        &dir.path().join("out-live"),
    );
    assert_eq!(
        String::from_utf8_lossy(&from_files),
        String::from_utf8_lossy(&from_servers),
        "the live scan's worksheet differs from the file scan's"
    );
}

#[test]
fn a_live_scan_of_conflicts_equals_the_file_scan() {
    if !live_servers_available("a_live_scan_of_conflicts_equals_the_file_scan") {
        return;
    }
    let script = SplitBrainScript::from_dir(&testdata().join("conflicts")).unwrap();
    let brain = SplitBrain::run(&script).unwrap();
    assert_live_equals_files(&brain, &["--volatile-columns", "shop.tickets.opened_at"]);
}
