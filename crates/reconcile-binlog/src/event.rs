//! Event header, FORMAT_DESCRIPTION, and the decoding of one event's bytes
//! into a typed [`Event`]. Synchronous and I/O free.

use serde::{Deserialize, Serialize};

use crate::cursor::{Cursor, DResult};
use crate::error::DecodeError;
use crate::gtid::{self, GtidSet, MariadbGtidEvent, MysqlGtidEvent};
use crate::rows::{decode_rows_header, RawRows, RowOp};

/// Length of the v4 common event header.
pub const HEADER_LEN: usize = 19;

/// Event type codes.
pub mod event_type {
    #![allow(missing_docs)]
    pub const START_V3: u8 = 0x01;
    pub const QUERY: u8 = 0x02;
    pub const STOP: u8 = 0x03;
    pub const ROTATE: u8 = 0x04;
    pub const INTVAR: u8 = 0x05;
    pub const LOAD: u8 = 0x06;
    pub const SLAVE: u8 = 0x07;
    pub const CREATE_FILE: u8 = 0x08;
    pub const APPEND_BLOCK: u8 = 0x09;
    pub const EXEC_LOAD: u8 = 0x0a;
    pub const DELETE_FILE: u8 = 0x0b;
    pub const NEW_LOAD: u8 = 0x0c;
    pub const RAND: u8 = 0x0d;
    pub const USER_VAR: u8 = 0x0e;
    pub const FORMAT_DESCRIPTION: u8 = 0x0f;
    pub const XID: u8 = 0x10;
    pub const BEGIN_LOAD_QUERY: u8 = 0x11;
    pub const EXECUTE_LOAD_QUERY: u8 = 0x12;
    pub const TABLE_MAP: u8 = 0x13;
    pub const PRE_GA_WRITE_ROWS: u8 = 0x14;
    pub const PRE_GA_UPDATE_ROWS: u8 = 0x15;
    pub const PRE_GA_DELETE_ROWS: u8 = 0x16;
    pub const WRITE_ROWS_V1: u8 = 0x17;
    pub const UPDATE_ROWS_V1: u8 = 0x18;
    pub const DELETE_ROWS_V1: u8 = 0x19;
    pub const INCIDENT: u8 = 0x1a;
    pub const HEARTBEAT: u8 = 0x1b;
    pub const IGNORABLE: u8 = 0x1c;
    pub const ROWS_QUERY: u8 = 0x1d;
    pub const WRITE_ROWS_V2: u8 = 0x1e;
    pub const UPDATE_ROWS_V2: u8 = 0x1f;
    pub const DELETE_ROWS_V2: u8 = 0x20;
    pub const GTID: u8 = 0x21;
    pub const ANONYMOUS_GTID: u8 = 0x22;
    pub const PREVIOUS_GTIDS: u8 = 0x23;
    pub const TRANSACTION_CONTEXT: u8 = 0x24;
    pub const VIEW_CHANGE: u8 = 0x25;
    pub const XA_PREPARE: u8 = 0x26;
    pub const PARTIAL_UPDATE_ROWS: u8 = 0x27;
    pub const TRANSACTION_PAYLOAD: u8 = 0x28;
    pub const HEARTBEAT_V2: u8 = 0x29;
    pub const GTID_TAGGED: u8 = 0x2a;
    pub const AURORA_PADDING: u8 = 0x64;
    pub const MARIA_ANNOTATE_ROWS: u8 = 0xa0;
    pub const MARIA_BINLOG_CHECKPOINT: u8 = 0xa1;
    pub const MARIA_GTID: u8 = 0xa2;
    pub const MARIA_GTID_LIST: u8 = 0xa3;
    pub const MARIA_START_ENCRYPTION: u8 = 0xa4;
    pub const MARIA_QUERY_COMPRESSED: u8 = 0xa5;
    pub const MARIA_WRITE_ROWS_COMPRESSED_V1: u8 = 0xa6;
    pub const MARIA_UPDATE_ROWS_COMPRESSED_V1: u8 = 0xa7;
    pub const MARIA_DELETE_ROWS_COMPRESSED_V1: u8 = 0xa8;
    pub const MARIA_WRITE_ROWS_COMPRESSED: u8 = 0xa9;
    pub const MARIA_UPDATE_ROWS_COMPRESSED: u8 = 0xaa;
    pub const MARIA_DELETE_ROWS_COMPRESSED: u8 = 0xab;
}

