//! The surviving primary: guarded, journaled application of groups, and verification.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, Row, Value as My};
use serde::Serialize;

use crate::batch::{self, StatisticsRow, UniqueIndex, Unit};
use crate::compare::{param, same_value, show, ValueDiff};
use crate::sql::{quote_ident, GroupPlan, PlannedItem, Write};
use crate::ApplyError;

/// Prepared statements kept per connection. mysql_async caches them by SQL text
/// (32 by default) and prepares again on a miss, a round trip more; a run needs
/// one statement per table and write shape, and one per table and IN-list size of
/// the batched guards (a power of two up to `batch::MAX_BATCH`).
const STMT_CACHE_SIZE: usize = 512;

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
    /// Whether a group's guards are read in batches (see `batch`).
    batch_guards: bool,
    /// Unique indexes per schema and table, read once per run.
    indexes: HashMap<String, HashMap<String, Vec<UniqueIndex>>>,
}

/// An item's key as logs show it: `col=value, ...`.
struct KeyText<'a>(&'a PlannedItem);

impl fmt::Display for KeyText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, (c, v)) in self.0.key.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{c}={}", show(&param(v)))?;
        }
        Ok(())
    }
}

fn key_text(item: &PlannedItem) -> String {
    KeyText(item).to_string()
}

/// `` `db`.`t` `` without building it first.
struct TableText<'a>(&'a PlannedItem);

impl fmt::Display for TableText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |f: &mut fmt::Formatter<'_>, name: &str| -> fmt::Result {
            f.write_str("`")?;
            for (n, part) in name.split('`').enumerate() {
                if n > 0 {
                    f.write_str("``")?;
                }
                f.write_str(part)?;
            }
            f.write_str("`")
        };
        quoted(f, &self.0.schema)?;
        f.write_str(".")?;
        quoted(f, &self.0.table)
    }
}

/// A list joined by commas, written as it is displayed.
struct Joined<'a>(&'a [String]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, s) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(",")?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }
}

/// A row's values; a value the driver no longer holds reads as NULL.
fn values(row: Row) -> Vec<My> {
    row.unwrap_raw()
        .into_iter()
        .map(|v| v.unwrap_or(My::NULL))
        .collect()
}

