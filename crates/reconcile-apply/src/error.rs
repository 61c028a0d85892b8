/// What can go wrong while applying or verifying. No variant ever holds a password:
/// connection errors carry the server's message, and URLs are shown without one.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("cannot connect to {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: mysql_async::Error,
    },
    #[error("group {group}: {what} failed on {target}: {source}")]
    Sql {
        target: String,
        group: u64,
        what: String,
        #[source]
        source: mysql_async::Error,
    },
    #[error("group {group}: {statement} changed {got} rows instead of {expected}; the group was rolled back")]
    AffectedRows {
        group: u64,
        statement: String,
        expected: u64,
        got: u64,
    },
    #[error("group {group}, item {item}: {reason}")]
    Unappliable {
        group: u64,
        item: u64,
        reason: String,
    },
    #[error("setting up the journal {journal} on {target} failed: {source}")]
    Journal {
        target: String,
        journal: String,
        #[source]
        source: mysql_async::Error,
    },
}
