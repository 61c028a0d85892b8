//! `cargo xtask <command>`: the project's automation, in Rust so that it runs
//! wherever cargo does. See `cargo xtask help`.

mod bench;
mod gen_mysql;
mod gen_testdata;
mod test;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command>

Commands:
  test           install MariaDB if missing (as root, via apt-get), then run formatting,
                 clippy and every test, live-server tests included; fails if any live
                 test was skipped or a test server was left behind
  gen-testdata   regenerate the binlogs and schema of every scenario under testdata/
                 from its SQL, against real MariaDB servers, and serialize the binlogs
                 of the MySQL-flavor scenarios (`generator = mysql` in scenario.conf);
                 `gen-testdata NAME...` for some of them
  bench          benchmark reconcile against mariadb-binlog, cat and the mariadb client
                 on >= 1 GB of binlogs made once by real MariaDB servers and cached in
                 $RECONCILE_BENCH_CACHE (default ~/.cache/reconcile-bench); prints the
                 results and writes bench/results.md. `bench --help` for its options
                 (`--quick`: a ~100 MB data set)
  help           this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("gen-testdata") => gen_testdata_all(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        // Internal: runs one measured command for `bench` (see bench/measure.rs).
        Some(bench::MEASURE_HELPER) => bench::measure_helper(&args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `gen-testdata [NAME...]`: MySQL-flavor scenarios (serialized, fast) first, then
/// the MariaDB ones (recorded from real servers).
fn gen_testdata_all(names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        gen_mysql::run(&[])?;
        return gen_testdata::run(&[]);
    }
    let testdata = workspace_root().join("testdata");
    let (mysql, mariadb): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| gen_mysql::is_mysql_scenario(&testdata.join(n)));
    if !mysql.is_empty() {
        gen_mysql::run(&mysql)?;
    }
    if !mariadb.is_empty() {
        gen_testdata::run(&mariadb)?;
    }
    Ok(())
}

/// The workspace root (the parent of `crates/xtask`).
pub fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// Runs a command, echoing it, and fails with its name when it fails.
pub fn run_step(title: &str, cmd: &mut std::process::Command) -> Result<(), String> {
    eprintln!("xtask: {title}: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("{title}: cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{title} failed ({status})"))
    }
}
