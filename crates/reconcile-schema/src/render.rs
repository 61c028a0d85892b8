//! The model back to SQL text: [`render_schema`].
//!
//! The text is a script in the shape of a `mysqldump --no-data --triggers` dump:
//! `CREATE DATABASE` and `USE` per database, one `CREATE TABLE` per table with its
//! columns, primary key, unique keys and foreign keys, and its triggers after it.
//! [`crate::parse_schema`] reads it back to an equal [`Schema`] (warnings aside),
//! which is what it is for: `reconcile schema dump` writes it and `reconcile scan
//! --schema FILE` reads it. Only what the model holds is written: no defaults,
//! comments, non-unique keys, check constraints or trigger bodies (a trigger is
//! written with an empty `BEGIN END` body).

use std::fmt::Write as _;

use crate::model::{
    ColumnSchema, FkAction, ForeignKey, Key, Schema, TableSchema, Trigger, TriggerEvent,
    TriggerTiming,
};
use crate::parse::{flavor_name, FLAVOR_MARKER};

/// Renders `schema` as SQL that [`crate::parse_schema`] reads back to an equal
/// schema (its `warnings` aside). Pure: no I/O, never fails.
pub fn render_schema(schema: &Schema) -> String {
    let mut out = String::new();
    out.push_str("-- Tables, keys, foreign keys and triggers as reconcile models them.\n");
    out.push_str(
        "-- Column defaults, non-unique keys and trigger bodies are not part of the model.\n",
    );
    out.push_str(FLAVOR_MARKER);
    out.push_str(flavor_name(schema.flavor));
    out.push('\n');
    let mut current_db: Option<&str> = None;
    for ((db, name), table) in &schema.tables {
        if current_db != Some(db.as_str()) {
            let db_ident = ident(db);
            // Infallible: writing to a String.
            let _ = write!(
                out,
                "\nCREATE DATABASE IF NOT EXISTS {db_ident};\nUSE {db_ident};\n"
            );
            current_db = Some(db);
        }
        out.push('\n');
        render_table(&mut out, db, name, table);
        for trigger in &table.triggers {
            render_trigger(&mut out, db, name, trigger);
        }
    }
    out
}

/// A backtick-quoted identifier.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A name that is written bare when it is a plain word (charsets, collations,
/// engines), else quoted.
fn word(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name.to_owned()
    } else {
        ident(name)
    }
}

/// A single-quoted string literal, escaped as the MySQL dialect reads it.
fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn render_table(out: &mut String, db: &str, name: &str, table: &TableSchema) {
    let _ = write!(out, "CREATE TABLE {}.{} (", ident(db), ident(name));
    let mut elements: Vec<String> = table.columns.iter().map(column).collect();
    if let Some(pk) = &table.primary_key {
        elements.push(format!("PRIMARY KEY {}", key_parts(pk)));
    }
    for key in &table.unique_keys {
        elements.push(match &key.name {
            Some(n) => format!("UNIQUE KEY {} {}", ident(n), key_parts(key)),
            None => format!("UNIQUE KEY {}", key_parts(key)),
        });
    }
    for fk in &table.foreign_keys {
        elements.push(foreign_key(fk));
    }
    for (n, element) in elements.iter().enumerate() {
        out.push_str(if n == 0 { "\n  " } else { ",\n  " });
        out.push_str(element);
    }
    out.push_str("\n)");
    if let Some(engine) = &table.engine {
        let _ = write!(out, " ENGINE={}", word(engine));
    }
    if let Some(cs) = &table.default_charset {
        let _ = write!(out, " DEFAULT CHARSET={}", word(cs));
    }
    if let Some(coll) = &table.default_collation {
        let _ = write!(out, " COLLATE={}", word(coll));
    }
    out.push_str(";\n");
}

