//! `reconcile apply` and `verify` against real MariaDB servers: a live split-brain
//! from a fixture's SQL, scanned, decided, applied onto West and verified.

use std::path::{Path, PathBuf};
use std::process::Output;

use reconcile_testkit::{live_servers_available, SplitBrain, SplitBrainScript};

use crate::{reconcile, run, testdata};

/// A live split-brain of a fixture, scanned into `dir/out`.
struct Live {
    brain: SplitBrain,
    dir: tempfile::TempDir,
}

impl Live {
    fn new(scenario: &str, scan_args: &[&str]) -> Live {
        let script = SplitBrainScript::from_dir(&testdata().join(scenario)).unwrap();
        Live::from_script_with(&script, scan_args)
    }

    fn from_script(script: &SplitBrainScript) -> Live {
        Live::from_script_with(script, &[])
    }

    /// Runs the split-brain, exports both sides and scans them into `dir/out`.
    fn from_script_with(script: &SplitBrainScript, scan_args: &[&str]) -> Live {
        let brain = SplitBrain::run(script).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let exported = brain.export(&dir.path().join("binlogs")).unwrap();
        run(
            reconcile()
                .arg("scan")
                .arg("--east")
                .arg(dir.path().join("binlogs/east"))
                .arg("--west")
                .arg(dir.path().join("binlogs/west"))
                .arg("--schema")
                .arg(&exported.schema)
                .args(scan_args)
                .arg("--out")
                .arg(dir.path().join("out")),
            true,
        );
        Live { brain, dir }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn apply(&self, extra: &[&str]) -> Output {
        reconcile()
            .args(["apply", "--plan"])
            .arg(self.out())
            .args(["--target", &self.brain.west.url()])
            .args(extra)
            .output()
            .unwrap()
    }

    fn verify(&self) -> Output {
        self.verify_with(&[])
    }

    fn verify_with(&self, extra: &[&str]) -> Output {
        reconcile()
            .args(["verify", "--plan"])
            .arg(self.out())
            .args(["--target", &self.brain.west.url()])
            .args(extra)
            .output()
            .unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Sets the `decision` of the worksheet's review items: `f(kind) -> decision`.
fn decide(out: &Path, f: impl Fn(&str, &str) -> &'static str) {
    let path = out.join("conflicts.csv");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&path)
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let mut writer = csv::Writer::from_path(&path).unwrap();
    for (n, row) in rows.iter().enumerate() {
        let mut cells: Vec<String> = row.iter().map(str::to_owned).collect();
        if n > 0 && cells[2] == "review" {
            cells[18] = f(&cells[3], &cells[4]).to_owned();
        }
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
}

#[test]
fn apply_auto_items_then_verify_and_rerun_is_a_no_op() {
    if !live_servers_available("apply_auto_items_then_verify_and_rerun_is_a_no_op") {
        return;
    }
    let live = Live::new(
        "conflicts",
        &["--volatile-columns", "shop.tickets.opened_at"],
    );
    // Review items undecided: refused, nothing applied, exit code 4.
    let out = live.apply(&[]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("undecided"), "{}", text(&out));

    let out = live.apply(&["--undecided", "skip"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("3 groups applied"), "{}", text(&out));
    let west = &live.brain.west;
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'D004'")
            .unwrap(),
        Some(39)
    );
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'G007'")
            .unwrap(),
        Some(70)
    );
    assert_eq!(
        west.query_one::<i64>("SELECT COUNT(*) FROM shop.orders WHERE id = 2")
            .unwrap(),
        Some(0)
    );
    // Review items were skipped: West keeps its own rows.
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'A001'")
            .unwrap(),
        Some(7)
    );
    assert_eq!(
        west.query_one::<String>("SELECT name FROM shop.customers WHERE id = 7")
            .unwrap()
            .as_deref(),
        Some("Ida")
    );
    let journal: Option<i64> = west
        .query_one("SELECT COUNT(*) FROM reconcile.reconcile_journal")
        .unwrap();
    assert_eq!(journal, Some(3));

    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 mismatches"), "{}", text(&out));

    // A rerun applies nothing twice.
    let out = live.apply(&["--undecided", "skip"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("0 groups applied, 3 already applied"),
        "{}",
        text(&out)
    );
    assert_eq!(
        west.query_one::<i64>("SELECT COUNT(*) FROM reconcile.reconcile_journal")
            .unwrap(),
        Some(3)
    );
}

#[test]
fn review_decisions_apply_over_west_and_merge_writes_the_merged_row() {
    if !live_servers_available("review_decisions_apply_over_west_and_merge_writes_the_merged_row") {
        return;
    }
    let live = Live::new(
        "conflicts",
        &["--volatile-columns", "shop.tickets.opened_at"],
    );
    // Take East's side of every update-update, merge where possible, skip the rest.
    decide(&live.out(), |kind, suggestion| match (kind, suggestion) {
        (_, "merge-columns") => "merge",
        ("update-update" | "same-transaction", _) => "apply",
        _ => "skip",
    });
    let out = live.apply(&[]);
    assert!(out.status.success(), "{}", text(&out));
    let west = &live.brain.west;
    // update-update A001: East's qty 5 replaces West's 7.
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'A001'")
            .unwrap(),
        Some(5)
    );
    // merge B002: East's price and West's location.
    let b: Vec<(String, String)> = west
        .query("SELECT CAST(price AS CHAR), location FROM shop.stock WHERE sku = 'B002'")
        .unwrap();
    assert_eq!(b, vec![("2.50".to_owned(), "W2".to_owned())]);
    // The group of order 4 and stock E005 went in together.
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'E005'")
            .unwrap(),
        Some(49)
    );
    assert_eq!(
        west.query_one::<i64>("SELECT COUNT(*) FROM shop.orders WHERE id = 4")
            .unwrap(),
        Some(1)
    );
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_row_changed_after_the_scan_fails_its_guard_and_nothing_of_its_group_is_written() {
    if !live_servers_available(
        "a_row_changed_after_the_scan_fails_its_guard_and_nothing_of_its_group_is_written",
    ) {
        return;
    }
    let live = Live::new(
        "conflicts",
        &["--volatile-columns", "shop.tickets.opened_at"],
    );
    let west = &live.brain.west;
    // A concurrent writer on West after the scan.
    west.exec("UPDATE shop.stock SET qty = 41 WHERE sku = 'D004'")
        .unwrap();
    let out = live.apply(&["--undecided", "skip"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("1 guard failed"), "{}", text(&out));
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'D004'")
            .unwrap(),
        Some(41)
    );
    // The other groups applied.
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'G007'")
            .unwrap(),
        Some(70)
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(live.out().join("apply-report.json")).unwrap(),
    )
    .unwrap();
    let failed: Vec<&serde_json::Value> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["result"]["outcome"] == "guard-failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["result"]["diffs"][0]["column"], "qty");
    // verify names the group that is approved but not applied.
    let out = live.verify();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
}

