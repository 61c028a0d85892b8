//! `reconcile inspect`: print binlog transactions for people or as JSON lines.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use reconcile_binlog::{
    BinlogReader, ChecksumPolicy, FileSource, ReadItem, ReaderOptions, RowOp, Transaction,
};
use serde_json::json;

use crate::connect::ConnectOptions;
use crate::position::{Bound, GtidFilter};
use crate::render::{row_json, row_text, timestamp_utc};
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
    let gtids = args.gtid.as_deref().map(GtidFilter::parse).transpose()?;
    let start = args.start.as_deref().map(Bound::parse).transpose()?;
    let stop = args.stop.as_deref().map(Bound::parse).transpose()?;
    let input = Input::new("inspect", &args.sources, &args.connect, &args.stream)?;
    if args.follow && input.server().is_none() {
        bail!("--follow needs a server URL: files are read to their end");
    }
    let reader = input.open(options, None, args.follow)?;

    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut transactions, mut rows) = (0u64, 0u64);
    for item in reader {
        match item.context("reading binlog")? {
            ReadItem::Diagnostic(d) => {
                tracing::warn!(file = %d.file, offset = d.offset, kind = ?d.kind, "{}", d.message)
            }
            ReadItem::Transaction(tx) => {
                if start.as_ref().is_some_and(|b| !b.reached_by(&tx)) {
                    continue;
                }
                if stop.as_ref().is_some_and(|b| b.reached_by(&tx)) {
                    break;
                }
                if gtids
                    .as_ref()
                    .is_some_and(|g| !g.contains(tx.gtid.as_ref()))
                {
                    continue;
                }
                if !args.tables.is_empty() && tx.changes.is_empty() {
                    continue;
                }
                transactions += 1;
                rows += tx.changes.len() as u64;
                match args.format {
                    Format::Text => write_text(&mut out, &tx)?,
                    Format::Jsonl => {
                        serde_json::to_writer(&mut out, &transaction_json(&tx))?;
                        out.write_all(b"\n")?;
                    }
                }
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

fn op_name(op: RowOp) -> &'static str {
    match op {
        RowOp::Insert => "insert",
        RowOp::Update => "update",
        RowOp::Delete => "delete",
    }
}

/// The JSON line of one transaction.
pub fn transaction_json(tx: &Transaction) -> serde_json::Value {
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
