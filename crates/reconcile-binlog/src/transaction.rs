//! Transaction model and assembly: turns decoded events into
//! [`Transaction`]s, the unit a diff engine consumes.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Diagnostic, DiagnosticKind, Error};
use crate::event::{
    decode_event, event_type, inflate_mariadb_event, inflate_payload, ChecksumAlg, Event,
    EventHeader, Flavor, FormatDescription, HEADER_LEN, LOG_EVENT_BINLOG_IN_USE_F,
    LOG_EVENT_IGNORABLE_F,
};
use crate::gtid::{mariadb_flags, Gtid, GtidSet};
use crate::pipeline::{Consumer, Out, Runner};
use crate::rows::{Row, RowImage, RowOp, STMT_END_F};
use crate::select::{ReadStats, RowFilter, RowSelection, SkippedRows};
use crate::source::{EventSource, FileSource, SourceItem};
use crate::table_map::{decode_table_map, TableDescription};

/// Where a transaction lies in its file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePosition {
    /// File name as given to the source, shared by the transactions of a file
    /// (one allocation per file, not per transaction).
    pub file: Arc<str>,
    /// Offset of the first event (GTID or BEGIN).
    pub start: u64,
    /// Offset just past the last event (XID or COMMIT).
    pub end: u64,
}

/// One changed row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowChange {
    /// Index of the table's description in [`Transaction::tables`].
    pub table_index: usize,
    /// Database name (shared by the changes of a table).
    pub schema: Arc<str>,
    /// Table name (shared by the changes of a table).
    pub table: Arc<str>,
    /// Operation.
    pub op: RowOp,
    /// Before image (UPDATE, DELETE).
    pub before: Option<Row>,
    /// After image (INSERT, UPDATE).
    pub after: Option<Row>,
    /// Which columns the images carry.
    pub image: RowImage,
}

/// What kind of statement a [`Statement`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatementKind {
    /// CREATE / ALTER / DROP / RENAME / TRUNCATE / GRANT / REVOKE ...
    Ddl,
    /// Statement-format INSERT / UPDATE / DELETE / REPLACE / LOAD DATA: the
    /// changes are NOT available as rows.
    Dml,
    /// XA START / END / PREPARE / COMMIT / ROLLBACK.
    Xa,
    /// ROLLBACK (the rows before it touched non-transactional tables).
    Rollback,
    /// SAVEPOINT / ROLLBACK TO SAVEPOINT.
    Savepoint,
    /// ROWS_QUERY / ANNOTATE_ROWS: the SQL that produced the following rows.
    RowsQuery,
    /// Anything else.
    Other,
}

/// A statement logged in the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// SQL text (lossy UTF-8).
    pub text: String,
    /// Default database of the session, when known and not empty.
    pub schema: Option<String>,
    /// Classification.
    pub kind: StatementKind,
}

/// A committed transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// GTID, `None` for anonymous transactions and binlogs without GTIDs.
    pub gtid: Option<Gtid>,
    /// Server id from the first event's header.
    pub server_id: u32,
    /// Timestamp (seconds) from the first event's header.
    pub timestamp: u32,
    /// Position in the file.
    pub position: SourcePosition,
    /// Descriptions of the tables the changes refer to (by index).
    pub tables: Vec<Arc<TableDescription>>,
    /// Row changes in binlog order.
    pub changes: Vec<RowChange>,
    /// Statements (DDL, statement-format DML, originating SQL).
    pub statements: Vec<Statement>,
    /// Row changes a [`RowFilter`](crate::RowFilter) left undecoded, counted per
    /// table (empty without a row filter).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedRows>,
}

impl Transaction {
    /// The table description of a change.
    pub fn table_of(&self, change: &RowChange) -> Option<&TableDescription> {
        self.tables.get(change.table_index).map(|t| t.as_ref())
    }
}

/// Facts about one binlog file, needed e.g. to compute GTID sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// File name.
    pub file: String,
    /// Server flavor.
    pub flavor: Option<Flavor>,
    /// Server version from the (first) FORMAT_DESCRIPTION.
    pub server_version: Option<String>,
    /// Checksum algorithm.
    pub checksum: Option<ChecksumAlg>,
    /// The FORMAT_DESCRIPTION carried the in-use flag (file not closed).
    pub in_use: bool,
    /// MySQL PREVIOUS_GTIDS: GTIDs executed before this file.
    pub previous_gtids: Option<GtidSet>,
    /// MariaDB GTID_LIST: last GTID per domain before this file.
    pub gtid_list: Option<Vec<Gtid>>,
    /// MariaDB BINLOG_CHECKPOINT file names.
    pub checkpoints: Vec<String>,
    /// File named by a ROTATE at the end, if any.
    pub rotate_to: Option<String>,
}

impl FileFacts {
    /// Facts of a file of which nothing is known yet.
    pub(crate) fn named(file: &str) -> FileFacts {
        FileFacts {
            file: file.to_string(),
            flavor: None,
            server_version: None,
            checksum: None,
            in_use: false,
            previous_gtids: None,
            gtid_list: None,
            checkpoints: Vec::new(),
            rotate_to: None,
        }
    }