#[test]
fn every_column_type_round_trips_byte_exact() {
    if !live_servers_available("every_column_type_round_trips_byte_exact") {
        return;
    }
    let live = Live::new("types", &[]);
    let out = live.apply(&[]);
    let report = std::fs::read_to_string(live.out().join("apply-report.json")).unwrap_or_default();
    assert!(out.status.success(), "{}\n{report}", text(&out));
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    // West now holds East's rows exactly: compare them column by column on both servers.
    let dump = |db: &reconcile_testkit::MariaDb| -> Vec<Vec<Option<Vec<u8>>>> {
        let rows: Vec<mysql_async::Row> = db
            .query("SELECT * FROM types.all_types WHERE id IN (1, 3, 4, 5, 6) ORDER BY id")
            .unwrap();
        rows.into_iter()
            .map(|r| {
                r.unwrap()
                    .into_iter()
                    .map(|v| match v {
                        mysql_async::Value::NULL => None,
                        other => Some(other.as_sql(true).into_bytes()),
                    })
                    .collect()
            })
            .collect()
    };
    assert_eq!(dump(&live.brain.west), dump(&live.brain.east));
    assert_eq!(
        live.brain
            .west
            .query_one::<i64>("SELECT COUNT(*) FROM types.all_types WHERE id = 2")
            .unwrap(),
        Some(0)
    );
}

