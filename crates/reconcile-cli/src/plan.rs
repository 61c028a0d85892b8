//! Reading back what `scan` wrote, refusing anything that does not verify: the plan's
//! hash chain, every item's hash, and a worksheet whose cells other than `decision`
//! must be exactly what the scan wrote.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use reconcile_apply::{Decision, GroupPlan, PlannedItem};
use reconcile_diff::{item_hash, Class, Item};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::render::hex;
use crate::report::{csv_row, CSV_COLUMNS};

/// A plan or worksheet that does not verify: nothing is applied. Names the file,
/// line and column.
#[derive(Debug)]
pub struct Refused {
    pub file: PathBuf,
    pub line: usize,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plan refused: {} line {}",
            self.file.display(),
            self.line
        )?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for Refused {}

/// The verified plan.
#[derive(Debug)]
pub struct Plan {
    pub plan_id: String,
    pub items: Vec<Item>,
    /// Each item's hash (hex), verified against the item.
    pub hashes: Vec<String>,
}

fn refuse(file: &Path, line: usize, column: Option<&str>, reason: impl Into<String>) -> Refused {
    Refused {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        reason: reason.into(),
    }
}

/// The header fields `apply` checks; the rest (the scan's metadata, possibly
/// millions of GTIDs) is skipped without building a JSON tree.
#[derive(Deserialize)]
struct Header {
    #[serde(rename = "type")]
    kind: Option<Json>,
    format: Option<Json>,
    version: Option<Json>,
    plan_id: Option<Json>,
}

/// An item line, read straight into the item.
#[derive(Deserialize)]
struct ItemLine {
    item_hash: Option<Json>,
    item: Item,
}

/// `line` when it holds a JSON object: a struct also reads from an array, which a
/// JSON tree indexed by field names never did.
fn object(line: &str) -> Option<&str> {
    line.trim_start().starts_with('{').then_some(line)
}

/// An item line read as a JSON tree first: only to name what is wrong with a line
/// that does not read as an [`ItemLine`].
fn item_line_error(path: &Path, line_no: usize, line: &str) -> Refused {
    let value: Json = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(e) => return refuse(path, line_no, None, format!("not JSON: {e}")),
    };
    match serde_json::from_value::<Item>(value["item"].clone()) {
        Err(e) => refuse(path, line_no, Some("item"), format!("not an item: {e}")),
        Ok(item) => refuse(
            path,
            line_no,
            Some("item"),
            format!("item {} cannot be read", item.id),
        ),
    }
}

/// Item lines numbered from `first_line`, each read and its hash verified; stops at
/// the first that does not verify.
fn read_items(
    path: &Path,
    first_line: usize,
    lines: &[&str],
) -> Result<Vec<(Item, String)>, Refused> {
    let mut out = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let line_no = first_line + n;
        let parsed: ItemLine = object(line)
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| item_line_error(path, line_no, line))?;
        let hash = item_hash(&parsed.item);
        let stated = parsed
            .item_hash
            .as_ref()
            .and_then(Json::as_str)
            .and_then(|h| h.strip_prefix("sha256:"));
        if stated != Some(hash.as_str()) {
            return Err(refuse(
                path,
                line_no,
                Some("item_hash"),
                format!("item {} does not match its hash", parsed.item.id),
            ));
        }
        out.push((parsed.item, hash));
    }
    Ok(out)
}

