//! Where raw events come from: the [`EventSource`] seam, and the file /
//! directory / in-memory implementation [`FileSource`].

use std::collections::VecDeque;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, DiagnosticKind, Error};
use crate::event::{event_type, EventHeader, HEADER_LEN, LOG_EVENT_BINLOG_IN_USE_F};

/// The 4 magic bytes every binlog file starts with.
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, 0x62, 0x69, 0x6e];

/// One item produced by an [`EventSource`].
#[derive(Debug)]
pub enum SourceItem<'a> {
    /// A new file (or, for a network stream, a new binlog name) starts; all
    /// following offsets are in it. Decoding state is reset.
    FileStart {
        /// File name used in positions and errors.
        file: &'a str,
    },
    /// One complete event: header, body and checksum (if any).
    Event {
        /// The event bytes.
        bytes: &'a [u8],
        /// Offset of the event in its file.
        offset: u64,
    },
    /// A non-fatal finding, e.g. a file that ends mid-event while in use.
    Diagnostic(Diagnostic),
}

/// A supplier of raw events. Files implement it with [`FileSource`]; a live
/// replication stream can implement it to reuse the decoding and
/// transaction assembly of [`BinlogReader`](crate::BinlogReader).
pub trait EventSource {
    /// The next item, `Ok(None)` at the end of the input.
    fn next_item(&mut self) -> Result<Option<SourceItem<'_>>, Error>;

    /// The next item, or the next events of the current file back to back: as
    /// many whole events as the source holds side by side in memory, together at
    /// most `max_bytes` long (the first event always, whatever its size). For a
    /// reader that copies events, one copy instead of one per event. By default
    /// every event comes on its own, as from [`next_item`](Self::next_item).
    fn next_events(&mut self, max_bytes: usize) -> Result<Option<SourceRun<'_>>, Error> {
        let _ = max_bytes;
        Ok(self.next_item()?.map(SourceRun::Item))
    }
}

/// One answer of [`EventSource::next_events`].
#[derive(Debug)]
pub enum SourceRun<'a> {
    /// What [`EventSource::next_item`] would give.
    Item(SourceItem<'a>),
    /// Whole events of one file, back to back: each starts with a header whose
    /// event size is at least the header's and ends within `bytes`, and the next
    /// event starts where it ends.
    Events {
        /// The events' bytes.
        bytes: &'a [u8],
        /// Offset of the first event in its file.
        offset: u64,
    },
}

/// The events of a [`SourceRun::Events`] run: `(start in the run, bytes)` of each,
/// found by the event sizes in their headers. A size that breaks the promise
/// (too small, or past the end) ends the walk with the rest as one event.
pub fn run_events(run: &[u8]) -> impl Iterator<Item = (usize, &[u8])> + '_ {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let rest = run.get(at..).filter(|r| !r.is_empty())?;
        let size = event_size(rest)
            .filter(|&n| n >= HEADER_LEN && n <= rest.len())
            .unwrap_or(rest.len());
        let start = at;
        at += size;
        Some((start, rest.get(..size).unwrap_or(rest)))
    })
}

/// The event size an event's header gives, if `event` holds a whole header.
fn event_size(event: &[u8]) -> Option<usize> {
    EventHeader::parse(event)
        .ok()
        .map(|header| header.event_size as usize)
}

/// What [`FileSource`] found next, as positions in its window.
enum Step {
    FileStart,
    /// An event: `buf[at..at + size]`, at `offset` in the file.
    Event {
        at: usize,
        size: usize,
        offset: u64,
    },
    Diagnostic(Diagnostic),
    End,
}

enum Input {
    Path(PathBuf),
    Memory { name: String, data: Vec<u8> },
}

struct OpenFile {
    name: String,
    reader: Box<dyn Read + Send>,
    len: u64,
    /// Offset of the next event.
    pos: u64,
    /// Offset of the first byte not read yet.
    read_pos: u64,
    in_use: bool,
}

/// Bytes read from the file at a time.
const CHUNK: usize = 1 << 20;

