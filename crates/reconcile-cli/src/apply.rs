//! `reconcile apply` and `reconcile verify`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use reconcile_apply::{quote_ident, GroupOutcome, GroupPlan, Target, Write as RowWrite};
use reconcile_binlog::Value;
use serde_json::json;

use crate::connect::{tls_refused, ConnectArgs, Endpoint};
use crate::plan::{groups, read_decisions, read_plan, Held};
use crate::render::{hex, timestamp_utc, value_json, value_text};

/// Exit code when any group's guard failed (nothing of it was written).
pub const EXIT_GUARD_FAILED: u8 = 3;
/// Exit code when the plan or worksheet was refused (nothing was applied).
pub const EXIT_REFUSED: u8 = 4;
/// Exit code when `verify` found differences.
pub const EXIT_MISMATCH: u8 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Undecided {
    /// Refuse a worksheet with undecided review items.
    Fail,
    /// Hold back the groups of undecided items and apply the rest.
    Skip,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The scan's output directory (plan.jsonl, conflicts.csv).
    #[arg(long, value_name = "DIR")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Connect and run every guard, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write a reviewable SQL script (guards as comments) to FILE instead of touching the target.
    #[arg(long, value_name = "FILE")]
    pub sql_out: Option<PathBuf>,
    /// What to do with review items whose decision is empty.
    #[arg(long, value_enum, default_value_t = Undecided::Fail)]
    pub undecided: Undecided,
    /// Stop at the first group whose guard fails.
    #[arg(long)]
    pub stop_on_error: bool,
    /// Database holding the journal table `reconcile_journal`.
    #[arg(long, default_value = "reconcile", value_name = "DB")]
    pub journal_db: String,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The scan's output directory (plan.jsonl, conflicts.csv).
    #[arg(long, value_name = "DIR")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Database holding the journal table `reconcile_journal`.
    #[arg(long, default_value = "reconcile", value_name = "DB")]
    pub journal_db: String,
}

