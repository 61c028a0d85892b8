//! An independent model of the classification rules for the one-table schema of
//! `common`: per key net changes, the verdict, and the groups. Written from the
//! contract (`docs/CLASSIFICATION.md`, `testdata/conflicts/EXPECTED.md`), not from
//! the engine's code.

use std::collections::BTreeMap;

use reconcile_diff::{Class, Kind, NetOp};

use crate::common::{Change, R};

/// One side's changes of one key: the row before the first, after the last, and the
/// transactions (indices into the side's history) that changed it.
#[derive(Debug, Clone)]
pub struct Fold {
    pub base: Option<R>,
    pub last: Option<R>,
    pub txs: Vec<usize>,
}

impl Fold {
    pub fn net(&self) -> NetOp {
        match (self.base, self.last) {
            (None, Some(_)) => NetOp::Insert,
            (Some(_), None) => NetOp::Delete,
            (Some(b), Some(l)) if b != l => NetOp::Update,
            _ => NetOp::None,
        }
    }

    pub fn changed(&self) -> bool {
        self.base != self.last
    }
}

/// A change as per-key pieces: an update of `id` is a delete of the old key and an
/// insert of the new one.
pub fn pieces(c: &Change) -> Vec<(i64, Option<R>, Option<R>)> {
    match (c.before, c.after) {
        (Some(b), Some(a)) if b.id != a.id => vec![(b.id, Some(b), None), (a.id, None, Some(a))],
        (Some(b), a) => vec![(b.id, Some(b), a)],
        (None, Some(a)) => vec![(a.id, None, Some(a))],
        (None, None) => Vec::new(),
    }
}

/// Every key a side changed, folded.
pub fn fold(history: &[Vec<Change>]) -> BTreeMap<i64, Fold> {
    let mut folds: BTreeMap<i64, Fold> = BTreeMap::new();
    for (tx, changes) in history.iter().enumerate() {
        for change in changes {
            for (key, before, after) in pieces(change) {
                let f = folds.entry(key).or_insert(Fold {
                    base: before,
                    last: before,
                    txs: Vec::new(),
                });
                f.last = after;
                if f.txs.last() != Some(&tx) {
                    f.txs.push(tx);
                }
            }
        }
    }
    folds
}

/// What the contract says about East's keys.
#[derive(Debug)]
pub struct Expected {
    pub east: BTreeMap<i64, Fold>,
    pub west: BTreeMap<i64, Fold>,
    /// `(class, kind)` per East key, group rule applied.
    pub verdicts: BTreeMap<i64, (Class, Option<Kind>)>,
    /// The group of each East key (a representative East transaction).
    pub group: BTreeMap<i64, usize>,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        x = parent[x];
    }
    x
}

fn unite(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    parent[ra.max(rb)] = ra.min(rb);
}

/// The verdict of one key before the group rule.
fn judge(
    key: i64,
    e: &Fold,
    west: &BTreeMap<i64, Fold>,
    west_history: &[Vec<Change>],
) -> (Class, Option<Kind>) {
    if !e.changed() {
        return (Class::Skip, None);
    }
    let w = west.get(&key);
    if let Some(w) = w.filter(|w| w.changed()) {
        if w.last == e.last {
            return (Class::Skip, None);
        }
        let kind = match (e.base, e.last, w.last) {
            (None, _, _) => Kind::InsertInsert,
            (Some(_), Some(_), Some(_)) => Kind::UpdateUpdate,
            (Some(_), Some(_), None) => Kind::UpdateDelete,
            (Some(_), None, Some(_)) => Kind::DeleteUpdate,
            (Some(_), None, None) => unreachable!("both deleted: finals are equal"),
        };
        return (Class::Review, Some(kind));
    }
    // Only East changed the key, or West's changes of it cancel out.
    let Some(last) = e.last else {
        return (Class::Auto, None);
    };
    let collision = west
        .iter()
        .any(|(&k2, w2)| k2 != key && w2.last.is_some_and(|r| r.email == last.email));
    if collision {
        return (Class::Review, Some(Kind::UniqueCollision));
    }
    // A possible retry: East inserted the key, and West inserted a row with the same
    // non-key values under another key, which West's final state still holds.
    let same = |r: &R| (r.email, r.v) == (last.email, last.v);
    let retry = e.base.is_none()
        && west_history
            .iter()
            .flatten()
            .flat_map(pieces)
            .any(|(k2, b, a)| {
                k2 != key
                    && b.is_none()
                    && a.is_some_and(|a| same(&a))
                    && west
                        .get(&k2)
                        .and_then(|w2| w2.last)
                        .is_some_and(|r| same(&r))
            });
    if retry {
        return (Class::Review, Some(Kind::PossibleRetry));
    }
    (Class::Auto, None)
}

/// The expected verdicts for two histories that start from the same base.
pub fn expect(east_history: &[Vec<Change>], west_history: &[Vec<Change>]) -> Expected {
    let east = fold(east_history);
    let west = fold(west_history);

    // Groups: East transactions sharing a key, and a row taking an email another
    // East row's base had.
    let mut parent: Vec<usize> = (0..east_history.len()).collect();
    for f in east.values() {
        for &tx in &f.txs {
            unite(&mut parent, f.txs[0], tx);
        }
    }
    for (&k1, f1) in &east {
        for (&k2, f2) in &east {
            if k1 != k2 {
                if let (Some(taker), Some(holder)) = (f1.last, f2.base) {
                    if taker.email == holder.email {
                        unite(&mut parent, f1.txs[0], f2.txs[0]);
                    }
                }
            }
        }
    }
    let group: BTreeMap<i64, usize> = east
        .iter()
        .map(|(&k, f)| (k, find(&mut parent, f.txs[0])))
        .collect();

    let mut verdicts: BTreeMap<i64, (Class, Option<Kind>)> = east
        .iter()
        .map(|(&k, e)| (k, judge(k, e, &west, west_history)))
        .collect();
    let review_groups: Vec<usize> = verdicts
        .iter()
        .filter(|(_, (c, _))| *c == Class::Review)
        .map(|(k, _)| group[k])
        .collect();
    for (k, v) in &mut verdicts {
        if v.0 == Class::Auto && review_groups.contains(&group[k]) {
            *v = (Class::Review, Some(Kind::SameTransaction));
        }
    }
    Expected {
        east,
        west,
        verdicts,
        group,
    }
}
