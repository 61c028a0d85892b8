//! `reconcile scan` on bad input gives one clear error and leaves nothing behind; and
//! without GTIDs, positions say where each side's own transactions start.

use std::path::Path;

use serde_json::Value as Json;

use crate::{reconcile, run, testdata};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a scan into `dir/out` that must fail; checks the message and that neither
/// the output nor a partial staging directory exists afterwards.
fn fails(args: &[&str], dir: &Path, message: &str) {
    let out_dir = dir.join("out");
    let out = run(
        reconcile()
            .arg("scan")
            .args(args)
            .arg("--out")
            .arg(&out_dir),
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(message), "expected `{message}` in:\n{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "one error line:\n{err}"
    );
    assert!(
        !out_dir.exists(),
        "a failed scan left {}",
        out_dir.display()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "a failed scan left {leftovers:?}");
}

fn fixture(path: &str) -> String {
    testdata().join(path).display().to_string()
}

#[test]
fn missing_binlogs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        &[
            "--east",
            "/nonexistent/east",
            "--west",
            &fixture("conflicts/west"),
        ],
        dir.path(),
        "/nonexistent/east: no such file or directory",
    );
}

#[test]
fn binlogs_that_do_not_reach_the_divergence_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    // East's second file starts after 0-1-27: the shared history is not in it.
    fails(
        &[
            "--east",
            &fixture("conflicts/east/mariadb-bin.000002"),
            "--west",
            &fixture("conflicts/west"),
        ],
        dir.path(),
        "do not reach back to the divergence point",
    );
}

#[test]
fn an_unreadable_schema_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let both = [
        "--east",
        &fixture("conflicts/east"),
        "--west",
        &fixture("conflicts/west"),
    ];
    fails(
        &[&both[..], &["--schema", "/nonexistent/schema.sql"]].concat(),
        dir.path(),
        "cannot read --schema /nonexistent/schema.sql",
    );
    let bad = tempfile::tempdir().unwrap();
    let schema = bad.path().join("schema.sql");
    std::fs::write(&schema, "CREATE DATABASE d;\nUSE d;\nCREATE TABLE t (id INT PRIMARY KEY,\n  broken broken broken);\n").unwrap();
    let schema = schema.display().to_string();
    fails(
        &[&both[..], &["--schema", &schema]].concat(),
        dir.path(),
        "line 4",
    );
}

#[test]
fn mixed_flavors_are_refused() {
    let corpus =
        testdata().join("../../shared/binlog-corpus/binlog-parser/data/gtid-fixtures/mysql-bin.01");
    if !corpus.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the binlog corpus is required under CI: {}",
            corpus.display()
        );
        eprintln!("SKIPPED: binlog corpus absent at {}", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fails(
        &[
            "--east",
            &fixture("conflicts/east"),
            "--west",
            &corpus.display().to_string(),
        ],
        dir.path(),
        "same server flavor",
    );
}

#[test]
fn only_one_position_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        &[
            "--east",
            &fixture("conflicts/east"),
            "--west",
            &fixture("conflicts/west"),
            "--east-from",
            "4",
        ],
        dir.path(),
        "give both --east-from and --west-from",
    );
}

#[test]
fn an_existing_output_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("conflicts.csv"), "my decisions").unwrap();
    let out = run(
        reconcile()
            .args([
                "scan",
                "--east",
                &fixture("conflicts/east"),
                "--west",
                &fixture("conflicts/west"),
                "--out",
            ])
            .arg(&out_dir),
        false,
    );
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("conflicts.csv")).unwrap(),
        "my decisions"
    );
}

/// Where a side's own transactions start: the position of its first own GTID.
fn start_of(side: &str, gtid: &str) -> String {
    let out = run(
        reconcile()
            .args(["inspect", "--format", "jsonl", "--gtid", gtid])
            .arg(fixture(side)),
        true,
    );
    let tx: Json =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    let file = tx["file"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    format!("{file}:{}", tx["start"])
}

#[test]
fn positions_give_the_same_report_as_gtids() {
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "scan",
        "--east",
        &fixture("conflicts/east"),
        "--west",
        &fixture("conflicts/west"),
        "--schema",
        &fixture("conflicts/schema.sql"),
        "--volatile-columns",
        "shop.tickets.opened_at",
    ];
    let by_gtid = dir.path().join("gtid");
    run(reconcile().args(common).arg("--out").arg(&by_gtid), true);
    let by_pos = dir.path().join("pos");
    let (east_from, west_from) = (
        start_of("conflicts/east", "0-1-12"),
        start_of("conflicts/west", "0-2-12"),
    );
    run(
        reconcile()
            .args(common)
            .args(["--east-from", &east_from, "--west-from", &west_from])
            .arg("--out")
            .arg(&by_pos),
        true,
    );
    let read = |d: &Path| std::fs::read_to_string(d.join("conflicts.csv")).unwrap();
    assert_eq!(read(&by_gtid), read(&by_pos));
}

