//! Typed errors of the live sources. Messages name the server by its label
//! (`mysql://user@host:port/`), never with a password.

/// Why a live source failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The connection could not be made (network, authentication, TLS).
    #[error("{server}: cannot connect: {source}")]
    Connect {
        /// The server.
        server: String,
        /// The driver's error.
        #[source]
        source: mysql_async::Error,
    },
    /// The account lacks a privilege the step needs.
    #[error("{server}: {step} needs the {privilege} privilege, which this account lacks ({detail}); grant it with: GRANT {grant} ON *.* TO <user>")]
    MissingPrivilege {
        /// The server.
        server: String,
        /// What was being done, e.g. `streaming the binlog`.
        step: String,
        /// The privilege, as GRANT spells it.
        privilege: String,
        /// The GRANT to run (one or more privileges).
        grant: String,
        /// The server's own message.
        detail: String,
    },
    /// The server does not write a binlog.
    #[error("{server}: the server writes no binlog (log_bin is off); there is nothing to stream")]
    NoBinlog {
        /// The server.
        server: String,
    },
    /// A binlog the stream needs is no longer on the server.
    #[error("{server}: binlog {file} is no longer on the server (purged); the oldest binlog still available is {oldest}")]
    Purged {
        /// The server.
        server: String,
        /// The binlog that is gone.
        file: String,
        /// The oldest binlog the server still has.
        oldest: String,
    },
    /// The server changed while it was being read: another server answered
    /// after a reconnect, or its binlogs are no longer those listed at start.
    #[error("{server}: the server's binlogs changed while they were being read: {what}")]
    Changed {
        /// The server.
        server: String,
        /// What changed.
        what: String,
    },
    /// A query or protocol step failed.
    #[error("{server}: {step}: {source}")]
    Query {
        /// The server.
        server: String,
        /// What was being done.
        step: String,
        /// The driver's error.
        #[source]
        source: mysql_async::Error,
    },
    /// The server's answer made no sense (missing column, malformed event, a
    /// stream that ended early).
    #[error("{server}: unexpected reply while {step}: {detail}")]
    Protocol {
        /// The server.
        server: String,
        /// What was being done.
        step: String,
        /// What was wrong.
        detail: String,
    },
    /// The stream ended before the position read at start: the connection
    /// was closed (a server shutdown does that cleanly).
    #[error("{server}: the binlog stream ended at {file} before {stop}, where the binlog ended when it was read")]
    StreamEnded {
        /// The server.
        server: String,
        /// The binlog being read.
        file: String,
        /// The stop position, `file:pos`.
        stop: String,
    },
    /// The stream was lost and did not come back within the allowed retries.
    #[error("{server}: the binlog stream was lost {attempts} times, giving up at {file}:{pos} (no partial transaction was used): {last}")]
    RetriesExhausted {
        /// The server.
        server: String,
        /// Reconnection attempts made.
        attempts: u32,
        /// Binlog file where the last complete transaction ended.
        file: String,
        /// Position after the last complete transaction.
        pos: u64,
        /// The last error.
        last: String,
    },
    /// A definition the server's catalog shows could not be read into the schema
    /// model (a column type or generation expression `reconcile-schema` cannot parse;
    /// a dump of the same server would fail the same way).
    #[error("{server}: cannot read {what} of {object}: {source}")]
    Definition {
        /// The server.
        server: String,
        /// What could not be read, e.g. `the column type`.
        what: String,
        /// The object, e.g. `` `shop`.`orders`.`amount` ``.
        object: String,
        /// The parser's error (boxed: it is large and rare).
        #[source]
        source: Box<reconcile_schema::SchemaError>,
    },
    /// The local async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl LiveError {
    /// Whether a new connection may get further: the connection or stream was
    /// lost, as opposed to a refusal that will repeat (privileges, purge).
    pub fn is_transient(&self) -> bool {
        match self {
            LiveError::Connect { source, .. } | LiveError::Query { source, .. } => {
                is_transient(source)
            }
            LiveError::StreamEnded { .. } => true,
            _ => false,
        }
    }
}

/// Whether a driver error is a lost or refused connection rather than a
/// server-side refusal.
pub(crate) fn is_transient(e: &mysql_async::Error) -> bool {
    match e {
        mysql_async::Error::Io(_) => true,
        mysql_async::Error::Driver(d) => matches!(
            d,
            mysql_async::DriverError::ConnectionClosed | mysql_async::DriverError::PoolDisconnected
        ),
        mysql_async::Error::Server(s) => matches!(
            s.code,
            // server shutdown in progress, connection killed, lost during query,
            // too many connections, server gone, cannot connect (yet)
            1053 | 1927 | 2013 | 1040 | 2006 | 2002 | 2003
        ),
        _ => false,
    }
}

/// MySQL/MariaDB error code of a driver error, if the server sent one.
pub(crate) fn server_code(e: &mysql_async::Error) -> Option<u16> {
    match e {
        mysql_async::Error::Server(s) => Some(s.code),
        _ => None,
    }
}
