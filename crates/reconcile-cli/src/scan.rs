//! `reconcile scan`: find the divergence, fold both sides, classify every East change,
//! and write the DBA's worksheet, the plan and a summary.

use std::collections::BTreeMap;
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use reconcile_binlog::{Diagnostic, FileFacts, ReadItem, ReaderOptions, Transaction};
use reconcile_diff::{
    find_divergence, Class, Config, Divergence, DivergenceError, DivergenceGuess, EastPass,
    GtidHistory, HistoryGtids, Outcome, WestPass,
};
use reconcile_schema::Schema;
use serde_json::json;

use crate::connect::{is_url, ConnectOptions};
use crate::position::Bound;
use crate::report;
use crate::sources::{Input, StreamArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeMode {
    /// Column-disjoint updates stay `review` with a `merge-columns` suggestion.
    None,
    /// Column-disjoint updates become `auto`, applied as the merged row.
    DisjointColumns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RetryMode {
    /// Possible user retries stay `review` (`duplicate-of` suggestion).
    Review,
    /// Possible user retries become `skip`.
    Skip,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// The old primary's binlogs: files (in order), one directory, or the server
    /// itself (`mysql://USER@HOST:PORT/`), streamed as a replica reads it.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE|DIR|URL")]
    pub east: Vec<PathBuf>,
    /// The surviving primary's binlogs: files (in order), one directory, or a URL.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE|DIR|URL")]
    pub west: Vec<PathBuf>,
    /// The surviving primary's schema (unique keys, foreign keys, triggers, generated
    /// columns): a `mysqldump --no-data` style file, or the server's URL
    /// (`mysql://USER@HOST:PORT/`) to read it live from information_schema. Without it
    /// nothing can be `auto`.
    #[arg(long, value_name = "FILE.sql|URL")]
    pub schema: Option<PathBuf>,
    /// Without GTIDs: where East's own transactions start (`[FILE:]POS` or a UTC time).
    #[arg(long, value_name = "POS|TIME")]
    pub east_from: Option<String>,
    /// Without GTIDs: where West's own transactions start.
    #[arg(long, value_name = "POS|TIME")]
    pub west_from: Option<String>,
    /// Output directory; must not exist yet (or be empty) unless --overwrite.
    #[arg(long, default_value = "reconcile-out", value_name = "DIR")]
    pub out: PathBuf,
    /// Replace an existing output directory (its edited decisions are lost).
    #[arg(long)]
    pub overwrite: bool,
    /// How to treat updates both sides made to disjoint columns.
    #[arg(long, value_enum, default_value_t = MergeMode::None)]
    pub merge: MergeMode,
    /// How to treat East inserts that West's users apparently repeated.
    #[arg(long, value_enum, default_value_t = RetryMode::Review)]
    pub retries: RetryMode,
    /// Columns ignored when looking for retries, e.g. `shop.tickets.opened_at`
    /// (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "DB.TABLE.COLUMN")]
    pub volatile_columns: Vec<String>,
    #[command(flatten)]
    pub connect: ConnectOptions,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// One side's sources and their GTID history (first pass: no rows decoded).
struct Side {
    name: &'static str,
    input: Input,
    history: GtidHistory,
    /// Per entry of `history.gtids`: the index in `files` of its binlog.
    tx_files: Vec<usize>,
    files: Vec<FileFacts>,
    flavor: Option<String>,
}

impl Side {
    /// The binlog holding the side's first own transaction: a server is
    /// streamed from there in the second pass (files are read whole).
    fn first_own_file(&self, window: &Window, key: &str) -> Option<&str> {
        if let Window::From(_) = window {
            return None;
        }
        let i = self
            .history
            .gtids
            .iter()
            .position(|g| g.as_ref().is_some_and(|g| window.owns_gtid(key, g)))?;
        let file = self.files.get(*self.tx_files.get(i)?)?;
        Some(file.file.as_str())
    }
}

/// A side's GTID history, gathered as its transactions go by.
#[derive(Default)]
struct HistoryBuilder {
    history: GtidHistory,
    /// Per transaction: its file, an index in `file_names`.
    tx_files: Vec<usize>,
    file_names: Vec<Arc<str>>,
}

impl HistoryBuilder {
    fn push(&mut self, tx: &Transaction) {
        self.history.gtids.push(tx.gtid.clone());
        if self.file_names.last() != Some(&tx.position.file) {
            self.file_names.push(Arc::clone(&tx.position.file));
        }
        self.tx_files.push(self.file_names.len() - 1);
    }

    /// The side, with the facts of the files its transactions were read from.
    fn into_side(self, name: &'static str, input: Input, facts: Vec<FileFacts>) -> Side {
        let HistoryBuilder {
            mut history,
            tx_files,
            file_names,
        } = self;
        if let Some(first) = facts.first() {
            history.mariadb_start = first.gtid_list.clone();
            history.mysql_start = first.previous_gtids.clone();
        }
        let flavor = facts
            .iter()
            .find_map(|f| f.flavor)
            .map(|f| format!("{f:?}"));
        // file_names index -> facts index (a file without transactions has facts only)
        let file_index: Vec<usize> = file_names
            .iter()
            .map(|name| facts.iter().position(|f| *f.file == **name).unwrap_or(0))
            .collect();
        let tx_files = tx_files
            .iter()
            .map(|&i| file_index.get(i).copied().unwrap_or(0))
            .collect();
        Side {
            name,
            input,
            history,
            tx_files,
            files: facts,
            flavor,
        }
    }
}

fn warn_of(side: &str, d: &Diagnostic) {
    tracing::warn!(side, file = %d.file, offset = d.offset, "{}", d.message);
}

/// First pass over a side: GTIDs and file facts, skipping every row undecoded.
fn read_history(name: &'static str, input: Input) -> anyhow::Result<Side> {
    let (side, _, diagnostics) = read_history_until(name, input, |_| false)?;
    for d in &diagnostics {
        warn_of(name, d);
    }
    Ok(side)
}

/// [`read_history`] up to (not including) the first transaction `stop` names;
/// whether it read to the end, and the diagnostics met (not logged yet).
fn read_history_until(
    name: &'static str,
    input: Input,
    mut stop: impl FnMut(&Transaction) -> bool,
) -> anyhow::Result<(Side, bool, Vec<Diagnostic>)> {
    let options = ReaderOptions::default()
        .with_table_filter(|_, _| false)
        .without_rows_query_text();
    let mut reader = input
        .open(options, None, false)
        .with_context(|| format!("{name} binlogs"))?;
    let mut builder = HistoryBuilder::default();
    let mut diagnostics = Vec::new();
    let mut complete = true;
    for item in reader.by_ref() {
        match item.with_context(|| format!("reading {name}'s binlogs"))? {
            ReadItem::Transaction(tx) => {
                if stop(&tx) {
                    complete = false;
                    break;
                }
                builder.push(&tx);
            }
            ReadItem::Diagnostic(d) => diagnostics.push(d),
        }
    }
    let facts = reader.files();
    drop(reader);
    Ok((builder.into_side(name, input, facts), complete, diagnostics))
}

/// Which of a side's transactions are its own.
enum Window {
    Gtid(Divergence),
    /// Guessed before West is read in full; checked once it is.
    Guess(DivergenceGuess),
    From(Bound),
}

impl Window {
    /// Whether a GTID is the side's own (by position, every GTID of the files is listed).
    fn owns_gtid(&self, side: &str, gtid: &reconcile_binlog::Gtid) -> bool {
        match self {
            Window::Gtid(d) if side == "east" => d.is_east_only(Some(gtid)),
            Window::Gtid(d) => d.is_west_only(Some(gtid)),
            Window::Guess(g) if side == "east" => g.is_east_only(Some(gtid)),
            Window::Guess(g) => g.is_west_only(Some(gtid)),
            Window::From(_) => true,
        }
    }

    fn owns(&self, side: &str, tx: &Transaction) -> bool {
        match self {
            Window::Gtid(_) | Window::Guess(_) => {
                tx.gtid.as_ref().is_some_and(|g| self.owns_gtid(side, g))
            }
            Window::From(bound) => bound.reached_by(tx),
        }
    }
}

/// The divergence of the two sides' GTID histories, or why there is none (with a
/// note on purged binlogs for a server).
fn divergence_of(east: &Side, west: &Side) -> anyhow::Result<Divergence> {
    find_divergence(&east.history, &west.history).map_err(|e| {
        let notes: Vec<String> = [east, west]
            .iter()
            .filter_map(|side| {
                side.input
                    .server()
                    .map(|s| s.purge_note(side.files.first()))
            })
            .collect();
        match (&e, notes.is_empty()) {
            (DivergenceError::NotReachingBack { .. }, false) => {
                anyhow::Error::new(e).context(notes.join("\n"))
            }
            _ => anyhow::Error::new(e),
        }
    })
}

fn log_divergence(lines: &[String]) {
    for line in lines {
        tracing::info!("divergence: {line}");
    }
}

/// Phases 2 and 3: East's own transactions folded, then West's, of which only the
/// rows East's changes involve are decoded. `west_history`: as in [`stream`].
fn fold<'s>(
    east: &Side,
    west: &Side,
    east_window: &Window,
    west_window: &Window,
    config: Config,
    schema: Option<&'s Schema>,
    west_history: Option<&mut HistoryBuilder>,
) -> anyhow::Result<(WestPass<'s>, Vec<FileFacts>)> {
    tracing::info!("phase 2/3: folding East's own transactions");
    let mut engine = EastPass::new(config, schema);
    stream(
        east,
        east_window,
        ReaderOptions::default(),
        |tx| engine.add(tx),
        None,
    )?;
    tracing::info!("phase 3/3: streaming West's own transactions");
    let mut engine = engine.into_west();
    let filter = Arc::new(engine.row_filter());
    // West's statements matter only as DDL or statement-format DML
    let options = ReaderOptions::default()
        .with_row_filter(filter)
        .without_rows_query_text();
    let facts = stream(
        west,
        west_window,
        options,
        |tx| engine.add(tx),
        west_history,
    )?;
    Ok((engine, facts))
}

/// Phases 2 and 3 with a guessed divergence, West read once (`west` holds only its
/// history's prefix): the divergence of the full histories, West with its full
/// history, and the engine, folded again with that divergence if the guess did not
/// hold.
fn fold_guessed<'s>(
    east: &Side,
    west: Side,
    guess: DivergenceGuess,
    config: Config,
    schema: Option<&'s Schema>,
) -> anyhow::Result<(Divergence, Side, WestPass<'s>)> {
    tracing::info!(
        "divergence: guessed from West's first {} transactions (those East has too), checked once West is read",
        west.history.gtids.len()
    );
    let window = Window::Guess(guess.clone());
    let mut seen = HistoryBuilder::default();
    let (engine, facts) = fold(
        east,
        &west,
        &window,
        &window,
        config.clone(),
        schema,
        Some(&mut seen),
    )?;
    let west = seen.into_side("West", west.input, facts);
    let d = divergence_of(east, &west)?;
    log_divergence(&d.description);
    if guess.holds_for(&d, &west.history) {
        return Ok((d, west, engine));
    }
    tracing::info!(
        "the guessed divergence did not hold (West applied some of East's transactions after its own began): folding both sides again"
    );
    let found = Window::Gtid(d.clone());
    let (engine, _) = fold(east, &west, &found, &found, config, schema, None)?;
    Ok((d, west, engine))
}

/// A side's own GTIDs, in binlog order.
fn own_gtids(history: &GtidHistory, window: &Window, side: &str) -> report::StringList {
    history
        .gtids
        .iter()
        .flatten()
        .filter(|g| window.owns_gtid(side, g))
        .map(|g| g.to_string())
        .collect()
}

fn progress(side: &Side, from: Option<&str>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(side.input.total_bytes(from));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>5} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(side.name);
    bar
}

