//! `reconcile inspect`: print binlog transactions for people or as JSON lines.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use reconcile_binlog::{
    BinlogReader, ChecksumPolicy, FileSource, ReadItem, ReaderOptions, RowImage, RowOp, Transaction,
};

use crate::connect::ConnectOptions;
use crate::position::{Bound, GtidFilter};
use crate::render::{
    push_json_str, push_row_json, push_value_json, row_text, timestamp_utc, RowKeys,
};
use crate::sources::{Input, StreamArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One block per transaction, for people.
    Text,
    /// One JSON object per transaction, stable enough to diff.
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChecksumMode {
    /// A checksum mismatch stops reading with an error naming file and offset.
    Error,
    /// A checksum mismatch is reported as a warning and reading goes on.
    Warn,
    /// Checksums are not verified.
    Skip,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Binlog files (read in the order given), one directory (read in the order of
    /// its .index file, else by sequence number), or a server (`mysql://USER@HOST:PORT/`),
    /// streamed as a replica reads it up to where its binlog ended at start.
    #[arg(required = true, value_name = "FILE|DIR|URL")]
    pub sources: Vec<PathBuf>,
    /// With a server: go on past the end, printing new transactions as they come.
    #[arg(long)]
    pub follow: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only row changes of this table (`db.table`, or `db.*`); repeatable. Rows of
    /// other tables are skipped without being decoded.
    #[arg(long = "table", value_name = "DB.TABLE")]
    pub tables: Vec<String>,
    /// Only transactions whose GTID is in this set: MariaDB `D-S-N` or `D-S-A..B`,
    /// MySQL `UUID[:TAG]:N[-M]`, comma-separated.
    #[arg(long, value_name = "SET")]
    pub gtid: Option<String>,
    /// Start at this position (`[FILE:]OFFSET`) or time (UTC `YYYY-MM-DD HH:MM:SS`, or `@EPOCH`).
    #[arg(long, value_name = "POS|TIME")]
    pub start: Option<String>,
    /// Stop before this position or time.
    #[arg(long, value_name = "POS|TIME")]
    pub stop: Option<String>,
    /// What a checksum mismatch does.
    #[arg(long, value_enum, default_value_t = ChecksumMode::Error)]
    pub checksums: ChecksumMode,
    #[command(flatten)]
    pub connect: ConnectOptions,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// A `--table` pattern: database, and table (`None` for `db.*`).
type TablePattern = (String, Option<String>);

/// `db.table` / `db.*` patterns.
fn table_matcher(patterns: &[String]) -> anyhow::Result<Option<Vec<TablePattern>>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for p in patterns {
        let Some((db, table)) = p.split_once('.') else {
            bail!("--table `{p}`: expected DB.TABLE or DB.*");
        };
        out.push((db.to_owned(), (table != "*").then(|| table.to_owned())));
    }
    Ok(Some(out))
}

/// The reader over the given sources: several files in order, or one directory.
pub fn open_reader(sources: &[PathBuf], options: ReaderOptions) -> anyhow::Result<BinlogReader> {
    let dirs = sources.iter().filter(|s| s.is_dir()).count();
    for source in sources {
        if !source.exists() {
            bail!("{}: no such file or directory", source.display());
        }
    }
    let source = match (dirs, sources) {
        (0, files) => FileSource::open_all(files.iter().cloned()),
        (1, [dir]) => FileSource::from_dir(dir)
            .with_context(|| format!("reading directory {}", dir.display()))?,
        _ => {
            bail!("give either binlog files or a single directory, not both or several directories")
        }
    };
    Ok(BinlogReader::new(source, options))
}

/// One item of the output, rendered on a worker thread.
enum Rendered {
    Diagnostic(reconcile_binlog::Diagnostic),
    /// A transaction before `--start`, outside `--gtid`, or without rows of `--table`.
    Skipped,
    /// The first transaction at `--stop`.
    Stop,
    Written {
        rows: u64,
        text: Vec<u8>,
    },
}

/// Which transactions are shown, and how.
struct Selection {
    format: Format,
    tables: bool,
    gtids: Option<GtidFilter>,
    start: Option<Bound>,
    stop: Option<Bound>,
}

impl Selection {
    fn render(&self, item: ReadItem) -> Rendered {
        let tx = match item {
            ReadItem::Diagnostic(d) => return Rendered::Diagnostic(d),
            ReadItem::Transaction(tx) => tx,
        };
        if self.start.as_ref().is_some_and(|b| !b.reached_by(&tx)) {
            return Rendered::Skipped;
        }
        if self.stop.as_ref().is_some_and(|b| b.reached_by(&tx)) {
            return Rendered::Stop;
        }
        if self
            .gtids
            .as_ref()
            .is_some_and(|g| !g.contains(tx.gtid.as_ref()))
        {
            return Rendered::Skipped;
        }
        if self.tables && tx.changes.is_empty() {
            return Rendered::Skipped;
        }
        let mut text = Vec::with_capacity(512 + 512 * tx.changes.len());
        match self.format {
            Format::Text => {
                let _ = write_text(&mut text, &tx);
            }
            Format::Jsonl => write_jsonl(&mut text, &tx),
        }
        Rendered::Written {
            rows: tx.changes.len() as u64,
            text,
        }
    }
}

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let mut options = ReaderOptions {
        verify_checksums: match args.checksums {
            ChecksumMode::Error => ChecksumPolicy::Error,
            ChecksumMode::Warn => ChecksumPolicy::Warn,
            ChecksumMode::Skip => ChecksumPolicy::Skip,
        },
        ..ReaderOptions::default()
    };
    if let Some(tables) = table_matcher(&args.tables)? {
        options = options.with_table_filter(move |db, table| {
            tables
                .iter()
                .any(|(d, t)| d == db && t.as_deref().is_none_or(|t| t == table))
        });
    }
    let selection = Selection {
        format: args.format,
        tables: !args.tables.is_empty(),
        gtids: args.gtid.as_deref().map(GtidFilter::parse).transpose()?,
        start: args.start.as_deref().map(Bound::parse).transpose()?,
        stop: args.stop.as_deref().map(Bound::parse).transpose()?,
    };
    let input = Input::new("inspect", &args.sources, &args.connect, &args.stream)?;
    if args.follow && input.server().is_none() {
        bail!("--follow needs a server URL: files are read to their end");
    }
    let reader: Box<dyn Iterator<Item = Result<Rendered, reconcile_binlog::Error>>> = match &input {
        // Decoding and rendering run on worker threads; this one reads, and
        // writes the rendered transactions in binlog order.
        Input::Files(paths) => Box::new(
            open_reader(paths, options)?
                .parallel(decode_threads(), move |item| selection.render(item)),
        ),
        // A stream is read on its own thread already; rendering stays here.
        Input::Server(_) => {
            let live = input.open(options, None, args.follow)?;
            Box::new(live.map(move |item| item.map(|item| selection.render(item))))
        }
    };

    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let (mut transactions, mut rows) = (0u64, 0u64);
    for item in reader {
        match item.context("reading binlog")? {
            Rendered::Diagnostic(d) => {
                tracing::warn!(file = %d.file, offset = d.offset, kind = ?d.kind, "{}", d.message)
            }
            Rendered::Skipped => {}
            Rendered::Stop => break,
            Rendered::Written { rows: n, text } => {
                transactions += 1;
                rows += n;
                out.write_all(&text)?;
                if args.follow {
                    out.flush()?;
                }
            }
        }
    }
    out.flush()?;
    tracing::info!(transactions, rows, "inspect done");
    Ok(())
}

/// Threads that decode row images: one per core.
pub fn decode_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

fn op_name(op: RowOp) -> &'static str {
    match op {
        RowOp::Insert => "insert",
        RowOp::Update => "update",
        RowOp::Delete => "delete",
    }
}

