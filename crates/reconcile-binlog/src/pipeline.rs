//! Decoding row images off the calling thread.
//!
//! The reader splits its work in two. Framing (reading events, checksums, table
//! maps, transaction boundaries, statements) is sequential and cheap; it turns the
//! input into ordered [`Piece`]s, copying each rows event into a [`Batch`]. Decoding
//! row images is the expensive part, and each rows event only needs its table
//! description, so batches can be decoded anywhere: in place
//! ([`BinlogReader`](crate::BinlogReader)) or on worker threads
//! ([`ParallelReader`]). A [`Consumer`] then puts the results back together in
//! binlog order, so both readers yield exactly the same items, the same first error,
//! and nothing after it.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::error::{DecodeError, Error};
use crate::event::{decode_event, event_type, Event, FormatDescription};
use crate::select::{read_rows, Acc, ReadStats, Scratch};
use crate::source::{run_events, EventSource, FileSource, SourceItem, SourceRun};
use crate::transaction::{Batch, FileFacts, Framer, Piece, ReadItem, ReaderOptions, RowsWork};

/// A chunk is cut at the first transaction boundary after this many bytes.
const BATCH_BYTES: usize = 1 << 20;

/// What running a batch produced, in order.
#[derive(Debug)]
pub(crate) enum Out<T> {
    /// An item, mapped.
    Item(T),
    /// Rows of a transaction that is assembled by the consumer (it spans batches).
    Part(Acc),
    /// That transaction committed.
    Commit(Box<crate::Transaction>),
    /// That transaction was dropped.
    Drop(crate::transaction::DropInfo),
    /// Reading stops.
    Error(Error),
}

/// Decodes the rows of batches, keeping scratch space between them.
#[derive(Debug, Default)]
pub(crate) struct Runner {
    scratch: Scratch,
    pub stats: ReadStats,
    /// The pieces buffer of the last batch run, empty, for the next batch to fill
    /// (a chunk's thousands of pieces would otherwise grow a new one step by step).
    spare_pieces: Vec<(Piece, bool)>,
    /// How many outputs the last batch gave: the next one's first capacity.
    last_outs: usize,
}

impl Runner {
    /// Decodes a batch. A transaction that starts and ends in the batch comes out
    /// whole (and mapped); one that spans batches comes out in parts.
    /// `source`: the data the batch's events were framed from, where rows events
    /// framed in place lie. Returns the outputs, and the batch's rows buffer for
    /// reuse.
    pub fn run<T>(
        &mut self,
        batch: Batch,
        source: &[u8],
        map: &dyn Fn(ReadItem) -> T,
    ) -> (Vec<Out<T>>, Vec<u8>) {
        let Batch {
            arena,
            mut pieces,
            continues,
        } = batch;
        let outs = self.run_pieces([&arena, source], pieces.drain(..), continues, map);
        self.last_outs = outs.len();
        self.spare_pieces = pieces;
        (outs, arena)
    }

    /// An empty pieces buffer for the next batch, with the capacity of the last.
    pub fn spare_pieces(&mut self) -> Vec<(Piece, bool)> {
        std::mem::take(&mut self.spare_pieces)
    }

