//! TABLE_MAP events: column types with their metadata, and the optional
//! metadata block (signedness, charsets, names, ENUM/SET labels, geometry
//! types, primary key, visibility).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cursor::{bit_is_set, Cursor, DResult};

/// Binlog column type codes (`enum_field_types`).
pub mod type_code {
    #![allow(missing_docs)]
    pub const DECIMAL: u8 = 0;
    pub const TINY: u8 = 1;
    pub const SHORT: u8 = 2;
    pub const LONG: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const DOUBLE: u8 = 5;
    pub const NULL: u8 = 6;
    pub const TIMESTAMP: u8 = 7;
    pub const LONGLONG: u8 = 8;
    pub const INT24: u8 = 9;
    pub const DATE: u8 = 10;
    pub const TIME: u8 = 11;
    pub const DATETIME: u8 = 12;
    pub const YEAR: u8 = 13;
    pub const NEWDATE: u8 = 14;
    pub const VARCHAR: u8 = 15;
    pub const BIT: u8 = 16;
    pub const TIMESTAMP2: u8 = 17;
    pub const DATETIME2: u8 = 18;
    pub const TIME2: u8 = 19;
    pub const TYPED_ARRAY: u8 = 20;
    pub const VECTOR: u8 = 242;
    pub const JSON: u8 = 245;
    pub const NEWDECIMAL: u8 = 246;
    pub const ENUM: u8 = 247;
    pub const SET: u8 = 248;
    pub const TINY_BLOB: u8 = 249;
    pub const MEDIUM_BLOB: u8 = 250;
    pub const LONG_BLOB: u8 = 251;
    pub const BLOB: u8 = 252;
    pub const VAR_STRING: u8 = 253;
    pub const STRING: u8 = 254;
    pub const GEOMETRY: u8 = 255;
}

use type_code as tc;

/// A column type with the parameters needed to decode its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ColumnType {
    /// TINYINT (1 byte).
    Tiny,
    /// SMALLINT (2 bytes).
    Short,
    /// MEDIUMINT (3 bytes).
    Int24,
    /// INT (4 bytes).
    Long,
    /// BIGINT (8 bytes).
    LongLong,
    /// FLOAT.
    Float,
    /// DOUBLE.
    Double,
    /// Binary DECIMAL (NEWDECIMAL).
    Decimal {
        /// Total digits.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// Pre-5.0 DECIMAL stored as text; cannot be decoded from row events.
    OldDecimal,
    /// YEAR.
    Year,
    /// DATE.
    Date,
    /// NEWDATE (same storage as DATE in row events).
    NewDate,
    /// Pre-5.6 TIME (3 bytes, HHMMSS).
    Time,
    /// TIME with fractional seconds (5.6+).
    Time2 {
        /// Fractional digits.
        fsp: u8,
    },
    /// Pre-5.6 DATETIME (8 bytes, YYYYMMDDhhmmss).
    DateTime,
    /// DATETIME with fractional seconds (5.6+).
    DateTime2 {
        /// Fractional digits.
        fsp: u8,
    },
    /// Pre-5.6 TIMESTAMP (4 bytes).
    Timestamp,
    /// TIMESTAMP with fractional seconds (5.6+).
    Timestamp2 {
        /// Fractional digits.
        fsp: u8,
    },
    /// VARCHAR / VARBINARY.
    Varchar {
        /// Maximum length in bytes.
        max_len: u16,
    },
    /// Old VAR_STRING type code.
    VarString {
        /// Maximum length in bytes.
        max_len: u16,
    },
    /// CHAR / BINARY (type STRING with real type STRING).
    Char {
        /// Maximum length in bytes.
        max_len: u16,
    },
    /// ENUM (binlog type STRING with real type ENUM).
    Enum {
        /// Storage bytes (1 or 2).
        pack_len: u8,
        /// Labels from optional metadata ENUM_STR_VALUE.
        labels: Option<Arc<Vec<crate::Bytes>>>,
    },
    /// SET (binlog type STRING with real type SET).
    Set {
        /// Storage bytes (1..=8).
        pack_len: u8,
        /// Labels from optional metadata SET_STR_VALUE.
        labels: Option<Arc<Vec<crate::Bytes>>>,
    },
    /// BIT(n).
    Bit {
        /// Declared width in bits.
        bits: u16,
    },
    /// BLOB / TEXT family (TINY/MEDIUM/LONG BLOB share it).
    Blob {
        /// Bytes of the length prefix (1..=4).
        len_bytes: u8,
    },
    /// JSON (MySQL binary JSON).
    Json {
        /// Bytes of the length prefix.
        len_bytes: u8,
    },
    /// GEOMETRY.
    Geometry {
        /// Bytes of the length prefix.
        len_bytes: u8,
        /// Geometry subtype from optional metadata (0 = GEOMETRY, 1 = POINT, ...).
        geometry_type: Option<u32>,
    },
    /// MySQL 9 VECTOR.
    Vector {
        /// Bytes of the length prefix.
        len_bytes: u8,
        /// Dimensions from optional metadata.
        dimensions: Option<u32>,
    },
    /// NULL type (always NULL).
    Null,
    /// A type code this reader cannot decode; a row containing it fails.
    Unsupported {
        /// Binlog type code.
        type_code: u8,
        /// Raw metadata.
        meta: u16,
    },
}

