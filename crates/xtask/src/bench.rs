//! `cargo xtask bench`: how fast `reconcile` reads, scans and applies, against the
//! tools a DBA would otherwise use, on binlogs made by real MariaDB servers.
//!
//! One run measures, on the same cached files (see `dataset.rs`), with the page
//! cache warm, each command `--runs` times (interleaved with its baseline, so that
//! background load hits both alike) and takes the best run:
//! - `reconcile inspect --format jsonl` vs `mariadb-binlog --verbose
//!   --base64-output=decode-rows` on West's large binlog;
//! - `reconcile scan` of the asymmetric pair: time, MB/s of the large side, peak
//!   RSS, against `cat` of the same files (the physical floor) and against
//!   `mariadb-binlog -v` of the large side;
//! - `reconcile apply` of a 110,000-row plan onto a live test-kit server vs the same
//!   statements, as `reconcile apply --sql-out` writes them (one transaction per
//!   group, with its journal row), piped through the `mariadb` client.
//!
//! It prints the results and writes them to `bench/results.md` (`--quick`:
//! `target/bench/results-quick.md`), with a `perf` profile of each missed target.
//! With `--compare BASE` it only times the scan of this tree against another build
//! (`compare.rs`).

mod compare;
mod dataset;
pub mod measure;
mod profile;
mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

use reconcile_testkit::{find_program, MariaDb, MariaDbOptions, Program};

use crate::{run_step, workspace_root};
use dataset::{Dataset, Side};
use measure::{Cmd, Output, Series};

pub use measure::{helper as measure_helper, HELPER_COMMAND as MEASURE_HELPER};

const USAGE: &str = "\
cargo xtask bench [--quick] [--runs N] [--out FILE] [--no-profile] [--regenerate]
cargo xtask bench --compare BASE [--quick] [--runs N]

  --quick        a ~100 MB data set instead of the >= 1 GB one (for development);
                 results go to target/bench/results-quick.md unless --out is given
  --runs N       runs of each command (default 3; 7 with --compare); the best run
                 counts
  --compare BASE only the scan, of BASE (another build's `reconcile` binary) and of
                 this tree's release build in turns: medians of wall and CPU time,
                 and an error if their outputs differ; writes no results file
  --out FILE     where to write the results (default bench/results.md)
  --no-profile   no perf profile of missed targets
  --regenerate   make the cached data set again even if it is complete

The binlogs are made once by real MariaDB servers and cached in
$RECONCILE_BENCH_CACHE (default $HOME/.cache/reconcile-bench), never in the repository.";

/// Targets from issue 8.
const INSPECT_TARGET: f64 = 3.0;
const SCAN_TARGET: f64 = 10.0;
const SCAN_RSS_TARGET_MB: f64 = 200.0;
const APPLY_TARGET: f64 = 0.5;

#[derive(Debug)]
struct Options {
    quick: bool,
    /// `--runs`, when given.
    runs: Option<usize>,
    out: Option<PathBuf>,
    profile: bool,
    regenerate: bool,
    compare: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            quick: false,
            runs: None,
            out: None,
            profile: true,
            regenerate: false,
            compare: None,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--quick" => o.quick = true,
                "--no-profile" => o.profile = false,
                "--regenerate" => o.regenerate = true,
                "--runs" => {
                    o.runs = Some(
                        it.next()
                            .and_then(|n| n.parse().ok())
                            .filter(|&n| n >= 1)
                            .ok_or(format!("--runs needs a number >= 1\n\n{USAGE}"))?,
                    )
                }
                "--compare" => {
                    o.compare = Some(PathBuf::from(it.next().ok_or(format!(
                        "--compare needs another build's reconcile binary\n\n{USAGE}"
                    ))?))
                }
                "--out" => {
                    o.out = Some(PathBuf::from(
                        it.next().ok_or(format!("--out needs a file\n\n{USAGE}"))?,
                    ))
                }
                other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            }
        }
        Ok(o)
    }
}

