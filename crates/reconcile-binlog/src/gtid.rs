//! Global transaction identifiers of both flavors, GTID sets, and the GTID
//! event bodies (MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED / PREVIOUS_GTIDS,
//! MariaDB GTID / GTID_LIST).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cursor::{Cursor, DResult};

/// A 16-byte server UUID, serialized as its canonical text form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uuid(pub [u8; 16]);

impl fmt::Display for Uuid {
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

/// Error parsing a textual GTID or UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid GTID or UUID {text:?}: {reason}")]
pub struct ParseGtidError {
    /// The text given.
    pub text: String,
    /// What was wrong.
    pub reason: &'static str,
}

impl FromStr for Uuid {
    type Err = ParseGtidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseGtidError {
            text: s.to_string(),
            reason,
        };
        let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
        if hex.len() != 32 || s.len() != 36 {
            return Err(err("expected 8-4-4-4-12 hex digits"));
        }
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(hex.chunks(2)) {
            let txt = std::str::from_utf8(pair).map_err(|_| err("not hex"))?;
            *o = u8::from_str_radix(txt, 16).map_err(|_| err("not hex"))?;
        }
        Ok(Uuid(out))
    }
}

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One transaction identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Gtid {
    /// MySQL `uuid:gno` or, from 8.4, `uuid:tag:gno`.
    Mysql {
        /// Source server UUID.
        uuid: Uuid,
        /// Optional tag (MySQL 8.4+ GTID_TAGGED).
        tag: Option<String>,
        /// Transaction number.
        gno: u64,
    },
    /// MariaDB `domain-server-seq`.
    Mariadb {
        /// Replication domain id.
        domain: u32,
        /// Originating server id.
        server: u32,
        /// Sequence number.
        seq: u64,
    },
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gtid::Mysql {
                uuid,
                tag: Some(t),
                gno,
            } => write!(f, "{uuid}:{t}:{gno}"),
            Gtid::Mysql {
                uuid,
                tag: None,
                gno,
            } => write!(f, "{uuid}:{gno}"),
            Gtid::Mariadb {
                domain,
                server,
                seq,
            } => write!(f, "{domain}-{server}-{seq}"),
        }
    }
}

impl FromStr for Gtid {
    type Err = ParseGtidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseGtidError {
            text: s.to_string(),
            reason,
        };
        if s.contains(':') {
            let parts: Vec<&str> = s.split(':').collect();
            let (uuid, tag, gno) = match parts.as_slice() {
                [u, g] => (*u, None, *g),
                [u, t, g] => (*u, Some((*t).to_string()), *g),
                _ => return Err(err("expected uuid:gno or uuid:tag:gno")),
            };
            let gno = gno.parse().map_err(|_| err("bad transaction number"))?;
            Ok(Gtid::Mysql {
                uuid: uuid.parse()?,
                tag,
                gno,
            })
        } else {
            let parts: Vec<&str> = s.split('-').collect();
            match parts.as_slice() {
                [d, sv, q] => Ok(Gtid::Mariadb {
                    domain: d.parse().map_err(|_| err("bad domain id"))?,
                    server: sv.parse().map_err(|_| err("bad server id"))?,
                    seq: q.parse().map_err(|_| err("bad sequence number"))?,
                }),
                _ => Err(err("expected domain-server-seq")),
            }
        }
    }
}

/// One UUID (and tag) with its intervals from a PREVIOUS_GTIDS event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GtidSetEntry {
    /// Source server UUID.
    pub uuid: Uuid,
    /// Tag (MySQL 8.4+ tagged format), `None` for untagged.
    pub tag: Option<String>,
    /// Inclusive intervals `(first, last)` of transaction numbers.
    pub intervals: Vec<(u64, u64)>,
}

/// A MySQL GTID set as found in PREVIOUS_GTIDS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GtidSet {
    /// Entries in the order the server wrote them.
    pub entries: Vec<GtidSetEntry>,
}

