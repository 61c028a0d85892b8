//! The benchmark's binlogs: made once by real MariaDB servers and cached outside the
//! repository, under `$RECONCILE_BENCH_CACHE` (default `$HOME/.cache/reconcile-bench`)
//! `/<generator version>/<full|quick>/`.
//!
//! Two split-brains, both run by the test kit's [`SplitBrain`] (GTID replication
//! East→West, failover, then writes on both sides):
//! - `main/`: the scanned pair. Shared history of a web shop (`sql/shared.sql`),
//!   then East runs a few MB of the shop's load and West, the surviving primary,
//!   runs the same load from two concurrent sessions until its binlog holds the
//!   target size. Both sides change the same customers, products and order ids, so
//!   the scan finds real conflicts.
//! - `apply/`: the applied pair. East writes 110,000 rows in 16,500 transactions
//!   that touch nothing West changed (`apply_east` in `sql/shared.sql`), so every
//!   change is `auto`; `west-data.sql` is a dump of West's data, to load into the
//!   server the plan is applied to.
//!
//! A `COMPLETE` marker is written last: a directory without it (an interrupted
//! generation) is removed and made again.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reconcile_testkit::{
    find_program, GtidLayout, MariaDb, Program, SplitBrain, SplitBrainScript, BINLOG_BASENAME,
};

/// Bump when the generation changes in a way the SQL text does not show.
const GENERATOR_VERSION: u32 = 1;

const SHARED_SQL: &str = include_str!("sql/shared.sql");

/// How big a data set is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// `full` or `quick`: the cache subdirectory.
    pub name: &'static str,
    /// West's binlog grows until it holds at least this many bytes.
    pub west_bytes: u64,
    /// OLTP transactions East runs after the split (one `shop_load`).
    pub east_transactions: u32,
    /// `--max-binlog-size` of both servers: West's binlog spans several files.
    pub max_binlog_size: u64,
}

pub const FULL: Size = Size {
    name: "full",
    west_bytes: 1 << 30,
    east_transactions: 2000,
    max_binlog_size: 256 << 20,
};

pub const QUICK: Size = Size {
    name: "quick",
    west_bytes: 100 << 20,
    east_transactions: 2000,
    max_binlog_size: 32 << 20,
};

/// West's load is `CALL shop_load(LOAD_CHUNK)` repeated: about 3.5 MB of binlog each.
const LOAD_CHUNK: u32 = 2000;
/// Concurrent West sessions (the machine this was made for has 2 cores).
const LOAD_SESSIONS: u64 = 2;

fn server_args(size: Size) -> Vec<String> {
    vec![
        format!("--max-binlog-size={}", size.max_binlog_size),
        // The test kit's small defaults are for many parallel test servers; one
        // generator server may use more.
        "--innodb-buffer-pool-size=512M".to_owned(),
        "--innodb-log-file-size=256M".to_owned(),
    ]
}

fn east_sql(size: Size) -> String {
    format!(
        "USE bench;\nSET SESSION rand_seed1 = 101, rand_seed2 = 202;\nCALL shop_load({});\n",
        size.east_transactions
    )
}

/// The version directory name: the generator version and a hash of everything that
/// shapes the data, so a changed SQL file or size regenerates the cache.
pub fn version() -> String {
    let mut text = String::from(SHARED_SQL);
    for size in [FULL, QUICK] {
        text.push_str(&format!(
            "{size:?}{:?}{}",
            server_args(size),
            east_sql(size)
        ));
    }
    text.push_str(&format!("{LOAD_CHUNK} {LOAD_SESSIONS}"));
    format!("g{GENERATOR_VERSION}-{:08x}", fnv1a(text.as_bytes()) as u32)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `$RECONCILE_BENCH_CACHE`, else `$HOME/.cache/reconcile-bench`; never inside the
/// repository.
pub fn cache_root(workspace: &Path) -> Result<PathBuf, String> {
    let root = match std::env::var_os("RECONCILE_BENCH_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or(
                "neither RECONCILE_BENCH_CACHE nor HOME is set: set RECONCILE_BENCH_CACHE to a \
                 directory outside the repository for the benchmark's binlogs",
            )?;
            PathBuf::from(home).join(".cache").join("reconcile-bench")
        }
    };
    let root = if root.is_absolute() {
        root
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?
            .join(root)
    };
    // Resolve symlinks through the part that exists, before creating anything.
    let existing = root
        .ancestors()
        .find(|a| a.exists())
        .unwrap_or_else(|| Path::new("/"));
    let rest = root.strip_prefix(existing).unwrap_or(Path::new(""));
    let canonical = existing
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", existing.display()))?
        .join(rest);
    let workspace = workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_owned());
    if canonical.starts_with(&workspace) {
        return Err(format!(
            "the benchmark cache {} is inside the repository {}: set RECONCILE_BENCH_CACHE to a \
             directory outside it",
            canonical.display(),
            workspace.display()
        ));
    }
    fs::create_dir_all(&canonical)
        .map_err(|e| format!("cannot create {}: {e}", canonical.display()))?;
    Ok(canonical)
}