/// Reads binlog files one after the other, streaming each through one window of
/// about 1 MiB (larger only for a larger event): memory use is bounded by the
/// largest event, not the file size. Events are handed out as slices of the
/// window, without another copy.
pub struct FileSource {
    inputs: VecDeque<Input>,
    current: Option<OpenFile>,
    /// The window: `buf[start..end]` are the file's bytes from `pos` on.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    done: bool,
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("pending_inputs", &self.inputs.len())
            .field("current", &self.current.as_ref().map(|c| (&c.name, c.pos)))
            .finish()
    }
}

fn io_err(file: &str, source: std::io::Error) -> Error {
    Error::Io {
        file: file.to_string(),
        source,
    }
}

/// Numeric sequence suffix of a binlog file name (`mysql-bin.000012` -> 12).
fn sequence_suffix(name: &str) -> Option<(String, u64)> {
    let (base, ext) = name.rsplit_once('.')?;
    if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base.to_string(), ext.parse().ok()?))
}

impl FileSource {
    fn new(inputs: VecDeque<Input>) -> Self {
        FileSource {
            inputs,
            current: None,
            buf: Vec::new(),
            start: 0,
            end: 0,
            done: false,
        }
    }

    /// One file.
    pub fn open(path: impl Into<PathBuf>) -> Self {
        Self::new(VecDeque::from([Input::Path(path.into())]))
    }

    /// Several files, read in the order given.
    pub fn open_all<I, P>(paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        Self::new(paths.into_iter().map(|p| Input::Path(p.into())).collect())
    }

    /// In-memory binlog bytes (tests, fuzzing, data already loaded).
    pub fn from_bytes(name: impl Into<String>, data: Vec<u8>) -> Self {
        Self::new(VecDeque::from([Input::Memory {
            name: name.into(),
            data,
        }]))
    }

    /// The binlogs of a directory: the files listed by its `*.index` file
    /// when there is one, otherwise the files named `<base>.<digits>`,
    /// sorted by base name then numeric suffix.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Self::open_all(list_dir(dir.as_ref())?))
    }

    fn open_next(&mut self) -> Result<Option<String>, Error> {
        let Some(input) = self.inputs.pop_front() else {
            return Ok(None);
        };
        let (name, reader, len): (String, Box<dyn Read + Send>, u64) = match input {
            Input::Path(p) => {
                let name = p.display().to_string();
                let f = File::open(&p).map_err(|e| io_err(&name, e))?;
                let len = f.metadata().map_err(|e| io_err(&name, e))?.len();
                (name, Box::new(f), len)
            }
            Input::Memory { name, data } => {
                let len = data.len() as u64;
                (name, Box::new(std::io::Cursor::new(data)), len)
            }
        };
        self.start = 0;
        self.end = 0;
        self.current = Some(OpenFile {
            name: name.clone(),
            reader,
            len,
            pos: 0,
            read_pos: 0,
            in_use: false,
        });
        let got = self.fill(4)?;
        let magic = self
            .buf
            .get(self.start..self.start + got.min(4))
            .unwrap_or(&[]);
        if got < 4 || magic != BINLOG_MAGIC {
            let found = magic.to_vec();
            self.current = None;
            return Err(Error::BadMagic { file: name, found });
        }
        self.start += 4;
        if let Some(cur) = self.current.as_mut() {
            cur.pos = 4;
        }
        Ok(Some(name))
    }

    /// Makes at least `want` bytes of the current file available in the window
    /// (fewer only at its end); returns how many are.
    fn fill(&mut self, want: usize) -> Result<usize, Error> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(0);
        };
        let mut have = self.end - self.start;
        if have >= want {
            return Ok(have);
        }
        // move what is left to the front, and make room for a chunk or the event
        self.buf.copy_within(self.start..self.end, 0);
        self.start = 0;
        self.end = have;
        // a chunk, but not more than the file still holds (small files, tests)
        let in_file = usize::try_from(cur.len.saturating_sub(cur.read_pos)).unwrap_or(usize::MAX);
        let room = want.max(CHUNK.min(have.saturating_add(in_file)));
        if self.buf.len() < room {
            self.buf.resize(room, 0);
        }
        while have < want {
            // never past the length the file had when opened
            let left = usize::try_from(cur.len.saturating_sub(cur.read_pos)).unwrap_or(usize::MAX);
            let space = (self.buf.len() - self.end).min(left);
            if space == 0 {
                break;
            }
            let Some(dst) = self.buf.get_mut(self.end..self.end + space) else {
                break;
            };
            match cur.reader.read(dst) {
                Ok(0) => break,
                Ok(k) => {
                    self.end += k;
                    cur.read_pos += k as u64;
                    have += k;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&cur.name, e)),
            }
        }
        Ok(have)
    }
}

