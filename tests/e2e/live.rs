//! Live sources: `reconcile scan` and `inspect` reading binlogs from running
//! MariaDB servers over the replication protocol, compared with the same
//! servers' binlog files.

use std::path::Path;

use reconcile_testkit::{live_servers_available, GtidLayout, SplitBrain, SplitBrainScript};

use crate::{reconcile, run, testdata};

/// `inspect --format jsonl` lines with the `file` field reduced to the binlog's
/// name: a file source names its path, a server the binlog. MariaDB leaves
/// ANNOTATE_ROWS events (the `rowsquery` statements) out of a replication
/// stream unless the replica sets a dump flag mysql_async cannot send, so they
/// are dropped here, and a stream must not hold any.
fn inspect_lines(source: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = run(
        reconcile()
            .args(["inspect", "--format", "jsonl"])
            .arg(source)
            .args(extra),
        true,
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let file = v["file"].as_str().unwrap().to_owned();
            let name = Path::new(&file).file_name().unwrap().to_str().unwrap();
            v["file"] = serde_json::Value::from(name);
            let statements = v["statements"].as_array_mut().unwrap();
            if source.starts_with("mysql://") {
                assert!(statements.iter().all(|s| s["kind"] != "rowsquery"), "{l}");
            }
            statements.retain(|s| s["kind"] != "rowsquery");
            v
        })
        .collect()
}

/// Scans `east` and `west` (directories or URLs) into `out` and returns the
/// worksheet's bytes.
fn scan_csv(east: &str, west: &str, schema: &Path, extra: &[&str], out: &Path) -> Vec<u8> {
    run(
        reconcile()
            .args(["scan", "--east", east, "--west", west, "--schema"])
            .arg(schema)
            .args(extra)
            .arg("--out")
            .arg(out),
        true,
    );
    std::fs::read(out.join("conflicts.csv")).unwrap()
}

/// The live scan and the file scan of a split-brain give the same worksheet,
/// and both sides' transactions read the same from the server as from files.
pub fn assert_live_equals_files(brain: &SplitBrain, scan_args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let exported = brain.export(&dir.path().join("binlogs")).unwrap();
    for (side, server) in [("east", &brain.east), ("west", &brain.west)] {
        let files = inspect_lines(dir.path().join("binlogs").join(side).to_str().unwrap(), &[]);
        let live = inspect_lines(&server.url(), &[]);
        assert!(!files.is_empty());
        assert_eq!(
            files.len(),
            live.len(),
            "{side}: {} transactions from files, {} from the server",
            files.len(),
            live.len()
        );
        for (f, l) in files.iter().zip(&live) {
            assert_eq!(
                f, l,
                "{side}: a transaction differs between file and stream"
            );
        }
    }
    let from_files = scan_csv(
        dir.path().join("binlogs/east").to_str().unwrap(),
        dir.path().join("binlogs/west").to_str().unwrap(),
        &exported.schema,
        scan_args,
        &dir.path().join("out-files"),
    );
    let from_servers = scan_csv(
        &brain.east.url(),
        &brain.west.url(),
        &exported.schema,
        scan_args,
        &dir.path().join("out-live"),
    );
    assert_eq!(
        String::from_utf8_lossy(&from_files),
        String::from_utf8_lossy(&from_servers),
        "the live scan's worksheet differs from the file scan's"
    );
}

#[test]
fn a_live_scan_of_conflicts_equals_the_file_scan() {
    if !live_servers_available("a_live_scan_of_conflicts_equals_the_file_scan") {
        return;
    }
    let script = SplitBrainScript::from_dir(&testdata().join("conflicts")).unwrap();
    let brain = SplitBrain::run(&script).unwrap();
    assert_live_equals_files(&brain, &["--volatile-columns", "shop.tickets.opened_at"]);
}

/// Scans `east` (files or a URL) and West's files into `out`; the info log.
fn scan_logged(east: &std::ffi::OsStr, west: &Path, schema: &Path, out: &Path) -> String {
    let scan = run(
        reconcile()
            .env("RECONCILE_LOG", "info")
            .args(["scan", "--east"])
            .arg(east)
            .arg("--west")
            .arg(west)
            .arg("--schema")
            .arg(schema)
            .arg("--out")
            .arg(out),
        true,
    );
    String::from_utf8_lossy(&scan.stderr).into_owned()
}

