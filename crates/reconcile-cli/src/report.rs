//! The scan's outputs: `conflicts.csv` (the DBA's worksheet), `plan.jsonl` (all that
//! `apply` needs, hash-protected) and `summary.json`. They are written into a fresh
//! temporary directory beside the target and renamed into place, so a failed or
//! interrupted scan never leaves a half-written output.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use reconcile_binlog::Value;
use reconcile_diff::{item_hash, Class, Item, NetOp, Outcome, Suggestion};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::render::{push_json_str, push_value_json, value_json};

/// Where the scan read from and what it found, for the plan header and summary.
#[derive(Debug, Clone, Serialize)]
pub struct ScanMeta {
    pub east_sources: Vec<String>,
    pub west_sources: Vec<String>,
    pub east_files: Vec<String>,
    pub west_files: Vec<String>,
    pub schema: Option<String>,
    pub divergence: Vec<String>,
    pub east_gtids: StringList,
    pub west_gtids: StringList,
    pub options: Json,
    /// What was read from each side's server, when a side was streamed.
    pub servers: Json,
}

/// Strings in one buffer, serialized as a JSON array of strings: the plan header
/// lists every own GTID of both sides, and a `String` each would cost more than the
/// GTIDs themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringList {
    text: String,
    ends: Vec<usize>,
}

impl StringList {
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = self.text.get(start..end).unwrap_or_default();
            start = end;
            s
        })
    }
}

impl<S: AsRef<str>> FromIterator<S> for StringList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut list = StringList::default();
        for s in iter {
            list.text.push_str(s.as_ref());
            list.ends.push(list.text.len());
        }
        list.text.shrink_to_fit();
        list.ends.shrink_to_fit();
        list
    }
}

impl Serialize for StringList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The worksheet's columns, in order.
pub const CSV_COLUMNS: [&str; 20] = [
    "item_id",
    "group_id",
    "class",
    "kind",
    "suggestion",
    "schema",
    "table",
    "key",
    "east_op",
    "west_op",
    "base",
    "east",
    "west",
    "east_changed",
    "west_changed",
    "east_gtids",
    "west_gtids",
    "reason",
    "decision",
    "item_hash",
];

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Values longer than this (as JSON) are elided in the worksheet: a spreadsheet
/// cell holds at most 32,767 characters, and nobody reviews a megabyte by eye. The
/// plan always holds them whole.
const MAX_CELL_VALUE: usize = 200;

/// A value as the worksheet shows it: exact JSON, or for a long value
/// `{"elided": {"chars": N, "sha256": "...", "starts": "..."}}`.
fn cell_value(value: &Value) -> Json {
    let exact = value_json(value);
    let text = exact.to_string();
    if text.chars().count() <= MAX_CELL_VALUE {
        return exact;
    }
    let starts: String = match &exact {
        Json::String(s) => s.chars().take(40).collect(),
        other => other.to_string().chars().take(40).collect(),
    };
    json!({ "elided": { "chars": text.chars().count(), "sha256": sha256_hex(text.as_bytes()), "starts": starts } })
}

/// `{column: value}` in column order, long values elided (see [`cell_value`]).
///
/// Written straight into the text: each value by [`push_value_json`], which writes
/// what serializing its JSON value writes. What that shortcut cannot write as the
/// map would (a column named twice, a long value) goes through the JSON map.
pub fn pairs_json(pairs: &[(String, Value)]) -> String {
    let twice = pairs
        .iter()
        .enumerate()
        .any(|(n, (c, _))| pairs.iter().take(n).any(|(d, _)| d == c));
    if twice {
        return pairs_json_tree(pairs);
    }
    let mut out = Vec::with_capacity(16 + 24 * pairs.len());
    let mut cell = Vec::new();
    out.push(b'{');
    for (n, (column, value)) in pairs.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        push_json_str(&mut out, column);
        out.push(b':');
        cell.clear();
        push_value_json(&mut cell, value);
        match std::str::from_utf8(&cell) {
            Ok(text) if text.chars().count() <= MAX_CELL_VALUE => out.extend_from_slice(&cell),
            _ => {
                if serde_json::to_writer(&mut out, &cell_value(value)).is_err() {
                    return pairs_json_tree(pairs);
                }
            }
        }
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_else(|_| pairs_json_tree(pairs))
}

