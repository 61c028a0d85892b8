//! Integration tests of the engine over hand-built histories of one table with a
//! primary key and a unique key: a property test against an independent model, and
//! hand-written examples.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod examples;
mod filter;
mod fixtures;
mod gipk;
mod model;
mod property;
