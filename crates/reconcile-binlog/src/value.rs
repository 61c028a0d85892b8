//! Typed, lossless column values.

use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Raw bytes that serialize as a UTF-8 string when they are valid UTF-8 and
/// as `{"hex": "..."}` otherwise, so JSON output stays readable and lossless.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes as `&str` when valid UTF-8.
    pub fn as_utf8(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Self {
        Bytes(b.to_vec())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BytesRepr {
    Text(String),
    Hex { hex: String },
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(t) => BytesRepr::Text(t.to_string()).serialize(s),
            Err(_) => BytesRepr::Hex { hex: hex(&self.0) }.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match BytesRepr::deserialize(d)? {
            BytesRepr::Text(t) => Ok(Bytes(t.into_bytes())),
            BytesRepr::Hex { hex } => unhex(&hex)
                .map(Bytes)
                .ok_or_else(|| serde::de::Error::custom("invalid hex")),
        }
    }
}

/// A column value. Integers keep their exact bits; decimals are exact
/// strings; strings keep their bytes.
///
/// Integer signedness: when the TABLE_MAP carries SIGNEDNESS metadata the
/// value is `Int` or `UInt` accordingly. When it does not (older servers,
/// `binlog_row_metadata=MINIMAL` before 8.0), integers are decoded as signed
/// `Int` of the column width and the column's
/// [`ColumnDescription::unsigned`](crate::ColumnDescription) is `None`: no
/// bits are lost, and a consumer that knows the column is unsigned can
/// reinterpret the value with the column width (e.g. `-1` of a TINYINT is 255).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Signed integer (or integer of unknown signedness, see above).
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Exact decimal text, e.g. `-1234.5600`.
    Decimal(String),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// BIT(n): `bits` is n, `bytes` the big-endian value bytes.
    Bit {
        /// Declared width in bits.
        bits: u16,
        /// Value bytes, big-endian, `ceil(bits / 8)` long.
        bytes: Bytes,
    },
    /// ENUM value: 1-based index, with its label when the TABLE_MAP carried
    /// ENUM_STR_VALUE metadata. Index 0 is the empty "error" value.
    Enum {
        /// 1-based index (0 = invalid value stored as empty string).
        index: u16,
        /// Label when known.
        label: Option<Bytes>,
    },
    /// SET value: bitmask, with the member labels when known.
    Set {
        /// Member bitmask.
        mask: u64,
        /// Labels of the set members when the TABLE_MAP carried SET_STR_VALUE.
        labels: Option<Vec<Bytes>>,
    },
    /// YEAR (0 means `0000`).
    Year(u16),
    /// DATE / NEWDATE (zero dates allowed).
    Date {
        /// Year.
        year: u16,
        /// Month (0 allowed).
        month: u8,
        /// Day (0 allowed).
        day: u8,
    },
    /// TIME / TIME2.
    Time {
        /// Negative interval.
        negative: bool,
        /// Hours, up to 838.
        hours: u16,
        /// Minutes.
        minutes: u8,
        /// Seconds.
        seconds: u8,
        /// Microseconds.
        micros: u32,
        /// Declared fractional digits.
        fsp: u8,
    },
    /// DATETIME / DATETIME2 (no time zone).
    DateTime {
        /// Year.
        year: u16,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
        /// Second.
        second: u8,
        /// Microseconds.
        micros: u32,
        /// Declared fractional digits.
        fsp: u8,
    },
    /// TIMESTAMP / TIMESTAMP2 as seconds since the UTC epoch.
    Timestamp {
        /// Seconds since 1970-01-01 00:00:00 UTC (0 = zero timestamp).
        secs: u32,
        /// Microseconds.
        micros: u32,
        /// Declared fractional digits.
        fsp: u8,
    },
    /// Character data: bytes in the column's character set.
    String {
        /// Raw bytes (not re-encoded).
        bytes: Bytes,
        /// Collation id from the TABLE_MAP metadata, when known.
        collation: Option<u32>,
    },
    /// Binary data (BINARY/VARBINARY/BLOB with the binary collation 63).
    Binary(Bytes),
    /// MySQL JSON, decoded from the binary format to JSON text.
    Json(String),
    /// GEOMETRY as stored: 4-byte little-endian SRID followed by WKB.
    Geometry(Bytes),
    /// MySQL 9 VECTOR: raw bytes (little-endian f32 values).
    Vector(Bytes),
    /// A partially updated JSON after-image whose before image did not
    /// include the column (`binlog_row_image=MINIMAL`), so the whole document
    /// cannot be rebuilt: the diffs are given instead.
    JsonPartial(Vec<crate::json::JsonDiff>),
}

impl Value {
    /// Bytes of string-like values (`String`, `Binary`, `Json` text, `Geometry`).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String { bytes, .. } | Value::Binary(bytes) | Value::Geometry(bytes) => {
                Some(&bytes.0)
            }
            Value::Vector(b) => Some(&b.0),
            Value::Json(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
}