    /// Adds what a later part of the same file showed (the parts read in order).
    pub(crate) fn merge(&mut self, later: FileFacts) {
        if self.server_version.is_none() && later.server_version.is_some() {
            self.server_version = later.server_version;
            self.flavor = later.flavor;
            self.checksum = later.checksum;
            self.in_use = later.in_use;
        }
        if later.previous_gtids.is_some() {
            self.previous_gtids = later.previous_gtids;
        }
        if self.gtid_list.is_none() {
            self.gtid_list = later.gtid_list;
        }
        self.checkpoints.extend(later.checkpoints);
        if later.rotate_to.is_some() {
            self.rotate_to = later.rotate_to;
        }
    }
}

/// What to do on a checksum mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumPolicy {
    /// Fail with [`Error::ChecksumMismatch`] (default).
    Error,
    /// Report a [`Diagnostic`] and go on.
    Warn,
    /// Do not verify.
    Skip,
}

/// Predicate `(schema, table) -> wanted` for row events.
pub type TableFilter = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// Reader settings.
#[derive(Clone)]
pub struct ReaderOptions {
    /// Checksum verification policy.
    pub verify_checksums: ChecksumPolicy,
    /// Row events of tables the filter rejects are skipped without decoding.
    pub table_filter: Option<TableFilter>,
    /// Upper bound for decompressed TRANSACTION_PAYLOAD / MariaDB compressed
    /// events (default 1 GiB).
    pub max_inflated_size: usize,
    /// How the rows of the tables the table filter accepts are read (all decoded
    /// when `None`).
    pub row_filter: Option<Arc<dyn RowFilter>>,
    /// Whether ROWS_QUERY / ANNOTATE_ROWS statements keep their SQL text (the
    /// default). Without it they are still listed, with empty text: a reader
    /// that never shows them saves converting every one.
    pub rows_query_text: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            verify_checksums: ChecksumPolicy::Error,
            table_filter: None,
            max_inflated_size: 1 << 30,
            row_filter: None,
            rows_query_text: true,
        }
    }
}

impl std::fmt::Debug for ReaderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderOptions")
            .field("verify_checksums", &self.verify_checksums)
            .field("table_filter", &self.table_filter.is_some())
            .field("max_inflated_size", &self.max_inflated_size)
            .field("row_filter", &self.row_filter)
            .field("rows_query_text", &self.rows_query_text)
            .finish()
    }
}

impl ReaderOptions {
    /// Sets a table filter.
    pub fn with_table_filter(
        mut self,
        f: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.table_filter = Some(Arc::new(f));
        self
    }

    /// Sets a row filter.
    pub fn with_row_filter(mut self, f: Arc<dyn RowFilter>) -> Self {
        self.row_filter = Some(f);
        self
    }

    /// Lists ROWS_QUERY / ANNOTATE_ROWS statements with empty text.
    pub fn without_rows_query_text(mut self) -> Self {
        self.rows_query_text = false;
        self
    }
}

/// One item of the reader's output stream.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadItem {
    /// A committed transaction.
    Transaction(Transaction),
    /// A non-fatal finding (incident, unknown event, file still being written ...).
    Diagnostic(Diagnostic),
}

struct Builder {
    gtid: Option<Gtid>,
    server_id: u32,
    timestamp: u32,
    start: u64,
    end: u64,
    /// Inside BEGIN ... COMMIT (or a MariaDB non-standalone GTID group).
    began: bool,
    /// Started by a rows event without BEGIN; ends at STMT_END_F.
    implicit: bool,
    tables: Vec<Arc<TableDescription>>,
    statements: Vec<Statement>,
    /// A rows event of a wanted table was handed on for decoding.
    rows_events: bool,
    /// One of them has row images (so it yields rows, or fails to decode).
    has_rows: bool,
}

impl Builder {
    fn new(gtid: Option<Gtid>, h: &EventHeader, offset: u64) -> Self {
        Builder {
            gtid,
            server_id: h.server_id,
            timestamp: h.timestamp,
            start: offset,
            end: offset,
            began: false,
            implicit: false,
            tables: Vec::new(),
            statements: Vec::new(),
            rows_events: false,
            has_rows: false,
        }
    }

    fn is_empty(&self) -> bool {
        !self.has_rows && self.statements.is_empty()
    }

    fn table_index(&mut self, t: &Arc<TableDescription>) -> usize {
        if let Some(i) = self.tables.iter().position(|x| Arc::ptr_eq(x, t)) {
            return i;
        }
        self.tables.push(Arc::clone(t));
        self.tables.len() - 1
    }
}

struct CachedTable {
    raw: Vec<u8>,
    desc: Arc<TableDescription>,
    wanted: bool,
    selection: RowSelection,
    /// Mapped before the current transaction began: a rows event may not use it
    /// until a TABLE_MAP maps it again (servers map every table in each
    /// transaction, as a replica applying from any transaction needs). Keeping
    /// the decoded description makes that TABLE_MAP cheap, and the rule makes each
    /// transaction readable on its own, which parallel framing relies on.
    stale: bool,
}

