//! Integration tests of `reconcile-schema`: real dumps and hand-written inputs.

mod dumps;
mod handwritten;
mod hostile;

use reconcile_schema::{parse_schema, Schema};

/// Parses `text`, panicking with the error on failure.
pub fn parse(text: &str) -> Schema {
    match parse_schema(text) {
        Ok(s) => s,
        Err(e) => panic!("parse failed: {e}"),
    }
}
