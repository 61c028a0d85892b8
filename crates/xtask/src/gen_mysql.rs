//! `cargo xtask gen-testdata` for MySQL-flavor scenarios: no MySQL server runs here,
//! so their binlogs are serialized by `reconcile_testkit`'s `MysqlBinlogWriter`
//! instead of recorded from servers.
//!
//! A scenario folder whose `scenario.conf` says `generator = mysql` is generated
//! here; its SQL files, `schema.sql` and `EXPECTED.md` are written by hand and
//! document what the generated binlogs hold.

use std::fs;
use std::path::Path;

/// Whether `dir`'s `scenario.conf` asks for this generator.
pub fn is_mysql_scenario(dir: &Path) -> bool {
    fs::read_to_string(dir.join("scenario.conf")).is_ok_and(|conf| {
        conf.lines().any(|l| {
            l.split_once('=')
                .is_some_and(|(k, v)| k.trim() == "generator" && v.trim() == "mysql")
        })
    })
}

/// Regenerates the binlogs and `.index` files of scenario folder `dir`.
pub fn generate(dir: &Path) -> Result<(), String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let files = match name.as_str() {
        "mysql-conflicts" => reconcile_testkit::mysql_conflicts(),
        other => return Err(format!("no MySQL generator for scenario {other}")),
    };
    eprintln!("xtask: generating MySQL scenario {name}");
    for side in ["east", "west"] {
        let target = dir.join(side);
        if target.exists() {
            fs::remove_dir_all(&target)
                .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
        }
    }
    for (relative, bytes) in &files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!(
        "xtask: scenario {name}: {} files written to {}",
        files.len(),
        dir.display()
    );
    Ok(())
}

/// Regenerates the MySQL-flavor scenarios named in `names`, or all of them (every
/// folder under `testdata/` marked `generator = mysql`) when `names` is empty.
pub fn run(names: &[String]) -> Result<(), String> {
    let testdata = crate::workspace_root().join("testdata");
    let mut dirs: Vec<_> = if names.is_empty() {
        fs::read_dir(&testdata)
            .map_err(|e| format!("cannot read {}: {e}", testdata.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_mysql_scenario(p))
            .collect()
    } else {
        names.iter().map(|n| testdata.join(n)).collect()
    };
    dirs.sort();
    for dir in &dirs {
        if !is_mysql_scenario(dir) {
            return Err(format!(
                "{} is not a MySQL scenario (no `generator = mysql` in its scenario.conf)",
                dir.display()
            ));
        }
        generate(dir)?;
    }
    Ok(())
}
