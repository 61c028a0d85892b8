//! The binlog stream: [`LiveSource`] turns one replication connection into raw
//! events for the reader; [`LiveReader`] stops at the end position read at
//! start and survives lost connections without ever yielding a partial
//! transaction.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use mysql_async::binlog::events::Event as StreamEvent;
use mysql_async::prelude::Queryable;
use mysql_async::BinlogStreamRequest;
use reconcile_binlog::event::event_type;
use reconcile_binlog::{
    payload_event_count, BinlogReader, Error as ReadError, EventSource, FileFacts,
    FormatDescription, ReadItem, ReaderOptions, SourceItem,
};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::connector::Connector;
use crate::error::{server_code, LiveError};
use crate::server::{binlog_list, BinlogFile, BinlogPosition, Query, ServerFacts, ServerFlavor};

/// The event header's "artificial" flag: events the server makes up for the
/// stream (the first ROTATE, MariaDB's GTID_LIST at a GTID start), which are
/// not in the file.
const LOG_EVENT_ARTIFICIAL_F: u16 = 0x20;
/// Length of the v4 common event header.
const HEADER_LEN: usize = 19;
/// Events buffered between the network task and the reader.
const CHANNEL_DEPTH: usize = 512;

/// How to stream.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// The `server_id` this client registers with, as a replica does. It must
    /// differ from every real replica's: a server drops the older of two
    /// connections that share one.
    pub replica_server_id: u32,
    /// How many times a lost stream is reconnected in a row before giving up.
    pub retries: u32,
    /// Wait before the first reconnection; it doubles on each further try.
    pub backoff: Duration,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            replica_server_id: default_replica_server_id(),
            retries: 5,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A replica `server_id` unlikely to clash with a real one: in the top
/// quarter of the range, varied by process id.
pub fn default_replica_server_id() -> u32 {
    0xC000_0000 | (std::process::id() & 0x3fff_ffff)
}

/// What the network task sends.
enum Msg {
    Event(Box<StreamEvent>),
    Failed(mysql_async::Error),
    End,
}

/// One replication connection, as raw events for
/// [`BinlogReader`](reconcile_binlog::BinlogReader): from a start position up
/// to a stop position (or, without one, following the binlog as it grows).
#[derive(Debug)]
pub struct LiveSource {
    rt: Arc<Runtime>,
    label: String,
    events: mpsc::Receiver<Msg>,
    checksum: bool,
    stop: Option<BinlogPosition>,
    start: BinlogPosition,
    oldest: String,
    file: String,
    announce: Option<String>,
    buf: Vec<u8>,
    fde: Option<FormatDescription>,
    skip_embedded: usize,
    done: bool,
    max_inflated_size: usize,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Event(_) => "Event",
            Msg::Failed(_) => "Failed",
            Msg::End => "End",
        })
    }
}

impl LiveSource {
    /// Connects, registers as a replica and asks for the binlog from `start`.
    /// The stream stops after the event that reaches `stop`; without `stop` it
    /// waits for new events forever (`inspect --follow`).
    pub fn open(
        rt: Arc<Runtime>,
        connector: &Connector,
        facts: &ServerFacts,
        start: BinlogPosition,
        stop: Option<BinlogPosition>,
        options: &StreamOptions,
    ) -> Result<LiveSource, LiveError> {
        let label = connector.label().to_owned();
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let stream = rt.block_on(request_stream(
            connector,
            facts.flavor,
            &start,
            stop.is_some(),
            options.replica_server_id,
        ))?;
        // The stream is polled on its own task: the network is read while the
        // reader decodes, and a reply the driver cannot parse ends this task,
        // not the program.
        rt.spawn(async move {
            let mut stream = stream;
            loop {
                let msg = match stream.next().await {
                    Some(Ok(event)) => Msg::Event(Box::new(event)),
                    Some(Err(e)) => Msg::Failed(e),
                    None => Msg::End,
                };
                let last = !matches!(msg, Msg::Event(_));
                if tx.send(msg).await.is_err() || last {
                    break;
                }
            }
            let _ = stream.close().await;
        });
        tracing::debug!(server = %label, %start, replica_server_id = options.replica_server_id, "binlog stream requested");
        Ok(LiveSource {
            rt,
            label,
            events: rx,
            checksum: facts.checksum,
            stop,
            start: start.clone(),
            oldest: facts.oldest().to_owned(),
            file: start.file,
            announce: None,
            buf: Vec::with_capacity(64 * 1024),
            fde: None,
            skip_embedded: 0,
            done: false,
            max_inflated_size: ReaderOptions::default().max_inflated_size,
        })
    }

