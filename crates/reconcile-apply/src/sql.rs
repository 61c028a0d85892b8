//! What each approved item does to the target, as data, and the SQL text for it
//! (identifiers quoted, values always bound as parameters).

use reconcile_binlog::Value;
use reconcile_diff::{Item, Suggestion};
use serde::Serialize;

use crate::compare::param;
use crate::ApplyError;

/// The DBA's decision for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Take East's net change.
    Apply,
    /// Keep West as it is.
    Skip,
    /// Write the merged row of a `merge-columns` suggestion.
    Merge,
}

/// The write an item needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Write {
    /// Insert this row.
    Insert(Vec<(String, Value)>),
    /// Set these columns of the row found by the key.
    Update(Vec<(String, Value)>),
    /// Delete the row found by the key.
    Delete,
}

/// One item ready to apply: what the row must look like now (the guard), and the write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedItem {
    /// The item's id in the plan.
    pub item: u64,
    /// Database.
    pub schema: String,
    /// Table.
    pub table: String,
    /// How to find the row: `(column, value)`.
    pub key: Vec<(String, Value)>,
    /// The row as the scan saw it on West (`None`: absent). Generated columns excluded.
    pub expected: Option<Vec<(String, Value)>>,
    /// The write.
    pub write: Write,
    /// GTIDs of East's changes, for logs.
    pub east_gtids: Vec<String>,
}

/// A group ready to apply: all of its items, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPlan {
    /// The group's id in the plan.
    pub group: u64,
    /// Its items, in report order.
    pub items: Vec<PlannedItem>,
}

/// The select list for `row`'s columns. Binary values are read through
/// `CAST(... AS BINARY)`: MariaDB returns INET4, INET6 and UUID as text, but their
/// binary form is what the binlog (and so the plan) holds; for BINARY, VARBINARY
/// and BLOB columns the cast changes nothing.
pub fn select_list(row: &[(String, Value)]) -> String {
    let mut out = String::with_capacity(row.len() * 16);
    push_select_list(&mut out, row);
    out
}

fn push_select_list(out: &mut String, row: &[(String, Value)]) {
    for (n, (c, v)) in row.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        match v {
            Value::Binary(_) => {
                out.push_str("CAST(");
                push_ident(out, c);
                out.push_str(" AS BINARY)");
            }
            _ => push_ident(out, c),
        }
    }
}

/// `name` as a quoted identifier: backticks doubled, wrapped in backticks.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_ident(&mut out, name);
    out
}

/// Appends [`quote_ident`]`(name)`.
pub(crate) fn push_ident(out: &mut String, name: &str) {
    out.push('`');
    for (n, part) in name.split('`').enumerate() {
        if n > 0 {
            out.push_str("``");
        }
        out.push_str(part);
    }
    out.push('`');
}

fn without_generated(generated: &[String], row: Vec<(String, Value)>) -> Vec<(String, Value)> {
    if generated.is_empty() {
        return row;
    }
    row.into_iter()
        .filter(|(c, _)| !generated.contains(c))
        .collect()
}

impl PlannedItem {
    /// The write an approved item needs, with its guard. Takes the item: its rows
    /// move into the planned item.
    pub fn new(
        item: Item,
        decision: Decision,
        group: u64,
    ) -> Result<Option<PlannedItem>, ApplyError> {
        let id = item.id;
        let unappliable = |reason: &str| ApplyError::Unappliable {
            group,
            item: id,
            reason: reason.to_owned(),
        };
        let Item {
            schema,
            table,
            columns,
            generated,
            key,
            west_op,
            base,
            east,
            west,
            east_gtids,
            suggestion,
            ..
        } = item;
        // What West holds now, as the scan saw it: West's final row when West
        // touched the key, else the base.
        let expected = if west_op.is_some() { west } else { base };
        let target = match decision {
            Decision::Skip => return Ok(None),
            Decision::Apply => east,
            Decision::Merge => match suggestion {
                Some(Suggestion::MergeColumns { merged }) => Some(merged),
                _ => {
                    return Err(unappliable(
                        "`merge` is only possible where the suggestion is merge-columns",
                    ))
                }
            },
        };
        if key.is_empty() {
            return Err(unappliable(
                "the item has no row identity (a statement-format event): it cannot be applied",
            ));
        }
        let write = match (&expected, target) {
            (None, None) => return Ok(None),
            (None, Some(row)) => Write::Insert(without_generated(&generated, row)),
            (Some(_), Some(row)) => Write::Update(without_generated(&generated, row)),
            (Some(_), None) => Write::Delete,
        };
        let complete = |row: &[(String, Value)]| {
            columns
                .iter()
                .filter(|c| !generated.contains(c))
                .all(|c| row.iter().any(|(name, _)| name == c))
        };
        if let Write::Insert(row) | Write::Update(row) = &write {
            if !complete(row) {
                return Err(unappliable(
                    "the row to write lacks columns (partial row image)",
                ));
            }
            if row.iter().any(|(_, v)| matches!(v, Value::JsonPartial(_))) {
                return Err(unappliable("the row to write holds a partial JSON update"));
            }
        }
        Ok(Some(PlannedItem {
            item: id,
            schema,
            table,
            key,
            expected: expected.map(|row| without_generated(&generated, row)),
            write,
            east_gtids,
        }))
    }

