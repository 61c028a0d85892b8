//! Decoding row images off the reading thread.
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

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::error::{DecodeError, Error};
use crate::event::{decode_event, Event};
use crate::select::{read_rows, Acc, ReadStats, Scratch};
use crate::source::{EventSource, FileSource};
use crate::transaction::{Batch, FileFacts, Framer, Piece, ReadItem, RowsWork};

/// A batch is handed on once its rows events hold this many bytes ...
const BATCH_BYTES: usize = 1 << 20;
/// ... or it holds this many pieces (small transactions: a few hundred of them).
const BATCH_PIECES: usize = 1024;

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
}

impl Runner {
    /// Decodes a batch. A transaction that starts and ends in the batch comes out
    /// whole (and mapped); one that spans batches comes out in parts.
    /// Returns the outputs, and the batch's rows buffer for reuse.
    pub fn run<T>(&mut self, batch: Batch, map: &dyn Fn(ReadItem) -> T) -> (Vec<Out<T>>, Vec<u8>) {
        let Batch {
            arena,
            pieces,
            continues,
        } = batch;
        let outs = self.run_pieces(&arena, pieces, continues, map);
        (outs, arena)
    }

    fn run_pieces<T>(
        &mut self,
        arena: &[u8],
        pieces: Vec<(Piece, bool)>,
        continues: bool,
        map: &dyn Fn(ReadItem) -> T,
    ) -> Vec<Out<T>> {
        let mut outs = Vec::new();
        // the outputs of the source event being run: kept only if all of it runs
        let mut event = Vec::new();
        let mut acc = Acc::default();
        let mut foreign = continues;
        for (piece, last_of_event) in pieces {
            match piece {
                Piece::Item(item) => event.push(Out::Item(map(item))),
                Piece::Rows(work) => {
                    if let Err(e) = self.decode(arena, &work, &mut acc) {
                        outs.push(Out::Error(e));
                        return outs;
                    }
                }
                Piece::Commit(mut tx) => {
                    if foreign {
                        event.push(Out::Part(std::mem::take(&mut acc)));
                        event.push(Out::Commit(tx));
                        foreign = false;
                    } else {
                        let (changes, skipped) = std::mem::take(&mut acc).into_parts();
                        tx.changes = changes;
                        tx.skipped = skipped;
                        event.push(Out::Item(map(ReadItem::Transaction(*tx))));
                    }
                }
                Piece::Drop(info) => {
                    if foreign {
                        event.push(Out::Part(std::mem::take(&mut acc)));
                        event.push(Out::Drop(info));
                        foreign = false;
                    } else {
                        let rows = std::mem::take(&mut acc);
                        if let Some(d) = info.diagnostic(rows.changes.len(), rows.skipped_rows()) {
                            event.push(Out::Item(map(ReadItem::Diagnostic(d))));
                        }
                    }
                }
                Piece::Error(e) => {
                    outs.push(Out::Error(e));
                    return outs;
                }
            }
            if last_of_event {
                outs.append(&mut event);
            }
        }
        outs.append(&mut event);
        if !acc.is_empty() {
            outs.push(Out::Part(acc));
        }
        outs
    }