    fn error(&self, e: LiveError) -> ReadError {
        ReadError::Source {
            name: self.label.clone(),
            source: Box::new(e),
        }
    }

    fn protocol(&self, detail: String) -> ReadError {
        self.error(LiveError::Protocol {
            server: self.label.clone(),
            step: format!("streaming the binlog at {}", self.file),
            detail,
        })
    }

    /// The error for a failure the server or the connection reported.
    fn stream_failed(&self, e: mysql_async::Error) -> ReadError {
        let code = server_code(&e);
        let live = match code {
            Some(1227) | Some(1045) => missing_replication_slave(&self.label, &e),
            // ER_MASTER_FATAL_ERROR_READING_BINLOG: the file is not (or no longer) there
            Some(1236) if e.to_string().contains("first log file") => LiveError::Purged {
                server: self.label.clone(),
                file: self.start.file.clone(),
                oldest: self.oldest.clone(),
            },
            _ => LiveError::Query {
                server: self.label.clone(),
                step: format!("streaming the binlog at {}", self.file),
                source: e,
            },
        };
        self.error(live)
    }

    /// Rebuilds the event's bytes as the server sent them: the driver splits
    /// off the checksum (and, in a FORMAT_DESCRIPTION, the checksum algorithm).
    fn raw_event(&mut self, event: &StreamEvent) -> Result<(), ReadError> {
        let h = event.header();
        self.buf.clear();
        self.buf.extend_from_slice(&h.timestamp().to_le_bytes());
        self.buf.push(h.event_type_raw());
        self.buf.extend_from_slice(&h.server_id().to_le_bytes());
        self.buf.extend_from_slice(&h.event_size().to_le_bytes());
        self.buf.extend_from_slice(&h.log_pos().to_le_bytes());
        self.buf.extend_from_slice(&h.flags_raw().to_le_bytes());
        self.buf.extend_from_slice(event.data());
        if h.event_type_raw() == event_type::FORMAT_DESCRIPTION {
            if let Ok(Some(alg)) = event.footer().get_checksum_alg() {
                self.buf.push(alg as u8);
            }
        }
        if let Some(crc) = event.checksum() {
            self.buf.extend_from_slice(&crc);
        }
        if self.buf.len() != h.event_size() as usize {
            return Err(self.protocol(format!(
                "event of type 0x{:02x} ending at {} is {} bytes, its header says {}",
                h.event_type_raw(),
                h.log_pos(),
                self.buf.len(),
                h.event_size()
            )));
        }
        Ok(())
    }

    /// The file name a ROTATE event in `buf` names.
    fn rotate_target(&self) -> Result<String, ReadError> {
        let trailer = if self.checksum { 4 } else { 0 };
        let name = self
            .buf
            .get(HEADER_LEN + 8..self.buf.len().saturating_sub(trailer))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| self.protocol("ROTATE event without a file name".into()))?;
        let name = std::str::from_utf8(name)
            .map_err(|_| self.protocol("ROTATE event names a file that is not UTF-8".into()))?;
        Ok(name.to_owned())
    }

    /// Whether `file` is past the stop position's file.
    fn past_stop_file(&self, file: &str) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| file_order(file) > file_order(&s.file))
    }
}

/// The order of binlog file names: by numeric suffix (`.000010` after
/// `.000009`, and `.1000000` after `.999999`), then by name.
fn file_order(name: &str) -> (String, u64, String) {
    match name.rsplit_once('.') {
        Some((base, seq)) if !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()) => (
            base.to_owned(),
            seq.parse().unwrap_or(u64::MAX),
            String::new(),
        ),
        _ => (name.to_owned(), 0, name.to_owned()),
    }
}

fn missing_replication_slave(label: &str, e: &mysql_async::Error) -> LiveError {
    LiveError::MissingPrivilege {
        server: label.to_owned(),
        step: "streaming the binlog as a replica".to_owned(),
        privilege: "REPLICATION SLAVE".to_owned(),
        grant: "REPLICATION SLAVE".to_owned(),
        detail: e.to_string(),
    }
}