#[test]
fn summary_counts_classes_and_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = run(
        reconcile()
            .args([
                "scan",
                "--east",
                &fixture("conflicts/east"),
                "--west",
                &fixture("conflicts/west"),
            ])
            .args([
                "--schema",
                &fixture("conflicts/schema.sql"),
                "--volatile-columns",
                "shop.tickets.opened_at",
                "--out",
            ])
            .arg(&out_dir),
        true,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("last shared GTID 0-1-11"), "{stdout}");
    assert!(
        stdout.contains("Items: 17 (auto 3, skip 2, review 12)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DDL in the window on west (0-2-23)"),
        "{stdout}"
    );
    let summary: Json =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        summary["classes"],
        serde_json::json!({"auto": 3, "skip": 2, "review": 12})
    );
    assert_eq!(summary["review_kinds"]["update-update"], 3);
    assert_eq!(
        summary["per_table"]["shop.stock"],
        serde_json::json!({"review": 3, "skip": 1, "auto": 2})
    );
    // The plan ends with its hash and holds one line per item.
    let plan = std::fs::read_to_string(out_dir.join("plan.jsonl")).unwrap();
    let lines: Vec<Json> = plan
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.first().unwrap()["type"], "header");
    assert_eq!(lines.last().unwrap()["type"], "end");
    assert_eq!(lines.last().unwrap()["items"], 17);
    assert_eq!(lines.iter().filter(|l| l["type"] == "item").count(), 17);
}

/// DDL that East (the old primary) ran in the window is named in the summary with
/// its side and GTID, in stdout and in `summary.json`.
#[test]
fn summary_names_east_ddl_and_its_gtid() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = run(
        reconcile()
            .args([
                "scan",
                "--east",
                &fixture("ddl-east/east"),
                "--west",
                &fixture("ddl-east/west"),
                "--schema",
                &fixture("ddl-east/schema.sql"),
                "--out",
            ])
            .arg(&out_dir),
        true,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "DDL in the window on east (0-1-12): ALTER TABLE t ADD COLUMN extra INT NULL",
        "DDL in the window on east (0-1-15): RENAME TABLE old_t TO new_t",
        "DDL in the window on east (0-1-18): TRUNCATE TABLE gone",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "no `{line}` in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("on west ("), "{stdout}");
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).unwrap();
    for needle in ["0-1-12", "0-1-15", "0-1-18", "TRUNCATE TABLE gone"] {
        assert!(
            summary.contains(needle),
            "no {needle} in summary.json:\n{summary}"
        );
    }
}

#[test]
fn without_schema_nothing_is_auto() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    run(
        reconcile()
            .args([
                "scan",
                "--east",
                &fixture("conflicts/east"),
                "--west",
                &fixture("conflicts/west"),
                "--out",
            ])
            .arg(&out_dir),
        true,
    );
    let mut reader = csv::Reader::from_path(out_dir.join("conflicts.csv")).unwrap();
    let classes: Vec<(String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[2].to_owned(), r[3].to_owned()))
        .collect();
    assert_eq!(classes.len(), 17);
    assert!(
        classes.iter().all(|(class, _)| class != "auto"),
        "{classes:?}"
    );
    assert!(
        classes.iter().any(|(_, kind)| kind == "schema-unknown"),
        "{classes:?}"
    );
}

/// Regression: `reconcile scan ... | head -1` panicked writing the summary to a
/// closed pipe. A closed stdout is not an error: the outputs are already written.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let mut child = reconcile()
        .args([
            "scan",
            "--east",
            &fixture("conflicts/east"),
            "--west",
            &fixture("conflicts/west"),
            "--out",
        ])
        .arg(&out_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "exit {}: {err}", out.status);
    assert!(out_dir.join("conflicts.csv").is_file());
}
