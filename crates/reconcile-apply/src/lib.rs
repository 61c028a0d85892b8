//! Applying a reconcile plan to the surviving primary, and verifying the result.
//!
//! One database transaction per group: the journal row of `(plan, group)` is read
//! first (a journaled group is never applied again), every item's current row is
//! read `FOR UPDATE` and compared, type-exactly, with what the scan saw on West; on
//! any difference the group is rolled back and reported `guard-failed`. Then each
//! write is sent with bound parameters and quoted identifiers and its affected-row
//! count checked, the journal row is inserted, and the transaction is committed. A
//! group is reported applied only after the server confirmed the COMMIT, so a crash
//! at any point leaves the group and its journal row together or neither.
//!
//! Architecture invariant: nothing is reported applied that the server did not
//! confirm; values are never interpolated into SQL.

mod batch;
mod compare;
mod error;
mod sql;
mod target;

pub use compare::{same_value, ValueDiff};
pub use error::ApplyError;
pub use sql::{quote_ident, Decision, GroupPlan, PlannedItem, Write};
pub use target::{GroupOutcome, Mismatch, Target, JOURNAL_TABLE};