/// One rows event of the open transaction, waiting to be decoded.
#[derive(Debug)]
pub(crate) struct RowsWork {
    pub file: Arc<str>,
    pub offset: u64,
    pub event_type: u8,
    /// The event (header and body, no checksum, inflated) in the batch's arena,
    /// or, `in_source`, in the data the source read it from (a chunk).
    pub range: std::ops::Range<usize>,
    /// `range` is in the source's data (see [`Framer::step_at`]), not the arena.
    pub in_source: bool,
    pub fde: Arc<FormatDescription>,
    pub table: Arc<TableDescription>,
    pub table_index: usize,
    pub selection: RowSelection,
}

/// What a dropped transaction's diagnostic needs.
#[derive(Debug)]
pub(crate) struct DropInfo {
    pub file: Arc<str>,
    pub offset: u64,
    pub why: &'static str,
    pub start: u64,
    pub gtid: Option<Gtid>,
    pub statements: usize,
}

impl DropInfo {
    /// The diagnostic, when the transaction had rows or statements.
    pub fn diagnostic(&self, changes: usize, skipped: u64) -> Option<Diagnostic> {
        if changes == 0 && skipped == 0 && self.statements == 0 {
            return None;
        }
        let message = format!(
            "transaction starting at offset {} ({}) has no commit {}; its {} row changes and {} statements are dropped",
            self.start,
            self.gtid.as_ref().map(|g| g.to_string()).unwrap_or_else(|| "no GTID".into()),
            self.why,
            changes,
            self.statements
        );
        tracing::debug!(file = %self.file, offset = self.offset, %message, "binlog diagnostic");
        Some(Diagnostic {
            file: self.file.to_string(),
            offset: self.offset,
            kind: DiagnosticKind::UnterminatedTransaction,
            message,
        })
    }
}

/// The reader's output before row images are decoded, in binlog order.
#[derive(Debug)]
pub(crate) enum Piece {
    /// A diagnostic, ready as it is.
    Item(ReadItem),
    /// Rows of the open transaction.
    Rows(RowsWork),
    /// The open transaction committed: this is it without its row changes.
    Commit(Box<Transaction>),
    /// The open transaction was dropped.
    Drop(DropInfo),
    /// Reading stops here.
    Error(Error),
}

/// Pieces handed on together (to a worker thread, or decoded in place), with the
/// bytes of their rows events.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub arena: Vec<u8>,
    /// Each piece, and whether it is the last of the source event that produced it
    /// (an error in a later piece of the same event discards the earlier ones).
    pub pieces: Vec<(Piece, bool)>,
    /// Rows of the transaction open at the start were handed on in earlier batches.
    pub continues: bool,
}

/// Turns events into pieces: everything the reader does except decoding row
/// images, in binlog order.
pub(crate) struct Framer {
    opts: ReaderOptions,
    file: Arc<str>,
    fde: Option<Arc<FormatDescription>>,
    tables: HashMap<u64, CachedTable>,
    cur: Option<Builder>,
    files: Vec<FileFacts>,
    events: u64,
    batch: Batch,
    /// Rows of the open transaction are in batches already handed on.
    rows_handed_on: bool,
    /// Rows of the open transaction are in the batch being filled.
    rows_in_batch: bool,
    done: bool,
    /// Whether the end of the source is the end of the input (an open transaction
    /// is then dropped), or only the end of a chunk of it.
    end_of_input: bool,
}

fn classify(text: &str) -> StatementKind {
    let mut t = text.trim_start();
    // skip leading /* ... */ comments
    while let Some(rest) = t.strip_prefix("/*") {
        match rest.find("*/") {
            Some(i) => t = rest.get(i + 2..).unwrap_or("").trim_start(),
            None => break,
        }
    }
    let word: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    match word.as_str() {
        "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" | "GRANT" | "REVOKE" | "ANALYZE"
        | "OPTIMIZE" | "REPAIR" | "FLUSH" => StatementKind::Ddl,
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD" => StatementKind::Dml,
        "XA" => StatementKind::Xa,
        "SAVEPOINT" => StatementKind::Savepoint,
        "ROLLBACK" if t.to_ascii_uppercase().contains(" TO ") => StatementKind::Savepoint,
        "ROLLBACK" => StatementKind::Rollback,
        _ => StatementKind::Other,
    }
}

fn is_word(text: &str, w: &str) -> bool {
    text.trim()
        .trim_end_matches(';')
        .trim()
        .eq_ignore_ascii_case(w)
}

impl Framer {
    pub(crate) fn new(opts: ReaderOptions) -> Self {
        Framer {
            opts,
            file: Arc::from(""),
            fde: None,
            tables: HashMap::new(),
            cur: None,
            files: Vec::new(),
            events: 0,
            batch: Batch::default(),
            rows_handed_on: false,
            rows_in_batch: false,
            done: false,
            end_of_input: true,
        }
    }

    /// A framer that goes on at a transaction boundary of `file` (a chunk of the
    /// input; see [`ParallelReader`](crate::ParallelReader)), in the state a framer
    /// that read everything before has there: no transaction open and no table
    /// usable, `fde` in force, and the facts of `file` so far held elsewhere
    /// (`mid_file`: this framer's first facts entry continues them).
    /// `end_of_input`: whether the chunk ends the input.
    pub(crate) fn resume(
        opts: ReaderOptions,
        file: Option<(Arc<str>, Option<Arc<FormatDescription>>)>,
        end_of_input: bool,
    ) -> Self {
        let mut framer = Framer::new(opts);
        framer.end_of_input = end_of_input;
        if let Some((file, fde)) = file {
            framer.files.push(FileFacts::named(&file));
            // Own copies: every rows event takes a reference to both, and
            // counting references to one shared value from several workers
            // makes its cache line bounce between their cores.
            framer.file = Arc::from(&*file);
            framer.fde = fde.map(|fde| Arc::new((*fde).clone()));
        }
        framer
    }

