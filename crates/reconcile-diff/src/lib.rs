//! The pure core of `reconcile`: where two histories part, each side's net change per
//! row identity, and the verdict for every change East made.
//!
//! Architecture invariant: no I/O. This crate depends on no tokio, mysql_async, csv
//! or clap; it consumes transactions and returns items plus notes, never failing on a
//! conflict (a conflict is a `review` item).
//!
//! Usage: [`find_divergence`] on both sides' GTID histories; then feed East's own
//! transactions to an [`EastPass`], call [`EastPass::into_west`], feed West's own
//! transactions, and [`WestPass::finish`] returns the [`Outcome`].
//!
//! The contract (see `docs/CLASSIFICATION.md`): an item is `auto` only when East alone
//! changed the key and nothing West wrote can be overwritten; anything uncertain is
//! `review`.

mod collation;
mod compare;
mod divergence;
mod engine;
mod fold;
mod hash;
mod interest;
mod model;
mod table;

/// The engine's maps and sets, keyed by what binlogs hold (row keys, unique values,
/// table names): hashed with foldhash, several times faster than the standard
/// SipHash on such short keys, and seeded per process as the standard hasher is.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

pub use divergence::{
    find_divergence, Divergence, DivergenceError, DivergenceGuess, GtidHistory, HistoryGtids,
};
pub use engine::{EastPass, WestPass};
pub use hash::item_hash;
pub use interest::WestFilter;
pub use model::{
    Class, Config, DdlEvent, Image, Item, Kind, NetOp, Outcome, SideCounts, Suggestion,
};