/// Second pass over a side: every own transaction to `f`, read as `options`
/// say. Files are framed and decoded on every core, in binlog order; a server is
/// streamed from the binlog of the side's first own transaction. With `history`,
/// this is the side's only pass: every transaction's GTID goes there, and the
/// reader's diagnostics are logged; the facts of the files read are returned.
fn stream(
    side: &Side,
    window: &Window,
    options: ReaderOptions,
    mut f: impl FnMut(&Transaction),
    mut history: Option<&mut HistoryBuilder>,
) -> anyhow::Result<Vec<FileFacts>> {
    let key = side.name.to_lowercase();
    let from = side.first_own_file(window, &key);
    let bar = progress(side, from);
    // a hidden bar still reads the clock: not once per transaction
    let shown = !bar.is_hidden();
    let mut reader = side.input.open(options, from, false)?;
    let mut done_files: Vec<Arc<str>> = Vec::new();
    let mut base = 0u64;
    for item in reader.by_ref() {
        let tx = match item.with_context(|| format!("reading {}'s binlogs", side.name))? {
            ReadItem::Transaction(tx) => tx,
            ReadItem::Diagnostic(d) => {
                if history.is_some() {
                    warn_of(side.name, &d);
                }
                continue;
            }
        };
        if let Some(h) = history.as_deref_mut() {
            h.push(&tx);
        }
        if shown {
            if done_files.last() != Some(&tx.position.file) {
                if let Some(prev) = done_files.last() {
                    base += side.input.file_size(prev);
                }
                done_files.push(tx.position.file.clone());
            }
            bar.set_position(base + tx.position.end);
        }
        if window.owns(&key, &tx) {
            f(&tx);
        }
    }
    bar.finish_and_clear();
    Ok(reader.files())
}

