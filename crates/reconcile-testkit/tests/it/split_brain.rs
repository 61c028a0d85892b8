use std::process::Command;

use reconcile_testkit::{
    find_program, live_servers_available, GtidLayout, Program, SplitBrain, SplitBrainScript,
};

const SHARED: &str = "CREATE DATABASE shop;
CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO shop.t VALUES (1, 'a');
INSERT INTO shop.t VALUES (2, 'b');";
const EAST: &str = "UPDATE shop.t SET v = 'east' WHERE id = 1;
INSERT INTO shop.t VALUES (3, 'east');";
const WEST: &str = "UPDATE shop.t SET v = 'west' WHERE id = 2;";

/// The GTIDs `mariadb-binlog` prints for `files`, in order.
fn gtids_in(files: &[std::path::PathBuf]) -> Vec<String> {
    let out = Command::new(find_program(Program::Binlog).unwrap())
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("\tGTID ")? + 6..];
            Some(rest.split_whitespace().next()?.to_owned())
        })
        .collect()
}

fn run(layout: GtidLayout) -> (String, Vec<String>, Vec<String>) {
    let brain = SplitBrain::run(&SplitBrainScript::new(SHARED, EAST, WEST, layout)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let exported = brain.export(out.path()).unwrap();
    let schema = std::fs::read_to_string(&exported.schema).unwrap();
    assert!(schema.contains("CREATE TABLE `t`"), "{schema}");
    assert!(out.path().join("east/mariadb-bin.index").is_file());
    (
        brain.split_pos.clone(),
        gtids_in(&exported.east_binlogs),
        gtids_in(&exported.west_binlogs),
    )
}

#[test]
fn same_domain_split_brain_continues_domain_zero_on_both_sides() {
    if !live_servers_available("same_domain_split_brain_continues_domain_zero_on_both_sides") {
        return;
    }
    let (split, east, west) = run(GtidLayout::SameDomain);
    assert_eq!(split, "0-1-4");
    let shared = ["0-1-1", "0-1-2", "0-1-3", "0-1-4"];
    // East continues its own sequence with its server id.
    assert_eq!(east, [&shared[..], &["0-1-5", "0-1-6"]].concat());
    // West replicated the shared history, then writes with its own server id in the
    // same domain: sequence numbers clash with East's (0-2-5 vs 0-1-5).
    assert_eq!(west, [&shared[..], &["0-2-5"]].concat());
}

#[test]
fn different_domain_split_brain_gives_west_its_own_domain() {
    if !live_servers_available("different_domain_split_brain_gives_west_its_own_domain") {
        return;
    }
    let (split, east, west) = run(GtidLayout::DifferentDomains);
    assert_eq!(split, "0-1-4");
    let shared = ["0-1-1", "0-1-2", "0-1-3", "0-1-4"];
    assert_eq!(east, [&shared[..], &["0-1-5", "0-1-6"]].concat());
    assert_eq!(west, [&shared[..], &["1-2-1"]].concat());
}
