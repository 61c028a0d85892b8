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
        let brain = SplitBrain::run(&script).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let exported = brain.export(&dir.path().join("binlogs")).unwrap();
        let out = dir.path().join("out");
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
                .arg(&out),
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
        reconcile()
            .args(["verify", "--plan"])
            .arg(self.out())
            .args(["--target", &self.brain.west.url()])
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