use event_type as et;

/// Header flag: the server still had the file open (set in the FDE).
pub const LOG_EVENT_BINLOG_IN_USE_F: u16 = 0x1;
/// Header flag: a reader that does not know the event may skip it.
pub const LOG_EVENT_IGNORABLE_F: u16 = 0x80;

/// The 19-byte v4 event header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventHeader {
    /// Seconds since the epoch when the statement started.
    pub timestamp: u32,
    /// Event type code.
    pub type_code: u8,
    /// Originating server id.
    pub server_id: u32,
    /// Total event size including header and checksum.
    pub event_size: u32,
    /// Position of the next event (in the source's binlog).
    pub log_pos: u32,
    /// Header flags.
    pub flags: u16,
}

impl EventHeader {
    /// Parses the first 19 bytes.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        // one bounds check for the whole header: every event's header is parsed
        let [t0, t1, t2, t3, type_code, s0, s1, s2, s3, e0, e1, e2, e3, p0, p1, p2, p3, f0, f1] =
            Cursor::new(bytes).array::<HEADER_LEN>()?;
        Ok(EventHeader {
            timestamp: u32::from_le_bytes([t0, t1, t2, t3]),
            type_code,
            server_id: u32::from_le_bytes([s0, s1, s2, s3]),
            event_size: u32::from_le_bytes([e0, e1, e2, e3]),
            log_pos: u32::from_le_bytes([p0, p1, p2, p3]),
            flags: u16::from_le_bytes([f0, f1]),
        })
    }
}

/// Server flavor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flavor {
    /// MySQL, Percona Server, Aurora MySQL.
    Mysql,
    /// MariaDB.
    Mariadb,
}

/// Event checksum algorithm from the FORMAT_DESCRIPTION.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumAlg {
    /// Server older than MySQL 5.6.1 / MariaDB 5.3: no checksum field at all.
    NotAvailable,
    /// `binlog_checksum=NONE`.
    None,
    /// `binlog_checksum=CRC32`: 4 trailing bytes per event.
    Crc32,
}

/// A FORMAT_DESCRIPTION event: what the rest of the file looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatDescription {
    /// Binlog format version (4).
    pub binlog_version: u16,
    /// Server version string, e.g. `8.0.32` or `10.5.15-MariaDB-log`.
    pub server_version: String,
    /// Creation timestamp (0 unless first file after startup).
    pub created: u32,
    /// Common header length (19).
    pub header_len: u8,
    /// Post-header length per event type (index = type - 1).
    pub post_header_lens: Vec<u8>,
    /// Checksum algorithm of the events that follow.
    pub checksum: ChecksumAlg,
    /// Flavor derived from the version string.
    pub flavor: Flavor,
}

fn version_triple(v: &str) -> (u32, u32, u32) {
    let mut nums = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap_or(0));
    (
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
    )
}

impl FormatDescription {
    /// Decodes a FORMAT_DESCRIPTION event (full bytes, header included,
    /// checksum included when present).
    pub fn decode(event: &[u8]) -> Result<Self, DecodeError> {
        let header = EventHeader::parse(event)?;
        let body = event
            .get(HEADER_LEN..)
            .ok_or_else(|| DecodeError::new(0, "event shorter than its header"))?;
        let mut c = Cursor::with_base(body, HEADER_LEN);
        let binlog_version = c.u16()?;
        let raw_version = c.take(50)?;
        let end = raw_version.iter().position(|&b| b == 0).unwrap_or(50);
        let server_version =
            String::from_utf8_lossy(raw_version.get(..end).unwrap_or(raw_version)).into_owned();
        let created = c.u32()?;
        let header_len = c.u8()?;
        if header_len < HEADER_LEN as u8 {
            return Err(c.err(format!("common header length {header_len} < 19")));
        }
        let flavor =
            if server_version.contains("MariaDB") || version_triple(&server_version).0 >= 10 {
                Flavor::Mariadb
            } else {
                Flavor::Mysql
            };
        let ver = version_triple(&server_version);
        let has_alg = match flavor {
            Flavor::Mysql => ver >= (5, 6, 1),
            Flavor::Mariadb => ver >= (5, 3, 0),
        };
        let rest = c.rest();
        let (post_header_lens, checksum) = if has_alg {
            let n = rest.len().checked_sub(5).ok_or_else(|| {
                DecodeError::new(
                    HEADER_LEN,
                    "format description too short for its checksum field",
                )
            })?;
            let alg = rest.get(n).copied().unwrap_or(0);
            let checksum = match alg {
                0 => ChecksumAlg::None,
                1 => ChecksumAlg::Crc32,
                other => {
                    return Err(DecodeError::new(
                        HEADER_LEN + n,
                        format!("unknown checksum algorithm {other}"),
                    ))
                }
            };
            (rest.get(..n).unwrap_or(&[]).to_vec(), checksum)
        } else {
            (rest.to_vec(), ChecksumAlg::NotAvailable)
        };
        let _ = header;
        Ok(FormatDescription {
            binlog_version,
            server_version,
            created,
            header_len,
            post_header_lens,
            checksum,
            flavor,
        })
    }

