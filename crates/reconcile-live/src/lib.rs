//! Live sources for `reconcile`: binlogs streamed from a running MySQL or
//! MariaDB server over the replication protocol, as a replica reads them.
//!
//! The reader crate stays free of network code: [`LiveSource`] implements its
//! [`EventSource`](reconcile_binlog::EventSource) seam, so a live stream goes
//! through exactly the decoding and transaction assembly that files do.
//! [`LiveReader`] adds what only a network source needs: it stops at the
//! position read at start, and after a lost connection it reconnects and
//! resumes after the last complete transaction, so no partial transaction is
//! ever yielded.
//!
//! [`schema::read_schema`] reads a server's tables, keys, foreign keys and
//! triggers from `information_schema` into the same model a schema dump parses to.

mod connector;
mod error;
pub mod schema;
mod server;
mod stream;

pub use connector::Connector;
pub use error::LiveError;
pub use server::{BinlogFile, BinlogPosition, ServerFacts, ServerFlavor};
pub use stream::{default_replica_server_id, LiveReader, LiveSource, StreamOptions};