impl ColumnType {
    fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnType::Tiny
                | ColumnType::Short
                | ColumnType::Int24
                | ColumnType::Long
                | ColumnType::LongLong
                | ColumnType::Float
                | ColumnType::Double
                | ColumnType::Decimal { .. }
                | ColumnType::OldDecimal
        )
    }

    fn is_character(&self) -> bool {
        matches!(
            self,
            ColumnType::Varchar { .. }
                | ColumnType::VarString { .. }
                | ColumnType::Char { .. }
                | ColumnType::Blob { .. }
        )
    }

    fn is_enum_or_set(&self) -> bool {
        matches!(self, ColumnType::Enum { .. } | ColumnType::Set { .. })
    }

    /// BLOB-like columns that `binlog_row_image=NOBLOB` may leave out.
    pub fn is_blob_like(&self) -> bool {
        matches!(
            self,
            ColumnType::Blob { .. }
                | ColumnType::Json { .. }
                | ColumnType::Geometry { .. }
                | ColumnType::Vector { .. }
        )
    }
}

/// One column of a table as described by a TABLE_MAP event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDescription {
    /// Name from optional metadata COLUMN_NAME (`binlog_row_metadata=FULL`).
    pub name: Option<String>,
    /// Type with its decoding parameters.
    pub column_type: ColumnType,
    /// Binlog type code as written.
    pub type_code: u8,
    /// Signedness from optional metadata SIGNEDNESS (numeric columns only).
    pub unsigned: Option<bool>,
    /// Collation id from optional metadata (character, ENUM and SET columns).
    pub collation: Option<u32>,
    /// Nullable, from the TABLE_MAP null bitmap.
    pub nullable: bool,
    /// Visibility from optional metadata COLUMN_VISIBILITY (MySQL 8.0.23+).
    pub visible: Option<bool>,
}

/// A table as described by a TABLE_MAP event. Shared with `Arc` by all the
/// row changes that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDescription {
    /// The table id of the TABLE_MAP (valid until the server re-maps it).
    pub table_id: u64,
    /// Database name.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// Columns in table order.
    pub columns: Vec<ColumnDescription>,
    /// Primary key as `(column index, prefix length)` in key order (prefix 0 =
    /// whole column), from SIMPLE_PRIMARY_KEY or PRIMARY_KEY_WITH_PREFIX.
    pub primary_key: Option<Vec<(u32, u32)>>,
}

impl TableDescription {
    /// Column index by name, when names are known.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.as_deref() == Some(name))
    }

    /// Number of JSON columns (for PARTIAL_UPDATE_ROWS partial bitmaps).
    pub(crate) fn json_column_count(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| matches!(c.column_type, ColumnType::Json { .. }))
            .count()
    }
}

/// MySQL and MariaDB allow at most 4096 columns per table.
pub(crate) const MAX_COLUMNS: usize = 4096;

/// Decodes the rest of a TABLE_MAP body (after the table id).
pub(crate) fn decode_table_map(
    table_id: u64,
    rest: &[u8],
    base: usize,
) -> DResult<TableDescription> {
    let mut c = Cursor::with_base(rest, base);
    let _flags = c.u16()?;
    let n = usize::from(c.u8()?);
    let schema = String::from_utf8_lossy(c.take(n)?).into_owned();
    c.skip(1)?;
    let n = usize::from(c.u8()?);
    let table = String::from_utf8_lossy(c.take(n)?).into_owned();
    c.skip(1)?;
    let ncols = c.packed_len()?;
    if ncols > MAX_COLUMNS {
        return Err(c.err(format!(
            "table map has {ncols} columns, more than the server limit {MAX_COLUMNS}"
        )));
    }
    let types = c.take(ncols)?;
    let meta_len = c.packed_len()?;
    let meta = c.take(meta_len)?;
    let null_bits = c.take(ncols.div_ceil(8))?;
    let mut mc = Cursor::with_base(meta, 0);
    let mut columns = Vec::with_capacity(ncols);
    for (i, &t) in types.iter().enumerate() {
        let column_type = read_column_type(&mut mc, t)?;
        columns.push(ColumnDescription {
            name: None,
            column_type,
            type_code: t,
            unsigned: None,
            collation: None,
            nullable: bit_is_set(null_bits, i),
            visible: None,
        });
    }
    let mut desc = TableDescription {
        table_id,
        schema,
        table,
        columns,
        primary_key: None,
    };
    decode_optional_metadata(&mut c, &mut desc)?;
    Ok(desc)
}

