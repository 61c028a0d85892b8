//! Exact comparison of values as the server stores them, and a canonical byte
//! encoding of keys for hashing.

use reconcile_binlog::{Row, Value};

use crate::collation::CompareRule;

/// Equality as stored: floats by their bits (no decimal round trip), everything else
/// by its typed value.
pub(crate) fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

fn bytes(tag: u8, b: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

/// Appends `tag`, then the length and the bytes `write` appends: what [`bytes`]
/// appends for those bytes, written in place.
fn bytes_with(tag: u8, out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    out.push(tag);
    let at = out.len();
    out.extend_from_slice(&[0; 8]);
    write(out);
    let n = out.len().saturating_sub(at + 8) as u64;
    if let Some(len) = out.get_mut(at..at + 8) {
        len.copy_from_slice(&n.to_le_bytes());
    }
}

/// The encoding of a character value whose bytes are `b` (a collation weight).
pub(crate) fn encode_string_bytes(b: &[u8], out: &mut Vec<u8>) {
    bytes(6, b, out);
}

/// The encoding of a character value whose bytes are `rule`'s weight of `b`:
/// `encode_string_bytes(&rule.weight(b), out)`, without a buffer of its own.
pub(crate) fn encode_weight(rule: CompareRule, b: &[u8], out: &mut Vec<u8>) {
    bytes_with(6, out, |out| rule.weight_into(b, out));
}

/// The encoding of a binary value whose bytes are `b`.
pub(crate) fn encode_binary_bytes(b: &[u8], out: &mut Vec<u8>) {
    bytes(7, b, out);
}

/// Splits a concatenation of [`encode_value`]s into the encoding of each value.
pub(crate) fn split_encoded(mut enc: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::new();
    while let Some(&tag) = enc.first() {
        let len = if tag == 0 {
            1
        } else {
            let n = u64::from_le_bytes(enc.get(1..9)?.try_into().ok()?);
            9usize.checked_add(usize::try_from(n).ok()?)?
        };
        parts.push(enc.get(..len)?);
        enc = enc.get(len..)?;
    }
    Some(parts)
}

/// Appends a canonical, unambiguous encoding of `value` to `out`.
pub(crate) fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(0),
        Value::Int(i) => bytes(1, &i.to_le_bytes(), out),
        Value::UInt(u) => bytes(2, &u.to_le_bytes(), out),
        Value::Decimal(d) => bytes(3, d.as_bytes(), out),
        Value::Float(f) => bytes(4, &f.to_bits().to_le_bytes(), out),
        Value::Double(f) => bytes(5, &f.to_bits().to_le_bytes(), out),
        Value::String { bytes: b, .. } => bytes(6, &b.0, out),
        Value::Binary(b) => bytes(7, &b.0, out),
        other => {
            // Temporal, bit, enum, set, JSON, geometry: their serde form is
            // canonical and unambiguous (none when it cannot be written).
            bytes_with(8, out, |out| {
                let start = out.len();
                if serde_json::to_writer(&mut *out, other).is_err() {
                    out.truncate(start);
                }
            });
        }
    }
}

/// The canonical encoding of a key (or any list of values).
pub(crate) fn encode_values<'a>(values: impl IntoIterator<Item = &'a Value>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        encode_value(v, &mut out);
    }
    out
}

/// The result of comparing two row images column by column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowCmp {
    Equal,
    Different,
    /// A column one image has is missing in the other, and the columns both have agree.
    Unknown,
}

/// Compares two rows (or their absence), ignoring generated columns.
pub(crate) fn compare_rows(a: Option<&Row>, b: Option<&Row>, generated: &[bool]) -> RowCmp {
    match (a, b) {
        (None, None) => RowCmp::Equal,
        (None, Some(_)) | (Some(_), None) => RowCmp::Different,
        (Some(a), Some(b)) => {
            let mut unknown = false;
            let n = a.values.len().max(b.values.len());
            for i in 0..n {
                if generated.get(i).copied().unwrap_or(false) {
                    continue;
                }
                match (
                    a.values.get(i).and_then(Option::as_ref),
                    b.values.get(i).and_then(Option::as_ref),
                ) {
                    (Some(x), Some(y)) if !same_value(x, y) => return RowCmp::Different,
                    (Some(_), Some(_)) => {}
                    (None, None) => unknown = true,
                    _ => unknown = true,
                }
            }
            if unknown {
                RowCmp::Unknown
            } else {
                RowCmp::Equal
            }
        }
    }
}

