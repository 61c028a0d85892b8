//! Which tables a logged statement touches: DDL in the window (ALTER, DROP, RENAME,
//! TRUNCATE, CREATE INDEX, ...) and statement-format DML name the tables whose items
//! can no longer be trusted.

use std::ops::ControlFlow;

use sqlparser::ast::{visit_relations, ObjectName, ObjectType, Statement};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// The `(database, table)` pairs `sql` names, with unqualified names placed in
/// `default_schema`. `None` when the statement cannot be parsed (or names a table
/// without a database and no default is known): the caller must then assume the
/// statement may touch any table.
pub fn statement_tables(sql: &str, default_schema: Option<&str>) -> Option<Vec<(String, String)>> {
    let statements = Parser::parse_sql(&MySqlDialect {}, sql).ok()?;
    let mut tables: Vec<(String, String)> = Vec::new();
    let mut complete = true;
    let mut add = |name: &ObjectName| {
        let parts: Option<Vec<String>> = name
            .0
            .iter()
            .map(|p| p.as_ident().map(|i| i.value.clone()))
            .collect();
        match parts.as_deref() {
            Some([db, table]) => tables.push((db.clone(), table.clone())),
            Some([table]) => match default_schema {
                Some(db) => tables.push((db.to_owned(), table.clone())),
                None => complete = false,
            },
            _ => complete = false,
        }
    };
    for statement in &statements {
        // The visitor does not count dropped or renamed tables as relations.
        match statement {
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => names.iter().for_each(&mut add),
            Statement::RenameTable(renames) => {
                for rename in renames {
                    add(&rename.old_name);
                    add(&rename.new_name);
                }
            }
            _ => {}
        }
        let _ = visit_relations(statement, |name| {
            add(name);
            ControlFlow::<()>::Continue(())
        });
    }
    tables.sort();
    tables.dedup();
    complete.then_some(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Option<Vec<String>> {
        statement_tables(sql, Some("shop"))
            .map(|v| v.into_iter().map(|(d, t)| format!("{d}.{t}")).collect())
    }

    #[test]
    fn ddl_names_its_tables() {
        assert_eq!(
            names("ALTER TABLE notes ADD COLUMN author VARCHAR(50) NULL").unwrap(),
            ["shop.notes"]
        );
        assert_eq!(
            names("DROP TABLE IF EXISTS `a`, other.`b`").unwrap(),
            ["other.b", "shop.a"]
        );
        assert_eq!(
            names("RENAME TABLE t1 TO t2, x.t3 TO x.t4").unwrap(),
            ["shop.t1", "shop.t2", "x.t3", "x.t4"]
        );
        assert_eq!(names("TRUNCATE TABLE `we``ird`").unwrap(), ["shop.we`ird"]);
        assert_eq!(
            names("CREATE INDEX ix ON stock (qty)").unwrap(),
            ["shop.stock"]
        );
    }

    #[test]
    fn dml_names_its_tables() {
        assert_eq!(
            names("UPDATE stock SET qty = 1 WHERE sku = 'A'").unwrap(),
            ["shop.stock"]
        );
        assert_eq!(
            names("INSERT INTO orders SELECT * FROM archive.orders").unwrap(),
            ["archive.orders", "shop.orders"]
        );
    }

    #[test]
    fn unknown_or_unqualified_without_default_is_none() {
        assert_eq!(statement_tables("ALTER TABLE t ADD x INT", None), None);
        assert_eq!(statement_tables("THIS IS NOT SQL", Some("shop")), None);
    }
}
