//! Live tests of the test kit itself: every one starts real `mariadbd` processes.

mod fixtures;
mod gating;
mod lifecycle;
mod mysql_binlog;
mod split_brain;

use std::path::Path;

/// Whether process `pid` still exists (a reaped child no longer has a /proc entry).
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