/// The UTC calendar time of a TIMESTAMP's seconds since the epoch:
/// `(year, month, day, hour, minute, second)`.
pub fn utc_civil(secs: u32) -> (u16, u8, u8, u8, u8, u8) {
    let secs = i64::from(secs);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Days to a proleptic Gregorian date (era-based, exact for every u32 second).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let small = |v: i64| u8::try_from(v).unwrap_or(0);
    (
        u16::try_from(year).unwrap_or(0),
        small(month),
        small(day),
        small(rem / 3600),
        small(rem / 60 % 60),
        small(rem % 60),
    )
}

/// Renders values the way `mysqlbinlog -v` would show them, roughly; used in
/// tests and diagnostics. DATE, TIME and DATETIME are in SQL's own text form.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Decimal(s) | Value::Json(s) => f.write_str(s),
            Value::Float(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v}"),
            Value::Bit { bytes, .. } => write!(f, "b'{}'", hex(&bytes.0)),
            Value::Enum { index, label } => match label.as_ref().and_then(|l| l.as_utf8()) {
                Some(l) => f.write_str(l),
                None => write!(f, "{index}"),
            },
            Value::Set { mask, labels } => match labels {
                Some(ls) => {
                    let names: Vec<String> = ls
                        .iter()
                        .map(|l| String::from_utf8_lossy(&l.0).into_owned())
                        .collect();
                    f.write_str(&names.join(","))
                }
                None => write!(f, "{mask}"),
            },
            Value::Year(y) => write!(f, "{y:04}"),
            Value::Date { year, month, day } => write!(f, "{year:04}-{month:02}-{day:02}"),
            Value::Time {
                negative,
                hours,
                minutes,
                seconds,
                micros,
                fsp,
            } => {
                let sign = if *negative { "-" } else { "" };
                write!(f, "{sign}{hours:02}:{minutes:02}:{seconds:02}")?;
                write_frac(f, *micros, *fsp)
            }
            Value::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
                fsp,
            } => {
                write!(
                    f,
                    "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
                )?;
                write_frac(f, *micros, *fsp)
            }
            Value::Timestamp { secs, micros, fsp } => {
                write!(f, "{secs}")?;
                write_frac(f, *micros, *fsp)
            }
            Value::String { bytes, .. } | Value::Binary(bytes) => {
                f.write_str(&String::from_utf8_lossy(&bytes.0))
            }
            Value::Geometry(b) | Value::Vector(b) => write!(f, "0x{}", hex(&b.0)),
            Value::JsonPartial(d) => write!(f, "<{} JSON diffs>", d.len()),
        }
    }
}

fn write_frac(f: &mut std::fmt::Formatter<'_>, micros: u32, fsp: u8) -> std::fmt::Result {
    if fsp == 0 {
        return Ok(());
    }
    let digits = format!("{micros:06}");
    f.write_str(".")?;
    f.write_str(digits.get(..usize::from(fsp.min(6))).unwrap_or(&digits))
}

/// Splits a packed TIME (MySQL `longlong` time packing) into a value.
pub(crate) fn time_from_packed(packed: i64, fsp: u8) -> Value {
    let negative = packed < 0;
    let abs = packed.unsigned_abs();
    let micros = (abs % (1 << 24)) as u32;
    let hms = abs >> 24;
    Value::Time {
        negative,
        hours: ((hms >> 12) % (1 << 10)) as u16,
        minutes: ((hms >> 6) % 64) as u8,
        seconds: (hms % 64) as u8,
        micros,
        fsp,
    }
}

/// Splits a packed DATETIME (MySQL `longlong` datetime packing) into a value.
pub(crate) fn datetime_from_packed(packed: i64, fsp: u8) -> Value {
    let abs = packed.unsigned_abs();
    let micros = (abs % (1 << 24)) as u32;
    let ymdhms = abs >> 24;
    let ymd = ymdhms >> 17;
    let ym = ymd >> 5;
    let hms = ymdhms % (1 << 17);
    Value::DateTime {
        year: (ym / 13).min(u64::from(u16::MAX)) as u16,
        month: (ym % 13) as u8,
        day: (ymd % 32) as u8,
        hour: (hms >> 12) as u8,
        minute: ((hms >> 6) % 64) as u8,
        second: (hms % 64) as u8,
        micros,
        fsp,
    }
}

#[cfg(test)]
mod civil_tests {
    use super::utc_civil;

    #[test]
    fn utc_civil_covers_the_timestamp_range() {
        assert_eq!(utc_civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc_civil(1_709_210_096), (2024, 2, 29, 12, 34, 56));
        assert_eq!(utc_civil(u32::MAX), (2106, 2, 7, 6, 28, 15));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn bytes_serde_roundtrip() {
        for b in [b"hello".to_vec(), vec![0xff, 0x00, 0x41]] {
            let v = Bytes(b.clone());
            let j = serde_json::to_string(&v).unwrap();
            let back: Bytes = serde_json::from_str(&j).unwrap();
            assert_eq!(back.0, b);
        }
        assert_eq!(
            serde_json::to_string(&Bytes(vec![0xff])).unwrap(),
            r#"{"hex":"ff"}"#
        );
    }

    #[test]
    fn display_temporal() {
        let t = Value::Time {
            negative: true,
            hours: 838,
            minutes: 59,
            seconds: 58,
            micros: 123400,
            fsp: 4,
        };
        assert_eq!(t.to_string(), "-838:59:58.1234");
    }
}