    /// Post-header length of an event type, when the FDE lists it.
    pub fn post_header_len(&self, type_code: u8) -> Option<usize> {
        usize::from(type_code)
            .checked_sub(1)
            .and_then(|i| self.post_header_lens.get(i))
            .map(|&l| usize::from(l))
    }

    /// Bytes of trailing checksum on each event.
    pub fn checksum_len(&self) -> usize {
        if self.checksum == ChecksumAlg::Crc32 {
            4
        } else {
            0
        }
    }
}

/// A QUERY (or EXECUTE_LOAD_QUERY) event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryEvent {
    /// Thread id of the session.
    pub thread_id: u32,
    /// Seconds the statement took.
    pub exec_time: u32,
    /// Error code the statement ended with on the source.
    pub error_code: u16,
    /// Default database of the session (may be empty).
    pub schema: String,
    /// Statement text (lossy UTF-8).
    pub query: String,
}

/// TRANSACTION_PAYLOAD compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadCompression {
    /// zstd.
    Zstd,
    /// Stored uncompressed.
    None,
}

/// A decoded event. Borrowed parts point into the event bytes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event<'a> {
    /// FORMAT_DESCRIPTION.
    FormatDescription(FormatDescription),
    /// ROTATE to another file.
    Rotate {
        /// Position in the next file.
        position: u64,
        /// Next file name.
        next_file: String,
    },
    /// QUERY, EXECUTE_LOAD_QUERY, or a MariaDB compressed query once inflated.
    Query(QueryEvent),
    /// XID: commit of a transaction.
    Xid(u64),
    /// TABLE_MAP (decoded lazily by the reader, which caches descriptions).
    TableMap {
        /// Table id.
        table_id: u64,
        /// Bytes after the table id.
        rest: &'a [u8],
        /// Offset of `rest` in the event.
        rest_at: usize,
    },
    /// Rows event (any version) with undecoded row images.
    Rows(RawRows<'a>),
    /// MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED.
    MysqlGtid(MysqlGtidEvent),
    /// PREVIOUS_GTIDS.
    PreviousGtids(GtidSet),
    /// MariaDB GTID.
    MariadbGtid(MariadbGtidEvent),
    /// MariaDB GTID_LIST.
    MariadbGtidList(Vec<gtid::Gtid>),
    /// MariaDB BINLOG_CHECKPOINT.
    BinlogCheckpoint(String),
    /// ROWS_QUERY (MySQL) or ANNOTATE_ROWS (MariaDB): the originating SQL, as
    /// logged (not necessarily UTF-8).
    RowsQuery(&'a [u8]),
    /// TRANSACTION_PAYLOAD with its (still compressed) payload.
    TransactionPayload {
        /// Compression algorithm.
        compression: PayloadCompression,
        /// Declared uncompressed size.
        uncompressed_size: Option<u64>,
        /// Payload bytes.
        payload: &'a [u8],
    },
    /// XA_PREPARE: end of an XA transaction's prepare phase.
    XaPrepare {
        /// One-phase commit.
        one_phase: bool,
    },
    /// INCIDENT.
    Incident {
        /// Incident number.
        incident: u16,
        /// Message.
        message: String,
    },
    /// MariaDB START_ENCRYPTION.
    StartEncryption,
    /// Events that need no action (STOP, HEARTBEAT, INTVAR, RAND, USER_VAR,
    /// IGNORABLE, Aurora padding, BEGIN_LOAD_QUERY, APPEND_BLOCK, ...).
    Other {
        /// Type code.
        type_code: u8,
    },
    /// Old statement-format LOAD DATA events that are not decoded.
    Undecoded {
        /// Type code.
        type_code: u8,
    },
    /// Unknown type.
    Unknown {
        /// Type code.
        type_code: u8,
    },
}

fn table_id_len(fde: &FormatDescription, type_code: u8) -> usize {
    if fde.post_header_len(type_code) == Some(6) {
        4
    } else {
        6
    }
}

/// Decodes one event. `event` holds the header and body with the checksum
/// already removed.
pub fn decode_event<'a>(
    event: &'a [u8],
    fde: &FormatDescription,
) -> Result<Event<'a>, DecodeError> {
    let header = EventHeader::parse(event)?;
    let body = event.get(HEADER_LEN..).unwrap_or(&[]);
    let mut c = Cursor::with_base(body, HEADER_LEN);
    let t = header.type_code;
    let ev = match t {
        et::FORMAT_DESCRIPTION => Event::FormatDescription(FormatDescription::decode(event)?),
        et::ROTATE => {
            let position = if fde.post_header_len(et::ROTATE).unwrap_or(8) >= 8 {
                c.u64()?
            } else {
                4
            };
            Event::Rotate {
                position,
                next_file: String::from_utf8_lossy(c.rest()).into_owned(),
            }
        }
        et::QUERY | et::EXECUTE_LOAD_QUERY => Event::Query(decode_query(&mut c, fde, t)?),
        et::XID => {
            let xid = c.u64()?;
            if !c.is_empty() {
                return Err(c.err(format!(
                    "XID event has {} unexpected trailing bytes",
                    c.remaining()
                )));
            }
            Event::Xid(xid)
        }
        et::TABLE_MAP => {
            let id = c.uint_le(table_id_len(fde, t))?;
            let rest_at = c.abs_pos();
            Event::TableMap {
                table_id: id,
                rest: c.rest(),
                rest_at,
            }
        }
        et::PRE_GA_WRITE_ROWS | et::WRITE_ROWS_V1 | et::WRITE_ROWS_V2 => {
            Event::Rows(rows(body, fde, t, RowOp::Insert)?)
        }
        et::PRE_GA_UPDATE_ROWS
        | et::UPDATE_ROWS_V1
        | et::UPDATE_ROWS_V2
        | et::PARTIAL_UPDATE_ROWS => Event::Rows(rows(body, fde, t, RowOp::Update)?),
        et::PRE_GA_DELETE_ROWS | et::DELETE_ROWS_V1 | et::DELETE_ROWS_V2 => {
            Event::Rows(rows(body, fde, t, RowOp::Delete)?)
        }
        et::GTID => Event::MysqlGtid(gtid::decode_mysql_gtid(&mut c, false)?),
        et::ANONYMOUS_GTID => Event::MysqlGtid(gtid::decode_mysql_gtid(&mut c, true)?),
        et::GTID_TAGGED => Event::MysqlGtid(gtid::decode_tagged_gtid(&mut c)?),
        et::PREVIOUS_GTIDS => Event::PreviousGtids(gtid::decode_previous_gtids(&mut c)?),
        et::MARIA_GTID => Event::MariadbGtid(gtid::decode_mariadb_gtid(&mut c, header.server_id)?),
        et::MARIA_GTID_LIST => Event::MariadbGtidList(gtid::decode_mariadb_gtid_list(&mut c)?),
        et::MARIA_BINLOG_CHECKPOINT => {
            let n = c.u32()? as usize;
            Event::BinlogCheckpoint(String::from_utf8_lossy(c.take(n)?).into_owned())
        }
        et::ROWS_QUERY => {
            // one length byte (truncated at 255, ignored), then the full text
            c.skip(1)?;
            Event::RowsQuery(c.rest())
        }
        et::MARIA_ANNOTATE_ROWS => Event::RowsQuery(c.rest()),
        et::TRANSACTION_PAYLOAD => decode_payload(&mut c)?,
        et::XA_PREPARE => Event::XaPrepare {
            one_phase: c.u8()? != 0,
        },
        et::INCIDENT => {
            let incident = c.u16()?;
            let message = if c.is_empty() {
                String::new()
            } else {
                let n = usize::from(c.u8()?);
                String::from_utf8_lossy(c.take(n)?).into_owned()
            };
            Event::Incident { incident, message }
        }
        et::MARIA_START_ENCRYPTION => Event::StartEncryption,
        et::STOP
        | et::INTVAR
        | et::RAND
        | et::USER_VAR
        | et::HEARTBEAT
        | et::HEARTBEAT_V2
        | et::IGNORABLE
        | et::APPEND_BLOCK
        | et::BEGIN_LOAD_QUERY
        | et::DELETE_FILE
        | et::TRANSACTION_CONTEXT
        | et::VIEW_CHANGE
        | et::AURORA_PADDING => Event::Other { type_code: t },
        et::LOAD | et::CREATE_FILE | et::EXEC_LOAD | et::NEW_LOAD | et::SLAVE | et::START_V3 => {
            Event::Undecoded { type_code: t }
        }
        et::MARIA_QUERY_COMPRESSED..=et::MARIA_DELETE_ROWS_COMPRESSED => {
            return Err(DecodeError::new(
                0,
                "compressed MariaDB event must be inflated with inflate_mariadb_event first",
            ))
        }
        other => Event::Unknown { type_code: other },
    };
    Ok(ev)
}