fn parse_volatile(specs: &[String]) -> anyhow::Result<Vec<(String, String, String)>> {
    specs
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let parts: Vec<&str> = s.trim().splitn(3, '.').collect();
            match parts.as_slice() {
                [db, table, column] => {
                    Ok(((*db).to_owned(), (*table).to_owned(), (*column).to_owned()))
                }
                _ => bail!("--volatile-columns `{s}`: expected DB.TABLE.COLUMN"),
            }
        })
        .collect()
}

/// `--schema`: a dump file, or a server URL whose schema is read live.
fn load_schema(source: &str, connect: &ConnectOptions) -> anyhow::Result<Schema> {
    if is_url(source) {
        return Ok(crate::schema_cmd::read_live("--schema", source, connect)?.1);
    }
    let path = Path::new(source);
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read --schema {}", path.display()))?;
    let schema = reconcile_schema::parse_schema(&text)
        .with_context(|| format!("--schema {}", path.display()))?;
    for w in &schema.warnings {
        tracing::warn!(file = %path.display(), line = w.line, "{}", w.message);
    }
    Ok(schema)
}

/// Refuses to replace a directory that may hold a DBA's edited decisions.
fn check_out_dir(out: &Path, overwrite: bool) -> anyhow::Result<()> {
    if out.exists() && !overwrite {
        let empty = fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            bail!(
                "output directory {} already exists; choose another --out, or pass --overwrite to replace it (edited decisions in it would be lost)",
                out.display()
            );
        }
    }
    Ok(())
}

