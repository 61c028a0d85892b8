//! The benchmark's report: the table printed to stdout and `bench/results.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::dataset::{Dataset, Side};
use super::measure::{Cmd, Series};
use super::{mb, ratio, ApplyResult, Goal, InspectResult, ScanResult, Tools, Verdict};

/// Where and on what the benchmark ran.
#[derive(Debug)]
pub struct Machine {
    pub date: String,
    pub commit: String,
    pub nproc: usize,
    pub cpu: String,
    pub memory: String,
    pub kernel: String,
    pub load_at_start: String,
    pub rustc: String,
    pub mariadb_binlog: String,
    pub mariadb_client: String,
    pub mariadbd: String,
    pub reconcile: String,
}

fn first_line(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

fn proc_field(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim() == key)
                    .map(|(_, v)| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

impl Machine {
    pub fn collect(root: &Path, tools: &Tools, reconcile: &Path) -> Machine {
        let git = |args: &[&str]| {
            Command::new("git")
                .current_dir(root)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
        let commit = format!(
            "{} ({}){}",
            git(&["rev-parse", "HEAD"]),
            git(&["log", "-1", "--format=%s"]),
            if dirty {
                ", with uncommitted changes"
            } else {
                ""
            }
        );
        Machine {
            date: first_line(Path::new("date"), &["-u", "+%Y-%m-%d %H:%M UTC"]),
            commit,
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu: proc_field("/proc/cpuinfo", "model name"),
            memory: memory(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            load_at_start: load_average(),
            rustc: first_line(Path::new("rustc"), &["--version"]),
            mariadb_binlog: first_line(&tools.binlog, &["--version"]),
            mariadb_client: first_line(&tools.client, &["--version"]),
            mariadbd: first_line(&tools.server, &["--version"]),
            reconcile: first_line(reconcile, &["--version"]),
        }
    }
}

fn memory() -> String {
    let field = proc_field("/proc/meminfo", "MemTotal");
    match field.trim_end_matches(" kB").trim().parse::<u64>() {
        Ok(kib) => format!("{:.1} GB", kib as f64 * 1024.0 / 1e9),
        Err(_) => field,
    }
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Everything the report shows.
#[derive(Debug)]
pub struct Results<'a> {
    pub machine: Machine,
    pub data: &'a Dataset,
    pub runs: usize,
    pub inspect: &'a InspectResult,
    pub scan: &'a ScanResult,
    pub apply: &'a ApplyResult,
    pub verdicts: &'a [Verdict],
    pub profiler: String,
    pub tmp: &'a Path,
    pub reconcile: &'a Path,
    pub quick: bool,
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// `1.23 M/s`, `456 k/s`.
fn per_sec(n: u64, d: Duration) -> String {
    let rate = ratio(n as f64, d.as_secs_f64());
    if rate >= 1e6 {
        format!("{:.2} M/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k/s", rate / 1e3)
    } else {
        format!("{rate:.0} /s")
    }
}

fn mb_per_sec(bytes: u64, d: Duration) -> String {
    format!("{:.0} MB/s", ratio(mb(bytes), d.as_secs_f64()))
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The verdict table (stdout and results.md).
pub fn table(r: &Results) -> String {
    let west = &r.data.main_west.facts;
    let east = &r.data.main_east.facts;
    let i = &r.inspect.pair;
    let s = r.scan;
    let a = &r.apply.pair;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| target | reconcile | baseline | ratio | target | result |\n|---|---|---|---|---|---|"
    );
    let row = |t: &mut String, v: &Verdict, ours: String, theirs: String| {
        let _ = writeln!(
            t,
            "| {} | {ours} | {theirs} | {} | {} | {} |",
            v.goal.name(),
            v.measured,
            v.target,
            if v.met {
                "met".to_owned()
            } else {
                format!("**MISSED**: {}", v.shortfall)
            }
        );
    };
    for v in r.verdicts {
        match v.goal {
            Goal::Inspect => row(
                &mut t,
                v,
                format!(
                    "`inspect --format jsonl` {} s, {}, {} events, {} rows",
                    secs(i.ours.best()),
                    mb_per_sec(west.bytes, i.ours.best()),
                    per_sec(west.events, i.ours.best()),
                    per_sec(west.rows, i.ours.best())
                ),
                format!(
                    "`mariadb-binlog -v` {} s, {}, {} events, {} rows",
                    secs(i.theirs.best()),
                    mb_per_sec(west.bytes, i.theirs.best()),
                    per_sec(west.events, i.theirs.best()),
                    per_sec(west.rows, i.theirs.best())
                ),
            ),
            Goal::Scan => row(
                &mut t,
                v,
                format!(
                    "`scan` {} s, {} of West (`cat` of both sides: {} s)",
                    secs(s.scan.best()),
                    mb_per_sec(west.bytes, s.scan.best()),
                    secs(s.cat.best())
                ),
                format!("`mariadb-binlog -v` of West {} s", secs(i.theirs.best())),
            ),
            Goal::ScanRss => row(
                &mut t,
                v,
                format!(
                    "`scan` of {:.0} MB + {:.0} MB",
                    mb(east.bytes),
                    mb(west.bytes)
                ),
                "-".to_owned(),
            ),
            Goal::Apply => row(
                &mut t,
                v,
                format!(
                    "`apply` {} s, {} rows",
                    secs(a.ours.best()),
                    per_sec(r.apply.rows, a.ours.best())
                ),
                format!(
                    "`mariadb` client pipe {} s, {} rows",
                    secs(a.theirs.best()),
                    per_sec(r.apply.rows, a.theirs.best())
                ),
            ),
        }
    }
    t
}

fn series_row(t: &mut String, name: &str, s: &Series, throughput: String) {
    let runs: Vec<String> = s.samples.iter().map(|x| secs(x.wall)).collect();
    let _ = writeln!(
        t,
        "| {name} | {} | {} | {} | {} | {:.0} | {throughput} |",
        secs(s.best()),
        secs(s.median()),
        runs.join(", "),
        secs(s.best_cpu()),
        mb(s.max_rss_kib() * 1024),
    );
}

fn side_row(t: &mut String, name: &str, side: &Side) {
    let f = &side.facts;
    let _ = writeln!(
        t,
        "| {name} | {} | {} | {} | {} | {} | {} |",
        side.files.len(),
        thousands(f.bytes),
        thousands(f.events),
        thousands(f.transactions),
        thousands(f.row_events),
        thousands(f.rows)
    );
}

/// `cmd` as a shell line, with the long paths as variables.
fn shown(r: &Results, cmd: &Cmd) -> String {
    cmd.shell()
        .replace(&r.reconcile.display().to_string(), "$RECONCILE")
        .replace(&r.data.dir.display().to_string(), "$DATA")
        .replace(&r.tmp.display().to_string(), "$TMP")
}

/// `bench/results.md`.
pub fn markdown(r: &Results) -> String {
    let m = &r.machine;
    let d = r.data;
    let west = &d.main_west.facts;
    let east = &d.main_east.facts;
    let i = &r.inspect.pair;
    let s = r.scan;
    let a = &r.apply.pair;
    let mut t = String::new();
    let _ = writeln!(t, "# Benchmark results\n");
    let _ = writeln!(
        t,
        "Written by `cargo xtask bench{}` (issue 8); do not edit by hand, run it again. \
         It was taken on a development machine (load average {} at the start, {} at the end), \
         so absolute numbers are noisy; the ratios, measured on the same files in interleaved \
         runs, are what count.\n",
        if r.quick { " --quick" } else { "" },
        m.load_at_start,
        load_average()
    );

    let _ = writeln!(t, "## Targets\n");
    let _ = writeln!(t, "{}", table(r));
    let missed: Vec<&Verdict> = r.verdicts.iter().filter(|v| !v.met).collect();
    if missed.is_empty() {
        let _ = writeln!(t, "Every target is met.\n");
    } else {
        let _ = writeln!(
            t,
            "Missed: {}. Profiles of their hot paths are below.\n",
            missed
                .iter()
                .map(|v| format!("`{}` ({})", v.goal.name(), v.shortfall))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let _ = writeln!(
        t,
        "Ratios: inspect and scan are `mariadb-binlog` time / `reconcile` time (how many times \
         faster); apply is `reconcile apply` rows/s / client-pipe rows/s. Every number is the \
         best of {} runs; MB = 10^6 bytes.\n",
        r.runs
    );

    let _ = writeln!(t, "## Machine\n");
    let _ = writeln!(
        t,
        "| | |\n|---|---|\n| date | {} |\n| commit | {} |\n| CPU | {} × {} |\n| memory | {} |\n\
         | kernel | {} |\n| rustc | {} |\n| reconcile | {} (`cargo build --release -p reconcile-cli`) |\n\
         | mariadb-binlog | {} |\n| mariadb client | {} |\n| mariadbd | {} |\n",
        m.date,
        m.commit,
        m.nproc,
        m.cpu,
        m.memory,
        m.kernel,
        m.rustc,
        m.reconcile,
        m.mariadb_binlog,
        m.mariadb_client,
        m.mariadbd
    );

    let _ = writeln!(t, "## Data set\n");
    let _ = writeln!(
        t,
        "Generator `{}`, cached in `{}` (made in {:.0} s by {}). Two split-brains made by the \
         test kit's `SplitBrain` (GTID replication East→West, failover, then writes on both \
         sides; both in GTID domain 0): see `crates/xtask/src/bench/dataset.rs` and \
         `sql/shared.sql` beside it.\n",
        d.version,
        d.dir.display(),
        d.generation.as_secs_f64(),
        d.server_version
    );
    let _ = writeln!(
        t,
        "- **main** (scanned): a web shop (`customers`, `products`, `orders`, `order_lines`, \
         `audit_log`: integers, strings, ENUM, DECIMAL, JSON, DATETIME(3/6), TIMESTAMP(6), \
         DOUBLE). Shared history, then East runs {} OLTP transactions of the shop and West runs \
         the same load (new orders with their lines, stock and balance updates, status changes, \
         profile updates, new customers, audit rows, deletions, 1 to 10 rows a transaction; and \
         after every 2,000 of them a batch job: 500 products repriced, 5,000 audit rows \
         inserted, 2,500 deleted, one transaction each) from two concurrent sessions until its \
         binlog holds {} MB. Both sides change the same customers, products and order ids \
         (auto-increment continues on both), so the scan finds real conflicts.",
        thousands(u64::from(d.size.east_transactions)),
        d.size.west_bytes / 1_000_000
    );
    let _ = writeln!(
        t,
        "- **apply**: East writes 110,000 rows (new orders and lines, customer updates, audit \
         deletes and inserts; 5 or 10 rows a transaction) that West never touched, so every \
         change is `auto`; West's data is dumped with `mariadb-dump` to restore the target \
         before each run.\n"
    );
    let _ = writeln!(
        t,
        "| side | files | bytes | events | transactions | row events | rows |\n|---|---|---|---|---|---|---|"
    );
    side_row(&mut t, "main East", &d.main_east);
    side_row(&mut t, "main West", &d.main_west);
    side_row(&mut t, "apply East", &d.apply_east);
    side_row(&mut t, "apply West", &d.apply_west);
    let _ = writeln!(
        t,
        "\nEvents, transactions (GTID events) and row events are counted from the event \
         headers; rows from `mariadb-binlog --verbose` (`### INSERT/UPDATE/DELETE` lines). \
         `reconcile inspect` reported {} rows for main West{}.\n",
        r.inspect
            .reconcile_rows
            .map_or("no count of".to_owned(), thousands),
        match r.inspect.reconcile_rows {
            Some(n) if n == west.rows => " (the same)".to_owned(),
            Some(n) => format!(
                " (**differs** from mariadb-binlog's {} by {})",
                thousands(west.rows),
                n as i64 - west.rows as i64
            ),
            None => String::new(),
        }
    );
    let sm = &s.summary;
    let _ = writeln!(
        t,
        "The scan of main finds East's own window: {}; West's: {}; {} items: {} auto, {} skip, \
         {} review. It writes a plan of {:.0} MB (its header line {:.0} kB, its longest item \
         line {:.0} kB) and a worksheet of {:.0} MB.\n",
        sm.east_own,
        sm.west_own,
        thousands(sm.items),
        thousands(sm.auto),
        thousands(sm.skip),
        thousands(sm.review),
        mb(sm.plan_bytes),
        sm.plan_header_bytes as f64 / 1e3,
        sm.plan_longest_item as f64 / 1e3,
        mb(sm.worksheet_bytes)
    );

    let _ = writeln!(t, "## Measurements\n");
    let _ = writeln!(
        t,
        "Wall-clock seconds of each run, from spawn to exit; CPU = user + system seconds of the \
         best run; peak RSS = `ru_maxrss` of the command's process.\n"
    );
    let _ = writeln!(
        t,
        "| command | best s | median s | runs s | CPU s | peak RSS MB | throughput (best run) |\n\
         |---|---|---|---|---|---|---|"
    );
    let read = |d: Duration| {
        format!(
            "{}, {} events, {} rows",
            mb_per_sec(west.bytes, d),
            per_sec(west.events, d),
            per_sec(west.rows, d)
        )
    };
    series_row(
        &mut t,
        "`reconcile inspect --format jsonl` (main West)",
        &i.ours,
        read(i.ours.best()),
    );
    series_row(
        &mut t,
        "`mariadb-binlog -v --base64-output=decode-rows` (main West)",
        &i.theirs,
        read(i.theirs.best()),
    );
    series_row(
        &mut t,
        "`reconcile scan` (main East + West)",
        &s.scan,
        format!(
            "{} of West, {} of both sides",
            mb_per_sec(west.bytes, s.scan.best()),
            mb_per_sec(west.bytes + east.bytes, s.scan.best())
        ),
    );
    series_row(
        &mut t,
        "`cat` (main East + West)",
        &s.cat,
        mb_per_sec(west.bytes + east.bytes, s.cat.best()),
    );
    let writes = |d: Duration| {
        format!(
            "{} rows, {} transactions",
            per_sec(r.apply.rows, d),
            per_sec(r.apply.groups, d)
        )
    };
    series_row(&mut t, "`reconcile apply`", &a.ours, writes(a.ours.best()));
    series_row(
        &mut t,
        "`mariadb` client pipe",
        &a.theirs,
        writes(a.theirs.best()),
    );
    let _ = writeln!(
        t,
        "\nThe scan reads each side twice (GTIDs first, then rows), so its floor is about twice \
         the `cat` time: {} s. Scan / `cat`: {:.1}x.\n",
        secs(s.cat.best() * 2),
        ratio(s.scan.best().as_secs_f64(), s.cat.best().as_secs_f64())
    );

    let _ = writeln!(t, "## How it is measured\n");
    let _ = writeln!(
        t,
        "- Each command runs {} times, interleaved with its baseline (A, B, A, B, ...) so that \
         background load hits both alike; the best run counts (noise only adds time), the \
         median and every run are shown above. The files are read once before the runs, so the \
         page cache is warm; stdout goes to `/dev/null` (inspect, mariadb-binlog, cat) or a \
         file.",
        r.runs
    );
    let _ = writeln!(
        t,
        "- Timing and peak RSS: each command runs as the only child of a helper process \
         (`xtask bench-measure`), which times it from spawn to exit and reads \
         `getrusage(RUSAGE_CHILDREN)` after waiting for it (nix), so `ru_maxrss` is that \
         command's own peak RSS."
    );
    let _ = writeln!(
        t,
        "- inspect and `mariadb-binlog` read the same West files in `.index` order; the scan \
         gets both sides' directories (it reads the `.index`), `cat` the same files. The scan's \
         ratio uses the same `mariadb-binlog` runs as inspect's."
    );
    let _ = writeln!(
        t,
        "- apply: the plan is a `reconcile scan` of the apply pair ({} items: {} auto, {} skip, \
         {} review; review items would be held with `--undecided skip`): {} rows in {} groups. \
         Before every run the target (a test-kit MariaDB, `{}`, binlog on as the test kit \
         configures it) is restored: `bench` and `reconcile` dropped, West's dump loaded. \
         `reconcile apply` runs one transaction per group: journal check, a guard `SELECT ... \
         FOR UPDATE` per row, the write (prepared statements), the journal row, COMMIT; it \
         logs at its default level (an info line per row written, to a file), as a DBA \
         would run it. The \
         baseline is the script `reconcile apply --sql-out` writes for the same plan (the same \
         writes as literal SQL, the same transaction per group, the same journal row, with \
         the journal table created first as apply creates it), piped into the `mariadb` \
         client: the same rows, the same transaction sizes, the same server over the same TCP \
         connection kind, without the guards. So the ratio is the price of the guards and the \
         checks. After every run `reconcile verify` must find the target as approved (it \
         did).{}\n",
        r.apply.summary.items,
        r.apply.summary.auto,
        r.apply.summary.skip,
        r.apply.summary.review,
        thousands(r.apply.rows),
        thousands(r.apply.groups),
        r.apply.server_args.join(" "),
        if r.apply.sql_out_timestamp_fixes > 0 {
            format!(
                "\n- **Bug worked around**: `reconcile apply --sql-out` writes TIMESTAMP values \
                 as `'2024-06-02 00:00:00.000000' UTC`, which the server rejects (ERROR 1064); \
                 the client's copy of the script has the ` UTC` removed ({} literals; the \
                 script sets `time_zone = '+00:00'`, so the text alone is the right value).",
                thousands(r.apply.sql_out_timestamp_fixes)
            )
        } else {
            String::new()
        }
    );

    let _ = writeln!(t, "## Commands\n");
    let _ = writeln!(
        t,
        "```\nRECONCILE={}\nDATA={}\nTMP=$(mktemp -d)   # scratch: scan outputs, the plan, stderr logs\n",
        r.reconcile.display(),
        d.dir.display()
    );
    for (what, cmd) in [
        ("inspect", &i.ours_cmd),
        ("mariadb-binlog", &i.theirs_cmd),
        ("scan", &s.scan_cmd),
        ("cat", &s.cat_cmd),
    ] {
        let _ = writeln!(t, "# {what}\n{}\n", shown(r, cmd));
    }
    let _ = writeln!(t, "# apply: the plan and the client's script (untimed)");
    for cmd in &r.apply.plan_cmds {
        let _ = writeln!(t, "{}", shown(r, cmd));
    }
    let _ = writeln!(
        t,
        "# $TMP/client.sql = the journal's CREATE statements + $TMP/apply.sql{}\n\
         # before each timed run: DROP DATABASE bench, reconcile; load $DATA/apply/west-data.sql\n\
         # apply (timed)\n{}\n# client pipe (timed)\n{}\n# after each timed run (untimed)\n{}\n```\n",
        if r.apply.sql_out_timestamp_fixes > 0 {
            " with ` UTC` removed after timestamps (see above)"
        } else {
            ""
        },
        shown(r, &a.ours_cmd),
        shown(r, &a.theirs_cmd),
        shown(r, &r.apply.verify_cmd)
    );

    if let Ok(analysis) = std::fs::read_to_string(crate::workspace_root().join("bench/analysis.md"))
    {
        let _ = writeln!(t, "## Why targets are missed\n\n{}", analysis.trim_end());
        let _ = writeln!(t);
    }
    let _ = writeln!(t, "## Profiles of missed targets\n");
    let _ = writeln!(t, "Profiler: {}.\n", r.profiler);
    if missed.is_empty() {
        let _ = writeln!(t, "No target was missed.");
    }
    for v in missed {
        let (cmd, _) = v.hot_path(r.inspect, r.scan, r.apply);
        let _ = writeln!(
            t,
            "### {} ({})\n\n`{}`\n",
            v.goal.name(),
            v.shortfall,
            shown(r, cmd)
        );
        match v.goal {
            Goal::Apply => {
                let _ = writeln!(
                    t,
                    "CPU time of `reconcile apply` itself in the best run: {} s of {} s wall \
                     clock; the rest it waits for the server (a round trip per statement).\n",
                    secs(a.ours.best_cpu()),
                    secs(a.ours.best())
                );
            }
            Goal::ScanRss => {
                let _ = writeln!(
                    t,
                    "A memory profile: page faults (every 16th) with their call graphs, so the \
                     functions that touch new memory, and their callers, lead.\n"
                );
            }
            Goal::Inspect | Goal::Scan => {}
        }
        match &v.profile {
            Some(p) => {
                let _ = writeln!(t, "```\n{p}\n```\n");
            }
            None => {
                let _ = writeln!(t, "(no profile taken)\n");
            }
        }
    }
    t
}