/// One side's binlog files and what they hold.
#[derive(Debug, Clone)]
pub struct Side {
    /// The directory (binlog files and their `.index`).
    pub dir: PathBuf,
    /// The binlog files in `.index` order.
    pub files: Vec<PathBuf>,
    pub facts: Facts,
}

/// Counts of a side's binlog files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    pub bytes: u64,
    /// Every event, from the event headers.
    pub events: u64,
    /// GTID events (MariaDB), i.e. transactions.
    pub transactions: u64,
    /// Row events (WRITE/UPDATE/DELETE_ROWS, any version, compressed or not).
    pub row_events: u64,
    /// Rows as `mariadb-binlog --verbose` prints them (`### INSERT INTO` ...).
    pub rows: u64,
}

/// A cached data set.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub dir: PathBuf,
    pub version: String,
    pub size: Size,
    pub main_east: Side,
    pub main_west: Side,
    pub main_schema: PathBuf,
    pub apply_east: Side,
    pub apply_west: Side,
    pub apply_schema: PathBuf,
    /// `mariadb-dump` of West's `bench` database in the apply pair.
    pub apply_west_data: PathBuf,
    /// How long the generation took (from the marker).
    pub generation: Duration,
    /// The `mariadbd --version` that made it.
    pub server_version: String,
}

const MARKER: &str = "COMPLETE";

/// The data set of `size`: from the cache, or generated into it first.
pub fn ensure(workspace: &Path, size: Size, regenerate: bool) -> Result<Dataset, String> {
    let version = version();
    let root = cache_root(workspace)?;
    let others: Vec<String> = fs::read_dir(&root)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('g') && *n != version)
                .collect()
        })
        .unwrap_or_default();
    if !others.is_empty() {
        eprintln!(
            "xtask: bench: {} also holds data sets of other generator versions ({}); remove \
             them when no checkout uses them",
            root.display(),
            others.join(", ")
        );
    }
    let dir = root.join(&version).join(size.name);
    let marker = dir.join(MARKER);
    if regenerate || !marker.is_file() {
        if dir.exists() {
            eprintln!(
                "xtask: bench: removing {} ({})",
                dir.display(),
                if regenerate {
                    "--regenerate"
                } else {
                    "no COMPLETE marker: an interrupted generation"
                }
            );
            fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
        }
        generate(&dir, size, &version)?;
    } else {
        eprintln!("xtask: bench: using the cached data set {}", dir.display());
    }
    load(&dir, size, &version)
}

fn load(dir: &Path, size: Size, version: &str) -> Result<Dataset, String> {
    let marker = fs::read_to_string(dir.join(MARKER))
        .map_err(|e| format!("cannot read {}: {e}", dir.join(MARKER).display()))?;
    let value = |key: &str| {
        marker.lines().find_map(|l| {
            l.split_once('=')
                .filter(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    let facts = |name: &str| -> Result<Facts, String> {
        let text = value(name).ok_or(format!(
            "{}: no `{name}` line; remove the directory to regenerate",
            dir.join(MARKER).display()
        ))?;
        let n: Vec<u64> = text
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        match n[..] {
            [bytes, events, transactions, row_events, rows] => Ok(Facts {
                bytes,
                events,
                transactions,
                row_events,
                rows,
            }),
            _ => Err(format!("{}: bad `{name}` line", dir.join(MARKER).display())),
        }
    };
    let side = |relative: &str| -> Result<Side, String> {
        let side_dir = dir.join(relative);
        Ok(Side {
            files: binlog_files(&side_dir)?,
            dir: side_dir,
            facts: facts(&relative.replace('/', "_"))?,
        })
    };
    Ok(Dataset {
        dir: dir.to_owned(),
        version: version.to_owned(),
        size,
        main_east: side("main/east")?,
        main_west: side("main/west")?,
        main_schema: dir.join("main/schema.sql"),
        apply_east: side("apply/east")?,
        apply_west: side("apply/west")?,
        apply_schema: dir.join("apply/schema.sql"),
        apply_west_data: dir.join("apply/west-data.sql"),
        generation: Duration::from_secs_f64(
            value("generation_seconds")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0),
        ),
        server_version: value("mariadbd").unwrap_or_default(),
    })
}

/// The binlog files of an exported side, in the order of its `.index`.
fn binlog_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let index = dir.join(format!("{BINLOG_BASENAME}.index"));
    let text =
        fs::read_to_string(&index).map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| dir.join(Path::new(l).file_name().unwrap_or_default()))
        .collect())
}