#[test]
fn plan_tampering_is_refused_with_file_line_and_column() {
    if !live_servers_available("plan_tampering_is_refused_with_file_line_and_column") {
        return;
    }
    let live = Live::new(
        "conflicts",
        &["--volatile-columns", "shop.tickets.opened_at"],
    );
    let csv_path = live.out().join("conflicts.csv");
    let original = std::fs::read_to_string(&csv_path).unwrap();
    // Edited outside the decision column.
    std::fs::write(
        &csv_path,
        original.replacen("both sides inserted", "both sides added", 1),
    )
    .unwrap();
    let out = live.apply(&["--undecided", "skip"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("conflicts.csv line 2, column reason"),
        "{}",
        text(&out)
    );
    // A bad decision.
    std::fs::write(
        &csv_path,
        original.replacen(",apply,sha256:", ",yes,sha256:", 1),
    )
    .unwrap();
    let out = live.apply(&["--undecided", "skip"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("column decision: `yes`"),
        "{}",
        text(&out)
    );
    std::fs::write(&csv_path, &original).unwrap();
    // A truncated plan.
    let plan_path = live.out().join("plan.jsonl");
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    std::fs::write(&plan_path, &plan[..plan.len() / 2]).unwrap();
    let out = live.apply(&["--undecided", "skip"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("plan.jsonl"), "{}", text(&out));
    // Nothing was applied by any of these.
    let journal: Option<i64> = live
        .brain
        .west
        .query_one(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'reconcile'",
        )
        .unwrap();
    assert_eq!(journal, Some(0));
}

#[test]
fn the_password_reaches_no_output_and_no_process_title() {
    if !live_servers_available("the_password_reaches_no_output_and_no_process_title") {
        return;
    }
    let live = Live::new(
        "conflicts",
        &["--volatile-columns", "shop.tickets.opened_at"],
    );
    let west = &live.brain.west;
    let secret = "Sx9-not-in-logs";
    west.exec(&format!(
        "SET sql_log_bin = 0; CREATE USER ops@'127.0.0.1' IDENTIFIED BY '{secret}'; GRANT ALL ON *.* TO ops@'127.0.0.1'"
    ))
    .unwrap();
    let target = format!("mysql://ops@127.0.0.1:{}/", west.port());
    let run_with = |pwd: &str, extra: &[&str]| {
        reconcile()
            .env("RECONCILE_LOG", "debug")
            .env("MYSQL_PWD", pwd)
            .args(["apply", "--undecided", "skip", "--plan"])
            .arg(live.out())
            .args(["--target", &target])
            .args(extra)
            .output()
            .unwrap()
    };
    // Wrong password: the error names the target, never the password.
    let out = run_with("wrong-password-Q7", &[]);
    assert!(!out.status.success());
    assert!(!text(&out).contains("wrong-password-Q7"), "{}", text(&out));
    assert!(
        text(&out).contains("mysql://ops@127.0.0.1"),
        "{}",
        text(&out)
    );
    // Right password, debug logs on.
    let out = run_with(secret, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(secret), "{}", text(&out));
    let report = std::fs::read_to_string(live.out().join("apply-report.json")).unwrap();
    assert!(!report.contains(secret));
    // A password in the URL is refused without echoing it.
    let out = reconcile()
        .args(["apply", "--plan"])
        .arg(live.out())
        .args([
            "--target",
            &format!("mysql://ops:{secret}@127.0.0.1:{}/", west.port()),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!text(&out).contains(secret), "{}", text(&out));
}

/// For every fixture recorded from real servers: the split-brain's live scan
/// (both servers streamed over the replication protocol) equals the scan of
/// their binlog files, byte for byte, and every transaction reads the same both
/// ways; then the auto items apply onto West and verify clean.
#[test]
fn every_fixture_scans_live_as_from_files_applies_and_verifies_clean() {
    if !live_servers_available("every_fixture_scans_live_as_from_files_applies_and_verifies_clean")
    {
        return;
    }
    let scenarios = [
        (
            "conflicts",
            vec!["--volatile-columns", "shop.tickets.opened_at"],
        ),
        ("types", vec![]),
        ("types-compressed", vec![]),
        ("collations", vec![]),
        ("fk-cascade", vec![]),
        ("triggers-generated", vec![]),
        ("no-primary-key", vec![]),
        ("partial-images", vec![]),
        ("ddl-east", vec![]),
        (
            "retries-merge-rekey",
            vec!["--volatile-columns", "rm.tickets.created_at"],
        ),
        ("large", vec![]),
    ];
    for (scenario, args) in scenarios {
        let live = Live::new(scenario, &args);
        crate::live::assert_live_equals_files(&live.brain, &args);
        let out = live.apply(&["--undecided", "skip"]);
        let report =
            std::fs::read_to_string(live.out().join("apply-report.json")).unwrap_or_default();
        assert!(out.status.success(), "{scenario}: {}\n{report}", text(&out));
        let out = live.verify();
        assert!(out.status.success(), "{scenario}: {}", text(&out));
        assert!(
            text(&out).contains(" 0 mismatches"),
            "{scenario}: {}",
            text(&out)
        );
    }
}

/// East inserts and updates rows of a table whose name and columns hold backticks,
/// with values full of quotes, backslashes, NUL bytes and 4-byte UTF-8, one row per
/// transaction: `rows` groups to apply.
fn odd_scenario(rows: u32) -> SplitBrainScript {
    let shared = "CREATE DATABASE `odd``db`;
CREATE TABLE `odd``db`.`t``x` (`id` INT PRIMARY KEY, `va``l` VARBINARY(64) NOT NULL, `tx``t` VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL, `n` INT NOT NULL);
INSERT INTO `odd``db`.`t``x` VALUES (0, X'00', 'seed', 0);";
    let mut east = String::from("SET NAMES utf8mb4;\n");
    for i in 1..=rows {
        east.push_str(&format!(
            "INSERT INTO `odd``db`.`t``x` VALUES ({i}, X'00275C22{i:04x}FF', 'it''s \\\\ \"q\" 😀 {i}', {i});\n"
        ));
    }
    let west = "UPDATE `odd``db`.`t``x` SET `n` = 1 WHERE `id` = 0;";
    SplitBrainScript::new(
        shared,
        &east,
        west,
        reconcile_testkit::GtidLayout::SameDomain,
    )
}

impl Live {
    fn journal_count(&self) -> i64 {
        self.brain
            .west
            .query_one("SELECT COUNT(*) FROM reconcile.reconcile_journal")
            .ok()
            .flatten()
            .unwrap_or(0)
    }
}

/// East's and West's rows of the odd table, compared as bytes.
fn odd_rows(db: &reconcile_testkit::MariaDb) -> Vec<(i64, Vec<u8>, Vec<u8>, i64)> {
    db.query("SELECT `id`, `va``l`, CAST(`tx``t` AS BINARY), `n` FROM `odd``db`.`t``x` WHERE `id` > 0 ORDER BY `id`")
        .unwrap()
}

#[test]
fn sigkill_at_twenty_points_then_rerun_applies_every_group_exactly_once() {
    if !live_servers_available(
        "sigkill_at_twenty_points_then_rerun_applies_every_group_exactly_once",
    ) {
        return;
    }
    let live = Live::from_script(&odd_scenario(200));
    let mut killed_with_progress = 0;
    for step in 1..=20i64 {
        let mut child = reconcile()
            .args(["apply", "--plan"])
            .arg(live.out())
            .args(["--target", &live.brain.west.url()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Killed once the journal reaches this step's point (9, 18, ... 180 of the
        // 200 groups), whatever the machine's speed: a kill after a fixed sleep
        // landed before the first group or after the last on a slow or busy
        // machine, and the test failed for want of kills mid-way.
        let point = step * 9;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while live.journal_count() < point
            && child.try_wait().unwrap().is_none()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let before = live.journal_count();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if before > 0 && before < 200 {
            killed_with_progress += 1;
        }
        // Journal and data agree after every kill: each journaled group's row is
        // there, and no row is there without its journal row. Both are counted in
        // one statement, so in one snapshot: a COMMIT the killed run had sent can
        // still land on the server after the kill, and two queries could fall on
        // either side of it (the journal counted after the commit, the rows before).
        let counts: Vec<(i64, i64)> = live
            .brain
            .west
            .query(
                "SELECT (SELECT COUNT(*) FROM `odd``db`.`t``x` WHERE `id` > 0), \
                        (SELECT COUNT(*) FROM reconcile.reconcile_journal)",
            )
            .unwrap();
        let (rows, journaled) = counts[0];
        assert_eq!(
            rows, journaled,
            "after kill {step}: data and journal disagree"
        );
    }
    assert!(
        killed_with_progress >= 15,
        "the kills should interrupt runs mid-way ({killed_with_progress} of 20 did)"
    );
    let out = live.apply(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(live.journal_count(), 200);
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        odd_rows(&live.brain.west),
        odd_rows(&live.brain.east),
        "rows must be byte-exact"
    );
}

#[test]
fn a_server_stopped_mid_apply_fails_loudly_and_a_rerun_finishes() {
    if !live_servers_available("a_server_stopped_mid_apply_fails_loudly_and_a_rerun_finishes") {
        return;
    }
    let mut live = Live::from_script(&odd_scenario(300));
    let child = reconcile()
        .args(["apply", "--plan"])
        .arg(live.out())
        .args(["--target", &live.brain.west.url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the server as soon as some groups are in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while live.journal_count() < 20 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    live.brain.west.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "apply must fail when the server goes away: {}",
        text(&out)
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(live.out().join("apply-report.json")).unwrap(),
    )
    .unwrap();
    let reported_applied = report["applied"].as_u64().unwrap();
    live.brain.west.restart().unwrap();
    // Nothing is reported applied that was not committed.
    let journaled = live.journal_count() as u64;
    assert!(
        reported_applied <= journaled,
        "reported {reported_applied} applied, journal holds {journaled}"
    );
    assert!(
        journaled < 300,
        "the server should have gone away before the end"
    );
    let out = live.apply(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(live.journal_count(), 300);
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(odd_rows(&live.brain.west), odd_rows(&live.brain.east));
}

#[test]
fn the_password_is_not_in_the_process_title() {
    if !live_servers_available("the_password_is_not_in_the_process_title") {
        return;
    }
    let live = Live::from_script(&odd_scenario(300));
    let secret = "Pq4-title-secret";
    live.brain
        .west
        .exec(&format!("SET sql_log_bin = 0; CREATE USER ops@'127.0.0.1' IDENTIFIED BY '{secret}'; GRANT ALL ON *.* TO ops@'127.0.0.1'"))
        .unwrap();
    let child = reconcile()
        .env("MYSQL_PWD", secret)
        .args(["apply", "--plan"])
        .arg(live.out())
        .args([
            "--target",
            &format!("mysql://ops@127.0.0.1:{}/", live.brain.west.port()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&cmdline).contains(secret));
    assert!(!String::from_utf8_lossy(&ps).contains(secret));
    assert!(!text(&out).contains(secret));
}

#[test]
fn dry_run_writes_nothing_and_sql_out_is_a_script_that_does_what_apply_does() {
    if !live_servers_available(
        "dry_run_writes_nothing_and_sql_out_is_a_script_that_does_what_apply_does",
    ) {
        return;
    }
    let live = Live::new(
        "conflicts",
        &["--volatile-columns", "shop.tickets.opened_at"],
    );
    let west = &live.brain.west;
    let out = live.apply(&["--undecided", "skip", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("3 would apply"), "{}", text(&out));
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'D004'")
            .unwrap(),
        Some(40)
    );
    let journal: Option<i64> = west
        .query_one(
            "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'reconcile'",
        )
        .unwrap();
    assert_eq!(journal, Some(0), "a dry run creates no journal");

    let script = live.dir.path().join("apply.sql");
    let out = live.apply(&["--undecided", "skip", "--sql-out", script.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let sql = std::fs::read_to_string(&script).unwrap();
    assert!(
        sql.contains("-- guard (item 15): `shop`.`stock` WHERE `sku` <=> X'44303034' is ("),
        "{sql}"
    );
    assert!(sql.contains("UPDATE `shop`.`stock` SET"), "{sql}");
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'D004'")
            .unwrap(),
        Some(40),
        "--sql-out touches nothing"
    );
    west.exec("CREATE DATABASE reconcile; CREATE TABLE reconcile.reconcile_journal (plan_id VARCHAR(64) NOT NULL, group_id BIGINT UNSIGNED NOT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), items TEXT NOT NULL, PRIMARY KEY (plan_id, group_id))").unwrap();
    west.run_script(&sql).unwrap();
    assert_eq!(
        west.query_one::<i64>("SELECT qty FROM shop.stock WHERE sku = 'G007'")
            .unwrap(),
        Some(70)
    );
    // The script journaled what it did: verify agrees, and apply has nothing left.
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    let out = live.apply(&["--undecided", "skip"]);
    assert!(
        text(&out).contains("0 groups applied, 3 already applied"),
        "{}",
        text(&out)
    );
}

/// Every column type's `--sql-out` literal is valid SQL for the same value:
/// the script of the `types` fixture runs and verify finds what apply would write.
#[test]
fn sql_out_scripts_hold_a_valid_literal_of_every_type() {
    if !live_servers_available("sql_out_scripts_hold_a_valid_literal_of_every_type") {
        return;
    }
    let live = Live::new("types", &[]);
    let west = &live.brain.west;
    let script = live.dir.path().join("apply.sql");
    let out = live.apply(&["--undecided", "skip", "--sql-out", script.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let sql = std::fs::read_to_string(&script).unwrap();
    assert!(!sql.contains("' UTC"), "{sql}");
    west.exec("CREATE DATABASE reconcile; CREATE TABLE reconcile.reconcile_journal (plan_id VARCHAR(64) NOT NULL, group_id BIGINT UNSIGNED NOT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), items TEXT NOT NULL, PRIMARY KEY (plan_id, group_id))").unwrap();
    west.run_script(&sql).unwrap();
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(" 0 mismatches"), "{}", text(&out));
}

/// A CA, a server certificate for 127.0.0.1 signed by it, and another CA, as PEM
/// files in `dir`: (ca, cert, key, other_ca).
fn tls_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    };
    let (ours, other) = (ca("reconcile test CA"), ca("some other CA"));
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ours)
        .unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    (
        write("ca.pem", ours.pem()),
        write("server-cert.pem", cert.pem()),
        write("server-key.pem", key.serialize_pem()),
        write("other-ca.pem", other.pem()),
    )
}

#[test]
fn tls_modes_work_like_the_mysql_client() {
    if !live_servers_available("tls_modes_work_like_the_mysql_client") {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key, other_ca) = tls_files(certs.path());
    let mut script = odd_scenario(3);
    script.extra_server_args = vec![
        format!("--ssl-ca={}", ca.display()),
        format!("--ssl-cert={}", cert.display()),
        format!("--ssl-key={}", key.display()),
    ];
    let live = Live::from_script(&script);
    let west = &live.brain.west;
    let accepts = || -> i64 {
        let rows: Vec<(String, String)> =
            west.query("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'").unwrap();
        rows[0].1.parse().unwrap()
    };
    let before = accepts();
    let out = live.apply(&["--ssl-mode", "REQUIRED"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(accepts() > before, "REQUIRED must use TLS");
    let ca_arg = ca.display().to_string();
    let out = live.verify_with(&["--ssl-mode", "VERIFY_IDENTITY", "--ssl-ca", &ca_arg]);
    assert!(out.status.success(), "{}", text(&out));
    let other_arg = other_ca.display().to_string();
    let out = live.verify_with(&["--ssl-mode", "VERIFY_CA", "--ssl-ca", &other_arg]);
    assert!(
        !out.status.success(),
        "a certificate from another CA must be refused: {}",
        text(&out)
    );

    // Streaming binlogs from the servers takes the same TLS options.
    let live_scan = |ca: &str, out: &str| {
        reconcile()
            .args([
                "scan",
                "--east",
                &live.brain.east.url(),
                "--west",
                &west.url(),
            ])
            .args(["--ssl-mode", "VERIFY_IDENTITY", "--ssl-ca", ca, "--out"])
            .arg(live.dir.path().join(out))
            .output()
            .unwrap()
    };
    let before = accepts();
    let out = live_scan(&ca_arg, "tls-scan");
    assert!(out.status.success(), "{}", text(&out));
    assert!(accepts() > before, "a live scan must stream over TLS");
    let out = live_scan(&other_arg, "tls-scan-other");
    assert!(
        !out.status.success(),
        "a certificate from another CA must be refused: {}",
        text(&out)
    );

    // A server without TLS: REQUIRED fails, PREFERRED (the default) goes on without.
    let plain = Live::from_script(&odd_scenario(2));
    let out = plain.apply(&["--ssl-mode", "REQUIRED"]);
    assert!(!out.status.success(), "{}", text(&out));
    let out = plain.apply(&[]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Groups of several rows of one table (updates, inserts and a delete of integer
/// keys), and one group of a table whose key holds a case-insensitive string.
fn batch_scenario() -> SplitBrainScript {
    let mut shared = String::from(
        "CREATE DATABASE bat;
CREATE TABLE bat.n (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(20) NOT NULL);
CREATE TABLE bat.ci (g INT NOT NULL, k VARCHAR(10) COLLATE utf8mb4_general_ci NOT NULL, v INT NOT NULL, PRIMARY KEY (g, k));
INSERT INTO bat.ci VALUES (1, 'A', 1), (2, 'b', 2), (3, 'c', 3);
",
    );
    let rows: Vec<String> = (1..=60).map(|i| format!("({i}, {i}, 'n{i}')")).collect();
    shared.push_str(&format!("INSERT INTO bat.n VALUES {};\n", rows.join(", ")));
    let mut east = String::new();
    for i in 0..10 {
        east.push_str(&format!(
            "START TRANSACTION;
UPDATE bat.n SET v = v + 100 WHERE id IN ({}, {}, {});
INSERT INTO bat.n VALUES ({}, 0, 'new'), ({}, 0, 'new');
DELETE FROM bat.n WHERE id = {};
COMMIT;
",
            3 * i + 1,
            3 * i + 2,
            3 * i + 3,
            100 + 2 * i,
            101 + 2 * i,
            50 + i
        ));
    }
    east.push_str("UPDATE bat.ci SET v = v + 10 WHERE g IN (1, 2);\n");
    SplitBrainScript::new(
        &shared,
        &east,
        "UPDATE bat.n SET v = 0 WHERE id = 60;",
        reconcile_testkit::GtidLayout::SameDomain,
    )
}

/// The `guard-failed` groups of the last `apply-report.json`: (group, column,
/// expected, actual) of their first difference.
fn guard_failures(live: &Live) -> Vec<(u64, String, String, String)> {
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(live.out().join("apply-report.json")).unwrap(),
    )
    .unwrap();
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["result"]["outcome"] == "guard-failed")
        .map(|g| {
            let d = &g["result"]["diffs"][0];
            (
                g["group"].as_u64().unwrap(),
                d["column"].as_str().unwrap().to_owned(),
                d["expected"].as_str().unwrap().to_owned(),
                d["actual"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Guards read per table in one statement: a row changed inside such a group fails
/// its guard with the same difference as a guard per row; a key the server matches
/// case-insensitively is guarded row by row and stays correct; after a partial
/// apply, reruns neither repeat nor skip a group.
#[test]
fn batched_guards_fail_as_before_and_reruns_after_a_partial_apply_finish_exactly_once() {
    if !live_servers_available(
        "batched_guards_fail_as_before_and_reruns_after_a_partial_apply_finish_exactly_once",
    ) {
        return;
    }
    let live = Live::from_script(&batch_scenario());
    let west = &live.brain.west;
    let n_rows = |db: &reconcile_testkit::MariaDb| -> Vec<(i64, i64, String)> {
        db.query("SELECT id, v, note FROM bat.n ORDER BY id")
            .unwrap()
    };
    let ci_rows = |db: &reconcile_testkit::MariaDb| -> Vec<(i64, String, i64)> {
        db.query("SELECT g, CAST(k AS BINARY), v FROM bat.ci ORDER BY g")
            .unwrap()
    };
    // Concurrent writers after the scan: a row in the third group, and the case of
    // a key of the last group.
    west.exec(
        "UPDATE bat.n SET note = 'changed' WHERE id = 8; UPDATE bat.ci SET k = 'a' WHERE g = 1",
    )
    .unwrap();

    // 1. Stop at the first failing group: two groups in, the third refused.
    let out = live.apply(&["--stop-on-error"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("2 groups applied, 0 already applied, 1 guard failed"),
        "{}",
        text(&out)
    );
    assert_eq!(
        guard_failures(&live),
        vec![(3, "note".into(), "\"n8\"".into(), "\"changed\"".into())]
    );
    assert_eq!(live.journal_count(), 2);
    // nothing of the third group was written: its other updates, inserts, delete
    let third: Vec<(i64, i64, String)> = west
        .query("SELECT id, v, note FROM bat.n WHERE id IN (7, 9, 104, 105, 52) ORDER BY id")
        .unwrap();
    assert_eq!(
        third,
        vec![
            (7, 7, "n7".into()),
            (9, 9, "n9".into()),
            (52, 52, "n52".into())
        ]
    );

    // 2. The row is back: the rest goes in, but for the group whose key the server
    // now finds as 'a': its guard reads the row and names the difference.
    west.exec("UPDATE bat.n SET note = 'n8' WHERE id = 8")
        .unwrap();
    let out = live.apply(&[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("8 groups applied, 2 already applied, 1 guard failed"),
        "{}",
        text(&out)
    );
    assert_eq!(
        guard_failures(&live),
        vec![(11, "k".into(), "\"A\"".into(), "\"a\"".into())]
    );
    assert_eq!(live.journal_count(), 10);
    assert_eq!(
        ci_rows(west),
        vec![(1, "a".into(), 1), (2, "b".into(), 2), (3, "c".into(), 3)]
    );

    // 3. The key is back: the last group goes in, nothing twice.
    west.exec("UPDATE bat.ci SET k = 'A' WHERE g = 1").unwrap();
    let out = live.apply(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("1 groups applied, 10 already applied, 0 guard failed"),
        "{}",
        text(&out)
    );
    assert_eq!(live.journal_count(), 11);
    let out = live.verify();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(" 0 mismatches"), "{}", text(&out));
    // West holds East's rows, but for the row only West changed.
    let mut east_n = n_rows(&live.brain.east);
    for row in east_n.iter_mut().filter(|r| r.0 == 60) {
        row.1 = 0;
    }
    assert_eq!(n_rows(west), east_n);
    assert_eq!(ci_rows(west), ci_rows(&live.brain.east));
}
