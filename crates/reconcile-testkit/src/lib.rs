//! Throwaway MariaDB servers and split-brain scenarios for `reconcile`'s tests.
//!
//! [`MariaDb::start`] creates a fresh datadir under a temp directory, starts `mariadbd`
//! on 127.0.0.1 with a free port and its own socket, and waits until it answers.
//! Dropping the handle stops the server and removes the directory, also when the
//! owning test panics. [`SplitBrain`] runs a failover between two such servers and
//! exports both sides' binlogs, as the fixtures under `testdata/` are made.
//!
//! Live tests call [`live_servers_available`] first: without `mariadbd` they are
//! skipped with a visible message, unless `CI` or `RECONCILE_REQUIRE_LIVE` is set, in
//! which case they fail (a skipped live test must never look like a passed one).

mod error;
mod mysql_binlog;
mod programs;
mod server;
mod split_brain;

pub use error::TestkitError;
pub use mysql_binlog::{
    encode_decimal, mysql_conflicts, MysqlBinlogWriter, MysqlColumn, MysqlColumnType, MysqlGtid,
    MysqlGtidSet, MysqlTable, MysqlValue, ServerUuid, MYSQL_EAST_UUID, MYSQL_SERVER_VERSION,
    MYSQL_WEST_DDL, MYSQL_WEST_UUID, UTF8MB4_0900_AI_CI,
};
pub use programs::{find_program, Program};
pub use server::{MariaDb, MariaDbOptions, BINLOG_BASENAME, SERVER_DIR_PREFIX};
pub use split_brain::{
    ExportedScenario, GtidLayout, SplitBrain, SplitBrainScript, EAST_SERVER_ID, WEST_SERVER_ID,
};

/// Whether live-server tests can run here.
///
/// Returns `true` when the MariaDB programs are installed. Otherwise prints a
/// `SKIPPED` line naming `test` and returns `false`, or panics when skipping is not
/// allowed (`CI` or `RECONCILE_REQUIRE_LIVE` set), so that CI fails instead.
pub fn live_servers_available(test: &str) -> bool {
    let missing: Vec<&str> = [Program::Server, Program::InstallDb, Program::Client]
        .into_iter()
        .filter(|p| find_program(*p).is_err())
        .map(|p| p.names()[0])
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "live test `{test}` needs MariaDB ({} not found); install `mariadb-server` or run `cargo xtask test`",
        missing.join(", ")
    );
    if skipping_forbidden() {
        panic!("{message} (skipping is not allowed because CI or RECONCILE_REQUIRE_LIVE is set)");
    }
    eprintln!("SKIPPED: {message}");
    false
}

fn skipping_forbidden() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var_os("RECONCILE_REQUIRE_LIVE").is_some_and(|v| !v.is_empty() && v != "0")
}