fn read_column_type(m: &mut Cursor<'_>, t: u8) -> DResult<ColumnType> {
    Ok(match t {
        tc::TINY => ColumnType::Tiny,
        tc::SHORT => ColumnType::Short,
        tc::INT24 => ColumnType::Int24,
        tc::LONG => ColumnType::Long,
        tc::LONGLONG => ColumnType::LongLong,
        tc::FLOAT => {
            m.u8()?;
            ColumnType::Float
        }
        tc::DOUBLE => {
            m.u8()?;
            ColumnType::Double
        }
        tc::NEWDECIMAL => {
            let precision = m.u8()?;
            let scale = m.u8()?;
            if scale > precision || precision > 65 + 30 {
                return Err(m.err(format!("invalid DECIMAL({precision},{scale}) metadata")));
            }
            ColumnType::Decimal { precision, scale }
        }
        tc::DECIMAL => ColumnType::OldDecimal,
        tc::YEAR => ColumnType::Year,
        tc::DATE => ColumnType::Date,
        tc::NEWDATE => ColumnType::NewDate,
        tc::TIME => ColumnType::Time,
        tc::DATETIME => ColumnType::DateTime,
        tc::TIMESTAMP => ColumnType::Timestamp,
        tc::TIME2 | tc::DATETIME2 | tc::TIMESTAMP2 => {
            let fsp = m.u8()?;
            if fsp > 6 {
                return Err(m.err(format!("invalid fractional seconds precision {fsp}")));
            }
            match t {
                tc::TIME2 => ColumnType::Time2 { fsp },
                tc::DATETIME2 => ColumnType::DateTime2 { fsp },
                _ => ColumnType::Timestamp2 { fsp },
            }
        }
        tc::VARCHAR => ColumnType::Varchar { max_len: m.u16()? },
        tc::VAR_STRING => ColumnType::VarString { max_len: m.u16()? },
        tc::BIT => {
            let bits = u16::from(m.u8()?);
            let bytes = u16::from(m.u8()?);
            ColumnType::Bit {
                bits: bytes * 8 + bits,
            }
        }
        tc::BLOB | tc::TINY_BLOB | tc::MEDIUM_BLOB | tc::LONG_BLOB => {
            let len_bytes = m.u8()?;
            check_len_bytes(m, len_bytes)?;
            ColumnType::Blob { len_bytes }
        }
        tc::JSON => {
            let len_bytes = m.u8()?;
            check_len_bytes(m, len_bytes)?;
            ColumnType::Json { len_bytes }
        }
        tc::GEOMETRY => {
            let len_bytes = m.u8()?;
            check_len_bytes(m, len_bytes)?;
            ColumnType::Geometry {
                len_bytes,
                geometry_type: None,
            }
        }
        tc::VECTOR => {
            let len_bytes = m.u8()?;
            check_len_bytes(m, len_bytes)?;
            ColumnType::Vector {
                len_bytes,
                dimensions: None,
            }
        }
        tc::STRING | tc::ENUM | tc::SET => {
            let b0 = m.u8()?;
            let b1 = m.u8()?;
            let mut real = b0;
            let mut len = u16::from(b1);
            if t == tc::STRING && (real & 0x30) != 0x30 {
                // long CHAR: two high bits of the length hide in the type byte
                len |= u16::from((real & 0x30) ^ 0x30) << 4;
                real |= 0x30;
            }
            if t != tc::STRING {
                real = t;
            }
            match real {
                tc::ENUM => ColumnType::Enum {
                    pack_len: b1,
                    labels: None,
                },
                tc::SET => ColumnType::Set {
                    pack_len: b1,
                    labels: None,
                },
                _ => ColumnType::Char { max_len: len },
            }
        }
        tc::NULL => ColumnType::Null,
        other => ColumnType::Unsupported {
            type_code: other,
            meta: 0,
        },
    })
}

fn check_len_bytes(m: &Cursor<'_>, n: u8) -> DResult<()> {
    if (1..=4).contains(&n) {
        Ok(())
    } else {
        Err(m.err(format!("invalid length-prefix size {n} in column metadata")))
    }
}

fn read_str_values(c: &mut Cursor<'_>) -> DResult<Vec<crate::Bytes>> {
    let n = c.packed()?;
    let mut v = Vec::new();
    for _ in 0..n {
        let len = c.packed_len()?;
        v.push(crate::Bytes(c.take(len)?.to_vec()));
    }
    Ok(v)
}