/// Connects and asks for the binlog, MariaDB-aware.
async fn request_stream(
    connector: &Connector,
    flavor: ServerFlavor,
    start: &BinlogPosition,
    stop_at_end: bool,
    replica_server_id: u32,
) -> Result<mysql_async::BinlogStream, LiveError> {
    let label = connector.label();
    let mut conn = connector.connect().await?;
    if flavor == ServerFlavor::MariaDb {
        // Without this MariaDB replaces its GTID events with dummy BEGIN
        // queries, as it does for replicas too old to know GTIDs.
        conn.query_drop("SET @mariadb_slave_capability = 4")
            .await
            .map_err(|source| LiveError::Query {
                server: label.to_owned(),
                step: "announcing a GTID-aware replica".to_owned(),
                source,
            })?;
    }
    let mut request = BinlogStreamRequest::new(replica_server_id)
        .with_filename(start.file.as_bytes())
        .with_pos(start.pos);
    if stop_at_end {
        // A safety net: the server ends the stream at its current end rather
        // than waiting, should the stop position never be reached.
        request = request.with_non_blocking();
    }
    conn.get_binlog_stream(request).await.map_err(|e| {
        if matches!(server_code(&e), Some(1227) | Some(1045)) {
            missing_replication_slave(label, &e)
        } else {
            LiveError::Query {
                server: label.to_owned(),
                step: "registering as a replica".to_owned(),
                source: e,
            }
        }
    })
}

impl EventSource for LiveSource {
    fn next_item(&mut self) -> Result<Option<SourceItem<'_>>, ReadError> {
        loop {
            if let Some(file) = self.announce.take() {
                if self.past_stop_file(&file) {
                    self.done = true;
                    return Ok(None);
                }
                self.file = file;
                return Ok(Some(SourceItem::FileStart { file: &self.file }));
            }
            if self.done {
                return Ok(None);
            }
            let rt = Arc::clone(&self.rt);
            let msg = rt.block_on(self.events.recv());
            let event = match msg {
                Some(Msg::Event(event)) => event,
                Some(Msg::Failed(e)) => return Err(self.stream_failed(e)),
                Some(Msg::End) => match &self.stop {
                    Some(stop) => {
                        return Err(self.error(LiveError::StreamEnded {
                            server: self.label.clone(),
                            file: self.file.clone(),
                            stop: stop.to_string(),
                        }))
                    }
                    None => return Ok(None),
                },
                None => {
                    return Err(self.protocol(
                        "the stream reader stopped on a reply it could not parse".into(),
                    ))
                }
            };
            self.raw_event(&event)?;
            let header = event.header();
            let t = header.event_type_raw();
            let artificial = header.flags_raw() & LOG_EVENT_ARTIFICIAL_F != 0;
            let log_pos = u64::from(header.log_pos());
            let size = u64::from(header.event_size());
            if self.skip_embedded > 0 {
                // the driver's expanded copy of an event inside a
                // TRANSACTION_PAYLOAD; the reader expands the payload itself
                self.skip_embedded -= 1;
                continue;
            }
            match t {
                event_type::ROTATE => {
                    let target = self.rotate_target()?;
                    if artificial || log_pos == 0 {
                        if target != self.file || self.fde.is_none() {
                            self.announce = Some(target);
                        }
                        continue;
                    }
                    // A real ROTATE closes its file; the next one follows.
                    self.announce = Some(target);
                }
                event_type::HEARTBEAT | event_type::HEARTBEAT_V2 => continue,
                event_type::FORMAT_DESCRIPTION => {
                    self.fde = Some(
                        FormatDescription::decode(&self.buf)
                            .map_err(|e| self.protocol(format!("format description: {e}")))?,
                    );
                }
                event_type::TRANSACTION_PAYLOAD => {
                    let fde = self.fde.as_ref().ok_or_else(|| {
                        self.protocol("TRANSACTION_PAYLOAD before a format description".into())
                    })?;
                    let trailer = if self.checksum { 4 } else { 0 };
                    let body = self
                        .buf
                        .get(..self.buf.len().saturating_sub(trailer))
                        .unwrap_or(&[]);
                    self.skip_embedded = payload_event_count(body, fde, self.max_inflated_size)
                        .map_err(|e| self.protocol(format!("TRANSACTION_PAYLOAD: {e}")))?;
                }
                _ if artificial => continue,
                _ => {}
            }
            let offset = if t == event_type::FORMAT_DESCRIPTION && log_pos == 0 {
                4
            } else {
                log_pos.saturating_sub(size)
            };
            if let Some(stop) = &self.stop {
                if self.file == stop.file && log_pos >= stop.pos {
                    self.done = true;
                }
            }
            return Ok(Some(SourceItem::Event {
                bytes: &self.buf,
                offset,
            }));
        }
    }
}

/// A server's binlog as transactions, from a start file up to the end
/// position read at start; lost connections are retried from the last
/// complete transaction.
#[derive(Debug)]
pub struct LiveReader {
    rt: Arc<Runtime>,
    connector: Connector,
    facts: ServerFacts,
    options: StreamOptions,
    reader_options: ReaderOptions,
    reader: Option<BinlogReader<LiveSource>>,
    resume: BinlogPosition,
    follow: bool,
    files: Vec<FileFacts>,
    failures: u32,
    reconnects: u32,
    finished: bool,
}