    fn run_pieces<T>(
        &mut self,
        arena: [&[u8]; 2],
        pieces: impl Iterator<Item = (Piece, bool)>,
        continues: bool,
        map: &dyn Fn(ReadItem) -> T,
    ) -> Vec<Out<T>> {
        let mut outs = Vec::with_capacity(self.last_outs);
        // where the outputs of the source event being run start: they are kept only
        // if all of it runs (pushed straight to `outs`: items are large, and each
        // move of one costs)
        let mut event = 0;
        let mut acc = Acc::default();
        let mut foreign = continues;
        for (piece, last_of_event) in pieces {
            match piece {
                Piece::Item(item) => outs.push(Out::Item(map(item))),
                Piece::Rows(work) => {
                    if let Err(e) = self.decode(arena, &work, &mut acc) {
                        outs.truncate(event);
                        outs.push(Out::Error(e));
                        return outs;
                    }
                }
                Piece::Commit(mut tx) => {
                    if foreign {
                        outs.push(Out::Part(std::mem::take(&mut acc)));
                        outs.push(Out::Commit(tx));
                        foreign = false;
                    } else {
                        let (changes, skipped) = std::mem::take(&mut acc).into_parts();
                        tx.changes = changes;
                        tx.skipped = skipped;
                        outs.push(Out::Item(map(ReadItem::Transaction(*tx))));
                    }
                }
                Piece::Drop(info) => {
                    if foreign {
                        outs.push(Out::Part(std::mem::take(&mut acc)));
                        outs.push(Out::Drop(info));
                        foreign = false;
                    } else {
                        let rows = std::mem::take(&mut acc);
                        if let Some(d) = info.diagnostic(rows.changes.len(), rows.skipped_rows()) {
                            outs.push(Out::Item(map(ReadItem::Diagnostic(d))));
                        }
                    }
                }
                Piece::Error(e) => {
                    outs.truncate(event);
                    outs.push(Out::Error(e));
                    return outs;
                }
            }
            if last_of_event {
                event = outs.len();
            }
        }
        if !acc.is_empty() {
            outs.push(Out::Part(acc));
        }
        outs
    }

    /// Decodes a rows event of `arena`: the batch's own bytes, or the source's.
    fn decode(&mut self, arena: [&[u8]; 2], work: &RowsWork, acc: &mut Acc) -> Result<(), Error> {
        let err = |source: DecodeError| Error::Decode {
            file: work.file.to_string(),
            offset: work.offset,
            event_type: work.event_type,
            source,
        };
        let [own, source] = arena;
        let bytes = if work.in_source { source } else { own };
        let event = bytes.get(work.range.clone()).unwrap_or(&[]);
        let raw = match decode_event(event, &work.fde).map_err(err)? {
            Event::Rows(raw) => raw,
            _ => return Err(err(DecodeError::new(0, "not a rows event"))),
        };
        read_rows(
            &raw,
            &work.table,
            work.table_index,
            &work.selection,
            acc,
            &mut self.scratch,
            &mut self.stats,
        )
        .map_err(err)
    }
}

/// Puts transactions that span batches back together.
#[derive(Debug, Default)]
pub(crate) struct Consumer {
    acc: Acc,
}

impl Consumer {
    /// The item an output yields, if any.
    pub fn take<T>(
        &mut self,
        out: Out<T>,
        map: &dyn Fn(ReadItem) -> T,
    ) -> Option<Result<T, Error>> {
        match out {
            Out::Item(t) => Some(Ok(t)),
            Out::Part(rows) => {
                self.acc.extend(rows);
                None
            }
            Out::Commit(mut tx) => {
                let (changes, skipped) = std::mem::take(&mut self.acc).into_parts();
                tx.changes = changes;
                tx.skipped = skipped;
                Some(Ok(map(ReadItem::Transaction(*tx))))
            }
            Out::Drop(info) => {
                let rows = std::mem::take(&mut self.acc);
                info.diagnostic(rows.changes.len(), rows.skipped_rows())
                    .map(|d| Ok(map(ReadItem::Diagnostic(d))))
            }
            Out::Error(e) => Some(Err(e)),
        }
    }
}

/// One item of the source, recorded for a worker to replay.
#[derive(Debug)]
enum Recorded {
    FileStart(Arc<str>),
    /// An event: its bytes in the chunk's `data`.
    Event {
        range: std::ops::Range<usize>,
        offset: u64,
    },
    /// Boxed, as is the error: every event is recorded, and a small enum keeps
    /// recording it cheap.
    Diagnostic(Box<crate::error::Diagnostic>),
    /// Reading stops here (taken once).
    Error(Option<Box<Error>>),
}

// Four machine words: recording millions of events moves no more than this each.
const _: () = assert!(std::mem::size_of::<Recorded>() <= 32);