fn generate(dir: &Path, size: Size, version: &str) -> Result<(), String> {
    let started = Instant::now();
    eprintln!(
        "xtask: bench: generating the {} data set ({} MB on West) into {}",
        size.name,
        size.west_bytes / 1_000_000,
        dir.display()
    );
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    // The scanned pair: shared history, a few MB on East, the big load on West.
    let mut script = SplitBrainScript::new(
        SHARED_SQL,
        &east_sql(size),
        "USE bench;\n",
        GtidLayout::SameDomain,
    );
    script.extra_server_args = server_args(size);
    let brain = SplitBrain::run(&script).map_err(|e| format!("main split-brain: {e}"))?;
    eprintln!(
        "xtask: bench: split done (shared history up to {}); loading West",
        brain.split_pos
    );
    load_west(&brain.west, size.west_bytes)?;
    brain
        .export(&dir.join("main"))
        .map_err(|e| format!("exporting the main split-brain: {e}"))?;
    let server_version: String = brain
        .west
        .query_one("SELECT VERSION()")
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    drop(brain);
    eprintln!(
        "xtask: bench: main pair written ({:.0} s so far)",
        started.elapsed().as_secs_f64()
    );

    // The applied pair: every East change `auto`, and West's data to apply it to.
    let mut script = SplitBrainScript::new(
        SHARED_SQL,
        "USE bench;\nCALL apply_east();\n",
        "USE bench;\nCALL apply_west();\n",
        GtidLayout::SameDomain,
    );
    script.extra_server_args = server_args(size);
    let brain = SplitBrain::run(&script).map_err(|e| format!("apply split-brain: {e}"))?;
    brain
        .export(&dir.join("apply"))
        .map_err(|e| format!("exporting the apply split-brain: {e}"))?;
    dump_data(&brain.west, &dir.join("apply/west-data.sql"))?;
    drop(brain);
    eprintln!(
        "xtask: bench: apply pair written ({:.0} s so far); counting events and rows",
        started.elapsed().as_secs_f64()
    );

    let generation = started.elapsed();
    let mut marker = format!(
        "# reconcile benchmark data set; written last, after every file below is complete\n\
         generator = {version}\nsize = {}\nmariadbd = {server_version}\ngeneration_seconds = {:.1}\n\
         # per side: bytes events transactions row_events rows\n",
        size.name,
        generation.as_secs_f64()
    );
    for relative in ["main/east", "main/west", "apply/east", "apply/west"] {
        let files = binlog_files(&dir.join(relative))?;
        let f = count(&files)?;
        marker.push_str(&format!(
            "{} = {} {} {} {} {}\n",
            relative.replace('/', "_"),
            f.bytes,
            f.events,
            f.transactions,
            f.row_events,
            f.rows
        ));
    }
    fs::write(dir.join(MARKER), marker)
        .map_err(|e| format!("cannot write {}: {e}", dir.join(MARKER).display()))?;
    eprintln!(
        "xtask: bench: data set complete: generated in {:.0} s, counted in {:.0} s",
        generation.as_secs_f64(),
        (started.elapsed() - generation).as_secs_f64()
    );
    Ok(())
}