/// Reads and verifies `plan.jsonl`: the end line's hash over every line before it
/// first, then each item's own hash.
pub fn read_plan(dir: &Path) -> Result<Plan, Refused> {
    let path = dir.join("plan.jsonl");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| refuse(&path, 0, None, format!("cannot read it: {e}")))?;
    let lines: Vec<&str> = text.lines().collect();
    let Some((last, body)) = lines.split_last() else {
        return Err(refuse(&path, 1, None, "the plan is empty"));
    };
    let end: Json = serde_json::from_str(last).map_err(|e| {
        refuse(
            &path,
            lines.len(),
            None,
            format!("the last line is not the end line (truncated?): {e}"),
        )
    })?;
    if end["type"] != "end" {
        return Err(refuse(
            &path,
            lines.len(),
            None,
            "the last line is not the end line: the plan is truncated",
        ));
    }
    // The item lines are read and hashed on every core while another thread takes
    // the plan hash; the checks then refuse in the order they always did: the plan
    // hash, the header, the first bad item line.
    let item_lines = body.get(1..).unwrap_or_default();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = item_lines.len().div_ceil(workers).max(1);
    let (covered, chunks) = std::thread::scope(|s| {
        let covered = s.spawn(|| {
            // The hash covers each line before the end line with a newline after it.
            let mut covered = Sha256::new();
            for line in body {
                covered.update(line.as_bytes());
                covered.update(b"\n");
            }
            covered.finalize()
        });
        let path = &path;
        let readers: Vec<_> = item_lines
            .chunks(chunk)
            .enumerate()
            // line numbers are 1-based and the header is line 1
            .map(|(n, lines)| s.spawn(move || read_items(path, 2 + n * chunk, lines)))
            .collect();
        let chunks: Vec<_> = readers.into_iter().map(|r| r.join()).collect();
        (covered.join(), chunks)
    });
    let broken = || refuse(&path, 0, None, "a thread reading the plan failed");
    let covered = covered.map_err(|_| broken())?;
    let want = end["plan_hash"].as_str().unwrap_or_default();
    if want.strip_prefix("sha256:") != Some(hex(&covered).as_str()) {
        return Err(refuse(
            &path,
            lines.len(),
            None,
            "plan_hash does not match the plan: it was edited or damaged",
        ));
    }
    let first = body.first().copied().unwrap_or_default();
    let header: Header = match object(first).and_then(|l| serde_json::from_str(l).ok()) {
        Some(header) => header,
        // any other JSON is a header that fails the checks below
        None if serde_json::from_str::<IgnoredAny>(first).is_ok() => {
            return Err(refuse(&path, 1, None, "not a reconcile plan of version 1"))
        }
        None => return Err(refuse(&path, 1, None, "no header line")),
    };
    if header.kind.as_ref().is_none_or(|k| k != "header")
        || header.format.as_ref().is_none_or(|f| f != "reconcile-plan")
        || header.version.as_ref().is_none_or(|v| *v != 1)
    {
        return Err(refuse(&path, 1, None, "not a reconcile plan of version 1"));
    }
    let plan_id = header
        .plan_id
        .as_ref()
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut items = Vec::with_capacity(item_lines.len());
    let mut hashes = Vec::with_capacity(item_lines.len());
    for chunk in chunks {
        for (item, hash) in chunk.map_err(|_| broken())?? {
            items.push(item);
            hashes.push(hash);
        }
    }
    if end["items"].as_u64() != Some(items.len() as u64) {
        return Err(refuse(
            &path,
            lines.len(),
            None,
            "the item count does not match",
        ));
    }
    Ok(Plan {
        plan_id,
        items,
        hashes,
    })
}

/// What the DBA decided for each item (`None`: left empty).
pub fn read_decisions(dir: &Path, plan: &Plan) -> Result<Vec<Option<Decision>>, Refused> {
    let path = dir.join("conflicts.csv");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&path)
        .map_err(|e| refuse(&path, 0, None, format!("cannot read it: {e}")))?;
    let mut records = reader.records();
    let header = records
        .next()
        .ok_or_else(|| refuse(&path, 1, None, "the worksheet is empty"))?
        .map_err(|e| refuse(&path, 1, None, e.to_string()))?;
    if header.iter().collect::<Vec<_>>() != CSV_COLUMNS {
        return Err(refuse(
            &path,
            1,
            None,
            format!("the header must be {}", CSV_COLUMNS.join(",")),
        ));
    }
    let decision_col = CSV_COLUMNS
        .iter()
        .position(|c| *c == "decision")
        .unwrap_or(18);
    let mut decisions = Vec::with_capacity(plan.items.len());
    for (item, hash) in plan.items.iter().zip(&plan.hashes) {
        let record = records
            .next()
            .ok_or_else(|| {
                refuse(
                    &path,
                    decisions.len() + 2,
                    None,
                    format!("item {} is missing: the worksheet is truncated", item.id),
                )
            })?
            .map_err(|e| refuse(&path, decisions.len() + 2, None, e.to_string()))?;
        let line = record
            .position()
            .map_or(decisions.len() + 2, |p| p.line() as usize);
        let expected = csv_row(item, hash);
        if record.len() != expected.len() {
            return Err(refuse(
                &path,
                line,
                None,
                format!("{} cells instead of {}", record.len(), expected.len()),
            ));
        }
        for (c, (got, want)) in record.iter().zip(&expected).enumerate() {
            if c != decision_col && got != want {
                let what = match CSV_COLUMNS[c] {
                    "item_id" => format!("item_id {got} is not the plan's item {want}"),
                    "item_hash" => "item_hash does not match the plan".to_owned(),
                    _ => {
                        "edited outside the decision column (only `decision` may change)".to_owned()
                    }
                };
                return Err(refuse(&path, line, Some(CSV_COLUMNS[c]), what));
            }
        }
        let decision = match record
            .get(decision_col)
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" => None,
            "apply" => Some(Decision::Apply),
            "skip" => Some(Decision::Skip),
            "merge" => Some(Decision::Merge),
            other => {
                return Err(refuse(
                    &path,
                    line,
                    Some("decision"),
                    format!("`{other}` is not apply, skip, merge or empty"),
                ))
            }
        };
        if decision == Some(Decision::Merge)
            && !matches!(
                item.suggestion,
                Some(reconcile_diff::Suggestion::MergeColumns { .. })
            )
        {
            return Err(refuse(
                &path,
                line,
                Some("decision"),
                "`merge` is only possible where the suggestion is merge-columns",
            ));
        }
        decisions.push(decision);
    }
    if let Some(extra) = records.next() {
        let line = extra
            .ok()
            .and_then(|r| r.position().map(|p| p.line() as usize))
            .unwrap_or(0);
        return Err(refuse(
            &path,
            line,
            None,
            "more rows than the plan has items",
        ));
    }
    Ok(decisions)
}