/// The JSON line of one transaction, as a JSON value ([`write_jsonl`] writes it
/// without building it).
#[cfg(test)]
pub fn transaction_json(tx: &Transaction) -> serde_json::Value {
    use crate::render::row_json;
    use serde_json::json;
    let changes: Vec<serde_json::Value> = tx
        .changes
        .iter()
        .map(|c| {
            let table = tx.table_of(c);
            json!({
                "schema": c.schema,
                "table": c.table,
                "op": op_name(c.op),
                "image": format!("{:?}", c.image).to_lowercase(),
                "before": c.before.as_ref().map(|r| row_json(table, r)),
                "after": c.after.as_ref().map(|r| row_json(table, r)),
            })
        })
        .collect();
    let statements: Vec<serde_json::Value> = tx
        .statements
        .iter()
        .map(|s| json!({ "kind": format!("{:?}", s.kind).to_lowercase(), "schema": s.schema, "text": s.text }))
        .collect();
    json!({
        "gtid": tx.gtid.as_ref().map(ToString::to_string),
        "server_id": tx.server_id,
        "time": timestamp_utc(tx.timestamp, 0, 0),
        "file": tx.position.file,
        "start": tx.position.start,
        "end": tx.position.end,
        "changes": changes,
        "statements": statements,
    })
}

