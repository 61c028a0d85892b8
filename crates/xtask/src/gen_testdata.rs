//! `cargo xtask gen-testdata`: regenerate every scenario's binlogs from its SQL.
//!
//! A scenario is a folder under `testdata/` holding `shared.sql`, `east.sql`,
//! `west.sql` and optionally `scenario.conf` (`key = value` lines):
//! - `layout = same-domain | different-domains` (default `same-domain`)
//! - `log_bin_compress = on | off` (default `off`)
//! - `server_arg = --some-mariadbd-option` (repeatable; for both servers)
//! - `sql_from = ../other` (take the three SQL files from another scenario)
//!
//! It writes `east/` and `west/` (binlog files and their `.index`) and `schema.sql`.

use std::fs;
use std::path::{Path, PathBuf};

use reconcile_testkit::{SplitBrain, SplitBrainScript};

use crate::workspace_root;

pub fn run(args: &[String]) -> Result<(), String> {
    let testdata = workspace_root().join("testdata");
    let mut scenarios = scenario_dirs(&testdata)?;
    if !args.is_empty() {
        scenarios.retain(|dir| {
            args.iter()
                .any(|a| dir.file_name().is_some_and(|n| n == a.as_str()))
        });
        if scenarios.is_empty() {
            return Err(format!(
                "no scenario named {} under {}",
                args.join(", "),
                testdata.display()
            ));
        }
    }
    for dir in &scenarios {
        generate(dir)?;
    }
    Ok(())
}

fn scenario_dirs(testdata: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        fs::read_dir(testdata).map_err(|e| format!("cannot read {}: {e}", testdata.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("shared.sql").is_file() || p.join("scenario.conf").is_file())
        // MySQL-flavor scenarios are serialized, not recorded (see gen_mysql.rs)
        .filter(|p| !crate::gen_mysql::is_mysql_scenario(p))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Parses a scenario folder into a script (see `SplitBrainScript::from_dir`).
pub fn load_script(dir: &Path) -> Result<SplitBrainScript, String> {
    SplitBrainScript::from_dir(dir).map_err(|e| e.to_string())
}

fn generate(dir: &Path) -> Result<(), String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    eprintln!("xtask: generating scenario {name}");
    let script = load_script(dir)?;
    let brain = SplitBrain::run(&script).map_err(|e| format!("scenario {name}: {e}"))?;
    let staging = dir.join(".gen-tmp");
    let _ = fs::remove_dir_all(&staging);
    brain
        .export(&staging)
        .map_err(|e| format!("scenario {name}: {e}"))?;
    drop(brain);
    for part in ["east", "west", "schema.sql"] {
        let target = dir.join(part);
        if target.is_dir() {
            fs::remove_dir_all(&target)
                .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
        } else if target.exists() {
            fs::remove_file(&target)
                .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
        }
        fs::rename(staging.join(part), &target)
            .map_err(|e| format!("cannot move {} into place: {e}", target.display()))?;
    }
    fs::remove_dir_all(&staging)
        .map_err(|e| format!("cannot remove {}: {e}", staging.display()))?;
    eprintln!("xtask: scenario {name} written to {}", dir.display());
    Ok(())
}
