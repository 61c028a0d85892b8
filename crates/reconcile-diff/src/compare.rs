//! Exact comparison of values as the server stores them, and a canonical byte
//! encoding of keys for hashing.

use reconcile_binlog::{Row, Value};

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

/// The encoding of a character value whose bytes are `b` (a collation weight).
pub(crate) fn encode_string_bytes(b: &[u8], out: &mut Vec<u8>) {
    bytes(6, b, out);
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
            // canonical and unambiguous.
            let text = serde_json::to_vec(other).unwrap_or_default();
            bytes(8, &text, out);
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
