//! What the engine knows about a table: column names, its identity key, unique keys,
//! foreign keys and triggers, from the binlog's TABLE_MAP and `--schema` together.

use reconcile_binlog::{ColumnType, TableDescription};
use reconcile_schema::{FkAction, Schema, TableSchema};

use crate::collation::CompareRule;
use crate::model::Kind;

/// A foreign key of the table, resolved to column positions.
#[derive(Debug, Clone)]
pub(crate) struct ForeignKeyInfo {
    /// Positions of the referencing columns in this table.
    pub columns: Vec<usize>,
    /// The referenced table.
    pub parent: (String, String),
    /// Referenced column names, in the foreign key's order.
    pub parent_columns: Vec<String>,
    /// What a parent delete does to this row on the server (not logged as rows).
    pub on_delete: FkAction,
    /// What a change of the parent's key does to this row (not logged as rows).
    pub on_update: FkAction,
}

/// Everything the engine needs to know about one table layout.
#[derive(Debug, Clone)]
pub(crate) struct TableInfo {
    pub schema: String,
    pub table: String,
    /// Column names in table order (`@N` when neither binlog nor schema names them).
    pub columns: Vec<String>,
    /// Generated columns (never written, never compared).
    pub generated: Vec<bool>,
    /// How each character column compares for identity and uniqueness.
    pub collations: Vec<Option<CompareRule>>,
    /// Identity key column positions in key order; `None`: the whole row.
    pub identity: Option<Vec<usize>>,
    /// The identity is a single AUTO_INCREMENT column.
    pub identity_auto_increment: bool,
    /// Unique keys other than the identity, as column positions (whole columns only).
    pub unique_keys: Vec<Vec<usize>>,
    /// Foreign keys of this table.
    pub foreign_keys: Vec<ForeignKeyInfo>,
    /// Tables whose foreign keys cascade deletes from this table.
    pub cascades_to: Vec<String>,
    /// Why every item of this table needs review, whatever else holds.
    pub problems: Vec<(Kind, String)>,
}

/// Coarse type families, enough to notice that a table map and `--schema` describe
/// different tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Integer,
    Decimal,
    Float,
    Bit,
    Enum,
    Set,
    Year,
    Date,
    Time,
    DateTime,
    Timestamp,
    Text,
    Json,
    Geometry,
    Other,
}

fn binlog_family(ty: &ColumnType) -> Family {
    match ty {
        ColumnType::Tiny
        | ColumnType::Short
        | ColumnType::Int24
        | ColumnType::Long
        | ColumnType::LongLong => Family::Integer,
        ColumnType::Decimal { .. } | ColumnType::OldDecimal => Family::Decimal,
        ColumnType::Float | ColumnType::Double => Family::Float,
        ColumnType::Bit { .. } => Family::Bit,
        ColumnType::Enum { .. } => Family::Enum,
        ColumnType::Set { .. } => Family::Set,
        ColumnType::Year => Family::Year,
        ColumnType::Date | ColumnType::NewDate => Family::Date,
        ColumnType::Time | ColumnType::Time2 { .. } => Family::Time,
        ColumnType::DateTime | ColumnType::DateTime2 { .. } => Family::DateTime,
        ColumnType::Timestamp | ColumnType::Timestamp2 { .. } => Family::Timestamp,
        ColumnType::Varchar { .. }
        | ColumnType::VarString { .. }
        | ColumnType::Char { .. }
        | ColumnType::Blob { .. } => Family::Text,
        ColumnType::Json { .. } => Family::Json,
        ColumnType::Geometry { .. } => Family::Geometry,
        _ => Family::Other,
    }
}

fn schema_family(data_type: &str) -> Family {
    match data_type {
        "tinyint" | "smallint" | "mediumint" | "int" | "bigint" | "boolean" | "bool" => {
            Family::Integer
        }
        "decimal" | "numeric" | "dec" | "fixed" => Family::Decimal,
        "float" | "double" | "real" | "double precision" => Family::Float,
        "bit" => Family::Bit,
        "enum" => Family::Enum,
        "set" => Family::Set,
        "year" => Family::Year,
        "date" => Family::Date,
        "time" => Family::Time,
        "datetime" => Family::DateTime,
        "timestamp" => Family::Timestamp,
        // MariaDB's JSON is LONGTEXT; INET4/INET6/UUID travel as fixed binary strings.
        "json" => Family::Json,
        "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" | "geomcollection" => Family::Geometry,
        _ => Family::Text,
    }
}

fn families_agree(binlog: Family, schema: Family) -> bool {
    binlog == schema
        || binlog == Family::Other
        // MariaDB writes JSON as a BLOB; MySQL's enum/set columns travel as STRING
        // when the binlog lacks the real type.
        || (binlog == Family::Text && matches!(schema, Family::Json | Family::Enum | Family::Set))
        || (binlog == Family::Json && schema == Family::Text)
}

