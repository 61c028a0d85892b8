//! MySQL 8.0 binlog files for fixtures, serialized with `mysql_common`'s binlog event
//! writer, because no MySQL server can run where the fixtures are made.
//!
//! [`MysqlBinlogWriter`] writes one binlog file the way MySQL 8.0 does with
//! `gtid_mode=ON`, `binlog_format=ROW`, `binlog_row_image=FULL`,
//! `binlog_row_metadata=FULL` and `binlog_checksum=CRC32`: the magic, a
//! FORMAT_DESCRIPTION, a PREVIOUS_GTIDS, then per transaction GTID → QUERY `BEGIN` →
//! TABLE_MAP (with the optional metadata) → WRITE/UPDATE/DELETE_ROWS v2 → XID, or for
//! DDL GTID → QUERY, and optionally a closing ROTATE. Every header carries the end
//! position of its event and every event a CRC32.
//!
//! `mysql_common` provides the event structures, the header and the checksum
//! (`Event::write`); where it has no constructor (TABLE_MAP and rows events are only
//! parsed there) this module encodes the body itself, and every event is parsed back
//! with `mysql_common` before it is written, so a malformed body fails here. JSON
//! columns are not supported: `mysql_common` cannot serialize MySQL binary JSON.
//!
//! [`mysql_conflicts`] builds the `testdata/mysql-conflicts` scenario with it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use mysql_common::binlog::consts::{BinlogChecksumAlg, BinlogVersion, EventFlags, EventType};
use mysql_common::binlog::events::{
    BinlogEventFooter, BinlogEventHeader, Event, FormatDescriptionEvent, GtidEvent,
    PreviousGtidsEvent, PreviousGtidsSid, QueryEvent, RotateEvent, XidEvent,
};
use mysql_common::binlog::BinlogFileHeader;
use mysql_common::packets::GnoInterval;
use mysql_common::proto::MySerialize;

/// Collation `utf8mb4_0900_ai_ci`, MySQL 8.0's default.
pub const UTF8MB4_0900_AI_CI: u16 = 255;

/// Post-header lengths of MySQL 8.0.26+ FORMAT_DESCRIPTION events (event types 1-41).
const MYSQL80_POST_HEADER_LENGTHS: [u8; 41] = [
    0x00, 0x0d, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x04, 0x00, 0x00, 0x00, 0x62, 0x00,
    0x04, 0x1a, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x0a,
    0x2a, 0x2a, 0x00, 0x12, 0x34, 0x00, 0x0a, 0x28, 0x00,
];

/// MySQL 8.0's default `sql_mode` as logged in QUERY events.
const SQL_MODE_80_DEFAULT: u64 = 0x45a0_0020;

/// Rows event flag: last rows event of a statement.
const STMT_END_F: u16 = 0x0001;

/// TABLE_MAP flag MySQL always sets (`TM_BIT_LEN_EXACT_F`).
const TM_BIT_LEN_EXACT_F: u16 = 0x0001;

/// A MySQL server UUID (`server_uuid`), the source id of its GTIDs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerUuid(pub [u8; 16]);

impl ServerUuid {
    /// Parses the text form `3e11fa47-71ca-11e1-9e33-c80aa9429562`.
    ///
    /// # Panics
    /// When `text` is not 32 hex digits with the usual dashes (fixture bug).
    pub fn parse(text: &str) -> Self {
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
        assert!(hex.len() == 32 && text.len() == 36, "not a UUID: {text:?}");
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).unwrap_or_default();
            out[i] = u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("not a UUID: {text:?}"));
        }
        ServerUuid(out)
    }
}

impl fmt::Display for ServerUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ServerUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// A MySQL GTID `uuid:gno`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MysqlGtid {
    /// Source server.
    pub uuid: ServerUuid,
    /// Transaction number, from 1.
    pub gno: u64,
}

impl MysqlGtid {
    /// `uuid:gno`.
    pub fn new(uuid: ServerUuid, gno: u64) -> Self {
        MysqlGtid { uuid, gno }
    }
}

impl fmt::Display for MysqlGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uuid, self.gno)
    }
}

/// A set of MySQL GTIDs, as PREVIOUS_GTIDS carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MysqlGtidSet {
    /// Inclusive, sorted, disjoint intervals per source.
    sids: BTreeMap<ServerUuid, Vec<(u64, u64)>>,
}