    /// `` `db`.`t` ``.
    pub fn table_ident(&self) -> String {
        let mut out = String::with_capacity(self.schema.len() + self.table.len() + 5);
        self.push_table(&mut out);
        out
    }

    fn push_table(&self, out: &mut String) {
        push_ident(out, &self.schema);
        out.push('.');
        push_ident(out, &self.table);
    }

    /// `k1 <=> ? AND ...` over the key columns.
    fn push_key_clause(&self, out: &mut String) {
        for (n, (c, _)) in self.key.iter().enumerate() {
            if n > 0 {
                out.push_str(" AND ");
            }
            push_ident(out, c);
            out.push_str(" <=> ?");
        }
    }

    /// Columns the guard reads: those of the expected row, else the key.
    pub fn guard_columns(&self) -> Vec<String> {
        match &self.expected {
            Some(row) => row.iter().map(|(c, _)| c.clone()).collect(),
            None => self.key.iter().map(|(c, _)| c.clone()).collect(),
        }
    }

    /// The guard: the current row by key, locked.
    pub fn guard_sql(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("SELECT ");
        push_select_list(&mut out, self.expected.as_deref().unwrap_or(&self.key));
        out.push_str(" FROM ");
        self.push_table(&mut out);
        out.push_str(" WHERE ");
        self.push_key_clause(&mut out);
        out.push_str(" LIMIT 2 FOR UPDATE");
        out
    }

