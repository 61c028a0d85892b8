use std::path::PathBuf;

/// Everything that can go wrong while running a throwaway server.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    #[error("cannot find the MariaDB program `{program}` (looked in $RECONCILE_MARIADB_BIN if set, else PATH, /usr/sbin, /usr/local/sbin, /usr/libexec); install the `mariadb-server` package")]
    ProgramMissing { program: &'static str },

    #[error("cannot create or use the server directory {path}: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`mariadb-install-db` failed for {datadir} ({status}):\n{output}")]
    InstallDb {
        datadir: PathBuf,
        status: String,
        output: String,
    },

    #[error("mariadbd did not start ({reason}); its error log {log} says:\n{log_tail}")]
    Start {
        reason: String,
        log: PathBuf,
        log_tail: String,
    },

    #[error("SQL failed on server {server} (port {port}): {source}\n  statement: {sql}")]
    Sql {
        server: String,
        port: u16,
        sql: String,
        #[source]
        source: mysql_async::Error,
    },

    #[error("SQL script failed on server {server} (port {port}) with {status}:\n{stderr}")]
    Script {
        server: String,
        port: u16,
        status: String,
        stderr: String,
    },

    #[error("{what} on server {server} timed out after {seconds} s")]
    Timeout {
        server: String,
        what: String,
        seconds: u64,
    },

    #[error("replication from {from} to {to} failed: {detail}")]
    Replication {
        from: String,
        to: String,
        detail: String,
    },

    #[error("cannot copy {from} to {to}: {source}")]
    Copy {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{at}: {detail}")]
    Scenario { at: String, detail: String },

    #[error("live MariaDB tests cannot run: {0}")]
    LiveUnavailable(String),
}
