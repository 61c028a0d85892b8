//! The surviving primary: guarded, journaled application of groups, and verification.

use std::collections::BTreeSet;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Params, Row, Value as My};
use serde::Serialize;

use crate::compare::{param, same_value, show, ValueDiff};
use crate::sql::{quote_ident, GroupPlan, PlannedItem, Write};
use crate::ApplyError;

/// A row as `(column, value)` pairs.
type Image = [(String, reconcile_binlog::Value)];

/// The journal table's name, in the journal database.
pub const JOURNAL_TABLE: &str = "reconcile_journal";

/// What happened to a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum GroupOutcome {
    /// Written and committed, with its journal row; the server confirmed the COMMIT.
    Applied { writes: usize },
    /// Its journal row already exists: applied by an earlier run, not touched.
    AlreadyApplied,
    /// A row differs from what the scan saw: rolled back, nothing written.
    GuardFailed { item: u64, diffs: Vec<ValueDiff> },
    /// Dry run: every guard held; rolled back.
    WouldApply { writes: usize },
}

/// A difference `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// Group.
    pub group: u64,
    /// Item (0 for the group as a whole).
    pub item: u64,
    /// What is wrong.
    pub detail: String,
}

/// A connection to the target with the session `apply` needs.
#[derive(Debug)]
pub struct Target {
    conn: Conn,
    label: String,
    journal_db: String,
    plan_id: String,
}

fn key_text(item: &PlannedItem) -> String {
    let parts: Vec<String> = item
        .key
        .iter()
        .map(|(c, v)| format!("{c}={}", show(&param(v))))
        .collect();
    parts.join(", ")
}

impl Target {
    /// Connects and sets the session: UTC time zone, strict mode that still accepts
    /// zero dates as logged, and `SET NAMES binary` so bytes go and come back as is.
    /// `label` names the target in messages (a URL without password).
    pub async fn connect(
        opts: Opts,
        label: &str,
        journal_db: &str,
        plan_id: &str,
    ) -> Result<Target, ApplyError> {
        let mut conn = Conn::new(opts)
            .await
            .map_err(|source| ApplyError::Connect {
                target: label.to_owned(),
                source,
            })?;
        conn.query_drop(
            "SET SESSION time_zone = '+00:00', \
             sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', \
             autocommit = 1",
        )
        .await
        .map_err(|source| ApplyError::Connect {
            target: label.to_owned(),
            source,
        })?;
        conn.query_drop("SET NAMES binary")
            .await
            .map_err(|source| ApplyError::Connect {
                target: label.to_owned(),
                source,
            })?;
        Ok(Target {
            conn,
            label: label.to_owned(),
            journal_db: journal_db.to_owned(),
            plan_id: plan_id.to_owned(),
        })
    }

    fn journal(&self) -> String {
        format!(
            "{}.{}",
            quote_ident(&self.journal_db),
            quote_ident(JOURNAL_TABLE)
        )
    }

