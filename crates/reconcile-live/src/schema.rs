//! A schema read live from a server's `information_schema`: [`read_schema`].
//!
//! The result is the [`Schema`] that [`reconcile_schema::parse_schema`] gives for a
//! `mysqldump --no-data --triggers` (or `mariadb-dump`) of the same server, field by
//! field (only `warnings` may differ), so `reconcile scan --schema mysql://…` and
//! `--schema dump.sql` classify alike. Where each field comes from:
//!
//! | model | source |
//! |---|---|
//! | tables, `engine`, `default_collation` (`default_charset` from it) | `TABLES` (`BASE TABLE` and MariaDB's `SYSTEM VERSIONED`; views and sequences are not tables in a dump either) |
//! | columns: name, position, nullability, charset, collation | `COLUMNS` (`ORDINAL_POSITION`, `IS_NULLABLE`, `CHARACTER_SET_NAME`, `COLLATION_NAME`; the last two only for character types, as in the model) |
//! | `data_type`, `type_params`, `unsigned` | `COLUMNS.COLUMN_TYPE`, read by [`reconcile_schema::catalog::column_type`] exactly as in a dump |
//! | `auto_increment`, `invisible`, generated `stored` | words of `COLUMNS.EXTRA` (`auto_increment`, `INVISIBLE`, `VIRTUAL`/`STORED`/`PERSISTENT` `GENERATED`) |
//! | generated `expr` | `COLUMNS.GENERATION_EXPRESSION` through [`reconcile_schema::catalog::generation_expression`] |
//! | primary and unique keys, prefix lengths | `STATISTICS` rows with `NON_UNIQUE = 0` (`PRIMARY` is the primary key; `SEQ_IN_INDEX`, `SUB_PART`); the order of a table's unique keys from `SHOW INDEX`, which lists keys in the server's key order, as `SHOW CREATE TABLE` does |
//! | foreign keys, `ON DELETE`/`ON UPDATE` | `REFERENTIAL_CONSTRAINTS` (names, rules, order) and `KEY_COLUMN_USAGE` (columns by `ORDINAL_POSITION`, referenced schema, table and columns) |
//! | triggers | `TRIGGERS`, per table by event (INSERT, UPDATE, DELETE), timing and `ACTION_ORDER`: the order of `SHOW TRIGGERS`, which the dump tools follow |
//!
//! Every user database is read: all but `mysql`, `information_schema`,
//! `performance_schema`, `sys` and [`ReadOptions::skip_databases`] (the apply
//! journal's `reconcile` by default). Values are bound as parameters; the one
//! statement that names a table (`SHOW INDEX`) quotes its identifiers.
//!
//! Privileges: `information_schema` lists only what the account holds some privilege
//! on. An account that sees no table gets [`LiveError::MissingPrivilege`] naming
//! SELECT, as does one that sees only some columns of a table (a gap in the
//! positions, or a key naming a column it cannot see). Triggers are listed only for
//! tables the account holds the TRIGGER privilege on: without it they are silently
//! absent, so tables it cannot be seen to hold TRIGGER on get a warning in
//! [`Schema::warnings`].
//!
//! Flavors. Tested here against MariaDB 10.11 only (the only server this project's
//! machines run). Written for, but not run against:
//!
//! * MariaDB 10.2-10.10 and 11.x: the same `information_schema` (10.2 added
//!   `GENERATION_EXPRESSION`; MariaDB 10.0/10.1 lack it and are refused by the
//!   columns query).
//! * MySQL 5.7: the same columns; its `STATISTICS` is filled key by key like
//!   MariaDB's.
//! * MySQL 8.x: `information_schema` is a set of views over the data dictionary
//!   without a defined row order, hence `SHOW INDEX` for key order (MySQL sorts it by
//!   index position) and the explicit trigger order. MySQL 8 reports a foreign key
//!   without an `ON DELETE`/`ON UPDATE` clause as `NO ACTION` and `SHOW CREATE TABLE`
//!   omits `NO ACTION`, so there `NO ACTION` reads as the model's absent clause
//!   ([`FkAction::Restrict`]). The order of a table's foreign keys is the order
//!   `REFERENTIAL_CONSTRAINTS` returns them (by name on MariaDB and MySQL 5.7, as
//!   `SHOW CREATE TABLE`); on MySQL 8 it may differ from `SHOW CREATE TABLE`. A
//!   functional key part (MySQL 8.0.13+, `COLUMN_NAME` NULL) leaves its unique key
//!   out with a warning, as the dump parser does. The generated invisible primary key
//!   (`my_row_id`) is read like any invisible column.
//!
//! `information_schema` is not read in one snapshot: DDL running meanwhile can give a
//! mixed picture, as it can for a dump without `--single-transaction`.