impl LiveReader {
    /// Streams `facts`' server from the start of binlog `from` up to
    /// `facts.end`; with `follow`, past it, waiting for new events.
    pub fn new(
        rt: Arc<Runtime>,
        connector: Connector,
        facts: ServerFacts,
        from: &str,
        follow: bool,
        options: StreamOptions,
        reader_options: ReaderOptions,
    ) -> LiveReader {
        let resume = BinlogPosition {
            file: from.to_owned(),
            pos: 4,
        };
        LiveReader {
            rt,
            connector,
            facts,
            options,
            reader_options,
            reader: None,
            resume,
            follow,
            files: Vec::new(),
            failures: 0,
            reconnects: 0,
            finished: false,
        }
    }

    /// Facts of the binlogs read so far (as [`BinlogReader::files`]).
    pub fn files(&self) -> Vec<FileFacts> {
        let mut files = self.files.clone();
        if let Some(r) = &self.reader {
            merge_files(&mut files, r.files());
        }
        files
    }

    /// The server's facts as read at start.
    pub fn facts(&self) -> &ServerFacts {
        &self.facts
    }

    /// Times the stream was lost and resumed.
    pub fn reconnects(&self) -> u32 {
        self.reconnects
    }

    fn source_error(&self, e: LiveError) -> ReadError {
        ReadError::Source {
            name: self.connector.label().to_owned(),
            source: Box::new(e),
        }
    }

    fn open(&mut self) -> Result<(), LiveError> {
        if self.failures > 0 {
            self.check_unchanged()?;
        }
        let stop = (!self.follow).then(|| self.facts.end.clone());
        let source = LiveSource::open(
            Arc::clone(&self.rt),
            &self.connector,
            &self.facts,
            self.resume.clone(),
            stop,
            &self.options,
        )?;
        self.reader = Some(BinlogReader::new(source, self.reader_options.clone()));
        Ok(())
    }

    /// After a reconnect: the same server, and the binlog to resume from is
    /// still there.
    fn check_unchanged(&self) -> Result<(), LiveError> {
        let label = self.connector.label();
        let (facts, resume) = (&self.facts, &self.resume);
        let (server_id, binlogs) = self.server_now()?;
        if server_id != facts.server_id {
            return Err(LiveError::Changed {
                server: label.to_owned(),
                what: format!(
                    "after a reconnect another server answered (server_id {server_id}, was {})",
                    facts.server_id
                ),
            });
        }
        let end = &facts.end;
        if let Some(b) = binlogs.iter().find(|b| b.name == end.file) {
            if b.size < end.pos {
                return Err(LiveError::Changed {
                    server: label.to_owned(),
                    what: format!(
                        "binlog {} is now {} bytes, less than the position {} read at start (RESET MASTER?)",
                        b.name, b.size, end.pos
                    ),
                });
            }
        }
        if !binlogs.iter().any(|b| b.name == resume.file) {
            return Err(LiveError::Changed {
                server: label.to_owned(),
                what: format!(
                    "binlog {} was purged while it was being read; the oldest now is {}",
                    resume.file,
                    binlogs.first().map(|b| b.name.as_str()).unwrap_or("none")
                ),
            });
        }
        Ok(())
    }

    /// The server's `@@server_id` and binlog list as they are now, on a new
    /// connection.
    fn server_now(&self) -> Result<(u32, Vec<BinlogFile>), LiveError> {
        self.rt.block_on(async {
            let mut conn = self.connector.connect().await?;
            let mut q = Query {
                conn: &mut conn,
                label: self.connector.label(),
            };
            let row = q
                .one("checking the server again", "SELECT @@server_id")
                .await?;
            let server_id: u32 = q.col(&row, 0, "@@server_id")?;
            let binlogs = binlog_list(&mut q, self.facts.flavor).await?;
            let _ = conn.disconnect().await;
            Ok((server_id, binlogs))
        })
    }

    /// A purge error names the oldest binlog as listed at start; the server
    /// has purged since, so it is asked again.
    fn with_current_oldest(&self, e: ReadError) -> ReadError {
        let ReadError::Source { name, source } = e else {
            return e;
        };
        let Some(LiveError::Purged { server, file, .. }) = source.downcast_ref::<LiveError>()
        else {
            return ReadError::Source { name, source };
        };
        let listed = self.server_now();
        let oldest = match listed {
            Ok((_, list)) => list.first().map(|b| b.name.clone()).unwrap_or_default(),
            Err(_) => self.facts.oldest().to_owned(),
        };
        self.source_error(LiveError::Purged {
            server: server.clone(),
            file: file.clone(),
            oldest,
        })
    }