fn rows<'a>(body: &'a [u8], fde: &FormatDescription, t: u8, op: RowOp) -> DResult<RawRows<'a>> {
    let post = fde.post_header_len(t).unwrap_or(match t {
        et::WRITE_ROWS_V2 | et::UPDATE_ROWS_V2 | et::DELETE_ROWS_V2 | et::PARTIAL_UPDATE_ROWS => 10,
        _ => 8,
    });
    let v2 = post == 10
        || matches!(
            t,
            et::WRITE_ROWS_V2 | et::UPDATE_ROWS_V2 | et::DELETE_ROWS_V2 | et::PARTIAL_UPDATE_ROWS
        );
    let id_len = if post == 6 { 4 } else { 6 };
    decode_rows_header(
        body,
        HEADER_LEN,
        id_len,
        v2,
        op,
        t == et::PARTIAL_UPDATE_ROWS,
    )
}

fn decode_query(c: &mut Cursor<'_>, fde: &FormatDescription, t: u8) -> DResult<QueryEvent> {
    let post = fde.post_header_len(t).unwrap_or(13);
    let start = c.pos();
    let thread_id = c.u32()?;
    let exec_time = c.u32()?;
    let db_len = usize::from(c.u8()?);
    let error_code = c.u16()?;
    let status_len = if post >= 13 { usize::from(c.u16()?) } else { 0 };
    let used = c.pos() - start;
    c.skip(post.saturating_sub(used))?;
    c.skip(status_len)?;
    let schema = String::from_utf8_lossy(c.take(db_len)?).into_owned();
    c.skip(1)?;
    let query = String::from_utf8_lossy(c.rest()).into_owned();
    Ok(QueryEvent {
        thread_id,
        exec_time,
        error_code,
        schema,
        query,
    })
}

