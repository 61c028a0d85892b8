//! `reconcile inspect` as a DBA uses it: readable blocks, filters, clear errors.

use crate::{reconcile, run, side_files, testdata};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn text_output_shows_gtid_position_and_named_columns() {
    let out = run(
        reconcile()
            .arg("inspect")
            .arg(testdata().join("conflicts/east")),
        true,
    );
    let text = stdout(&out);
    let block = text
        .split("\n\n")
        .find(|b| b.starts_with("# 0-1-13 "))
        .unwrap_or_else(|| panic!("no block for 0-1-13 in:\n{text}"));
    assert!(block.contains("server 1"), "{block}");
    assert!(block.contains("mariadb-bin.000001"), "{block}");
    assert!(block.contains("UPDATE shop.stock"), "{block}");
    assert!(
        block.contains("before: sku='A001', qty=10, price=1.00, location='W1'"),
        "{block}"
    );
    assert!(
        block.contains("after:  sku='A001', qty=5, price=1.00, location='W1'"),
        "{block}"
    );
}

#[test]
fn ddl_is_reported_as_a_statement() {
    let out = run(
        reconcile()
            .arg("inspect")
            .arg(testdata().join("conflicts/west")),
        true,
    );
    let text = stdout(&out);
    let block = text
        .split("\n\n")
        .find(|b| b.starts_with("# 0-2-23 "))
        .expect("the ALTER's block");
    assert!(
        block.contains("ddl (in shop): ALTER TABLE notes ADD COLUMN author VARCHAR(50) NULL"),
        "{block}"
    );
}

#[test]
fn filters_by_table_gtid_and_position() {
    let east = testdata().join("conflicts/east");
    let out = run(
        reconcile()
            .args(["inspect", "--format", "jsonl", "--table", "shop.tickets"])
            .arg(&east),
        true,
    );
    let gtids: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["gtid"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(gtids, ["0-1-10", "0-1-22", "0-1-23"]);

    let out = run(
        reconcile()
            .args([
                "inspect",
                "--format",
                "jsonl",
                "--gtid",
                "0-1-12..14,0-1-27",
            ])
            .arg(&east),
        true,
    );
    let gtids: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["gtid"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(gtids, ["0-1-12", "0-1-13", "0-1-14", "0-1-27"]);

    // --start/--stop by offset: the transactions of 0-1-13 only.
    let all = run(
        reconcile()
            .args(["inspect", "--format", "jsonl"])
            .arg(&east),
        true,
    );
    let tx13: serde_json::Value = stdout(&all)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["gtid"] == "0-1-13")
        .unwrap();
    let (start, end) = (
        tx13["start"].as_u64().unwrap(),
        tx13["end"].as_u64().unwrap(),
    );
    let out = run(
        reconcile()
            .args([
                "inspect",
                "--format",
                "jsonl",
                "--start",
                &format!("mariadb-bin.000001:{start}"),
            ])
            .args(["--stop", &format!("mariadb-bin.000001:{end}")])
            .arg(&east),
        true,
    );
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
}

#[test]
fn several_files_are_read_in_order_across_rotate() {
    let files = side_files("large", "west");
    assert!(files.len() >= 5);
    let out = run(
        reconcile()
            .args(["inspect", "--format", "jsonl", "--gtid", "0-2-284"])
            .args(&files),
        true,
    );
    assert_eq!(stdout(&out).lines().count(), 1);
    let tx: serde_json::Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(tx["changes"].as_array().unwrap().len(), 1000);
}

#[test]
fn a_missing_file_is_one_clear_error() {
    let out = run(
        reconcile().args(["inspect", "/nonexistent/mariadb-bin.000001"]),
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/mariadb-bin.000001: no such file or directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_corrupt_file_names_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(testdata().join("conflicts/east/mariadb-bin.000001")).unwrap();
    // Flip a byte inside a late event body: its CRC32 no longer matches.
    let at = bytes.len() - 100;
    bytes[at] ^= 0x55;
    let bad = dir.path().join("mariadb-bin.000001");
    std::fs::write(&bad, &bytes).unwrap();
    let out = run(reconcile().arg("inspect").arg(&bad), false);
    let err = stderr(&out);
    assert!(err.contains("mariadb-bin.000001"), "{err}");
    assert!(err.to_lowercase().contains("checksum"), "{err}");
    assert!(err.contains("offset"), "{err}");

    // Cut short in the middle of an event, in a file the server had closed.
    let cut = dir.path().join("cut.000001");
    std::fs::write(
        &cut,
        &std::fs::read(testdata().join("conflicts/east/mariadb-bin.000001")).unwrap()[..5000],
    )
    .unwrap();
    let out = run(reconcile().arg("inspect").arg(&cut), false);
    assert!(stderr(&out).contains("cut.000001"), "{}", stderr(&out));
    assert!(stderr(&out).contains("truncated"), "{}", stderr(&out));
}

/// The same transactions from a JSON line, without where and when they were written.
fn content(line: &str) -> serde_json::Value {
    let mut tx: serde_json::Value = serde_json::from_str(line).unwrap();
    for field in ["file", "start", "end", "time"] {
        tx.as_object_mut().unwrap().remove(field);
    }
    tx
}

#[test]
fn compressed_events_read_back_equal_to_the_uncompressed_run() {
    for side in ["east", "west"] {
        let plain = run(
            reconcile()
                .args(["inspect", "--format", "jsonl"])
                .arg(testdata().join("types").join(side)),
            true,
        );
        let packed = run(
            reconcile()
                .args(["inspect", "--format", "jsonl"])
                .arg(testdata().join("types-compressed").join(side)),
            true,
        );
        let plain: Vec<_> = stdout(&plain).lines().map(content).collect();
        let packed: Vec<_> = stdout(&packed).lines().map(content).collect();
        assert!(plain.len() > 5);
        assert_eq!(
            plain, packed,
            "{side}: compressed events decode differently"
        );
    }
}