/// [`pairs_json`] through a JSON map.
fn pairs_json_tree(pairs: &[(String, Value)]) -> String {
    let mut map = Map::new();
    for (column, value) in pairs {
        map.insert(column.clone(), cell_value(value));
    }
    Json::Object(map).to_string()
}

fn image_cell(image: Option<&Vec<(String, Value)>>) -> String {
    image.map_or_else(|| "null".to_owned(), |pairs| pairs_json(pairs))
}

/// The suggestion as the worksheet shows it.
pub fn suggestion_text(s: Option<&Suggestion>) -> String {
    match s {
        None => String::new(),
        Some(Suggestion::MergeColumns { .. }) => "merge-columns".to_owned(),
        Some(Suggestion::Rekey { referenced_by }) if referenced_by.is_empty() => "rekey".to_owned(),
        Some(Suggestion::Rekey { referenced_by }) => {
            let ids: Vec<String> = referenced_by.iter().map(u64::to_string).collect();
            format!("rekey (referenced by items {})", ids.join(", "))
        }
        Some(Suggestion::DuplicateOf { key }) => format!("duplicate-of:{}", pairs_json(key)),
    }
}

/// The decision pre-filled for an item: `apply` for auto (`merge` when auto by
/// merging columns), `skip` for skip, empty for review.
pub fn default_decision(item: &Item) -> &'static str {
    match (item.class, &item.suggestion) {
        (Class::Auto, Some(Suggestion::MergeColumns { .. })) => "merge",
        (Class::Auto, _) => "apply",
        (Class::Skip, _) => "skip",
        (Class::Review, _) => "",
    }
}

/// A text cell a spreadsheet must neither execute nor reinterpret: text starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return (a formula), or with a digit
/// (which Calc may read as a number or a date: `0-1-12` becomes 2000-01-12) gets a
/// leading `'`, kept as text by spreadsheets.
pub fn spreadsheet_safe(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        Some(c) if c.is_ascii_digit() => format!("'{cell}"),
        _ => cell,
    }
}

/// A list as a JSON array of strings (never mistaken for a number or a date).
fn list_cell(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_default()
}

/// The worksheet row of an item (with its default decision).
pub fn csv_row(item: &Item, hash: &str) -> Vec<String> {
    let op = |o: NetOp| o.as_str().to_owned();
    let text = vec![
        item.class.as_str().to_owned(),
        item.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        suggestion_text(item.suggestion.as_ref()),
        item.schema.clone(),
        item.table.clone(),
        pairs_json(&item.key),
        op(item.east_op),
        item.west_op.map(op).unwrap_or_default(),
        image_cell(item.base.as_ref()),
        image_cell(item.east.as_ref()),
        if item.west_op.is_some() {
            image_cell(item.west.as_ref())
        } else {
            String::new()
        },
        list_cell(&item.east_changed),
        list_cell(&item.west_changed),
        list_cell(&item.east_gtids),
        list_cell(&item.west_gtids),
        item.reason.clone(),
        default_decision(item).to_owned(),
        format!("sha256:{hash}"),
    ];
    // item_id and group_id are the only numeric cells.
    [item.id.to_string(), item.group.to_string()]
        .into_iter()
        .chain(text.into_iter().map(spreadsheet_safe))
        .collect()
}

/// Writes all three outputs to `out` atomically.
/// Each item's hash, in order; the second half hashed on a thread of its own.
fn hash_items(items: &[Item]) -> Vec<String> {
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let later = scope.spawn(|| second.iter().map(item_hash).collect::<Vec<_>>());
        let mut hashes: Vec<String> = first.iter().map(item_hash).collect();
        hashes.extend(
            later
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        hashes
    })
}