/// Two commands measured against each other.
#[derive(Debug)]
pub struct Pair {
    pub ours: Series,
    pub theirs: Series,
    pub ours_cmd: Cmd,
    pub theirs_cmd: Cmd,
}

impl Pair {
    /// How many times faster ours is (best of N each).
    pub fn speedup(&self) -> f64 {
        ratio(
            self.theirs.best().as_secs_f64(),
            self.ours.best().as_secs_f64(),
        )
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// What the scan found (from its `summary.json`).
#[derive(Debug, Default, Clone)]
pub struct ScanSummary {
    pub items: u64,
    pub auto: u64,
    pub skip: u64,
    pub review: u64,
    pub east_own: String,
    pub west_own: String,
    /// Sizes of `plan.jsonl` and `conflicts.csv`.
    pub plan_bytes: u64,
    pub worksheet_bytes: u64,
    /// The first line of `plan.jsonl` (the header), and its longest item line.
    pub plan_header_bytes: u64,
    pub plan_longest_item: u64,
}

#[derive(Debug)]
pub struct InspectResult {
    pub pair: Pair,
    /// Rows `reconcile inspect` reported (its `inspect done` log line).
    pub reconcile_rows: Option<u64>,
}

#[derive(Debug)]
pub struct ScanResult {
    pub scan: Series,
    pub cat: Series,
    pub scan_cmd: Cmd,
    pub cat_cmd: Cmd,
    pub summary: ScanSummary,
}

#[derive(Debug)]
pub struct ApplyResult {
    pub pair: Pair,
    pub rows: u64,
    pub groups: u64,
    pub plan_cmds: Vec<Cmd>,
    pub verify_cmd: Cmd,
    pub summary: ScanSummary,
    /// TIMESTAMP literals of the `--sql-out` script written as `'...' UTC` (invalid
    /// SQL) that the client's copy had to have fixed.
    pub sql_out_timestamp_fixes: u64,
    pub server_args: Vec<String>,
}

/// The targets of issue 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// `reconcile inspect --format jsonl` >= 3x as fast as `mariadb-binlog -v`.
    Inspect,
    /// `reconcile scan` of both sides >= 10x as fast as `mariadb-binlog -v` of West.
    Scan,
    /// `reconcile scan`'s peak RSS <= 200 MB.
    ScanRss,
    /// `reconcile apply` >= 50% of the client pipe's rows/s.
    Apply,
}

impl Goal {
    pub fn name(self) -> &'static str {
        match self {
            Goal::Inspect => "inspect",
            Goal::Scan => "scan",
            Goal::ScanRss => "scan peak RSS",
            Goal::Apply => "apply",
        }
    }
}

/// One target and whether it is met.
#[derive(Debug)]
pub struct Verdict {
    pub goal: Goal,
    pub measured: String,
    pub target: String,
    pub met: bool,
    /// By how much it is missed (empty when met).
    pub shortfall: String,
    /// The profile of its hot path, when missed.
    pub profile: Option<String>,
}