impl FileSource {
    /// The next item, as positions in the window.
    fn step(&mut self) -> Result<Step, Error> {
        if self.done {
            return Ok(Step::End);
        }
        if self.current.is_none() {
            match self.open_next() {
                Ok(Some(_)) => return Ok(Step::FileStart),
                Ok(None) => {
                    self.done = true;
                    return Ok(Step::End);
                }
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        let Some(cur) = self.current.as_ref() else {
            return Ok(Step::End);
        };
        let remaining = cur.len.saturating_sub(cur.pos);
        if remaining == 0 {
            self.current = None;
            return self.step();
        }
        let offset = cur.pos;
        let needed = if remaining < HEADER_LEN as u64 {
            HEADER_LEN as u64
        } else {
            let got = self.fill(HEADER_LEN)?;
            let header = self
                .buf
                .get(self.start..self.start + HEADER_LEN.min(got))
                .unwrap_or(&[]);
            if got < HEADER_LEN {
                HEADER_LEN as u64
            } else {
                let name = || {
                    self.current
                        .as_ref()
                        .map(|c| c.name.clone())
                        .unwrap_or_default()
                };
                let h = EventHeader::parse(header).map_err(|source| Error::Decode {
                    file: name(),
                    offset,
                    event_type: 0,
                    source,
                })?;
                if (h.event_size as usize) < HEADER_LEN {
                    self.done = true;
                    return Err(Error::Decode {
                        file: name(),
                        offset,
                        event_type: h.type_code,
                        source: crate::error::DecodeError::new(
                            9,
                            format!(
                                "event size {} is smaller than the 19-byte header",
                                h.event_size
                            ),
                        ),
                    });
                }
                if offset == 4 && h.type_code == event_type::FORMAT_DESCRIPTION {
                    if let Some(cur) = self.current.as_mut() {
                        cur.in_use = h.flags & LOG_EVENT_BINLOG_IN_USE_F != 0;
                    }
                }
                u64::from(h.event_size)
            }
        };
        if needed > remaining {
            let (name, in_use) = self
                .current
                .take()
                .map(|c| (c.name, c.in_use))
                .unwrap_or_default();
            if in_use {
                return Ok(Step::Diagnostic(Diagnostic {
                    message: format!(
                        "file ends mid-event at offset {offset} ({remaining} of {needed} bytes present); was the server still writing it?"
                    ),
                    file: name,
                    offset,
                    kind: DiagnosticKind::FileEndsMidEvent,
                }));
            }
            self.done = true;
            return Err(Error::Truncated {
                file: name,
                offset,
                needed,
                available: remaining,
            });
        }
        // needed <= remaining <= file length: the window is backed by real bytes
        let size = needed as usize;
        let got = self.fill(size)?;
        if got < size {
            self.done = true;
            return Err(Error::Truncated {
                file: self
                    .current
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                offset,
                needed,
                available: got as u64,
            });
        }
        let at = self.start;
        self.start += size;
        if let Some(cur) = self.current.as_mut() {
            cur.pos += needed;
        }
        Ok(Step::Event { at, size, offset })
    }

    /// Where the next event in the window ends, if it is whole and ends within
    /// `limit` of the window (an event the window does not hold whole is left to
    /// [`step`](Self::step), which reads it and reports what is wrong with it).
    fn next_whole_event(&self, limit: usize) -> Option<usize> {
        // only the window's bytes: the buffer past `end` holds earlier reads
        let size = event_size(self.buf.get(self.start..self.end)?)?;
        let end = self.start.checked_add(size)?;
        (size >= HEADER_LEN && end <= self.end && end <= limit).then_some(end)
    }

    fn view(&self, step: Step) -> Option<SourceItem<'_>> {
        match step {
            Step::FileStart => Some(SourceItem::FileStart {
                file: self.current.as_ref().map(|c| c.name.as_str()).unwrap_or(""),
            }),
            Step::Event { at, size, offset } => Some(SourceItem::Event {
                bytes: self.buf.get(at..at + size).unwrap_or(&[]),
                offset,
            }),
            Step::Diagnostic(d) => Some(SourceItem::Diagnostic(d)),
            Step::End => None,
        }
    }
}

impl EventSource for FileSource {
    fn next_item(&mut self) -> Result<Option<SourceItem<'_>>, Error> {
        let step = self.step()?;
        Ok(self.view(step))
    }