fn decode_payload<'a>(c: &mut Cursor<'a>) -> DResult<Event<'a>> {
    let mut compression = PayloadCompression::Zstd;
    let mut uncompressed_size = None;
    loop {
        let field = c.packed()?;
        if field == 0 {
            break;
        }
        let len = c.packed_len()?;
        let at = c.abs_pos();
        let mut v = Cursor::with_base(c.take(len)?, at);
        match field {
            1 => {
                v.packed()?;
            }
            2 => {
                compression = match v.packed()? {
                    0 => PayloadCompression::Zstd,
                    255 => PayloadCompression::None,
                    other => return Err(v.err(format!("unknown payload compression {other}"))),
                }
            }
            3 => uncompressed_size = Some(v.packed()?),
            _ => {}
        }
    }
    Ok(Event::TransactionPayload {
        compression,
        uncompressed_size,
        payload: c.rest(),
    })
}

/// Inflates a MariaDB compressed QUERY or rows event (0xa5..=0xab) into the
/// equivalent uncompressed event (header rewritten, no checksum).
/// `max_size` bounds the inflated size.
pub fn inflate_mariadb_event(
    event: &[u8],
    fde: &FormatDescription,
    max_size: usize,
) -> Result<Vec<u8>, DecodeError> {
    let header = EventHeader::parse(event)?;
    let t = header.type_code;
    let body = event.get(HEADER_LEN..).unwrap_or(&[]);
    let mut c = Cursor::with_base(body, HEADER_LEN);
    let (new_type, head_len) = match t {
        et::MARIA_QUERY_COMPRESSED => {
            let post = fde.post_header_len(t).unwrap_or(13);
            c.skip(8)?;
            let db_len = usize::from(c.u8()?);
            c.skip(2)?;
            let status_len = usize::from(c.u16()?);
            c.skip(post.saturating_sub(13))?;
            c.skip(status_len)?;
            c.skip(db_len + 1)?;
            (et::QUERY, c.pos())
        }
        et::MARIA_WRITE_ROWS_COMPRESSED_V1..=et::MARIA_DELETE_ROWS_COMPRESSED => {
            let post = fde.post_header_len(t).unwrap_or(8);
            let v2 = t >= et::MARIA_WRITE_ROWS_COMPRESSED;
            let id_len = if post == 6 { 4 } else { 6 };
            c.skip(id_len + 2)?;
            if v2 {
                let extra = usize::from(c.u16()?);
                c.skip(extra.saturating_sub(2))?;
            }
            let width = c.packed_column_count()?;
            c.skip(width.div_ceil(8))?;
            let update = matches!(
                t,
                et::MARIA_UPDATE_ROWS_COMPRESSED_V1 | et::MARIA_UPDATE_ROWS_COMPRESSED
            );
            if update {
                c.skip(width.div_ceil(8))?;
            }
            let new = if v2 {
                t - et::MARIA_WRITE_ROWS_COMPRESSED + et::WRITE_ROWS_V2
            } else {
                t - et::MARIA_WRITE_ROWS_COMPRESSED_V1 + et::WRITE_ROWS_V1
            };
            (new, c.pos())
        }
        _ => return Err(DecodeError::new(4, "not a compressed MariaDB event")),
    };
    // compressed block: 1 header byte (0x80 | algorithm << 4 | bytes of the
    // length), the uncompressed length big-endian, then a zlib stream
    let flag = c.u8()?;
    if flag & 0x80 == 0 || (flag >> 4) & 0x07 != 0 {
        return Err(c.err(format!("unsupported compression header byte 0x{flag:02x}")));
    }
    let lenlen = usize::from(flag & 0x07);
    if !(1..=4).contains(&lenlen) {
        return Err(c.err(format!("invalid compressed length size {lenlen}")));
    }
    let want = c.uint_be(lenlen)? as usize;
    if want > max_size {
        return Err(c.err(format!(
            "compressed event inflates to {want} bytes, over the {max_size} byte limit"
        )));
    }
    let compressed = c.rest();
    let mut out =
        Vec::with_capacity(HEADER_LEN + head_len + want.min(compressed.len().saturating_mul(16)));
    out.extend_from_slice(event.get(..HEADER_LEN).unwrap_or(&[]));
    out.extend_from_slice(body.get(..head_len).unwrap_or(&[]));
    let at = HEADER_LEN + c.pos();
    let inflated = inflate_zlib(compressed, want).map_err(|e| DecodeError::new(at, e))?;
    out.extend_from_slice(&inflated);
    if let Some(b) = out.get_mut(4) {
        *b = new_type;
    }
    let size =
        u32::try_from(out.len()).map_err(|_| DecodeError::new(at, "inflated event too large"))?;
    if let Some(s) = out.get_mut(9..13) {
        s.copy_from_slice(&size.to_le_bytes());
    }
    Ok(out)
}

