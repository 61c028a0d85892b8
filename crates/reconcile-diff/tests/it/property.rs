//! The property: for random but valid East and West histories from one shared base,
//! the engine's items agree with the model in `model.rs`, and no `auto` item can
//! overwrite West's work or break the unique key, whatever the model says.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use reconcile_diff::{Class, Kind, NetOp, Outcome};

use crate::common::{by_key, del, ins, key_id, named, run, run_filtered, upd, Change, R};
use crate::model::{expect, Fold};

/// How big a scenario may get.
#[derive(Debug, Clone, Copy)]
pub struct Space {
    /// Keys the histories may use: 1..=keys.
    keys: i64,
    /// Keys that may exist in the base: 1..=base_keys.
    base_keys: usize,
    /// Distinct emails; more than keys, so an insert always finds a free one.
    emails: u8,
    /// Distinct values of `v`: few, so that changes often cancel out or agree.
    vs: i64,
    /// At most this many transactions per side.
    txs: usize,
}

/// Dense: few keys and emails, so the sides collide often.
pub const DENSE: Space = Space {
    keys: 5,
    base_keys: 4,
    emails: 6,
    vs: 3,
    txs: 5,
};

/// Wider: more keys and longer histories, so groups and email chains grow.
pub const WIDE: Space = Space {
    keys: 8,
    base_keys: 6,
    emails: 10,
    vs: 3,
    txs: 8,
};

/// A random wish, made valid against a side's current table by [`apply`].
#[derive(Debug, Clone)]
struct Op {
    key: i64,
    kind: u8,
    email: u8,
    v: i64,
    new_key: i64,
    upper: bool,
}

fn op(space: Space) -> impl Strategy<Value = Op> {
    (
        1..=space.keys,
        0..4u8,
        0..space.emails,
        0..space.vs,
        1..=space.keys,
        any::<bool>(),
    )
        .prop_map(|(key, kind, email, v, new_key, upper)| Op {
            key,
            kind,
            email,
            v,
            new_key,
            upper,
        })
}

/// Turns `op` into a change that is valid on `table` and applies it: an absent key
/// is inserted (with a free email), a present one is deleted (kind 0) or updated:
/// `v` always, `email` too for kind 2 and 3 when no other row holds it, and `id`
/// for kind 3 when the new key is free. An update always changes something.
fn apply(space: Space, table: &mut BTreeMap<i64, R>, op: &Op) -> Change {
    let free = |table: &BTreeMap<i64, R>, email: u8, owner: i64| {
        !table.values().any(|r| r.email == email && r.id != owner)
    };
    match table.get(&op.key).copied() {
        None => {
            let email = (0..space.emails)
                .map(|d| (op.email + d) % space.emails)
                .find(|&e| free(table, e, op.key))
                .expect("more emails than keys");
            let a = R {
                id: op.key,
                email,
                v: op.v,
                upper: op.upper,
            };
            table.insert(a.id, a);
            ins(a)
        }
        Some(b) if op.kind == 0 => {
            table.remove(&b.id);
            del(b)
        }
        Some(b) => {
            let mut a = b;
            a.v = op.v;
            if op.kind >= 2 && free(table, op.email, b.id) {
                // A new email, or the same one in another case: under the
                // case-insensitive collation both keep the row's unique value.
                a.email = op.email;
                a.upper = op.upper;
            }
            if op.kind == 3 && !table.contains_key(&op.new_key) {
                a.id = op.new_key;
            }
            if a == b {
                a.v = (a.v + 1) % space.vs;
            }
            table.remove(&b.id);
            table.insert(a.id, a);
            upd(b, a)
        }
    }
}

/// A shared base and each side's own history (transactions of changes), each valid
/// on its own side, plus each side's final table.
#[derive(Clone)]
pub struct Scenario {
    pub base: BTreeMap<i64, R>,
    pub east: Vec<Vec<Change>>,
    pub west: Vec<Vec<Change>>,
    pub east_final: BTreeMap<i64, R>,
    pub west_final: BTreeMap<i64, R>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "base: {:?}", self.base.values().collect::<Vec<_>>())?;
        for (side, history) in [("east", &self.east), ("west", &self.west)] {
            for (n, tx) in history.iter().enumerate() {
                writeln!(f, "{side} tx {n}: {tx:?}")?;
            }
        }
        Ok(())
    }
}

fn history(
    space: Space,
    base: &BTreeMap<i64, R>,
    ops: &[Vec<Op>],
) -> (Vec<Vec<Change>>, BTreeMap<i64, R>) {
    let mut table = base.clone();
    let txs = ops
        .iter()
        .map(|tx| tx.iter().map(|op| apply(space, &mut table, op)).collect())
        .collect();
    (txs, table)
}

