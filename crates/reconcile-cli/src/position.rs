//! Where to start and stop reading, and which GTIDs to keep: the filters of
//! `reconcile inspect` (and later of `scan`).

use anyhow::{bail, Context};
use reconcile_binlog::{Gtid, Transaction, Uuid};

/// A bound given as `[FILE:]OFFSET`, a UTC time `YYYY-MM-DD HH:MM:SS`, or `@EPOCH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// A byte offset, in the named file or in every file.
    Position { file: Option<String>, offset: u64 },
    /// Seconds since the epoch (event header time, UTC).
    Time(u64),
}

impl Bound {
    pub fn parse(text: &str) -> anyhow::Result<Bound> {
        let text = text.trim();
        if let Some(epoch) = text.strip_prefix('@') {
            return Ok(Bound::Time(
                epoch
                    .parse()
                    .with_context(|| format!("`{text}`: expected @EPOCH_SECONDS"))?,
            ));
        }
        if let Some(secs) = parse_utc_datetime(text) {
            return Ok(Bound::Time(secs));
        }
        let (file, offset) = match text.rsplit_once(':') {
            Some((file, offset)) => (Some(file.to_owned()), offset),
            None => (None, text),
        };
        let offset = offset.parse().with_context(|| {
            format!("`{text}`: expected [FILE:]OFFSET, a UTC time YYYY-MM-DD HH:MM:SS, or @EPOCH_SECONDS")
        })?;
        Ok(Bound::Position { file, offset })
    }

    /// Whether the transaction starts at or after this bound.
    pub fn reached_by(&self, tx: &Transaction) -> bool {
        match self {
            Bound::Time(secs) => u64::from(tx.timestamp) >= *secs,
            Bound::Position { file: None, offset } => tx.position.start >= *offset,
            Bound::Position {
                file: Some(file),
                offset,
            } => {
                let name = file_name(&tx.position.file);
                let wanted = file_name(file);
                name > wanted || (name == wanted && tx.position.start >= *offset)
            }
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `YYYY-MM-DD HH:MM:SS` (or with `T`) as UTC epoch seconds.
fn parse_utc_datetime(text: &str) -> Option<u64> {
    let (date, time) = text.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse::<i64>());
    let (h, mi, s) = (
        t.next()?.ok()?,
        t.next()?.ok()?,
        t.next().unwrap_or(Ok(0)).ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    // Days from civil (proleptic Gregorian), the inverse of render::civil_from_days.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

/// A set of GTIDs to keep: comma-separated MariaDB `D-S-N` or `D-S-A..B` items and
/// MySQL `UUID[:TAG]:N[-M][:N[-M]...]` items.
#[derive(Debug, Clone, Default)]
pub struct GtidFilter {
    mariadb: Vec<(u32, u32, u64, u64)>,
    mysql: Vec<(Uuid, Option<String>, u64, u64)>,
}

impl GtidFilter {
    pub fn parse(text: &str) -> anyhow::Result<GtidFilter> {
        let mut filter = GtidFilter::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if item.contains(':') {
                let mut parts = item.split(':');
                let uuid: Uuid = parts
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .with_context(|| format!("GTID set item `{item}`"))?;
                let mut tag = None;
                for part in parts {
                    if part.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                        let (a, b) = match part.split_once('-') {
                            Some((a, b)) => (a, b),
                            None => (part, part),
                        };
                        let (a, b) = (
                            a.parse().with_context(|| {
                                format!("GTID set item `{item}`: bad number `{a}`")
                            })?,
                            b.parse().with_context(|| {
                                format!("GTID set item `{item}`: bad number `{b}`")
                            })?,
                        );
                        filter.mysql.push((uuid, tag.clone(), a, b));
                    } else {
                        tag = Some(part.to_owned());
                    }
                }
            } else {
                let mut parts = item.splitn(3, '-');
                let domain = parts
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .with_context(|| format!("GTID `{item}`: bad domain"))?;
                let server = parts
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .with_context(|| format!("GTID `{item}`: bad server id"))?;
                let seqs = parts.next().unwrap_or_default();
                let (a, b) = match seqs.split_once("..") {
                    Some((a, b)) => (a, b),
                    None => (seqs, seqs),
                };
                let (a, b) = (
                    a.parse()
                        .with_context(|| format!("GTID `{item}`: bad sequence number"))?,
                    b.parse()
                        .with_context(|| format!("GTID `{item}`: bad sequence number"))?,
                );
                filter.mariadb.push((domain, server, a, b));
            }
        }
        if filter.mariadb.is_empty() && filter.mysql.is_empty() {
            bail!("empty GTID set `{text}`");
        }
        Ok(filter)
    }

    pub fn contains(&self, gtid: Option<&Gtid>) -> bool {
        match gtid {
            None => false,
            Some(Gtid::Mariadb {
                domain,
                server,
                seq,
            }) => self
                .mariadb
                .iter()
                .any(|(d, s, a, b)| d == domain && s == server && (a..=b).contains(&seq)),
            Some(Gtid::Mysql { uuid, tag, gno }) => self
                .mysql
                .iter()
                .any(|(u, t, a, b)| u == uuid && t == tag && (a..=b).contains(&gno)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse() {
        assert_eq!(
            Bound::parse("4").unwrap(),
            Bound::Position {
                file: None,
                offset: 4
            }
        );
        assert_eq!(
            Bound::parse("mariadb-bin.000002:1234").unwrap(),
            Bound::Position {
                file: Some("mariadb-bin.000002".into()),
                offset: 1234
            }
        );
        assert_eq!(Bound::parse("1970-01-01 00:00:01").unwrap(), Bound::Time(1));
        assert_eq!(
            Bound::parse("2038-01-19T03:14:07Z").unwrap(),
            Bound::Time(2_147_483_647)
        );
        assert_eq!(
            Bound::parse("@1700000000").unwrap(),
            Bound::Time(1_700_000_000)
        );
        assert!(Bound::parse("yesterday").is_err());
    }

    #[test]
    fn gtid_filters_match_both_flavors() {
        let f =
            GtidFilter::parse("0-1-5..7, 1-2-1, 3e11fa47-71ca-11e1-9e33-c80aa9429562:tag:1-3:9")
                .unwrap();
        let maria = |d, s, n| Gtid::Mariadb {
            domain: d,
            server: s,
            seq: n,
        };
        assert!(f.contains(Some(&maria(0, 1, 6))));
        assert!(!f.contains(Some(&maria(0, 1, 8))));
        assert!(!f.contains(Some(&maria(0, 2, 6))));
        assert!(f.contains(Some(&maria(1, 2, 1))));
        let uuid: Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let my = |tag: Option<&str>, n| Gtid::Mysql {
            uuid,
            tag: tag.map(str::to_owned),
            gno: n,
        };
        assert!(f.contains(Some(&my(Some("tag"), 2))));
        assert!(f.contains(Some(&my(Some("tag"), 9))));
        assert!(!f.contains(Some(&my(None, 2))));
        assert!(!f.contains(None));
        assert!(GtidFilter::parse("0-x-1").is_err());
    }
}
