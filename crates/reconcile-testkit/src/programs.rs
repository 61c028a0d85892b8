//! Finding the MariaDB programs, which Debian installs partly outside a user's PATH.

use std::path::PathBuf;

use crate::TestkitError;

/// The MariaDB programs the test kit runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// The server, `mariadbd` (older packages: `mysqld`).
    Server,
    /// `mariadb-install-db` (older: `mysql_install_db`).
    InstallDb,
    /// The command-line client `mariadb` (older: `mysql`).
    Client,
    /// `mariadb-dump` (older: `mysqldump`).
    Dump,
    /// `mariadb-binlog` (older: `mysqlbinlog`), the oracle for reader tests.
    Binlog,
}

impl Program {
    /// Names to look for, preferred first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Program::Server => &["mariadbd", "mysqld"],
            Program::InstallDb => &["mariadb-install-db", "mysql_install_db"],
            Program::Client => &["mariadb", "mysql"],
            Program::Dump => &["mariadb-dump", "mysqldump"],
            Program::Binlog => &["mariadb-binlog", "mysqlbinlog"],
        }
    }
}

/// Where to look. `RECONCILE_MARIADB_BIN`, when set, is the only directory searched
/// (to test another MariaDB build, or none). Otherwise PATH and then the directories
/// Debian uses: it puts `mariadbd` in /usr/sbin, which a non-root PATH often lacks.
fn search_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("RECONCILE_MARIADB_BIN") {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    for extra in [
        "/usr/sbin",
        "/usr/local/sbin",
        "/usr/bin",
        "/usr/local/bin",
        "/usr/libexec",
    ] {
        dirs.push(PathBuf::from(extra));
    }
    dirs
}

/// Full path of `program`, or [`TestkitError::ProgramMissing`].
pub fn find_program(program: Program) -> Result<PathBuf, TestkitError> {
    let dirs = search_dirs();
    for name in program.names() {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(TestkitError::ProgramMissing {
        program: program.names()[0],
    })
}