    fn decode(&mut self, arena: &[u8], work: &RowsWork, acc: &mut Acc) -> Result<(), Error> {
        let err = |source: DecodeError| Error::Decode {
            file: work.file.to_string(),
            offset: work.offset,
            event_type: work.event_type,
            source,
        };
        let event = arena.get(work.range.clone()).unwrap_or(&[]);
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

type Job = (u64, Batch);
/// Rows buffers going back to the reading thread.
type Arenas = (Sender<Vec<u8>>, Receiver<Vec<u8>>);
type Done<T> = (u64, std::thread::Result<(Vec<Out<T>>, ReadStats)>);
type MapFn<T> = Arc<dyn Fn(ReadItem) -> T + Send + Sync>;

/// A [`BinlogReader`](crate::BinlogReader) that decodes row images on worker
/// threads while the calling thread reads and frames events. Items come out in
/// binlog order, each passed through a map function that runs on the workers (so
/// per-item work such as formatting is parallel too); the items, their order, the
/// first error and the end after it are those of the sequential reader.
///
/// Memory: at most `2 * workers + 2` batches of about 1 MiB of rows events are in
/// flight, plus what they decode to.
pub struct ParallelReader<T, S: EventSource = FileSource> {
    source: S,
    framer: Framer,
    map: MapFn<T>,
    jobs: Option<Sender<Job>>,
    results: Receiver<Done<T>>,
    arenas: Receiver<Vec<u8>>,
    workers: Vec<JoinHandle<()>>,
    sent: u64,
    next: u64,
    max_in_flight: u64,
    batch_bytes: usize,
    pending: BTreeMap<u64, Vec<Out<T>>>,
    queue: VecDeque<Out<T>>,
    consumer: Consumer,
    stats: ReadStats,
    finished: bool,
}

impl<T, S: EventSource> std::fmt::Debug for ParallelReader<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelReader")
            .field("workers", &self.workers.len())
            .field("batches_sent", &self.sent)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<T: Send + 'static, S: EventSource> ParallelReader<T, S> {
    pub(crate) fn new<F>(source: S, framer: Framer, workers: usize, map: F) -> Self
    where
        F: Fn(ReadItem) -> T + Send + Sync + 'static,
    {
        let map: MapFn<T> = Arc::new(map);
        let (jobs, job_rx) = channel::<Job>();
        let (done_tx, results) = channel::<Done<T>>();
        let (arena_tx, arenas): Arenas = channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let n = workers.max(1);
        let workers = (0..n)
            .map(|_| {
                let job_rx = Arc::clone(&job_rx);
                let done_tx = done_tx.clone();
                let arena_tx = arena_tx.clone();
                let map = Arc::clone(&map);
                std::thread::spawn(move || worker(&job_rx, &done_tx, &arena_tx, &*map))
            })
            .collect();
        ParallelReader {
            source,
            framer,
            map,
            jobs: Some(jobs),
            results,
            arenas,
            workers,
            sent: 0,
            next: 0,
            max_in_flight: 2 * n as u64 + 2,
            batch_bytes: BATCH_BYTES,
            pending: BTreeMap::new(),
            queue: VecDeque::new(),
            consumer: Consumer::default(),
            stats: ReadStats::default(),
            finished: false,
        }
    }

    /// Facts of the files read so far (reading runs a few batches ahead of the
    /// items yielded).
    pub fn files(&self) -> &[FileFacts] {
        self.framer.files()
    }

    /// Hands rows events on in batches of about `bytes` (1 MiB by default): smaller
    /// batches keep less in flight and cost more hand-overs. Takes effect for the
    /// batches framed after the call.
    pub fn with_batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// What was decoded in the batches yielded so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Frames input into batches and hands them on while there is room.
    fn fill(&mut self) -> Result<(), Error> {
        while self.sent - self.next < self.max_in_flight {
            loop {
                let (bytes, pieces) = self.framer.batch_size();
                if self.framer.is_done() || bytes >= self.batch_bytes || pieces >= BATCH_PIECES {
                    break;
                }
                self.framer.step(&mut self.source);
            }
            if self.framer.batch_size().1 == 0 {
                return Ok(());
            }
            // a buffer a huge event grew is not kept
            let arena = self
                .arenas
                .try_recv()
                .ok()
                .filter(|a| a.capacity() <= self.batch_bytes.saturating_mul(4))
                .unwrap_or_else(|| Vec::with_capacity(self.batch_bytes.saturating_add(1 << 16)));
            let batch = self.framer.take_batch(arena);
            let sent = self
                .jobs
                .as_ref()
                .is_some_and(|jobs| jobs.send((self.sent, batch)).is_ok());
            if !sent {
                return Err(Error::WorkerLost);
            }
            self.sent += 1;
        }
        Ok(())
    }
}

fn worker<T>(
    jobs: &Mutex<Receiver<Job>>,
    done: &Sender<Done<T>>,
    arenas: &Sender<Vec<u8>>,
    map: &dyn Fn(ReadItem) -> T,
) {
    let mut runner = Runner::default();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok((seq, batch)) = job else { return };
        runner.stats = ReadStats::default();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (outs, arena) = runner.run(batch, map);
            let _ = arenas.send(arena);
            (outs, runner.stats)
        }));
        if done.send((seq, result)).is_err() {
            return;
        }
    }
}

impl<T: Send + 'static, S: EventSource> Iterator for ParallelReader<T, S> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(out) = self.queue.pop_front() {
                if let Some(item) = self.consumer.take(out, &*self.map) {
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
            if let Err(e) = self.fill() {
                self.finished = true;
                return Some(Err(e));
            }
            if self.next == self.sent {
                // nothing in flight and nothing left to frame
                self.finished = true;
                continue;
            }
            if let Some(outs) = self.pending.remove(&self.next) {
                self.next += 1;
                self.queue.extend(outs);
                continue;
            }
            match self.results.recv() {
                Ok((seq, Ok((outs, stats)))) => {
                    self.stats.add(&stats);
                    self.pending.insert(seq, outs);
                }
                // a panic of the map function belongs to the caller
                Ok((_, Err(panic))) => std::panic::resume_unwind(panic),
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
        // closing the job channel ends the workers after their current batch
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