    pub(crate) fn options(&self) -> &ReaderOptions {
        &self.opts
    }

    /// The file being read and the format description in force, once a file
    /// started.
    pub(crate) fn position(&self) -> Option<(Arc<str>, Option<Arc<FormatDescription>>)> {
        (!self.files.is_empty()).then(|| (Arc::clone(&self.file), self.fde.clone()))
    }

    /// Frames the event the next chunk starts with (a GTID event), only for what
    /// it does to the open transaction: a sequential reader drops it there. Its
    /// other pieces, and its error if it has one, are the next chunk's; the
    /// transaction it begins is forgotten.
    pub(crate) fn lookahead(&mut self, bytes: &[u8], offset: u64) {
        if self
            .batch
            .pieces
            .last()
            .is_some_and(|(p, _)| matches!(p, Piece::Error(_)))
        {
            return;
        }
        let mark = self.batch.pieces.len();
        let ok = self.raw_event(bytes, offset, None).is_ok();
        let tail = self.batch.pieces.split_off(mark);
        if ok {
            self.batch.pieces.extend(
                tail.into_iter()
                    .filter(|(p, _)| matches!(p, Piece::Drop(_))),
            );
            if self.batch.pieces.len() > mark {
                if let Some(last) = self.batch.pieces.last_mut() {
                    last.1 = true;
                }
            }
        }
        self.cur = None;
    }

    /// Marks every mapped table stale: a transaction ends or begins.
    fn stale_tables(&mut self) {
        for t in self.tables.values_mut() {
            t.stale = true;
        }
    }

    /// The facts gathered, leaving none.
    pub(crate) fn take_files(&mut self) -> Vec<FileFacts> {
        std::mem::take(&mut self.files)
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Bytes and pieces in the batch being filled.
    pub(crate) fn batch_size(&self) -> (usize, usize) {
        (self.batch.arena.len(), self.batch.pieces.len())
    }

    /// The batch filled so far; the next one starts empty, its rows events going to
    /// `arena` and its pieces to `pieces` (empty buffers, reused to spare
    /// allocations).
    pub(crate) fn take_batch(
        &mut self,
        mut arena: Vec<u8>,
        mut pieces: Vec<(Piece, bool)>,
    ) -> Batch {
        if self.rows_in_batch {
            self.rows_handed_on = true;
            self.rows_in_batch = false;
        }
        arena.clear();
        pieces.clear();
        let next = Batch {
            continues: self.rows_handed_on,
            arena,
            pieces,
        };
        std::mem::replace(&mut self.batch, next)
    }

    /// Reads one item of the source into pieces. After the end of the input or an
    /// error (which becomes the last piece) it does nothing.
    pub(crate) fn step<S: EventSource + ?Sized>(&mut self, source: &mut S) {
        self.step_at(source, None);
    }

    /// [`step`](Self::step), for a source whose next event starts at `at` in data
    /// that outlives the batch (its rows events are not copied: see
    /// [`RowsWork::in_source`]).
    pub(crate) fn step_at<S: EventSource + ?Sized>(&mut self, source: &mut S, at: Option<usize>) {
        if self.done {
            return;
        }
        let mark = self.batch.pieces.len();
        let result = match source.next_item() {
            Ok(None) => {
                if self.end_of_input {
                    self.end_input();
                }
                self.done = true;
                Ok(())
            }
            Ok(Some(SourceItem::FileStart { file })) => {
                let name = file.to_string();
                self.start_file(&name);
                Ok(())
            }
            Ok(Some(SourceItem::Diagnostic(d))) => {
                self.push(Piece::Item(ReadItem::Diagnostic(d)));
                Ok(())
            }
            Ok(Some(SourceItem::Event { bytes, offset })) => self.raw_event(bytes, offset, at),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                if self.batch.pieces.len() > mark {
                    if let Some(last) = self.batch.pieces.last_mut() {
                        last.1 = true;
                    }
                }
            }
            Err(e) => {
                // what the failing event produced is not reported
                self.batch.pieces.truncate(mark);
                self.batch.pieces.push((Piece::Error(e), true));
                self.done = true;
            }
        }
    }

    fn push(&mut self, piece: Piece) {
        match &piece {
            Piece::Rows(_) => self.rows_in_batch = true,
            Piece::Commit(_) | Piece::Drop(_) => {
                self.rows_in_batch = false;
                self.rows_handed_on = false;
            }
            Piece::Item(_) | Piece::Error(_) => {}
        }
        self.batch.pieces.push((piece, false));
    }

    fn diag(&mut self, offset: u64, kind: DiagnosticKind, message: String) {
        tracing::debug!(file = %self.file, offset, %message, "binlog diagnostic");
        self.push(Piece::Item(ReadItem::Diagnostic(Diagnostic {
            file: self.file.to_string(),
            offset,
            kind,
            message,
        })));
    }

