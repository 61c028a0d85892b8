//! `cargo xtask test`: the README's one test command.

use std::path::Path;
use std::process::Command;

use reconcile_testkit::{find_program, Program, SERVER_DIR_PREFIX};

use crate::{run_step, workspace_root};

pub fn run(args: &[String]) -> Result<(), String> {
    ensure_test_tools()?;
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    ensure_rust_components(&cargo)?;
    let before = leftover_servers();

    run_step(
        "formatting",
        Command::new(&cargo)
            .current_dir(&root)
            .args(["fmt", "--all", "--", "--check"]),
    )?;
    run_step(
        "clippy",
        Command::new(&cargo).current_dir(&root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    pure_core_has_no_io_dependencies(&cargo, &root)?;
    let mut test = Command::new(&cargo);
    test.current_dir(&root)
        .args(["test", "--workspace"])
        .args(args)
        // Live tests fail instead of skipping: a skipped live test must not pass.
        .env("RECONCILE_REQUIRE_LIVE", "1");
    run_step("tests (live MariaDB tests included)", &mut test)?;

    let after = leftover_servers();
    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    if !new.is_empty() {
        return Err(format!(
            "the tests left test servers or their directories behind:\n  {}",
            new.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        ));
    }
    eprintln!("xtask: all checks and tests passed; no test server left behind");
    Ok(())
}

/// `reconcile-diff` is the pure core: it must not depend on I/O crates.
fn pure_core_has_no_io_dependencies(cargo: &str, root: &Path) -> Result<(), String> {
    if !root.join("crates/reconcile-diff").is_dir() {
        return Ok(());
    }
    for forbidden in ["tokio", "mysql_async", "csv", "clap"] {
        let out = Command::new(cargo)
            .current_dir(root)
            .args([
                "tree",
                "-p",
                "reconcile-diff",
                "-e",
                "normal",
                "-i",
                forbidden,
            ])
            .output()
            .map_err(|e| format!("cannot run cargo tree: {e}"))?;
        // `cargo tree -i X` fails when X is not in the graph at all: that is the goal.
        if out.status.success() && !out.stdout.is_empty() {
            return Err(format!(
                "reconcile-diff must not depend on {forbidden}:\n{}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    Ok(())
}

/// A minimal rustup profile lacks rustfmt and clippy; add them when rustup is there.
fn ensure_rust_components(cargo: &str) -> Result<(), String> {
    let works = |tool: &str| {
        Command::new(cargo)
            .args([tool, "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if works("fmt") && works("clippy") {
        return Ok(());
    }
    run_step(
        "rustup component add rustfmt clippy",
        Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]),
    )
    .map_err(|e| format!("{e}; install the rustfmt and clippy components of your Rust toolchain"))
}

fn has_soffice() -> bool {
    ["soffice", "libreoffice"].iter().any(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Installs what the tests need with apt-get when it is missing and we are root
/// (MariaDB for the live tests, LibreOffice Calc for the worksheet round trip);
/// otherwise says exactly what to install.
fn ensure_test_tools() -> Result<(), String> {
    let needed = [
        Program::Server,
        Program::InstallDb,
        Program::Client,
        Program::Dump,
        Program::Binlog,
    ];
    let mut missing: Vec<&str> = needed
        .iter()
        .filter(|p| find_program(**p).is_err())
        .map(|p| p.names()[0])
        .collect();
    let mut packages = Vec::new();
    if !missing.is_empty() {
        packages.extend(["mariadb-server", "mariadb-client"]);
    }
    if !has_soffice() {
        missing.push("soffice");
        packages.push("libreoffice-calc-nogui");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Err(format!(
            "test programs missing ({}); the live tests need them. Install them as root:\n  \
             apt-get update && apt-get install -y {}\nthen run `cargo xtask test` again",
            missing.join(", "),
            packages.join(" ")
        ));
    }
    eprintln!(
        "xtask: test programs missing ({}); installing {} with apt-get",
        missing.join(", "),
        packages.join(" ")
    );
    // Keep the package from starting a system-wide server: the tests start their own.
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let added_policy = !policy.exists()
        && std::fs::write(policy, "#!/bin/sh\nexit 101\n").is_ok()
        && Command::new("chmod")
            .args(["755", "/usr/sbin/policy-rc.d"])
            .status()
            .is_ok();
    let result = run_step("apt-get update", Command::new("apt-get").arg("update")).and_then(|()| {
        run_step(
            "apt-get install",
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    });
    if added_policy {
        let _ = std::fs::remove_file(policy);
    }
    result?;
    for p in needed {
        find_program(p).map_err(|e| format!("after installing: {e}"))?;
    }
    if !has_soffice() {
        return Err("after installing: soffice (LibreOffice) still not found".to_owned());
    }
    Ok(())
}

/// Test server processes and directories that exist right now, one line each.
fn leftover_servers() -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(out) = Command::new("pgrep")
        .args(["-af", SERVER_DIR_PREFIX])
        .output()
    {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if line.contains("mariadbd") || line.contains("mysqld") {
                found.push(format!("process: {line}"));
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(SERVER_DIR_PREFIX) {
                found.push(format!("directory: {}", entry.path().display()));
            }
        }
    }
    found
}