/// A base of keys 1..=base_keys, each present or absent with a distinct email, and
/// 1..=txs East and 0..=txs West transactions of 1-3 changes each.
pub fn scenario(space: Space) -> impl Strategy<Value = Scenario> {
    let tx = move || proptest::collection::vec(op(space), 1..=3);
    (
        proptest::collection::vec(proptest::option::of(0..space.vs), space.base_keys),
        Just((0..space.emails).collect::<Vec<u8>>()).prop_shuffle(),
        proptest::collection::vec(tx(), 1..=space.txs),
        proptest::collection::vec(tx(), 0..=space.txs),
    )
        .prop_map(move |(base_vs, emails, east_ops, west_ops)| {
            let base: BTreeMap<i64, R> = (1..)
                .zip(base_vs.into_iter().zip(emails))
                .filter_map(|(id, (v, email))| {
                    v.map(|v| {
                        (
                            id,
                            R {
                                id,
                                email,
                                v,
                                upper: email % 2 == 1,
                            },
                        )
                    })
                })
                .collect();
            let (east, east_final) = history(space, &base, &east_ops);
            let (west, west_final) = history(space, &base, &west_ops);
            Scenario {
                base,
                east,
                west,
                east_final,
                west_final,
            }
        })
}

/// `cases` unless `PROPTEST_CASES` says otherwise; a fixed seed unless
/// `PROPTEST_RNG_SEED` says otherwise; failures are not persisted (a shrunk failure
/// becomes a hand-written test instead).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7265_636f_6e63_696c);
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn net(fold: Option<&Fold>) -> Option<NetOp> {
    fold.map(Fold::net)
}

/// The engine's answer against the model: same keys, same verdicts, same groups.
fn check_model(s: &Scenario, outcome: &Outcome) -> Result<(), TestCaseError> {
    let mut items = BTreeMap::new();
    for item in &outcome.items {
        prop_assert!(
            items.insert(key_id(item), item).is_none(),
            "two items for key {}",
            key_id(item)
        );
    }
    let model = expect(&s.east, &s.west);
    prop_assert_eq!(
        items.keys().copied().collect::<BTreeSet<_>>(),
        model.east.keys().copied().collect::<BTreeSet<_>>(),
        "one item per key East changed, none other"
    );
    for (k, item) in &items {
        let (class, kind) = model.verdicts[k];
        prop_assert_eq!(
            (item.class, item.kind),
            (class, kind),
            "key {}: engine says {:?} ({}); the model says {:?} {:?}",
            k,
            item.class,
            item.reason,
            class,
            kind
        );
        prop_assert_eq!(
            Some(item.east_op),
            net(model.east.get(k)),
            "east_op of {}",
            k
        );
        prop_assert_eq!(item.west_op, net(model.west.get(k)), "west_op of {}", k);
        // The rows `apply` works from, against the simulated tables.
        prop_assert_eq!(
            &item.base,
            &s.base.get(k).copied().map(named),
            "base of {}",
            k
        );
        prop_assert_eq!(
            &item.east,
            &s.east_final.get(k).copied().map(named),
            "east of {}",
            k
        );
        if model.west.contains_key(k) {
            prop_assert_eq!(
                &item.west,
                &s.west_final.get(k).copied().map(named),
                "west of {}",
                k
            );
        } else {
            prop_assert_eq!(&item.west, &None, "west of {}", k);
        }
    }
    for (k1, i1) in &items {
        for (k2, i2) in &items {
            prop_assert_eq!(
                i1.group == i2.group,
                model.group[k1] == model.group[k2],
                "keys {} and {}: groups {} and {}",
                k1,
                k2,
                i1.group,
                i2.group
            );
        }
    }
    Ok(())
}

/// West's final table after replaying East's final rows of `keys`.
fn replay(s: &Scenario, keys: impl IntoIterator<Item = i64>) -> BTreeMap<i64, R> {
    let mut merged = s.west_final.clone();
    for k in keys {
        match s.east_final.get(&k) {
            Some(&row) => merged.insert(k, row),
            None => merged.remove(&k),
        };
    }
    merged
}

fn unique_emails(table: &BTreeMap<i64, R>) -> bool {
    table
        .values()
        .map(|r| r.email)
        .collect::<BTreeSet<u8>>()
        .len()
        == table.len()
}