impl fmt::Display for GtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", e.uuid)?;
            if let Some(t) = &e.tag {
                write!(f, ":{t}")?;
            }
            for (a, b) in &e.intervals {
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

/// Decodes a PREVIOUS_GTIDS body (both the classic and the 8.4 tagged format).
pub(crate) fn decode_previous_gtids(c: &mut Cursor<'_>) -> DResult<GtidSet> {
    let head = c.u64()?;
    let format = head >> 56;
    let (count, tagged) = match format {
        0 => (head & 0x00ff_ffff_ffff_ffff, false),
        1 => ((head >> 8) & 0x0000_ffff_ffff_ffff, true),
        _ => return Err(c.err(format!("unknown GTID set format {format}"))),
    };
    let mut entries = Vec::new();
    for _ in 0..count {
        // each entry needs at least 16 + 8 bytes: stop early on hostile counts
        if c.remaining() < 24 {
            return Err(c.err("GTID set entry count exceeds the event"));
        }
        let uuid = Uuid(c.array()?);
        let tag = if tagged {
            let n = read_varlen_unsigned(c)?;
            let n = usize::try_from(n).map_err(|_| c.err("tag too long"))?;
            let t = c.take(n)?;
            if t.is_empty() {
                None
            } else {
                Some(String::from_utf8_lossy(t).into_owned())
            }
        } else {
            None
        };
        let n = c.u64()?;
        let mut intervals = Vec::new();
        for _ in 0..n {
            let start = c.u64()?;
            let end = c.u64()?;
            if end <= start {
                return Err(c.err(format!("empty GTID interval {start}-{end}")));
            }
            intervals.push((start, end - 1));
        }
        entries.push(GtidSetEntry {
            uuid,
            tag,
            intervals,
        });
    }
    Ok(GtidSet { entries })
}

/// Reads an unsigned integer in MySQL's `mysql::serialization` variable-length
/// format: the count of trailing one bits of the first byte, plus one, is the
/// number of bytes; the remaining bits hold the value, little-endian.
pub(crate) fn read_varlen_unsigned(c: &mut Cursor<'_>) -> DResult<u64> {
    let first = c.u8()?;
    let n = first.trailing_ones() as usize + 1;
    if n == 1 {
        return Ok(u64::from(first >> 1));
    }
    let rest = c.take(n - 1)?;
    let tail = crate::cursor::le_uint(rest);
    if n == 9 {
        return Ok(tail);
    }
    // n in 2..=8: first byte holds 8-n value bits
    let low = u64::from(first) >> n;
    Ok(low | (tail << (8 - n)))
}

/// Signed counterpart of [`read_varlen_unsigned`] (sign in the lowest bit).
pub(crate) fn read_varlen_signed(c: &mut Cursor<'_>) -> DResult<i64> {
    let u = read_varlen_unsigned(c)?;
    let mag = (u >> 1) as i64;
    Ok(if u & 1 == 1 { !mag } else { mag })
}

/// A decoded MySQL GTID, ANONYMOUS_GTID or GTID_TAGGED event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlGtidEvent {
    /// `None` for ANONYMOUS_GTID (and GTID_TAGGED with an all-zero UUID).
    pub gtid: Option<Gtid>,
    /// GTID flags byte (bit 0: may have changes logged with no GTID).
    pub flags: u8,
    /// Logical clock: last committed, when present.
    pub last_committed: Option<i64>,
    /// Logical clock: sequence number, when present.
    pub sequence_number: Option<i64>,
}

pub(crate) fn decode_mysql_gtid(c: &mut Cursor<'_>, anonymous: bool) -> DResult<MysqlGtidEvent> {
    let flags = c.u8()?;
    let uuid = Uuid(c.array()?);
    let gno = c.u64()?;
    let (mut last_committed, mut sequence_number) = (None, None);
    if c.remaining() >= 17 && c.u8()? == 2 {
        last_committed = Some(c.u64()? as i64);
        sequence_number = Some(c.u64()? as i64);
    }
    let gtid = if anonymous {
        None
    } else {
        Some(Gtid::Mysql {
            uuid,
            tag: None,
            gno,
        })
    };
    Ok(MysqlGtidEvent {
        gtid,
        flags,
        last_committed,
        sequence_number,
    })
}

