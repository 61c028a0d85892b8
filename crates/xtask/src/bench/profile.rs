//! Profiles of the hot path of a missed target: `perf record` and the top functions
//! of `perf report --stdio`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::measure::{Cmd, Output};

/// How profiles are taken here.
#[derive(Debug, Clone)]
pub enum Profiler {
    /// `perf record -e EVENT`: `cycles` when the CPU's counters are available,
    /// `cpu-clock` (a timer, available in most VMs) otherwise.
    Perf { perf: PathBuf, event: &'static str },
    /// Why no profile can be taken.
    Unavailable(String),
}

impl Profiler {
    pub fn describe(&self) -> String {
        match self {
            Profiler::Perf { perf, event } => format!(
                "`{} record -e {event} -F 499 --call-graph dwarf,16384` of one run (for the peak \
                 RSS `-e page-faults -c 16` instead), then `perf report --stdio` by own samples \
                 (`--no-children`) and inclusive of callees (`--children`){}",
                perf.display(),
                if *event == "cpu-clock" {
                    " (hardware counters are not available here: `perf stat -e instructions true` \
                     says `<not supported>`, so samples come from the cpu-clock timer)"
                } else {
                    ""
                }
            ),
            Profiler::Unavailable(why) => format!("no profiler: {why}"),
        }
    }
}

/// Finds perf and the event it can sample.
pub fn detect() -> Profiler {
    let perf = ["/usr/bin/perf", "/usr/local/bin/perf"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| {
            Command::new("perf")
                .arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| PathBuf::from("perf"))
        });
    let Some(perf) = perf else {
        return Profiler::Unavailable(
            "perf is not installed (Debian: apt-get install linux-perf); or profile the \
             --quick data set with `valgrind --tool=callgrind`"
                .to_owned(),
        );
    };
    let hardware = Command::new(&perf)
        .args(["stat", "-e", "instructions", "true"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && !String::from_utf8_lossy(&o.stderr).contains("not supported")
        });
    if hardware {
        return Profiler::Perf {
            perf,
            event: "cycles",
        };
    }
    let probe =
        std::env::temp_dir().join(format!("reconcile-bench-perf-{}.data", std::process::id()));
    let timer = Command::new(&perf)
        .args(["record", "-q", "-e", "cpu-clock", "-o"])
        .arg(&probe)
        .args(["--", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let _ = std::fs::remove_file(&probe);
    match timer {
        Ok(o) if o.status.success() => Profiler::Perf {
            perf,
            event: "cpu-clock",
        },
        Ok(o) => Profiler::Unavailable(format!(
            "`perf record -e cpu-clock true` fails: {} (perf_event_paranoid? run as root or \
             lower /proc/sys/kernel/perf_event_paranoid)",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Profiler::Unavailable(format!("cannot run {}: {e}", perf.display())),
    }
}

/// What a profile samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Where the CPU time goes.
    Cpu,
    /// Where the process touches new memory: every 16th page fault.
    Memory,
}

/// Records one run of `cmd` with DWARF call graphs and returns the report: the top
/// functions by their own samples, and by samples inclusive of their callees.
pub fn record(
    profiler: &Profiler,
    kind: Kind,
    cmd: &Cmd,
    data: &Path,
    top: usize,
) -> Result<String, String> {
    let Profiler::Perf { perf, event } = profiler else {
        return Err(profiler.describe());
    };
    let stdin = match &cmd.stdin {
        Some(path) => Stdio::from(
            std::fs::File::open(path)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    let stdout = match &cmd.stdout {
        Output::Null => Stdio::null(),
        Output::File(path) => Stdio::from(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        ),
    };
    let stderr = std::fs::File::create(&cmd.stderr)
        .map_err(|e| format!("cannot create {}: {e}", cmd.stderr.display()))?;
    let sampling: &[&str] = match kind {
        Kind::Cpu => &["-e", event, "-F", "499"],
        Kind::Memory => &["-e", "page-faults", "-c", "16"],
    };
    let status = Command::new(perf)
        // A large buffer, so that bursts of samples with their stacks are not lost.
        .args(["record", "-q", "-m", "64M", "--call-graph", "dwarf,16384"])
        .args(sampling)
        .arg("-o")
        .arg(data)
        .arg("--")
        .arg(&cmd.program)
        .args(&cmd.args)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", perf.display()))?;
    if !status.success() {
        return Err(format!(
            "perf record of `{}` failed ({status}):\n{}",
            cmd.shell(),
            cmd.stderr_tail()
        ));
    }
    let report = |args: &[&str]| -> Result<String, String> {
        let out = Command::new(perf)
            .args([
                "report",
                "--stdio",
                "-g",
                "none",
                "--percent-limit",
                "0.5",
                "-i",
            ])
            .arg(data)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run perf report: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let own = report(&["--no-children", "--fields", "overhead,dso,sym"])?;
    let inclusive = report(&["--children", "--sort", "sym"])?;
    let header = |prefix: &str| {
        own.lines()
            .find(|l| l.starts_with(prefix))
            .map(|l| l.trim_start_matches(prefix).trim().to_owned())
            .unwrap_or_default()
    };
    let samples = format!(
        "{} ({} lost)",
        header("# Samples:"),
        header("# Total Lost Samples:")
    );
    let rows = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter(|l| !RUNTIME_FRAMES.iter().any(|f| l.contains(f)))
            .take(top * 10)
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    let own: Vec<String> = rows(&own).into_iter().take(top).collect();
    let inclusive: Vec<String> = rows(&inclusive)
        .into_iter()
        .filter(|l| telling_frame(l))
        .take(top)
        .collect();
    if own.is_empty() {
        return Err(format!(
            "perf report printed no samples for `{}`",
            cmd.shell()
        ));
    }
    let what = match kind {
        Kind::Cpu => format!("{samples}, sampled at 499 Hz"),
        Kind::Memory => format!("{samples}, one per 16 page faults: where new memory is touched"),
    };
    Ok(format!(
        "# {what}\n# own samples: overhead, shared object, function\n{}\n\n\
         # inclusive of callees: total, own, function (reconcile's functions, plainly named \
         inlined ones, and those with >= 2% own)\n{}",
        own.join("\n"),
        inclusive.join("\n")
    ))
}

/// Whether an inclusive line names a function worth reading: one of reconcile's
/// crates (not a generic one merely instantiated with its types), a plainly named inlined function (`write_plan (inlined)`), or one with at
/// least 2% of its own; not the generic iterator and allocator frames between them.
fn telling_frame(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let own: f64 = words
        .nth(1)
        .and_then(|w| w.trim_end_matches('%').parse().ok())
        .unwrap_or(0.0);
    let symbol = line.split_once("] ").map_or("", |(_, s)| s);
    symbol.starts_with("reconcile")
        || symbol.starts_with("<reconcile")
        || (symbol.ends_with("(inlined)") && !symbol.contains(['<', '{', ':']))
        || own >= 2.0
}

/// Frames every sample passes through, which say nothing about the hot path.
const RUNTIME_FRAMES: &[&str] = &[
    "std::rt::",
    "std::panicking::",
    "std::panic::",
    "std::sys::backtrace",
    "lang_start",
    "core::ops::function::",
    "__libc_start",
    "[.] main",
    "[.] _start",
    "__rust_begin_short_backtrace",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_reconciles_frames_and_heavy_ones() {
        assert!(telling_frame(
            "    51.93%     0.00%  [.] reconcile::report::write_all"
        ));
        assert!(telling_frame(
            "    51.93%     0.00%  [.] write_plan (inlined)"
        ));
        assert!(telling_frame(
            "    80.57%    80.57%  [.] __memmove_avx512_unaligned_erms"
        ));
        assert!(!telling_frame(
            "    31.16%     0.00%  [.] from_iter<serde_json::value::Value, core::iter::Map> (inlined)"
        ));
        assert!(!telling_frame(
            "     5.20%     0.00%  [.] alloc::raw_vec::RawVec<T,A>::grow_one"
        ));
        assert!(!telling_frame(
            "    65.59%     0.00%  [.] block_on<reconcile::apply::run::{async_block_env#1}> (inlined)"
        ));
        assert!(telling_frame(
            "     6.73%     0.82%  [.] <reconcile_binlog::source::FileSource as reconcile_binlog::source::EventSource>::next_item"
        ));
    }
}
