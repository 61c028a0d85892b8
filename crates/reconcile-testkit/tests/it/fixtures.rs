//! The committed fixtures under `testdata/` hold what their `EXPECTED.md` says, as
//! far as the oracle `mariadb-binlog` can tell: the shared, East-only and West-only
//! GTID ranges stated in each "Divergence" section are exactly the GTIDs in the
//! binlog files, in order.

use std::path::{Path, PathBuf};
use std::process::Command;

use reconcile_testkit::{find_program, live_servers_available, Program};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// `(domain, server, seq)` of a `d-s-n` token.
fn parse_gtid(token: &str) -> Option<(u32, u32, u64)> {
    let mut parts = token.split('-');
    let gtid = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    parts.next().is_none().then_some(gtid)
}

/// The GTIDs from the first to the last backticked GTID on the line of
/// `EXPECTED.md` that starts with `- {label}:`.
fn stated_range(expected: &str, label: &str, file: &Path) -> Vec<String> {
    let prefix = format!("- {label}:");
    let line = expected
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{}: no line starting with `{prefix}`", file.display()));
    let gtids: Vec<(u32, u32, u64)> = line
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(parse_gtid)
        .collect();
    let (first, last) = (gtids.first().unwrap(), gtids.last().unwrap());
    assert_eq!(
        (first.0, first.1),
        (last.0, last.1),
        "{}: `{line}` spans domains or servers",
        file.display()
    );
    (first.2..=last.2)
        .map(|seq| format!("{}-{}-{seq}", first.0, first.1))
        .collect()
}

/// GTIDs `mariadb-binlog` finds in the files named by the side's `.index`.
fn binlog_gtids(side: &Path) -> Vec<String> {
    let index = std::fs::read_to_string(side.join("mariadb-bin.index")).unwrap();
    let files: Vec<PathBuf> = index
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| side.join(l))
        .collect();
    let out = Command::new(find_program(Program::Binlog).unwrap())
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            Some(
                l[l.find("\tGTID ")? + 6..]
                    .split_whitespace()
                    .next()?
                    .to_owned(),
            )
        })
        .collect()
}

/// The `EXPECTED.md` holding the scenario's divergence (following `sql_from`).
fn divergence_source(dir: &Path) -> PathBuf {
    let expected = dir.join("EXPECTED.md");
    let text = std::fs::read_to_string(&expected).unwrap();
    if text.contains("\n- Shared:") {
        return expected;
    }
    let conf = std::fs::read_to_string(dir.join("scenario.conf")).unwrap_or_default();
    let from = conf
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("sql_from")?
                .trim()
                .strip_prefix('=')
                .map(str::trim)
        })
        .unwrap_or_else(|| {
            panic!(
                "{} states no divergence and has no sql_from",
                expected.display()
            )
        });
    dir.join(from).join("EXPECTED.md")
}

#[test]
fn every_fixture_holds_the_gtids_its_expected_md_states() {
    if !live_servers_available("every_fixture_holds_the_gtids_its_expected_md_states") {
        return;
    }
    let mut checked = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("east").is_dir())
        // MySQL-flavor scenarios have MySQL GTIDs; mysql_binlog.rs checks them
        .filter(|p| {
            !std::fs::read_to_string(p.join("scenario.conf"))
                .is_ok_and(|c| c.lines().any(|l| l.replace(' ', "") == "generator=mysql"))
        })
        .collect();
    dirs.sort();
    for dir in dirs {
        for part in [
            "EXPECTED.md",
            "schema.sql",
            "east/mariadb-bin.index",
            "west/mariadb-bin.index",
        ] {
            assert!(dir.join(part).is_file(), "{} lacks {part}", dir.display());
        }
        let source = divergence_source(&dir);
        let expected = std::fs::read_to_string(&source).unwrap();
        let shared = stated_range(&expected, "Shared", &source);
        let east_only = stated_range(&expected, "East only", &source);
        let west_only = stated_range(&expected, "West only", &source);
        assert_eq!(
            binlog_gtids(&dir.join("east")),
            [shared.clone(), east_only].concat(),
            "{}: East's binlogs differ from {}",
            dir.display(),
            source.display()
        );
        assert_eq!(
            binlog_gtids(&dir.join("west")),
            [shared, west_only].concat(),
            "{}: West's binlogs differ from {}",
            dir.display(),
            source.display()
        );
        checked.push(dir.file_name().unwrap().to_string_lossy().into_owned());
    }
    for required in ["conflicts", "types", "types-compressed", "large"] {
        assert!(
            checked.iter().any(|c| c == required),
            "fixture {required} missing; checked {checked:?}"
        );
    }
}