    /// Drops the broken stream and waits before the next try.
    fn lost(&mut self, e: &LiveError) -> Result<(), LiveError> {
        if let Some(r) = self.reader.take() {
            merge_files(&mut self.files, r.files());
        }
        self.failures += 1;
        if self.failures > self.options.retries {
            return Err(LiveError::RetriesExhausted {
                server: self.connector.label().to_owned(),
                attempts: self.failures - 1,
                file: self.resume.file.clone(),
                pos: self.resume.pos,
                last: e.to_string(),
            });
        }
        let wait = self
            .options
            .backoff
            .saturating_mul(1u32 << (self.failures - 1).min(10));
        tracing::warn!(
            server = %self.connector.label(),
            resume = %self.resume,
            attempt = self.failures,
            of = self.options.retries,
            "binlog stream lost ({e}); reconnecting in {wait:?} from the last complete transaction"
        );
        std::thread::sleep(wait);
        Ok(())
    }
}

/// Adds `more` to `files`; a file already known keeps its first facts (a
/// resumed stream starts mid-file and misses its GTID list), gaining only
/// what the later read learned at its end.
fn merge_files(files: &mut Vec<FileFacts>, more: &[FileFacts]) {
    for f in more {
        match files.iter_mut().find(|k| k.file == f.file) {
            Some(known) => {
                if known.rotate_to.is_none() {
                    known.rotate_to.clone_from(&f.rotate_to);
                }
                for c in &f.checkpoints {
                    if !known.checkpoints.contains(c) {
                        known.checkpoints.push(c.clone());
                    }
                }
            }
            None => files.push(f.clone()),
        }
    }
}

fn transient(e: &ReadError) -> Option<&LiveError> {
    match e {
        ReadError::Source { source, .. } => source
            .downcast_ref::<LiveError>()
            .filter(|l| l.is_transient()),
        _ => None,
    }
}

impl Iterator for LiveReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished {
                return None;
            }
            if self.reader.is_none() {
                match self.open() {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => {
                        if let Err(fatal) = self.lost(&e) {
                            self.finished = true;
                            return Some(Err(self.source_error(fatal)));
                        }
                        continue;
                    }
                    Err(e) => {
                        self.finished = true;
                        return Some(Err(self.source_error(e)));
                    }
                }
            }
            let item = self.reader.as_mut().and_then(Iterator::next);
            match item {
                Some(Ok(ReadItem::Transaction(tx))) => {
                    self.resume = BinlogPosition {
                        file: tx.position.file.to_string(),
                        pos: tx.position.end,
                    };
                    if self.failures > 0 {
                        self.reconnects += self.failures;
                        tracing::info!(server = %self.connector.label(), resume = %self.resume, "binlog stream resumed");
                        self.failures = 0;
                    }
                    return Some(Ok(ReadItem::Transaction(tx)));
                }
                Some(Ok(other)) => return Some(Ok(other)),
                Some(Err(e)) => {
                    let Some(live) = transient(&e) else {
                        self.finished = true;
                        return Some(Err(self.with_current_oldest(e)));
                    };
                    if let Err(fatal) = self.lost(live) {
                        self.finished = true;
                        return Some(Err(self.source_error(fatal)));
                    }
                }
                None => {
                    if let Some(r) = self.reader.take() {
                        merge_files(&mut self.files, r.files());
                    }
                    self.finished = true;
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binlog_files_order_by_number_not_by_text() {
        assert!(file_order("mysql-bin.1000000") > file_order("mysql-bin.999999"));
        assert!(file_order("mysql-bin.000010") > file_order("mysql-bin.000009"));
        assert_eq!(file_order("a.000001"), file_order("a.000001"));
    }

    #[test]
    fn a_resumed_file_keeps_its_first_facts() {
        let first = FileFacts {
            file: "b.000001".into(),
            flavor: None,
            server_version: None,
            checksum: None,
            in_use: false,
            previous_gtids: None,
            gtid_list: Some(Vec::new()),
            checkpoints: vec!["b.000001".into()],
            rotate_to: None,
        };
        let mut later = first.clone();
        later.gtid_list = None;
        later.rotate_to = Some("b.000002".into());
        let mut files = vec![first];
        merge_files(&mut files, &[later]);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].gtid_list, Some(Vec::new()));
        assert_eq!(files[0].rotate_to.as_deref(), Some("b.000002"));
    }
}