    fn facts(&mut self) -> Option<&mut FileFacts> {
        self.files.last_mut()
    }

    fn drop_open(&mut self, offset: u64, why: &'static str) {
        if let Some(b) = self.cur.take() {
            if b.rows_events || !b.statements.is_empty() {
                self.push(Piece::Drop(DropInfo {
                    file: Arc::clone(&self.file),
                    offset,
                    why,
                    start: b.start,
                    gtid: b.gtid,
                    statements: b.statements.len(),
                }));
            }
        }
    }

    fn finish(&mut self, end: u64) {
        if let Some(b) = self.cur.take() {
            self.push(Piece::Commit(Box::new(Transaction {
                gtid: b.gtid,
                server_id: b.server_id,
                timestamp: b.timestamp,
                position: SourcePosition {
                    file: Arc::clone(&self.file),
                    start: b.start,
                    end: end.max(b.end),
                },
                tables: b.tables,
                changes: Vec::new(),
                statements: b.statements,
                skipped: Vec::new(),
            })));
        }
    }

    fn start_file(&mut self, name: &str) {
        self.drop_open(0, "before the end of the previous file");
        self.file = Arc::from(name);
        self.fde = None;
        self.tables.clear();
        self.files.push(FileFacts::named(name));
    }

    fn end_input(&mut self) {
        self.drop_open(0, "at the end of the input");
    }

    fn decode_err(&self, offset: u64, event_type: u8, source: DecodeError) -> Error {
        Error::Decode {
            file: self.file.to_string(),
            offset,
            event_type,
            source,
        }
    }

    /// Handles one raw event from the source (with checksum). `at`: where it lies
    /// in data that outlives the batch (see [`step_at`](Self::step_at)).
    fn raw_event(&mut self, bytes: &[u8], offset: u64, at: Option<usize>) -> Result<(), Error> {
        self.events += 1;
        let header = EventHeader::parse(bytes).map_err(|e| self.decode_err(offset, 0, e))?;
        let t = header.type_code;
        if t == event_type::FORMAT_DESCRIPTION {
            let fde =
                FormatDescription::decode(bytes).map_err(|e| self.decode_err(offset, t, e))?;
            if fde.checksum == ChecksumAlg::Crc32 {
                self.verify_fde_crc(bytes, offset)?;
            }
            if let Some(f) = self.files.last_mut() {
                if f.server_version.is_none() {
                    f.server_version = Some(fde.server_version.clone());
                    f.flavor = Some(fde.flavor);
                    f.checksum = Some(fde.checksum);
                    f.in_use = header.flags & LOG_EVENT_BINLOG_IN_USE_F != 0;
                }
            }
            self.fde = Some(Arc::new(fde));
            return Ok(());
        }
        let Some(crc_len) = self.fde.as_ref().map(|f| f.checksum_len()) else {
            return Err(Error::NoFormatDescription {
                file: self.file.to_string(),
                offset,
                event_type: t,
            });
        };
        let body_len = bytes.len().saturating_sub(crc_len);
        if body_len < HEADER_LEN {
            return Err(self.decode_err(
                offset,
                t,
                DecodeError::new(0, format!("event of {} bytes is too short", bytes.len())),
            ));
        }
        if crc_len == 4 && self.opts.verify_checksums != ChecksumPolicy::Skip {
            let (data, tail) = bytes.split_at(body_len);
            let stored = u32::from_le_bytes(tail.try_into().unwrap_or([0; 4]));
            let computed = crc32fast::hash(data);
            if stored != computed {
                self.checksum_mismatch(offset, t, stored, computed)?;
            }
        }
        let event = bytes.get(..body_len).unwrap_or(bytes);
        if (event_type::MARIA_QUERY_COMPRESSED..=event_type::MARIA_DELETE_ROWS_COMPRESSED)
            .contains(&t)
        {
            let inflated = match self.fde.as_ref() {
                Some(fde) => inflate_mariadb_event(event, fde, self.opts.max_inflated_size)
                    .map_err(|e| self.decode_err(offset, t, e))?,
                None => return Ok(()),
            };
            // not the source's bytes
            return self.event(&inflated, offset, offset + bytes.len() as u64, 0, None);
        }
        self.event(event, offset, offset + bytes.len() as u64, 0, at)
    }

    fn verify_fde_crc(&mut self, bytes: &[u8], offset: u64) -> Result<(), Error> {
        if self.opts.verify_checksums == ChecksumPolicy::Skip || bytes.len() < HEADER_LEN + 4 {
            return Ok(());
        }
        let (data, tail) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes(tail.try_into().unwrap_or([0; 4]));
        let computed = crc32fast::hash(data);
        if stored == computed {
            return Ok(());
        }
        // the server computes the FDE checksum before it sets the in-use flag
        let mut cleared = data.to_vec();
        if let Some(f) = cleared.get_mut(17) {
            *f &= !(LOG_EVENT_BINLOG_IN_USE_F as u8);
        }
        if crc32fast::hash(&cleared) == stored {
            return Ok(());
        }
        self.checksum_mismatch(offset, event_type::FORMAT_DESCRIPTION, stored, computed)
    }