pub fn write_all(out: &Path, meta: &ScanMeta, outcome: &Outcome) -> anyhow::Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "reconcile-out".into());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(parent)
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {}",
                parent.display()
            )
        })?;

    let hashes = hash_items(&outcome.items);
    // the worksheet and the plan are written side by side
    std::thread::scope(|scope| {
        let csv =
            scope.spawn(|| write_csv(&staging.path().join("conflicts.csv"), outcome, &hashes));
        let plan = write_plan(&staging.path().join("plan.jsonl"), meta, outcome, &hashes);
        let csv = csv
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        csv.and(plan)
    })?;
    write_summary(&staging.path().join("summary.json"), meta, outcome)?;

    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("cannot replace {}", out.display()))?;
    }
    let staged: PathBuf = staging.keep();
    fs::rename(&staged, out)
        .with_context(|| format!("cannot move the outputs into {}", out.display()))?;
    Ok(())
}

fn write_csv(path: &Path, outcome: &Outcome, hashes: &[String]) -> anyhow::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_path(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record(CSV_COLUMNS)?;
    for (item, hash) in outcome.items.iter().zip(hashes) {
        w.write_record(csv_row(item, hash))?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `plan.jsonl`: a header line, one line per item with its hash, and an end line with
/// the item count and the hash of every line before it (a truncated or edited plan
/// is detected by `apply`).
fn write_plan(
    path: &Path,
    meta: &ScanMeta,
    outcome: &Outcome,
    hashes: &[String],
) -> anyhow::Result<()> {
    use std::io::{BufWriter, Read, Write};
    let cannot = || format!("cannot write {}", path.display());
    // The header names the hash of the item lines, so they are written first, to a
    // file beside the plan, one at a time: the plan is never held in memory.
    let items_path = path.with_extension("items.partial");
    let mut items_hash = Sha256::new();
    {
        let mut w = BufWriter::new(fs::File::create(&items_path).with_context(cannot)?);
        // written as it stands (no JSON tree per item), fields in the plan's order
        #[derive(Serialize)]
        struct ItemLine<'i> {
            #[serde(rename = "type")]
            kind: &'static str,
            item_hash: String,
            item: &'i Item,
        }
        let mut text = Vec::new();
        for (item, hash) in outcome.items.iter().zip(hashes) {
            text.clear();
            let line = ItemLine {
                kind: "item",
                item_hash: format!("sha256:{hash}"),
                item,
            };
            serde_json::to_writer(&mut text, &line)?;
            text.push(b'\n');
            items_hash.update(&text);
            w.write_all(&text).with_context(cannot)?;
        }
        w.flush().with_context(cannot)?;
    }
    let items_hex: String = items_hash
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // serialized as it stands (no JSON tree of a header that may list millions of
    // GTIDs); the fields in the order of the plan format
    #[derive(Serialize)]
    struct Header<'m> {
        #[serde(rename = "type")]
        kind: &'static str,
        format: &'static str,
        version: u32,
        plan_id: &'m str,
        created_by: String,
        scan: &'m ScanMeta,
    }
    let header = Header {
        kind: "header",
        format: "reconcile-plan",
        version: 1,
        plan_id: &items_hex[..16],
        created_by: format!("reconcile {}", env!("CARGO_PKG_VERSION")),
        scan: meta,
    };
    let mut plan_hash = Sha256::new();
    let mut w = BufWriter::new(fs::File::create(path).with_context(cannot)?);
    let mut head = serde_json::to_vec(&header)?;
    head.push(b'\n');
    plan_hash.update(&head);
    w.write_all(&head).with_context(cannot)?;
    let mut items = fs::File::open(&items_path).with_context(cannot)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = items.read(&mut buf).with_context(cannot)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        plan_hash.update(chunk);
        w.write_all(chunk).with_context(cannot)?;
    }
    drop(items);
    fs::remove_file(&items_path).with_context(cannot)?;
    let plan_hex: String = plan_hash
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let end = json!({
        "type": "end",
        "items": outcome.items.len(),
        "plan_hash": format!("sha256:{plan_hex}"),
    });
    let mut tail = end.to_string();
    tail.push('\n');
    w.write_all(tail.as_bytes()).with_context(cannot)?;
    w.flush().with_context(cannot)?;
    Ok(())
}