/// Reads `(index, collation)` pairs after a default collation.
fn read_default_charset(c: &mut Cursor<'_>) -> DResult<(u32, Vec<(usize, u32)>)> {
    let default = c.packed()? as u32;
    let mut pairs = Vec::new();
    while !c.is_empty() {
        let idx = c.packed()? as usize;
        let coll = c.packed()? as u32;
        pairs.push((idx, coll));
    }
    Ok((default, pairs))
}

fn decode_optional_metadata(c: &mut Cursor<'_>, d: &mut TableDescription) -> DResult<()> {
    while !c.is_empty() {
        let t = c.u8()?;
        let len = c.packed_len()?;
        let base = c.abs_pos();
        let body = c.take(len)?;
        let mut f = Cursor::with_base(body, base);
        match t {
            // SIGNEDNESS: one bit per numeric column, most significant first
            1 => {
                for (k, col) in d
                    .columns
                    .iter_mut()
                    .filter(|x| x.column_type.is_numeric())
                    .enumerate()
                {
                    let byte = body.get(k / 8).copied().unwrap_or(0);
                    col.unsigned = Some(byte & (0x80 >> (k % 8)) != 0);
                }
            }
            // DEFAULT_CHARSET / ENUM_AND_SET_DEFAULT_CHARSET
            2 | 10 => {
                let (default, pairs) = read_default_charset(&mut f)?;
                let enum_set = t == 10;
                let cols: Vec<&mut ColumnDescription> = d
                    .columns
                    .iter_mut()
                    .filter(|x| {
                        if enum_set {
                            x.column_type.is_enum_or_set()
                        } else {
                            x.column_type.is_character()
                        }
                    })
                    .collect();
                let mut cols = cols;
                for col in cols.iter_mut() {
                    col.collation = Some(default);
                }
                for (idx, coll) in pairs {
                    if let Some(col) = cols.get_mut(idx) {
                        col.collation = Some(coll);
                    }
                }
            }
            // COLUMN_CHARSET / ENUM_AND_SET_COLUMN_CHARSET
            3 | 11 => {
                let enum_set = t == 11;
                for col in d.columns.iter_mut().filter(|x| {
                    if enum_set {
                        x.column_type.is_enum_or_set()
                    } else {
                        x.column_type.is_character()
                    }
                }) {
                    if f.is_empty() {
                        break;
                    }
                    col.collation = Some(f.packed()? as u32);
                }
            }
            // COLUMN_NAME
            4 => {
                for col in d.columns.iter_mut() {
                    if f.is_empty() {
                        break;
                    }
                    let n = f.packed_len()?;
                    col.name = Some(String::from_utf8_lossy(f.take(n)?).into_owned());
                }
            }
            // SET_STR_VALUE / ENUM_STR_VALUE
            5 | 6 => {
                for col in d.columns.iter_mut() {
                    let slot = match (&mut col.column_type, t) {
                        (ColumnType::Set { labels, .. }, 5) => labels,
                        (ColumnType::Enum { labels, .. }, 6) => labels,
                        _ => continue,
                    };
                    if f.is_empty() {
                        break;
                    }
                    *slot = Some(Arc::new(read_str_values(&mut f)?));
                }
            }
            // GEOMETRY_TYPE
            7 => {
                for col in d.columns.iter_mut() {
                    if let ColumnType::Geometry { geometry_type, .. } = &mut col.column_type {
                        if f.is_empty() {
                            break;
                        }
                        *geometry_type = Some(f.packed()? as u32);
                    }
                }
            }
            // SIMPLE_PRIMARY_KEY
            8 => {
                let mut pk = Vec::new();
                while !f.is_empty() {
                    pk.push((f.packed()? as u32, 0));
                }
                d.primary_key = Some(pk);
            }
            // PRIMARY_KEY_WITH_PREFIX
            9 => {
                let mut pk = Vec::new();
                while !f.is_empty() {
                    let idx = f.packed()? as u32;
                    let prefix = f.packed()? as u32;
                    pk.push((idx, prefix));
                }
                d.primary_key = Some(pk);
            }
            // COLUMN_VISIBILITY: one bit per column, most significant first
            12 => {
                for (k, col) in d.columns.iter_mut().enumerate() {
                    let byte = body.get(k / 8).copied().unwrap_or(0);
                    col.visible = Some(byte & (0x80 >> (k % 8)) != 0);
                }
            }
            // VECTOR_DIMENSIONALITY
            13 => {
                for col in d.columns.iter_mut() {
                    if let ColumnType::Vector { dimensions, .. } = &mut col.column_type {
                        if f.is_empty() {
                            break;
                        }
                        *dimensions = Some(f.packed()? as u32);
                    }
                }
            }
            other => {
                tracing::debug!(
                    field = other,
                    "skipping unknown TABLE_MAP optional metadata field"
                );
            }
        }
    }
    Ok(())
}