impl Verdict {
    /// The command whose profile explains a miss, and what to sample.
    fn hot_path<'a>(
        &self,
        inspect: &'a InspectResult,
        scan: &'a ScanResult,
        apply: &'a ApplyResult,
    ) -> (&'a Cmd, profile::Kind) {
        match self.goal {
            Goal::Inspect => (&inspect.pair.ours_cmd, profile::Kind::Cpu),
            Goal::Scan => (&scan.scan_cmd, profile::Kind::Cpu),
            Goal::ScanRss => (&scan.scan_cmd, profile::Kind::Memory),
            Goal::Apply => (&apply.pair.ours_cmd, profile::Kind::Cpu),
        }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = Options::parse(args)?;
    if let Some(base) = &options.compare {
        if !base.is_file() {
            return Err(format!("--compare {}: no such file", base.display()));
        }
    }
    let tools = Tools::find()?;
    let root = workspace_root();
    let size = if options.quick {
        dataset::QUICK
    } else {
        dataset::FULL
    };
    let data = dataset::ensure(&root, size, options.regenerate)?;
    let reconcile = build_release(&root)?;
    let tmp = tempfile::Builder::new()
        .prefix("reconcile-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    if let Some(base) = &options.compare {
        let runs = options.runs.unwrap_or(7);
        return compare::scan(base, &reconcile, &data, tmp.path(), runs);
    }
    let runs = options.runs.unwrap_or(3);
    let machine = report::Machine::collect(&root, &tools, &reconcile);
    let profiler = if options.profile {
        profile::detect()
    } else {
        profile::Profiler::Unavailable("--no-profile".to_owned())
    };

    let inspect = inspect_vs_mariadb_binlog(&reconcile, &tools, &data, tmp.path(), runs)?;
    let scan = scan_vs_floor(&reconcile, &data, tmp.path(), runs)?;
    let target = start_target()?;
    let apply = apply_vs_client(&reconcile, &tools, &data, &target, tmp.path(), runs)?;

    let mut verdicts = verdicts(&inspect, &scan, &apply);
    if !matches!(profiler, profile::Profiler::Unavailable(_)) {
        for v in verdicts.iter_mut().filter(|v| !v.met) {
            eprintln!(
                "xtask: bench: profiling the missed target `{}`",
                v.goal.name()
            );
            let (cmd, kind) = v.hot_path(&inspect, &scan, &apply);
            if v.goal == Goal::Apply {
                reset_target(&target, &data)?;
            }
            let file = tmp
                .path()
                .join(format!("perf-{}.data", v.goal.name().replace(' ', "-")));
            v.profile =
                Some(profile::record(&profiler, kind, cmd, &file, 30).unwrap_or_else(|e| e));
            let _ = std::fs::remove_file(&file);
        }
    }
    drop(target);

    let results = report::Results {
        machine,
        data: &data,
        runs,
        inspect: &inspect,
        scan: &scan,
        apply: &apply,
        verdicts: &verdicts,
        profiler: profiler.describe(),
        tmp: tmp.path(),
        reconcile: &reconcile,
        quick: options.quick,
    };
    println!("{}", report::table(&results));
    let out = options.out.unwrap_or_else(|| {
        if options.quick {
            target_dir(&root).join("bench").join("results-quick.md")
        } else {
            root.join("bench").join("results.md")
        }
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&out, report::markdown(&results))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("xtask: bench: results written to {}", out.display());
    Ok(())
}

/// The MariaDB programs the benchmark runs.
#[derive(Debug)]
pub struct Tools {
    pub binlog: PathBuf,
    pub client: PathBuf,
    pub server: PathBuf,
}

impl Tools {
    fn find() -> Result<Tools, String> {
        let wanted = [
            (Program::Server, "mariadb-server"),
            (Program::InstallDb, "mariadb-server"),
            (Program::Client, "mariadb-client"),
            (Program::Dump, "mariadb-client"),
            (Program::Binlog, "mariadb-client"),
        ];
        let missing: Vec<(&str, &str)> = wanted
            .iter()
            .filter(|(p, _)| find_program(*p).is_err())
            .map(|(p, package)| (p.names()[0], *package))
            .collect();
        if !missing.is_empty() {
            let mut packages: Vec<&str> = missing.iter().map(|(_, p)| *p).collect();
            packages.dedup();
            return Err(format!(
                "the benchmark needs MariaDB programs that are missing: {}.\nInstall them as root:\n  \
                 apt-get update && apt-get install -y {}\n(`cargo xtask test` installs them too; \
                 RECONCILE_MARIADB_BIN names another directory to look in)",
                missing
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
                packages.join(" ")
            ));
        }
        let get = |p| find_program(p).map_err(|e| e.to_string());
        Ok(Tools {
            binlog: get(Program::Binlog)?,
            client: get(Program::Client)?,
            server: get(Program::Server)?,
        })
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo build --release -p reconcile-cli`; the binary that is timed.
fn build_release(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run_step(
        "build reconcile (release)",
        Command::new(cargo)
            .current_dir(root)
            .args(["build", "--release", "-p", "reconcile-cli"]),
    )?;
    let binary = target_dir(root).join("release").join("reconcile");
    if !binary.is_file() {
        return Err(format!(
            "the release build did not produce {}",
            binary.display()
        ));
    }
    Ok(binary)
}

/// Reads files once so that the timed runs find them in the page cache.
fn warm(files: &[PathBuf]) -> Result<(), String> {
    for f in files {
        let mut file =
            std::fs::File::open(f).map_err(|e| format!("cannot open {}: {e}", f.display()))?;
        std::io::copy(&mut file, &mut std::io::sink())
            .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
    }
    Ok(())
}

fn progress(what: &str, run: usize, runs: usize, samples: &[(&str, &measure::Sample)]) {
    let parts: Vec<String> = samples
        .iter()
        .map(|(name, s)| format!("{name} {:.2} s", s.wall.as_secs_f64()))
        .collect();
    eprintln!(
        "xtask: bench: {what}, run {}/{runs}: {}",
        run + 1,
        parts.join(", ")
    );
}

fn inspect_vs_mariadb_binlog(
    reconcile: &Path,
    tools: &Tools,
    data: &Dataset,
    tmp: &Path,
    runs: usize,
) -> Result<InspectResult, String> {
    let west = &data.main_west;
    let ours_cmd = Cmd::new(reconcile, tmp.join("inspect.stderr"))
        .args(["inspect", "--format", "jsonl"])
        .args(&west.files);
    let theirs_cmd = Cmd::new(&tools.binlog, tmp.join("mariadb-binlog.stderr"))
        .args(["--no-defaults", "--verbose", "--base64-output=decode-rows"])
        .args(&west.files);
    warm(&west.files)?;
    let (mut ours, mut theirs) = (Series::default(), Series::default());
    for run in 0..runs {
        let a = measure::run(&ours_cmd)?;
        let b = measure::run(&theirs_cmd)?;
        progress(
            "inspect vs mariadb-binlog",
            run,
            runs,
            &[("inspect", &a), ("mariadb-binlog", &b)],
        );
        ours.push(a);
        theirs.push(b);
    }
    let reconcile_rows = logged_count(&ours_cmd.stderr, "inspect done", "rows=");
    Ok(InspectResult {
        pair: Pair {
            ours,
            theirs,
            ours_cmd,
            theirs_cmd,
        },
        reconcile_rows,
    })
}

/// A `key=N` field of the last log line containing `marker`.
fn logged_count(stderr: &Path, marker: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(stderr).ok()?;
    let line = text.lines().rev().find(|l| l.contains(marker))?;
    let rest = &line[line.find(key)? + key.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn scan_cmd(
    reconcile: &Path,
    east: &Side,
    west: &Side,
    schema: &Path,
    out: &Path,
    tmp: &Path,
    name: &str,
) -> Cmd {
    Cmd::new(reconcile, tmp.join(format!("{name}.stderr")))
        .arg("scan")
        .arg("--east")
        .arg(&east.dir)
        .arg("--west")
        .arg(&west.dir)
        .arg("--schema")
        .arg(schema)
        .arg("--out")
        .arg(out)
        .arg("--overwrite")
        .stdout(Output::File(tmp.join(format!("{name}.stdout"))))
}

fn scan_vs_floor(
    reconcile: &Path,
    data: &Dataset,
    tmp: &Path,
    runs: usize,
) -> Result<ScanResult, String> {
    let (east, west) = (&data.main_east, &data.main_west);
    let out = tmp.join("scan-out");
    let scan_cmd = scan_cmd(reconcile, east, west, &data.main_schema, &out, tmp, "scan");
    let cat_cmd = Cmd::new("cat", tmp.join("cat.stderr"))
        .args(&east.files)
        .args(&west.files);
    let all: Vec<PathBuf> = east.files.iter().chain(&west.files).cloned().collect();
    warm(&all)?;
    let (mut scan, mut cat) = (Series::default(), Series::default());
    for run in 0..runs {
        let a = measure::run(&scan_cmd)?;
        let b = measure::run(&cat_cmd)?;
        progress("scan vs cat", run, runs, &[("scan", &a), ("cat", &b)]);
        scan.push(a);
        cat.push(b);
    }
    let summary = read_summary(&out)?;
    Ok(ScanResult {
        scan,
        cat,
        scan_cmd,
        cat_cmd,
        summary,
    })
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The length of a plan's header line and of its longest item line.
fn plan_lines(path: &Path) -> (u64, u64) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let lines: Vec<u64> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.len() as u64)
        .collect();
    match lines.split_first() {
        // The last line is the end line with the plan's hash.
        Some((header, rest)) => (
            *header,
            rest.iter().rev().skip(1).copied().max().unwrap_or(0),
        ),
        None => (0, 0),
    }
}

fn read_summary(out: &Path) -> Result<ScanSummary, String> {
    let path = out.join("summary.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let (header, longest_item) = plan_lines(&out.join("plan.jsonl"));
    let own = |side: &str| {
        let s = &json[side];
        format!(
            "{} transactions, {} row changes",
            report::thousands(n(&s["transactions"])),
            report::thousands(n(&s["row_changes"]))
        )
    };
    Ok(ScanSummary {
        items: n(&json["items"]),
        auto: n(&json["classes"]["auto"]),
        skip: n(&json["classes"]["skip"]),
        review: n(&json["classes"]["review"]),
        east_own: own("east"),
        west_own: own("west"),
        plan_bytes: size(&out.join("plan.jsonl")),
        worksheet_bytes: size(&out.join("conflicts.csv")),
        plan_header_bytes: header,
        plan_longest_item: longest_item,
    })
}

const TARGET_SERVER_ARGS: [&str; 2] = [
    "--innodb-buffer-pool-size=512M",
    "--innodb-log-file-size=256M",
];

fn start_target() -> Result<MariaDb, String> {
    let mut options = MariaDbOptions::named("bench-target");
    options
        .extra_args
        .extend(TARGET_SERVER_ARGS.iter().map(|s| s.to_string()));
    eprintln!("xtask: bench: starting the apply target (a test-kit MariaDB)");
    MariaDb::start(options).map_err(|e| format!("cannot start the apply target: {e}"))
}

/// The journal as `reconcile-apply` creates it (`Target::ensure_journal`); the client
/// pipe creates it too, so that both start from the same state and do the same work.
const JOURNAL_DDL: &str = "CREATE DATABASE IF NOT EXISTS `reconcile`;\n\
CREATE TABLE IF NOT EXISTS `reconcile`.`reconcile_journal` (plan_id VARCHAR(64) NOT NULL, \
group_id BIGINT UNSIGNED NOT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), \
items TEXT NOT NULL, PRIMARY KEY (plan_id, group_id)) ENGINE=InnoDB;\n";

/// Puts the target back into West's state: no journal, West's data.
fn reset_target(target: &MariaDb, data: &Dataset) -> Result<(), String> {
    target
        .exec("DROP DATABASE IF EXISTS bench; DROP DATABASE IF EXISTS reconcile")
        .map_err(|e| e.to_string())?;
    let dump = std::fs::read_to_string(&data.apply_west_data)
        .map_err(|e| format!("cannot read {}: {e}", data.apply_west_data.display()))?;
    target.run_script(&dump).map_err(|e| e.to_string())?;
    Ok(())
}

fn apply_vs_client(
    reconcile: &Path,
    tools: &Tools,
    data: &Dataset,
    target: &MariaDb,
    tmp: &Path,
    runs: usize,
) -> Result<ApplyResult, String> {
    let plan = tmp.join("apply-plan");
    let url = target.url();
    let scan = scan_cmd(
        reconcile,
        &data.apply_east,
        &data.apply_west,
        &data.apply_schema,
        &plan,
        tmp,
        "apply-scan",
    );
    measure::run(&scan)?;
    let summary = read_summary(&plan)?;
    let script = tmp.join("apply.sql");
    let sql_out = Cmd::new(reconcile, tmp.join("apply-sql-out.stderr"))
        .args(["apply", "--plan"])
        .arg(&plan)
        .args(["--target", &url, "--undecided", "skip", "--sql-out"])
        .arg(&script)
        .stdout(Output::File(tmp.join("apply-sql-out.stdout")));
    measure::run(&sql_out)?;
    // The client's input: the journal, as apply creates it, then the script.
    let text = std::fs::read_to_string(&script)
        .map_err(|e| format!("cannot read {}: {e}", script.display()))?;
    let (rows, groups) = count_writes(&text);
    // Workaround: `--sql-out` writes TIMESTAMP values as `'2024-06-02 00:00:00' UTC`,
    // which is no SQL. Strings are hex literals in the script, so `' UTC` only ends a
    // timestamp; the script sets time_zone = '+00:00', so the text alone is right.
    let sql_out_timestamp_fixes = text.matches("' UTC").count() as u64;
    let text = text.replace("' UTC", "'");
    let client_input = tmp.join("client.sql");
    std::fs::write(&client_input, format!("{JOURNAL_DDL}{text}"))
        .map_err(|e| format!("cannot write {}: {e}", client_input.display()))?;

    let ours_cmd = Cmd::new(reconcile, tmp.join("apply.stderr"))
        .args(["apply", "--plan"])
        .arg(&plan)
        .args([
            "--target",
            &url,
            "--ssl-mode",
            "DISABLED",
            "--undecided",
            "skip",
        ])
        .stdout(Output::File(tmp.join("apply.stdout")));
    let theirs_cmd = Cmd::new(&tools.client, tmp.join("client.stderr"))
        .args(["--no-defaults", "--user=root", "--host=127.0.0.1"])
        .arg(format!("--port={}", target.port()))
        .args(["--protocol=TCP", "--skip-ssl", "--batch"])
        .stdin(&client_input)
        .stdout(Output::File(tmp.join("client.stdout")));
    let verify_cmd = Cmd::new(reconcile, tmp.join("verify.stderr"))
        .args(["verify", "--plan"])
        .arg(&plan)
        .args(["--target", &url, "--ssl-mode", "DISABLED"])
        .stdout(Output::File(tmp.join("verify.stdout")));
    let verify = |after: &str| -> Result<(), String> {
        measure::run(&verify_cmd).map_err(|e| {
            format!("after the {after}, `reconcile verify` finds the target wrong: {e}")
        })?;
        Ok(())
    };

    let (mut ours, mut theirs) = (Series::default(), Series::default());
    for run in 0..runs {
        reset_target(target, data)?;
        let a = measure::run(&ours_cmd)?;
        verify("reconcile apply")?;
        reset_target(target, data)?;
        let b = measure::run(&theirs_cmd)?;
        verify("client pipe")?;
        progress(
            "apply vs mariadb client",
            run,
            runs,
            &[("apply", &a), ("client", &b)],
        );
        ours.push(a);
        theirs.push(b);
    }
    Ok(ApplyResult {
        pair: Pair {
            ours,
            theirs,
            ours_cmd,
            theirs_cmd,
        },
        rows,
        groups,
        plan_cmds: vec![scan, sql_out],
        verify_cmd,
        summary,
        sql_out_timestamp_fixes,
        server_args: TARGET_SERVER_ARGS.iter().map(|s| s.to_string()).collect(),
    })
}

/// Row writes and transactions in a `--sql-out` script (journal rows not counted).
fn count_writes(script: &str) -> (u64, u64) {
    let mut rows = 0;
    let mut groups = 0;
    for line in script.lines() {
        if line == "START TRANSACTION;" {
            groups += 1;
        } else if (line.starts_with("INSERT INTO ")
            || line.starts_with("UPDATE ")
            || line.starts_with("DELETE FROM "))
            && !line.contains("reconcile_journal")
        {
            rows += 1;
        }
    }
    (rows, groups)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn verdicts(inspect: &InspectResult, scan: &ScanResult, apply: &ApplyResult) -> Vec<Verdict> {
    let speed = |goal: Goal, r: f64, target: f64| Verdict {
        goal,
        measured: format!("{r:.2}x"),
        target: format!(">= {target}x"),
        met: r >= target,
        shortfall: if r >= target {
            String::new()
        } else {
            format!(
                "{:.0}% short of {target}x: {} must get {:.2}x faster",
                (1.0 - r / target) * 100.0,
                goal.name(),
                target / r.max(f64::MIN_POSITIVE)
            )
        },
        profile: None,
    };
    let scan_ratio = ratio(
        inspect.pair.theirs.best().as_secs_f64(),
        scan.scan.best().as_secs_f64(),
    );
    let rss_mb = mb(scan.scan.max_rss_kib() * 1024);
    let apply_share = apply.pair.speedup();
    vec![
        speed(Goal::Inspect, inspect.pair.speedup(), INSPECT_TARGET),
        speed(Goal::Scan, scan_ratio, SCAN_TARGET),
        Verdict {
            goal: Goal::ScanRss,
            measured: format!("{rss_mb:.0} MB"),
            target: format!("<= {SCAN_RSS_TARGET_MB:.0} MB"),
            met: rss_mb <= SCAN_RSS_TARGET_MB,
            shortfall: if rss_mb <= SCAN_RSS_TARGET_MB {
                String::new()
            } else {
                format!(
                    "{:.0} MB ({:.0}%) over",
                    rss_mb - SCAN_RSS_TARGET_MB,
                    (rss_mb / SCAN_RSS_TARGET_MB - 1.0) * 100.0
                )
            },
            profile: None,
        },
        Verdict {
            goal: Goal::Apply,
            measured: format!("{:.0}%", apply_share * 100.0),
            target: format!(">= {:.0}%", APPLY_TARGET * 100.0),
            met: apply_share >= APPLY_TARGET,
            shortfall: if apply_share >= APPLY_TARGET {
                String::new()
            } else {
                format!(
                    "{:.0} points short: apply must get {:.2}x faster",
                    (APPLY_TARGET - apply_share) * 100.0,
                    APPLY_TARGET / apply_share.max(f64::MIN_POSITIVE)
                )
            },
            profile: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_takes_a_binary_and_seven_runs_unless_told() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = Options::parse(&args(&["--compare", "/tmp/old/reconcile"])).unwrap();
        assert_eq!(o.compare, Some(PathBuf::from("/tmp/old/reconcile")));
        assert_eq!(o.runs, None);
        let o = Options::parse(&args(&["--compare", "/x", "--runs", "5"])).unwrap();
        assert_eq!(o.runs, Some(5));
        assert!(Options::parse(&args(&["--compare"]))
            .unwrap_err()
            .contains("--compare needs"));
    }

    #[test]
    fn counts_the_writes_and_transactions_of_a_sql_out_script() {
        let script = "SET NAMES binary;\n\n-- group 1\nSTART TRANSACTION;\n\
            -- guard (item 1): no row of `db`.`t` WHERE `id` <=> 1\n\
            INSERT INTO `db`.`t` (`id`) VALUES (1);\n\
            UPDATE `db`.`t` SET `v` = 2 WHERE `id` <=> 2 LIMIT 1;\n\
            INSERT INTO `reconcile`.`reconcile_journal` (plan_id, group_id, items) VALUES ('p', 1, '[1,2]');\n\
            COMMIT;\n\n-- group 2\nSTART TRANSACTION;\nDELETE FROM `db`.`t` WHERE `id` <=> 3 LIMIT 1;\n\
            INSERT INTO `reconcile`.`reconcile_journal` (plan_id, group_id, items) VALUES ('p', 2, '[3]');\nCOMMIT;\n";
        assert_eq!(count_writes(script), (3, 2));
    }

    #[test]
    fn reads_a_count_from_the_last_matching_log_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr");
        std::fs::write(
            &log,
            "INFO inspect done transactions=1 rows=5\nINFO inspect done transactions=2 rows=479547\nINFO other rows=9\n",
        )
        .unwrap();
        assert_eq!(logged_count(&log, "inspect done", "rows="), Some(479_547));
        assert_eq!(logged_count(&log, "scan done", "rows="), None);
    }
}
