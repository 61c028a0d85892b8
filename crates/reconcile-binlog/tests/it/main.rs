//! Integration tests: the real binlog corpus, oracles, generated fixtures,
//! and robustness against truncated and corrupted input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod corpus;
mod fixtures;
mod mysql_features;
mod oracle;
mod parallel;
mod robustness;
mod select;