/// A stretch of the input that a worker frames and decodes on its own. Chunks
/// are cut where a reader holds no open transaction and no usable table map
/// (after an XID, or before a GTID event), so framing a chunk from there gives
/// what framing everything before it and then the chunk gives.
#[derive(Debug, Default)]
struct Chunk {
    data: Vec<u8>,
    items: Vec<Recorded>,
    /// The file the chunk starts in, and the format description in force there,
    /// when it starts after the file's first event.
    start: Option<(Arc<str>, Option<Arc<FormatDescription>>)>,
    /// A GTID event the next chunk starts with: framed here too, only to end an
    /// open transaction as a sequential reader would (see [`Framer::lookahead`]).
    lookahead: Option<(std::ops::Range<usize>, u64)>,
    /// The chunk ends the input.
    end_of_input: bool,
}

impl Chunk {
    fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Copies an event's bytes in; returns where they are.
    fn copy(&mut self, event: &[u8]) -> std::ops::Range<usize> {
        let at = self.data.len();
        self.data.extend_from_slice(event);
        at..self.data.len()
    }

    /// Copies an event in and records it, to be framed.
    fn record(&mut self, event: &[u8], offset: u64) {
        let range = self.copy(event);
        self.items.push(Recorded::Event { range, offset });
    }
}

/// Replays a chunk's items to a framer.
struct Replay {
    data: Vec<u8>,
    items: std::vec::IntoIter<Recorded>,
    current: Option<Recorded>,
}

impl EventSource for Replay {
    fn next_item(&mut self) -> Result<Option<SourceItem<'_>>, Error> {
        self.current = self.items.next();
        match self.current.as_mut() {
            None => Ok(None),
            Some(Recorded::FileStart(file)) => Ok(Some(SourceItem::FileStart { file })),
            Some(Recorded::Event { range, offset }) => Ok(Some(SourceItem::Event {
                bytes: self.data.get(range.clone()).unwrap_or(&[]),
                offset: *offset,
            })),
            Some(Recorded::Diagnostic(d)) => Ok(Some(SourceItem::Diagnostic((**d).clone()))),
            Some(Recorded::Error(e)) => Err(e.take().map_or(Error::WorkerLost, |e| *e)),
        }
    }
}

impl Replay {
    /// Where the next item's event starts in `data`, if it is an event.
    fn next_event_at(&self) -> Option<usize> {
        match self.items.as_slice().first() {
            Some(Recorded::Event { range, .. }) => Some(range.start),
            _ => None,
        }
    }
}

/// Event types that begin a transaction.
fn is_gtid(type_code: u8) -> bool {
    matches!(
        type_code,
        event_type::GTID
            | event_type::ANONYMOUS_GTID
            | event_type::GTID_TAGGED
            | event_type::MARIA_GTID
    )
}

/// Before a GTID event, a chunk is cut only once it is this many times the chunk
/// size (an XID ends most transactions, and cuts there need no lookahead).
const GTID_CUT_FACTOR: usize = 4;

/// Cuts the input into chunks on the reading thread: reads and copies events,
/// and decodes nothing but format descriptions.
struct Splitter {
    file: Option<Arc<str>>,
    fde: Option<Arc<FormatDescription>>,
    chunk: Chunk,
    done: bool,
}

impl Splitter {
    fn new(start: Option<(Arc<str>, Option<Arc<FormatDescription>>)>) -> Self {
        let (file, fde) = match &start {
            Some((file, fde)) => (Some(Arc::clone(file)), fde.clone()),
            None => (None, None),
        };
        Splitter {
            file,
            fde,
            chunk: Chunk {
                start,
                ..Chunk::default()
            },
            done: false,
        }
    }

