//! `reconcile inspect --format jsonl` against the oracle `mariadb-binlog -vv
//! --base64-output=decode-rows`, column by column, for every fixture binlog.
//!
//! `-vv` prints each value's column type after it (`/* DATE meta=0 ... */`), which
//! says how the oracle's text maps to our typed JSON. The oracle's own quirks are
//! handled here: YEAR 0 printed as 1900, DATE with colons, TIMESTAMP as epoch
//! seconds, signed and unsigned readings of integers, FLOAT with 6 significant
//! digits, ENUM as index and SET as a bitmask, bytes below 0x20 as `\xNN`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use reconcile_testkit::{find_program, live_servers_available, Program};
use serde_json::Value as Json;

use crate::{reconcile, run, side_files, testdata};

#[derive(Debug, Default)]
struct OracleRow {
    gtid: String,
    op: String,
    table: String,
    before: Vec<(Vec<u8>, String)>,
    after: Vec<(Vec<u8>, String)>,
}

/// Parses the `###` lines of `mariadb-binlog -vv` into rows, each with its GTID.
fn oracle_rows(files: &[PathBuf]) -> Vec<OracleRow> {
    let out = Command::new(find_program(Program::Binlog).unwrap())
        .args(["-vv", "--base64-output=decode-rows"])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = Vec::new();
    let mut gtid = String::new();
    let mut current: Option<OracleRow> = None;
    let mut in_after = false;
    for line in out.stdout.split(|&b| b == b'\n') {
        if let Some(at) = find(line, b"\tGTID ") {
            let rest = String::from_utf8_lossy(&line[at + 6..]).into_owned();
            gtid = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            continue;
        }
        let Some(body) = line.strip_prefix(b"### ") else {
            continue;
        };
        let text = String::from_utf8_lossy(body);
        for (prefix, op) in [
            ("INSERT INTO ", "insert"),
            ("UPDATE ", "update"),
            ("DELETE FROM ", "delete"),
        ] {
            if let Some(table) = text.strip_prefix(prefix) {
                rows.extend(current.take());
                current = Some(OracleRow {
                    gtid: gtid.clone(),
                    op: op.to_owned(),
                    table: table.replace('`', ""),
                    ..OracleRow::default()
                });
                in_after = op == "insert";
            }
        }
        if text == "SET" {
            in_after = true;
        } else if text == "WHERE" {
            in_after = false;
        } else if let Some(value) = body.strip_prefix(b"  @") {
            let eq = value.iter().position(|&b| b == b'=').unwrap();
            let value = &value[eq + 1..];
            let comment = rfind(value, b" /* ").expect("-vv prints the column type");
            let ty = String::from_utf8_lossy(&value[comment + 4..]).into_owned();
            let ty = ty.split(" meta=").next().unwrap().to_owned();
            let mut raw = value[..comment].to_vec();
            while raw.last() == Some(&b' ') && ty == "FLOAT" {
                raw.pop();
            }
            let row = current.as_mut().expect("a value belongs to a row");
            if in_after {
                &mut row.after
            } else {
                &mut row.before
            }
            .push((raw, ty));
        }
    }
    rows.extend(current);
    rows
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Our rows from `reconcile inspect --format jsonl`: (gtid, op, table, before, after).
type OurRow = (
    String,
    String,
    String,
    Vec<(String, Json)>,
    Vec<(String, Json)>,
);

fn our_rows(scenario: &str, side: &str) -> Vec<OurRow> {
    let out = run(
        reconcile()
            .args(["inspect", "--format", "jsonl"])
            .arg(testdata().join(scenario).join(side)),
        true,
    );
    let mut rows = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let tx: Json = serde_json::from_str(line).unwrap();
        let gtid = tx["gtid"].as_str().unwrap_or_default().to_owned();
        for change in tx["changes"].as_array().unwrap() {
            let image = |key: &str| -> Vec<(String, Json)> {
                change[key]
                    .as_object()
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default()
            };
            rows.push((
                gtid.clone(),
                change["op"].as_str().unwrap().to_owned(),
                format!(
                    "{}.{}",
                    change["schema"].as_str().unwrap(),
                    change["table"].as_str().unwrap()
                ),
                image("before"),
                image("after"),
            ));
        }
    }
    rows
}

/// ENUM and SET labels by column name, from the fixture's `schema.sql`.
fn enum_labels(scenario: &str) -> HashMap<String, Vec<String>> {
    let schema = std::fs::read_to_string(testdata().join(scenario).join("schema.sql")).unwrap();
    let mut labels = HashMap::new();
    for line in schema.lines() {
        let line = line.trim();
        if !line.starts_with('`') {
            continue;
        }
        for kind in [" enum(", " set("] {
            if let (Some(name_end), Some(start)) = (line[1..].find('`'), line.find(kind)) {
                let name = line[1..=name_end].to_owned();
                let list = &line[start + kind.len()..];
                let list = &list[..list.find(')').unwrap()];
                labels.insert(
                    name,
                    list.split(',')
                        .map(|l| l.trim_matches('\'').to_owned())
                        .collect(),
                );
            }
        }
    }
    labels
}

/// How `mariadb-binlog` prints bytes: below 0x20 as `\xNN`, everything else raw.
fn escaped(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b > 0x1f {
            out.push(b);
        } else {
            out.extend(format!("\\x{b:02x}").bytes());
        }
    }
    out
}

