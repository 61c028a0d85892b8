//! Folding one side's changes of one key into its net change: base → final.

use std::sync::Arc;

use reconcile_binlog::Row;

use crate::compare::{compare_rows, is_full, RowCmp};
use crate::model::NetOp;

/// One side's net change of one key over the window.
#[derive(Debug, Clone)]
pub(crate) struct SideFold {
    /// The row before the side's first change (`None`: absent).
    pub base: Option<Row>,
    /// The row after the side's last change (`None`: absent).
    pub last: Option<Row>,
    /// Transactions (GTIDs or positions) that changed the key, in order (each
    /// transaction's label is shared by every key it changed).
    pub gtids: Vec<Arc<str>>,
    /// The side's own history is not a chain: a change's before image differs from
    /// the previous change's after image (missing transactions).
    pub broken: Option<String>,
    /// Some image lacked columns.
    pub partial: bool,
}

/// Overlays the columns present in `top` onto `under` (for partial after images).
fn overlay(under: Option<&Row>, top: &Row) -> Row {
    let mut values = under.map(|r| r.values.clone()).unwrap_or_default();
    if values.len() < top.values.len() {
        values.resize(top.values.len(), None);
    }
    for (slot, v) in values.iter_mut().zip(&top.values) {
        if v.is_some() {
            slot.clone_from(v);
        }
    }
    Row { values }
}

/// Whether either image of a change lacks columns (a partial row image).
fn lacks_columns(before: Option<&Row>, after: Option<&Row>, generated: &[bool]) -> bool {
    before.is_some_and(|r| !is_full(r, generated)) || after.is_some_and(|r| !is_full(r, generated))
}

impl SideFold {
    /// A side's first change of the key.
    pub fn new(
        before: Option<&Row>,
        after: Option<&Row>,
        gtid: &Arc<str>,
        generated: &[bool],
    ) -> SideFold {
        let partial = lacks_columns(before, after, generated);
        SideFold {
            base: before.cloned(),
            last: after.map(|a| {
                if partial {
                    overlay(before, a)
                } else {
                    a.clone()
                }
            }),
            gtids: vec![Arc::clone(gtid)],
            broken: None,
            partial,
        }
    }

    /// A later change of the same key by the same side.
    pub fn push(
        &mut self,
        before: Option<&Row>,
        after: Option<&Row>,
        gtid: &Arc<str>,
        generated: &[bool],
    ) {
        let partial = lacks_columns(before, after, generated);
        self.partial |= partial;
        if self.broken.is_none() {
            match compare_rows(before, self.last.as_ref(), generated) {
                RowCmp::Different => {
                    self.broken = Some(format!(
                        "in {gtid} the row before the change is not the row {} left: the history has a gap",
                        self.gtids.last().map(|g| &**g).unwrap_or("the previous change")
                    ));
                }
                RowCmp::Unknown => self.partial = true,
                RowCmp::Equal => {}
            }
        }
        self.last = after.map(|a| {
            if partial {
                // what is known of the row before the change
                let merged_before = match (before, self.last.as_ref()) {
                    (Some(b), Some(l)) => Some(overlay(Some(l), b)),
                    (b, l) => b.or(l).cloned(),
                };
                overlay(merged_before.as_ref(), a)
            } else {
                a.clone()
            }
        });
        if self.gtids.last().map(|g| &**g) != Some(&**gtid) {
            self.gtids.push(Arc::clone(gtid));
        }
    }

    /// The net operation.
    pub fn net(&self, generated: &[bool]) -> NetOp {
        match (&self.base, &self.last) {
            (None, Some(_)) => NetOp::Insert,
            (Some(_), None) => NetOp::Delete,
            (None, None) => NetOp::None,
            (Some(b), Some(l)) => match compare_rows(Some(b), Some(l), generated) {
                RowCmp::Equal => NetOp::None,
                _ => NetOp::Update,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use reconcile_binlog::Value;

    use super::*;

    fn gtid(label: &str) -> Arc<str> {
        Arc::from(label)
    }

    fn row(values: &[i64]) -> Row {
        Row {
            values: values.iter().map(|v| Some(Value::Int(*v))).collect(),
        }
    }

    #[test]
    fn insert_then_update_then_delete_nets_to_none() {
        let mut f = SideFold::new(None, Some(&row(&[1, 10])), &gtid("a"), &[]);
        f.push(Some(&row(&[1, 10])), Some(&row(&[1, 11])), &gtid("b"), &[]);
        assert_eq!(f.net(&[]), NetOp::Insert);
        f.push(Some(&row(&[1, 11])), None, &gtid("c"), &[]);
        assert_eq!(f.net(&[]), NetOp::None);
        assert!(f.broken.is_none());
        assert_eq!(f.gtids, [gtid("a"), gtid("b"), gtid("c")]);
    }

    #[test]
    fn a_gap_in_the_chain_is_noticed() {
        let mut f = SideFold::new(Some(&row(&[1, 10])), Some(&row(&[1, 11])), &gtid("a"), &[]);
        f.push(Some(&row(&[1, 99])), Some(&row(&[1, 12])), &gtid("b"), &[]);
        assert!(f.broken.as_deref().unwrap().contains("in b"));
    }

    #[test]
    fn update_back_to_base_is_no_change() {
        let mut f = SideFold::new(Some(&row(&[1, 10])), Some(&row(&[1, 11])), &gtid("a"), &[]);
        f.push(Some(&row(&[1, 11])), Some(&row(&[1, 10])), &gtid("b"), &[]);
        assert_eq!(f.net(&[]), NetOp::None);
    }

    #[test]
    fn partial_after_images_are_overlaid_on_what_was_known() {
        let before = row(&[1, 10, 20]);
        let after = Row {
            values: vec![Some(Value::Int(1)), Some(Value::Int(11)), None],
        };
        let f = SideFold::new(Some(&before), Some(&after), &gtid("a"), &[]);
        assert!(f.partial);
        assert_eq!(f.last.unwrap(), row(&[1, 11, 20]));
    }
}
