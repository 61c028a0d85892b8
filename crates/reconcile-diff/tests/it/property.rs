//! The property: for random but valid East and West histories from one shared base,
//! the engine's items agree with the model in `model.rs`, and no `auto` item can
//! overwrite West's work or break the unique key, whatever the model says.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use reconcile_diff::{Class, Kind, NetOp, Outcome};

use crate::common::{by_key, del, ins, key_id, run, upd, Change, R};
use crate::model::{expect, Fold};

/// Keys the histories may use (1..=4 may exist in the base; 5 only by insert).
const KEYS: i64 = 5;
/// Distinct emails; more than keys, so an insert always finds a free one.
const EMAILS: u8 = 6;
/// Distinct values of `v`: few, so that changes often cancel out or agree.
const VS: i64 = 3;

/// A random wish, made valid against a side's current table by [`apply`].
#[derive(Debug, Clone)]
struct Op {
    key: i64,
    kind: u8,
    email: u8,
    v: i64,
    new_key: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (1..=KEYS, 0..4u8, 0..EMAILS, 0..VS, 1..=KEYS).prop_map(|(key, kind, email, v, new_key)| Op {
        key,
        kind,
        email,
        v,
        new_key,
    })
}

/// Turns `op` into a change that is valid on `table` and applies it: an absent key
/// is inserted (with a free email), a present one is deleted (kind 0) or updated:
/// `v` always, `email` too for kind 2 and 3 when no other row holds it, and `id`
/// for kind 3 when the new key is free. An update always changes something.
fn apply(table: &mut BTreeMap<i64, R>, op: &Op) -> Change {
    let free = |table: &BTreeMap<i64, R>, email: u8, owner: i64| {
        !table.values().any(|r| r.email == email && r.id != owner)
    };
    match table.get(&op.key).copied() {
        None => {
            let email = (0..EMAILS)
                .map(|d| (op.email + d) % EMAILS)
                .find(|&e| free(table, e, op.key))
                .expect("more emails than keys");
            let a = R {
                id: op.key,
                email,
                v: op.v,
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
                a.email = op.email;
            }
            if op.kind == 3 && !table.contains_key(&op.new_key) {
                a.id = op.new_key;
            }
            if a == b {
                a.v = (a.v + 1) % VS;
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

fn history(base: &BTreeMap<i64, R>, ops: &[Vec<Op>]) -> (Vec<Vec<Change>>, BTreeMap<i64, R>) {
    let mut table = base.clone();
    let txs = ops
        .iter()
        .map(|tx| tx.iter().map(|op| apply(&mut table, op)).collect())
        .collect();
    (txs, table)
}

pub fn scenario() -> impl Strategy<Value = Scenario> {
    let tx = || proptest::collection::vec(op(), 1..=3);
    (
        proptest::array::uniform4(proptest::option::of(0..VS)),
        proptest::collection::vec(tx(), 1..=5),
        proptest::collection::vec(tx(), 0..=5),
    )
        .prop_map(|(base_vs, east_ops, west_ops)| {
            let base: BTreeMap<i64, R> = (1..)
                .zip(base_vs)
                .filter_map(|(id, v)| {
                    v.map(|v| {
                        let email = u8::try_from(id - 1).expect("small key");
                        (id, R { id, email, v })
                    })
                })
                .collect();
            let (east, east_final) = history(&base, &east_ops);
            let (west, west_final) = history(&base, &west_ops);
            Scenario {
                base,
                east,
                west,
                east_final,
                west_final,
            }
        })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4096);
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

/// Safety, from the two final tables alone: an `auto` item finds West's row still at
/// the base, and applying every `auto` item to West keeps the email key unique.
fn check_safety(s: &Scenario, outcome: &Outcome) -> Result<(), TestCaseError> {
    let items = by_key(outcome);
    let mut merged = s.west_final.clone();
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
        match s.east_final.get(&k) {
            Some(&row) => {
                merged.insert(k, row);
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
            None => {
                merged.remove(&k);
            }
        }
    }
    let emails: BTreeSet<u8> = merged.values().map(|r| r.email).collect();
    prop_assert_eq!(
        emails.len(),
        merged.len(),
        "West after the auto items breaks the unique key: {:?}",
        merged
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn engine_agrees_with_the_model_and_auto_is_safe(s in scenario()) {
        let outcome = run(&s.east, &s.west);
        check_safety(&s, &outcome)?;
        check_model(&s, &outcome)?;
    }
}

/// The generator reaches every verdict the property is about (a guard against a
/// generator that quietly stops producing conflicts).
#[test]
fn the_generator_reaches_every_verdict() {
    let mut runner = TestRunner::new(config());
    let strategy = scenario();
    let mut seen: BTreeMap<(Class, Option<Kind>), usize> = BTreeMap::new();
    let mut key_changes = 0;
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
        for item in &run(&s.east, &s.west).items {
            *seen.entry((item.class, item.kind)).or_default() += 1;
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
            "{w:?} seen too rarely: {seen:?}"
        );
    }
    assert!(key_changes >= 50, "primary-key updates: {key_changes}");
    eprintln!("verdicts over 1000 scenarios: {seen:?}");
}