/// The first item (by position) whose guard failed, once every item before it is
/// known to hold.
fn first_failure(results: &[Option<Vec<ValueDiff>>]) -> Option<usize> {
    for (n, r) in results.iter().enumerate() {
        match r {
            None => return None,
            Some(diffs) if !diffs.is_empty() => return Some(n),
            Some(_) => {}
        }
    }
    None
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
        let opts: Opts = OptsBuilder::from_opts(opts)
            .stmt_cache_size(STMT_CACHE_SIZE)
            .into();
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
            batch_guards: true,
            indexes: HashMap::new(),
        })
    }

    /// Whether a group's guards read several items of a table at once (the
    /// default), or one statement per item. Both give the same outcome; the
    /// per-item reads are the reference the tests compare the batches with.
    pub fn set_guard_batching(&mut self, on: bool) {
        self.batch_guards = on;
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
        if self.batch_guards {
            self.load_indexes(g, group).await?;
        }
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
        if let Some((item, diffs)) = self.guards(g, &group.items).await? {
            tracing::warn!(group = g, item = item.item, table = %TableText(item), key = %KeyText(item), "guard failed");
            return Ok(GroupOutcome::GuardFailed {
                item: item.item,
                diffs,
            });
        }
        if dry_run {
            return Ok(GroupOutcome::WouldApply {
                writes: group.items.len(),
            });
        }
        for item in &group.items {
            let sql = item.write_text();
            self.conn
                .exec_drop(&sql, Params::Positional(item.write_params()))
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
                table = %TableText(item),
                key = %KeyText(item),
                gtids = %Joined(&item.east_gtids),
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
    ) -> Result<Vec<Vec<My>>, ApplyError> {
        let params: Vec<My> = item.key.iter().map(|(_, v)| param(v)).collect();
        let rows: Vec<Row> = self
            .conn
            .exec(sql, Params::Positional(params))
            .await
            .map_err(|source| {
                self.sql_error(group, &format!("reading item {}", item.item), source)
            })?;
        Ok(rows.into_iter().map(values).collect())
    }

    /// The differences between the current row and what the scan saw on West.
    async fn guard(
        &mut self,
        group: u64,
        item: &PlannedItem,
    ) -> Result<Vec<ValueDiff>, ApplyError> {
        let rows = self.read_row(group, item, item.guard_sql()).await?;
        Ok(compare_row(item.expected.as_deref(), &rows))
    }

    /// Reads the unique indexes of the group's tables not read before
    /// (`information_schema.STATISTICS`, outside the group's transaction).
    async fn load_indexes(&mut self, group: u64, plan: &GroupPlan) -> Result<(), ApplyError> {
        for item in &plan.items {
            if self
                .indexes
                .get(&item.schema)
                .is_some_and(|tables| tables.contains_key(&item.table))
            {
                continue;
            }
            let rows: Vec<Row> = self
                .conn
                .exec(
                    "SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                    (item.schema.as_bytes(), item.table.as_bytes()),
                )
                .await
                .map_err(|source| {
                    self.sql_error(
                        group,
                        &format!("reading the unique keys of {}", item.table_ident()),
                        source,
                    )
                })?;
            let rows: Vec<StatisticsRow> = rows
                .into_iter()
                .map(|row| {
                    let names: Vec<String> = row
                        .columns_ref()
                        .iter()
                        .map(|c| c.name_str().to_ascii_uppercase())
                        .collect();
                    names.into_iter().zip(values(row)).collect()
                })
                .collect();
            let found = batch::unique_indexes(&item.schema, &item.table, &rows);
            tracing::debug!(table = %item.table_ident(), indexes = ?found, "unique keys read");
            self.indexes
                .entry(item.schema.clone())
                .or_default()
                .insert(item.table.clone(), found);
        }
        Ok(())
    }

    /// Runs a group's guards (`FOR UPDATE`), in batches where that is certain to give
    /// what one guard per item gives (see `batch`), and returns the first item, in
    /// group order, whose row differs from what the scan saw, with its differences.
    /// Like one guard per item in order, it stops once that item is known.
    async fn guards<'a>(
        &mut self,
        group: u64,
        items: &'a [PlannedItem],
    ) -> Result<Option<(&'a PlannedItem, Vec<ValueDiff>)>, ApplyError> {
        let units = if self.batch_guards {
            let indexes = &self.indexes;
            batch::plan(items, |item| {
                indexes
                    .get(&item.schema)
                    .and_then(|tables| tables.get(&item.table))
                    .and_then(|found| batch::index_for(found, &item.key))
            })
        } else {
            (0..items.len()).map(Unit::Single).collect()
        };
        let mut results: Vec<Option<Vec<ValueDiff>>> = vec![None; items.len()];
        let failed = |results: &mut Vec<Option<Vec<ValueDiff>>>| {
            first_failure(results).and_then(|n| {
                let diffs = results.get_mut(n).and_then(Option::take)?;
                Some((items.get(n)?, diffs))
            })
        };
        for unit in units {
            let singles = match unit {
                Unit::Single(n) => vec![n],
                Unit::Batch(b) => {
                    match self.read_batch(group, items, b).await? {
                        Ok(found) => {
                            for (n, diffs) in found {
                                if let Some(slot) = results.get_mut(n) {
                                    *slot = Some(diffs);
                                }
                            }
                            Vec::new()
                        }
                        // Not certain: each item of the batch by its own guard.
                        Err(positions) => positions,
                    }
                }
            };
            if let Some(f) = failed(&mut results) {
                return Ok(Some(f));
            }
            for n in singles {
                let Some(item) = items.get(n) else { continue };
                let diffs = self.guard(group, item).await?;
                if let Some(slot) = results.get_mut(n) {
                    *slot = Some(diffs);
                }
                if let Some(f) = failed(&mut results) {
                    return Ok(Some(f));
                }
            }
        }
        Ok(failed(&mut results))
    }

    /// One batched guard: each item's differences, or (when the answer cannot be
    /// mapped to the items with certainty) the positions to guard one by one.
    async fn read_batch(
        &mut self,
        group: u64,
        items: &[PlannedItem],
        b: batch::Batch,
    ) -> Result<Result<Vec<(usize, Vec<ValueDiff>)>, Vec<usize>>, ApplyError> {
        let members: Vec<&PlannedItem> = b.items.iter().filter_map(|&n| items.get(n)).collect();
        let rows: Vec<Row> = self
            .conn
            .exec(&b.sql, Params::Positional(b.params))
            .await
            .map_err(|source| {
                let ids: Vec<String> = members.iter().map(|m| m.item.to_string()).collect();
                self.sql_error(group, &format!("reading items {}", ids.join(", ")), source)
            })?;
        let rows: Vec<Vec<My>> = rows.into_iter().map(values).collect();
        let keys: Vec<&[(String, reconcile_binlog::Value)]> =
            members.iter().map(|m| m.key.as_slice()).collect();
        match batch::assign(&keys, &rows, b.guard_width) {
            Ok(owners) => Ok(Ok(b
                .items
                .iter()
                .zip(&members)
                .zip(owners)
                .map(|((&n, item), owner)| {
                    let row = owner.and_then(|r| rows.get(r));
                    (
                        n,
                        compare_row(
                            item.expected.as_deref(),
                            row.map(std::slice::from_ref).unwrap_or(&[]),
                        ),
                    )
                })
                .collect())),
            Err(why) => {
                tracing::debug!(
                    group,
                    table = %members.first().map(|m| m.table_ident()).unwrap_or_default(),
                    items = members.len(),
                    reason = why.as_str(),
                    "batched guard not certain: each item is guarded on its own"
                );
                Ok(Err(b.items))
            }
        }
    }

    /// What `verify` finds for one applied group: each row equals what was written
    /// (or is absent after a delete).
    pub async fn verify_group(&mut self, group: &GroupPlan) -> Result<Vec<Mismatch>, ApplyError> {
        let mut out = Vec::new();
        for item in &group.items {
            let expected: Option<&Image> = match &item.write {
                Write::Insert(row) | Write::Update(row) => Some(row),
                Write::Delete => None,
            };
            let sql = match expected {
                Some(row) => item.read_sql(row),
                None => item.read_sql(&item.key),
            };
            let rows = self.read_row(group.group, item, sql).await?;
            for d in compare_row(expected, &rows) {
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

/// Compares rows read by key with the expected row (or its absence). Each row holds
/// the expected row's columns first, in its order.
fn compare_row(
    expected: Option<&[(String, reconcile_binlog::Value)]>,
    rows: &[Vec<My>],
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
            for (i, (column, want)) in exp.iter().enumerate() {
                let actual = row.get(i).unwrap_or(&My::NULL);
                if !same_value(want, actual) {
                    diffs.push(diff(column, show(&param(want)), show(actual)));
                }
            }
            diffs
        }
    }
}

#[cfg(test)]
mod tests {
    use reconcile_binlog::{Bytes, Value};

    use super::*;

    #[test]
    fn log_fields_read_as_the_strings_they_replace() {
        let item = PlannedItem {
            item: 1,
            schema: "s`x".into(),
            table: "t``y".into(),
            key: vec![
                ("id".into(), Value::Int(-3)),
                (
                    "k".into(),
                    Value::String {
                        bytes: Bytes(b"a\"b".to_vec()),
                        collation: None,
                    },
                ),
            ],
            expected: None,
            write: Write::Delete,
            east_gtids: vec!["0-1-2".into(), "0-1-3".into()],
        };
        assert_eq!(TableText(&item).to_string(), item.table_ident());
        assert_eq!(TableText(&item).to_string(), "`s``x`.`t````y`");
        assert_eq!(KeyText(&item).to_string(), "id=-3, k=\"a\\\"b\"");
        assert_eq!(
            Joined(&item.east_gtids).to_string(),
            item.east_gtids.join(",")
        );
    }
}
