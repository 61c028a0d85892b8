//! Timing one command: wall clock, CPU time and peak RSS of exactly that process.
//!
//! `getrusage(RUSAGE_CHILDREN)` reports the largest RSS of all children a process
//! ever waited for, so each measured command runs under a fresh helper process
//! (`xtask bench-measure REPORT PROGRAM ARGS...`, this same binary) whose only child
//! it is. The helper times the child from spawn to exit and writes one line to
//! REPORT; stdin, stdout and stderr pass through to the child untouched.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};

/// The hidden xtask command that runs one measured child.
pub const HELPER_COMMAND: &str = "bench-measure";

/// Where a command's stdout goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// `> /dev/null`.
    Null,
    /// `> FILE`.
    File(PathBuf),
}

/// A command to measure, and how to show it in the report.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// `< FILE`, else stdin is `/dev/null`.
    pub stdin: Option<PathBuf>,
    pub stdout: Output,
    /// Where stderr goes (kept for error messages and parsed log lines).
    pub stderr: PathBuf,
}

impl Cmd {
    pub fn new(program: impl Into<PathBuf>, stderr: PathBuf) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            stdin: None,
            stdout: Output::Null,
            stderr,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn stdin(mut self, path: &Path) -> Cmd {
        self.stdin = Some(path.to_owned());
        self
    }

    pub fn stdout(mut self, output: Output) -> Cmd {
        self.stdout = output;
        self
    }

    /// The shell form, e.g. `reconcile inspect --format jsonl F1 F2 > /dev/null`.
    pub fn shell(&self) -> String {
        let mut words = vec![shell_word(&self.program.display().to_string())];
        words.extend(self.args.iter().map(|a| shell_word(&a.to_string_lossy())));
        if let Some(stdin) = &self.stdin {
            words.push(format!("< {}", shell_word(&stdin.display().to_string())));
        }
        match &self.stdout {
            Output::Null => words.push("> /dev/null".to_owned()),
            Output::File(path) => {
                words.push(format!("> {}", shell_word(&path.display().to_string())))
            }
        }
        words.join(" ")
    }

    /// The last lines of this command's stderr, for error messages.
    pub fn stderr_tail(&self) -> String {
        let text = fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(20);
        lines[start..].join("\n")
    }
}

fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One run of a command.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
}

/// Runs `cmd` once under the helper; fails with its stderr when it fails.
pub fn run(cmd: &Cmd) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    let report = cmd.stderr.with_extension("rusage");
    let _ = fs::remove_file(&report);
    let stdin = match &cmd.stdin {
        Some(path) => Stdio::from(
            File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    let stdout = match &cmd.stdout {
        Output::Null => Stdio::null(),
        Output::File(path) => Stdio::from(
            File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        ),
    };
    let stderr = Stdio::from(
        File::create(&cmd.stderr)
            .map_err(|e| format!("cannot create {}: {e}", cmd.stderr.display()))?,
    );
    let status = Command::new(&exe)
        .arg(HELPER_COMMAND)
        .arg(&report)
        .arg(&cmd.program)
        .args(&cmd.args)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let line = fs::read_to_string(&report).unwrap_or_default();
    let fields: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [code, wall_ns, rss, user_us, sys_us] = fields[..] else {
        return Err(format!(
            "`{}` did not run ({status}):\n{}",
            cmd.shell(),
            cmd.stderr_tail()
        ));
    };
    if code != 0 || !status.success() {
        return Err(format!(
            "`{}` failed (exit code {code}); the end of its stderr ({}):\n{}",
            cmd.shell(),
            cmd.stderr.display(),
            cmd.stderr_tail()
        ));
    }
    Ok(Sample {
        wall: Duration::from_nanos(wall_ns),
        user: Duration::from_micros(user_us),
        sys: Duration::from_micros(sys_us),
        max_rss_kib: rss,
    })
}

/// `xtask bench-measure REPORT PROGRAM ARGS...`: runs PROGRAM and writes
/// `EXIT_CODE WALL_NS MAX_RSS_KIB USER_US SYS_US` to REPORT (exit code 255 when it
/// was killed by a signal).
pub fn helper(args: &[String]) -> Result<(), String> {
    let [report, program, rest @ ..] = args else {
        return Err(format!(
            "usage: xtask {HELPER_COMMAND} REPORT PROGRAM [ARGS...]"
        ));
    };
    let start = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let wall = start.elapsed();
    let usage =
        getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage failed: {e}"))?;
    let micros = |tv: nix::sys::time::TimeVal| {
        (tv.tv_sec().max(0) as u64) * 1_000_000 + tv.tv_usec().max(0) as u64
    };
    let line = format!(
        "{} {} {} {} {}\n",
        status.code().map_or(255, |c| c as u64),
        wall.as_nanos(),
        usage.max_rss().max(0),
        micros(usage.user_time()),
        micros(usage.system_time()),
    );
    fs::write(report, line).map_err(|e| format!("cannot write {report}: {e}"))
}

/// The runs of one command.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub samples: Vec<Sample>,
}

impl Series {
    pub fn push(&mut self, sample: Sample) {
        self.samples.push(sample);
    }

    fn sorted_walls(&self) -> Vec<Duration> {
        let mut walls: Vec<Duration> = self.samples.iter().map(|s| s.wall).collect();
        walls.sort();
        walls
    }

    /// The fastest run (best of N): noise from other processes only adds time.
    pub fn best(&self) -> Duration {
        self.sorted_walls().first().copied().unwrap_or_default()
    }

    pub fn median(&self) -> Duration {
        let walls = self.sorted_walls();
        walls.get(walls.len() / 2).copied().unwrap_or_default()
    }

    /// The median CPU time (user + system) of the runs.
    pub fn median_cpu(&self) -> Duration {
        let mut cpu: Vec<Duration> = self.samples.iter().map(|s| s.user + s.sys).collect();
        cpu.sort();
        cpu.get(cpu.len() / 2).copied().unwrap_or_default()
    }

    /// CPU time (user + system) of the fastest run.
    pub fn best_cpu(&self) -> Duration {
        self.samples
            .iter()
            .min_by_key(|s| s.wall)
            .map(|s| s.user + s.sys)
            .unwrap_or_default()
    }

    /// The largest peak RSS of all runs, in KiB.
    pub fn max_rss_kib(&self) -> u64 {
        self.samples
            .iter()
            .map(|s| s.max_rss_kib)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("--port=3306"), "--port=3306");
        assert_eq!(shell_word("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn best_and_median_of_runs() {
        let sample = |ms| Sample {
            wall: Duration::from_millis(ms),
            user: Duration::from_millis(ms / 2),
            sys: Duration::ZERO,
            max_rss_kib: ms,
        };
        let mut s = Series::default();
        for ms in [30, 10, 20] {
            s.push(sample(ms));
        }
        assert_eq!(s.best(), Duration::from_millis(10));
        assert_eq!(s.median(), Duration::from_millis(20));
        assert_eq!(s.best_cpu(), Duration::from_millis(5));
        assert_eq!(s.median_cpu(), Duration::from_millis(10));
        assert_eq!(s.max_rss_kib(), 30);
    }
}