impl TableInfo {
    /// Resolves a TABLE_MAP against `--schema` (when given).
    pub fn resolve(desc: &TableDescription, schema: Option<&Schema>) -> TableInfo {
        let binlog_names: Option<Vec<String>> =
            desc.columns.iter().map(|c| c.name.clone()).collect();
        let mut problems = Vec::new();
        let table_schema = schema.and_then(|s| s.table(&desc.schema, &desc.table));
        let gipk = table_schema.is_some_and(|ts| is_gipk(desc, ts));
        let layout_ok =
            table_schema.map(|ts| check_layout(desc, ts, binlog_names.as_deref(), gipk));
        let mut info = TableInfo {
            schema: desc.schema.clone(),
            table: desc.table.clone(),
            columns: Vec::new(),
            generated: vec![false; desc.columns.len()],
            collations: desc
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    c.collation.and_then(CompareRule::from_id).or_else(|| {
                        table_schema
                            .and_then(|ts| ts.columns.get(i))
                            .and_then(|sc| sc.collation.as_deref())
                            .and_then(CompareRule::from_name)
                    })
                })
                .collect(),
            identity: None,
            identity_auto_increment: false,
            unique_keys: Vec::new(),
            foreign_keys: Vec::new(),
            cascades_to: Vec::new(),
            problems: Vec::new(),
        };
        info.columns = match (&binlog_names, table_schema, &layout_ok) {
            (Some(names), _, _) => names.clone(),
            (None, Some(ts), Some(Ok(()))) => ts.columns.iter().map(|c| c.name.clone()).collect(),
            _ => (1..=desc.columns.len()).map(|n| format!("@{n}")).collect(),
        };
        match (schema, table_schema, layout_ok) {
            (None, _, _) => problems.push((
                Kind::SchemaUnknown,
                "no --schema given: unique keys and foreign keys are unknown".to_owned(),
            )),
            (Some(_), None, _) => problems.push((
                Kind::SchemaUnknown,
                format!("{}.{} is not in --schema", desc.schema, desc.table),
            )),
            (Some(s), Some(ts), Some(Err(why))) => {
                problems.push((Kind::SchemaMismatch, why));
                info.use_binlog_identity(desc, &mut problems);
                info.add_schema_links(s, ts);
            }
            (Some(s), Some(ts), _) => {
                info.use_schema(ts, gipk, &mut problems);
                info.add_schema_links(s, ts);
            }
        }
        // Without usable schema knowledge, the binlog's own primary key still
        // identifies rows (the items are review anyway).
        if info.identity.is_none() && !problems.iter().any(|(k, _)| *k == Kind::NoKey) {
            info.use_binlog_identity(desc, &mut problems);
        }
        info.check_collations(&mut problems);
        info.problems = problems;
        info
    }

    /// Identity and unique-key columns whose collation cannot be evaluated exactly
    /// (a case-insensitive collation of a charset this code does not decode).
    fn check_collations(&self, problems: &mut Vec<(Kind, String)>) {
        let key_columns = self
            .identity
            .iter()
            .flatten()
            .chain(self.unique_keys.iter().flatten());
        for &c in key_columns {
            if self
                .collations
                .get(c)
                .copied()
                .flatten()
                .is_some_and(|r| r.is_uncertain())
            {
                problems.push((
                    Kind::SchemaUnknown,
                    format!(
                        "key column `{}` uses a case-insensitive collation of a character set reconcile does not decode: key equality cannot be decided exactly",
                        self.columns.get(c).map(String::as_str).unwrap_or("?")
                    ),
                ));
            }
        }
    }

    /// Identity from the binlog's PRIMARY KEY metadata (MySQL 8 / MariaDB FULL).
    fn use_binlog_identity(&mut self, desc: &TableDescription, problems: &mut Vec<(Kind, String)>) {
        if self.identity.is_some() {
            return;
        }
        match &desc.primary_key {
            Some(pk) if !pk.is_empty() && pk.iter().all(|(_, prefix)| *prefix == 0) => {
                let cols: Vec<usize> = pk.iter().map(|(c, _)| *c as usize).collect();
                if cols.iter().all(|&c| c < desc.columns.len()) {
                    self.identity = Some(cols);
                    return;
                }
                problems.push((
                    Kind::NoKey,
                    "the binlog's primary key names columns the table map lacks".to_owned(),
                ));
            }
            Some(pk) if !pk.is_empty() => problems.push((
                Kind::NoKey,
                "the primary key uses column prefixes: rows cannot be identified exactly"
                    .to_owned(),
            )),
            _ => problems.push((
                Kind::NoKey,
                "no primary key and no NOT NULL unique key known: the whole row is the identity"
                    .to_owned(),
            )),
        }
    }

    /// Position of column `name` in the binlog's layout.
    fn at(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    }

    fn use_schema(&mut self, ts: &TableSchema, gipk: bool, problems: &mut Vec<(Kind, String)>) {
        for col in &ts.columns {
            if let Some(i) = self.at(&col.name) {
                if let Some(g) = self.generated.get_mut(i) {
                    *g = col.generated.is_some();
                }
            }
        }
        let columns = self.columns.clone();
        let position = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
        if gipk {
            // MySQL's generated invisible primary key: the table's real primary key,
            // logged in the binlog but absent from a dump that hides it.
            self.identity = Some(vec![0]);
            self.identity_auto_increment = true;
        } else if let Some(key) = ts.identity_key() {
            let cols: Option<Vec<usize>> =
                key.columns.iter().map(|p| position(&p.column)).collect();
            if let Some(cols) = cols {
                self.identity_auto_increment = key.columns.len() == 1
                    && key
                        .columns
                        .first()
                        .and_then(|p| ts.column(&p.column))
                        .is_some_and(|c| c.auto_increment);
                self.identity = Some(cols);
            }
        } else {
            problems.push((
                Kind::NoKey,
                "no primary key and no NOT NULL unique key: the whole row is the identity"
                    .to_owned(),
            ));
        }
        let identity_names: Vec<&str> = if gipk {
            Vec::new()
        } else {
            ts.identity_key()
                .map(|k| k.column_names().collect())
                .unwrap_or_default()
        };
        let mut keys: Vec<&reconcile_schema::Key> = ts.unique_keys.iter().collect();
        if let Some(pk) = &ts.primary_key {
            keys.push(pk);
        }
        for key in keys {
            let names: Vec<&str> = key.column_names().collect();
            if names == identity_names {
                continue;
            }
            if key.columns.iter().any(|p| p.prefix_len.is_some()) {
                // A prefix unique key cannot be checked from full values exactly:
                // comparing whole values may miss a collision of prefixes.
                problems.push((
                    Kind::SchemaUnknown,
                    format!(
                        "unique key {} uses column prefixes and cannot be checked exactly",
                        key.name.as_deref().unwrap_or("?")
                    ),
                ));
                continue;
            }
            if let Some(cols) = names
                .iter()
                .map(|n| position(n))
                .collect::<Option<Vec<usize>>>()
            {
                self.unique_keys.push(cols);
            }
        }
        if !ts.triggers.is_empty() {
            let names: Vec<&str> = ts.triggers.iter().map(|t| t.name.as_str()).collect();
            problems.push((
                Kind::Trigger,
                format!(
                    "{}.{} has triggers ({}): their changes are already in the binlog, replaying would run them again",
                    ts.schema,
                    ts.name,
                    names.join(", ")
                ),
            ));
        }
    }

    fn add_schema_links(&mut self, schema: &Schema, ts: &TableSchema) {
        for fk in &ts.foreign_keys {
            if let Some(columns) = fk
                .columns
                .iter()
                .map(|c| self.at(c))
                .collect::<Option<Vec<usize>>>()
            {
                self.foreign_keys.push(ForeignKeyInfo {
                    columns,
                    parent: (fk.ref_schema.clone(), fk.ref_table.clone()),
                    parent_columns: fk.ref_columns.clone(),
                    on_delete: fk.on_delete,
                    on_update: fk.on_update,
                });
            }
        }
        for (child, fk) in schema.children_of(&ts.schema, &ts.name) {
            if fk.on_delete == FkAction::Cascade {
                self.cascades_to
                    .push(format!("{}.{}", child.schema, child.name));
            }
        }
    }
}