    /// A chunk of at least `size` bytes (less at the end of the input), or
    /// `None` after the end.
    fn next_chunk<S: EventSource>(
        &mut self,
        source: &mut S,
        size: usize,
        mut spare: Vec<u8>,
    ) -> Option<Chunk> {
        if self.done {
            return None;
        }
        loop {
            // Below the chunk size, events come in runs of at most what fills the
            // chunk, copied at once. A chunk is cut after an XID once it reaches
            // the size, so only a run's last event can end it, and before a GTID
            // event only at four times the size, which no run reaches. From the
            // size on, events come one by one until the cut.
            let room = size.saturating_sub(self.chunk.bytes());
            let next = if room > 0 {
                source.next_events(room)
            } else {
                source.next_item().map(|item| item.map(SourceRun::Item))
            };
            match next {
                Ok(None) => {
                    self.done = true;
                    self.chunk.end_of_input = true;
                    return Some(self.cut(spare));
                }
                Ok(Some(SourceRun::Events { bytes, offset })) => {
                    if self.take_run(bytes, offset, size) {
                        return Some(self.cut(spare));
                    }
                }
                Ok(Some(SourceRun::Item(item))) => {
                    if let Some(chunk) = self.take(item, size, &mut spare) {
                        return Some(chunk);
                    }
                }
                Err(e) => {
                    self.done = true;
                    self.chunk.items.push(Recorded::Error(Some(Box::new(e))));
                    return Some(self.cut(spare));
                }
            }
        }
    }

    /// Records one item; the chunk it ends, if it ends one.
    fn take(&mut self, item: SourceItem<'_>, size: usize, spare: &mut Vec<u8>) -> Option<Chunk> {
        match item {
            SourceItem::FileStart { file } => {
                let file: Arc<str> = Arc::from(file);
                self.file = Some(Arc::clone(&file));
                self.fde = None;
                self.chunk.items.push(Recorded::FileStart(file));
            }
            SourceItem::Diagnostic(d) => self.chunk.items.push(Recorded::Diagnostic(Box::new(d))),
            SourceItem::Event { bytes, offset } => {
                let type_code = bytes.get(4).copied().unwrap_or(0);
                if is_gtid(type_code) && self.chunk.bytes() >= size.saturating_mul(GTID_CUT_FACTOR)
                {
                    let range = self.chunk.copy(bytes);
                    self.chunk.lookahead = Some((range, offset));
                    let chunk = self.cut(std::mem::take(spare));
                    self.chunk.record(bytes, offset);
                    return Some(chunk);
                }
                self.see(type_code, bytes);
                self.chunk.record(bytes, offset);
                if type_code == event_type::XID && self.chunk.bytes() >= size {
                    return Some(self.cut(std::mem::take(spare)));
                }
            }
        }
        None
    }

    /// Records a run of events (copied at once); whether the chunk ends after it.
    fn take_run(&mut self, run: &[u8], offset: u64, size: usize) -> bool {
        let base = self.chunk.data.len();
        self.chunk.data.extend_from_slice(run);
        let mut last = 0u8;
        for (at, event) in run_events(run) {
            last = event.get(4).copied().unwrap_or(0);
            self.see(last, event);
            self.chunk.items.push(Recorded::Event {
                range: base + at..base + at + event.len(),
                offset: offset + at as u64,
            });
        }
        last == event_type::XID && self.chunk.bytes() >= size
    }

    /// Keeps the format description in force, which the next chunk starts with.
    fn see(&mut self, type_code: u8, event: &[u8]) {
        if type_code == event_type::FORMAT_DESCRIPTION {
            self.fde = FormatDescription::decode(event).ok().map(Arc::new);
        }
    }

    /// The chunk filled so far; the next one starts in the current file.
    fn cut(&mut self, mut spare: Vec<u8>) -> Chunk {
        spare.clear();
        let start = self
            .file
            .as_ref()
            .map(|file| (Arc::clone(file), self.fde.clone()));
        let next = Chunk {
            data: spare,
            start,
            ..Chunk::default()
        };
        std::mem::replace(&mut self.chunk, next)
    }
}

/// What a worker made of a chunk.
#[derive(Debug)]
struct Framed<T> {
    outs: Vec<Out<T>>,
    stats: ReadStats,
    /// Facts of the files the chunk covers; the first continues the previous
    /// chunk's last when `mid_file`.
    files: Vec<FileFacts>,
    mid_file: bool,
}

type Job = (u64, Chunk);
type MapFn<T> = Arc<dyn Fn(ReadItem) -> T + Send + Sync>;