    fn checksum_mismatch(
        &mut self,
        offset: u64,
        t: u8,
        stored: u32,
        computed: u32,
    ) -> Result<(), Error> {
        match self.opts.verify_checksums {
            ChecksumPolicy::Error => Err(Error::ChecksumMismatch {
                file: self.file.to_string(),
                offset,
                event_type: t,
                stored,
                computed,
            }),
            _ => {
                self.diag(
                    offset,
                    DiagnosticKind::ChecksumMismatch { stored, computed },
                    format!("checksum mismatch in event type 0x{t:02x}: stored {stored:08x}, computed {computed:08x}"),
                );
                Ok(())
            }
        }
    }

    /// Handles one event without checksum. `depth` > 0 inside a payload. `at`:
    /// where the event lies in the source's data, when these are the source's
    /// bytes and they outlive the batch (its rows are then decoded there).
    fn event(
        &mut self,
        event: &[u8],
        offset: u64,
        end: u64,
        depth: u8,
        at: Option<usize>,
    ) -> Result<(), Error> {
        let header = EventHeader::parse(event).map_err(|e| self.decode_err(offset, 0, e))?;
        let t = header.type_code;
        let Some(fde) = self.fde.as_deref() else {
            return Err(Error::NoFormatDescription {
                file: self.file.to_string(),
                offset,
                event_type: t,
            });
        };
        let ev = decode_event(event, fde).map_err(|e| self.decode_err(offset, t, e))?;
        match ev {
            Event::FormatDescription(f) => self.fde = Some(Arc::new(f)),
            Event::Rotate { next_file, .. } => {
                // fake rotates (timestamp 0) at the start of relay logs name the source's file
                if header.timestamp != 0 || header.log_pos != 0 {
                    if let Some(f) = self.facts() {
                        f.rotate_to = Some(next_file);
                    }
                }
            }
            Event::MysqlGtid(g) => {
                self.drop_open(offset, "before the next GTID");
                self.stale_tables();
                self.cur = Some(Builder::new(g.gtid, &header, offset));
            }
            Event::MariadbGtid(g) => {
                self.drop_open(offset, "before the next GTID");
                self.stale_tables();
                let mut b = Builder::new(Some(g.gtid), &header, offset);
                b.began = g.flags & mariadb_flags::STANDALONE == 0;
                self.cur = Some(b);
            }
            Event::Query(q) => self.query(q, &header, offset, end),
            Event::Xid(_) => {
                if self.cur.is_some() {
                    self.finish(end);
                }
                self.stale_tables();
            }
            Event::XaPrepare { .. } => {
                if let Some(b) = self.cur.as_mut() {
                    b.statements.push(Statement {
                        text: "XA PREPARE".into(),
                        schema: None,
                        kind: StatementKind::Xa,
                    });
                    self.finish(end);
                }
            }
            Event::TableMap {
                table_id,
                rest,
                rest_at,
            } => {
                if let Some(c) = self.tables.get_mut(&table_id) {
                    if c.raw == rest {
                        c.stale = false;
                        return Ok(());
                    }
                }
                let desc = decode_table_map(table_id, rest, rest_at).map_err(|e| self.decode_err(offset, t, e))?;
                let wanted = match &self.opts.table_filter {
                    Some(f) => f(&desc.schema, &desc.table),
                    None => true,
                };
                let selection = match &self.opts.row_filter {
                    Some(f) if wanted => f.select(&desc),
                    _ => RowSelection::All,
                };
                self.tables.insert(
                    table_id,
                    CachedTable {
                        raw: rest.to_vec(),
                        desc: Arc::new(desc),
                        wanted,
                        selection,
                        stale: false,
                    },
                );
            }
            Event::Rows(raw) => {
                let Some(cached) = self.tables.get(&raw.table_id).filter(|c| !c.stale) else {
                    self.diag(
                        offset,
                        DiagnosticKind::UnknownTableId {
                            table_id: raw.table_id,
                        },
                        format!("rows event for table id {} without a TABLE_MAP; skipped", raw.table_id),
                    );
                    return Ok(());
                };
                // what decoding the rows takes (the format description too: the
                // event is decoded again where its rows are read)
                let work = match (cached.wanted, &self.fde) {
                    (true, Some(fde)) => Some((
                        Arc::clone(&cached.desc),
                        cached.selection.clone(),
                        Arc::clone(fde),
                    )),
                    _ => None,
                };
                if self.cur.is_none() {
                    let mut b = Builder::new(None, &header, offset);
                    b.began = true;
                    b.implicit = true;
                    self.cur = Some(b);
                }
                if let Some((desc, selection, fde)) = work {
                    let has_rows = !raw.body.is_empty();
                    let table_index = match self.cur.as_mut() {
                        Some(b) => {
                            b.rows_events = true;
                            b.has_rows |= has_rows;
                            b.table_index(&desc)
                        }
                        None => 0,
                    };
                    // the event as read (the checksum is at its end), or a copy
                    let range = match at {
                        Some(at) => at..at + event.len(),
                        None => {
                            let at = self.batch.arena.len();
                            self.batch.arena.extend_from_slice(event);
                            at..self.batch.arena.len()
                        }
                    };
                    self.push(Piece::Rows(RowsWork {
                        file: Arc::clone(&self.file),
                        offset,
                        event_type: t,
                        range,
                        in_source: at.is_some(),
                        fde,
                        table: desc,
                        table_index,
                        selection,
                    }));
                }
                if let Some(b) = self.cur.as_mut() {
                    b.end = end;
                    if b.implicit && raw.flags & STMT_END_F != 0 {
                        self.finish(end);
                    }
                }
            }
            Event::RowsQuery(text) => {
                if self.cur.is_none() {
                    let mut b = Builder::new(None, &header, offset);
                    b.began = true;
                    b.implicit = true;
                    self.cur = Some(b);
                }
                let text = if self.opts.rows_query_text {
                    String::from_utf8_lossy(text).into_owned()
                } else {
                    String::new()
                };
                if let Some(b) = self.cur.as_mut() {
                    b.statements.push(Statement {
                        text,
                        schema: None,
                        kind: StatementKind::RowsQuery,
                    });
                }
            }
            Event::PreviousGtids(set) => {
                if let Some(f) = self.facts() {
                    f.previous_gtids = Some(set);
                }
            }
            Event::MariadbGtidList(list) => {
                if let Some(f) = self.facts() {
                    if f.gtid_list.is_none() {
                        f.gtid_list = Some(list);
                    }
                }
            }
            Event::BinlogCheckpoint(name) => {
                if let Some(f) = self.facts() {
                    f.checkpoints.push(name);
                }
            }
            Event::TransactionPayload {
                compression,
                uncompressed_size,
                payload,
            } => {
                if depth > 0 {
                    return Err(self.decode_err(offset, t, DecodeError::new(0, "nested TRANSACTION_PAYLOAD")));
                }
                let data = inflate_payload(compression, payload, uncompressed_size, self.opts.max_inflated_size)
                    .map_err(|e| self.decode_err(offset, t, DecodeError::new(HEADER_LEN, e)))?;
                self.payload_events(&data, offset, end)?;
            }
            Event::Incident { incident, message } => self.diag(
                offset,
                DiagnosticKind::Incident {
                    incident,
                    message: message.clone(),
                },
                format!("INCIDENT {incident}: {message}; the binlog may be missing changes"),
            ),
            Event::StartEncryption => {
                return Err(Error::Encrypted {
                    file: self.file.to_string(),
                    offset,
                })
            }
            Event::Other { type_code } => {
                tracing::debug!(file = %self.file, offset, type_code, "event needs no action");
            }
            Event::Undecoded { type_code } => self.diag(
                offset,
                DiagnosticKind::UndecodedEvent { event_type: type_code },
                format!("event type 0x{type_code:02x} (old LOAD DATA / v3) is not decoded; changes may be missing"),
            ),
            Event::Unknown { type_code } => {
                if header.flags & LOG_EVENT_IGNORABLE_F != 0 {
                    tracing::debug!(file = %self.file, offset, type_code, "skipping unknown ignorable event");
                } else {
                    self.diag(
                        offset,
                        DiagnosticKind::UnknownEvent { event_type: type_code },
                        format!("unknown event type 0x{type_code:02x} skipped"),
                    );
                }
            }
        }
        Ok(())
    }

