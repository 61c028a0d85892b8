//! Table definitions from `mysqldump --no-data` / `mariadb-dump --no-data --triggers`
//! output (MySQL 5.7/8.0/8.4, MariaDB 10.x/11.x) or hand-written DDL.
//!
//! [`parse_schema`] takes the dump as text (the caller reads the file) and returns a
//! [`Schema`]: every table with its columns in binlog order, primary, unique and
//! foreign keys, triggers, and effective character sets and collations. The diff
//! engine uses it to name binlog row columns, find a row's identity
//! ([`TableSchema::identity_key`]), skip generated columns and report cascades
//! ([`Schema::children_of`]); [`collation`] maps the collation ids of binlog
//! `TABLE_MAP` metadata to names and comparison traits.
//!
//! How the text is read:
//!
//! * statements are split as the `mysql` client does: quotes, `--`/`#`/`/* */`
//!   comments, and `DELIMITER` are honoured; executable comments `/*!NNNNN … */` and
//!   `/*M!NNNNN … */` are unwrapped (their content is SQL);
//! * each statement is parsed by [sqlparser](https://docs.rs/sqlparser) with its MySQL
//!   dialect, after a few token rewrites for syntax it lacks (`ZEROFILL`,
//!   `PERSISTENT`, column `CHARSET`, key `INVISIBLE`, `SYSTEM VERSIONING`,
//!   `PARTITION BY`, trigger `DEFINER` and bodies);
//! * a `CREATE TABLE` or `CREATE TRIGGER` that cannot be parsed is an error naming
//!   its line; any other statement that cannot be parsed is skipped with a
//!   [`SchemaWarning`]; `DROP TABLE`/`DROP VIEW` remove tables (view placeholders);
//! * a table's database is the one in `CREATE TABLE db.t`, else the last `USE`, else
//!   the last `CREATE DATABASE`, else [`SchemaError::NoDatabase`].
//!
//! [`render_schema`] goes the other way: a [`Schema`] to SQL text that
//! [`parse_schema`] reads back to an equal schema (how `reconcile schema dump` writes a
//! schema read from a live server). [`catalog`] reads the SQL pieces of a server's
//! `information_schema` (column types, generation expressions) as a dump's are read.
//!
//! The library never panics on any input and does no I/O.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod catalog;
pub mod collation;
mod error;
mod model;
mod parse;
mod render;
mod split;
mod statement;

pub use collation::ServerFlavor;
pub use error::{SchemaError, SchemaWarning};
pub use model::{
    ColumnSchema, FkAction, ForeignKey, Generated, Key, KeyPart, Schema, TableSchema, Trigger,
    TriggerEvent, TriggerTiming, TypeParams,
};
pub use parse::{detect_flavor, ParseOptions};
pub use render::render_schema;
pub use statement::statement_tables;

/// Parses a dump or DDL script, detecting the server flavor from its header
/// (see [`detect_flavor`]).
///
/// # Errors
///
/// [`SchemaError::Parse`] for a `CREATE TABLE`/`CREATE TRIGGER` sqlparser cannot
/// read, [`SchemaError::NoDatabase`] for a table without a database,
/// [`SchemaError::Invalid`] for a definition naming unknown columns or declaring two
/// primary keys.
pub fn parse_schema(text: &str) -> Result<Schema, SchemaError> {
    parse::parse(text, &ParseOptions::default())
}

/// [`parse_schema`] with explicit [`ParseOptions`] (e.g. a known server flavor).
///
/// # Errors
///
/// As [`parse_schema`].
pub fn parse_schema_with(text: &str, options: &ParseOptions) -> Result<Schema, SchemaError> {
    parse::parse(text, options)
}