use std::collections::BTreeMap;

use mysql_async::prelude::{FromValue, Queryable};
use mysql_async::{Conn, Row, Value};
use reconcile_schema::{
    catalog, collation, ColumnSchema, FkAction, ForeignKey, Generated, Key, KeyPart, Schema,
    SchemaWarning, ServerFlavor as Flavor, TableSchema, Trigger, TriggerEvent, TriggerTiming,
};

use crate::error::{server_code, LiveError};

/// Databases that are never read.
pub const SYSTEM_DATABASES: [&str; 4] =
    ["mysql", "information_schema", "performance_schema", "sys"];

/// What [`read_schema`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Databases skipped besides [`SYSTEM_DATABASES`]: by default `reconcile`, where
    /// `reconcile apply` keeps its journal.
    pub skip_databases: Vec<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            skip_databases: vec!["reconcile".to_owned()],
        }
    }
}

/// Reads the schema of every user database from `information_schema` (see the
/// module documentation for where each part comes from). `label` names the server
/// in errors and must not hold a password.
///
/// # Errors
///
/// [`LiveError::MissingPrivilege`] (SELECT) when the account sees no table or only
/// part of one, or a query is refused; [`LiveError::Query`] when a query fails;
/// [`LiveError::Protocol`] for a reply without an expected column or with NULL where
/// a value is needed; [`LiveError::Definition`] for a column type or expression the
/// schema parser cannot read.
pub async fn read_schema(
    conn: &mut Conn,
    label: &str,
    options: &ReadOptions,
) -> Result<Schema, LiveError> {
    let mut skip: Vec<String> = SYSTEM_DATABASES.iter().map(|s| (*s).to_owned()).collect();
    skip.extend(options.skip_databases.iter().cloned());
    let mut r = Reader {
        conn,
        label,
        skip,
        flavor: Flavor::MariaDb,
        warnings: Vec::new(),
    };
    r.flavor = r.read_flavor().await?;
    let mut tables = r.read_tables().await?;
    if tables.is_empty() {
        return Err(r.missing_select(
            STEP_TABLES,
            "information_schema lists no table outside the system databases to this account; it lists only tables the account holds a privilege on",
        ));
    }
    r.read_columns(&mut tables).await?;
    r.read_keys(&mut tables).await?;
    r.read_foreign_keys(&mut tables).await?;
    r.read_triggers(&mut tables).await?;
    r.check_trigger_privilege(&tables).await;
    tracing::info!(server = %label, tables = tables.len(), "read the schema from information_schema");
    Ok(Schema {
        tables: tables.into_iter().map(|(k, t)| (k, t.table)).collect(),
        warnings: r.warnings,
        flavor: r.flavor,
    })
}

const STEP_VERSION: &str = "reading the server version";
const STEP_TABLES: &str = "listing the tables (information_schema.TABLES)";
const STEP_COLUMNS: &str = "reading the columns (information_schema.COLUMNS)";
const STEP_KEYS: &str = "reading the unique keys (information_schema.STATISTICS)";
const STEP_FKS: &str = "reading the foreign keys (information_schema.REFERENTIAL_CONSTRAINTS)";
const STEP_FK_COLUMNS: &str =
    "reading the foreign key columns (information_schema.KEY_COLUMN_USAGE)";
const STEP_TRIGGERS: &str = "reading the triggers (information_schema.TRIGGERS)";
const STEP_GRANTS: &str = "checking the TRIGGER privilege (information_schema.*_PRIVILEGES)";

/// A table being assembled, with the facts needed on the way.
struct Building {
    table: TableSchema,
    /// Whether the columns were read (a table without visible columns is refused).
    has_columns: bool,
}

type Tables = BTreeMap<(String, String), Building>;

/// A key's parts from `STATISTICS`: `SEQ_IN_INDEX`, `COLUMN_NAME` (NULL for a
/// functional part), `SUB_PART`.
type KeyParts = Vec<(u64, Option<String>, Option<u64>)>;

struct Reader<'a> {
    conn: &'a mut Conn,
    label: &'a str,
    skip: Vec<String>,
    flavor: Flavor,
    warnings: Vec<SchemaWarning>,
}

