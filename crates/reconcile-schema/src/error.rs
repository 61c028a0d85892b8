//! Errors and warnings of [`crate::parse_schema`].

use serde::{Deserialize, Serialize};

/// Something in the input that was skipped or only partly understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaWarning {
    /// 1-based line in the input where the statement (or problem) starts.
    pub line: usize,
    /// What was skipped and why, without a trailing period.
    pub message: String,
}

impl std::fmt::Display for SchemaWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a schema could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A `CREATE TABLE` (or `CREATE TRIGGER`) statement sqlparser could not parse.
    #[error("cannot parse statement at line {line}{}: {message} (statement: {excerpt})", column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Parse {
        /// 1-based line in the input of the failure (of the statement start if unknown).
        line: usize,
        /// 1-based column in the input of the failure, when known.
        column: Option<usize>,
        /// The parser's message, without location.
        message: String,
        /// The statement's first ~80 characters.
        excerpt: String,
    },
    /// A table whose database is neither named, nor set by `USE`, nor created before it.
    #[error("table `{table}` at line {line} has no database (no `db.` prefix, USE or CREATE DATABASE before it)")]
    NoDatabase {
        /// 1-based line of the `CREATE TABLE`.
        line: usize,
        /// The table's name.
        table: String,
    },
    /// A statement parsed but its content is not a valid table definition.
    #[error("invalid definition of `{table}` at line {line}: {message}")]
    Invalid {
        /// 1-based line of the statement.
        line: usize,
        /// The table's name.
        table: String,
        /// What is wrong.
        message: String,
    },
}
