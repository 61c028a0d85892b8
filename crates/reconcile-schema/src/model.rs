//! The table model a diff engine needs: columns, keys, foreign keys and triggers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::collation::ServerFlavor;
use crate::error::SchemaWarning;

/// All tables of a dump, keyed by `(database, table)`.
///
/// Names are compared exactly (case-sensitively), as MySQL and MariaDB do on Linux
/// with the default `lower_case_table_names=0`. Servers running with
/// `lower_case_table_names=1` store names lowercased, and their dumps show them so.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Schema {
    /// Tables by `(database, table)`. Serialized as a list of tables (JSON map keys
    /// must be strings); each table carries its own database and name.
    #[serde(with = "tables_as_list")]
    pub tables: BTreeMap<(String, String), TableSchema>,
    /// Statements skipped or only partly understood.
    pub warnings: Vec<SchemaWarning>,
    /// The server flavor whose defaults were used to resolve collations.
    pub flavor: ServerFlavor,
}

impl Schema {
    /// The table `schema`.`table`, compared case-sensitively.
    pub fn table(&self, schema: &str, table: &str) -> Option<&TableSchema> {
        self.tables.get(&(schema.to_string(), table.to_string()))
    }

    /// Foreign keys of other tables (or of the table itself) that reference
    /// `schema`.`table`, with the referencing table, in table order.
    pub fn children_of<'a>(
        &'a self,
        schema: &'a str,
        table: &'a str,
    ) -> impl Iterator<Item = (&'a TableSchema, &'a ForeignKey)> + 'a {
        self.tables.values().flat_map(move |t| {
            t.foreign_keys
                .iter()
                .filter(move |fk| fk.ref_schema == schema && fk.ref_table == table)
                .map(move |fk| (t, fk))
        })
    }
}