fn write_summary(path: &Path, meta: &ScanMeta, outcome: &Outcome) -> anyhow::Result<()> {
    let kinds: Map<String, Json> = outcome
        .count_kinds()
        .into_iter()
        .map(|(k, n)| (k.as_str().to_owned(), json!(n)))
        .collect();
    let mut per_table: std::collections::BTreeMap<String, Map<String, Json>> = Default::default();
    for item in &outcome.items {
        let t = per_table
            .entry(format!("{}.{}", item.schema, item.table))
            .or_default();
        let n = t
            .get(item.class.as_str())
            .and_then(Json::as_u64)
            .unwrap_or(0);
        t.insert(item.class.as_str().to_owned(), json!(n + 1));
    }
    let summary = json!({
        "divergence": meta.divergence,
        "sources": { "east": meta.east_sources, "west": meta.west_sources, "schema": meta.schema },
        "servers": meta.servers,
        "east": outcome.east,
        "west": outcome.west,
        "items": outcome.items.len(),
        "classes": {
            "auto": outcome.count_class(Class::Auto),
            "skip": outcome.count_class(Class::Skip),
            "review": outcome.count_class(Class::Review),
        },
        "review_kinds": kinds,
        "per_table": per_table,
        "ddl_in_window": outcome.ddl,
        "notes": outcome.notes,
    });
    let text = serde_json::to_string_pretty(&summary)?;
    fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_lists_serialize_as_arrays_of_strings() {
        let list: StringList = ["0-1-12", "", "a\"b"].into_iter().collect();
        assert_eq!(list.iter().collect::<Vec<_>>(), ["0-1-12", "", "a\"b"]);
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            serde_json::to_string(&["0-1-12", "", "a\"b"]).unwrap()
        );
        assert_eq!(serde_json::to_string(&StringList::default()).unwrap(), "[]");
    }

    /// The direct writer agrees with the JSON map on every kind of value, escapes,
    /// long values (elided) and a column named twice.
    #[test]
    fn pairs_json_is_the_json_map_serialized() {
        use reconcile_binlog::Bytes;
        let s = |b: &[u8]| Value::String {
            bytes: Bytes(b.to_vec()),
            collation: Some(45),
        };
        let long = "é\"".repeat(150);
        let values = vec![
            Value::Null,
            Value::Int(i64::MIN),
            Value::UInt(u64::MAX),
            Value::Decimal("-1.50".into()),
            Value::Float(0.1),
            Value::Double(f64::NAN),
            s(b"a\"b\\c\n\x01 \xc3\xa9"),
            s(&[0xff, 0]),
            s(long.as_bytes()),
            s("x".repeat(199).as_bytes()),
            s("x".repeat(198).as_bytes()),
            s("é".repeat(198).as_bytes()),
            Value::Binary(Bytes(vec![0xab; 120])),
            Value::Json("{\"a\": [1]}".into()),
            Value::Enum {
                index: 1,
                label: Some(Bytes(b"new".to_vec())),
            },
            Value::Set {
                mask: 3,
                labels: None,
            },
            Value::Timestamp {
                secs: 1,
                micros: 5,
                fsp: 6,
            },
        ];
        for (n, v) in values.iter().enumerate() {
            let pairs = vec![
                ("id".to_owned(), Value::Int(n as i64)),
                ("c\"ol\u{1}".to_owned(), v.clone()),
            ];
            assert_eq!(pairs_json(&pairs), pairs_json_tree(&pairs), "{v:?}");
        }
        let twice = vec![
            ("a".to_owned(), Value::Int(1)),
            ("b".to_owned(), Value::Int(2)),
            ("a".to_owned(), Value::Int(3)),
        ];
        assert_eq!(pairs_json(&twice), "{\"a\":3,\"b\":2}");
        assert_eq!(pairs_json(&[]), "{}");
    }

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(spreadsheet_safe("=SUM(A1)".into()), "'=SUM(A1)");
        assert_eq!(spreadsheet_safe("+1".into()), "'+1");
        assert_eq!(spreadsheet_safe("-2".into()), "'-2");
        assert_eq!(spreadsheet_safe("@cmd".into()), "'@cmd");
        assert_eq!(spreadsheet_safe("{\"id\":7}".into()), "{\"id\":7}");
        assert_eq!(spreadsheet_safe(String::new()), "");
        assert_eq!(spreadsheet_safe("0-1-12".into()), "'0-1-12");
        assert_eq!(spreadsheet_safe("[\"0-1-12\"]".into()), "[\"0-1-12\"]");
    }
}