/// Why a group is not applied.
#[derive(Debug, Clone)]
pub enum Held {
    /// Some item is decided `skip` (keep West) or left undecided.
    NotApproved { items: Vec<u64> },
}

/// The groups to apply (in East commit order) and those held back, from the plan and
/// the decisions. A group is applied only when every item of it is decided `apply`
/// or `merge`; an item the scan classed `skip` (both sides agree) needs no write.
pub fn groups(
    items: Vec<Item>,
    decisions: &[Option<Decision>],
) -> Result<(Vec<GroupPlan>, BTreeMap<u64, Held>), reconcile_apply::ApplyError> {
    let mut by_group: BTreeMap<u64, Vec<(Item, Option<Decision>)>> = BTreeMap::new();
    for (item, decision) in items.into_iter().zip(decisions) {
        by_group
            .entry(item.group)
            .or_default()
            .push((item, *decision));
    }
    let mut approved = Vec::new();
    let mut held = BTreeMap::new();
    for (group, items) in by_group {
        let blocking: Vec<u64> = items
            .iter()
            .filter(|(item, d)| {
                !(item.class == Class::Skip || matches!(d, Some(Decision::Apply | Decision::Merge)))
            })
            .map(|(item, _)| item.id)
            .collect();
        if !blocking.is_empty() {
            held.insert(group, Held::NotApproved { items: blocking });
            continue;
        }
        let mut planned = Vec::new();
        for (item, decision) in items {
            if item.class == Class::Skip {
                continue;
            }
            if let Some(p) = PlannedItem::new(item, decision.unwrap_or(Decision::Skip), group)? {
                planned.push(p);
            }
        }
        if !planned.is_empty() {
            approved.push(GroupPlan {
                group,
                items: planned,
            });
        }
    }
    Ok((approved, held))
}

#[cfg(test)]
mod tests {
    use reconcile_binlog::{Bytes, Value};
    use reconcile_diff::NetOp;

    use super::*;

    fn item(id: u64) -> Item {
        let row = |v: i64| {
            vec![
                ("id".to_owned(), Value::Int(id as i64)),
                (
                    "name".to_owned(),
                    Value::String {
                        bytes: Bytes(format!("n\"{v}").into_bytes()),
                        collation: Some(45),
                    },
                ),
                ("v".to_owned(), Value::Int(v)),
            ]
        };
        Item {
            id,
            group: id,
            class: Class::Auto,
            kind: None,
            suggestion: None,
            schema: "s".into(),
            table: "t".into(),
            columns: vec!["id".into(), "name".into(), "v".into()],
            generated: vec![],
            key: vec![("id".into(), Value::Int(id as i64))],
            east_op: NetOp::Update,
            west_op: None,
            base: Some(row(1)),
            west_base: None,
            east: Some(row(2)),
            west: None,
            east_changed: vec!["v".into()],
            west_changed: vec![],
            east_gtids: vec![format!("0-1-{id}")],
            west_gtids: vec![],
            reason: "only East changed the key".into(),
        }
    }

    /// A plan as `scan` writes it: header, item lines, end line over them.
    fn plan_text(lines: &[String]) -> String {
        let mut body = String::new();
        for line in lines {
            body.push_str(line);
            body.push('\n');
        }
        let end = serde_json::json!({
            "type": "end",
            "items": lines.len() - 1,
            "plan_hash": format!("sha256:{}", hex(&Sha256::digest(body.as_bytes()))),
        });
        format!("{body}{end}\n")
    }

    fn lines(n: u64) -> Vec<String> {
        let mut out = vec![serde_json::json!({
            "type": "header", "format": "reconcile-plan", "version": 1, "plan_id": "abc",
            "scan": {"east_own": ["0-1-1", "0-1-2"], "nested": {"deep": [1, 2, {"x": null}]}},
        })
        .to_string()];
        for id in 1..=n {
            let it = item(id);
            out.push(
                serde_json::json!({ "type": "item", "item_hash": format!("sha256:{}", item_hash(&it)), "item": it })
                    .to_string(),
            );
        }
        out
    }