/// GTID_TAGGED (MySQL 8.4+): a `mysql::serialization` message whose fields
/// are (id, value) pairs: 0 flags, 1 uuid (16 varlen bytes), 2 gno (signed),
/// 3 tag (varlen length + bytes), 4 last committed, 5 sequence number, ...
pub(crate) fn decode_tagged_gtid(c: &mut Cursor<'_>) -> DResult<MysqlGtidEvent> {
    let _version = read_varlen_unsigned(c)?;
    let size = read_varlen_unsigned(c)?;
    let _last_non_ignorable = read_varlen_unsigned(c)?;
    let size = usize::try_from(size).map_err(|_| c.err("message size too large"))?;
    // `size` counts from the start of the message; stay within the buffer
    let end = size.min(c.pos().saturating_add(c.remaining()));
    let mut flags = 0u8;
    let mut uuid = [0u8; 16];
    let mut gno: Option<i64> = None;
    let mut tag = None;
    let (mut last_committed, mut sequence_number) = (None, None);
    while c.pos() < end {
        let field = read_varlen_unsigned(c)?;
        match field {
            0 => flags = (read_varlen_unsigned(c)? & 0xff) as u8,
            1 => {
                for b in uuid.iter_mut() {
                    *b = (read_varlen_unsigned(c)? & 0xff) as u8;
                }
            }
            2 => gno = Some(read_varlen_signed(c)?),
            3 => {
                let n = read_varlen_unsigned(c)?;
                let n = usize::try_from(n).map_err(|_| c.err("tag too long"))?;
                let t = c.take(n)?;
                if !t.is_empty() {
                    tag = Some(String::from_utf8_lossy(t).into_owned());
                }
            }
            4 => last_committed = Some(read_varlen_signed(c)?),
            5 => sequence_number = Some(read_varlen_signed(c)?),
            6..=11 => {
                read_varlen_unsigned(c)?;
            }
            // unknown fields cannot be skipped without a schema; the ones we
            // need come first
            _ => break,
        }
    }
    let gno = gno.ok_or_else(|| c.err("GTID_TAGGED event without a gno field"))?;
    let gno = u64::try_from(gno).map_err(|_| c.err("negative gno"))?;
    let gtid = if uuid == [0u8; 16] {
        None
    } else {
        Some(Gtid::Mysql {
            uuid: Uuid(uuid),
            tag,
            gno,
        })
    };
    Ok(MysqlGtidEvent {
        gtid,
        flags,
        last_committed,
        sequence_number,
    })
}

/// MariaDB GTID event flags.
pub mod mariadb_flags {
    /// No terminating COMMIT/XID: the group is one statement (DDL).
    pub const STANDALONE: u8 = 1;
    /// A group commit id follows.
    pub const GROUP_COMMIT_ID: u8 = 2;
    /// Transactional engine only.
    pub const TRANSACTIONAL: u8 = 4;
    /// XA PREPARE group.
    pub const PREPARED_XA: u8 = 0x40;
    /// XA COMMIT/ROLLBACK group.
    pub const COMPLETED_XA: u8 = 0x80;
}

/// A decoded MariaDB GTID event (0xa2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MariadbGtidEvent {
    /// The GTID (server id comes from the event header).
    pub gtid: Gtid,
    /// Flags, see [`mariadb_flags`].
    pub flags: u8,
    /// Group commit id when flagged.
    pub commit_id: Option<u64>,
}

pub(crate) fn decode_mariadb_gtid(c: &mut Cursor<'_>, server_id: u32) -> DResult<MariadbGtidEvent> {
    let seq = c.u64()?;
    let domain = c.u32()?;
    let flags = c.u8()?;
    let commit_id = if flags & mariadb_flags::GROUP_COMMIT_ID != 0 {
        Some(c.u64()?)
    } else {
        None
    };
    Ok(MariadbGtidEvent {
        gtid: Gtid::Mariadb {
            domain,
            server: server_id,
            seq,
        },
        flags,
        commit_id,
    })
}

pub(crate) fn decode_mariadb_gtid_list(c: &mut Cursor<'_>) -> DResult<Vec<Gtid>> {
    let n = c.u32()? & 0x0fff_ffff;
    let mut out = Vec::new();
    for _ in 0..n {
        if c.remaining() < 16 {
            return Err(c.err("GTID list count exceeds the event"));
        }
        let domain = c.u32()?;
        let server = c.u32()?;
        let seq = c.u64()?;
        out.push(Gtid::Mariadb {
            domain,
            server,
            seq,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn display_and_parse_roundtrip() {
        for s in [
            "55778904-0299-11f1-b1b8-4ef0c4956feb:14",
            "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3",
            "0-1-42",
        ] {
            let g: Gtid = s.parse().unwrap();
            assert_eq!(g.to_string(), s);
        }
        assert!("nonsense".parse::<Gtid>().is_err());
        assert!("1-2".parse::<Gtid>().is_err());
    }

    #[test]
    fn varlen_integers() {
        // 0x89 in two bytes, 90600 in three bytes (values from a real GTID_TAGGED event)
        let mut c = Cursor::new(&[0x25, 0x02, 0x43, 0x0f, 0x0b, 0x0c, 0x06]);
        assert_eq!(read_varlen_unsigned(&mut c).unwrap(), 0x89);
        assert_eq!(read_varlen_unsigned(&mut c).unwrap(), 90600);
        assert_eq!(read_varlen_signed(&mut c).unwrap(), 3);
        assert_eq!(read_varlen_signed(&mut c).unwrap(), -2);
        let mut nine = vec![0xffu8];
        nine.extend_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            read_varlen_unsigned(&mut Cursor::new(&nine)).unwrap(),
            u64::MAX
        );
    }
}