/// Whether every non-generated column is present in the image, as a whole value (a
/// MySQL partial JSON update whose before image lacked the document is not whole).
pub(crate) fn is_full(row: &Row, generated: &[bool]) -> bool {
    row.values.iter().enumerate().all(|(i, v)| {
        matches!(v, Some(v) if !matches!(v, Value::JsonPartial(_)))
            || generated.get(i).copied().unwrap_or(false)
    })
}

/// Columns whose values differ between `from` and `to` (both present), ignoring
/// generated columns. Columns absent from either image are not listed.
pub(crate) fn changed_columns(
    from: Option<&Row>,
    to: Option<&Row>,
    generated: &[bool],
) -> Vec<usize> {
    let (Some(from), Some(to)) = (from, to) else {
        // An insert or delete changes every column.
        let row = from.or(to);
        return row
            .map(|r| {
                (0..r.values.len())
                    .filter(|&i| !generated.get(i).copied().unwrap_or(false))
                    .collect()
            })
            .unwrap_or_default();
    };
    (0..from.values.len().max(to.values.len()))
        .filter(|&i| !generated.get(i).copied().unwrap_or(false))
        .filter(|&i| {
            match (
                from.values.get(i).and_then(Option::as_ref),
                to.values.get(i).and_then(Option::as_ref),
            ) {
                (Some(x), Some(y)) => !same_value(x, y),
                _ => false,
            }
        })
        .collect()
}

/// The encodings as first written, each through a buffer of its own: what the
/// in-place encodings and the probe's borrowed values are checked against.
#[cfg(test)]
pub(crate) mod reference {
    use reconcile_binlog::Value;

    use super::bytes;
    use crate::collation::CompareRule;

