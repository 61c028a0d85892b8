//! For sources that read a server's catalog (`information_schema`) instead of a dump.
//!
//! A catalog gives most of a definition as plain values (names, positions,
//! nullability, collations), which map onto the model directly. Two pieces stay SQL
//! text: a column's type (`COLUMNS.COLUMN_TYPE`, e.g. `int(10) unsigned zerofill`,
//! `enum('a','b''c')`) and a generated column's expression
//! (`COLUMNS.GENERATION_EXPRESSION`). The server prints both exactly as `SHOW CREATE
//! TABLE`, and so a dump, does; the functions here read them through the same path
//! [`crate::parse_schema`] reads a dump's, so that a schema read from a catalog equals
//! the one parsed from a dump of the same server.

use crate::error::SchemaError;
use crate::model::{Schema, TypeParams};
use crate::parse::{self, ParseOptions};

/// A column type as the model holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    /// Lowercase canonical type name (see [`crate::ColumnSchema::data_type`]).
    pub data_type: String,
    /// Length, precision, scale, fractional seconds or labels.
    pub type_params: TypeParams,
    /// `UNSIGNED` (also implied by `ZEROFILL`).
    pub unsigned: bool,
}

impl ColumnType {
    /// Whether columns of this type have a character set and collation in the model
    /// (`char`, `varchar`, `*text`, `enum`, `set`).
    pub fn is_character(&self) -> bool {
        parse::is_character_type(&self.data_type)
    }
}

/// The one column `c` of a one-table script.
fn only_column(schema: &Schema) -> Option<&crate::ColumnSchema> {
    schema
        .tables
        .values()
        .next()
        .and_then(|t| t.columns.first())
}

fn parse_one(sql: &str) -> Result<Schema, SchemaError> {
    // The flavor only matters for collation defaults, which neither a type nor an
    // expression involves.
    parse::parse(
        sql,
        &ParseOptions {
            flavor: Some(crate::ServerFlavor::MariaDb),
        },
    )
}

fn not_a_column(sql: &str, what: &str) -> SchemaError {
    SchemaError::Parse {
        line: 1,
        column: None,
        message: format!("no {what} found"),
        excerpt: crate::split::excerpt(sql),
    }
}

/// Reads a column type as printed by the server (`information_schema.COLUMNS.COLUMN_TYPE`).
///
/// # Errors
///
/// [`SchemaError::Parse`] when sqlparser cannot read it (a dump showing the same
/// type would fail to parse too).
pub fn column_type(text: &str) -> Result<ColumnType, SchemaError> {
    let sql = format!("CREATE TABLE `d`.`t` (`c` {text})");
    let schema = parse_one(&sql)?;
    let column = only_column(&schema).ok_or_else(|| not_a_column(&sql, "column type"))?;
    Ok(ColumnType {
        data_type: column.data_type.clone(),
        type_params: column.type_params.clone(),
        unsigned: column.unsigned,
    })
}

/// Reads a generated column's expression as printed by the server
/// (`information_schema.COLUMNS.GENERATION_EXPRESSION`) into the model's form
/// ([`crate::Generated::expr`], as sqlparser prints it).
///
/// # Errors
///
/// [`SchemaError::Parse`] when sqlparser cannot read it.
pub fn generation_expression(text: &str) -> Result<String, SchemaError> {
    let sql = format!("CREATE TABLE `d`.`t` (`c` int GENERATED ALWAYS AS ({text}) VIRTUAL)");
    let schema = parse_one(&sql)?;
    only_column(&schema)
        .and_then(|c| c.generated.as_ref())
        .map(|g| g.expr.clone())
        .ok_or_else(|| not_a_column(&sql, "generation expression"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_read_as_in_a_dump() {
        let t = column_type("int(5) unsigned zerofill").unwrap();
        assert_eq!(
            (t.data_type.as_str(), t.type_params.length, t.unsigned),
            ("int", Some(5), true)
        );
        let t = column_type(r"enum('a''b','c\\d','x,y')").unwrap();
        assert_eq!(t.type_params.labels, ["a'b", r"c\d", "x,y"]);
        assert!(t.is_character());
        let t = column_type("decimal(10,2)").unwrap();
        assert_eq!(
            (t.type_params.precision, t.type_params.scale),
            (Some(10), Some(2))
        );
        assert!(!t.is_character());
        assert!(column_type("int(").is_err());
    }

    #[test]
    fn expressions_read_as_in_a_dump() {
        assert_eq!(
            generation_expression("`price` * `qty`").unwrap(),
            "`price` * `qty`"
        );
        assert_eq!(
            generation_expression("concat(`note`,'#',`qty`)").unwrap(),
            "concat(`note`, '#', `qty`)"
        );
        assert!(generation_expression("1 +").is_err());
    }
}