/// West applied East's first own transaction late, after its own writes began
/// (replication restarted for a moment): the scan of West's files guesses the
/// divergence from West's first transactions, finds the guess wrong once West is
/// read, and folds both sides again. Its worksheet is that of the live scan (which
/// reads West's GTIDs first), and East's late transaction is not East's own.
#[test]
fn a_transaction_west_applied_late_is_not_easts_own() {
    if !live_servers_available("a_transaction_west_applied_late_is_not_easts_own") {
        return;
    }
    let script = SplitBrainScript::new(
        "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20));
         INSERT INTO d.t VALUES (1, 'a'), (2, 'b');",
        "UPDATE d.t SET v = 'east' WHERE id = 1; INSERT INTO d.t VALUES (3, 'c');
         INSERT INTO d.t VALUES (4, 'd');",
        "UPDATE d.t SET v = 'west' WHERE id = 2;",
        GtidLayout::SameDomain,
    );
    let brain = SplitBrain::run(&script).unwrap();
    // East's first own transaction follows the split position in domain 0
    let (domain, server, seq) = {
        let parts: Vec<&str> = brain.split_pos.split('-').collect();
        assert_eq!(parts.len(), 3, "one domain: {}", brain.split_pos);
        (parts[0], parts[1], parts[2].parse::<u64>().unwrap())
    };
    assert_eq!(server, "1");
    let late = format!("{domain}-1-{}", seq + 1);
    brain
        .west
        .exec(&format!(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='root', \
             MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos; \
             START SLAVE UNTIL master_gtid_pos = '{late}'",
            brain.east.port()
        ))
        .unwrap();
    let waited: Option<i64> = brain
        .west
        .query_one(&format!("SELECT MASTER_GTID_WAIT('{late}', 60)"))
        .unwrap();
    assert_eq!(waited, Some(0), "West did not apply {late}");
    brain.west.exec("STOP SLAVE; RESET SLAVE ALL").unwrap();
    brain.west.exec("INSERT INTO d.t VALUES (5, 'w')").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let exported = brain.export(&dir.path().join("binlogs")).unwrap();
    let out = dir.path().join("out-files");
    let log = scan_logged(
        dir.path().join("binlogs/east").as_os_str(),
        &dir.path().join("binlogs/west"),
        &exported.schema,
        &out,
    );
    assert!(log.contains("did not hold"), "{log}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["east"]["transactions"], 2, "{summary:#}");
    let from_servers = scan_csv(
        &brain.east.url(),
        &brain.west.url(),
        &exported.schema,
        &[],
        &dir.path().join("out-live"),
    );
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(out.join("conflicts.csv")).unwrap()),
        String::from_utf8_lossy(&from_servers),
        "the file scan's worksheet differs from the live scan's"
    );
}

/// East streamed from its server and West read from files: East's server is
/// streamed from the binlog of its first own transaction (the divergence is guessed
/// before West is read), and the worksheet is that of the scan of both sides' files.
#[test]
fn a_live_east_with_west_files_streams_east_from_its_first_own_binlog() {
    if !live_servers_available("a_live_east_with_west_files_streams_east_from_its_first_own_binlog")
    {
        return;
    }
    let script = SplitBrainScript::new(
        "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20));
         INSERT INTO d.t VALUES (1, 'a'), (2, 'b');",
        "FLUSH BINARY LOGS; UPDATE d.t SET v = 'east' WHERE id = 1;
         INSERT INTO d.t VALUES (3, 'c');",
        "UPDATE d.t SET v = 'west' WHERE id = 2;",
        GtidLayout::SameDomain,
    );
    let brain = SplitBrain::run(&script).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let exported = brain.export(&dir.path().join("binlogs")).unwrap();
    let east_files = dir.path().join("binlogs/east");
    let west_files = dir.path().join("binlogs/west");
    let from_files = scan_csv(
        east_files.to_str().unwrap(),
        west_files.to_str().unwrap(),
        &exported.schema,
        &[],
        &dir.path().join("out-files"),
    );
    let out = dir.path().join("out-mixed");
    let log = scan_logged(
        brain.east.url().as_ref(),
        &west_files,
        &exported.schema,
        &out,
    );
    // East's own transactions begin in its second binlog: phase 2 starts there
    let phase2 = log
        .split("phase 2/3")
        .nth(1)
        .and_then(|rest| rest.lines().find(|l| l.contains("streaming the binlog")))
        .unwrap_or_else(|| panic!("no stream in phase 2:\n{log}"));
    assert!(phase2.contains("from=\"mariadb-bin.000002\""), "{phase2}");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(out.join("conflicts.csv")).unwrap()),
        String::from_utf8_lossy(&from_files),
        "the mixed scan's worksheet differs from the file scan's"
    );
}