fn inflate_zlib(data: &[u8], want: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    let limit = want as u64 + 1;
    flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| format!("zlib: {e}"))?;
    if out.len() != want {
        return Err(format!("inflated {} bytes, header said {want}", out.len()));
    }
    Ok(out)
}

/// Decompresses a TRANSACTION_PAYLOAD, bounded by `max_size`.
pub(crate) fn inflate_payload(
    compression: PayloadCompression,
    payload: &[u8],
    declared: Option<u64>,
    max_size: usize,
) -> Result<Vec<u8>, String> {
    use std::io::Read;
    if let Some(d) = declared {
        if d > max_size as u64 {
            return Err(format!(
                "payload declares {d} uncompressed bytes, over the {max_size} byte limit"
            ));
        }
    }
    let limit = declared.map(|d| d as usize).unwrap_or(max_size);
    match compression {
        PayloadCompression::None => Ok(payload.to_vec()),
        PayloadCompression::Zstd => {
            let dec =
                zstd::stream::read::Decoder::new(payload).map_err(|e| format!("zstd: {e}"))?;
            let mut out = Vec::new();
            dec.take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("zstd: {e}"))?;
            if out.len() > limit {
                return Err(format!("payload inflates beyond {limit} bytes"));
            }
            if let Some(d) = declared {
                if out.len() as u64 != d {
                    return Err(format!(
                        "payload inflated to {} bytes, header said {d}",
                        out.len()
                    ));
                }
            }
            Ok(out)
        }
    }
}