fn json_bytes(v: &Json) -> Vec<u8> {
    match v {
        Json::String(s) => s.as_bytes().to_vec(),
        Json::Object(o) => {
            let hex = o["hex"].as_str().unwrap();
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        }
        other => panic!("not a byte value: {other}"),
    }
}

/// Epoch seconds and fraction text of our `YYYY-MM-DD HH:MM:SS[.f]` UTC rendering.
fn epoch(text: &str) -> String {
    let (main, frac) = match text.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (text, None),
    };
    let secs = if main.starts_with("0000-00-00") {
        0
    } else {
        let n: Vec<i64> = main
            .split([' ', '-', ':'])
            .map(|p| p.parse().unwrap())
            .collect();
        let (y, m, d) = (n[0], n[1], n[2]);
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        days * 86_400 + n[3] * 3600 + n[4] * 60 + n[5]
    };
    match frac {
        Some(f) => format!("{secs}.{f}"),
        None => secs.to_string(),
    }
}

fn quoted(bytes: &[u8]) -> Vec<u8> {
    [b"'".as_slice(), bytes, b"'"].concat()
}

/// Whether our JSON value is what the oracle printed for a column of type `ty`.
fn same(
    column: &str,
    ours: &Json,
    oracle: &[u8],
    ty: &str,
    labels: &HashMap<String, Vec<String>>,
) -> bool {
    let text = String::from_utf8_lossy(oracle);
    if text == "NULL" {
        return ours.is_null();
    }
    let base = ty.split('(').next().unwrap();
    match base {
        "TINYINT" | "SHORTINT" | "MEDIUMINT" | "INT" | "LONGINT" => {
            let first = text.split(' ').next().unwrap();
            let second = text.split_once('(').map(|(_, r)| r.trim_end_matches(')'));
            let ours = ours.to_string();
            ours == first || Some(ours.as_str()) == second
        }
        "YEAR" => {
            let year = ours.as_u64().unwrap();
            text == (if year == 0 { 1900 } else { year }).to_string()
        }
        "DECIMAL" => ours.as_str() == Some(&*text),
        "FLOAT" => {
            let (o, t) = (ours.as_f64().unwrap(), text.parse::<f64>().unwrap());
            o == t || ((o - t) / t).abs() < 1e-5
        }
        "DOUBLE" => ours.as_f64() == text.parse::<f64>().ok(),
        "BIT" => ours.as_str() == Some(&*text),
        "DATE" => quoted(ours.as_str().unwrap().replace('-', ":").as_bytes()) == oracle,
        "TIME" | "DATETIME" => quoted(ours.as_str().unwrap().as_bytes()) == oracle,
        "TIMESTAMP" => epoch(ours.as_str().unwrap()) == text,
        "ENUM" => {
            let list = &labels[column];
            let index = list
                .iter()
                .position(|l| Some(l.as_str()) == ours.as_str())
                .map_or(0, |i| i + 1);
            text == index.to_string()
        }
        "SET" => {
            let list = &labels[column];
            let mask: u64 = ours
                .as_str()
                .unwrap()
                .split(',')
                .filter(|m| !m.is_empty())
                .map(|m| 1u64 << list.iter().position(|l| l == m).unwrap())
                .sum();
            let bits = text.trim_start_matches("b'").trim_end_matches('\'');
            u64::from_str_radix(bits, 2).ok() == Some(mask)
        }
        // A BINARY(n) value is logged without its trailing 0x00 bytes (which the
        // oracle prints as logged) and read back padded to n bytes, as the table holds it.
        "STRING" if ours.is_object() => {
            let mut bytes = json_bytes(ours);
            while bytes.last() == Some(&0) {
                bytes.pop();
            }
            quoted(&escaped(&bytes)) == oracle
        }
        _ => quoted(&escaped(&json_bytes(ours))) == oracle,
    }
}

fn compare_side(scenario: &str, side: &str) -> usize {
    let labels = enum_labels(scenario);
    let oracle = oracle_rows(&side_files(scenario, side));
    let ours = our_rows(scenario, side);
    assert_eq!(
        ours.len(),
        oracle.len(),
        "{scenario}/{side}: row change count differs from mariadb-binlog"
    );
    for (i, (o, r)) in oracle.iter().zip(&ours).enumerate() {
        let at = format!(
            "{scenario}/{side}: row change #{i} ({} {} in {})",
            o.op, o.table, o.gtid
        );
        assert_eq!((&r.0, &r.1, &r.2), (&o.gtid, &o.op, &o.table), "{at}");
        for (name, oracle_image, our_image) in
            [("before", &o.before, &r.3), ("after", &o.after, &r.4)]
        {
            assert_eq!(
                our_image.len(),
                oracle_image.len(),
                "{at}: {name} image column count"
            );
            for (n, ((raw, ty), (column, value))) in oracle_image.iter().zip(our_image).enumerate()
            {
                assert!(
                    same(column, value, raw, ty, &labels),
                    "{at}: {name} @{} `{column}` ({ty}): ours {value} vs mariadb-binlog {}",
                    n + 1,
                    String::from_utf8_lossy(raw)
                );
            }
        }
    }
    oracle.len()
}

#[test]
fn inspect_values_equal_mariadb_binlog_for_every_fixture() {
    if !live_servers_available("inspect_values_equal_mariadb_binlog_for_every_fixture") {
        return;
    }
    let mut total = 0;
    for scenario in ["conflicts", "types", "types-compressed", "large"] {
        for side in ["east", "west"] {
            total += compare_side(scenario, side);
        }
    }
    assert!(
        total > 280_000,
        "expected the large fixture's rows too, compared {total}"
    );
}