/// A small split-brain whose shared part creates the accounts the tests use.
fn small_brain() -> SplitBrain {
    let shared = "CREATE USER 'ops'@'127.0.0.1' IDENTIFIED BY 'pw-9f3Kq!x';
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'ops'@'127.0.0.1';
CREATE USER 'norepl'@'127.0.0.1' IDENTIFIED BY 'pw-9f3Kq!x';
GRANT BINLOG MONITOR ON *.* TO 'norepl'@'127.0.0.1';
CREATE DATABASE d;
CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO d.t VALUES (1, 'a'), (2, 'b');";
    let script = SplitBrainScript::new(
        shared,
        "UPDATE d.t SET v = 'east' WHERE id = 1; INSERT INTO d.t VALUES (3, 'c');",
        "UPDATE d.t SET v = 'west' WHERE id = 1;",
        GtidLayout::SameDomain,
    );
    SplitBrain::run(&script).unwrap()
}

fn url(user: &str, server: &reconcile_testkit::MariaDb) -> String {
    format!("mysql://{user}@127.0.0.1:{}/", server.port())
}

#[test]
fn a_live_scan_names_missing_privileges_purged_binlogs_and_never_the_password() {
    if !live_servers_available(
        "a_live_scan_names_missing_privileges_purged_binlogs_and_never_the_password",
    ) {
        return;
    }
    let brain = small_brain();
    let dir = tempfile::tempdir().unwrap();
    let password = "pw-9f3Kq!x";

    // the password from MYSQL_PWD: the scan works, and the password is nowhere
    let out = run(
        reconcile()
            .env("MYSQL_PWD", password)
            .env("RECONCILE_LOG", "debug")
            .args(["scan", "--east", &url("ops", &brain.east)])
            .args(["--west", &url("ops", &brain.west)])
            .args(["--replica-server-id", "4000000123", "--out"])
            .arg(dir.path().join("out")),
        true,
    );
    let mut everything = String::from_utf8_lossy(&out.stdout).into_owned();
    everything += &String::from_utf8_lossy(&out.stderr);
    for f in std::fs::read_dir(dir.path().join("out")).unwrap() {
        everything += &std::fs::read_to_string(f.unwrap().path()).unwrap();
    }
    assert!(!everything.contains(password), "{everything}");
    assert!(everything.contains("Items: 2"), "{everything}");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        summary["servers"]["west"]["replica_server_id"],
        4000000123u64
    );
    assert_eq!(summary["sources"]["east"][0], url("ops", &brain.east));

    // no REPLICATION SLAVE
    let out = run(
        reconcile()
            .env("MYSQL_PWD", password)
            .args(["scan", "--east", &url("norepl", &brain.east)])
            .args(["--west", &url("ops", &brain.west), "--out"])
            .arg(dir.path().join("out2")),
        false,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("needs the REPLICATION SLAVE privilege")
            && stderr.contains("GRANT REPLICATION SLAVE ON *.*"),
        "{stderr}"
    );
    assert!(!stderr.contains(password), "{stderr}");

    // West's binlogs purged past the divergence point
    let last = brain.west.purge_all_but_newest_binlog().unwrap();
    let out = run(
        reconcile()
            .args(["scan", "--east", &brain.east.url()])
            .args(["--west", &brain.west.url(), "--out"])
            .arg(dir.path().join("out3")),
        false,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the oldest binlog still on the server is {last}; older binlogs were purged"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("is gone from its binlogs"), "{stderr}");
}

#[test]
fn inspect_follow_prints_new_transactions_as_they_come() {
    if !live_servers_available("inspect_follow_prints_new_transactions_as_they_come") {
        return;
    }
    use std::io::{BufRead, BufReader};
    let server =
        reconcile_testkit::MariaDb::start(reconcile_testkit::MariaDbOptions::named("follow"))
            .unwrap();
    server
        .exec("CREATE DATABASE f; CREATE TABLE f.t (id INT PRIMARY KEY)")
        .unwrap();
    /// Kills the follower however the test ends.
    struct Follower(std::process::Child);
    impl Drop for Follower {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Follower(
        reconcile()
            .args(["inspect", "--format", "jsonl", "--follow", &server.url()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // lines arrive through a channel, so that a missing one fails the test
    // instead of hanging it
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next_line = || {
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .expect("inspect --follow printed nothing new within 30 s")
    };
    // the CREATE statements, then a row written after inspect started
    let mut seen = Vec::new();
    for id in 1..=3 {
        server
            .exec(&format!("INSERT INTO f.t VALUES ({id})"))
            .unwrap();
        loop {
            let line = next_line();
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            seen.push(v.clone());
            if v["changes"].as_array().is_some_and(|c| !c.is_empty()) {
                assert_eq!(v["changes"][0]["after"]["id"], id);
                break;
            }
        }
    }
    drop(child);
    assert!(seen.len() >= 5, "{seen:?}");
}