    /// `SELECT` of `row`'s columns by key (for verify), unlocked.
    pub fn read_sql(&self, row: &[(String, Value)]) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("SELECT ");
        push_select_list(&mut out, row);
        out.push_str(" FROM ");
        self.push_table(&mut out);
        out.push_str(" WHERE ");
        self.push_key_clause(&mut out);
        out.push_str(" LIMIT 2");
        out
    }

    /// The key values, as parameters of [`Self::guard_sql`] and of deletes.
    pub fn key_values(&self) -> Vec<Value> {
        self.key.iter().map(|(_, v)| v.clone()).collect()
    }

    /// The write's SQL and its parameters.
    pub fn write_sql(&self) -> (String, Vec<Value>) {
        let params = match &self.write {
            Write::Insert(row) => row.iter().map(|(_, v)| v.clone()).collect(),
            Write::Update(row) => row
                .iter()
                .chain(&self.key)
                .map(|(_, v)| v.clone())
                .collect(),
            Write::Delete => self.key_values(),
        };
        (self.write_text(), params)
    }

    /// The write's parameters as [`Self::write_sql`] gives them, bound as values.
    pub(crate) fn write_params(&self) -> Vec<mysql_async::Value> {
        let row: &[(String, Value)] = match &self.write {
            Write::Insert(row) => return row.iter().map(|(_, v)| param(v)).collect(),
            Write::Update(row) => row,
            Write::Delete => &[],
        };
        row.iter().chain(&self.key).map(|(_, v)| param(v)).collect()
    }

    /// The write's SQL.
    pub(crate) fn write_text(&self) -> String {
        let mut out = String::with_capacity(128);
        match &self.write {
            Write::Insert(row) => {
                out.push_str("INSERT INTO ");
                self.push_table(&mut out);
                out.push_str(" (");
                for (n, (c, _)) in row.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    push_ident(&mut out, c);
                }
                out.push_str(") VALUES (");
                for n in 0..row.len() {
                    out.push_str(if n > 0 { ", ?" } else { "?" });
                }
                out.push(')');
            }
            Write::Update(row) => {
                out.push_str("UPDATE ");
                self.push_table(&mut out);
                out.push_str(" SET ");
                for (n, (c, _)) in row.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    push_ident(&mut out, c);
                    out.push_str(" = ?");
                }
                out.push_str(" WHERE ");
                self.push_key_clause(&mut out);
                out.push_str(" LIMIT 1");
            }
            Write::Delete => {
                out.push_str("DELETE FROM ");
                self.push_table(&mut out);
                out.push_str(" WHERE ");
                self.push_key_clause(&mut out);
                out.push_str(" LIMIT 1");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_values_are_parameters() {
        assert_eq!(quote_ident("we`ird"), "`we``ird`");
        let p = PlannedItem {
            item: 1,
            schema: "s".into(),
            table: "t`x".into(),
            key: vec![("id".into(), Value::Int(1))],
            expected: Some(vec![
                ("id".into(), Value::Int(1)),
                ("v".into(), Value::Int(2)),
            ]),
            write: Write::Update(vec![
                ("id".into(), Value::Int(1)),
                ("v".into(), Value::Int(3)),
            ]),
            east_gtids: vec![],
        };
        assert_eq!(
            p.guard_sql(),
            "SELECT `id`, `v` FROM `s`.`t``x` WHERE `id` <=> ? LIMIT 2 FOR UPDATE"
        );
        let (sql, params) = p.write_sql();
        assert_eq!(
            sql,
            "UPDATE `s`.`t``x` SET `id` = ?, `v` = ? WHERE `id` <=> ? LIMIT 1"
        );
        assert_eq!(params, vec![Value::Int(1), Value::Int(3), Value::Int(1)]);
    }

    #[test]
    fn statements_of_every_write_and_read() {
        let bin = Value::Binary(reconcile_binlog::Bytes(vec![0, 1]));
        let mut p = PlannedItem {
            item: 1,
            schema: "d`b".into(),
            table: "t".into(),
            key: vec![("a".into(), Value::Int(1)), ("b`".into(), bin.clone())],
            expected: None,
            write: Write::Insert(vec![
                ("a".into(), Value::Int(1)),
                ("b`".into(), bin.clone()),
                ("c".into(), Value::Null),
            ]),
            east_gtids: vec![],
        };
        assert_eq!(
            p.guard_sql(),
            "SELECT `a`, CAST(`b``` AS BINARY) FROM `d``b`.`t` WHERE `a` <=> ? AND `b``` <=> ? LIMIT 2 FOR UPDATE"
        );
        assert_eq!(
            p.write_sql(),
            (
                "INSERT INTO `d``b`.`t` (`a`, `b```, `c`) VALUES (?, ?, ?)".to_owned(),
                vec![Value::Int(1), bin.clone(), Value::Null]
            )
        );
        assert_eq!(
            p.read_sql(&p.key),
            "SELECT `a`, CAST(`b``` AS BINARY) FROM `d``b`.`t` WHERE `a` <=> ? AND `b``` <=> ? LIMIT 2"
        );
        let bound = |p: &PlannedItem| -> Vec<mysql_async::Value> {
            p.write_sql().1.iter().map(param).collect()
        };
        assert_eq!(p.write_params(), bound(&p));
        p.write = Write::Delete;
        assert_eq!(
            p.write_sql(),
            (
                "DELETE FROM `d``b`.`t` WHERE `a` <=> ? AND `b``` <=> ? LIMIT 1".to_owned(),
                vec![Value::Int(1), bin.clone()]
            )
        );
        assert_eq!(p.write_params(), bound(&p));
        p.write = Write::Update(vec![("c".into(), Value::Int(5))]);
        assert_eq!(
            p.write_sql(),
            (
                "UPDATE `d``b`.`t` SET `c` = ? WHERE `a` <=> ? AND `b``` <=> ? LIMIT 1".to_owned(),
                vec![Value::Int(5), Value::Int(1), bin]
            )
        );
        assert_eq!(p.write_params(), bound(&p));
        assert_eq!(p.table_ident(), "`d``b`.`t`");
        assert_eq!(quote_ident(""), "``");
        assert_eq!(quote_ident("``"), "``````");
    }
}
