//! Without MariaDB, live tests skip visibly; under CI they fail instead.

use std::process::{Command, Output};

use reconcile_testkit::live_servers_available;

/// Runs inside a child test process, with MariaDB made unfindable.
#[test]
fn helper_live_test_without_mariadb() {
    if std::env::var_os("RECONCILE_TESTKIT_GATING_CHILD").is_none() {
        return; // Only meaningful when started by the tests below.
    }
    if !live_servers_available("helper_live_test_without_mariadb") {
        return;
    }
    panic!("MariaDB must not be found in this child");
}

fn run_child(ci: Option<&str>) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "gating::helper_live_test_without_mariadb",
        "--nocapture",
    ])
    .env("RECONCILE_TESTKIT_GATING_CHILD", "1")
    .env("RECONCILE_MARIADB_BIN", "/nonexistent-reconcile-mariadb")
    .env_remove("CI")
    .env_remove("RECONCILE_REQUIRE_LIVE");
    if let Some(value) = ci {
        cmd.env("CI", value);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn live_tests_skip_visibly_without_mariadb() {
    let out = run_child(None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("SKIPPED: live test `helper_live_test_without_mariadb` needs MariaDB"),
        "{}",
        text(&out)
    );
}

#[test]
fn live_tests_fail_under_ci_without_mariadb() {
    let out = run_child(Some("true"));
    assert!(
        !out.status.success(),
        "a live test must not pass under CI without MariaDB:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("skipping is not allowed"),
        "{}",
        text(&out)
    );
}
