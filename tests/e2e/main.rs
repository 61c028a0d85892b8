//! End-to-end tests: they run the built `reconcile` binary, as a DBA would, against
//! the fixtures under `testdata/` (and, for live tests, against real MariaDB servers
//! started by `reconcile-testkit`).

mod apply;
mod inspect;
mod inspect_oracle;
mod live;
mod scan_expected;
mod scan_inputs;
mod schema;
mod worksheet;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's `testdata/` folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A command running the built `reconcile` binary, logging only errors.
pub fn reconcile() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reconcile"));
    cmd.env("RECONCILE_LOG", "error");
    cmd
}

/// Runs `cmd`, and shows its stdout and stderr when `success` is not what happened.
pub fn run(cmd: &mut Command, success: bool) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert_eq!(
        out.status.success(),
        success,
        "{cmd:?} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The binlog files of one side of a scenario, in `.index` order.
pub fn side_files(scenario: &str, side: &str) -> Vec<PathBuf> {
    let dir = testdata().join(scenario).join(side);
    std::fs::read_to_string(dir.join("mariadb-bin.index"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| dir.join(l))
        .collect()
}