    fn payload_events(&mut self, data: &[u8], offset: u64, end: u64) -> Result<(), Error> {
        let mut pos = 0usize;
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            let h = EventHeader::parse(rest).map_err(|e| {
                self.decode_err(
                    offset,
                    event_type::TRANSACTION_PAYLOAD,
                    DecodeError::new(pos, format!("embedded event: {}", e.reason)),
                )
            })?;
            let size = h.event_size as usize;
            let inner = rest
                .get(..size)
                .filter(|_| size >= HEADER_LEN)
                .ok_or_else(|| {
                    self.decode_err(
                        offset,
                        event_type::TRANSACTION_PAYLOAD,
                        DecodeError::new(
                            pos,
                            format!("embedded event of {size} bytes does not fit the payload"),
                        ),
                    )
                })?;
            // embedded events carry no checksum of their own
            self.event(inner, offset, end, 1, None)?;
            pos += size;
        }
        Ok(())
    }

    fn query(&mut self, q: crate::event::QueryEvent, header: &EventHeader, offset: u64, end: u64) {
        let text = q.query;
        let schema = if q.schema.is_empty() {
            None
        } else {
            Some(q.schema)
        };
        if is_word(&text, "BEGIN") {
            match self.cur.as_mut() {
                // GTID (MySQL, or MariaDB which may also log BEGIN) then BEGIN
                Some(b) if !b.began || b.is_empty() => b.began = true,
                Some(_) => {
                    self.drop_open(offset, "before the next BEGIN");
                    let mut b = Builder::new(None, header, offset);
                    b.began = true;
                    self.cur = Some(b);
                }
                None => {
                    let mut b = Builder::new(None, header, offset);
                    b.began = true;
                    self.cur = Some(b);
                }
            }
            return;
        }
        if is_word(&text, "COMMIT") {
            if self.cur.is_some() {
                self.finish(end);
            }
            self.stale_tables();
            return;
        }
        let kind = classify(&text);
        let upper_start: String = text
            .trim_start()
            .chars()
            .take(12)
            .collect::<String>()
            .to_ascii_uppercase();
        let stmt = Statement { text, schema, kind };
        if kind == StatementKind::Xa && upper_start.starts_with("XA START") {
            if self.cur.as_ref().is_some_and(|b| b.began) {
                self.drop_open(offset, "before XA START");
            }
            let b = self
                .cur
                .get_or_insert_with(|| Builder::new(None, header, offset));
            b.began = true;
            b.statements.push(stmt);
            return;
        }
        match self.cur.as_mut() {
            Some(b) if b.began => {
                b.statements.push(stmt);
                b.end = end;
                if kind == StatementKind::Rollback {
                    self.finish(end);
                }
            }
            Some(b) => {
                // GTID followed by a single statement (DDL, MariaDB standalone)
                b.statements.push(stmt);
                self.finish(end);
            }
            None => {
                let mut b = Builder::new(None, header, offset);
                b.statements.push(stmt);
                self.cur = Some(b);
                self.finish(end);
            }
        }
    }
}