impl MysqlGtidSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one GTID.
    pub fn add(&mut self, gtid: MysqlGtid) {
        self.add_range(gtid.uuid, gtid.gno, gtid.gno);
    }

    /// Adds `uuid:first-last`.
    pub fn add_range(&mut self, uuid: ServerUuid, first: u64, last: u64) {
        let intervals = self.sids.entry(uuid).or_default();
        intervals.push((first, last));
        intervals.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
        for &(a, b) in intervals.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *intervals = merged;
    }

    /// Whether the set holds no GTID.
    pub fn is_empty(&self) -> bool {
        self.sids.is_empty()
    }

    /// The PREVIOUS_GTIDS event body (SIDs sorted by UUID, end-exclusive intervals).
    fn to_event(&self) -> PreviousGtidsEvent<'static> {
        PreviousGtidsEvent::new(
            self.sids
                .iter()
                .map(|(uuid, intervals)| {
                    PreviousGtidsSid::new(
                        uuid.0,
                        None,
                        intervals
                            .iter()
                            .map(|&(a, b)| GnoInterval::new(a, b + 1))
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

/// `uuid:1-5:7,uuid2:1-3`, MySQL's text form.
impl fmt::Display for MysqlGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (uuid, intervals) in &self.sids {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{uuid}")?;
            for &(a, b) in intervals {
                if a == b {
                    write!(f, ":{a}")?;
                } else {
                    write!(f, ":{a}-{b}")?;
                }
            }
        }
        Ok(())
    }
}

/// A column type as the TABLE_MAP describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MysqlColumnType {
    /// INT (4 bytes).
    Int {
        /// UNSIGNED.
        unsigned: bool,
    },
    /// BIGINT (8 bytes).
    BigInt {
        /// UNSIGNED.
        unsigned: bool,
    },
    /// VARCHAR(chars).
    Varchar {
        /// Declared length in characters.
        chars: u16,
        /// Collation id (e.g. [`UTF8MB4_0900_AI_CI`]).
        collation: u16,
    },
    /// CHAR(chars).
    Char {
        /// Declared length in characters.
        chars: u16,
        /// Collation id.
        collation: u16,
    },
    /// DECIMAL(precision, scale).
    Decimal {
        /// Total digits.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// DATETIME(fsp), logged as DATETIME2.
    DateTime {
        /// Fractional seconds digits, 0-6.
        fsp: u8,
    },
    /// TIMESTAMP(fsp), logged as TIMESTAMP2.
    Timestamp {
        /// Fractional seconds digits, 0-6.
        fsp: u8,
    },
    /// DOUBLE.
    Double,
}

impl MysqlColumnType {
    fn type_code(self) -> u8 {
        match self {
            MysqlColumnType::Int { .. } => 0x03,
            MysqlColumnType::BigInt { .. } => 0x08,
            MysqlColumnType::Double => 0x05,
            MysqlColumnType::Varchar { .. } => 0x0f,
            MysqlColumnType::Char { .. } => 0xfe,
            MysqlColumnType::Decimal { .. } => 0xf6,
            MysqlColumnType::DateTime { .. } => 0x12,
            MysqlColumnType::Timestamp { .. } => 0x11,
        }
    }

    /// Type-specific TABLE_MAP metadata.
    fn metadata(self, out: &mut Vec<u8>) {
        match self {
            MysqlColumnType::Int { .. } | MysqlColumnType::BigInt { .. } => {}
            MysqlColumnType::Double => out.push(8),
            MysqlColumnType::Varchar { .. } => {
                out.extend_from_slice(&(self.max_bytes() as u16).to_le_bytes())
            }
            MysqlColumnType::Char { .. } => {
                // real type, with bits 8-9 of the byte length folded into it
                let len = self.max_bytes();
                out.push(0xfe ^ (((len & 0x300) >> 4) as u8));
                out.push((len & 0xff) as u8);
            }
            MysqlColumnType::Decimal { precision, scale } => {
                out.push(precision);
                out.push(scale);
            }
            MysqlColumnType::DateTime { fsp } | MysqlColumnType::Timestamp { fsp } => out.push(fsp),
        }
    }

    /// Maximum byte length of character columns.
    fn max_bytes(self) -> usize {
        match self {
            MysqlColumnType::Varchar { chars, collation }
            | MysqlColumnType::Char { chars, collation } => {
                usize::from(chars) * mbmaxlen(collation)
            }
            _ => 0,
        }
    }

    fn is_numeric(self) -> bool {
        matches!(
            self,
            MysqlColumnType::Int { .. }
                | MysqlColumnType::BigInt { .. }
                | MysqlColumnType::Decimal { .. }
                | MysqlColumnType::Double
        )
    }

    fn is_unsigned(self) -> bool {
        matches!(
            self,
            MysqlColumnType::Int { unsigned: true } | MysqlColumnType::BigInt { unsigned: true }
        )
    }

    fn collation(self) -> Option<u16> {
        match self {
            MysqlColumnType::Varchar { collation, .. }
            | MysqlColumnType::Char { collation, .. } => Some(collation),
            _ => None,
        }
    }
}

/// Bytes per character of the collations fixtures use.
fn mbmaxlen(collation: u16) -> usize {
    match collation {
        // utf8mb4_general_ci, utf8mb4_bin, utf8mb4_unicode_ci, utf8mb4_0900_*
        45 | 46 | 224 | 255..=309 => 4,
        // utf8mb3_general_ci, utf8mb3_bin, utf8mb3_unicode_ci
        33 | 83 | 192 => 3,
        _ => 1,
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlColumn {
    /// Column name.
    pub name: String,
    /// Type.
    pub column_type: MysqlColumnType,
    /// NULL allowed.
    pub nullable: bool,
}

impl MysqlColumn {
    /// A NOT NULL column.
    pub fn new(name: &str, column_type: MysqlColumnType) -> Self {
        MysqlColumn {
            name: name.to_owned(),
            column_type,
            nullable: false,
        }
    }

    /// The same column, NULL allowed.
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
}

/// A table as one TABLE_MAP describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlTable {
    /// The number the server mapped the table to (changes when the table is altered).
    pub table_id: u64,
    /// Database.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Columns in table order.
    pub columns: Vec<MysqlColumn>,
    /// Primary key column indexes, in key order.
    pub primary_key: Vec<usize>,
}

impl MysqlTable {
    /// A table with the given columns and primary key column names.
    ///
    /// # Panics
    /// When a key column is not among `columns` (fixture bug).
    pub fn new(
        table_id: u64,
        schema: &str,
        table: &str,
        columns: Vec<MysqlColumn>,
        primary_key: &[&str],
    ) -> Self {
        let primary_key = primary_key
            .iter()
            .map(|k| {
                columns
                    .iter()
                    .position(|c| c.name == *k)
                    .unwrap_or_else(|| panic!("{schema}.{table} has no column {k}"))
            })
            .collect();
        MysqlTable {
            table_id,
            schema: schema.to_owned(),
            table: table.to_owned(),
            columns,
            primary_key,
        }
    }

    /// The same table under a new table id and with one more column, as after
    /// `ALTER TABLE ... ADD COLUMN`.
    pub fn with_added_column(&self, table_id: u64, column: MysqlColumn) -> Self {
        let mut t = self.clone();
        t.table_id = table_id;
        t.columns.push(column);
        t
    }
}

/// A value in a row image.
#[derive(Debug, Clone, PartialEq)]
pub enum MysqlValue {
    /// SQL NULL.
    Null,
    /// A signed integer (INT, BIGINT).
    Int(i64),
    /// An unsigned integer (INT UNSIGNED, BIGINT UNSIGNED).
    UInt(u64),
    /// Character data (VARCHAR, CHAR).
    Str(String),
    /// DECIMAL, as text (`"15.00"`, `"-2.5"`).
    Decimal(String),
    /// DATETIME.
    DateTime {
        /// Year.
        year: u16,
        /// Month 1-12.
        month: u8,
        /// Day 1-31.
        day: u8,
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
        /// Second.
        second: u8,
        /// Microseconds (truncated to the column's fsp).
        micros: u32,
    },
    /// TIMESTAMP: seconds since the epoch (UTC) and microseconds.
    Timestamp {
        /// Seconds since 1970-01-01 00:00:00 UTC.
        secs: u32,
        /// Microseconds (truncated to the column's fsp).
        micros: u32,
    },
    /// DOUBLE.
    Double(f64),
}

impl MysqlValue {
    /// A string value.
    pub fn str(s: &str) -> Self {
        MysqlValue::Str(s.to_owned())
    }

    /// A DECIMAL value.
    pub fn dec(s: &str) -> Self {
        MysqlValue::Decimal(s.to_owned())
    }

    /// A DATETIME value from `YYYY-MM-DD hh:mm:ss[.ffffff]`.
    ///
    /// # Panics
    /// When `text` is not in that form (fixture bug).
    pub fn datetime(text: &str) -> Self {
        let (y, mo, d, h, mi, s, micros) = parse_datetime(text);
        MysqlValue::DateTime {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            micros,
        }
    }

    /// A TIMESTAMP value from UTC text `YYYY-MM-DD hh:mm:ss[.ffffff]`.
    ///
    /// # Panics
    /// When `text` is not in that form (fixture bug).
    pub fn timestamp(text: &str) -> Self {
        let (y, mo, d, h, mi, s, micros) = parse_datetime(text);
        let secs = days_from_civil(i64::from(y), u32::from(mo), u32::from(d)) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s);
        MysqlValue::Timestamp {
            secs: u32::try_from(secs).unwrap_or_else(|_| panic!("TIMESTAMP out of range: {text}")),
            micros,
        }
    }
}

fn parse_datetime(text: &str) -> (u16, u8, u8, u8, u8, u8, u32) {
    let bad = || -> ! { panic!("not `YYYY-MM-DD hh:mm:ss[.ffffff]`: {text:?}") };
    let (date, time) = text.split_once(' ').unwrap_or_else(|| bad());
    let d: Vec<&str> = date.split('-').collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let t: Vec<&str> = hms.split(':').collect();
    if d.len() != 3 || t.len() != 3 || frac.len() > 6 {
        bad();
    }
    let n = |s: &str| s.parse::<u32>().unwrap_or_else(|_| bad());
    let micros = if frac.is_empty() {
        0
    } else {
        n(frac) * 10u32.pow(6 - frac.len() as u32)
    };
    (
        n(d[0]) as u16,
        n(d[1]) as u8,
        n(d[2]) as u8,
        n(t[0]) as u8,
        n(t[1]) as u8,
        n(t[2]) as u8,
        micros,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Appends a length-encoded integer (packed integer of the MySQL protocol).
fn put_lenenc(out: &mut Vec<u8>, v: u64) {
    if v < 251 {
        out.push(v as u8);
    } else if v < 1 << 16 {
        out.push(0xfc);
        out.extend_from_slice(&(v as u16).to_le_bytes());
    } else if v < 1 << 24 {
        out.push(0xfd);
        out.extend_from_slice(&(v as u32).to_le_bytes()[..3]);
    } else {
        out.push(0xfe);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A bitmap of `bits` in MySQL's LSB-first row bitmap order.
fn lsb_bitmap(bits: impl ExactSizeIterator<Item = bool>) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, b) in bits.enumerate() {
        if b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

/// A bitmap in the MSB-first order of TABLE_MAP optional metadata.
fn msb_bitmap(bits: impl ExactSizeIterator<Item = bool>) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, b) in bits.enumerate() {
        if b {
            out[i / 8] |= 0x80 >> (i % 8);
        }
    }
    out
}

/// One TLV field of TABLE_MAP optional metadata.
fn put_optional_field(out: &mut Vec<u8>, field_type: u8, value: &[u8]) {
    out.push(field_type);
    put_lenenc(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// Binary DECIMAL (MySQL's `decimal2bin`) for DECIMAL(precision, scale).
///
/// # Panics
/// When `text` is not a decimal number that fits (fixture bug).
pub fn encode_decimal(text: &str, precision: u8, scale: u8) -> Vec<u8> {
    const DIG2BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let (intg, frac) = (usize::from(precision - scale), usize::from(scale));
    let int_part = int_part.trim_start_matches('0');
    assert!(
        int_part.len() <= intg
            && frac_part.len() <= frac
            && int_part
                .bytes()
                .chain(frac_part.bytes())
                .all(|b| b.is_ascii_digit()),
        "{text:?} is not a DECIMAL({precision},{scale})"
    );
    let int_digits = format!("{int_part:0>intg$}");
    let frac_digits = format!("{frac_part:0<frac$}");
    let mut out = Vec::new();
    let mut put_group = |digits: &str| {
        if digits.is_empty() {
            return;
        }
        let value: u32 = digits.parse().unwrap_or(0);
        let len = DIG2BYTES[digits.len()];
        out.extend_from_slice(&value.to_be_bytes()[4 - len..]);
    };
    let lead = intg % 9;
    put_group(&int_digits[..lead]);
    for chunk in int_digits.as_bytes()[lead..].chunks(9) {
        put_group(std::str::from_utf8(chunk).unwrap_or_default());
    }
    for chunk in frac_digits.as_bytes().chunks(9) {
        put_group(std::str::from_utf8(chunk).unwrap_or_default());
    }
    if negative {
        for b in &mut out {
            *b ^= 0xff;
        }
    }
    if let Some(first) = out.first_mut() {
        *first ^= 0x80;
    }
    out
}

/// Fractional seconds of DATETIME2 / TIMESTAMP2 / TIME2.
fn put_fraction(out: &mut Vec<u8>, micros: u32, fsp: u8) {
    match fsp {
        1 | 2 => out.push((micros / 10_000) as u8),
        3 | 4 => out.extend_from_slice(&((micros / 100) as u16).to_be_bytes()),
        5 | 6 => out.extend_from_slice(&micros.to_be_bytes()[1..]),
        _ => {}
    }
}

/// Truncates microseconds to `fsp` digits, as the server stores them.
fn truncate_micros(micros: u32, fsp: u8) -> u32 {
    let unit = 10u32.pow(6 - u32::from(fsp.min(6)));
    micros / unit * unit
}

/// Appends the row-image encoding of `value` for a column of type `ty`.
fn put_value(out: &mut Vec<u8>, column: &MysqlColumn, value: &MysqlValue) {
    let ty = column.column_type;
    let mismatch = || -> ! { panic!("value {value:?} does not fit column {} {ty:?}", column.name) };
    match (ty, value) {
        (MysqlColumnType::Int { unsigned: false }, MysqlValue::Int(v)) => {
            let v = i32::try_from(*v).unwrap_or_else(|_| mismatch());
            out.extend_from_slice(&v.to_le_bytes());
        }
        (MysqlColumnType::Int { unsigned: true }, MysqlValue::UInt(v)) => {
            let v = u32::try_from(*v).unwrap_or_else(|_| mismatch());
            out.extend_from_slice(&v.to_le_bytes());
        }
        (MysqlColumnType::BigInt { unsigned: false }, MysqlValue::Int(v)) => {
            out.extend_from_slice(&v.to_le_bytes())
        }
        (MysqlColumnType::BigInt { unsigned: true }, MysqlValue::UInt(v)) => {
            out.extend_from_slice(&v.to_le_bytes())
        }
        (MysqlColumnType::Double, MysqlValue::Double(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (MysqlColumnType::Varchar { .. }, MysqlValue::Str(s)) => {
            put_string(out, s.as_bytes(), ty.max_bytes(), column)
        }
        (MysqlColumnType::Char { .. }, MysqlValue::Str(s)) => {
            // CHAR is logged without its trailing pad spaces
            put_string(
                out,
                s.trim_end_matches(' ').as_bytes(),
                ty.max_bytes(),
                column,
            )
        }
        (MysqlColumnType::Decimal { precision, scale }, MysqlValue::Decimal(s)) => {
            out.extend_from_slice(&encode_decimal(s, precision, scale))
        }
        (
            MysqlColumnType::DateTime { fsp },
            MysqlValue::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            },
        ) => {
            let ym = u64::from(*year) * 13 + u64::from(*month);
            let ymd = (ym << 5) | u64::from(*day);
            let hms = (u64::from(*hour) << 12) | (u64::from(*minute) << 6) | u64::from(*second);
            let packed = ((ymd << 17) | hms) + 0x80_0000_0000;
            out.extend_from_slice(&packed.to_be_bytes()[3..]);
            put_fraction(out, truncate_micros(*micros, fsp), fsp);
        }
        (MysqlColumnType::Timestamp { fsp }, MysqlValue::Timestamp { secs, micros }) => {
            out.extend_from_slice(&secs.to_be_bytes());
            put_fraction(out, truncate_micros(*micros, fsp), fsp);
        }
        _ => mismatch(),
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8], max_bytes: usize, column: &MysqlColumn) {
    assert!(
        bytes.len() <= max_bytes,
        "{} bytes do not fit column {} ({max_bytes} bytes)",
        bytes.len(),
        column.name
    );
    if max_bytes > 255 {
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    } else {
        out.push(bytes.len() as u8);
    }
    out.extend_from_slice(bytes);
}

/// One full row image (every column present).
fn put_row(out: &mut Vec<u8>, table: &MysqlTable, row: &[MysqlValue]) {
    assert_eq!(
        row.len(),
        table.columns.len(),
        "row for {}.{} has {} values, the table {} columns",
        table.schema,
        table.table,
        row.len(),
        table.columns.len()
    );
    out.extend_from_slice(&lsb_bitmap(
        row.iter().map(|v| matches!(v, MysqlValue::Null)),
    ));
    for (column, value) in table.columns.iter().zip(row) {
        match value {
            MysqlValue::Null => assert!(column.nullable, "NULL in NOT NULL column {}", column.name),
            v => put_value(out, column, v),
        }
    }
}

/// The TABLE_MAP body MySQL 8.0 writes with `binlog_row_metadata=FULL`.
fn table_map_body(table: &MysqlTable) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&table.table_id.to_le_bytes()[..6]);
    out.extend_from_slice(&TM_BIT_LEN_EXACT_F.to_le_bytes());
    for name in [&table.schema, &table.table] {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    let columns = &table.columns;
    put_lenenc(&mut out, columns.len() as u64);
    out.extend(columns.iter().map(|c| c.column_type.type_code()));
    let mut metadata = Vec::new();
    for c in columns {
        c.column_type.metadata(&mut metadata);
    }
    put_lenenc(&mut out, metadata.len() as u64);
    out.extend_from_slice(&metadata);
    out.extend_from_slice(&lsb_bitmap(columns.iter().map(|c| c.nullable)));

    // optional metadata, in the order MySQL writes it
    let numeric: Vec<bool> = columns
        .iter()
        .filter(|c| c.column_type.is_numeric())
        .map(|c| c.column_type.is_unsigned())
        .collect();
    if !numeric.is_empty() {
        put_optional_field(&mut out, 1, &msb_bitmap(numeric.into_iter()));
    }
    let collations: Vec<u16> = columns
        .iter()
        .filter_map(|c| c.column_type.collation())
        .collect();
    if !collations.is_empty() {
        out.extend_from_slice(&charset_field(&collations));
    }
    let mut names = Vec::new();
    for c in columns {
        put_lenenc(&mut names, c.name.len() as u64);
        names.extend_from_slice(c.name.as_bytes());
    }
    put_optional_field(&mut out, 4, &names);
    if !table.primary_key.is_empty() {
        let mut pk = Vec::new();
        for &i in &table.primary_key {
            put_lenenc(&mut pk, i as u64);
        }
        put_optional_field(&mut out, 8, &pk);
    }
    // COLUMN_VISIBILITY (8.0.23+): every column visible
    put_optional_field(
        &mut out,
        12,
        &msb_bitmap(std::iter::repeat_n(true, columns.len())),
    );
    out
}

/// DEFAULT_CHARSET or COLUMN_CHARSET, chosen by MySQL's size estimate: per-column
/// collations when `n < 1 + 2 * (n - most_used)`, else the most used collation
/// plus the exceptions.
fn charset_field(collations: &[u16]) -> Vec<u8> {
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    for &c in collations {
        *counts.entry(c).or_default() += 1;
    }
    // most used; on a tie the first one seen in column order
    let (default, used) =
        collations
            .iter()
            .map(|c| (*c, counts[c]))
            .fold(
                (0u16, 0usize),
                |best, cur| if cur.1 > best.1 { cur } else { best },
            );
    let n = collations.len();
    let mut value = Vec::new();
    let mut out = Vec::new();
    if n < 1 + (n - used) * 2 {
        for &c in collations {
            put_lenenc(&mut value, u64::from(c));
        }
        put_optional_field(&mut out, 3, &value);
    } else {
        put_lenenc(&mut value, u64::from(default));
        for (i, &c) in collations.iter().enumerate() {
            if c != default {
                put_lenenc(&mut value, i as u64);
                put_lenenc(&mut value, u64::from(c));
            }
        }
        put_optional_field(&mut out, 2, &value);
    }
    out
}

/// QUERY status variables of a MySQL 8.0 session with default settings and a
/// utf8mb4_0900_ai_ci client.
fn status_vars(kind: QueryKind, schema: &str, xid: u64) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(0); // Q_FLAGS2_CODE
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(1); // Q_SQL_MODE_CODE
    out.extend_from_slice(&SQL_MODE_80_DEFAULT.to_le_bytes());
    out.extend_from_slice(&[6, 3, b's', b't', b'd']); // Q_CATALOG_NZ_CODE
    out.push(4); // Q_CHARSET_CODE: client, connection, server
    for _ in 0..3 {
        out.extend_from_slice(&UTF8MB4_0900_AI_CI.to_le_bytes());
    }
    if kind != QueryKind::Begin {
        out.extend_from_slice(&[12, 1]); // Q_UPDATED_DB_NAMES
        out.extend_from_slice(schema.as_bytes());
        out.push(0);
        out.push(17); // Q_DDL_LOGGED_WITH_XID
        out.extend_from_slice(&xid.to_le_bytes());
    }
    out.push(18); // Q_DEFAULT_COLLATION_FOR_UTF8MB4
    out.extend_from_slice(&UTF8MB4_0900_AI_CI.to_le_bytes());
    match kind {
        QueryKind::Begin => {}
        QueryKind::TableDdl => out.extend_from_slice(&[19, 0]), // Q_SQL_REQUIRE_PRIMARY_KEY
        QueryKind::DatabaseDdl => out.extend_from_slice(&[20, 0]), // Q_DEFAULT_TABLE_ENCRYPTION
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    Begin,
    TableDdl,
    DatabaseDdl,
}

/// An event of an open transaction, serialized when the transaction commits (the
/// GTID event needs the transaction's length and every header its end position).
#[derive(Debug)]
struct PendingEvent {
    event_type: EventType,
    flags: EventFlags,
    body: Vec<u8>,
}

#[derive(Debug)]
struct OpenTransaction {
    gtid: MysqlGtid,
    timestamp: u32,
    /// Server id in the headers: the originating server's, also on a replica.
    server_id: u32,
    original_commit_us: u64,
    immediate_commit_us: u64,
    events: Vec<PendingEvent>,
    begun: bool,
}

/// Writes one MySQL 8.0 binlog file (see the module documentation).
///
/// Transactions are `begin_transaction` (or `begin_replicated_transaction`), then
/// `table_map` and rows calls, then `commit`; DDL is `begin_transaction` then `query`.
/// Builder misuse (rows without a table map, a row that does not fit its table)
/// panics: this is fixture code and such a panic is a bug in the fixture.
#[derive(Debug)]
pub struct MysqlBinlogWriter {
    server_id: u32,
    version_id: u32,
    thread_id: u32,
    fde: FormatDescriptionEvent<'static>,
    out: Vec<u8>,
    tables: HashMap<u64, MysqlTable>,
    trx: Option<OpenTransaction>,
    /// Logical clock of the file (MySQL restarts it in each binlog file).
    sequence_number: u64,
    previous_gtids_written: bool,
    finished: bool,
}

impl MysqlBinlogWriter {
    /// Starts a file of server `server_id` running `server_version` (e.g. `8.0.36`),
    /// created at `created` (seconds since the epoch): writes the magic and the
    /// FORMAT_DESCRIPTION. Call [`previous_gtids`](Self::previous_gtids) next.
    ///
    /// # Panics
    /// When `server_version` does not start with `major.minor.patch`.
    pub fn new(server_id: u32, server_version: &str, created: u32) -> Self {
        let version_id = version_id(server_version);
        let fde = FormatDescriptionEvent::new(BinlogVersion::Version4)
            .with_server_version(server_version.as_bytes().to_vec())
            .with_create_timestamp(created)
            .with_event_type_header_lengths(MYSQL80_POST_HEADER_LENGTHS.to_vec())
            .with_footer(BinlogEventFooter::new(
                BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_CRC32,
            ));
        let mut w = MysqlBinlogWriter {
            server_id,
            version_id,
            thread_id: 8,
            fde,
            out: Vec::new(),
            tables: HashMap::new(),
            trx: None,
            sequence_number: 0,
            previous_gtids_written: false,
            finished: false,
        };
        BinlogFileHeader
            .write(BinlogVersion::Version4, &mut w.out)
            .unwrap_or_else(|e| panic!("writing to a Vec failed: {e}"));
        let mut body = Vec::new();
        w.fde.serialize(&mut body);
        // the FDE's body ends with the checksum algorithm, covered by its CRC
        body.push(BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_CRC32 as u8);
        w.emit(
            created,
            EventType::FORMAT_DESCRIPTION_EVENT,
            server_id,
            EventFlags::empty(),
            &body,
        );
        w
    }

    /// Sets the `pseudo_thread_id` logged in QUERY events from now on.
    pub fn thread_id(&mut self, thread_id: u32) -> &mut Self {
        self.thread_id = thread_id;
        self
    }

    /// Writes PREVIOUS_GTIDS: every GTID in the files before this one.
    ///
    /// # Panics
    /// When called twice or after a transaction.
    pub fn previous_gtids(&mut self, set: &MysqlGtidSet, timestamp: u32) -> &mut Self {
        assert!(
            !self.previous_gtids_written && self.sequence_number == 0,
            "PREVIOUS_GTIDS must directly follow the FORMAT_DESCRIPTION"
        );
        self.previous_gtids_written = true;
        let mut body = Vec::new();
        set.to_event().serialize(&mut body);
        self.emit(
            timestamp,
            EventType::PREVIOUS_GTIDS_EVENT,
            self.server_id,
            EventFlags::LOG_EVENT_IGNORABLE_F,
            &body,
        );
        self
    }

    /// Starts a transaction this server executed itself, its statement issued at
    /// `timestamp`; it commits 0.25 s later.
    pub fn begin_transaction(&mut self, gtid: MysqlGtid, timestamp: u32) -> &mut Self {
        let commit_us = u64::from(timestamp) * 1_000_000 + 250_000;
        self.open(gtid, timestamp, self.server_id, commit_us, commit_us)
    }

    /// Starts a transaction this server applied as a replica and logged with
    /// `log_replica_updates`: its events keep the originating server's id and
    /// timestamp, and the GTID event carries both commit timestamps (the replica
    /// commits 1.5 ms after the source).
    pub fn begin_replicated_transaction(
        &mut self,
        gtid: MysqlGtid,
        timestamp: u32,
        origin_server_id: u32,
    ) -> &mut Self {
        let original = u64::from(timestamp) * 1_000_000 + 250_000;
        self.open(
            gtid,
            timestamp,
            origin_server_id,
            original,
            original + 1_500,
        )
    }

    fn open(
        &mut self,
        gtid: MysqlGtid,
        timestamp: u32,
        server_id: u32,
        original_commit_us: u64,
        immediate_commit_us: u64,
    ) -> &mut Self {
        assert!(self.previous_gtids_written, "write PREVIOUS_GTIDS first");
        assert!(!self.finished, "the file is finished");
        assert!(
            self.trx.is_none(),
            "transaction {gtid} begun inside another"
        );
        self.trx = Some(OpenTransaction {
            gtid,
            timestamp,
            server_id,
            original_commit_us,
            immediate_commit_us,
            events: Vec::new(),
            begun: false,
        });
        self
    }

    fn trx(&mut self) -> &mut OpenTransaction {
        self.trx
            .as_mut()
            .unwrap_or_else(|| panic!("no transaction is open"))
    }

    /// Queues the QUERY `BEGIN` of a row transaction before its first row event.
    fn ensure_begun(&mut self, schema: &str) {
        let thread_id = self.thread_id;
        let trx = self.trx();
        if trx.begun {
            return;
        }
        trx.begun = true;
        let mut body = Vec::new();
        QueryEvent::new(
            status_vars(QueryKind::Begin, schema, 0),
            schema.as_bytes().to_vec(),
        )
        .with_thread_id(thread_id)
        .with_query(b"BEGIN".to_vec())
        .serialize(&mut body);
        trx.events.push(PendingEvent {
            event_type: EventType::QUERY_EVENT,
            flags: EventFlags::LOG_EVENT_SUPPRESS_USE_F,
            body,
        });
    }

    /// Queues a TABLE_MAP for `table` and remembers it for the rows calls.
    pub fn table_map(&mut self, table: &MysqlTable) -> &mut Self {
        self.ensure_begun(&table.schema);
        let body = table_map_body(table);
        self.tables.insert(table.table_id, table.clone());
        self.trx().events.push(PendingEvent {
            event_type: EventType::TABLE_MAP_EVENT,
            flags: EventFlags::empty(),
            body,
        });
        self
    }

    fn rows_event(&mut self, event_type: EventType, table_id: u64, images: &[&[MysqlValue]]) {
        let table = self
            .tables
            .get(&table_id)
            .unwrap_or_else(|| panic!("rows for table id {table_id} without a TABLE_MAP"))
            .clone();
        let n = table.columns.len();
        let mut body = Vec::new();
        body.extend_from_slice(&table_id.to_le_bytes()[..6]);
        body.extend_from_slice(&STMT_END_F.to_le_bytes());
        body.extend_from_slice(&2u16.to_le_bytes()); // extra data: just its own length
        put_lenenc(&mut body, n as u64);
        let all = lsb_bitmap(std::iter::repeat_n(true, n));
        body.extend_from_slice(&all);
        if event_type == EventType::UPDATE_ROWS_EVENT {
            body.extend_from_slice(&all);
        }
        for image in images {
            put_row(&mut body, &table, image);
        }
        self.trx().events.push(PendingEvent {
            event_type,
            flags: EventFlags::empty(),
            body,
        });
    }

    /// Queues a WRITE_ROWS v2 event (one statement) inserting `rows`.
    pub fn write_rows(&mut self, table_id: u64, rows: &[Vec<MysqlValue>]) -> &mut Self {
        let images: Vec<&[MysqlValue]> = rows.iter().map(Vec::as_slice).collect();
        self.rows_event(EventType::WRITE_ROWS_EVENT, table_id, &images);
        self
    }

    /// Queues an UPDATE_ROWS v2 event with `(before, after)` full images.
    pub fn update_rows(
        &mut self,
        table_id: u64,
        rows: &[(Vec<MysqlValue>, Vec<MysqlValue>)],
    ) -> &mut Self {
        let images: Vec<&[MysqlValue]> = rows
            .iter()
            .flat_map(|(b, a)| [b.as_slice(), a.as_slice()])
            .collect();
        self.rows_event(EventType::UPDATE_ROWS_EVENT, table_id, &images);
        self
    }

    /// Queues a DELETE_ROWS v2 event deleting `rows` (full before images).
    pub fn delete_rows(&mut self, table_id: u64, rows: &[Vec<MysqlValue>]) -> &mut Self {
        let images: Vec<&[MysqlValue]> = rows.iter().map(Vec::as_slice).collect();
        self.rows_event(EventType::DELETE_ROWS_EVENT, table_id, &images);
        self
    }

    /// Commits the open row transaction with an XID event.
    ///
    /// # Panics
    /// When no row transaction is open.
    pub fn commit(&mut self, xid: u64) -> &mut Self {
        let mut body = Vec::new();
        XidEvent { xid }.serialize(&mut body);
        let trx = self.trx();
        assert!(trx.begun, "commit of {} without rows", trx.gtid);
        trx.events.push(PendingEvent {
            event_type: EventType::XID_EVENT,
            flags: EventFlags::empty(),
            body,
        });
        self.flush_transaction(false);
        self
    }

    /// Logs a DDL statement as the whole open transaction, as MySQL 8.0 does: the
    /// GTID event, then one QUERY (no BEGIN, no XID; the statement's `xid` is in the
    /// QUERY's status variables). `schema` is the session's default database (`""`
    /// for none).
    pub fn query(&mut self, schema: &str, sql: &str, xid: u64) -> &mut Self {
        let thread_id = self.thread_id;
        let trx = self.trx();
        assert!(!trx.begun, "DDL inside the row transaction {}", trx.gtid);
        let upper = sql.trim_start().to_ascii_uppercase();
        let on_database = upper.starts_with("CREATE DATABASE")
            || upper.starts_with("CREATE SCHEMA")
            || upper.starts_with("DROP DATABASE")
            || upper.starts_with("ALTER DATABASE");
        let (kind, updated_db, flags) = if on_database {
            let name = sql
                .split_whitespace()
                .nth(2)
                .unwrap_or_default()
                .trim_matches(|c| c == '`' || c == ';');
            (
                QueryKind::DatabaseDdl,
                name.to_owned(),
                EventFlags::LOG_EVENT_SUPPRESS_USE_F,
            )
        } else {
            (QueryKind::TableDdl, schema.to_owned(), EventFlags::empty())
        };
        let mut body = Vec::new();
        QueryEvent::new(
            status_vars(kind, &updated_db, xid),
            schema.as_bytes().to_vec(),
        )
        .with_thread_id(thread_id)
        .with_query(sql.as_bytes().to_vec())
        .serialize(&mut body);
        trx.events.push(PendingEvent {
            event_type: EventType::QUERY_EVENT,
            flags,
            body,
        });
        self.flush_transaction(true);
        self
    }

    /// Serializes the open transaction: the GTID event (with the transaction's
    /// length) followed by its queued events.
    fn flush_transaction(&mut self, ddl: bool) {
        let trx = self
            .trx
            .take()
            .unwrap_or_else(|| panic!("no transaction is open"));
        self.sequence_number += 1;
        let others: usize = trx
            .events
            .iter()
            .map(|e| BinlogEventHeader::LEN + e.body.len() + 4)
            .sum();
        let gtid_body = |tx_length: u64| {
            let mut event = GtidEvent::new(trx.gtid.uuid.0, trx.gtid.gno)
                .with_last_committed(self.sequence_number - 1)
                .with_sequence_number(self.sequence_number)
                .with_immediate_commit_timestamp(trx.immediate_commit_us)
                .with_original_commit_timestamp(trx.original_commit_us)
                .with_tx_length(tx_length)
                .with_immediate_server_version(self.version_id)
                .with_original_server_version(self.version_id);
            if ddl {
                event = event.with_flags(mysql_common::binlog::consts::GtidFlags::MAY_HAVE_SBR);
            }
            let mut body = Vec::new();
            event.serialize(&mut body);
            body
        };
        // the length includes the GTID event, whose size depends on the length
        let mut tx_length = 0u64;
        let body = loop {
            let body = gtid_body(tx_length);
            let total = (BinlogEventHeader::LEN + body.len() + 4 + others) as u64;
            if total == tx_length {
                break body;
            }
            tx_length = total;
        };
        self.emit(
            trx.timestamp,
            EventType::GTID_EVENT,
            trx.server_id,
            EventFlags::empty(),
            &body,
        );
        for e in &trx.events {
            self.emit(trx.timestamp, e.event_type, trx.server_id, e.flags, &e.body);
        }
    }

    /// Ends the file with a ROTATE naming the next file (`binlog.000002`), as
    /// `FLUSH BINARY LOGS` does.
    pub fn rotate(&mut self, next_file: &str, timestamp: u32) -> &mut Self {
        assert!(self.trx.is_none(), "ROTATE inside a transaction");
        let mut body = Vec::new();
        RotateEvent::new(4, next_file.as_bytes().to_vec()).serialize(&mut body);
        self.emit(
            timestamp,
            EventType::ROTATE_EVENT,
            self.server_id,
            EventFlags::empty(),
            &body,
        );
        self.finished = true;
        self
    }

    /// The file's bytes.
    ///
    /// # Panics
    /// When a transaction is still open.
    pub fn finish(self) -> Vec<u8> {
        assert!(self.trx.is_none(), "the file ends inside a transaction");
        self.out
    }

    /// Appends one event: header (with its end position), body and CRC32, the last
    /// two by `mysql_common`'s `Event::write`. The event is parsed back by
    /// `mysql_common` first, so a body it cannot read fails here.
    fn emit(
        &mut self,
        timestamp: u32,
        event_type: EventType,
        server_id: u32,
        flags: EventFlags,
        body: &[u8],
    ) {
        let size = BinlogEventHeader::LEN + body.len() + BinlogEventFooter::BINLOG_CHECKSUM_LEN;
        let end = self.out.len() + size;
        let header = BinlogEventHeader::new(
            timestamp,
            event_type,
            server_id,
            u32::try_from(size).unwrap_or_else(|_| panic!("event of {size} bytes")),
            u32::try_from(end).unwrap_or_else(|_| panic!("binlog over 4 GiB")),
            flags,
        );
        let mut raw = Vec::with_capacity(size);
        header.serialize(&mut raw);
        raw.extend_from_slice(body);
        raw.extend_from_slice(&[0; BinlogEventFooter::BINLOG_CHECKSUM_LEN]);
        let event = Event::read(&self.fde, &raw[..])
            .unwrap_or_else(|e| panic!("mysql_common cannot read back {event_type:?}: {e}"));
        event
            .read_data()
            .unwrap_or_else(|e| panic!("mysql_common cannot parse {event_type:?}: {e}"));
        let before = self.out.len();
        event
            .write(BinlogVersion::Version4, &mut self.out)
            .unwrap_or_else(|e| panic!("writing to a Vec failed: {e}"));
        assert_eq!(self.out.len() - before, size, "{event_type:?} size");
    }
}

/// `8.0.36` → 80036.
fn version_id(version: &str) -> u32 {
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).map(|p| {
        p.parse::<u32>()
            .unwrap_or_else(|_| panic!("bad server version {version:?}"))
    });
    let (a, b, c) = (parts.next(), parts.next(), parts.next());
    match (a, b, c) {
        (Some(a), Some(b), Some(c)) => a * 10_000 + b * 100 + c,
        _ => panic!("bad server version {version:?}"),
    }
}

/// `server_uuid` of East, the old primary, in [`mysql_conflicts`].
pub const MYSQL_EAST_UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
/// `server_uuid` of West, the promoted replica, in [`mysql_conflicts`].
pub const MYSQL_WEST_UUID: &str = "8a94f357-aab4-11df-86ab-c80aa9429562";
/// Server version both sides report in [`mysql_conflicts`].
pub const MYSQL_SERVER_VERSION: &str = "8.0.36";

/// 2026-11-20 08:00:00 UTC: the shared history starts.
const SHARED_START: u32 = 1_795_161_600;
/// 2026-11-21 09:00:00 UTC: the network cut; both sides write on their own.
const WINDOW_START: u32 = 1_795_251_600;

/// The tables of the `shop` database as one side maps them.
struct ShopTables {
    customers: MysqlTable,
    orders: MysqlTable,
    stock: MysqlTable,
    tickets: MysqlTable,
    notes: MysqlTable,
}

impl ShopTables {
    /// The tables under table ids `first..first + 5`.
    fn new(first: u64) -> Self {
        use MysqlColumnType as T;
        let varchar = |chars| T::Varchar {
            chars,
            collation: UTF8MB4_0900_AI_CI,
        };
        let col = MysqlColumn::new;
        ShopTables {
            customers: MysqlTable::new(
                first,
                "shop",
                "customers",
                vec![
                    col("id", T::Int { unsigned: false }),
                    col("email", varchar(100)),
                    col("name", varchar(100)),
                    col("city", varchar(50)).nullable(),
                ],
                &["id"],
            ),
            orders: MysqlTable::new(
                first + 1,
                "shop",
                "orders",
                vec![
                    col("id", T::BigInt { unsigned: false }),
                    col("customer_id", T::Int { unsigned: false }),
                    col(
                        "amount",
                        T::Decimal {
                            precision: 10,
                            scale: 2,
                        },
                    ),
                    col("status", varchar(20)),
                    col("placed_at", T::DateTime { fsp: 6 }),
                    col("paid_at", T::Timestamp { fsp: 3 }).nullable(),
                    col("weight_kg", T::Double).nullable(),
                ],
                &["id"],
            ),
            stock: MysqlTable::new(
                first + 2,
                "shop",
                "stock",
                vec![
                    col(
                        "sku",
                        T::Char {
                            chars: 4,
                            collation: UTF8MB4_0900_AI_CI,
                        },
                    ),
                    col("qty", T::Int { unsigned: true }),
                    col(
                        "price",
                        T::Decimal {
                            precision: 8,
                            scale: 2,
                        },
                    ),
                    col("location", varchar(10)),
                ],
                &["sku"],
            ),
            tickets: MysqlTable::new(
                first + 3,
                "shop",
                "tickets",
                vec![
                    col("id", T::Int { unsigned: false }),
                    col("customer_id", T::Int { unsigned: false }),
                    col("subject", varchar(100)),
                    col("opened_at", T::DateTime { fsp: 0 }),
                ],
                &["id"],
            ),
            notes: MysqlTable::new(
                first + 4,
                "shop",
                "notes",
                vec![
                    col("id", T::Int { unsigned: false }),
                    col("body", varchar(100)),
                ],
                &["id"],
            ),
        }
    }
}

fn customer(id: i64, email: &str, name: &str, city: Option<&str>) -> Vec<MysqlValue> {
    vec![
        MysqlValue::Int(id),
        MysqlValue::str(email),
        MysqlValue::str(name),
        city.map_or(MysqlValue::Null, MysqlValue::str),
    ]
}

fn order(
    id: i64,
    customer_id: i64,
    amount: &str,
    placed_at: &str,
    paid_at: Option<&str>,
    weight_kg: Option<f64>,
) -> Vec<MysqlValue> {
    vec![
        MysqlValue::Int(id),
        MysqlValue::Int(customer_id),
        MysqlValue::dec(amount),
        MysqlValue::str("new"),
        MysqlValue::datetime(placed_at),
        paid_at.map_or(MysqlValue::Null, MysqlValue::timestamp),
        weight_kg.map_or(MysqlValue::Null, MysqlValue::Double),
    ]
}

fn stock(sku: &str, qty: u64, price: &str, location: &str) -> Vec<MysqlValue> {
    vec![
        MysqlValue::str(sku),
        MysqlValue::UInt(qty),
        MysqlValue::dec(price),
        MysqlValue::str(location),
    ]
}

fn ticket(id: i64, customer_id: i64, subject: &str, opened_at: &str) -> Vec<MysqlValue> {
    vec![
        MysqlValue::Int(id),
        MysqlValue::Int(customer_id),
        MysqlValue::str(subject),
        MysqlValue::datetime(opened_at),
    ]
}

fn note(id: i64, body: &str) -> Vec<MysqlValue> {
    vec![MysqlValue::Int(id), MysqlValue::str(body)]
}

/// The DDL of the shared history, in GTID order (`A:1` .. `A:6`).
const SHARED_DDL: [(&str, &str); 6] = [
    ("", "CREATE DATABASE shop"),
    (
        "shop",
        "CREATE TABLE customers (\n  id INT NOT NULL AUTO_INCREMENT,\n  email VARCHAR(100) NOT NULL,\n  name VARCHAR(100) NOT NULL,\n  city VARCHAR(50) NULL,\n  PRIMARY KEY (id),\n  UNIQUE KEY uk_customers_email (email)\n) ENGINE=InnoDB",
    ),
    (
        "shop",
        "CREATE TABLE orders (\n  id BIGINT NOT NULL AUTO_INCREMENT,\n  customer_id INT NOT NULL,\n  amount DECIMAL(10,2) NOT NULL,\n  status VARCHAR(20) NOT NULL,\n  placed_at DATETIME(6) NOT NULL,\n  paid_at TIMESTAMP(3) NULL,\n  weight_kg DOUBLE NULL,\n  PRIMARY KEY (id),\n  KEY ix_orders_customer (customer_id),\n  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)\n) ENGINE=InnoDB",
    ),
    (
        "shop",
        "CREATE TABLE stock (\n  sku CHAR(4) NOT NULL,\n  qty INT UNSIGNED NOT NULL,\n  price DECIMAL(8,2) NOT NULL,\n  location VARCHAR(10) NOT NULL,\n  PRIMARY KEY (sku)\n) ENGINE=InnoDB",
    ),
    (
        "shop",
        "CREATE TABLE tickets (\n  id INT NOT NULL AUTO_INCREMENT,\n  customer_id INT NOT NULL,\n  subject VARCHAR(100) NOT NULL,\n  opened_at DATETIME NOT NULL,\n  PRIMARY KEY (id)\n) ENGINE=InnoDB",
    ),
    (
        "shop",
        "CREATE TABLE notes (\n  id INT NOT NULL,\n  body VARCHAR(100) NOT NULL,\n  PRIMARY KEY (id)\n) ENGINE=InnoDB",
    ),
];

/// West's migration in the window (`B:12`).
pub const MYSQL_WEST_DDL: &str = "ALTER TABLE notes ADD COLUMN author VARCHAR(50) NULL";

/// How a side logs one transaction of the shared history.
#[derive(Clone, Copy)]
enum SharedRole {
    /// East executed it.
    Source,
    /// West applied it as a replica of East (server id 1).
    Replica,
}

/// Writes the shared history `A:1` .. `A:11` (`shared.sql`), as East or as West.
fn write_shared(
    w: &mut MysqlBinlogWriter,
    t: &ShopTables,
    east: ServerUuid,
    role: SharedRole,
    xid: &mut u64,
) {
    let mut gno = 0u64;
    let begin = |w: &mut MysqlBinlogWriter, gno: &mut u64| {
        *gno += 1;
        let gtid = MysqlGtid::new(east, *gno);
        let ts = SHARED_START + (*gno as u32) * 10;
        match role {
            SharedRole::Source => w.begin_transaction(gtid, ts),
            SharedRole::Replica => w.begin_replicated_transaction(gtid, ts, 1),
        };
    };
    let mut next_xid = || {
        *xid += 1;
        *xid
    };
    for (schema, sql) in SHARED_DDL {
        begin(w, &mut gno);
        w.query(schema, sql, next_xid());
    }
    begin(w, &mut gno);
    w.table_map(&t.customers)
        .write_rows(
            t.customers.table_id,
            &[
                customer(1, "ann@example.com", "Ann", Some("Oslo")),
                customer(2, "bob@example.com", "Bob", Some("Rome")),
                customer(3, "cat@example.com", "Cat", Some("Lima")),
                customer(4, "dan@example.com", "Dan", Some("Kyiv")),
                customer(5, "eve@example.com", "Eve", Some("Pune")),
                customer(6, "fay@example.com", "Fay", Some("Bern")),
            ],
        )
        .commit(next_xid());
    begin(w, &mut gno);
    w.table_map(&t.orders)
        .write_rows(t.orders.table_id, &shared_orders())
        .commit(next_xid());
    begin(w, &mut gno);
    w.table_map(&t.stock)
        .write_rows(t.stock.table_id, &shared_stock())
        .commit(next_xid());
    begin(w, &mut gno);
    w.table_map(&t.tickets)
        .write_rows(
            t.tickets.table_id,
            &[
                ticket(1, 1, "login broken", "2026-11-20 10:00:00"),
                ticket(2, 6, "wrong invoice", "2026-11-20 11:00:00"),
            ],
        )
        .commit(next_xid());
    begin(w, &mut gno);
    w.table_map(&t.notes)
        .write_rows(t.notes.table_id, &[note(1, "hello"), note(2, "world")])
        .commit(next_xid());
    assert_eq!(gno, 11, "shared history is A:1-11");
}

fn shared_orders() -> Vec<Vec<MysqlValue>> {
    vec![
        order(1, 1, "10.00", "2026-11-20 08:01:20.000001", None, Some(0.5)),
        order(
            2,
            1,
            "20.00",
            "2026-11-20 08:01:20.000002",
            Some("2026-11-20 08:05:00.125"),
            Some(1.25),
        ),
        order(3, 6, "30.00", "2026-11-20 08:01:20.000003", None, None),
    ]
}

fn shared_stock() -> Vec<Vec<MysqlValue>> {
    vec![
        stock("A001", 10, "1.00", "W1"),
        stock("B002", 20, "2.00", "W1"),
        stock("C003", 30, "3.00", "W1"),
        stock("D004", 40, "4.00", "W1"),
        stock("E005", 50, "5.00", "W1"),
        stock("F006", 60, "6.00", "W1"),
    ]
}

/// The binlog file names and `.index` of one side.
fn side_files(side: &str, files: Vec<Vec<u8>>) -> Vec<(String, Vec<u8>)> {
    let mut index = String::new();
    let mut out = Vec::new();
    for (i, bytes) in files.into_iter().enumerate() {
        let name = format!("binlog.{:06}", i + 1);
        index.push_str(&format!("./{name}\n"));
        out.push((format!("{side}/{name}"), bytes));
    }
    out.push((format!("{side}/binlog.index"), index.into_bytes()));
    out
}

/// The generated files of `testdata/mysql-conflicts`: both sides' binlogs and
/// `.index` files, as `(path relative to the scenario folder, bytes)`. The same
/// split-brain story as `testdata/conflicts` on MySQL 8.0.36 with GTIDs: East (server
/// 1, [`MYSQL_EAST_UUID`]) and West (server 2, [`MYSQL_WEST_UUID`]) share `A:1-11`;
/// then East writes `A:12-27` and West `B:1-13`. Each side has two files.
/// Deterministic: the same bytes on every call.
pub fn mysql_conflicts() -> Vec<(String, Vec<u8>)> {
    let mut files = side_files("east", mysql_conflicts_east());
    files.extend(side_files("west", mysql_conflicts_west()));
    files
}

fn mysql_conflicts_east() -> Vec<Vec<u8>> {
    let a = ServerUuid::parse(MYSQL_EAST_UUID);
    let t = ShopTables::new(91);
    let mut xid = 10u64;
    let mut next_xid = || {
        xid += 1;
        xid
    };
    let mut gno = 11u64;
    let mut begin = |w: &mut MysqlBinlogWriter| {
        gno += 1;
        let ts = WINDOW_START + ((gno - 12) as u32) * 2;
        w.begin_transaction(MysqlGtid::new(a, gno), ts);
    };

    let mut w = MysqlBinlogWriter::new(1, MYSQL_SERVER_VERSION, SHARED_START - 60);
    w.previous_gtids(&MysqlGtidSet::new(), SHARED_START - 60);
    write_shared(&mut w, &t, a, SharedRole::Source, &mut 0);
    let (c, s) = (&t.customers, &t.stock);
    // E1: insert/insert on auto-increment id 7
    begin(&mut w);
    w.table_map(c)
        .write_rows(
            c.table_id,
            &[customer(7, "gus@example.com", "Gus", Some("Faro"))],
        )
        .commit(next_xid());
    // E2: update/update of the same column
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("A001", 10, "1.00", "W1"),
                stock("A001", 5, "1.00", "W1"),
            )],
        )
        .commit(next_xid());
    // E3: update/update of different columns
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("B002", 20, "2.00", "W1"),
                stock("B002", 20, "2.50", "W1"),
            )],
        )
        .commit(next_xid());
    // E4: update/delete
    begin(&mut w);
    w.table_map(c)
        .update_rows(
            c.table_id,
            &[(
                customer(2, "bob@example.com", "Bob", Some("Rome")),
                customer(2, "bob@example.com", "Bob", Some("Turin")),
            )],
        )
        .commit(next_xid());
    // E5: delete/update
    begin(&mut w);
    w.table_map(c)
        .delete_rows(
            c.table_id,
            &[customer(3, "cat@example.com", "Cat", Some("Lima"))],
        )
        .commit(next_xid());
    // E6: the identical change West makes
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("C003", 30, "3.00", "W1"),
                stock("C003", 0, "3.00", "W1"),
            )],
        )
        .commit(next_xid());
    // E7: both delete customer 4
    begin(&mut w);
    w.table_map(c)
        .delete_rows(
            c.table_id,
            &[customer(4, "dan@example.com", "Dan", Some("Kyiv"))],
        )
        .commit(next_xid());
    // E8: unique key collision with West's new customer 8
    begin(&mut w);
    w.table_map(c)
        .update_rows(
            c.table_id,
            &[(
                customer(6, "fay@example.com", "Fay", Some("Bern")),
                customer(6, "hal@example.com", "Fay", Some("Bern")),
            )],
        )
        .commit(next_xid());
    let rotated_at = WINDOW_START + 15;
    w.rotate("binlog.000002", rotated_at);
    let first = w.finish();

    let mut previous = MysqlGtidSet::new();
    previous.add_range(a, 1, 19);
    let mut w = MysqlBinlogWriter::new(1, MYSQL_SERVER_VERSION, rotated_at);
    w.previous_gtids(&previous, rotated_at);
    let (o, tk, n) = (&t.orders, &t.tickets, &t.notes);
    // E9: one transaction, a clean order and a conflicting stock change
    begin(&mut w);
    w.table_map(o)
        .write_rows(
            o.table_id,
            &[order(
                4,
                1,
                "15.00",
                "2026-11-21 09:00:16.250000",
                None,
                Some(2.0),
            )],
        )
        .table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("E005", 50, "5.00", "W1"),
                stock("E005", 49, "5.00", "W1"),
            )],
        )
        .commit(next_xid());
    // E10: an order of customer 5, whom West deletes
    begin(&mut w);
    w.table_map(o)
        .write_rows(
            o.table_id,
            &[order(
                5,
                5,
                "50.00",
                "2026-11-21 09:00:18.500000",
                None,
                None,
            )],
        )
        .commit(next_xid());
    // E11: two tickets; West re-creates the second one
    begin(&mut w);
    w.table_map(tk)
        .write_rows(
            tk.table_id,
            &[ticket(3, 6, "printer jam", "2026-11-21 09:00:20")],
        )
        .commit(next_xid());
    begin(&mut w);
    w.table_map(tk)
        .write_rows(
            tk.table_id,
            &[ticket(4, 1, "refund please", "2026-11-21 09:00:22")],
        )
        .commit(next_xid());
    // E12: a row of the table West alters
    begin(&mut w);
    w.table_map(n)
        .update_rows(n.table_id, &[(note(1, "hello"), note(1, "hello again"))])
        .commit(next_xid());
    // E13: clean changes
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("D004", 40, "4.00", "W1"),
                stock("D004", 39, "4.00", "W1"),
            )],
        )
        .commit(next_xid());
    begin(&mut w);
    w.table_map(s)
        .write_rows(s.table_id, &[stock("G007", 70, "7.00", "W1")])
        .commit(next_xid());
    begin(&mut w);
    w.table_map(o)
        .delete_rows(o.table_id, &[shared_orders()[1].clone()])
        .commit(next_xid());
    assert_eq!(gno, 27, "East writes A:12-27");
    vec![first, w.finish()]
}

