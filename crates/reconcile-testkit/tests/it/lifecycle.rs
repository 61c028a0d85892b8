use std::path::PathBuf;
use std::process::Command;

use reconcile_testkit::{live_servers_available, MariaDb, MariaDbOptions, TestkitError};

use crate::process_exists;

#[test]
fn server_runs_with_row_binlog_and_is_gone_after_drop() {
    if !live_servers_available("server_runs_with_row_binlog_and_is_gone_after_drop") {
        return;
    }
    let server = MariaDb::start(
        MariaDbOptions::named("solo")
            .server_id(4242)
            .gtid_domain_id(7),
    )
    .expect("server starts");
    let settings: Vec<(u32, u32, String, String, String, u8)> = server
        .query(
            "SELECT @@server_id, @@gtid_domain_id, @@binlog_format, @@binlog_row_image, \
             @@binlog_row_metadata, @@log_slave_updates",
        )
        .unwrap();
    assert_eq!(
        settings,
        vec![(4242, 7, "ROW".into(), "FULL".into(), "FULL".into(), 1)]
    );
    // Over TCP too, as `reconcile` connects.
    assert!(server.url().starts_with("mysql://root@127.0.0.1:"));
    server
        .exec("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY)")
        .unwrap();
    server.exec("INSERT INTO d.t VALUES (1), (2)").unwrap();
    assert_eq!(
        server.query_one::<i64>("SELECT COUNT(*) FROM d.t").unwrap(),
        Some(2)
    );
    assert_eq!(server.gtid_binlog_pos().unwrap(), "7-4242-3");
    let binlogs = server.binlog_files().unwrap();
    assert_eq!(binlogs.len(), 1, "{binlogs:?}");
    assert!(binlogs[0].is_file());

    let pid = server.pid().expect("running");
    let dir = server.dir().to_owned();
    assert!(process_exists(pid));
    drop(server);
    assert!(!process_exists(pid), "mariadbd {pid} still runs after drop");
    assert!(!dir.exists(), "{} still exists after drop", dir.display());
}

#[test]
fn stopped_server_restarts_with_its_data() {
    if !live_servers_available("stopped_server_restarts_with_its_data") {
        return;
    }
    let mut server = MariaDb::start(MariaDbOptions::named("restart")).unwrap();
    server
        .exec(
            "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1)",
        )
        .unwrap();
    let port = server.port();
    server.stop().unwrap();
    assert!(server.pid().is_none());
    assert!(
        server.exec("SELECT 1").is_err(),
        "a stopped server must not answer"
    );
    server.restart().unwrap();
    assert_eq!(server.port(), port, "a restarted server keeps its port");
    assert_eq!(
        server.query_one::<i64>("SELECT COUNT(*) FROM d.t").unwrap(),
        Some(1)
    );
    server.kill();
    server.restart().unwrap();
    assert_eq!(
        server.query_one::<i64>("SELECT COUNT(*) FROM d.t").unwrap(),
        Some(1)
    );
}

#[test]
fn failed_start_shows_the_error_log() {
    if !live_servers_available("failed_start_shows_the_error_log") {
        return;
    }
    let mut options = MariaDbOptions::named("broken");
    options
        .extra_args
        .push("--no-such-option-reconcile".to_owned());
    let err = MariaDb::start(options).expect_err("an unknown option stops mariadbd");
    match &err {
        TestkitError::Start { log_tail, .. } => {
            assert!(
                log_tail.contains("no-such-option-reconcile"),
                "log tail: {log_tail}"
            )
        }
        other => panic!("expected a start error, got {other:?}"),
    }
    assert!(err.to_string().contains("no-such-option-reconcile"));
}

#[test]
fn parallel_servers_do_not_collide() {
    if !live_servers_available("parallel_servers_do_not_collide") {
        return;
    }
    let servers: Vec<MariaDb> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| s.spawn(move || MariaDb::start(MariaDbOptions::named(&format!("p{i}")))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(MariaDb::port).collect();
    let mut ids: Vec<u32> = servers.iter().map(MariaDb::server_id).collect();
    ports.sort_unstable();
    ports.dedup();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ports.len(), 4);
    assert_eq!(ids.len(), 4, "server ids must be distinct by default");
    for s in &servers {
        let id: Option<u32> = s.query_one("SELECT @@server_id").unwrap();
        assert_eq!(id, Some(s.server_id()));
    }
}

/// Runs inside a child test process started by `a_panicking_test_leaves_no_server_behind`:
/// starts a server, writes where it lives, then panics mid-test.
#[test]
fn helper_panics_while_owning_a_server() {
    let Some(report) = std::env::var_os("RECONCILE_TESTKIT_PANIC_REPORT") else {
        return; // Only meaningful when started by the test below.
    };
    let server = MariaDb::start(MariaDbOptions::named("doomed")).unwrap();
    let pid = server.pid().unwrap();
    std::fs::write(&report, format!("{pid}\n{}\n", server.dir().display())).unwrap();
    panic!("deliberate panic while a server runs");
}

#[test]
fn a_panicking_test_leaves_no_server_behind() {
    if !live_servers_available("a_panicking_test_leaves_no_server_behind") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let report = scratch.path().join("report");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lifecycle::helper_panics_while_owning_a_server",
            "--nocapture",
        ])
        .env("RECONCILE_TESTKIT_PANIC_REPORT", &report)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "the helper test must fail:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("deliberate panic") || stdout.contains("deliberate panic"),
        "the helper must fail by its panic:\n{stdout}\n{stderr}"
    );
    let text = std::fs::read_to_string(&report).expect("the helper reported its server");
    let mut lines = text.lines();
    let pid: u32 = lines.next().unwrap().parse().unwrap();
    let dir = PathBuf::from(lines.next().unwrap());
    assert!(
        !process_exists(pid),
        "mariadbd {pid} survived the panicking test"
    );
    assert!(
        !dir.exists(),
        "{} survived the panicking test",
        dir.display()
    );
}