/// Reads binlog events from an [`EventSource`] and yields transactions and
/// diagnostics. After an error the iterator ends.
///
/// Row images are decoded on the calling thread; [`ParallelReader`](crate::ParallelReader)
/// decodes them on worker threads and yields the same items.
pub struct BinlogReader<S: EventSource = FileSource> {
    source: S,
    framer: Framer,
    runner: Runner,
    queue: VecDeque<Out<ReadItem>>,
    consumer: Consumer,
    /// The rows buffer of the last batch, for the next.
    arena: Vec<u8>,
    finished: bool,
}

impl<S: EventSource> std::fmt::Debug for BinlogReader<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinlogReader")
            .field("file", &self.framer.file)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<S: EventSource> BinlogReader<S> {
    /// A reader over any event source.
    pub fn new(source: S, opts: ReaderOptions) -> Self {
        BinlogReader {
            source,
            framer: Framer::new(opts),
            runner: Runner::default(),
            queue: VecDeque::new(),
            consumer: Consumer::default(),
            arena: Vec::new(),
            finished: false,
        }
    }

    /// Facts of the files read so far (the last one may still be in progress).
    pub fn files(&self) -> &[FileFacts] {
        &self.framer.files
    }

    /// Number of events read from the source so far (events embedded in a
    /// TRANSACTION_PAYLOAD are not counted).
    pub fn events_read(&self) -> u64 {
        self.framer.events
    }

    /// The format description in force, if any.
    pub fn format_description(&self) -> Option<&FormatDescription> {
        self.framer.fde.as_deref()
    }

    /// What was decoded so far.
    pub fn stats(&self) -> ReadStats {
        self.runner.stats
    }

    /// The same reading with row images decoded on `workers` threads (at least
    /// one): the items, in the same order, each passed through `map` on a worker.
    pub fn parallel<T, F>(self, workers: usize, map: F) -> crate::ParallelReader<T, S>
    where
        S: Send + 'static,
        T: Send + 'static,
        F: Fn(ReadItem) -> T + Send + Sync + 'static,
    {
        crate::ParallelReader::new(self.source, self.framer, workers, map)
    }
}

impl BinlogReader<FileSource> {
    /// Reads one file.
    pub fn open(path: impl Into<std::path::PathBuf>, opts: ReaderOptions) -> Self {
        Self::new(FileSource::open(path), opts)
    }

    /// Reads a directory of binlogs (see [`FileSource::from_dir`]).
    pub fn open_dir(dir: impl AsRef<std::path::Path>, opts: ReaderOptions) -> Result<Self, Error> {
        Ok(Self::new(FileSource::from_dir(dir)?, opts))
    }
}

impl<S: EventSource> Iterator for BinlogReader<S> {
    type Item = Result<ReadItem, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let identity = |item: ReadItem| item;
        loop {
            if let Some(out) = self.queue.pop_front() {
                if let Some(item) = self.consumer.take(out, &identity) {
                    if item.is_err() {
                        self.finished = true;
                        self.queue.clear();
                    }
                    return Some(item);
                }
                continue;
            }
            if self.finished {
                return None;
            }
            if self.framer.is_done() && self.framer.batch_size().1 == 0 {
                self.finished = true;
                continue;
            }
            // one source item at a time: items come out as soon as they are complete
            self.framer.step(&mut self.source);
            if self.framer.batch_size().1 > 0 {
                let batch = self
                    .framer
                    .take_batch(std::mem::take(&mut self.arena), self.runner.spare_pieces());
                let (outs, arena) = self.runner.run(batch, &[], &identity);
                self.queue.extend(outs);
                self.arena = arena;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_classification() {
        assert_eq!(classify("CREATE TABLE t (a int)"), StatementKind::Ddl);
        assert_eq!(
            classify("/* x */ insert into t values (1)"),
            StatementKind::Dml
        );
        assert_eq!(classify("XA START 'x'"), StatementKind::Xa);
        assert_eq!(
            classify("ROLLBACK TO SAVEPOINT a"),
            StatementKind::Savepoint
        );
        assert_eq!(classify("ROLLBACK"), StatementKind::Rollback);
        assert_eq!(classify("SET @a=1"), StatementKind::Other);
        assert!(is_word(" begin ", "BEGIN"));
    }
}