/// What the reading thread and the workers tell the consumer.
enum Msg<T> {
    /// A worker framed chunk `seq` (or its map function panicked).
    Framed(u64, std::thread::Result<Framed<T>>),
    /// The reading thread cut this many chunks in all, and stopped.
    End(u64),
    /// The reading thread panicked.
    ReaderPanic(Box<dyn std::any::Any + Send>),
}

/// What the reading thread takes when it starts (at the first item asked for, so
/// that [`ParallelReader::with_batch_bytes`] still applies).
struct Start<T, S> {
    source: S,
    splitter: Splitter,
    jobs: Sender<Job>,
    /// Chunk buffers coming back from the workers.
    arenas: Receiver<Vec<u8>>,
    /// One slot per chunk in flight: the reading thread fills one before it cuts
    /// a chunk, the consumer empties one when it has taken a chunk's items.
    slots: SyncSender<()>,
    done: Sender<Msg<T>>,
}

/// A reader that frames and decodes on worker threads, while a reading thread
/// only reads the input and cuts it into chunks at transaction boundaries, and
/// the calling thread only takes the items. Items come out in binlog order, each
/// passed through a map function that runs on the workers (so per-item work such
/// as formatting is parallel too); the items, their order, the first error and
/// the end after it are those of the sequential reader. (One difference: with
/// [`ChecksumPolicy::Warn`](crate::ChecksumPolicy), a checksum warning for the
/// GTID event at a chunk boundary comes after, not before, the note that the
/// transaction open before it was dropped.)
///
/// Memory: at most `2 * workers + 2` chunks of about 1 MiB of events are in
/// flight, plus what they decode to. Input in which no XID or GTID event comes
/// for a long stretch (statement-based binlogs of MySQL 5.5 and older without
/// InnoDB) makes longer chunks.
pub struct ParallelReader<T, S: EventSource = FileSource> {
    /// Until the reading thread starts.
    start: Option<Start<T, S>>,
    reading: Option<JoinHandle<()>>,
    map: MapFn<T>,
    results: Receiver<Msg<T>>,
    slots: Option<Receiver<()>>,
    workers: Vec<JoinHandle<()>>,
    /// The next chunk to take items from.
    next: u64,
    /// How many chunks there are, once the reading thread has said.
    total: Option<u64>,
    batch_bytes: usize,
    pending: BTreeMap<u64, Framed<T>>,
    /// The items of the chunk being taken (moved out one by one, not copied into
    /// a queue first).
    queue: std::vec::IntoIter<Out<T>>,
    consumer: Consumer,
    stats: ReadStats,
    files: Vec<FileFacts>,
    finished: bool,
}