/// A backtick-quoted identifier.
fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `db`.`table` for messages.
fn object(db: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(db), quote_ident(table))
}

/// Words of `COLUMNS.EXTRA`, uppercased: `VIRTUAL GENERATED, INVISIBLE` →
/// `[VIRTUAL, GENERATED, INVISIBLE]`.
fn extra_words(extra: &str) -> Vec<String> {
    extra
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// `user@host` of `CURRENT_USER()` as `information_schema` spells a grantee.
fn grantee(current_user: &str) -> Option<String> {
    let (user, host) = current_user.rsplit_once('@')?;
    Some(format!("'{user}'@'{host}'"))
}

/// SQL `LIKE` with `%`, `_` and `\` escapes, as grant tables match database names.
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| t.get(i..).is_some_and(|s| go(rest, s))),
            Some(('_', rest)) => t.split_first().is_some_and(|(_, ts)| go(rest, ts)),
            Some(('\\', rest)) if !rest.is_empty() => match (rest.split_first(), t.split_first()) {
                (Some((pc, pr)), Some((tc, tr))) => pc == tc && go(pr, tr),
                _ => false,
            },
            Some((pc, rest)) => t
                .split_first()
                .is_some_and(|(tc, tr)| pc == tc && go(rest, tr)),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Server error codes of a refusal: access denied to a database, a table, a
/// column, or a privilege missing.
fn refused(e: &mysql_async::Error) -> bool {
    matches!(server_code(e), Some(1044 | 1142 | 1143 | 1227))
}