/// Whether the table map and the schema describe the same columns.
/// A MySQL generated invisible primary key (`sql_generate_invisible_primary_key`):
/// the binlog's first column is `my_row_id`, the primary key, and the dump does not
/// show it (MySQL hides it unless `show_gipk_in_create_table_and_information_schema`).
fn is_gipk(desc: &TableDescription, ts: &TableSchema) -> bool {
    desc.columns.len() == ts.columns.len() + 1
        && desc.columns.first().and_then(|c| c.name.as_deref()) == Some("my_row_id")
        && ts.column("my_row_id").is_none()
        && desc.primary_key.as_deref() == Some(&[(0, 0)][..])
}

fn check_layout(
    desc: &TableDescription,
    ts: &TableSchema,
    names: Option<&[String]>,
    gipk: bool,
) -> Result<(), String> {
    if gipk {
        let rest = TableDescription {
            columns: desc.columns[1..].to_vec(),
            ..desc.clone()
        };
        return check_layout(&rest, ts, names.map(|n| &n[1..]), false);
    }
    if desc.columns.len() != ts.columns.len() {
        return Err(format!(
            "the binlog has {} columns for {}.{}, --schema has {}",
            desc.columns.len(),
            desc.schema,
            desc.table,
            ts.columns.len()
        ));
    }
    for (i, (b, s)) in desc.columns.iter().zip(&ts.columns).enumerate() {
        if let Some(names) = names {
            if names
                .get(i)
                .is_some_and(|n| !n.eq_ignore_ascii_case(&s.name))
            {
                return Err(format!(
                    "column {} is `{}` in the binlog and `{}` in --schema",
                    i + 1,
                    names.get(i).map(String::as_str).unwrap_or("?"),
                    s.name
                ));
            }
        }
        if !families_agree(binlog_family(&b.column_type), schema_family(&s.data_type)) {
            return Err(format!(
                "column `{}` is {:?} in the binlog and {} in --schema",
                s.name, b.column_type, s.data_type
            ));
        }
    }
    Ok(())
}
