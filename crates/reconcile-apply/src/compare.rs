//! Binlog values as statement parameters, and the type-exact comparison of a value
//! the scan saw with what the server returns now (binary protocol, raw bytes).

use mysql_async::Value as My;
use reconcile_binlog::Value;
use serde::Serialize;

/// A guard column that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueDiff {
    /// Column name.
    pub column: String,
    /// What the scan saw on West.
    pub expected: String,
    /// What the target holds now.
    pub actual: String,
}

/// The parameter that writes `value` exactly as the binlog holds it (the session
/// uses `time_zone = '+00:00'` and `SET NAMES binary`, so bytes are stored as is).
pub fn param(value: &Value) -> My {
    match value {
        Value::Null => My::NULL,
        Value::Int(i) => My::Int(*i),
        Value::UInt(u) => My::UInt(*u),
        Value::Decimal(d) => My::Bytes(d.clone().into_bytes()),
        Value::Float(f) => My::Float(*f),
        Value::Double(f) => My::Double(*f),
        Value::Bit { bytes, .. } => My::UInt(
            bytes
                .0
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
        ),
        Value::Enum { index, label } => match label {
            Some(l) => My::Bytes(l.0.clone()),
            None => My::UInt(u64::from(*index)),
        },
        Value::Set { mask, labels } => match labels {
            Some(ls) => My::Bytes(
                ls.iter()
                    .map(|l| l.0.clone())
                    .collect::<Vec<_>>()
                    .join(&b","[..]),
            ),
            None => My::UInt(*mask),
        },
        Value::Year(y) => My::UInt(u64::from(*y)),
        Value::Date { year, month, day } => My::Date(*year, *month, *day, 0, 0, 0, 0),
        Value::Time {
            negative,
            hours,
            minutes,
            seconds,
            micros,
            ..
        } => My::Time(
            *negative,
            u32::from(*hours / 24),
            (*hours % 24) as u8,
            *minutes,
            *seconds,
            *micros,
        ),
        Value::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
            ..
        } => My::Date(*year, *month, *day, *hour, *minute, *second, *micros),
        Value::Timestamp { secs, micros, .. } => {
            if *secs == 0 && *micros == 0 {
                My::Date(0, 0, 0, 0, 0, 0, 0)
            } else {
                let (y, mo, d, h, mi, s) = reconcile_binlog::utc_civil(*secs);
                My::Date(y, mo, d, h, mi, s, *micros)
            }
        }
        Value::String { bytes, .. }
        | Value::Binary(bytes)
        | Value::Geometry(bytes)
        | Value::Vector(bytes) => My::Bytes(bytes.0.clone()),
        Value::Json(text) => My::Bytes(text.clone().into_bytes()),
        other => My::Bytes(serde_json::to_vec(other).unwrap_or_default()),
    }
}

fn as_i128(v: &My) -> Option<i128> {
    match v {
        My::Int(i) => Some(i128::from(*i)),
        My::UInt(u) => Some(i128::from(*u)),
        My::Bytes(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

fn json_equal(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Whether the server's `actual` is exactly the `expected` value the scan saw.
pub fn same_value(expected: &Value, actual: &My) -> bool {
    match (expected, actual) {
        (Value::Null, My::NULL) => true,
        (Value::Null, _) | (_, My::NULL) => false,
        (Value::Int(i), a) => as_i128(a) == Some(i128::from(*i)),
        (Value::UInt(u), a) => as_i128(a) == Some(i128::from(*u)),
        (Value::Year(y), a) => as_i128(a) == Some(i128::from(*y)),
        (Value::Float(f), My::Float(g)) => f.to_bits() == g.to_bits(),
        (Value::Float(f), My::Double(g)) => f64::from(*f).to_bits() == g.to_bits(),
        (Value::Double(f), My::Double(g)) => f.to_bits() == g.to_bits(),
        (Value::Bit { bytes, .. }, My::Bytes(b)) => {
            let strip = |x: &[u8]| {
                x.iter()
                    .skip_while(|&&c| c == 0)
                    .copied()
                    .collect::<Vec<u8>>()
            };
            strip(&bytes.0) == strip(b)
        }
        (Value::Json(text), My::Bytes(b)) => json_equal(text.as_bytes(), b),
        (e, a) => param(e) == *a,
    }
}

/// A server value as people read it in a guard report.
pub fn show(v: &My) -> String {
    match v {
        My::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => format!("{s:?}"),
            Err(_) => format!(
                "0x{}",
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            ),
        },
        other => other.as_sql(true),
    }
}

#[cfg(test)]
mod tests {
    use reconcile_binlog::Bytes;

    use super::*;

    #[test]
    fn timestamps_are_utc_and_times_may_exceed_a_day() {
        assert_eq!(
            param(&Value::Timestamp {
                secs: 2_147_483_647,
                micros: 999_000,
                fsp: 3
            }),
            My::Date(2038, 1, 19, 3, 14, 7, 999_000)
        );
        assert_eq!(
            param(&Value::Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 0,
                fsp: 0
            }),
            My::Time(true, 34, 22, 59, 59, 0)
        );
    }

    #[test]
    fn comparison_is_type_exact() {
        assert!(same_value(
            &Value::Decimal("1.00".into()),
            &My::Bytes(b"1.00".to_vec())
        ));
        assert!(!same_value(
            &Value::Decimal("1.00".into()),
            &My::Bytes(b"1.0".to_vec())
        ));
        assert!(same_value(&Value::Float(0.1), &My::Float(0.1)));
        assert!(!same_value(&Value::Float(0.1), &My::Double(0.1)));
        assert!(same_value(
            &Value::UInt(18_446_744_073_709_551_615),
            &My::UInt(u64::MAX)
        ));
        let s = Value::String {
            bytes: Bytes(b"it's\0".to_vec()),
            collation: Some(45),
        };
        assert!(same_value(&s, &My::Bytes(b"it's\0".to_vec())));
        assert!(!same_value(&s, &My::Bytes(b"it's".to_vec())));
        assert!(!same_value(&Value::Null, &My::Bytes(Vec::new())));
        assert!(same_value(
            &Value::Json("{\"a\": 1}".into()),
            &My::Bytes(b"{\"a\":1}".to_vec())
        ));
    }
}
