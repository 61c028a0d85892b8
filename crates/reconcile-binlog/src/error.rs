//! Typed errors and non-fatal diagnostics.

use serde::{Deserialize, Serialize};

/// A decoding failure inside one event body, before the file name and event
/// offset are known. The reader wraps it into [`Error::Decode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (at byte {at} of the event)")]
pub struct DecodeError {
    /// Offset inside the buffer that was being decoded (for events: from the
    /// first byte of the event header).
    pub at: usize,
    /// What was wrong.
    pub reason: String,
}

impl DecodeError {
    pub(crate) fn new(at: usize, reason: impl Into<String>) -> Self {
        DecodeError {
            at,
            reason: reason.into(),
        }
    }
}

/// Every fatal error the reader can report. Each variant names the file and,
/// where one exists, the byte offset of the event at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read or open.
    #[error("{file}: I/O error: {source}")]
    Io {
        /// File being read.
        file: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with the binlog magic `fe 62 69 6e`.
    #[error("{file}: not a binlog file (magic bytes {found:02x?}, expected fe 62 69 6e)")]
    BadMagic {
        /// File being read.
        file: String,
        /// The bytes found instead (fewer than 4 when the file is shorter).
        found: Vec<u8>,
    },
    /// The file ends inside an event and the server had closed it (the
    /// format description does not carry the in-use flag).
    #[error("{file}: truncated at offset {offset}: event needs {needed} bytes but only {available} remain")]
    Truncated {
        /// File being read.
        file: String,
        /// Offset of the incomplete event.
        offset: u64,
        /// Bytes the event header announced (19 when the header itself is cut).
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },
    /// The CRC32 stored in the last 4 bytes of an event does not match.
    #[error("{file}: checksum mismatch in event at offset {offset} (type 0x{event_type:02x}): stored {stored:08x}, computed {computed:08x}")]
    ChecksumMismatch {
        /// File being read.
        file: String,
        /// Event offset.
        offset: u64,
        /// Event type code.
        event_type: u8,
        /// CRC stored in the event.
        stored: u32,
        /// CRC computed over the event bytes.
        computed: u32,
    },
    /// An event header or body could not be decoded.
    #[error("{file}: cannot decode event at offset {offset} (type 0x{event_type:02x}): {source}")]
    Decode {
        /// File being read.
        file: String,
        /// Event offset.
        offset: u64,
        /// Event type code.
        event_type: u8,
        /// What was wrong.
        #[source]
        source: DecodeError,
    },
    /// The binlog is encrypted (MariaDB START_ENCRYPTION event).
    #[error("{file}: encrypted binlog not supported (START_ENCRYPTION event at offset {offset})")]
    Encrypted {
        /// File being read.
        file: String,
        /// Event offset.
        offset: u64,
    },
    /// The first event is not a FORMAT_DESCRIPTION_EVENT (binlog v1/v3 or garbage).
    #[error("{file}: unsupported binlog: first event at offset {offset} has type 0x{event_type:02x}, expected a format description (binlog v4)")]
    NoFormatDescription {
        /// File being read.
        file: String,
        /// Event offset.
        offset: u64,
        /// Event type code found.
        event_type: u8,
    },
    /// A decoding thread of a [`ParallelReader`](crate::ParallelReader) went away
    /// without an answer (it never does unless the process is being torn down).
    #[error("a row decoding thread stopped without reporting its work")]
    WorkerLost,
    /// A directory or index file could not be turned into a list of binlogs.
    #[error("{path}: {reason}")]
    Listing {
        /// Directory or index path.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// An [`EventSource`](crate::EventSource) other than files failed, e.g. a
    /// replication stream lost its connection. The source's own error is kept
    /// so that its owner can tell a retryable failure from a final one.
    #[error("{name}: {source}")]
    Source {
        /// The source, as messages show it (never with a password).
        name: String,
        /// The source's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// What kind of non-fatal finding a [`Diagnostic`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// An INCIDENT event: the server says the binlog may be missing changes.
    Incident {
        /// Incident number (1 = LOST_EVENTS).
        incident: u16,
        /// Server message.
        message: String,
    },
    /// An event type this reader does not know; it was skipped.
    UnknownEvent {
        /// Event type code.
        event_type: u8,
    },
    /// A known event type that carries statement-format data this reader does
    /// not decode (old LOAD DATA events); changes may be missing.
    UndecodedEvent {
        /// Event type code.
        event_type: u8,
    },
    /// The file ends mid-event while the server still had it open.
    FileEndsMidEvent,
    /// A checksum mismatch downgraded to a warning by
    /// [`ReaderOptions::verify_checksums`](crate::ReaderOptions).
    ChecksumMismatch {
        /// Stored CRC.
        stored: u32,
        /// Computed CRC.
        computed: u32,
    },
    /// A rows event refers to a table id without a preceding TABLE_MAP.
    UnknownTableId {
        /// The table id.
        table_id: u64,
    },
    /// A transaction was still open when a new one started or the input
    /// ended; it is emitted as it is.
    UnterminatedTransaction,
}

/// A non-fatal finding, reported in the stream beside transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// File in which it was found.
    pub file: String,
    /// Byte offset of the event concerned.
    pub offset: u64,
    /// Machine-readable kind.
    pub kind: DiagnosticKind,
    /// Human-readable explanation.
    pub message: String,
}
