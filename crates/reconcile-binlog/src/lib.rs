//! Reader for MySQL and MariaDB row-based binary logs.
//!
//! Pipeline: **bytes -> events -> transactions**.
//!
//! 1. An [`EventSource`] yields raw events (`FileSource` reads files, a
//!    directory or memory, streaming with one reusable buffer; a live
//!    replication stream can implement the trait).
//! 2. [`decode_event`] turns one event's bytes into a typed [`Event`]; it is
//!    synchronous and does no I/O. Checksums are verified by the reader.
//! 3. [`BinlogReader`] assembles events into [`Transaction`]s (GTID, row
//!    changes with typed values, statements) and [`Diagnostic`]s, caching one
//!    [`TableDescription`] per TABLE_MAP so rows decode without re-resolving
//!    column types, and skipping row events of tables a filter rejects
//!    without decoding them.
//!
//! **Never panic**: corrupt, truncated or hostile input yields a typed
//! [`Error`] naming the file, the byte offset and the reason. Every read is
//! bounds-checked and every allocation is bounded by bytes actually present.
//!
//! ```no_run
//! use reconcile_binlog::{BinlogReader, ReadItem, ReaderOptions};
//!
//! let opts = ReaderOptions::default().with_table_filter(|schema, _table| schema == "shop");
//! let mut reader = BinlogReader::open_dir("/var/lib/mysql-binlogs", opts)?;
//! for item in reader.by_ref() {
//!     match item? {
//!         ReadItem::Transaction(t) => {
//!             for change in &t.changes {
//!                 let table = t.table_of(change);
//!                 println!("{:?} {}.{} {:?}", t.gtid, change.schema, change.table, table.map(|d| d.columns.len()));
//!             }
//!         }
//!         ReadItem::Diagnostic(d) => eprintln!("warning: {}", d.message),
//!     }
//! }
//! // PREVIOUS_GTIDS / GTID_LIST of every file read
//! for f in reader.files() {
//!     println!("{} {:?} {:?}", f.file, f.previous_gtids, f.gtid_list);
//! }
//! # Ok::<(), reconcile_binlog::Error>(())
//! ```
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![warn(missing_docs)]

mod cursor;
mod decimal;
pub mod error;
pub mod event;
pub mod gtid;
pub mod json;
mod pipeline;
pub mod rows;
pub mod select;
pub mod source;
pub mod table_map;
pub mod transaction;
pub mod value;

pub use error::{DecodeError, Diagnostic, DiagnosticKind, Error};
pub use event::{
    decode_event, inflate_mariadb_event, payload_event_count, ChecksumAlg, Event, EventHeader,
    Flavor, FormatDescription,
};
pub use gtid::{Gtid, GtidSet, GtidSetEntry, ParseGtidError, Uuid};
pub use json::{JsonDiff, JsonDiffOp};
pub use pipeline::ParallelReader;
pub use rows::{Row, RowImage, RowOp};
pub use select::{
    apply_row_filter, ProbeChange, ProbeImage, ReadStats, RowFilter, RowNotes, RowProbe,
    RowSelection, SkippedRows, ValueRef,
};
pub use source::{run_events, EventSource, FileSource, SourceItem, SourceRun, BINLOG_MAGIC};
pub use table_map::{ColumnDescription, ColumnType, TableDescription};
pub use transaction::{
    BinlogReader, ChecksumPolicy, FileFacts, ReadItem, ReaderOptions, RowChange, SourcePosition,
    Statement, StatementKind, TableFilter, Transaction,
};
pub use value::{utc_civil, Bytes, Value};