/// Appends the JSON line of one transaction: the bytes `serde_json::to_writer` writes
/// for [`transaction_json`], and a newline, without building the JSON value.
pub fn write_jsonl(out: &mut Vec<u8>, tx: &Transaction) {
    let keys: Vec<RowKeys> = tx.tables.iter().map(|t| RowKeys::new(Some(t))).collect();
    let no_table = RowKeys::new(None);
    // `{"schema":...,"table":...,"op":"` of the last table written
    let mut head: (&str, &str, Vec<u8>) = ("", "", Vec::new());
    out.extend_from_slice(b"{\"gtid\":");
    match &tx.gtid {
        Some(g) => push_json_str(out, &g.to_string()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"server_id\":");
    push_value_json(out, &reconcile_binlog::Value::UInt(u64::from(tx.server_id)));
    out.extend_from_slice(b",\"time\":");
    push_json_str(out, &timestamp_utc(tx.timestamp, 0, 0));
    out.extend_from_slice(b",\"file\":");
    push_json_str(out, &tx.position.file);
    out.extend_from_slice(b",\"start\":");
    push_value_json(out, &reconcile_binlog::Value::UInt(tx.position.start));
    out.extend_from_slice(b",\"end\":");
    push_value_json(out, &reconcile_binlog::Value::UInt(tx.position.end));
    out.extend_from_slice(b",\"changes\":[");
    for (n, c) in tx.changes.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let table = tx.table_of(c);
        let keys = match table {
            Some(_) => keys.get(c.table_index).unwrap_or(&no_table),
            None => &no_table,
        };
        if head.2.is_empty() || head.0 != &*c.schema || head.1 != &*c.table {
            let mut text = b"{\"schema\":".to_vec();
            push_json_str(&mut text, &c.schema);
            text.extend_from_slice(b",\"table\":");
            push_json_str(&mut text, &c.table);
            text.extend_from_slice(b",\"op\":\"");
            head = (&c.schema, &c.table, text);
        }
        out.extend_from_slice(&head.2);
        out.extend_from_slice(op_name(c.op).as_bytes());
        out.extend_from_slice(b"\",\"image\":\"");
        out.extend_from_slice(image_name(c.image).as_bytes());
        out.extend_from_slice(b"\",\"before\":");
        match &c.before {
            Some(r) => push_row_json(out, table, r, keys),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"after\":");
        match &c.after {
            Some(r) => push_row_json(out, table, r, keys),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"statements\":[");
    for (n, st) in tx.statements.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"kind\":");
        push_json_str(out, &format!("{:?}", st.kind).to_lowercase());
        out.extend_from_slice(b",\"schema\":");
        match &st.schema {
            Some(db) => push_json_str(out, db),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"text\":");
        push_json_str(out, &st.text);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}\n");
}

fn image_name(image: RowImage) -> &'static str {
    match image {
        RowImage::Full => "full",
        RowImage::Noblob => "noblob",
        RowImage::Minimal => "minimal",
    }
}

fn write_text(out: &mut impl Write, tx: &Transaction) -> std::io::Result<()> {
    let gtid = tx
        .gtid
        .as_ref()
        .map_or_else(|| "(no GTID)".to_owned(), ToString::to_string);
    writeln!(
        out,
        "# {gtid}  server {}  {} UTC  {} {}..{}",
        tx.server_id,
        timestamp_utc(tx.timestamp, 0, 0),
        tx.position.file,
        tx.position.start,
        tx.position.end
    )?;
    for s in &tx.statements {
        let kind = format!("{:?}", s.kind).to_lowercase();
        match &s.schema {
            Some(db) => writeln!(out, "{kind} (in {db}): {}", s.text)?,
            None => writeln!(out, "{kind}: {}", s.text)?,
        }
    }
    for c in &tx.changes {
        let table = tx.table_of(c);
        writeln!(
            out,
            "{} {}.{}",
            op_name(c.op).to_uppercase(),
            c.schema,
            c.table
        )?;
        if let Some(before) = &c.before {
            writeln!(out, "  before: {}", row_text(table, before))?;
        }
        if let Some(after) = &c.after {
            writeln!(out, "  after:  {}", row_text(table, after))?;
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// The fast writer writes exactly what serializing the JSON value writes, for
    /// every transaction of every fixture (every MariaDB column type, MySQL events,
    /// partial images, compressed events).
    #[test]
    fn jsonl_lines_are_the_serialized_json_values() {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
        let mut lines = 0;
        for scenario in std::fs::read_dir(&root).unwrap() {
            let scenario = scenario.unwrap().path();
            if !scenario.is_dir() || scenario.ends_with("large") {
                continue;
            }
            for side in ["east", "west"] {
                let reader =
                    BinlogReader::open_dir(scenario.join(side), ReaderOptions::default()).unwrap();
                for item in reader {
                    let ReadItem::Transaction(tx) = item.unwrap() else {
                        continue;
                    };
                    let mut expected = serde_json::to_vec(&transaction_json(&tx)).unwrap();
                    expected.push(b'\n');
                    let mut got = Vec::new();
                    write_jsonl(&mut got, &tx);
                    assert_eq!(
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&expected),
                        "{}",
                        scenario.display()
                    );
                    lines += 1;
                }
            }
        }
        assert!(lines > 100, "{lines}");
    }
}