pub fn run(args: ScanArgs) -> anyhow::Result<()> {
    check_out_dir(&args.out, args.overwrite)?;
    let east_input = Input::new("--east", &args.east, &args.connect, &args.stream)?;
    let west_input = Input::new("--west", &args.west, &args.connect, &args.stream)?;
    let schema = args
        .schema
        .as_deref()
        .map(|s| load_schema(&s.to_string_lossy(), &args.connect))
        .transpose()?;
    let config = Config {
        merge_disjoint_columns: args.merge == MergeMode::DisjointColumns,
        retries_skip: args.retries == RetryMode::Skip,
        volatile_columns: parse_volatile(&args.volatile_columns)?,
    };

    tracing::info!("phase 1/3: reading GTIDs of both sides");
    let east = read_history("East", east_input)?;
    let by_gtid = args.east_from.is_none() && args.west_from.is_none();
    // West's files are read once when they can be: its history up to its first
    // transaction East lacks gives a guess of the divergence, which is checked
    // once the West pass has seen every GTID of West.
    let (west, guess) = if by_gtid && west_input.server().is_none() {
        let east_gtids = HistoryGtids::new(&east.history);
        let (prefix, complete, diagnostics) = read_history_until("West", west_input, |tx| {
            !tx.gtid.as_ref().is_some_and(|g| east_gtids.contains(g))
        })?;
        let guess = if complete {
            None
        } else {
            DivergenceGuess::new(&east.history, east_gtids, &prefix.history).ok()
        };
        match guess {
            // the West pass logs the diagnostics of all of West
            Some(guess) => (prefix, Some(guess)),
            None if complete => {
                for d in &diagnostics {
                    warn_of("West", d);
                }
                (prefix, None)
            }
            None => (read_history("West", prefix.input)?, None),
        }
    } else {
        (read_history("West", west_input)?, None)
    };
    if let (Some(e), Some(w)) = (&east.flavor, &west.flavor) {
        if e != w {
            bail!("East's binlogs were written by {e} and West's by {w}: both sides must be the same server flavor");
        }
    }
    let schema = schema.as_ref();
    let (east_window, west_window, west, divergence_text, engine) =
        match (&args.east_from, &args.west_from, guess) {
            (Some(e), Some(w), _) => {
                let (e, w) = (Bound::parse(e)?, Bound::parse(w)?);
                let text = vec![format!("by position: East from {e:?}, West from {w:?}")];
                log_divergence(&text);
                let (east_window, west_window) = (Window::From(e), Window::From(w));
                let (engine, _) = fold(
                    &east,
                    &west,
                    &east_window,
                    &west_window,
                    config,
                    schema,
                    None,
                )?;
                (east_window, west_window, west, text, engine)
            }
            (None, None, None) => {
                let d = divergence_of(&east, &west)?;
                let text = d.description.clone();
                log_divergence(&text);
                let window = Window::Gtid(d.clone());
                let (engine, _) = fold(&east, &west, &window, &window, config, schema, None)?;
                (window, Window::Gtid(d), west, text, engine)
            }
            (None, None, Some(guess)) => {
                let (d, west, engine) = fold_guessed(&east, west, guess, config, schema)?;
                let text = d.description.clone();
                (Window::Gtid(d.clone()), Window::Gtid(d), west, text, engine)
            }
            _ => bail!("give both --east-from and --west-from, or neither (then GTIDs decide)"),
        };
    // Each side's own GTIDs for the plan's header (West's can be many: 561k in the
    // benchmark) are listed while the items are classified.
    let (outcome, (east_gtids, west_gtids)) = std::thread::scope(|scope| {
        let lists = scope.spawn(|| {
            (
                own_gtids(&east.history, &east_window, "east"),
                own_gtids(&west.history, &west_window, "west"),
            )
        });
        let outcome = engine.finish();
        let lists = lists
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (outcome, lists)
    });
    if let Some(path) = &args.schema {
        let mut missing: Vec<String> = outcome
            .items
            .iter()
            .filter(|i| i.reason.contains("is not in --schema"))
            .map(|i| format!("{}.{}", i.schema, i.table))
            .collect();
        missing.sort();
        missing.dedup();
        for table in missing {
            tracing::warn!(
                "--schema {} does not describe {table}, which East changed: its items are review (schema-unknown)",
                path.display()
            );
        }
    }
    if outcome.east.transactions == 0 {
        tracing::warn!("East has no transactions of its own: nothing to reconcile");
    }

    let meta = report::ScanMeta {
        east_sources: east.input.labels(),
        west_sources: west.input.labels(),
        east_files: east.files.iter().map(|f| f.file.clone()).collect(),
        west_files: west.files.iter().map(|f| f.file.clone()).collect(),
        schema: args.schema.as_ref().map(|p| p.display().to_string()),
        divergence: divergence_text,
        east_gtids,
        west_gtids,
        servers: json!({
            "east": east.input.server().map(|s| s.summary()),
            "west": west.input.server().map(|s| s.summary()),
        }),
        options: json!({
            "merge": format!("{:?}", args.merge),
            "retries": format!("{:?}", args.retries),
            "volatile_columns": args.volatile_columns,
        }),
    };
    report::write_all(&args.out, &meta, &outcome)?;
    print_summary(&meta, &outcome, &args.out)?;
    Ok(())
}