    pub(crate) fn encode_value(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Null => out.push(0),
            Value::Int(i) => bytes(1, &i.to_le_bytes(), out),
            Value::UInt(u) => bytes(2, &u.to_le_bytes(), out),
            Value::Decimal(d) => bytes(3, d.as_bytes(), out),
            Value::Float(f) => bytes(4, &f.to_bits().to_le_bytes(), out),
            Value::Double(f) => bytes(5, &f.to_bits().to_le_bytes(), out),
            Value::String { bytes: b, .. } => bytes(6, &b.0, out),
            Value::Binary(b) => bytes(7, &b.0, out),
            other => {
                let text = serde_json::to_vec(other).unwrap_or_default();
                bytes(8, &text, out);
            }
        }
    }

    pub(crate) fn encode_weighed(rule: Option<CompareRule>, value: &Value, out: &mut Vec<u8>) {
        match (rule, value) {
            (Some(rule), Value::String { bytes: b, .. }) => bytes(6, &rule.weight(&b.0), out),
            _ => encode_value(value, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[Option<Value>]) -> Row {
        Row {
            values: values.to_vec(),
        }
    }

    #[test]
    fn floats_compare_by_bits() {
        assert!(same_value(&Value::Float(0.1), &Value::Float(0.1)));
        assert!(!same_value(&Value::Float(0.1), &Value::Double(0.1)));
        assert!(!same_value(
            &Value::Double(0.1),
            &Value::Double(0.1 + f64::EPSILON)
        ));
    }

    #[test]
    fn partial_images_compare_as_unknown_unless_a_shared_column_differs() {
        let full = row(&[Some(Value::Int(1)), Some(Value::Int(2))]);
        let partial_same = row(&[Some(Value::Int(1)), None]);
        let partial_diff = row(&[Some(Value::Int(9)), None]);
        assert_eq!(
            compare_rows(Some(&full), Some(&partial_same), &[]),
            RowCmp::Unknown
        );
        assert_eq!(
            compare_rows(Some(&full), Some(&partial_diff), &[]),
            RowCmp::Different
        );
        assert_eq!(compare_rows(Some(&full), Some(&full), &[]), RowCmp::Equal);
        // A generated column never counts.
        let other_gen = row(&[Some(Value::Int(1)), Some(Value::Int(7))]);
        assert_eq!(
            compare_rows(Some(&full), Some(&other_gen), &[false, true]),
            RowCmp::Equal
        );
    }

    #[test]
    fn a_partial_json_update_is_not_a_full_image() {
        let full = row(&[Some(Value::Int(1)), Some(Value::Json("{}".into()))]);
        let partial = row(&[Some(Value::Int(1)), Some(Value::JsonPartial(Vec::new()))]);
        assert!(is_full(&full, &[]));
        assert!(!is_full(&partial, &[]));
    }

    #[test]
    fn encodings_split_back_into_values() {
        let values = [
            Value::Int(-3),
            Value::Null,
            Value::Decimal("1.50".into()),
            Value::Null,
            Value::String {
                bytes: reconcile_binlog::Bytes(b"x".to_vec()),
                collation: None,
            },
        ];
        let all = encode_values(&values);
        let parts = split_encoded(&all).unwrap();
        assert_eq!(parts.len(), values.len());
        for (part, v) in parts.iter().zip(&values) {
            assert_eq!(*part, encode_values([v]).as_slice());
        }
        assert!(split_encoded(&all[..all.len() - 1]).is_none());
    }

    /// Values of every variant, as the probe test's fixtures may lack some.
    fn every_variant() -> Vec<Value> {
        use reconcile_binlog::{Bytes, JsonDiff, JsonDiffOp};
        vec![
            Value::Null,
            Value::Int(-7),
            Value::UInt(u64::MAX),
            Value::Decimal("-12.50".into()),
            Value::Float(f32::NAN),
            Value::Double(-0.0),
            Value::Bit {
                bits: 9,
                bytes: Bytes(vec![1, 0xff]),
            },
            Value::Enum {
                index: 2,
                label: Some(Bytes(b"b\"\xff".to_vec())),
            },
            Value::Enum {
                index: 0,
                label: None,
            },
            Value::Set {
                mask: 5,
                labels: Some(vec![Bytes(b"x".to_vec()), Bytes(vec![0xc3])]),
            },
            Value::Set {
                mask: 1 << 63,
                labels: None,
            },
            Value::Year(0),
            Value::Date {
                year: 0,
                month: 0,
                day: 0,
            },
            Value::Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 1,
                fsp: 6,
            },
            Value::DateTime {
                year: 9999,
                month: 12,
                day: 31,
                hour: 23,
                minute: 59,
                second: 59,
                micros: 999_999,
                fsp: 6,
            },
            Value::Timestamp {
                secs: u32::MAX,
                micros: 0,
                fsp: 0,
            },
            Value::String {
                bytes: Bytes(b"Zo\xc3\xab  ".to_vec()),
                collation: Some(45),
            },
            Value::Binary(Bytes(vec![0, 0xff])),
            Value::Json("{\"a\": [1, \"\\u00fc\"]}".into()),
            Value::Geometry(Bytes(vec![0; 25])),
            Value::Vector(Bytes(vec![0, 0, 0x80, 0x3f])),
            Value::JsonPartial(vec![JsonDiff {
                op: JsonDiffOp::Replace,
                path: "$.a[1]".into(),
                value: Some("\"\\n\"".into()),
            }]),
        ]
    }

    /// The in-place encodings write what the first ones wrote through buffers of
    /// their own, after whatever `out` holds.
    #[test]
    fn encodings_in_place_are_the_reference_encodings() {
        let rules = [
            None,
            CompareRule::from_name("utf8mb4_general_ci"),
            CompareRule::from_name("utf8mb4_bin"),
            CompareRule::from_name("latin1_swedish_ci"),
        ];
        for v in every_variant() {
            let mut new = vec![9];
            let mut old = vec![9];
            encode_value(&v, &mut new);
            reference::encode_value(&v, &mut old);
            assert_eq!(new, old, "{v:?}");
            for rule in rules {
                let (mut new, mut old) = (vec![9], vec![9]);
                crate::engine::encode_weighed(rule, &v, &mut new);
                reference::encode_weighed(rule, &v, &mut old);
                assert_eq!(new, old, "{v:?} {rule:?}");
            }
        }
    }

    #[test]
    fn key_encoding_is_unambiguous() {
        let a = encode_values(&[Value::Int(1), Value::Decimal("23".into())]);
        let b = encode_values(&[Value::Int(12), Value::Decimal("3".into())]);
        assert_ne!(a, b);
        assert_ne!(
            encode_values(&[Value::Int(1)]),
            encode_values(&[Value::UInt(1)])
        );
    }
}