impl<T, S: EventSource> std::fmt::Debug for ParallelReader<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelReader")
            .field("workers", &self.workers.len())
            .field("chunks_taken", &self.next)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<T: Send + 'static, S: EventSource + Send + 'static> ParallelReader<T, S> {
    /// Reads on from where `framer` stands (it should not be inside a transaction).
    pub(crate) fn new<F>(source: S, mut framer: Framer, workers: usize, map: F) -> Self
    where
        F: Fn(ReadItem) -> T + Send + Sync + 'static,
    {
        let map: MapFn<T> = Arc::new(map);
        let (jobs, job_rx) = channel::<Job>();
        let (done, results) = channel::<Msg<T>>();
        let (arena_tx, arenas) = channel::<Vec<u8>>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let opts = framer.options().clone();
        let n = workers.max(1);
        let workers = (0..n)
            .map(|_| {
                let job_rx = Arc::clone(&job_rx);
                let done = done.clone();
                let arena_tx = arena_tx.clone();
                let map = Arc::clone(&map);
                let opts = opts.clone();
                std::thread::spawn(move || worker(&job_rx, &done, &arena_tx, &opts, &*map))
            })
            .collect();
        let (slots, slots_rx) = sync_channel(2 * n + 2);
        ParallelReader {
            start: Some(Start {
                source,
                splitter: Splitter::new(framer.position()),
                jobs,
                arenas,
                slots,
                done,
            }),
            reading: None,
            map,
            results,
            slots: Some(slots_rx),
            workers,
            next: 0,
            total: None,
            batch_bytes: BATCH_BYTES,
            pending: BTreeMap::new(),
            queue: Vec::new().into_iter(),
            consumer: Consumer::default(),
            stats: ReadStats::default(),
            files: framer.take_files(),
            finished: false,
        }
    }

    /// Facts of the files read so far (reading runs a few chunks ahead of the
    /// items yielded; these are the facts of the chunks yielded).
    pub fn files(&self) -> &[FileFacts] {
        &self.files
    }

    /// Cuts the input into chunks of about `bytes` (1 MiB by default): smaller
    /// chunks keep less in flight and cost more hand-overs. Takes effect only
    /// before the first item is read.
    pub fn with_batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// What was decoded in the chunks yielded so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Starts the reading thread, once.
    fn start_reading(&mut self) {
        let Some(start) = self.start.take() else {
            return;
        };
        let batch_bytes = self.batch_bytes;
        self.reading = Some(std::thread::spawn(move || {
            let done = start.done.clone();
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                read_chunks(start, batch_bytes)
            }));
            match read {
                Ok(Some(total)) => {
                    let _ = done.send(Msg::End(total));
                }
                // the reader was dropped
                Ok(None) => {}
                Err(panic) => {
                    let _ = done.send(Msg::ReaderPanic(panic));
                }
            }
        }));
    }

    fn merge_files(&mut self, files: Vec<FileFacts>, mid_file: bool) {
        let mut files = files.into_iter();
        if mid_file {
            if let (Some(first), Some(last)) = (files.next(), self.files.last_mut()) {
                last.merge(first);
            }
        }
        self.files.extend(files);
    }
}

/// The reading thread: cuts chunks and hands them to the workers while there is
/// a free slot. Returns how many it cut, or `None` when the reader is gone.
fn read_chunks<T, S: EventSource>(start: Start<T, S>, batch_bytes: usize) -> Option<u64> {
    let Start {
        mut source,
        mut splitter,
        jobs,
        arenas,
        slots,
        done: _,
    } = start;
    let mut seq = 0u64;
    loop {
        slots.send(()).ok()?;
        // a buffer a huge event grew is not kept
        let spare = arenas
            .try_recv()
            .ok()
            .filter(|a| a.capacity() <= batch_bytes.saturating_mul(8))
            .unwrap_or_else(|| Vec::with_capacity(batch_bytes.saturating_add(1 << 16)));
        let Some(chunk) = splitter.next_chunk(&mut source, batch_bytes, spare) else {
            return Some(seq);
        };
        jobs.send((seq, chunk)).ok()?;
        seq += 1;
    }
}

/// Frames and decodes one chunk.
fn frame_chunk<T>(
    runner: &mut Runner,
    opts: &ReaderOptions,
    chunk: Chunk,
    rows: Vec<u8>,
    map: &dyn Fn(ReadItem) -> T,
) -> (Framed<T>, Vec<u8>, Vec<u8>) {
    let Chunk {
        data,
        items,
        start,
        lookahead,
        end_of_input,
    } = chunk;
    let mid_file = start.is_some();
    let mut framer = Framer::resume(opts.clone(), start, end_of_input);
    let mut replay = Replay {
        data,
        items: items.into_iter(),
        current: None,
    };
    framer.take_batch(rows, runner.spare_pieces());
    // the chunk's data outlives the batch: rows events are decoded where they are
    while !framer.is_done() {
        let at = replay.next_event_at();
        framer.step_at(&mut replay, at);
    }
    if let Some((range, offset)) = lookahead {
        framer.lookahead(replay.data.get(range).unwrap_or(&[]), offset);
    }
    let files = framer.take_files();
    let batch = framer.take_batch(Vec::new(), Vec::new());
    let (outs, rows) = runner.run(batch, &replay.data, map);
    (
        Framed {
            outs,
            stats: runner.stats,
            files,
            mid_file,
        },
        replay.data,
        rows,
    )
}