/// Safety, from the two final tables alone: an `auto` item finds West's row still at
/// the base; replaying every `auto` item on West, or the `auto` items of any one
/// group alone, keeps the email key unique.
fn check_safety(s: &Scenario, outcome: &Outcome) -> Result<(), TestCaseError> {
    let items = by_key(outcome);
    for (&k, item) in &items {
        if item.class != Class::Auto {
            continue;
        }
        prop_assert_eq!(
            s.west_final.get(&k),
            s.base.get(&k),
            "auto for key {} overwrites West's change",
            k
        );
        if let Some(&row) = s.east_final.get(&k) {
            for (&k2, other) in &s.west_final {
                if k2 == k || other.email != row.email {
                    continue;
                }
                // West still holds the email at another key: only safe if West
                // never changed that key, and East released the email there in
                // the same all-or-nothing group, also replayed.
                prop_assert_eq!(
                    s.base.get(&k2),
                    Some(other),
                    "auto for key {} takes email u{}@x that West gave to key {}",
                    k,
                    row.email,
                    k2
                );
                let holder = items.get(&k2);
                prop_assert!(
                    holder.is_some_and(|h| h.group == item.group && h.class == Class::Auto),
                    "auto for key {} takes email u{}@x from key {}, not replayed with it",
                    k,
                    row.email,
                    k2
                );
            }
        }
    }
    let auto: Vec<(i64, u64)> = items
        .iter()
        .filter(|(_, i)| i.class == Class::Auto)
        .map(|(&k, i)| (k, i.group))
        .collect();
    let merged = replay(s, auto.iter().map(|&(k, _)| k));
    prop_assert!(
        unique_emails(&merged),
        "West after every auto item breaks the unique key: {:?}",
        merged
    );
    for &(_, group) in &auto {
        let merged = replay(s, auto.iter().filter(|a| a.1 == group).map(|a| a.0));
        prop_assert!(
            unique_emails(&merged),
            "West after the auto items of group {} breaks the unique key: {:?}",
            group,
            merged
        );
    }
    Ok(())
}

fn check(s: &Scenario) -> Result<(), TestCaseError> {
    let outcome = run(&s.east, &s.west);
    check_safety(s, &outcome)?;
    check_model(s, &outcome)
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn dense_histories_agree_with_the_model_and_auto_is_safe(s in scenario(DENSE)) {
        check(&s)?;
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn wide_histories_agree_with_the_model_and_auto_is_safe(s in scenario(WIDE)) {
        check(&s)?;
    }
}

/// The generator reaches every verdict the property is about (a guard against a
/// generator that quietly stops producing conflicts).
#[test]
fn the_generator_reaches_every_verdict() {
    for space in [DENSE, WIDE] {
        let mut runner = TestRunner::new(config(0));
        let strategy = scenario(space);
        let mut seen: BTreeMap<(Class, Option<Kind>), usize> = BTreeMap::new();
        let mut key_changes = 0;
        let mut largest_group = 0;
        for _ in 0..1000 {
            let s = strategy
                .new_tree(&mut runner)
                .expect("a scenario")
                .current();
            key_changes += s
                .east
                .iter()
                .flatten()
                .filter(|c| matches!((c.before, c.after), (Some(b), Some(a)) if b.id != a.id))
                .count();
            let outcome = run(&s.east, &s.west);
            for item in &outcome.items {
                *seen.entry((item.class, item.kind)).or_default() += 1;
                let size = outcome
                    .items
                    .iter()
                    .filter(|i| i.group == item.group)
                    .count();
                largest_group = largest_group.max(size);
            }
        }
        let wanted = [
            (Class::Auto, None),
            (Class::Skip, None),
            (Class::Review, Some(Kind::InsertInsert)),
            (Class::Review, Some(Kind::UpdateUpdate)),
            (Class::Review, Some(Kind::UpdateDelete)),
            (Class::Review, Some(Kind::DeleteUpdate)),
            (Class::Review, Some(Kind::UniqueCollision)),
            (Class::Review, Some(Kind::SameTransaction)),
        ];
        for w in wanted {
            assert!(
                seen.get(&w).copied().unwrap_or(0) >= 20,
                "{space:?}: {w:?} seen too rarely: {seen:?}"
            );
        }
        assert!(
            key_changes >= 50,
            "{space:?}: primary-key updates: {key_changes}"
        );
        assert!(
            largest_group >= 4,
            "{space:?}: largest group {largest_group}"
        );
        eprintln!(
            "{space:?}: verdicts over 1000 scenarios: {seen:?}, largest group {largest_group}"
        );
    }
}

/// The West filter (what of West's binlog the engine decodes) changes nothing: the
/// outcome with West's rows filtered is the outcome with all of them.
fn check_filter(s: &Scenario) -> Result<u64, TestCaseError> {
    let all = run(&s.east, &s.west);
    let (filtered, skipped) = run_filtered(&s.east, &s.west);
    prop_assert_eq!(filtered, all);
    Ok(skipped)
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn the_west_filter_changes_no_outcome(s in scenario(DENSE)) {
        check_filter(&s)?;
    }

    #[test]
    fn the_west_filter_changes_no_outcome_of_wide_histories(s in scenario(WIDE)) {
        check_filter(&s)?;
    }
}

/// The filter does skip rows in these histories (else the test above proves
/// nothing): West's changes of keys, emails and rows East never touched.
#[test]
fn the_west_filter_skips_rows_of_generated_histories() {
    let mut runner = TestRunner::new(config(0));
    let strategy = scenario(WIDE);
    let (mut skipped, mut west_rows) = (0, 0);
    for _ in 0..500 {
        let s = strategy
            .new_tree(&mut runner)
            .expect("a scenario")
            .current();
        west_rows += s.west.iter().flatten().count() as u64;
        skipped += check_filter(&s).expect("same outcome");
    }
    assert!(
        skipped * 10 >= west_rows,
        "{skipped} of {west_rows} West rows skipped"
    );
}
