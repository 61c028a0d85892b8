//! Reading back what `scan` wrote, refusing anything that does not verify: the plan's
//! hash chain, every item's hash, and a worksheet whose cells other than `decision`
//! must be exactly what the scan wrote.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use reconcile_apply::{Decision, GroupPlan, PlannedItem};
use reconcile_diff::{item_hash, Class, Item};
use serde_json::Value as Json;

use crate::report::{csv_row, sha256_hex, CSV_COLUMNS};

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
}

fn refuse(file: &Path, line: usize, column: Option<&str>, reason: impl Into<String>) -> Refused {
    Refused {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        reason: reason.into(),
    }
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
    let covered: String = body.iter().map(|l| format!("{l}\n")).collect();
    let want = end["plan_hash"].as_str().unwrap_or_default();
    if want != format!("sha256:{}", sha256_hex(covered.as_bytes())) {
        return Err(refuse(
            &path,
            lines.len(),
            None,
            "plan_hash does not match the plan: it was edited or damaged",
        ));
    }
    let header: Json = body
        .first()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| refuse(&path, 1, None, "no header line"))?;
    if header["type"] != "header" || header["format"] != "reconcile-plan" || header["version"] != 1
    {
        return Err(refuse(&path, 1, None, "not a reconcile plan of version 1"));
    }
    let plan_id = header["plan_id"].as_str().unwrap_or_default().to_owned();
    let mut items = Vec::new();
    for (n, line) in body.iter().enumerate().skip(1) {
        let line_no = n + 1;
        let value: Json = serde_json::from_str(line)
            .map_err(|e| refuse(&path, line_no, None, format!("not JSON: {e}")))?;
        let item: Item = serde_json::from_value(value["item"].clone())
            .map_err(|e| refuse(&path, line_no, Some("item"), format!("not an item: {e}")))?;
        if value["item_hash"].as_str() != Some(&format!("sha256:{}", item_hash(&item))) {
            return Err(refuse(
                &path,
                line_no,
                Some("item_hash"),
                format!("item {} does not match its hash", item.id),
            ));
        }
        items.push(item);
    }
    if end["items"].as_u64() != Some(items.len() as u64) {
        return Err(refuse(
            &path,
            lines.len(),
            None,
            "the item count does not match",
        ));
    }
    Ok(Plan { plan_id, items })
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
    for item in &plan.items {
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
        let expected = csv_row(item, &item_hash(item));
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
    plan: &Plan,
    decisions: &[Option<Decision>],
) -> Result<(Vec<GroupPlan>, BTreeMap<u64, Held>), reconcile_apply::ApplyError> {
    let mut by_group: BTreeMap<u64, Vec<(&Item, Option<Decision>)>> = BTreeMap::new();
    for (item, decision) in plan.items.iter().zip(decisions) {
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
