//! `reconcile`: reconcile two MySQL/MariaDB primaries after a split-brain.
//!
//! Only this binary knows clap, tracing-subscriber and anyhow; the libraries return
//! typed errors and emit tracing events.

mod apply;
mod connect;
mod inspect;
mod plan;
mod position;
mod render;
mod report;
mod scan;
mod schema_cmd;
mod sources;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a usage or input error (bad arguments, unreadable or corrupt input).
const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "reconcile",
    version,
    about = "Reconcile two MySQL/MariaDB primaries after a split-brain"
)]
struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). RECONCILE_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find the divergence of two primaries' binlogs, classify every change, and
    /// write the conflict worksheet (conflicts.csv), the plan and a summary.
    Scan(scan::ScanArgs),
    /// Apply the approved groups of a scan's plan to the surviving primary: guarded,
    /// journaled, one transaction per group.
    Apply(apply::ApplyArgs),
    /// Check that the target holds what was approved and applied.
    Verify(apply::VerifyArgs),
    /// Print the transactions of binlog files, human-readably or as JSON lines.
    Inspect(inspect::InspectArgs),
    /// Read a live server's schema (`schema dump --target URL > schema.sql`).
    Schema(schema_cmd::SchemaArgs),
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RECONCILE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

/// Reading allocates on worker threads what the calling thread frees (each
/// transaction); glibc's allocator does that slowly (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// No transparent huge pages for this process. mimalloc advises them for its
/// arenas, and where THP is in `madvise` mode each sparsely used 2 MiB range then
/// counts whole: a scan's peak RSS grew by 50 to 70 MB that way, with no speed to
/// show for it. A DBA's host is usually a database server, short of memory.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        tracing::debug!("cannot disable transparent huge pages: {e}");
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Scan(args) => scan::run(args).map(|()| 0),
        Command::Apply(args) => apply::run(args),
        Command::Verify(args) => apply::verify(args),
        Command::Inspect(args) => inspect::run(args).map(|()| 0),
        Command::Schema(args) => schema_cmd::run(args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`reconcile inspect ... | head`) is not an error.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            if err
                .chain()
                .any(|e| e.downcast_ref::<plan::Refused>().is_some())
            {
                return ExitCode::from(apply::EXIT_REFUSED);
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}