/// The number of events a TRANSACTION_PAYLOAD event embeds. `event` holds the
/// header and body without checksum. A replication client that expands payloads
/// itself (mysql_async does) needs it to drop the expanded copies, which the
/// reader decodes from the payload anyway.
pub fn payload_event_count(
    event: &[u8],
    fde: &FormatDescription,
    max_size: usize,
) -> Result<usize, DecodeError> {
    let Event::TransactionPayload {
        compression,
        uncompressed_size,
        payload,
    } = decode_event(event, fde)?
    else {
        return Err(DecodeError::new(0, "not a TRANSACTION_PAYLOAD event"));
    };
    let data = inflate_payload(compression, payload, uncompressed_size, max_size)
        .map_err(|e| DecodeError::new(HEADER_LEN, e))?;
    let mut pos = 0usize;
    let mut count = 0usize;
    while let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) {
        let size = EventHeader::parse(rest)?.event_size as usize;
        if size < HEADER_LEN || size > rest.len() {
            return Err(DecodeError::new(
                pos,
                format!("embedded event of {size} bytes does not fit the payload"),
            ));
        }
        pos += size;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn version_parsing() {
        assert_eq!(version_triple("5.6.1-log"), (5, 6, 1));
        assert_eq!(
            version_triple("10.5.15-MariaDB-1:10.5.15+maria~focal-log"),
            (10, 5, 15)
        );
        assert_eq!(version_triple("garbage"), (0, 0, 0));
    }

    /// A MariaDB 10.11 format description without checksums, for unit tests.
    pub(crate) fn mariadb_fde() -> FormatDescription {
        FormatDescription {
            binlog_version: 4,
            server_version: "10.11.0-MariaDB".into(),
            created: 0,
            header_len: 19,
            post_header_lens: vec![13; 200],
            checksum: ChecksumAlg::None,
            flavor: Flavor::Mariadb,
        }
    }

    #[test]
    fn mariadb_inflate_roundtrip() {
        use std::io::Write;
        let fde = mariadb_fde();
        let query = b"INSERT INTO t VALUES (1), (2), (3), (4), (5), (6)";
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(query).unwrap();
        let comp = z.finish().unwrap();
        let mut body = vec![];
        body.extend_from_slice(&7u32.to_le_bytes()); // thread
        body.extend_from_slice(&0u32.to_le_bytes()); // exec time
        body.push(2); // db len
        body.extend_from_slice(&0u16.to_le_bytes()); // error
        body.extend_from_slice(&0u16.to_le_bytes()); // status len
        body.extend_from_slice(b"db\0");
        body.push(0x81);
        body.push(query.len() as u8);
        body.extend_from_slice(&comp);
        let mut ev = vec![0, 0, 0, 0, et::MARIA_QUERY_COMPRESSED, 1, 0, 0, 0];
        ev.extend_from_slice(&((19 + body.len()) as u32).to_le_bytes());
        ev.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        ev.extend_from_slice(&body);
        let out = inflate_mariadb_event(&ev, &fde, 1 << 20).unwrap();
        match decode_event(&out, &fde).unwrap() {
            Event::Query(q) => {
                assert_eq!(q.schema, "db");
                assert_eq!(q.query.as_bytes(), query);
            }
            other => panic!("unexpected {other:?}"),
        }
        // a lying length is an error, not a panic
        let mut bad = ev.clone();
        let pos = 19 + body.len() - comp.len() - 1;
        bad[pos] = 200;
        assert!(inflate_mariadb_event(&bad, &fde, 1 << 20).is_err());
    }
}