/// The verified plan's id, the groups to apply and those held back, or the refusal.
fn load(
    dir: &Path,
    undecided: Undecided,
) -> anyhow::Result<(String, Vec<GroupPlan>, BTreeMap<u64, Held>)> {
    let plan = read_plan(dir)?;
    let decisions = read_decisions(dir, &plan)?;
    if undecided == Undecided::Fail {
        if let Some((item, _)) = plan
            .items
            .iter()
            .zip(&decisions)
            .find(|(i, d)| i.class == reconcile_diff::Class::Review && d.is_none())
        {
            return Err(crate::plan::Refused {
                file: dir.join("conflicts.csv"),
                line: item.id as usize + 1,
                column: Some("decision".to_owned()),
                reason: format!(
                    "review item {} ({}) is undecided; decide every review item, or pass --undecided skip",
                    item.id,
                    item.kind.map(|k| k.as_str()).unwrap_or("review")
                ),
            }
            .into());
        }
    }
    let (approved, held) = groups(plan.items, &decisions)?;
    Ok((plan.plan_id, approved, held))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn progress(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("apply [{bar:40}] {pos}/{len} groups {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Connects with each of the endpoint's attempts in turn: a plain connection is
/// only tried after TLS when the server offers no TLS at all (`PREFERRED`).
async fn connect(endpoint: &Endpoint, journal_db: &str, plan_id: &str) -> anyhow::Result<Target> {
    let label = endpoint.label();
    let attempts = endpoint.attempts();
    let last = attempts.len().saturating_sub(1);
    for (n, opts) in attempts.into_iter().enumerate() {
        match Target::connect(opts, &label, journal_db, plan_id).await {
            Ok(target) => return Ok(target),
            Err(e) if n < last && tls_refused(&e) => {
                tracing::info!(target = %label, "the server offers no TLS; connecting without (--ssl-mode PREFERRED)");
            }
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("no connection attempt for {label}")
}

/// Runs `reconcile apply`; returns the exit code.
pub fn run(args: ApplyArgs) -> anyhow::Result<u8> {
    let (plan_id, approved, held) = load(&args.plan, args.undecided)?;
    for (group, Held::NotApproved { items }) in &held {
        tracing::info!(
            group,
            ?items,
            "group held back: not every item is decided apply or merge"
        );
    }
    if let Some(path) = &args.sql_out {
        std::fs::write(path, sql_script(&plan_id, &approved, &args.journal_db))
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "Wrote {} ({} groups); the target was not touched",
            path.display(),
            approved.len()
        );
        return Ok(0);
    }
    let endpoint = args.connect.endpoint()?;
    let label = endpoint.label();
    runtime()?.block_on(async {
        let mut target = connect(&endpoint, &args.journal_db, &plan_id).await?;
        if !args.dry_run {
            target.ensure_journal().await?;
        }
        let journaled = target.journaled().await?;
        let bar = progress(approved.len());
        let mut report = Vec::new();
        let (mut applied, mut already, mut guard_failed, mut would) = (0, 0, 0, 0);
        let mut failure = None;
        for group in &approved {
            bar.inc(1);
            if journaled.contains(&group.group) {
                already += 1;
                tracing::info!(group = group.group, "already applied (journaled): skipped");
                report.push(json!({ "group": group.group, "outcome": "already-applied" }));
                continue;
            }
            match target.apply_group(group, args.dry_run).await {
                Ok(outcome) => {
                    match &outcome {
                        GroupOutcome::Applied { .. } => applied += 1,
                        GroupOutcome::AlreadyApplied => already += 1,
                        GroupOutcome::GuardFailed { .. } => guard_failed += 1,
                        GroupOutcome::WouldApply { .. } => would += 1,
                    }
                    let stop = matches!(outcome, GroupOutcome::GuardFailed { .. }) && args.stop_on_error;
                    let items: Vec<u64> = group.items.iter().map(|i| i.item).collect();
                    report.push(json!({ "group": group.group, "items": items, "result": outcome }));
                    if stop {
                        break;
                    }
                }
                Err(e) => {
                    report.push(json!({ "group": group.group, "outcome": "failed", "error": e.to_string() }));
                    failure = Some(e);
                    break;
                }
            }
        }
        bar.finish_and_clear();
        for (group, Held::NotApproved { items }) in &held {
            report.push(json!({ "group": group, "outcome": "held", "undecided_or_skipped_items": items }));
        }
        target.close().await;
        let summary = json!({
            "plan_id": plan_id,
            "target": label,
            "dry_run": args.dry_run,
            "applied": applied,
            "already_applied": already,
            "guard_failed": guard_failed,
            "would_apply": would,
            "held": held.len(),
            "failed": failure.as_ref().map(ToString::to_string),
            "groups": report,
        });
        let report_path = args.plan.join(if args.dry_run { "apply-dry-run.json" } else { "apply-report.json" });
        std::fs::write(&report_path, serde_json::to_string_pretty(&summary)? + "\n")
            .with_context(|| format!("cannot write {}", report_path.display()))?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{}: {applied} groups applied, {already} already applied, {guard_failed} guard failed, {} held back{}",
            if args.dry_run { "Dry run" } else { "Apply" },
            held.len(),
            if args.dry_run { format!(", {would} would apply") } else { String::new() }
        )?;
        writeln!(out, "Report: {}", report_path.display())?;
        if let Some(e) = failure {
            return Err(anyhow::Error::new(e).context("apply stopped; groups before this one are committed and journaled, a rerun continues"));
        }
        Ok(if guard_failed > 0 { EXIT_GUARD_FAILED } else { 0 })
    })
}

/// Runs `reconcile verify`; returns the exit code.
pub fn verify(args: VerifyArgs) -> anyhow::Result<u8> {
    let (plan_id, approved, held) = load(&args.plan, Undecided::Skip)?;
    let endpoint = args.connect.endpoint()?;
    runtime()?.block_on(async {
        let mut target = connect(&endpoint, &args.journal_db, &plan_id).await?;
        let journaled = target.journaled().await?;
        let mut problems = Vec::new();
        for group in &approved {
            if !journaled.contains(&group.group) {
                problems.push(format!(
                    "group {}: approved but not applied (no journal row)",
                    group.group
                ));
                continue;
            }
            for m in target.verify_group(group).await? {
                problems.push(format!("group {}, item {}: {}", m.group, m.item, m.detail));
            }
        }
        for group in held.keys() {
            if journaled.contains(group) {
                problems.push(format!(
                    "group {group}: journaled as applied, but not approved in the worksheet"
                ));
            }
        }
        target.close().await;
        let mut out = std::io::stdout().lock();
        for p in &problems {
            writeln!(out, "MISMATCH {p}")?;
        }
        writeln!(
            out,
            "Verify: {} approved groups, {} journaled, {} mismatches",
            approved.len(),
            journaled.len(),
            problems.len()
        )?;
        Ok(if problems.is_empty() {
            0
        } else {
            EXIT_MISMATCH
        })
    })
}

/// A SQL literal for a script (values as hex for strings, so no escaping can fail).
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_owned(),
        Value::String { bytes, .. }
        | Value::Binary(bytes)
        | Value::Geometry(bytes)
        | Value::Vector(bytes) => {
            format!("X'{}'", hex(&bytes.0))
        }
        Value::Json(t) => format!("X'{}'", hex(t.as_bytes())),
        Value::Decimal(d) => format!("'{d}'"),
        // the script sets time_zone = '+00:00': the UTC text is the value
        Value::Timestamp { secs, micros, fsp } => {
            format!("'{}'", timestamp_utc(*secs, *micros, *fsp))
        }
        Value::Enum { index, label } => match label {
            Some(label) => format!("X'{}'", hex(&label.0)),
            None => index.to_string(),
        },
        Value::Set { mask, labels } => match (labels, value_json(v)) {
            (Some(_), serde_json::Value::String(text)) => format!("X'{}'", hex(text.as_bytes())),
            _ => mask.to_string(),
        },
        other => value_text(other),
    }
}

/// A reviewable script: `SET NAMES binary`, one transaction per group with its
/// guards as comments, its writes and its journal row.
fn sql_script(plan_id: &str, groups: &[GroupPlan], journal_db: &str) -> String {
    let journal = format!(
        "{}.{}",
        quote_ident(journal_db),
        quote_ident(reconcile_apply::JOURNAL_TABLE)
    );
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- reconcile plan {}: {} groups to apply",
        plan_id,
        groups.len()
    );
    let _ = writeln!(s, "-- reconcile apply runs each guard as SELECT ... FOR UPDATE and rolls a group back if it differs.");
    let _ = writeln!(s, "SET NAMES binary;\nSET SESSION time_zone = '+00:00';");
    let _ = writeln!(
        s,
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION';"
    );
    for g in groups {
        let _ = writeln!(s, "\n-- group {}\nSTART TRANSACTION;", g.group);
        for item in &g.items {
            let key: Vec<String> = item
                .key
                .iter()
                .map(|(c, v)| format!("{} <=> {}", quote_ident(c), literal(v)))
                .collect();
            let key = key.join(" AND ");
            match &item.expected {
                None => {
                    let _ = writeln!(
                        s,
                        "-- guard (item {}): no row of {} WHERE {key}",
                        item.item,
                        item.table_ident()
                    );
                }
                Some(row) => {
                    let cols: Vec<String> = row
                        .iter()
                        .map(|(c, v)| format!("{c}={}", literal(v)))
                        .collect();
                    let _ = writeln!(
                        s,
                        "-- guard (item {}): {} WHERE {key} is ({})",
                        item.item,
                        item.table_ident(),
                        cols.join(", ")
                    );
                }
            }
            match &item.write {
                RowWrite::Insert(row) => {
                    let cols: Vec<String> = row.iter().map(|(c, _)| quote_ident(c)).collect();
                    let vals: Vec<String> = row.iter().map(|(_, v)| literal(v)).collect();
                    let _ = writeln!(
                        s,
                        "INSERT INTO {} ({}) VALUES ({});",
                        item.table_ident(),
                        cols.join(", "),
                        vals.join(", ")
                    );
                }
                RowWrite::Update(row) => {
                    let sets: Vec<String> = row
                        .iter()
                        .map(|(c, v)| format!("{} = {}", quote_ident(c), literal(v)))
                        .collect();
                    let _ = writeln!(
                        s,
                        "UPDATE {} SET {} WHERE {key} LIMIT 1;",
                        item.table_ident(),
                        sets.join(", ")
                    );
                }
                RowWrite::Delete => {
                    let _ = writeln!(s, "DELETE FROM {} WHERE {key} LIMIT 1;", item.table_ident());
                }
            }
        }
        let _ =
            writeln!(
            s,
            "INSERT INTO {journal} (plan_id, group_id, items) VALUES ('{}', {}, '[{}]');\nCOMMIT;",
            plan_id,
            g.group,
            g.items.iter().map(|i| i.item.to_string()).collect::<Vec<_>>().join(",")
        );
    }
    s
}