    /// Events of the window back to back: the first as [`next_item`](EventSource::next_item) reads it,
    /// then those that follow it whole in the window (the window never holds
    /// bytes past the file's end).
    fn next_events(&mut self, max_bytes: usize) -> Result<Option<SourceRun<'_>>, Error> {
        let (at, size, offset) = match self.step()? {
            Step::Event { at, size, offset } => (at, size, offset),
            step => return Ok(self.view(step).map(SourceRun::Item)),
        };
        let limit = at.saturating_add(size.max(max_bytes));
        while let Some(end) = self.next_whole_event(limit) {
            if let Some(cur) = self.current.as_mut() {
                cur.pos += (end - self.start) as u64;
            }
            self.start = end;
        }
        Ok(Some(SourceRun::Events {
            bytes: self.buf.get(at..self.start).unwrap_or(&[]),
            offset,
        }))
    }
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let path = dir.display().to_string();
    let listing_err = |reason: String| Error::Listing {
        path: path.clone(),
        reason,
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| listing_err(format!("cannot list directory: {e}")))?;
    let mut names = Vec::new();
    for e in entries {
        let e = e.map_err(|e| listing_err(format!("cannot list directory: {e}")))?;
        if e.file_type().map(|t| t.is_file()).unwrap_or(false) {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    if let Some(index) = names.iter().find(|n| n.ends_with(".index")) {
        let text = std::fs::read_to_string(dir.join(index))
            .map_err(|e| listing_err(format!("cannot read index {index}: {e}")))?;
        let mut out = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let p = Path::new(line);
            let candidate = if p.is_absolute() && p.exists() {
                p.to_path_buf()
            } else {
                let file = p.file_name().ok_or_else(|| {
                    listing_err(format!("index {index} lists {line:?}, not a file"))
                })?;
                dir.join(file)
            };
            out.push(candidate);
        }
        return Ok(out);
    }
    let mut seq: Vec<(String, u64, String)> = names
        .into_iter()
        .filter_map(|n| sequence_suffix(&n).map(|(b, k)| (b, k, n)))
        .collect();
    seq.sort();
    if seq.is_empty() {
        return Err(listing_err(
            "no binlog files (name.NNNNNN) found".to_string(),
        ));
    }
    Ok(seq.into_iter().map(|(_, _, n)| dir.join(n)).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(
            sequence_suffix("mysql-bin.000012"),
            Some(("mysql-bin".into(), 12))
        );
        assert_eq!(sequence_suffix("mysql-bin.index"), None);
        assert_eq!(sequence_suffix("noext"), None);
    }

    /// An event of `size` bytes (header and filler) of type `t`.
    fn event(t: u8, size: u32) -> Vec<u8> {
        let mut e = vec![0u8; size as usize];
        e[4] = t;
        e[9..13].copy_from_slice(&size.to_le_bytes());
        e
    }

    /// Everything a source gives, one event per entry, through `next_events(max)`
    /// (`None`: through `next_item`).
    fn drain(mut s: FileSource, max: Option<usize>) -> Vec<Result<(u64, Vec<u8>), String>> {
        let mut out = Vec::new();
        loop {
            let got = match max {
                Some(max) => s.next_events(max).map(|r| {
                    r.map(|r| match r {
                        SourceRun::Events { bytes, offset } => (
                            offset,
                            run_events(bytes).map(|(at, e)| (at, e.to_vec())).collect(),
                        ),
                        SourceRun::Item(SourceItem::Event { bytes, offset }) => {
                            (offset, vec![(0, bytes.to_vec())])
                        }
                        SourceRun::Item(_) => (0, vec![]),
                    })
                }),
                None => s.next_item().map(|i| {
                    i.map(|i| match i {
                        SourceItem::Event { bytes, offset } => (offset, vec![(0, bytes.to_vec())]),
                        _ => (0, vec![]),
                    })
                }),
            };
            match got {
                Ok(None) => return out,
                Ok(Some((offset, events))) => {
                    if let Some(max) = max {
                        let total: usize = events.iter().map(|(_, e)| e.len()).sum();
                        assert!(
                            events.len() == 1 || total <= max,
                            "a run of {total} > {max}"
                        );
                    }
                    out.extend(
                        events
                            .into_iter()
                            .map(|(at, e)| Ok((offset + at as u64, e))),
                    )
                }
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[test]
    fn runs_of_events_are_the_events_one_by_one() {
        let mut file = BINLOG_MAGIC.to_vec();
        for (i, size) in [19u32, 40, 300, 19, 5000, 77, 19, 1200].iter().enumerate() {
            file.extend(event(i as u8 + 2, *size));
        }
        let one_by_one = drain(FileSource::from_bytes("f", file.clone()), None);
        assert_eq!(one_by_one.len(), 8);
        for max in [0, 1, 19, 59, 60, 400, 5000, 1 << 20] {
            let runs = drain(FileSource::from_bytes("f", file.clone()), Some(max));
            assert_eq!(runs, one_by_one, "max {max}");
        }
        // a damaged size ends the run before it, and is reported where next_item
        // reports it; so is a file that ends mid-event
        let mut damaged = file.clone();
        damaged[4 + 19 + 40 + 9..4 + 19 + 40 + 13].copy_from_slice(&7u32.to_le_bytes());
        let mut truncated = file.clone();
        truncated.truncate(file.len() - 100);
        for bad in [damaged, truncated] {
            let one_by_one = drain(FileSource::from_bytes("f", bad.clone()), None);
            assert!(matches!(one_by_one.last(), Some(Err(_))));
            for max in [0, 100, 1 << 20] {
                assert_eq!(
                    drain(FileSource::from_bytes("f", bad.clone()), Some(max)),
                    one_by_one
                );
            }
        }
    }

    #[test]
    fn a_run_walk_keeps_a_broken_size_as_one_event() {
        let mut run = event(2, 30);
        run.extend(event(3, 25));
        let sizes: Vec<(usize, usize)> = run_events(&run).map(|(at, e)| (at, e.len())).collect();
        assert_eq!(sizes, [(0, 30), (30, 25)]);
        run[30 + 9] = 200; // past the end
        let sizes: Vec<(usize, usize)> = run_events(&run).map(|(at, e)| (at, e.len())).collect();
        assert_eq!(sizes, [(0, 30), (30, 25)]);
        run[30 + 9] = 3; // smaller than a header
        assert_eq!(run_events(&run).count(), 2);
        assert_eq!(run_events(&[]).count(), 0);
    }

    #[test]
    fn bad_magic_and_empty() {
        let mut s = FileSource::from_bytes("x", vec![1, 2]);
        assert!(matches!(s.next_item(), Err(Error::BadMagic { .. })));
        let mut s = FileSource::from_bytes("x", BINLOG_MAGIC.to_vec());
        assert!(matches!(
            s.next_item(),
            Ok(Some(SourceItem::FileStart { .. }))
        ));
        assert!(matches!(s.next_item(), Ok(None)));
    }
}