mod tables_as_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::TableSchema;

    type Tables = BTreeMap<(String, String), TableSchema>;

    pub fn serialize<S: Serializer>(tables: &Tables, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(tables.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tables, D::Error> {
        let list = Vec::<TableSchema>::deserialize(d)?;
        Ok(list
            .into_iter()
            .map(|t| ((t.schema.clone(), t.name.clone()), t))
            .collect())
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// The database the table belongs to.
    pub schema: String,
    /// The table name.
    pub name: String,
    /// Columns in table order.
    pub columns: Vec<ColumnSchema>,
    /// The primary key, if any.
    pub primary_key: Option<Key>,
    /// UNIQUE keys in declaration order.
    pub unique_keys: Vec<Key>,
    /// Foreign keys in declaration order.
    pub foreign_keys: Vec<ForeignKey>,
    /// Triggers on this table in dump order.
    pub triggers: Vec<Trigger>,
    /// `DEFAULT CHARSET=` of the table, else of its database.
    pub default_charset: Option<String>,
    /// `COLLATE=` of the table, else the default of its charset, else of its database.
    pub default_collation: Option<String>,
    /// `ENGINE=` as written.
    pub engine: Option<String>,
}

impl TableSchema {
    /// The column named `name` (column names are case-insensitive in MySQL).
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The 0-based position of the column named `name` (case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Whether the column at `idx` is a generated (virtual or stored) column;
    /// `false` when there is no such column.
    pub fn is_generated(&self, idx: usize) -> bool {
        self.columns.get(idx).is_some_and(|c| c.generated.is_some())
    }

    /// The key that identifies a row: the primary key; else the first UNIQUE key
    /// whose columns all exist, are NOT NULL and are used whole (no prefix part);
    /// else `None`.
    ///
    /// Prefix parts are excluded because two rows that differ only after the prefix
    /// would share a key value as seen from full column values, which would not be a
    /// reliable row identity for a diff. InnoDB makes the same choice when it picks a
    /// clustered index for a table without a primary key.
    pub fn identity_key(&self) -> Option<&Key> {
        if let Some(pk) = &self.primary_key {
            return Some(pk);
        }
        self.unique_keys.iter().find(|k| {
            !k.columns.is_empty()
                && k.columns.iter().all(|part| {
                    part.prefix_len.is_none()
                        && self.column(&part.column).is_some_and(|c| !c.nullable)
                })
        })
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// The column name as written.
    pub name: String,
    /// 0-based position in the table (also in the binlog row image).
    pub position: usize,
    /// Lowercase type name, with synonyms mapped to the server's canonical name
    /// (`integer` → `int`, `numeric` → `decimal`, `bool` → `tinyint`, …).
    pub data_type: String,
    /// Length, precision, scale, fractional seconds or labels as written.
    pub type_params: TypeParams,
    /// `UNSIGNED` (also implied by `ZEROFILL`).
    pub unsigned: bool,
    /// Whether the column accepts NULL (`PRIMARY KEY` columns never do).
    pub nullable: bool,
    /// The effective character set of a character column (`char`, `varchar`,
    /// `*text`, `enum`, `set`): its own, else its collation's, else the table's.
    pub charset: Option<String>,
    /// The effective collation of a character column: its own `COLLATE`, else the
    /// default of its own charset, else the table's default. `None` for
    /// non-character columns; `"binary"` for `CHARACTER SET binary`.
    pub collation: Option<String>,
    /// `AUTO_INCREMENT`.
    pub auto_increment: bool,
    /// The generation expression of a generated column.
    pub generated: Option<Generated>,
    /// `INVISIBLE` (MySQL 8.0.23+, MariaDB 10.3+).
    pub invisible: bool,
}

/// Type parameters as written; absent ones are `None`/empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TypeParams {
    /// Length of string/binary/bit types, or the display width of integer types
    /// (`int(11)`) and `year(4)`.
    pub length: Option<u64>,
    /// Precision of `decimal`/`float`/`double` (`decimal(10,2)` → 10).
    pub precision: Option<u64>,
    /// Scale of `decimal`/`float`/`double` (`decimal(10,2)` → 2; `decimal(10)` → 0).
    pub scale: Option<u64>,
    /// Fractional seconds precision of `time`/`datetime`/`timestamp`.
    pub fsp: Option<u64>,
    /// Labels of `enum`/`set`, in order (unescaped).
    pub labels: Vec<String>,
}

/// The expression of a generated column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// The expression, as re-printed by sqlparser.
    pub expr: String,
    /// `STORED`/`PERSISTENT` (`true`) or `VIRTUAL` (`false`, the default).
    pub stored: bool,
}

/// A primary or unique key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The key's name (`None` for the primary key and unnamed keys).
    pub name: Option<String>,
    /// Key parts in key order (not column order).
    pub columns: Vec<KeyPart>,
}

impl Key {
    /// The column names of the key, in key order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|p| p.column.as_str())
    }
}

/// One part of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPart {
    /// The column name.
    pub column: String,
    /// Prefix length of a prefix part (`name(10)` → 10).
    pub prefix_len: Option<u32>,
}

/// A foreign key of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint name, if given.
    pub name: Option<String>,
    /// The referencing columns in this table.
    pub columns: Vec<String>,
    /// The referenced table's database (this table's own when not qualified).
    pub ref_schema: String,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns, matching `columns` one to one.
    pub ref_columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: FkAction,
    /// `ON UPDATE` action.
    pub on_update: FkAction,
}

/// A referential action; `Restrict` when the clause is absent (as InnoDB behaves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FkAction {
    /// `RESTRICT` (also the behaviour when no action is given).
    #[default]
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `NO ACTION` (same as `RESTRICT` in InnoDB).
    NoAction,
    /// `SET DEFAULT` (rejected by InnoDB, parsed anyway).
    SetDefault,
}

/// A trigger, attached to its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// The trigger name.
    pub name: String,
    /// `BEFORE` or `AFTER`.
    pub timing: TriggerTiming,
    /// The row event that fires it.
    pub event: TriggerEvent,
    /// The table it is defined on.
    pub table: String,
}

/// When a trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerTiming {
    /// `BEFORE`.
    Before,
    /// `AFTER`.
    After,
}

/// Which row event fires a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerEvent {
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}