fn column(c: &ColumnSchema) -> String {
    let mut s = format!("{} {}", ident(&c.name), column_type(c));
    if c.unsigned {
        s.push_str(" unsigned");
    }
    if let Some(cs) = &c.charset {
        let _ = write!(s, " CHARACTER SET {}", word(cs));
    }
    // `CHARACTER SET binary` alone means the binary collation; `COLLATE binary`
    // is not accepted by the parser.
    if let Some(coll) = c.collation.as_deref().filter(|c| *c != "binary") {
        let _ = write!(s, " COLLATE {}", word(coll));
    }
    if let Some(g) = &c.generated {
        let _ = write!(
            s,
            " GENERATED ALWAYS AS ({}) {}",
            g.expr,
            if g.stored { "STORED" } else { "VIRTUAL" }
        );
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if c.auto_increment {
        s.push_str(" AUTO_INCREMENT");
    }
    if c.invisible {
        s.push_str(" INVISIBLE");
    }
    s
}

/// The type with its parameters, in the buckets the parser fills by type name.
fn column_type(c: &ColumnSchema) -> String {
    let p = &c.type_params;
    let args: Vec<String> = match c.data_type.as_str() {
        "enum" | "set" => p.labels.iter().map(|l| string_literal(l)).collect(),
        "decimal" | "float" | "double" => match (p.precision, p.scale) {
            (Some(prec), Some(scale)) => vec![prec.to_string(), scale.to_string()],
            (Some(prec), None) => vec![prec.to_string()],
            _ => Vec::new(),
        },
        "time" | "datetime" | "timestamp" => p.fsp.iter().map(u64::to_string).collect(),
        _ => p.length.iter().map(u64::to_string).collect(),
    };
    if args.is_empty() {
        c.data_type.clone()
    } else {
        format!("{}({})", c.data_type, args.join(","))
    }
}

fn key_parts(key: &Key) -> String {
    let parts: Vec<String> = key
        .columns
        .iter()
        .map(|p| match p.prefix_len {
            Some(n) => format!("{}({n})", ident(&p.column)),
            None => ident(&p.column),
        })
        .collect();
    format!("({})", parts.join(","))
}

fn idents(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(",")
}

fn foreign_key(fk: &ForeignKey) -> String {
    let mut s = String::new();
    if let Some(name) = &fk.name {
        let _ = write!(s, "CONSTRAINT {} ", ident(name));
    }
    let _ = write!(
        s,
        "FOREIGN KEY ({}) REFERENCES {}.{} ({})",
        idents(&fk.columns),
        ident(&fk.ref_schema),
        ident(&fk.ref_table),
        idents(&fk.ref_columns)
    );
    for (clause, action) in [("ON DELETE", fk.on_delete), ("ON UPDATE", fk.on_update)] {
        let text = match action {
            // The parser's reading of an absent clause.
            FkAction::Restrict => continue,
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::NoAction => "NO ACTION",
            FkAction::SetDefault => "SET DEFAULT",
        };
        let _ = write!(s, " {clause} {text}");
    }
    s
}

fn render_trigger(out: &mut String, db: &str, table: &str, trigger: &Trigger) {
    let timing = match trigger.timing {
        TriggerTiming::Before => "BEFORE",
        TriggerTiming::After => "AFTER",
    };
    let event = match trigger.event {
        TriggerEvent::Insert => "INSERT",
        TriggerEvent::Update => "UPDATE",
        TriggerEvent::Delete => "DELETE",
    };
    let _ = writeln!(
        out,
        "CREATE TRIGGER {} {timing} {event} ON {}.{} FOR EACH ROW BEGIN END;",
        ident(&trigger.name),
        ident(db),
        ident(table)
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::parse_schema;

    /// parse → render → parse gives the same schema, and the rendering parses
    /// without warnings.
    fn round_trip(text: &str, what: &str) -> Schema {
        let first = parse_schema(text).unwrap_or_else(|e| panic!("{what}: {e}"));
        let rendered = render_schema(&first);
        let second = parse_schema(&rendered)
            .unwrap_or_else(|e| panic!("{what}: the rendering does not parse: {e}\n{rendered}"));
        assert!(
            second.warnings.is_empty(),
            "{what}: {:?}\n{rendered}",
            second.warnings
        );
        let mut expected = first.clone();
        expected.warnings.clear();
        assert_eq!(second, expected, "{what}:\n{rendered}");
        // Rendering is stable.
        assert_eq!(render_schema(&second), rendered, "{what}");
        first
    }

    #[test]
    fn every_testdata_schema_round_trips() {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut seen = 0;
        let mut dirs: Vec<_> = std::fs::read_dir(&testdata)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("schema.sql").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let file = dir.join("schema.sql");
            let text = std::fs::read_to_string(&file).unwrap();
            let schema = round_trip(&text, &file.display().to_string());
            assert!(!schema.tables.is_empty(), "{}", file.display());
            seen += 1;
        }
        assert!(seen >= 10, "only {seen} testdata schemas found");
    }

    #[test]
    fn every_feature_of_the_model_round_trips() {
        let text = r#"
CREATE DATABASE `we``ird db`;
USE `we``ird db`;
CREATE TABLE `parent` (
  `id` int(10) unsigned zerofill NOT NULL AUTO_INCREMENT,
  `code` varchar(20) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  `email` varchar(100) NOT NULL,
  `nick` varchar(30),
  `note` text,
  `flags` set('a''b','c\\d','x,y') CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  `size` enum('small','big'),
  `amount` decimal(10,2) unsigned,
  `ratio` float(7,4),
  `wide` double,
  `at` datetime(6),
  `ts` timestamp(3) NULL,
  `bits` bit(13),
  `raw` varbinary(16),
  `blob_bin` blob CHARACTER SET binary,
  `ok` boolean,
  `y` year(4),
  `total` decimal(12,2) GENERATED ALWAYS AS (`amount` * 2) VIRTUAL,
  `label` varchar(40) GENERATED ALWAYS AS (concat(`code`,'#','it''s')) STORED,
  `hidden` int INVISIBLE,
  `ip` inet6,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uk_code` (`code`),
  UNIQUE KEY `uk_prefix` (`email`(10), `nick`),
  UNIQUE KEY (`nick`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE `child` (
  `id` int NOT NULL,
  `parent_id` int unsigned,
  `parent_code` varchar(20) CHARACTER SET latin1 COLLATE latin1_bin,
  `other` int,
  `u` int UNIQUE,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_a` FOREIGN KEY (`parent_id`, `parent_code`) REFERENCES `parent` (`id`, `code`) ON DELETE CASCADE ON UPDATE SET NULL,
  CONSTRAINT `fk_b` FOREIGN KEY (`other`) REFERENCES `elsewhere`.`t` (`x`) ON DELETE NO ACTION ON UPDATE RESTRICT,
  FOREIGN KEY (`u`) REFERENCES `parent` (`id`) ON DELETE SET DEFAULT
) ENGINE=Aria;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` TRIGGER `child_bi` BEFORE INSERT ON `child` FOR EACH ROW BEGIN SET NEW.other = 1; END;;
CREATE TRIGGER `child ad` AFTER DELETE ON `child` FOR EACH ROW SET @x = 1;;
DELIMITER ;
CREATE TABLE `elsewhere`.`t` (`x` int, `a.b` char(3)) DEFAULT CHARSET=latin1;
CREATE TABLE `elsewhere`.`bare` (`x` int);
"#;
        let schema = round_trip(text, "hand-written");
        let parent = schema.table("we`ird db", "parent").unwrap();
        assert_eq!(parent.unique_keys.len(), 3);
        assert_eq!(
            parent.column("flags").unwrap().type_params.labels,
            ["a'b", r"c\d", "x,y"]
        );
        assert_eq!(
            parent.column("blob_bin").unwrap().collation.as_deref(),
            Some("binary")
        );
        let child = schema.table("we`ird db", "child").unwrap();
        assert_eq!(child.triggers.len(), 2);
        assert_eq!(child.foreign_keys.len(), 3);
        assert!(schema.table("elsewhere", "bare").is_some());
    }

    #[test]
    fn the_flavor_survives() {
        for text in [
            "-- Server version\t5.7.44\nCREATE TABLE d.t (a varchar(3) CHARACTER SET utf8mb4);",
            "-- Server version\t8.0.36\nCREATE TABLE d.t (a varchar(3) CHARACTER SET utf8mb4);",
            "/*M!999999\\- enable the sandbox mode */\nCREATE TABLE d.t (a int);",
        ] {
            round_trip(text, text);
        }
        // A name that would make the header look like MariaDB's does not.
        let s = crate::parse_schema_with(
            "CREATE TABLE d.`MariaDB` (a int);",
            &crate::ParseOptions {
                flavor: Some(crate::ServerFlavor::MySql80),
            },
        )
        .unwrap();
        assert_eq!(
            parse_schema(&render_schema(&s)).unwrap().flavor,
            crate::ServerFlavor::MySql80
        );
    }
}