fn print_summary(meta: &report::ScanMeta, outcome: &Outcome, out: &Path) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(w, "Divergence:")?;
    for line in &meta.divergence {
        writeln!(w, "  {line}")?;
    }
    writeln!(
        w,
        "East (old primary): {} transactions, {} row changes of its own",
        outcome.east.transactions, outcome.east.row_changes
    )?;
    writeln!(w,
        "West (surviving primary): {} transactions, {} row changes of its own ({} on keys East did not touch)",
        outcome.west.transactions, outcome.west.row_changes, outcome.west.untouched_row_changes
    )?;
    writeln!(
        w,
        "Items: {} (auto {}, skip {}, review {})",
        outcome.items.len(),
        outcome.count_class(Class::Auto),
        outcome.count_class(Class::Skip),
        outcome.count_class(Class::Review)
    )?;
    for (kind, n) in outcome.count_kinds() {
        writeln!(w, "  review {kind}: {n}")?;
    }
    let mut per_table: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for item in &outcome.items {
        let counts = per_table
            .entry(format!("{}.{}", item.schema, item.table))
            .or_default();
        counts[match item.class {
            Class::Auto => 0,
            Class::Skip => 1,
            Class::Review => 2,
        }] += 1;
    }
    writeln!(w, "Per table (auto/skip/review):")?;
    for (table, [a, s, r]) in per_table {
        writeln!(w, "  {table}: {a}/{s}/{r}")?;
    }
    for ddl in &outcome.ddl {
        writeln!(
            w,
            "DDL in the window on {} ({}): {}",
            ddl.side, ddl.gtid, ddl.statement
        )?;
    }
    for note in &outcome.notes {
        writeln!(w, "Note: {note}")?;
    }
    writeln!(
        w,
        "Wrote {}/conflicts.csv, plan.jsonl, summary.json",
        out.display()
    )?;
    Ok(())
}