/// Runs the shop's load on West from concurrent sessions until its binlog holds
/// `target` bytes.
fn load_west(west: &MariaDb, target: u64) -> Result<(), String> {
    let started = Instant::now();
    let calls = AtomicU64::new(0);
    let reported = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..LOAD_SESSIONS)
            .map(|_| {
                let calls = &calls;
                let reported = &reported;
                scope.spawn(move || -> Result<(), String> {
                    loop {
                        let bytes = binlog_bytes(&west.binlog_dir())?;
                        if bytes >= target {
                            return Ok(());
                        }
                        let tenth = bytes * 10 / target;
                        if reported.fetch_max(tenth, Ordering::Relaxed) < tenth {
                            eprintln!(
                                "xtask: bench: West binlog {} of {} MB ({:.0} s)",
                                bytes / 1_000_000,
                                target / 1_000_000,
                                started.elapsed().as_secs_f64()
                            );
                        }
                        // Each call is a new session with its own random seed: seeding
                        // them alike would repeat the same rows.
                        calls.fetch_add(1, Ordering::Relaxed);
                        west.exec(&format!("CALL bench.shop_load({LOAD_CHUNK})"))
                            .map_err(|e| format!("West's load: {e}"))?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect::<Result<Vec<()>, String>>()
    })?;
    eprintln!(
        "xtask: bench: West loaded: {} calls of shop_load({LOAD_CHUNK}) in {:.0} s",
        calls.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn binlog_bytes(dir: &Path) -> Result<u64, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    Ok(entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".index"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum())
}

/// `mariadb-dump` of the `bench` database's data and schema into `path`.
fn dump_data(server: &MariaDb, path: &Path) -> Result<(), String> {
    let dump = find_program(Program::Dump).map_err(|e| e.to_string())?;
    let out = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let result = Command::new(&dump)
        .arg("--no-defaults")
        .arg("--user=root")
        .arg(format!("--socket={}", server.socket_path().display()))
        .args([
            "--hex-blob",
            "--skip-dump-date",
            "--single-transaction",
            "--databases",
            "bench",
        ])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", dump.display()))?;
    if !result.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            dump.display(),
            result.status,
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    Ok(())
}

/// Counts events from the event headers and rows from `mariadb-binlog --verbose`.
pub fn count(files: &[PathBuf]) -> Result<Facts, String> {
    let mut facts = Facts::default();
    for file in files {
        count_events(file, &mut facts)?;
    }
    facts.rows = count_rows(files)?;
    Ok(facts)
}

/// Walks one binlog file's event headers (19 bytes: timestamp, type, server id,
/// size, next position, flags) without decoding anything.
fn count_events(path: &Path, facts: &mut Facts) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    facts.bytes += len;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; 4];
    reader
        .read_exact(&mut magic)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if magic != *b"\xfebin" {
        return Err(format!("{} is not a binlog file", path.display()));
    }
    let mut pos = 4u64;
    let mut header = [0u8; 19];
    while pos < len {
        reader
            .read_exact(&mut header)
            .map_err(|e| format!("{} at {pos}: {e}", path.display()))?;
        let size = u64::from(u32::from_le_bytes([
            header[9], header[10], header[11], header[12],
        ]));
        if size < 19 || pos + size > len {
            return Err(format!(
                "{} at {pos}: event size {size} out of bounds",
                path.display()
            ));
        }
        facts.events += 1;
        match header[4] {
            // MariaDB GTID_EVENT
            162 => facts.transactions += 1,
            // WRITE/UPDATE/DELETE_ROWS v1 and v2, MariaDB's compressed ones
            23..=25 | 30..=32 | 166..=171 => facts.row_events += 1,
            _ => {}
        }
        reader
            .seek_relative(size as i64 - 19)
            .map_err(|e| format!("{} at {pos}: {e}", path.display()))?;
        pos += size;
    }
    Ok(())
}

/// Rows as `mariadb-binlog --verbose --base64-output=decode-rows` prints them: one
/// `### INSERT INTO`, `### UPDATE` or `### DELETE FROM` line each.
fn count_rows(files: &[PathBuf]) -> Result<u64, String> {
    let program = find_program(Program::Binlog).map_err(|e| e.to_string())?;
    let mut child = Command::new(&program)
        .args(["--no-defaults", "--verbose", "--base64-output=decode-rows"])
        .args(files)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("mariadb-binlog has no stdout pipe")?;
    let mut reader = BufReader::with_capacity(1 << 20, stdout);
    let mut line = Vec::new();
    let mut rows = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading mariadb-binlog's output: {e}"))?;
        if n == 0 {
            break;
        }
        if line.starts_with(b"### INSERT INTO ")
            || line.starts_with(b"### UPDATE ")
            || line.starts_with(b"### DELETE FROM ")
        {
            rows += 1;
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for mariadb-binlog: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(rows)
}
