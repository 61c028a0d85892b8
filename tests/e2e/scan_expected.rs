//! Every fixture's `EXPECTED.md` is the contract: `reconcile scan`, run with the
//! command the file states, reports every key with the class, kind and suggestion the
//! file gives, and no other item.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::{reconcile, run, testdata};

/// `(table, key JSON) -> (class, kind, suggestion)`.
type Verdicts = BTreeMap<(String, String), (String, String, String)>;

fn workspace() -> PathBuf {
    testdata().join("..")
}

/// `scan` and its arguments from the file's "Scan command" block.
fn scan_command(expected: &str, file: &Path) -> Vec<String> {
    let block = expected
        .split("## Scan command")
        .nth(1)
        .and_then(|s| s.split("```").nth(1))
        .unwrap_or_else(|| panic!("{}: no Scan command block", file.display()));
    let words: Vec<String> = block
        .replace("\\\n", " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(&words[..2], ["reconcile", "scan"], "{}", file.display());
    words[1..]
        .iter()
        .map(|w| {
            if w.starts_with("testdata/") {
                workspace().join(w).display().to_string()
            } else {
                w.clone()
            }
        })
        .collect()
}

fn canonical(json: &str) -> String {
    serde_json::from_str::<Json>(json)
        .unwrap_or_else(|e| panic!("bad key JSON {json}: {e}"))
        .to_string()
}

fn clean(cell: &str) -> String {
    let cell = cell.trim().trim_matches('`');
    if cell == "—" {
        String::new()
    } else {
        cell.to_owned()
    }
}

/// Keys of a cell: `` `{"id":7}` `` or `` `{"id":N}`, N in 1..50, 61..100 ``.
fn keys_of(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    match cell.split_once(", N in ") {
        None => vec![canonical(cell.trim_matches('`'))],
        Some((template, ranges)) => {
            let template = template.trim_matches('`');
            ranges
                .split(',')
                .flat_map(|r| {
                    let (a, b) = r.trim().split_once("..").unwrap();
                    let (a, b): (u64, u64) = (a.parse().unwrap(), b.parse().unwrap());
                    (a..=b)
                        .map(|n| canonical(&template.replace('N', &n.to_string())))
                        .collect::<Vec<_>>()
                })
                .collect()
        }
    }
}

/// The verdicts stated in the "Items" section's table.
fn stated(expected: &str, file: &Path) -> Verdicts {
    let section = expected
        .split("\n## Items")
        .nth(1)
        .unwrap_or_else(|| panic!("{}: no Items section", file.display()));
    let rows: Vec<Vec<String>> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect();
    let header = &rows[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| {
                h == name || h.starts_with(&format!("{name} ")) || (name == "key" && h == "keys")
            })
            .unwrap_or_else(|| panic!("{}: no `{name}` column in {header:?}", file.display()))
    };
    let (t, k, c, kind, s) = (
        col("table"),
        col("key"),
        col("class"),
        col("kind"),
        col("suggestion"),
    );
    let mut out = Verdicts::new();
    for row in &rows[2..] {
        for key in keys_of(&row[k]) {
            let previous = out.insert(
                (clean(&row[t]), key.clone()),
                (clean(&row[c]), clean(&row[kind]), clean(&row[s])),
            );
            assert!(
                previous.is_none(),
                "{}: key {key} stated twice",
                file.display()
            );
        }
    }
    out
}

/// What the scan reported, from `conflicts.csv`.
fn reported(out: &Path) -> Verdicts {
    let mut reader = csv::Reader::from_path(out.join("conflicts.csv")).unwrap();
    let mut verdicts = Verdicts::new();
    for record in reader.deserialize::<BTreeMap<String, String>>() {
        let r = record.unwrap();
        verdicts.insert(
            (r["table"].clone(), canonical(&r["key"])),
            (
                r["class"].clone(),
                r["kind"].clone(),
                r["suggestion"].clone(),
            ),
        );
    }
    verdicts
}

fn check(scenario: &str) {
    check_file(scenario, "EXPECTED.md");
}

/// `check` against another expectation file of the scenario (its own Scan command
/// and Items table).
fn check_file(scenario: &str, name: &str) {
    let dir = testdata().join(scenario);
    let file = dir.join(name);
    let expected = std::fs::read_to_string(&file).unwrap();
    let items_file = if expected.contains("\n## Items") {
        file.clone()
    } else {
        dir.join("../types/EXPECTED.md")
    };
    let stated = stated(&std::fs::read_to_string(&items_file).unwrap(), &items_file);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    run(
        reconcile()
            .args(scan_command(&expected, &file))
            .arg("--out")
            .arg(&out_dir),
        true,
    );
    let reported = reported(&out_dir);
    for (key, verdict) in &stated {
        assert_eq!(
            reported.get(key),
            Some(verdict),
            "{scenario}: item {key:?} (stated in {})",
            items_file.display()
        );
    }
    for key in reported.keys() {
        assert!(
            stated.contains_key(key),
            "{scenario}: item {key:?} is reported but not in {}",
            items_file.display()
        );
    }
}

#[test]
fn conflicts_scan_matches_expected_md() {
    check("conflicts");
}

#[test]
fn types_scan_matches_expected_md() {
    check("types");
}

#[test]
fn types_compressed_scan_matches_expected_md() {
    check("types-compressed");
}

#[test]
fn large_scan_matches_expected_md() {
    check("large");
}

#[test]
fn mysql_conflicts_scan_matches_expected_md() {
    check("mysql-conflicts");
}

#[test]
fn collations_scan_matches_expected_md() {
    check("collations");
}

#[test]
fn fk_cascade_scan_matches_expected_md() {
    check("fk-cascade");
}

#[test]
fn triggers_generated_scan_matches_expected_md() {
    check("triggers-generated");
}

#[test]
fn no_primary_key_scan_matches_expected_md() {
    check("no-primary-key");
}

#[test]
fn partial_images_scan_matches_expected_md() {
    check("partial-images");
}

#[test]
fn ddl_east_scan_matches_expected_md() {
    check("ddl-east");
}

#[test]
fn retries_merge_rekey_scan_matches_expected_md() {
    check("retries-merge-rekey");
}

#[test]
fn retries_merge_rekey_with_merge_and_retries_skip_matches_expected_md() {
    check_file("retries-merge-rekey", "EXPECTED-merge-skip.md");
}