    /// Creates the journal database and table when absent.
    pub async fn ensure_journal(&mut self) -> Result<(), ApplyError> {
        let create_db = format!(
            "CREATE DATABASE IF NOT EXISTS {}",
            quote_ident(&self.journal_db)
        );
        let create_table = format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             plan_id VARCHAR(64) NOT NULL, \
             group_id BIGINT UNSIGNED NOT NULL, \
             applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), \
             items TEXT NOT NULL, \
             PRIMARY KEY (plan_id, group_id)) ENGINE=InnoDB",
            self.journal()
        );
        for sql in [create_db, create_table] {
            self.conn
                .query_drop(sql)
                .await
                .map_err(|source| ApplyError::Journal {
                    target: self.label.clone(),
                    journal: self.journal(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Groups of this plan that the journal holds (empty when there is no journal).
    pub async fn journaled(&mut self) -> Result<BTreeSet<u64>, ApplyError> {
        let exists: Option<u8> = self
            .conn
            .exec_first(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                (self.journal_db.as_bytes(), JOURNAL_TABLE.as_bytes()),
            )
            .await
            .map_err(|source| self.sql_error(0, "reading the journal", source))?;
        if exists.is_none() {
            return Ok(BTreeSet::new());
        }
        let groups: Vec<u64> = self
            .conn
            .exec(
                format!("SELECT group_id FROM {} WHERE plan_id = ?", self.journal()),
                (self.plan_id.as_bytes(),),
            )
            .await
            .map_err(|source| self.sql_error(0, "reading the journal", source))?;
        Ok(groups.into_iter().collect())
    }

    fn sql_error(&self, group: u64, what: &str, source: mysql_async::Error) -> ApplyError {
        ApplyError::Sql {
            target: self.label.clone(),
            group,
            what: what.to_owned(),
            source,
        }
    }

    async fn rollback(&mut self) {
        if let Err(e) = self.conn.query_drop("ROLLBACK").await {
            tracing::warn!(error = %e, "ROLLBACK failed; the server rolls back when the connection ends");
        }
    }

    /// Applies one group in one transaction (see the crate docs). `dry_run` runs the
    /// guards and rolls back.
    pub async fn apply_group(
        &mut self,
        group: &GroupPlan,
        dry_run: bool,
    ) -> Result<GroupOutcome, ApplyError> {
        let g = group.group;
        let result = self.apply_group_inner(group, dry_run).await;
        match &result {
            Ok(GroupOutcome::Applied { .. }) | Ok(GroupOutcome::AlreadyApplied) => {}
            Ok(_) | Err(_) => self.rollback().await,
        }
        if let Ok(outcome) = &result {
            tracing::info!(group = g, outcome = ?outcome, "group done");
        }
        result
    }

    async fn apply_group_inner(
        &mut self,
        group: &GroupPlan,
        dry_run: bool,
    ) -> Result<GroupOutcome, ApplyError> {
        let g = group.group;
        self.conn
            .query_drop("START TRANSACTION")
            .await
            .map_err(|source| self.sql_error(g, "START TRANSACTION", source))?;
        if !dry_run {
            let done: Option<u8> = self
                .conn
                .exec_first(
                    format!(
                        "SELECT 1 FROM {} WHERE plan_id = ? AND group_id = ? FOR UPDATE",
                        self.journal()
                    ),
                    (self.plan_id.as_bytes(), g),
                )
                .await
                .map_err(|source| self.sql_error(g, "reading the journal", source))?;
            if done.is_some() {
                self.rollback().await;
                return Ok(GroupOutcome::AlreadyApplied);
            }
        }
        for item in &group.items {
            let diffs = self.guard(g, item).await?;
            if !diffs.is_empty() {
                tracing::warn!(group = g, item = item.item, table = %item.table_ident(), key = %key_text(item), "guard failed");
                return Ok(GroupOutcome::GuardFailed {
                    item: item.item,
                    diffs,
                });
            }
        }
        if dry_run {
            return Ok(GroupOutcome::WouldApply {
                writes: group.items.len(),
            });
        }
        for item in &group.items {
            let (sql, params) = item.write_sql();
            let params: Vec<My> = params.iter().map(param).collect();
            self.conn
                .exec_drop(&sql, Params::Positional(params))
                .await
                .map_err(|source| {
                    self.sql_error(g, &format!("item {} ({sql})", item.item), source)
                })?;
            let got = self.conn.affected_rows();
            if got != 1 {
                return Err(ApplyError::AffectedRows {
                    group: g,
                    statement: sql,
                    expected: 1,
                    got,
                });
            }
            tracing::info!(
                group = g,
                item = item.item,
                table = %item.table_ident(),
                key = %key_text(item),
                gtids = %item.east_gtids.join(","),
                write = match item.write { Write::Insert(_) => "insert", Write::Update(_) => "update", Write::Delete => "delete" },
                "written"
            );
        }
        let items = serde_json::to_string(&group.items.iter().map(|i| i.item).collect::<Vec<_>>())
            .unwrap_or_default();
        self.conn
            .exec_drop(
                format!(
                    "INSERT INTO {} (plan_id, group_id, items) VALUES (?, ?, ?)",
                    self.journal()
                ),
                (self.plan_id.as_bytes(), g, items.as_bytes()),
            )
            .await
            .map_err(|source| self.sql_error(g, "writing the journal row", source))?;
        // Only a COMMIT the server confirmed counts; an error here leaves the
        // outcome to the journal, which a rerun reads.
        self.conn.query_drop("COMMIT").await.map_err(|source| {
            self.sql_error(
                g,
                "COMMIT (outcome unknown until a rerun reads the journal)",
                source,
            )
        })?;
        Ok(GroupOutcome::Applied {
            writes: group.items.len(),
        })
    }

    async fn read_row(
        &mut self,
        group: u64,
        item: &PlannedItem,
        sql: String,
    ) -> Result<Vec<Row>, ApplyError> {
        let params: Vec<My> = item.key_values().iter().map(param).collect();
        self.conn
            .exec(sql, Params::Positional(params))
            .await
            .map_err(|source| self.sql_error(group, &format!("reading item {}", item.item), source))
    }

    /// The differences between the current row and what the scan saw on West.
    async fn guard(
        &mut self,
        group: u64,
        item: &PlannedItem,
    ) -> Result<Vec<ValueDiff>, ApplyError> {
        let rows = self.read_row(group, item, item.guard_sql()).await?;
        Ok(compare_row(
            item.expected.as_deref(),
            &item.guard_columns(),
            &rows,
        ))
    }

    /// What `verify` finds for one applied group: each row equals what was written
    /// (or is absent after a delete).
    pub async fn verify_group(&mut self, group: &GroupPlan) -> Result<Vec<Mismatch>, ApplyError> {
        let mut out = Vec::new();
        for item in &group.items {
            let (expected, columns): (Option<&Image>, Vec<String>) = match &item.write {
                Write::Insert(row) | Write::Update(row) => {
                    (Some(row), row.iter().map(|(c, _)| c.clone()).collect())
                }
                Write::Delete => (None, item.key.iter().map(|(c, _)| c.clone()).collect()),
            };
            let sql = match expected {
                Some(row) => item.read_sql(row),
                None => item.read_sql(&item.key),
            };
            let rows = self.read_row(group.group, item, sql).await?;
            for d in compare_row(expected, &columns, &rows) {
                out.push(Mismatch {
                    group: group.group,
                    item: item.item,
                    detail: format!(
                        "{} {}: {} is {} on the target, expected {}",
                        item.table_ident(),
                        key_text(item),
                        d.column,
                        d.actual,
                        d.expected
                    ),
                });
            }
        }
        Ok(out)
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.conn.disconnect().await;
    }
}

/// Compares rows read by key with the expected row (or its absence).
fn compare_row(
    expected: Option<&[(String, reconcile_binlog::Value)]>,
    columns: &[String],
    rows: &[Row],
) -> Vec<ValueDiff> {
    let diff = |column: &str, expected: String, actual: String| ValueDiff {
        column: column.to_owned(),
        expected,
        actual,
    };
    if rows.len() > 1 {
        return vec![diff(
            "(key)",
            "one row".into(),
            format!("{} rows match the key", rows.len()),
        )];
    }
    match (expected, rows.first()) {
        (None, None) => Vec::new(),
        (None, Some(_)) => vec![diff("(row)", "absent".into(), "present".into())],
        (Some(_), None) => vec![diff("(row)", "present".into(), "absent".into())],
        (Some(exp), Some(row)) => {
            let mut diffs = Vec::new();
            for (i, column) in columns.iter().enumerate() {
                let actual = row.as_ref(i).cloned().unwrap_or(My::NULL);
                if let Some((_, want)) = exp.iter().find(|(c, _)| c == column) {
                    if !same_value(want, &actual) {
                        diffs.push(diff(column, show(&param(want)), show(&actual)));
                    }
                }
            }
            diffs
        }
    }
}