impl Reader<'_> {
    fn missing_select(&self, step: &str, detail: &str) -> LiveError {
        LiveError::MissingPrivilege {
            server: self.label.to_owned(),
            step: step.to_owned(),
            privilege: "SELECT".to_owned(),
            grant: "SELECT".to_owned(),
            detail: detail.to_owned(),
        }
    }

    fn protocol(&self, step: &str, detail: String) -> LiveError {
        LiveError::Protocol {
            server: self.label.to_owned(),
            step: step.to_owned(),
            detail,
        }
    }

    fn warn(&mut self, message: String) {
        tracing::debug!(server = %self.label, %message, "schema warning");
        self.warnings.push(SchemaWarning { line: 0, message });
    }

    /// `NOT IN (?, …)` over the skipped databases, and their values.
    fn skipped(&self) -> (String, Vec<Value>) {
        let marks = vec!["?"; self.skip.len()].join(", ");
        let values = self.skip.iter().map(|s| Value::from(s.as_str())).collect();
        (format!("NOT IN ({marks})"), values)
    }

    /// A statement with bound parameters; a refusal names SELECT.
    async fn exec(
        &mut self,
        step: &str,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Row>, LiveError> {
        match self.conn.exec::<Row, _, _>(sql, params).await {
            Ok(rows) => Ok(rows),
            Err(e) if refused(&e) => Err(self.missing_select(step, &e.to_string())),
            Err(source) => Err(LiveError::Query {
                server: self.label.to_owned(),
                step: step.to_owned(),
                source,
            }),
        }
    }

    /// A statement without parameters (text protocol).
    async fn query(&mut self, step: &str, sql: &str) -> Result<Vec<Row>, LiveError> {
        match self.conn.query::<Row, _>(sql).await {
            Ok(rows) => Ok(rows),
            Err(e) if refused(&e) => Err(self.missing_select(step, &e.to_string())),
            Err(source) => Err(LiveError::Query {
                server: self.label.to_owned(),
                step: step.to_owned(),
                source,
            }),
        }
    }

    /// Column `index` (called `name`) of a row; NULL or a missing column is an error.
    fn get<T: FromValue>(
        &self,
        row: &Row,
        index: usize,
        name: &str,
        step: &str,
    ) -> Result<T, LiveError> {
        match row.get_opt::<T, usize>(index) {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) if e.0 == Value::NULL => {
                Err(self.protocol(step, format!("column {name} is NULL")))
            }
            Some(Err(e)) => Err(self.protocol(
                step,
                format!("column {name} holds an unexpected value ({:?})", e.0),
            )),
            None => Err(self.protocol(step, format!("column {name} is missing"))),
        }
    }

    /// A column that may be NULL.
    fn opt<T: FromValue>(
        &self,
        row: &Row,
        index: usize,
        name: &str,
        step: &str,
    ) -> Result<Option<T>, LiveError> {
        self.get::<Option<T>>(row, index, name, step)
    }

    async fn read_flavor(&mut self) -> Result<Flavor, LiveError> {
        let rows = self.query(STEP_VERSION, "SELECT @@version").await?;
        let row = rows
            .first()
            .ok_or_else(|| self.protocol(STEP_VERSION, "no row returned".to_owned()))?;
        let version: String = self.get(row, 0, "@@version", STEP_VERSION)?;
        Ok(if version.contains("MariaDB") {
            Flavor::MariaDb
        } else if version.starts_with("5.") {
            Flavor::MySql57
        } else {
            Flavor::MySql80
        })
    }

    async fn read_tables(&mut self) -> Result<Tables, LiveError> {
        let (not_in, params) = self.skipped();
        let sql = format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES \
             WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA {not_in}"
        );
        let rows = self.exec(STEP_TABLES, &sql, params).await?;
        let mut tables = Tables::new();
        for row in &rows {
            let db: String = self.get(row, 0, "TABLE_SCHEMA", STEP_TABLES)?;
            let name: String = self.get(row, 1, "TABLE_NAME", STEP_TABLES)?;
            let engine: Option<String> = self.opt(row, 2, "ENGINE", STEP_TABLES)?;
            let table_collation: Option<String> =
                self.opt(row, 3, "TABLE_COLLATION", STEP_TABLES)?;
            let default_collation =
                table_collation.map(|c| collation::normalize_collation_name(&c));
            let default_charset = default_collation.as_deref().and_then(collation::charset_of);
            tables.insert(
                (db.clone(), name.clone()),
                Building {
                    table: TableSchema {
                        schema: db,
                        name,
                        columns: Vec::new(),
                        primary_key: None,
                        unique_keys: Vec::new(),
                        foreign_keys: Vec::new(),
                        triggers: Vec::new(),
                        default_charset,
                        default_collation,
                        engine,
                    },
                    has_columns: false,
                },
            );
        }
        Ok(tables)
    }

    async fn read_columns(&mut self, tables: &mut Tables) -> Result<(), LiveError> {
        let (not_in, params) = self.skipped();
        let sql = format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, \
             CHARACTER_SET_NAME, COLLATION_NAME, EXTRA, GENERATION_EXPRESSION \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA {not_in}"
        );
        let rows = self.exec(STEP_COLUMNS, &sql, params).await?;
        let mut columns: BTreeMap<(String, String), Vec<(u64, ColumnSchema)>> = BTreeMap::new();
        for row in &rows {
            let db: String = self.get(row, 0, "TABLE_SCHEMA", STEP_COLUMNS)?;
            let table: String = self.get(row, 1, "TABLE_NAME", STEP_COLUMNS)?;
            if !tables.contains_key(&(db.clone(), table.clone())) {
                continue; // a view's columns
            }
            let column = self.column(row, &db, &table)?;
            let position: u64 = self.get(row, 3, "ORDINAL_POSITION", STEP_COLUMNS)?;
            columns
                .entry((db, table))
                .or_default()
                .push((position, column));
        }
        for (key, mut cols) in columns {
            let Some(building) = tables.get_mut(&key) else {
                continue;
            };
            cols.sort_by_key(|(p, _)| *p);
            for (n, (position, mut column)) in cols.into_iter().enumerate() {
                if u64::try_from(n + 1).ok() != Some(position) {
                    return Err(self.missing_select(
                        STEP_COLUMNS,
                        &format!(
                            "information_schema shows only some columns of {} to this account (column {} of the table is not shown)",
                            object(&key.0, &key.1),
                            n + 1
                        ),
                    ));
                }
                column.position = n;
                building.table.columns.push(column);
            }
            building.has_columns = true;
        }
        if let Some(((db, table), _)) = tables.iter().find(|(_, b)| !b.has_columns) {
            return Err(self.missing_select(
                STEP_COLUMNS,
                &format!(
                    "information_schema shows no column of {} to this account",
                    object(db, table)
                ),
            ));
        }
        Ok(())
    }

    /// One `COLUMNS` row as the model's column (position set by the caller).
    fn column(&self, row: &Row, db: &str, table: &str) -> Result<ColumnSchema, LiveError> {
        let name: String = self.get(row, 2, "COLUMN_NAME", STEP_COLUMNS)?;
        let column_type: String = self.get(row, 4, "COLUMN_TYPE", STEP_COLUMNS)?;
        let is_nullable: String = self.get(row, 5, "IS_NULLABLE", STEP_COLUMNS)?;
        let charset: Option<String> = self.opt(row, 6, "CHARACTER_SET_NAME", STEP_COLUMNS)?;
        let coll: Option<String> = self.opt(row, 7, "COLLATION_NAME", STEP_COLUMNS)?;
        let extra: Option<String> = self.opt(row, 8, "EXTRA", STEP_COLUMNS)?;
        let expression: Option<String> = self.opt(row, 9, "GENERATION_EXPRESSION", STEP_COLUMNS)?;
        let what = || format!("{}.{}", object(db, table), quote_ident(&name));
        let definition = |what_part: &str, source| LiveError::Definition {
            server: self.label.to_owned(),
            what: what_part.to_owned(),
            object: what(),
            source: Box::new(source),
        };
        let ty =
            catalog::column_type(&column_type).map_err(|e| definition("the column type", e))?;
        let words = extra_words(extra.as_deref().unwrap_or_default());
        let has = |w: &str| words.iter().any(|x| x == w);
        let generated = match expression.filter(|e| !e.trim().is_empty()) {
            Some(expr) if has("VIRTUAL") || has("STORED") || has("PERSISTENT") => Some(Generated {
                expr: catalog::generation_expression(&expr)
                    .map_err(|e| definition("the generation expression", e))?,
                stored: has("STORED") || has("PERSISTENT"),
            }),
            _ => None,
        };
        let (charset, collation) = if ty.is_character() {
            let coll = coll.map(|c| collation::normalize_collation_name(&c));
            let charset = charset
                .map(|c| collation::normalize_charset_name(&c))
                .or_else(|| coll.as_deref().and_then(collation::charset_of));
            (charset, coll)
        } else {
            (None, None)
        };
        Ok(ColumnSchema {
            name,
            position: 0,
            data_type: ty.data_type,
            type_params: ty.type_params,
            unsigned: ty.unsigned,
            nullable: is_nullable.eq_ignore_ascii_case("YES"),
            charset,
            collation,
            auto_increment: has("AUTO_INCREMENT"),
            generated,
            invisible: has("INVISIBLE"),
        })
    }

    async fn read_keys(&mut self, tables: &mut Tables) -> Result<(), LiveError> {
        let (not_in, params) = self.skipped();
        let sql = format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART \
             FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0 AND TABLE_SCHEMA {not_in}"
        );
        let rows = self.exec(STEP_KEYS, &sql, params).await?;
        // Per table, keys in the order first seen, with their parts.
        let mut keys: BTreeMap<(String, String), Vec<(String, KeyParts)>> = BTreeMap::new();
        for row in &rows {
            let db: String = self.get(row, 0, "TABLE_SCHEMA", STEP_KEYS)?;
            let table: String = self.get(row, 1, "TABLE_NAME", STEP_KEYS)?;
            if !tables.contains_key(&(db.clone(), table.clone())) {
                continue;
            }
            let index: String = self.get(row, 2, "INDEX_NAME", STEP_KEYS)?;
            let seq: u64 = self.get(row, 3, "SEQ_IN_INDEX", STEP_KEYS)?;
            let column: Option<String> = self.opt(row, 4, "COLUMN_NAME", STEP_KEYS)?;
            let sub_part: Option<u64> = self.opt(row, 5, "SUB_PART", STEP_KEYS)?;
            let list = keys.entry((db, table)).or_default();
            match list.iter_mut().find(|(n, _)| *n == index) {
                Some((_, parts)) => parts.push((seq, column, sub_part)),
                None => list.push((index, vec![(seq, column, sub_part)])),
            }
        }
        for ((db, table), mut list) in keys {
            if list.iter().filter(|(n, _)| n != "PRIMARY").count() > 1 {
                let order = self.key_order(&db, &table).await?;
                // Stable: keys SHOW INDEX does not name keep their relative order, last.
                list.sort_by_key(|(n, _)| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
            }
            let Some(building) = tables.get_mut(&(db.clone(), table.clone())) else {
                continue;
            };
            for (index, mut parts) in list {
                parts.sort_by_key(|(seq, _, _)| *seq);
                let key = match self.key(&building.table, &index, parts)? {
                    Ok(key) => key,
                    Err(why) => {
                        self.warn(format!(
                            "unique key {index} of `{table}` not modelled: {why}"
                        ));
                        continue;
                    }
                };
                if index == "PRIMARY" {
                    building.table.primary_key = Some(Key { name: None, ..key });
                } else {
                    building.table.unique_keys.push(key);
                }
            }
        }
        Ok(())
    }

    /// A key from its parts; `Ok(Err(why))` for a key the model leaves out (a
    /// functional part), as the dump parser does.
    fn key(
        &self,
        table: &TableSchema,
        index: &str,
        parts: KeyParts,
    ) -> Result<Result<Key, String>, LiveError> {
        let mut columns = Vec::new();
        for (_, column, sub_part) in parts {
            let Some(column) = column else {
                return Ok(Err("functional key part".to_owned()));
            };
            let Some(c) = table.column(&column) else {
                return Err(self.missing_select(
                    STEP_KEYS,
                    &format!(
                        "key {index} of {} names column `{column}`, which information_schema.COLUMNS does not show to this account",
                        object(&table.schema, &table.name)
                    ),
                ));
            };
            let prefix_len = sub_part
                .map(|n| {
                    u32::try_from(n).map_err(|_| {
                        self.protocol(
                            STEP_KEYS,
                            format!("SUB_PART {n} of key {index} is out of range"),
                        )
                    })
                })
                .transpose()?;
            columns.push(KeyPart {
                column: c.name.clone(),
                prefix_len,
            });
        }
        Ok(Ok(Key {
            name: Some(index.to_owned()),
            columns,
        }))
    }

    /// The table's key names in the server's key order (`SHOW INDEX`, which on MySQL 8
    /// is ordered by index position and on MariaDB follows the table's keys).
    async fn key_order(&mut self, db: &str, table: &str) -> Result<Vec<String>, LiveError> {
        let sql = format!(
            "SHOW INDEX FROM {} FROM {}",
            quote_ident(table),
            quote_ident(db)
        );
        let step = format!(
            "reading the key order of {} (SHOW INDEX)",
            object(db, table)
        );
        let rows = self.query(&step, &sql).await?;
        let mut order: Vec<String> = Vec::new();
        for row in &rows {
            let name: String = self.get(row, 2, "Key_name", &step)?;
            if !order.contains(&name) {
                order.push(name);
            }
        }
        Ok(order)
    }

    async fn read_foreign_keys(&mut self, tables: &mut Tables) -> Result<(), LiveError> {
        let (not_in, params) = self.skipped();
        let sql = format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, \
             REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE REFERENCED_TABLE_NAME IS NOT NULL AND TABLE_SCHEMA {not_in}"
        );
        let rows = self.exec(STEP_FK_COLUMNS, &sql, params.clone()).await?;
        struct Part {
            position: u64,
            column: String,
            ref_schema: String,
            ref_table: String,
            ref_column: String,
        }
        let mut parts: BTreeMap<(String, String, String), Vec<Part>> = BTreeMap::new();
        for row in &rows {
            let s = STEP_FK_COLUMNS;
            let key = (
                self.get(row, 0, "TABLE_SCHEMA", s)?,
                self.get(row, 1, "TABLE_NAME", s)?,
                self.get(row, 2, "CONSTRAINT_NAME", s)?,
            );
            let part = Part {
                position: self.get(row, 3, "ORDINAL_POSITION", s)?,
                column: self.get(row, 4, "COLUMN_NAME", s)?,
                ref_schema: self.get(row, 5, "REFERENCED_TABLE_SCHEMA", s)?,
                ref_table: self.get(row, 6, "REFERENCED_TABLE_NAME", s)?,
                ref_column: self.get(row, 7, "REFERENCED_COLUMN_NAME", s)?,
            };
            parts.entry(key).or_default().push(part);
        }
        let sql = format!(
            "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
             FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA {not_in}"
        );
        let rows = self.exec(STEP_FKS, &sql, params).await?;
        for row in &rows {
            let s = STEP_FKS;
            let db: String = self.get(row, 0, "CONSTRAINT_SCHEMA", s)?;
            let table: String = self.get(row, 1, "TABLE_NAME", s)?;
            let name: String = self.get(row, 2, "CONSTRAINT_NAME", s)?;
            let on_update = self.rule(&self.get::<String>(row, 3, "UPDATE_RULE", s)?)?;
            let on_delete = self.rule(&self.get::<String>(row, 4, "DELETE_RULE", s)?)?;
            let Some(building) = tables.get_mut(&(db.clone(), table.clone())) else {
                continue;
            };
            let Some(mut fk_parts) = parts.remove(&(db.clone(), table.clone(), name.clone()))
            else {
                return Err(self.protocol(
                    STEP_FK_COLUMNS,
                    format!(
                        "foreign key `{name}` of {} has no columns in KEY_COLUMN_USAGE",
                        object(&db, &table)
                    ),
                ));
            };
            fk_parts.sort_by_key(|p| p.position);
            let mut columns = Vec::new();
            for p in &fk_parts {
                let Some(c) = building.table.column(&p.column) else {
                    return Err(self.missing_select(
                        STEP_FK_COLUMNS,
                        &format!(
                            "foreign key `{name}` of {} names column `{}`, which information_schema.COLUMNS does not show to this account",
                            object(&db, &table),
                            p.column
                        ),
                    ));
                };
                columns.push(c.name.clone());
            }
            let (ref_schema, ref_table) = fk_parts
                .first()
                .map(|p| (p.ref_schema.clone(), p.ref_table.clone()))
                .unwrap_or_default();
            building.table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                ref_schema,
                ref_table,
                ref_columns: fk_parts.iter().map(|p| p.ref_column.clone()).collect(),
                on_delete,
                on_update,
            });
        }
        Ok(())
    }

    /// A referential rule as the dump parser would read `SHOW CREATE TABLE`.
    fn rule(&self, rule: &str) -> Result<FkAction, LiveError> {
        Ok(match rule.to_ascii_uppercase().as_str() {
            "RESTRICT" => FkAction::Restrict,
            "CASCADE" => FkAction::Cascade,
            "SET NULL" => FkAction::SetNull,
            "SET DEFAULT" => FkAction::SetDefault,
            // MySQL 8 stores an absent clause as NO ACTION and does not print it.
            "NO ACTION" if self.flavor == Flavor::MySql80 => FkAction::Restrict,
            "NO ACTION" => FkAction::NoAction,
            other => {
                return Err(self.protocol(STEP_FKS, format!("unknown referential rule `{other}`")))
            }
        })
    }

    async fn read_triggers(&mut self, tables: &mut Tables) -> Result<(), LiveError> {
        let (not_in, params) = self.skipped();
        let sql = format!(
            "SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING \
             FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA {not_in} \
             ORDER BY EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, FIELD(EVENT_MANIPULATION, 'INSERT', 'UPDATE', 'DELETE'), \
             FIELD(ACTION_TIMING, 'BEFORE', 'AFTER'), ACTION_ORDER"
        );
        let rows = self.exec(STEP_TRIGGERS, &sql, params).await?;
        for row in &rows {
            let s = STEP_TRIGGERS;
            let db: String = self.get(row, 0, "EVENT_OBJECT_SCHEMA", s)?;
            let table: String = self.get(row, 1, "EVENT_OBJECT_TABLE", s)?;
            let name: String = self.get(row, 2, "TRIGGER_NAME", s)?;
            let event: String = self.get(row, 3, "EVENT_MANIPULATION", s)?;
            let timing: String = self.get(row, 4, "ACTION_TIMING", s)?;
            let timing = match timing.to_ascii_uppercase().as_str() {
                "BEFORE" => TriggerTiming::Before,
                "AFTER" => TriggerTiming::After,
                other => {
                    self.warn(format!(
                        "trigger `{name}` with unsupported timing {other} skipped"
                    ));
                    continue;
                }
            };
            // A trigger for several events counts as its first, as in a dump.
            let first = event
                .split(|c: char| !c.is_ascii_alphabetic())
                .find(|w| !w.is_empty())
                .unwrap_or_default()
                .to_ascii_uppercase();
            let event = match first.as_str() {
                "INSERT" => TriggerEvent::Insert,
                "UPDATE" => TriggerEvent::Update,
                "DELETE" => TriggerEvent::Delete,
                _ => {
                    self.warn(format!(
                        "trigger `{name}` with unsupported event {event} skipped"
                    ));
                    continue;
                }
            };
            match tables.get_mut(&(db.clone(), table.clone())) {
                Some(b) => b.table.triggers.push(Trigger {
                    name,
                    timing,
                    event,
                    table,
                }),
                None => self.warn(format!(
                    "trigger `{name}` is on unknown table `{db}`.`{table}`; skipped"
                )),
            }
        }
        Ok(())
    }

    /// Warns about tables whose triggers the account may not see: it holds TRIGGER
    /// neither globally, nor on the database, nor on the table. Privileges held
    /// through a role are not seen here, so such a warning can be a false alarm; a
    /// check that cannot run is a warning too.
    async fn check_trigger_privilege(&mut self, tables: &Tables) {
        match self.trigger_grants().await {
            Ok(None) => {}
            Ok(Some((schemas, table_grants))) => {
                let mut uncovered: BTreeMap<&str, usize> = BTreeMap::new();
                for (db, table) in tables.keys() {
                    let covered = schemas.iter().any(|p| like(p, db))
                        || table_grants.iter().any(|(d, t)| d == db && t == table);
                    if !covered {
                        *uncovered.entry(db.as_str()).or_default() += 1;
                    }
                }
                for (db, n) in uncovered {
                    self.warn(format!(
                        "this account holds no TRIGGER privilege on {n} table(s) of `{db}`; information_schema lists no triggers of those to it, so their triggers are unknown (GRANT TRIGGER ON {}.* TO the account to read them)",
                        quote_ident(db)
                    ));
                }
            }
            Err(e) => self.warn(format!("could not check the TRIGGER privilege: {e}")),
        }
    }

    /// `None` when the account holds TRIGGER globally; else the database patterns
    /// and `(database, table)` pairs it holds TRIGGER on.
    async fn trigger_grants(
        &mut self,
    ) -> Result<Option<(Vec<String>, Vec<(String, String)>)>, LiveError> {
        let s = STEP_GRANTS;
        let rows = self.query(s, "SELECT CURRENT_USER()").await?;
        let user: String = match rows.first() {
            Some(row) => self.get(row, 0, "CURRENT_USER()", s)?,
            None => return Err(self.protocol(s, "no row returned".to_owned())),
        };
        let grantee = grantee(&user)
            .ok_or_else(|| self.protocol(s, format!("CURRENT_USER() `{user}` has no host")))?;
        let sql = "SELECT 'global', '', '' FROM information_schema.USER_PRIVILEGES \
                   WHERE GRANTEE = ? AND PRIVILEGE_TYPE = 'TRIGGER' \
                   UNION ALL SELECT 'schema', TABLE_SCHEMA, '' FROM information_schema.SCHEMA_PRIVILEGES \
                   WHERE GRANTEE = ? AND PRIVILEGE_TYPE = 'TRIGGER' \
                   UNION ALL SELECT 'table', TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLE_PRIVILEGES \
                   WHERE GRANTEE = ? AND PRIVILEGE_TYPE = 'TRIGGER'";
        let g = Value::from(grantee.as_str());
        let rows = self.exec(s, sql, vec![g.clone(), g.clone(), g]).await?;
        let mut schemas = Vec::new();
        let mut table_grants = Vec::new();
        for row in &rows {
            let level: String = self.get(row, 0, "level", s)?;
            let db: String = self.get(row, 1, "TABLE_SCHEMA", s)?;
            let table: String = self.get(row, 2, "TABLE_NAME", s)?;
            match level.as_str() {
                "global" => return Ok(None),
                "schema" => schemas.push(db),
                _ => table_grants.push((db, table)),
            }
        }
        Ok(Some((schemas, table_grants)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_words_split_on_commas_and_spaces() {
        assert_eq!(
            extra_words("VIRTUAL GENERATED, INVISIBLE"),
            ["VIRTUAL", "GENERATED", "INVISIBLE"]
        );
        assert_eq!(
            extra_words("DEFAULT_GENERATED on update CURRENT_TIMESTAMP")[0],
            "DEFAULT_GENERATED"
        );
        assert!(extra_words("").is_empty());
    }

    #[test]
    fn like_follows_grant_patterns() {
        assert!(like("app", "app"));
        assert!(like("app\\_%", "app_1"));
        assert!(!like("app\\_%", "appx1"));
        assert!(like("app_1", "appx1"));
        assert!(like("%", "anything"));
        assert!(!like("ap", "app"));
    }

    #[test]
    fn grantees_are_spelled_as_information_schema_does() {
        assert_eq!(
            grantee("ops@127.0.0.1").as_deref(),
            Some("'ops'@'127.0.0.1'")
        );
        assert_eq!(grantee("a@b@%").as_deref(), Some("'a@b'@'%'"));
        assert_eq!(grantee("nohost"), None);
    }
}