    fn read(text: &str) -> Result<Plan, Refused> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plan.jsonl"), text).unwrap();
        read_plan(dir.path())
    }

    fn refused(text: &str) -> (usize, Option<String>, String) {
        let e = read(text).unwrap_err();
        (e.line, e.column, e.reason)
    }

    #[test]
    fn a_plan_reads_back_its_items_and_their_hashes() {
        let plan = read(&plan_text(&lines(3))).unwrap();
        assert_eq!(plan.plan_id, "abc");
        assert_eq!(plan.items, vec![item(1), item(2), item(3)]);
        let hashes: Vec<String> = plan.items.iter().map(item_hash).collect();
        assert_eq!(plan.hashes, hashes);
        // line ends as Windows writes them read as before
        let crlf = plan_text(&lines(2)).replace('\n', "\r\n");
        assert_eq!(read(&crlf).unwrap().items, vec![item(1), item(2)]);
    }

    #[test]
    fn every_check_of_the_plan_still_refuses() {
        let good = lines(3);
        // an edit without a new plan hash
        let text = plan_text(&good).replacen("only East", "only Fast", 1);
        assert_eq!(
            refused(&text),
            (
                5,
                None,
                "plan_hash does not match the plan: it was edited or damaged".into()
            )
        );
        // an item edited, and the plan hash made again: its own hash refuses it
        let mut edited = good.clone();
        edited[2] = edited[2].replacen("only East", "only Fast", 1);
        assert_eq!(
            refused(&plan_text(&edited)),
            (
                3,
                Some("item_hash".into()),
                "item 2 does not match its hash".into()
            )
        );
        // the first bad line is named, wherever the lines are read
        let mut many = lines(40);
        many[35] = many[35].replacen("only East", "only Fast", 1);
        assert_eq!(refused(&plan_text(&many)).0, 36);
        many[3] = "{}".into();
        assert_eq!(refused(&plan_text(&many)).0, 4);
        let mut edited = good.clone();
        edited[2] = edited[2].replacen("\"item_hash\":\"sha256:", "\"item_hash\":\"sha1:", 1);
        assert_eq!(refused(&plan_text(&edited)).1, Some("item_hash".into()));
        let mut edited = good.clone();
        edited[2] = edited[2].replacen("\"item_hash\":", "\"hash\":", 1);
        assert_eq!(refused(&plan_text(&edited)).1, Some("item_hash".into()));
        // a line that is no JSON, or no item
        let mut edited = good.clone();
        edited[1] = "{\"type\":\"item\",".into();
        let (line, column, reason) = refused(&plan_text(&edited));
        assert_eq!((line, column), (2, None));
        assert!(reason.starts_with("not JSON: "), "{reason}");
        let mut edited = good.clone();
        edited[1] = "{\"type\":\"item\",\"item_hash\":\"sha256:00\",\"item\":{\"id\":1}}".into();
        let (line, column, reason) = refused(&plan_text(&edited));
        assert_eq!((line, column), (2, Some("item".into())));
        assert!(reason.starts_with("not an item: "), "{reason}");
        // the header
        for (from, to) in [
            ("\"version\":1", "\"version\":2"),
            ("\"version\":1", "\"version\":\"1\""),
            ("\"format\":\"reconcile-plan\"", "\"format\":\"other\""),
            ("\"type\":\"header\"", "\"type\":\"item\""),
            ("\"type\":\"header\",", ""),
        ] {
            let mut edited = good.clone();
            edited[0] = edited[0].replacen(from, to, 1);
            assert_ne!(edited[0], good[0]);
            assert_eq!(
                refused(&plan_text(&edited)),
                (1, None, "not a reconcile plan of version 1".into()),
                "{to}"
            );
        }
        for (header, reason) in [
            ("[1]", "not a reconcile plan of version 1"),
            (
                "[\"header\",\"reconcile-plan\",1,\"abc\"]",
                "not a reconcile plan of version 1",
            ),
            ("{\"type\":", "no header line"),
        ] {
            let mut edited = good.clone();
            edited[0] = header.into();
            assert_eq!(refused(&plan_text(&edited)).2, reason, "{header}");
        }
        // an item line as an array of its fields
        let mut edited = good.clone();
        let it = item(1);
        edited[1] = serde_json::json!([format!("sha256:{}", item_hash(&it)), it]).to_string();
        assert_eq!(refused(&plan_text(&edited)).1, Some("item".into()));
        // truncated, or a wrong count
        let text = plan_text(&good);
        let cut = text.trim_end().rfind('\n').unwrap();
        assert!(refused(&text[..cut])
            .2
            .starts_with("the last line is not the end line"));
        let text = text.replacen("\"items\":3", "\"items\":4", 1);
        assert_eq!(refused(&text).2, "the item count does not match");
        assert_eq!(refused("").2, "the plan is empty");
    }
}