fn mysql_conflicts_west() -> Vec<Vec<u8>> {
    let a = ServerUuid::parse(MYSQL_EAST_UUID);
    let b = ServerUuid::parse(MYSQL_WEST_UUID);
    let t = ShopTables::new(101);
    let mut xid = 30u64;
    let mut gno = 0u64;
    let mut begin = |w: &mut MysqlBinlogWriter| {
        gno += 1;
        let ts = WINDOW_START + 35 + (gno as u32) * 35;
        w.begin_transaction(MysqlGtid::new(b, gno), ts);
    };

    let mut w = MysqlBinlogWriter::new(2, MYSQL_SERVER_VERSION, SHARED_START - 30);
    w.previous_gtids(&MysqlGtidSet::new(), SHARED_START - 30);
    write_shared(&mut w, &t, a, SharedRole::Replica, &mut xid);
    let mut next_xid = || {
        xid += 1;
        xid
    };
    // after the failover West's own sessions write
    w.thread_id(12);
    let (c, s) = (&t.customers, &t.stock);
    // W1: customer 7 is Ida here
    begin(&mut w);
    w.table_map(c)
        .write_rows(
            c.table_id,
            &[customer(7, "ida@example.com", "Ida", Some("Nice"))],
        )
        .commit(next_xid());
    // W2
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("A001", 10, "1.00", "W1"),
                stock("A001", 7, "1.00", "W1"),
            )],
        )
        .commit(next_xid());
    // W3
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("B002", 20, "2.00", "W1"),
                stock("B002", 20, "2.00", "W2"),
            )],
        )
        .commit(next_xid());
    // W4
    begin(&mut w);
    w.table_map(c)
        .delete_rows(
            c.table_id,
            &[customer(2, "bob@example.com", "Bob", Some("Rome"))],
        )
        .commit(next_xid());
    // W5
    begin(&mut w);
    w.table_map(c)
        .update_rows(
            c.table_id,
            &[(
                customer(3, "cat@example.com", "Cat", Some("Lima")),
                customer(3, "cat@example.com", "Catherine", Some("Lima")),
            )],
        )
        .commit(next_xid());
    // W6: identical to East's E6
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("C003", 30, "3.00", "W1"),
                stock("C003", 0, "3.00", "W1"),
            )],
        )
        .commit(next_xid());
    let rotated_at = WINDOW_START + 250;
    w.rotate("binlog.000002", rotated_at);
    let first = w.finish();

    let mut previous = MysqlGtidSet::new();
    previous.add_range(a, 1, 11);
    previous.add_range(b, 1, 6);
    let mut w = MysqlBinlogWriter::new(2, MYSQL_SERVER_VERSION, rotated_at);
    w.previous_gtids(&previous, rotated_at);
    w.thread_id(12);
    let tk = &t.tickets;
    // W7: identical to East's E7
    begin(&mut w);
    w.table_map(c)
        .delete_rows(
            c.table_id,
            &[customer(4, "dan@example.com", "Dan", Some("Kyiv"))],
        )
        .commit(next_xid());
    // W8: customer 8 takes the email East gives customer 6
    begin(&mut w);
    w.table_map(c)
        .write_rows(
            c.table_id,
            &[customer(8, "hal@example.com", "Hal", Some("Graz"))],
        )
        .commit(next_xid());
    // W9
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("E005", 50, "5.00", "W1"),
                stock("E005", 45, "5.00", "W1"),
            )],
        )
        .commit(next_xid());
    // W10: customer 5 leaves
    begin(&mut w);
    w.table_map(c)
        .delete_rows(
            c.table_id,
            &[customer(5, "eve@example.com", "Eve", Some("Pune"))],
        )
        .commit(next_xid());
    // W11: the refund ticket again, id 3 here
    begin(&mut w);
    w.table_map(tk)
        .write_rows(
            tk.table_id,
            &[ticket(3, 1, "refund please", "2026-11-21 09:07:00")],
        )
        .commit(next_xid());
    // W12: a migration; the altered table gets a new table id
    begin(&mut w);
    w.query("shop", MYSQL_WEST_DDL, next_xid());
    // W13
    begin(&mut w);
    w.table_map(s)
        .update_rows(
            s.table_id,
            &[(
                stock("F006", 60, "6.00", "W1"),
                stock("F006", 61, "6.00", "W1"),
            )],
        )
        .commit(next_xid());
    assert_eq!(gno, 13, "West writes B:1-13");
    vec![first, w.finish()]
}