fn worker<T>(
    jobs: &Mutex<Receiver<Job>>,
    done: &Sender<Msg<T>>,
    arenas: &Sender<Vec<u8>>,
    opts: &ReaderOptions,
    map: &dyn Fn(ReadItem) -> T,
) {
    let mut runner = Runner::default();
    let mut rows = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok((seq, chunk)) = job else { return };
        runner.stats = ReadStats::default();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (framed, data, used) =
                frame_chunk(&mut runner, opts, chunk, std::mem::take(&mut rows), map);
            let _ = arenas.send(data);
            rows = used;
            framed
        }));
        if done.send(Msg::Framed(seq, result)).is_err() {
            return;
        }
    }
}

impl<T: Send + 'static, S: EventSource + Send + 'static> Iterator for ParallelReader<T, S> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(out) = self.queue.next() {
                if let Some(item) = self.consumer.take(out, &*self.map) {
                    if item.is_err() {
                        self.finished = true;
                        self.queue = Vec::new().into_iter();
                    }
                    return Some(item);
                }
                continue;
            }
            if self.finished {
                return None;
            }
            self.start_reading();
            if self.total == Some(self.next) {
                // every chunk taken
                self.finished = true;
                continue;
            }
            if let Some(framed) = self.pending.remove(&self.next) {
                self.next += 1;
                // the chunk's slot is free for the reading thread
                if let Some(slots) = &self.slots {
                    let _ = slots.try_recv();
                }
                self.stats.add(&framed.stats);
                self.merge_files(framed.files, framed.mid_file);
                self.queue = framed.outs.into_iter();
                continue;
            }
            match self.results.recv() {
                Ok(Msg::Framed(seq, Ok(framed))) => {
                    self.pending.insert(seq, framed);
                }
                Ok(Msg::End(total)) => self.total = Some(total),
                // a panic of the map function belongs to the caller
                Ok(Msg::Framed(_, Err(panic)) | Msg::ReaderPanic(panic)) => {
                    std::panic::resume_unwind(panic)
                }
                Err(_) => {
                    self.finished = true;
                    return Some(Err(Error::WorkerLost));
                }
            }
        }
    }
}

impl<T, S: EventSource> Drop for ParallelReader<T, S> {
    fn drop(&mut self) {
        // Without its slots the reading thread stops; its end closes the job
        // channel, which ends the workers after their current chunk.
        self.slots = None;
        self.start = None;
        if let Some(reading) = self.reading.take() {
            let _ = reading.join();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::select::RowSelection;
    use crate::table_map::TableDescription;
    use crate::{Diagnostic, DiagnosticKind};

    fn note(offset: u64) -> Piece {
        Piece::Item(ReadItem::Diagnostic(Diagnostic {
            file: "f".into(),
            offset,
            kind: DiagnosticKind::UnknownEvent { event_type: 0 },
            message: String::new(),
        }))
    }

    /// A rows event whose bytes (four zeros) cannot be decoded.
    fn broken_rows() -> Piece {
        Piece::Rows(RowsWork {
            file: Arc::from("f"),
            offset: 9,
            event_type: event_type::WRITE_ROWS_V2,
            range: 0..4,
            in_source: false,
            fde: Arc::new(crate::event::tests::mariadb_fde()),
            table: Arc::new(TableDescription {
                table_id: 1,
                schema: "s".into(),
                table: "t".into(),
                columns: vec![],
                primary_key: None,
            }),
            table_index: 0,
            selection: RowSelection::All,
        })
    }

    #[test]
    fn a_failing_event_takes_its_earlier_outputs_with_it() {
        // note 1 ends its source event; note 2 and the broken rows are one event
        let batch = Batch {
            arena: vec![0; 4],
            pieces: vec![(note(1), true), (note(2), false), (broken_rows(), true)],
            continues: false,
        };
        let (outs, _) = Runner::default().run(batch, &[], &|item| item);
        match outs.as_slice() {
            [Out::Item(ReadItem::Diagnostic(d)), Out::Error(Error::Decode { offset: 9, .. })] => {
                assert_eq!(d.offset, 1)
            }
            other => panic!("{other:?}"),
        }
    }
}
