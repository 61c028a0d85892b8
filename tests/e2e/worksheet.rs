//! The worksheet survives LibreOffice Calc: opened and saved again, every cell is
//! unchanged, and no cell is something a spreadsheet would execute.

use std::path::Path;
use std::process::Command;

use crate::{reconcile, run, testdata};

fn soffice() -> Option<&'static str> {
    ["soffice", "libreoffice"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn records(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn worksheets_survive_a_libreoffice_calc_round_trip() {
    let Some(soffice) = soffice() else {
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("RECONCILE_REQUIRE_LIVE").is_some();
        assert!(!required, "LibreOffice (soffice) is required under CI; `cargo xtask test` installs libreoffice-calc-nogui");
        eprintln!("SKIPPED: worksheet round trip needs LibreOffice (apt-get install libreoffice-calc-nogui)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (inbox, outbox) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&inbox).unwrap();
    let mut files = Vec::new();
    for scenario in ["conflicts", "types", "large"] {
        let out = dir.path().join(scenario);
        let fixture = |p: &str| testdata().join(scenario).join(p);
        run(
            reconcile()
                .arg("scan")
                .arg("--east")
                .arg(fixture("east"))
                .arg("--west")
                .arg(fixture("west"))
                .arg("--schema")
                .arg(fixture("schema.sql"))
                .arg("--out")
                .arg(&out),
            true,
        );
        let sheet = inbox.join(format!("{scenario}.csv"));
        std::fs::copy(out.join("conflicts.csv"), &sheet).unwrap();
        files.push(sheet);
    }
    // Calc with the import and export settings of a plain "open, save as CSV".
    let status = Command::new(soffice)
        .env("HOME", dir.path())
        .args(["--headless", "--norestore", "--infilter=CSV:44,34,76,1"])
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
        ])
        .arg(&outbox)
        .args(&files)
        .status()
        .unwrap();
    assert!(status.success());
    for file in &files {
        let name = file.file_name().unwrap();
        let before = records(file);
        let after = records(&outbox.join(name));
        assert_eq!(before.len(), after.len(), "{name:?}: row count changed");
        for (r, (a, b)) in before.iter().zip(&after).enumerate() {
            for (c, (x, y)) in a.iter().zip(b).enumerate() {
                assert_eq!(
                    x, y,
                    "{name:?}: row {r} column {} changed in Calc",
                    before[0][c]
                );
            }
            assert_eq!(a.len(), b.len(), "{name:?}: row {r} cell count changed");
            for cell in a {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{name:?}: row {r} has a cell a spreadsheet would execute: {cell}"
                );
                assert!(
                    cell.chars().count() < 32_767,
                    "{name:?}: row {r} has a cell longer than Calc holds"
                );
            }
        }
    }
}
