//! Where the two histories part: which transactions each side has that the other
//! lacks, found from GTIDs. A history that does not reach back to the divergence
//! point is an error, never a clean-looking partial answer.

use std::collections::BTreeMap;

use crate::HashMap;
use std::fmt;

use reconcile_binlog::{Gtid, GtidSet, Uuid};

/// What one side's binlogs say about its GTIDs.
#[derive(Debug, Clone, Default)]
pub struct GtidHistory {
    /// MariaDB: the GTID_LIST of the first file (the last GTID per domain before it).
    pub mariadb_start: Option<Vec<Gtid>>,
    /// MySQL: the PREVIOUS_GTIDS of the first file (everything executed before it).
    pub mysql_start: Option<GtidSet>,
    /// Every transaction's GTID in file order (`None` for transactions without one).
    pub gtids: GtidList,
}

/// GTIDs in order, kept as runs of consecutive sequence numbers of one source (a
/// side's own transactions are mostly one run): a few bytes per run, not per
/// transaction, however large the binlogs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidList {
    runs: Vec<Run>,
    len: usize,
}

/// `count` GTIDs of one source from `first` on, or `count` transactions without one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    first: Option<Gtid>,
    count: u64,
}

fn next_of(g: &Gtid, n: u64) -> Option<Gtid> {
    Some(match g {
        Gtid::Mariadb {
            domain,
            server,
            seq,
        } => Gtid::Mariadb {
            domain: *domain,
            server: *server,
            seq: seq.checked_add(n)?,
        },
        Gtid::Mysql { uuid, tag, gno } => Gtid::Mysql {
            uuid: *uuid,
            tag: tag.clone(),
            gno: gno.checked_add(n)?,
        },
    })
}

impl GtidList {
    /// Appends the GTID of the next transaction.
    pub fn push(&mut self, gtid: Option<Gtid>) {
        self.len += 1;
        if let Some(last) = self.runs.last_mut() {
            let follows = match (&last.first, &gtid) {
                (None, None) => true,
                (Some(first), Some(g)) => next_of(first, last.count).as_ref() == Some(g),
                _ => false,
            };
            if follows {
                last.count += 1;
                return;
            }
        }
        self.runs.push(Run {
            first: gtid,
            count: 1,
        });
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The GTIDs in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<Gtid>> + '_ {
        self.runs.iter().flat_map(|run| {
            (0..run.count).map(move |n| run.first.as_ref().and_then(|g| next_of(g, n)))
        })
    }
}

impl FromIterator<Option<Gtid>> for GtidList {
    fn from_iter<I: IntoIterator<Item = Option<Gtid>>>(iter: I) -> Self {
        let mut list = GtidList::default();
        for g in iter {
            list.push(g);
        }
        list
    }
}

impl From<Vec<Option<Gtid>>> for GtidList {
    fn from(gtids: Vec<Option<Gtid>>) -> Self {
        gtids.into_iter().collect()
    }
}

impl GtidHistory {
    fn flavor(&self) -> Option<&'static str> {
        let from_gtids = self.gtids.iter().flatten().next().map(|g| match g {
            Gtid::Mysql { .. } => "MySQL",
            Gtid::Mariadb { .. } => "MariaDB",
        });
        from_gtids
            .or(self
                .mariadb_start
                .as_ref()
                .filter(|l| !l.is_empty())
                .map(|_| "MariaDB"))
            .or(self
                .mysql_start
                .as_ref()
                .filter(|s| !s.entries.is_empty())
                .map(|_| "MySQL"))
    }
}

/// Why the divergence cannot be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivergenceError {
    #[error("East's binlogs are {east} and West's are {west}: both sides must be the same server flavor")]
    MixedFlavors { east: String, west: String },
    #[error("the binlogs carry no GTIDs; give --east-from and --west-from (FILE:POS or a time) to say where the histories part")]
    NoGtids,
    #[error("{side}'s binlogs do not reach back to the divergence point: {detail}")]
    NotReachingBack { side: &'static str, detail: String },
    #[error("{side} has transactions without GTID among GTID transactions ({count}): their side of the history cannot be told; give --east-from and --west-from")]
    Anonymous { side: &'static str, count: usize },
}

/// Where a GTID's sequence numbers come from: a MariaDB domain and server, or a
/// MySQL source UUID and tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Source {
    Mariadb(u32, u32),
    Mysql(Uuid, Option<String>),
}

fn source(g: &Gtid) -> (Source, u64) {
    match g {
        Gtid::Mariadb {
            domain,
            server,
            seq,
        } => (Source::Mariadb(*domain, *server), *seq),
        Gtid::Mysql { uuid, tag, gno } => (Source::Mysql(*uuid, tag.clone()), *gno),
    }
}

/// A set of GTIDs kept as runs of consecutive sequence numbers per source: a side's
/// own transactions cost a few bytes per run, not per transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GtidRanges {
    /// Sorted, disjoint, inclusive runs per source.
    runs: HashMap<Source, Vec<(u64, u64)>>,
    len: usize,
}

impl GtidRanges {
    #[cfg(test)]
    fn new(gtids: impl IntoIterator<Item = Gtid>) -> GtidRanges {
        GtidRanges::from_runs(gtids.into_iter().map(|g| {
            let (src, n) = source(&g);
            (src, n, n)
        }))
    }

    /// The set of the inclusive runs given (in any order, overlapping or not).
    fn from_runs(runs: impl IntoIterator<Item = (Source, u64, u64)>) -> GtidRanges {
        let mut per_source: HashMap<Source, Vec<(u64, u64)>> = HashMap::default();
        for (src, a, b) in runs {
            if a <= b {
                per_source.entry(src).or_default().push((a, b));
            }
        }
        let mut set = GtidRanges::default();
        for (src, mut runs) in per_source {
            runs.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::new();
            for (a, b) in runs {
                match merged.last_mut() {
                    Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
                    _ => merged.push((a, b)),
                }
            }
            set.len = merged
                .iter()
                .fold(set.len, |n, (a, b)| n.saturating_add(count(*a, *b)));
            merged.shrink_to_fit();
            set.runs.insert(src, merged);
        }
        set
    }

    fn contains(&self, g: &Gtid) -> bool {
        let (src, n) = source(g);
        self.contains_seq(&src, n)
    }

    fn contains_seq(&self, src: &Source, n: u64) -> bool {
        self.last_within(src, n, n).is_some()
    }

    /// The largest sequence number of `src` in `a..=b` that the set holds.
    fn last_within(&self, src: &Source, a: u64, b: u64) -> Option<u64> {
        let runs = self.runs.get(src)?;
        let after = runs.partition_point(|&(start, _)| start <= b);
        let &(_, end) = runs.get(after.checked_sub(1)?)?;
        (end >= a).then(|| end.min(b))
    }

    /// The parts of `a..=b` of `src` the set does not hold, in order.
    fn gaps(&self, src: &Source, a: u64, b: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut from = a;
        let runs = self.runs.get(src).map(Vec::as_slice).unwrap_or_default();
        let first = runs.partition_point(|&(_, end)| end < a);
        for &(start, end) in runs.get(first..).unwrap_or_default() {
            if start > b {
                break;
            }
            if start > from {
                out.push((from, start - 1));
            }
            match end.checked_add(1) {
                Some(next) => from = from.max(next),
                None => return out,
            }
            if from > b {
                return out;
            }
        }
        if from <= b {
            out.push((from, b));
        }
        out
    }

    /// What this set holds and none of `others` does.
    fn without(&self, others: &[&GtidRanges]) -> GtidRanges {
        let mut left: Vec<(Source, u64, u64)> = self
            .runs
            .iter()
            .flat_map(|(src, runs)| runs.iter().map(move |&(a, b)| (src.clone(), a, b)))
            .collect();
        for other in others {
            left = left
                .into_iter()
                .flat_map(|(src, a, b)| {
                    other
                        .gaps(&src, a, b)
                        .into_iter()
                        .map(move |(x, y)| (src.clone(), x, y))
                })
                .collect();
        }
        GtidRanges::from_runs(left)
    }

    /// Up to `max` of the set's GTIDs, as text.
    fn sample(&self, max: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (src, runs) in &self.runs {
            for &(a, b) in runs {
                let mut n = a;
                while out.len() < max {
                    out.push(gtid_of(src, n).to_string());
                    match n.checked_add(1) {
                        Some(next) if next <= b => n = next,
                        _ => break,
                    }
                }
            }
        }
        out
    }
}

/// How many numbers `a..=b` holds.
fn count(a: u64, b: u64) -> usize {
    usize::try_from(b.saturating_sub(a)).map_or(usize::MAX, |n| n.saturating_add(1))
}

fn gtid_of(src: &Source, n: u64) -> Gtid {
    match src {
        Source::Mariadb(domain, server) => Gtid::Mariadb {
            domain: *domain,
            server: *server,
            seq: n,
        },
        Source::Mysql(uuid, tag) => Gtid::Mysql {
            uuid: *uuid,
            tag: tag.clone(),
            gno: n,
        },
    }
}

impl GtidList {
    /// The list as runs of one source: `(source, first, last)` inclusive, in
    /// order; transactions without GTID are left out.
    fn source_runs(&self) -> impl Iterator<Item = (Source, u64, u64)> + '_ {
        self.runs.iter().filter_map(|run| {
            let (src, a) = source(run.first.as_ref()?);
            Some((src, a, a.saturating_add(run.count.saturating_sub(1))))
        })
    }

    /// Number of transactions without a GTID.
    fn anonymous(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.first.is_none())
            .fold(0usize, |n, r| {
                n.saturating_add(usize::try_from(r.count).unwrap_or(usize::MAX))
            })
    }
}
/// The divergence found: the transactions only one side has.
#[derive(Debug, Clone, Default)]
pub struct Divergence {
    east_only: GtidRanges,
    west_only: GtidRanges,
    /// Human-readable lines: the last shared GTID per domain, or the set differences.
    pub description: Vec<String>,
}

impl Divergence {
    /// Whether East's transaction is East's own (after the divergence point).
    pub fn is_east_only(&self, gtid: Option<&Gtid>) -> bool {
        gtid.is_some_and(|g| self.east_only.contains(g))
    }

    /// Whether West's transaction is West's own.
    pub fn is_west_only(&self, gtid: Option<&Gtid>) -> bool {
        gtid.is_some_and(|g| self.west_only.contains(g))
    }

    /// Number of East-only and West-only transactions.
    pub fn counts(&self) -> (usize, usize) {
        (self.east_only.len, self.west_only.len)
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description.join("\n"))
    }
}

/// Every GTID a side's history names: those of its files and, for MySQL, those
/// executed before them (its first file's PREVIOUS_GTIDS).
#[derive(Debug, Clone, Default)]
pub struct HistoryGtids(GtidRanges);

impl HistoryGtids {
    pub fn new(history: &GtidHistory) -> HistoryGtids {
        let (start, files) = executed(history);
        let mariadb = history
            .gtids
            .source_runs()
            .filter(|(src, _, _)| matches!(src, Source::Mariadb(..)));
        let runs = start
            .runs
            .into_iter()
            .chain(files.runs)
            .flat_map(|(src, runs)| runs.into_iter().map(move |(a, b)| (src.clone(), a, b)));
        HistoryGtids(GtidRanges::from_runs(runs.chain(mariadb)))
    }

    pub fn contains(&self, gtid: &Gtid) -> bool {
        self.0.contains(gtid)
    }
}

/// The divergence guessed before West's binlogs are read in full, so that West is
/// read once: East's own transactions as [`find_divergence`] finds them from West's
/// history up to its first transaction East lacks (West's own begin there), and
/// West's own as those whose GTID East's history lacks.
///
/// It is a guess: West may hold East transactions after its own began (applied
/// late), and MariaDB's own transactions are those after the last shared one, not
/// a set difference. So it is used only once [`holds_for`](Self::holds_for) says
/// that the divergence of the full histories names the very same own transactions
/// on both sides; otherwise both sides are folded again.
#[derive(Debug, Clone)]
pub struct DivergenceGuess {
    prefix: Divergence,
    east: HistoryGtids,
}

impl DivergenceGuess {
    /// `west_prefix`: West's history up to (not including) its first transaction
    /// whose GTID `east_gtids` lacks, or that has none. Errors are those of
    /// [`find_divergence`] on the prefix; the full histories may still agree.
    pub fn new(
        east: &GtidHistory,
        east_gtids: HistoryGtids,
        west_prefix: &GtidHistory,
    ) -> Result<DivergenceGuess, DivergenceError> {
        Ok(DivergenceGuess {
            prefix: find_divergence(east, west_prefix)?,
            east: east_gtids,
        })
    }

    /// Whether East's transaction is East's own, by the guess.
    pub fn is_east_only(&self, gtid: Option<&Gtid>) -> bool {
        self.prefix.is_east_only(gtid)
    }

    /// Whether West's transaction is West's own, by the guess.
    pub fn is_west_only(&self, gtid: Option<&Gtid>) -> bool {
        gtid.is_some_and(|g| !self.east.contains(g))
    }

    /// Whether `divergence`, found from East's history and West's full history
    /// `west`, names the same own transactions as the guess: the same East GTIDs,
    /// and the same side for every transaction of `west`.
    pub fn holds_for(&self, divergence: &Divergence, west: &GtidHistory) -> bool {
        self.prefix.east_only == divergence.east_only
            && west.gtids.source_runs().all(|(src, a, b)| {
                // West's own in a..=b by the guess: the gaps East's GTIDs leave;
                // by the divergence: the runs of `west_only`, the complement of
                // its gaps
                let guessed = self.east.0.gaps(&src, a, b);
                let found = complement(&divergence.west_only.gaps(&src, a, b), a, b);
                guessed == found
            })
    }
}

/// The parts of `a..=b` that the sorted, disjoint runs `gaps` (within it) leave.
fn complement(gaps: &[(u64, u64)], a: u64, b: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut from = Some(a);
    for &(x, y) in gaps {
        if let Some(f) = from.filter(|&f| f < x) {
            out.push((f, x - 1));
        }
        from = y.checked_add(1);
    }
    if let Some(f) = from.filter(|&f| f <= b) {
        out.push((f, b));
    }
    out
}

/// Finds the divergence of two GTID histories.
pub fn find_divergence(
    east: &GtidHistory,
    west: &GtidHistory,
) -> Result<Divergence, DivergenceError> {
    let (ef, wf) = (east.flavor(), west.flavor());
    match (ef, wf) {
        (Some(e), Some(w)) if e != w => {
            return Err(DivergenceError::MixedFlavors {
                east: e.to_owned(),
                west: w.to_owned(),
            })
        }
        (None, None) => return Err(DivergenceError::NoGtids),
        _ => {}
    }
    for (side, h) in [("East", east), ("West", west)] {
        let anonymous = h.gtids.anonymous();
        if anonymous > 0 && anonymous < h.gtids.len() {
            return Err(DivergenceError::Anonymous {
                side,
                count: anonymous,
            });
        }
    }
    match ef.or(wf) {
        Some("MySQL") => mysql(east, west),
        _ => mariadb(east, west),
    }
}

/// `count` sequence numbers of `server` from `first` on, in one domain, as a side
/// lists them: from its first binlog's GTID list (`listed`, always one) or from its
/// files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DomainRun {
    server: u32,
    first: u64,
    count: u64,
    listed: bool,
}

impl DomainRun {
    fn last(&self) -> u64 {
        self.first.saturating_add(self.count.saturating_sub(1))
    }
}

/// One domain's GTIDs of a side in order: the start entry (if any), then the files'
/// GTIDs, as runs.
#[derive(Debug, Clone, Default)]
struct DomainList {
    runs: Vec<DomainRun>,
    len: u64,
}

impl DomainList {
    fn push(&mut self, server: u32, first: u64, count: u64, listed: bool) {
        self.len = self.len.saturating_add(count);
        if let Some(last) = self.runs.last_mut() {
            if !listed
                && !last.listed
                && last.server == server
                && last.first.checked_add(last.count) == Some(first)
            {
                last.count += count;
                return;
            }
        }
        self.runs.push(DomainRun {
            server,
            first,
            count,
            listed,
        });
    }

    /// The runs with the place of their first GTID in the list.
    fn placed(&self) -> impl DoubleEndedIterator<Item = (u64, &DomainRun)> + '_ {
        let mut at = 0u64;
        let placed: Vec<(u64, &DomainRun)> = self
            .runs
            .iter()
            .map(|r| {
                let here = at;
                at = at.saturating_add(r.count);
                (here, r)
            })
            .collect();
        placed.into_iter()
    }

    /// Every GTID (server and sequence number) as runs of one server.
    fn ranges(&self, domain: u32) -> GtidRanges {
        GtidRanges::from_runs(
            self.runs
                .iter()
                .map(|r| (Source::Mariadb(domain, r.server), r.first, r.last())),
        )
    }

    /// The runs of the GTIDs at places `from..to`, as `(server, first, last)`.
    fn slice(&self, from: u64, to: u64) -> Vec<(u32, u64, u64)> {
        self.placed()
            .filter_map(|(at, r)| {
                let lo = from.max(at);
                let hi = to.min(at.saturating_add(r.count));
                (lo < hi).then(|| {
                    let a = r.first.saturating_add(lo - at);
                    (r.server, a, a.saturating_add(hi - lo - 1))
                })
            })
            .collect()
    }

    fn first(&self) -> Option<&DomainRun> {
        self.runs.first()
    }
}

/// Per domain: the start entry (if any) and then the file GTIDs in order.
fn per_domain(h: &GtidHistory) -> BTreeMap<u32, DomainList> {
    let mut out: BTreeMap<u32, DomainList> = BTreeMap::new();
    for g in h.mariadb_start.iter().flatten() {
        if let Gtid::Mariadb {
            domain,
            server,
            seq,
        } = g
        {
            out.entry(*domain).or_default().push(*server, *seq, 1, true);
        }
    }
    for (src, a, b) in h.gtids.source_runs() {
        if let Source::Mariadb(domain, server) = src {
            let n = b.saturating_sub(a).saturating_add(1);
            out.entry(domain).or_default().push(server, a, n, false);
        }
    }
    out
}

/// At most this many GTIDs are named in an error.
const NAMED: usize = 10;

fn mariadb(east: &GtidHistory, west: &GtidHistory) -> Result<Divergence, DivergenceError> {
    let (e, w) = (per_domain(east), per_domain(west));
    let mut div = Divergence::default();
    let (mut east_own, mut west_own) = (Vec::new(), Vec::new());
    let domains: Vec<u32> = e
        .keys()
        .chain(w.keys())
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let empty = DomainList::default();
    for d in domains {
        let el = e.get(&d).unwrap_or(&empty);
        let wl = w.get(&d).unwrap_or(&empty);
        let w_set = wl.ranges(d);
        let src = |s: u32| Source::Mariadb(d, s);
        // the last East GTID West also has, and its place in East's list
        let shared = el.placed().rev().find_map(|(at, r)| {
            w_set
                .last_within(&src(r.server), r.first, r.last())
                .map(|n| (at + (n - r.first), r.server, n))
        });
        match shared {
            Some((ei, s, n)) => {
                // its last place in West's list
                let wi = wl
                    .placed()
                    .rev()
                    .find(|(_, r)| r.server == s && r.first <= n && n <= r.last())
                    .map_or(0, |(at, r)| at + (n - r.first));
                // East transactions before the shared point that West's files should
                // hold but do not: a gap West never applied, or files that start too late.
                let west_start = wl.first().filter(|r| r.listed).map(|r| r.first);
                let mut missing: Vec<(Source, u64, u64)> = Vec::new();
                for (at, r) in el.placed() {
                    if r.listed || at >= ei {
                        continue;
                    }
                    let b = r.first.saturating_add((ei - at).min(r.count) - 1);
                    let from = match west_start {
                        Some(ws) => match ws.checked_add(1) {
                            Some(next) => r.first.max(next),
                            None => continue,
                        },
                        None => r.first,
                    };
                    if from > b {
                        continue;
                    }
                    for (x, y) in w_set.gaps(&src(r.server), from, b) {
                        missing.push((src(r.server), x, y));
                    }
                }
                let missing = GtidRanges::from_runs(missing);
                if missing.len > 0 {
                    let mut named = missing.sample(NAMED);
                    named.sort();
                    if missing.len > named.len() {
                        named.push(format!("and {} more", missing.len - named.len()));
                    }
                    return Err(DivergenceError::NotReachingBack {
                        side: "West",
                        detail: format!(
                            "East has {} before the last shared GTID {d}-{s}-{n} that West's binlogs lack",
                            named.join(", ")
                        ),
                    });
                }
                // A side's own transaction known only from its first binlog's GTID
                // list happened after the shared point, but its changes are in a
                // binlog that was not read (purged, or not given): reconciling
                // without them would overwrite them blindly.
                for (side, list) in [("East", el), ("West", wl)] {
                    if let Some(r) = list
                        .runs
                        .iter()
                        .find(|r| r.listed && r.first > n && (r.server, r.first) != (s, n))
                    {
                        let (ls, ln) = (r.server, r.first);
                        return Err(DivergenceError::NotReachingBack {
                            side,
                            detail: format!(
                                "{side}'s first binlog starts after its own transaction {d}-{ls}-{ln} (after the last shared GTID {d}-{s}-{n}); the changes of that transaction are in an older binlog that was not read"
                            ),
                        });
                    }
                }
                let own = |list: &DomainList, from: u64| {
                    list.slice(from, list.len)
                        .into_iter()
                        .map(move |(srv, a, b)| (src(srv), a, b))
                };
                east_own.extend(own(el, ei + 1));
                west_own.extend(own(wl, wi + 1));
                div.description.push(format!(
                    "domain {d}: last shared GTID {d}-{s}-{n}; East has {} own transactions, West {}",
                    el.len - ei - 1,
                    wl.len.saturating_sub(wi + 1)
                ));
            }
            None => {
                // No GTID of this domain on both sides: it must be one side's alone,
                // from its very first transaction on.
                let (side, own, other_empty) = if wl.len == 0 {
                    ("East", el, true)
                } else {
                    ("West", wl, el.len == 0)
                };
                let text = |r: Option<&DomainRun>| {
                    r.map(|r| format!("{d}-{}-{}", r.server, r.first))
                        .unwrap_or_default()
                };
                if !other_empty {
                    return Err(DivergenceError::NotReachingBack {
                        side: "East or West",
                        detail: format!(
                            "no GTID of domain {d} is on both sides (East starts at {}, West at {}); give older binlogs",
                            text(el.first()),
                            text(wl.first())
                        ),
                    });
                }
                if let Some(r) = own.first().filter(|r| r.listed) {
                    let (s, n) = (r.server, r.first);
                    return Err(DivergenceError::NotReachingBack {
                        side,
                        detail: format!(
                            "domain {d} exists only on {side}, whose binlogs start after {d}-{s}-{n}: its earlier transactions are {side}'s own too and are not in the files"
                        ),
                    });
                }
                let set = if side == "East" {
                    &mut east_own
                } else {
                    &mut west_own
                };
                set.extend(own.runs.iter().map(|r| (src(r.server), r.first, r.last())));
                div.description.push(format!(
                    "domain {d}: only {side} has it ({} transactions, all its own)",
                    own.len
                ));
            }
        }
    }
    div.east_only = GtidRanges::from_runs(east_own);
    div.west_only = GtidRanges::from_runs(west_own);
    Ok(div)
}

/// A MySQL side's GTIDs: those executed before its first file (PREVIOUS_GTIDS) and
/// those of its files.
fn executed(h: &GtidHistory) -> (GtidRanges, GtidRanges) {
    let start =
        GtidRanges::from_runs(h.mysql_start.iter().flat_map(|s| &s.entries).flat_map(|e| {
            e.intervals
                .iter()
                .map(|&(a, b)| (Source::Mysql(e.uuid, e.tag.clone()), a, b))
        }));
    let files = GtidRanges::from_runs(
        h.gtids
            .source_runs()
            .filter(|(src, _, _)| matches!(src, Source::Mysql(..))),
    );
    (start, files)
}

/// How far past the start of an interval executed before the files a lost
/// transaction is looked for.
const LOST_SEARCH: u64 = 100_000;

fn mysql(east: &GtidHistory, west: &GtidHistory) -> Result<Divergence, DivergenceError> {
    let (e_start, e_files) = executed(east);
    let (w_start, w_files) = executed(west);
    let mut div = Divergence {
        east_only: e_files.without(&[&w_files, &w_start]),
        west_only: w_files.without(&[&e_files, &e_start]),
        description: Vec::new(),
    };
    // Transactions one side executed before its files that the other lacks are
    // that side's own too, but unreadable: the files do not reach back far enough.
    for (side, start, other_start, other_files) in [
        ("East", &e_start, &w_start, &w_files),
        ("West", &w_start, &e_start, &e_files),
    ] {
        let searched = GtidRanges::from_runs(start.runs.iter().flat_map(|(src, runs)| {
            runs.iter()
                .map(move |&(a, b)| (src.clone(), a, b.min(a.saturating_add(LOST_SEARCH))))
        }));
        let lost = searched.without(&[other_files, other_start]).sample(5);
        if !lost.is_empty() {
            return Err(DivergenceError::NotReachingBack {
                side,
                detail: format!(
                    "{side} executed {} (and maybe more) before its first binlog file, and the other side lacks them",
                    lost.join(", ")
                ),
            });
        }
    }
    div.description.push(format!(
        "GTID sets: East has {} transactions West lacks, West has {} East lacks",
        div.east_only.len, div.west_only.len
    ));
    Ok(div)
}

/// The element-by-element implementation runs replaced, kept as an oracle: the
/// run-based one must find the same divergence on any history.
#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod reference {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use super::{Divergence, DivergenceError, GtidHistory, GtidRanges};
    use reconcile_binlog::{Gtid, Uuid};

    type DomainList = Vec<(u32, u64, bool)>; // (server, seq, from the file list rather than a file)

    /// Per domain: the start entry (if any) and then the file GTIDs in order.
    pub(super) fn per_domain(h: &GtidHistory) -> BTreeMap<u32, DomainList> {
        let mut out: BTreeMap<u32, DomainList> = BTreeMap::new();
        for g in h.mariadb_start.iter().flatten() {
            if let Gtid::Mariadb {
                domain,
                server,
                seq,
            } = g
            {
                out.entry(*domain).or_default().push((*server, *seq, true));
            }
        }
        for g in h.gtids.iter().flatten() {
            if let Gtid::Mariadb {
                domain,
                server,
                seq,
            } = g
            {
                out.entry(domain).or_default().push((server, seq, false));
            }
        }
        out
    }

    pub(super) fn mariadb(
        east: &GtidHistory,
        west: &GtidHistory,
    ) -> Result<Divergence, DivergenceError> {
        let (e, w) = (per_domain(east), per_domain(west));
        let mut div = Divergence::default();
        let (mut east_own, mut west_own) = (Vec::new(), Vec::new());
        let domains: Vec<u32> = e
            .keys()
            .chain(w.keys())
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for d in domains {
            let el = e.get(&d).cloned().unwrap_or_default();
            let wl = w.get(&d).cloned().unwrap_or_default();
            let w_set: HashSet<(u32, u64)> = wl.iter().map(|(s, n, _)| (*s, *n)).collect();
            let shared = el.iter().rposition(|(s, n, _)| w_set.contains(&(*s, *n)));
            let gtid = |(s, n): (u32, u64)| Gtid::Mariadb {
                domain: d,
                server: s,
                seq: n,
            };
            match shared {
                Some(ei) => {
                    let (s, n, _) = el[ei];
                    let wi = wl
                        .iter()
                        .rposition(|(ws, wn, _)| (*ws, *wn) == (s, n))
                        .unwrap_or(0);
                    // East transactions before the shared point that West's files should
                    // hold but do not: a gap West never applied, or files that start too late.
                    let west_start = wl
                        .first()
                        .filter(|(_, _, listed)| *listed)
                        .map(|(_, n, _)| *n);
                    let missing: Vec<String> = el[..ei]
                        .iter()
                        .filter(|(es, en, listed)| {
                            !listed
                                && !w_set.contains(&(*es, *en))
                                && west_start.is_none_or(|ws| *en > ws)
                        })
                        .map(|(es, en, _)| format!("{d}-{es}-{en}"))
                        .collect();
                    if !missing.is_empty() {
                        return Err(DivergenceError::NotReachingBack {
                            side: "West",
                            detail: format!(
                                "East has {} before the last shared GTID {d}-{s}-{n} that West's binlogs lack",
                                missing.join(", ")
                            ),
                        });
                    }
                    // A side's own transaction known only from its first binlog's GTID
                    // list happened after the shared point, but its changes are in a
                    // binlog that was not read (purged, or not given): reconciling
                    // without them would overwrite them blindly.
                    for (side, list) in [("East", &el), ("West", &wl)] {
                        if let Some((ls, ln, _)) = list
                            .iter()
                            .find(|(ls, ln, listed)| *listed && *ln > n && (*ls, *ln) != (s, n))
                        {
                            return Err(DivergenceError::NotReachingBack {
                                side,
                                detail: format!(
                                    "{side}'s first binlog starts after its own transaction {d}-{ls}-{ln} (after the last shared GTID {d}-{s}-{n}); the changes of that transaction are in an older binlog that was not read"
                                ),
                            });
                        }
                    }
                    east_own.extend(el[ei + 1..].iter().map(|(s, n, _)| gtid((*s, *n))));
                    west_own.extend(wl[wi + 1..].iter().map(|(s, n, _)| gtid((*s, *n))));
                    div.description.push(format!(
                        "domain {d}: last shared GTID {d}-{s}-{n}; East has {} own transactions, West {}",
                        el.len() - ei - 1,
                        wl.len() - wi - 1
                    ));
                }
                None => {
                    // No GTID of this domain on both sides: it must be one side's alone,
                    // from its very first transaction on.
                    let (side, own, other_empty) = if wl.is_empty() {
                        ("East", &el, true)
                    } else {
                        ("West", &wl, el.is_empty())
                    };
                    if !other_empty {
                        return Err(DivergenceError::NotReachingBack {
                            side: "East or West",
                            detail: format!(
                                "no GTID of domain {d} is on both sides (East starts at {}, West at {}); give older binlogs",
                                el.first().map(|(s, n, _)| format!("{d}-{s}-{n}")).unwrap_or_default(),
                                wl.first().map(|(s, n, _)| format!("{d}-{s}-{n}")).unwrap_or_default()
                            ),
                        });
                    }
                    if let Some((s, n, true)) = own.first() {
                        return Err(DivergenceError::NotReachingBack {
                            side,
                            detail: format!(
                                "domain {d} exists only on {side}, whose binlogs start after {d}-{s}-{n}: its earlier transactions are {side}'s own too and are not in the files"
                            ),
                        });
                    }
                    let set = if side == "East" {
                        &mut east_own
                    } else {
                        &mut west_own
                    };
                    set.extend(own.iter().map(|(s, n, _)| gtid((*s, *n))));
                    div.description.push(format!(
                        "domain {d}: only {side} has it ({} transactions, all its own)",
                        own.len()
                    ));
                }
            }
        }
        div.east_only = GtidRanges::new(east_own);
        div.west_only = GtidRanges::new(west_own);
        Ok(div)
    }

    type Intervals = HashMap<(Uuid, Option<String>), Vec<(u64, u64)>>;

    pub(super) fn executed(h: &GtidHistory) -> (Intervals, Vec<Gtid>) {
        let mut set: Intervals = HashMap::default();
        for e in h.mysql_start.iter().flat_map(|s| &s.entries) {
            set.entry((e.uuid, e.tag.clone()))
                .or_default()
                .extend(e.intervals.iter().copied());
        }
        let files: Vec<Gtid> = h.gtids.iter().flatten().collect();
        (set, files)
    }

    pub(super) fn in_intervals(set: &Intervals, g: &Gtid) -> bool {
        match g {
            Gtid::Mysql { uuid, tag, gno } => set
                .get(&(*uuid, tag.clone()))
                .is_some_and(|iv| iv.iter().any(|(a, b)| (a..=b).contains(&gno))),
            Gtid::Mariadb { .. } => false,
        }
    }

    pub(super) fn mysql(
        east: &GtidHistory,
        west: &GtidHistory,
    ) -> Result<Divergence, DivergenceError> {
        let (e_start, e_files) = executed(east);
        let (w_start, w_files) = executed(west);
        let e_file_set: HashSet<&Gtid> = e_files.iter().collect();
        let w_file_set: HashSet<&Gtid> = w_files.iter().collect();
        let mut div = Divergence {
            east_only: GtidRanges::new(
                e_files
                    .iter()
                    .filter(|g| !w_file_set.contains(g) && !in_intervals(&w_start, g))
                    .cloned(),
            ),
            west_only: GtidRanges::new(
                w_files
                    .iter()
                    .filter(|g| !e_file_set.contains(g) && !in_intervals(&e_start, g))
                    .cloned(),
            ),
            description: Vec::new(),
        };
        // Transactions one side executed before its files that the other lacks are
        // that side's own too, but unreadable: the files do not reach back far enough.
        for (side, start, other_start, other_files) in [
            ("East", &e_start, &w_start, &w_file_set),
            ("West", &w_start, &e_start, &e_file_set),
        ] {
            let mut lost = Vec::new();
            for ((uuid, tag), intervals) in start {
                for &(a, b) in intervals {
                    for gno in a..=b.min(a.saturating_add(100_000)) {
                        let g = Gtid::Mysql {
                            uuid: *uuid,
                            tag: tag.clone(),
                            gno,
                        };
                        if !other_files.contains(&g) && !in_intervals(other_start, &g) {
                            lost.push(g.to_string());
                            if lost.len() >= 5 {
                                break;
                            }
                        }
                    }
                }
            }
            if !lost.is_empty() {
                return Err(DivergenceError::NotReachingBack {
                    side,
                    detail: format!(
                        "{side} executed {} (and maybe more) before its first binlog file, and the other side lacks them",
                        lost.join(", ")
                    ),
                });
            }
        }
        div.description.push(format!(
            "GTID sets: East has {} transactions West lacks, West has {} East lacks",
            div.east_only.len, div.west_only.len
        ));
        Ok(div)
    }
}

#[cfg(test)]
mod ranges_tests {
    use super::*;

    #[test]
    fn gtid_lists_give_back_what_was_pushed() {
        let uuid: Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let m = |d, s, n| {
            Some(Gtid::Mariadb {
                domain: d,
                server: s,
                seq: n,
            })
        };
        let my = |tag: Option<&str>, n| {
            Some(Gtid::Mysql {
                uuid,
                tag: tag.map(str::to_owned),
                gno: n,
            })
        };
        let given = vec![
            m(0, 1, 1),
            m(0, 1, 2),
            m(0, 1, 3),
            m(0, 2, 4),
            m(0, 1, 4),
            None,
            None,
            m(0, 1, 5),
            m(0, 1, 5),
            m(1, 1, 6),
            m(0, 1, u64::MAX),
            m(0, 1, 0),
            my(None, 7),
            my(None, 8),
            my(Some("t"), 9),
            my(Some("t"), 10),
            my(None, 11),
        ];
        let list: GtidList = given.clone().into();
        assert_eq!(list.len(), given.len());
        assert_eq!(list.iter().collect::<Vec<_>>(), given);
        assert!(list.runs.len() < given.len());
        let run: GtidList = (1..=100_000).map(|n| m(0, 2, n)).collect();
        assert_eq!(run.runs.len(), 1);
        assert_eq!(run.iter().last(), Some(m(0, 2, 100_000)));
    }

    #[test]
    fn runs_hold_exactly_the_gtids_given() {
        let m = |d, s, n| Gtid::Mariadb {
            domain: d,
            server: s,
            seq: n,
        };
        let given = [
            m(0, 2, 5),
            m(0, 2, 6),
            m(0, 2, 7),
            m(0, 2, 9),
            m(0, 2, 7),
            m(1, 2, 8),
            m(0, 3, 6),
            m(0, 2, u64::MAX),
        ];
        let set = GtidRanges::new(given.iter().cloned());
        assert_eq!(set.len, 7);
        for d in 0..2 {
            for srv in 1..4 {
                for n in (0..12).chain([u64::MAX - 1, u64::MAX]) {
                    let g = m(d, srv, n);
                    assert_eq!(set.contains(&g), given.contains(&g), "{g}");
                }
            }
        }
        assert_eq!(
            set.runs[&Source::Mariadb(0, 2)],
            [(5, 7), (9, 9), (u64::MAX, u64::MAX)]
        );
    }
}

/// The guess a scan makes of these histories: from West's history up to its first
/// transaction whose GTID East's history lacks.
#[cfg(test)]
fn guess_from_prefix(
    east: &GtidHistory,
    west: &GtidHistory,
) -> Result<DivergenceGuess, DivergenceError> {
    let east_gtids = HistoryGtids::new(east);
    let cut = west
        .gtids
        .iter()
        .position(|g| !g.as_ref().is_some_and(|g| east_gtids.contains(g)))
        .unwrap_or(west.gtids.len());
    let prefix = GtidHistory {
        gtids: west.gtids.iter().take(cut).collect(),
        ..west.clone()
    };
    DivergenceGuess::new(east, east_gtids, &prefix)
}

/// The first transaction whose side the guess names otherwise than the divergence
/// `found` of the full histories does, if any.
#[cfg(test)]
fn misjudged(
    guess: &DivergenceGuess,
    found: &Divergence,
    east: &GtidHistory,
    west: &GtidHistory,
) -> Option<String> {
    let east = east
        .gtids
        .iter()
        .find(|g| guess.is_east_only(g.as_ref()) != found.is_east_only(g.as_ref()))
        .map(|g| format!("East's {g:?}"));
    let west = || {
        west.gtids
            .iter()
            .find(|g| guess.is_west_only(g.as_ref()) != found.is_west_only(g.as_ref()))
            .map(|g| format!("West's {g:?}"))
    };
    east.or_else(west)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(d: u32, s: u32, n: u64) -> Option<Gtid> {
        Some(Gtid::Mariadb {
            domain: d,
            server: s,
            seq: n,
        })
    }

    fn history(gtids: Vec<Option<Gtid>>) -> GtidHistory {
        GtidHistory {
            mariadb_start: Some(Vec::new()),
            mysql_start: None,
            gtids: gtids.into(),
        }
    }

    #[test]
    fn an_own_transaction_known_only_from_the_gtid_list_is_an_error() {
        // West purged the binlog holding its own 0-2-8: only its next binlog's
        // GTID list names it.
        let e: Vec<_> = (1..=9).map(|n| m(0, 1, n)).collect();
        let west = GtidHistory {
            mariadb_start: Some(vec![m(0, 1, 7).unwrap(), m(0, 2, 8).unwrap()]),
            mysql_start: None,
            gtids: Vec::new().into(),
        };
        let err = find_divergence(&history(e.clone()), &west).unwrap_err();
        assert!(
            matches!(err, DivergenceError::NotReachingBack { side: "West", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("0-2-8"), "{err}");
        // the order of the list does not matter
        let west = GtidHistory {
            mariadb_start: Some(vec![m(0, 2, 8).unwrap(), m(0, 1, 7).unwrap()]),
            ..west
        };
        assert!(find_divergence(&history(e), &west).is_err());
    }

    #[test]
    fn same_domain_clashing_sequences() {
        let mut e: Vec<_> = (1..=11).map(|n| m(0, 1, n)).collect();
        let mut w = e.clone();
        e.extend((12..=27).map(|n| m(0, 1, n)));
        w.extend((12..=24).map(|n| m(0, 2, n)));
        let d = find_divergence(&history(e), &history(w)).unwrap();
        assert_eq!(d.counts(), (16, 13));
        assert!(d.is_east_only(m(0, 1, 12).as_ref()));
        assert!(!d.is_east_only(m(0, 1, 11).as_ref()));
        assert!(d.is_west_only(m(0, 2, 12).as_ref()));
        assert!(d.description[0].contains("last shared GTID 0-1-11"));
    }

    #[test]
    fn a_domain_only_west_has_is_all_west() {
        let shared: Vec<_> = (1..=5).map(|n| m(0, 1, n)).collect();
        let mut e = shared.clone();
        e.push(m(0, 1, 6));
        let mut w = shared;
        w.extend([m(1, 2, 1), m(1, 2, 2)]);
        let d = find_divergence(&history(e), &history(w)).unwrap();
        assert_eq!(d.counts(), (1, 2));
    }

    #[test]
    fn histories_that_do_not_meet_are_an_error() {
        let e = history((10..=12).map(|n| m(0, 1, n)).collect());
        let w = history((1..=3).map(|n| m(0, 2, n)).collect());
        assert!(matches!(
            find_divergence(&e, &w),
            Err(DivergenceError::NotReachingBack { .. })
        ));
    }

    #[test]
    fn a_gap_before_the_shared_point_is_an_error() {
        let e = history((1..=5).map(|n| m(0, 1, n)).collect());
        let w = history(vec![m(0, 1, 1), m(0, 1, 2), m(0, 1, 4), m(0, 1, 5)]);
        let err = find_divergence(&e, &w).unwrap_err().to_string();
        assert!(err.contains("0-1-3"), "{err}");
    }

    #[test]
    fn mixed_flavors_and_no_gtids_are_errors() {
        let uuid: Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let my = GtidHistory {
            gtids: vec![Some(Gtid::Mysql {
                uuid,
                tag: None,
                gno: 1,
            })]
            .into(),
            ..GtidHistory::default()
        };
        assert!(matches!(
            find_divergence(&history(vec![m(0, 1, 1)]), &my),
            Err(DivergenceError::MixedFlavors { .. })
        ));
        let none = GtidHistory {
            gtids: vec![None].into(),
            ..GtidHistory::default()
        };
        assert_eq!(
            find_divergence(&none, &none).unwrap_err(),
            DivergenceError::NoGtids
        );
    }

    /// The guess from West's prefix and its check against the full histories.
    fn guess_holds(east: &GtidHistory, west: &GtidHistory) -> bool {
        let guess = guess_from_prefix(east, west).unwrap();
        let found = find_divergence(east, west).unwrap();
        let holds = guess.holds_for(&found, west);
        if holds {
            // then it names every transaction's side as the divergence does
            assert_eq!(misjudged(&guess, &found, east, west), None);
        }
        holds
    }

    #[test]
    fn a_guessed_divergence_holds_only_where_the_full_histories_agree() {
        let east = history((1..=10).map(|n| m(0, 1, n)).collect());
        let shared = || (1..=7).map(|n| m(0, 1, n));
        // the usual split: West's own begin after the shared ones
        let west = history(shared().chain((8..=20).map(|n| m(0, 2, n))).collect());
        assert!(guess_holds(&east, &west));
        // West has no own transactions, or took East's last ones too
        assert!(guess_holds(&east, &history(shared().collect())));
        assert!(guess_holds(
            &east,
            &history((1..=10).map(|n| m(0, 1, n)).collect())
        ));
        // West applied East's 0-1-8 after its own began: East's own are fewer
        let late = shared().chain([m(0, 2, 8), m(0, 1, 8), m(0, 2, 9)]);
        assert!(!guess_holds(&east, &history(late.collect())));
        // West applied an old East transaction again after its own began: East's
        // own are the same, but that one is West's own after the last shared one
        let again = shared().chain([m(0, 2, 8), m(0, 1, 5), m(0, 2, 9)]);
        assert!(!guess_holds(&east, &history(again.collect())));
        // a second domain only West has
        let west = history(shared().chain((1..=4).map(|n| m(3, 2, n))).collect());
        assert!(guess_holds(&east, &west));

        let a: Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let b: Uuid = "4e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let g = |u, n| {
            Some(Gtid::Mysql {
                uuid: u,
                tag: None,
                gno: n,
            })
        };
        let mysql = |gtids: Vec<Option<Gtid>>| GtidHistory {
            gtids: gtids.into(),
            ..GtidHistory::default()
        };
        let east = mysql((1..=10).map(|n| g(a, n)).collect());
        let west = (1..=7).map(|n| g(a, n)).chain((1..=5).map(|n| g(b, n)));
        assert!(guess_holds(&east, &mysql(west.collect())));
        let late = (1..=7).map(|n| g(a, n)).chain([g(b, 1), g(a, 8), g(b, 2)]);
        assert!(!guess_holds(&east, &mysql(late.collect())));
    }

    #[test]
    fn complements_within_a_range() {
        assert_eq!(complement(&[], 3, 9), vec![(3, 9)]);
        assert_eq!(complement(&[(3, 9)], 3, 9), vec![]);
        assert_eq!(
            complement(&[(4, 5), (7, 7)], 3, 9),
            vec![(3, 3), (6, 6), (8, 9)]
        );
        assert_eq!(complement(&[(3, 4)], 3, 9), vec![(5, 9)]);
        assert_eq!(complement(&[(8, u64::MAX)], 0, u64::MAX), vec![(0, 7)]);
    }

    #[test]
    fn mysql_sets_and_purged_history() {
        let a: Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let b: Uuid = "4e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap();
        let g = |u, n| {
            Some(Gtid::Mysql {
                uuid: u,
                tag: None,
                gno: n,
            })
        };
        let east = GtidHistory {
            gtids: (1..=8).map(|n| g(a, n)).collect(),
            ..GtidHistory::default()
        };
        let mut wg: Vec<_> = (1..=5).map(|n| g(a, n)).collect();
        wg.extend((1..=3).map(|n| g(b, n)));
        let west = GtidHistory {
            gtids: wg.into(),
            ..GtidHistory::default()
        };
        let d = find_divergence(&east, &west).unwrap();
        assert_eq!(d.counts(), (3, 3));
        // East's files start after a:1-2, which West lacks: an error.
        let start = GtidSet {
            entries: vec![reconcile_binlog::GtidSetEntry {
                uuid: a,
                tag: None,
                intervals: vec![(1, 2)],
            }],
        };
        let east = GtidHistory {
            mysql_start: Some(start),
            gtids: (3..=8).map(|n| g(a, n)).collect(),
            ..GtidHistory::default()
        };
        let west = GtidHistory {
            gtids: (3..=5).map(|n| g(a, n)).collect(),
            ..GtidHistory::default()
        };
        assert!(matches!(
            find_divergence(&east, &west),
            Err(DivergenceError::NotReachingBack { side: "East", .. })
        ));
    }
}

#[cfg(test)]
mod oracle_tests {
    use super::*;
    use proptest::prelude::*;

    /// A history from small pieces: runs of GTIDs with gaps, repeats and
    /// interleaved domains, so that shared points, gaps and listed starts all occur.
    fn mariadb_history(
        shared: &[(u32, u32, u64, u64)],
        own: &[(u32, u32, u64, u64)],
        start: &[(u32, u32, u64)],
    ) -> GtidHistory {
        let mut gtids = Vec::new();
        for &(domain, server, first, count) in shared.iter().chain(own) {
            for seq in first..first + count {
                gtids.push(Some(Gtid::Mariadb {
                    domain,
                    server,
                    seq,
                }));
            }
        }
        GtidHistory {
            mariadb_start: Some(
                start
                    .iter()
                    .map(|&(domain, server, seq)| Gtid::Mariadb {
                        domain,
                        server,
                        seq,
                    })
                    .collect(),
            ),
            mysql_start: None,
            gtids: gtids.into(),
        }
    }

    fn runs() -> impl Strategy<Value = Vec<(u32, u32, u64, u64)>> {
        prop::collection::vec((0u32..2, 1u32..4, 0u64..40, 0u64..6), 0..8)
    }

    fn start() -> impl Strategy<Value = Vec<(u32, u32, u64)>> {
        prop::collection::vec((0u32..2, 1u32..4, 0u64..40), 0..3)
    }

    fn same(
        got: Result<Divergence, DivergenceError>,
        want: Result<Divergence, DivergenceError>,
    ) -> Result<(), TestCaseError> {
        match (got, want) {
            (Ok(g), Ok(w)) => {
                prop_assert_eq!(&g.description, &w.description);
                prop_assert_eq!(g.counts(), w.counts());
                for (a, b) in [(&g.east_only, &w.east_only), (&g.west_only, &w.west_only)] {
                    let mut a: Vec<_> = a.runs.iter().collect();
                    let mut b: Vec<_> = b.runs.iter().collect();
                    a.sort_by_key(|(s, _)| format!("{s:?}"));
                    b.sort_by_key(|(s, _)| format!("{s:?}"));
                    prop_assert_eq!(a, b);
                }
            }
            (Err(g), Err(w)) => match (&g, &w) {
                (
                    DivergenceError::NotReachingBack {
                        side: gs,
                        detail: gd,
                    },
                    DivergenceError::NotReachingBack {
                        side: ws,
                        detail: wd,
                    },
                ) => {
                    prop_assert_eq!(gs, ws);
                    // a gap, and transactions lost before the files, are named without
                    // repeats and shorter now; every other message is the same
                    if !wd.starts_with("East has ") && !wd.contains(" executed ") {
                        prop_assert_eq!(gd, wd);
                    }
                }
                _ => prop_assert_eq!(g, w),
            },
            (g, w) => prop_assert!(false, "got {:?}, want {:?}", g, w),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn mariadb_runs_find_what_the_element_lists_found(
            shared in runs(),
            east in runs(),
            west in runs(),
            east_start in start(),
            west_start in start(),
        ) {
            let e = mariadb_history(&shared, &east, &east_start);
            let w = mariadb_history(&shared, &west, &west_start);
            same(mariadb(&e, &w), reference::mariadb(&e, &w))?;
            same(mariadb(&w, &e), reference::mariadb(&w, &e))?;
        }

        /// A guess that holds names every transaction's side as the divergence of
        /// the full histories does (the scan then keeps what it folded).
        #[test]
        fn a_guess_that_holds_names_every_side_right(
            shared in runs(),
            east in runs(),
            west in runs(),
            east_start in start(),
            west_start in start(),
        ) {
            let e = mariadb_history(&shared, &east, &east_start);
            let w = mariadb_history(&shared, &west, &west_start);
            if let (Ok(guess), Ok(found)) = (guess_from_prefix(&e, &w), find_divergence(&e, &w)) {
                if guess.holds_for(&found, &w) {
                    prop_assert_eq!(misjudged(&guess, &found, &e, &w), None);
                }
            }
        }

        #[test]
        fn mysql_runs_find_what_the_element_lists_found(
            shared in prop::collection::vec((0u8..2, 1u64..40, 0u64..6), 0..6),
            east in prop::collection::vec((0u8..2, 1u64..40, 0u64..6), 0..6),
            west in prop::collection::vec((0u8..2, 1u64..40, 0u64..6), 0..6),
            east_start in prop::collection::vec((0u8..2, 1u64..40, 0u64..6), 0..3),
            west_start in prop::collection::vec((0u8..2, 1u64..40, 0u64..6), 0..3),
        ) {
            let uuids: [Uuid; 2] = [
                "3e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap(),
                "4e11fa47-71ca-11e1-9e33-c80aa9429562".parse().unwrap(),
            ];
            let history = |files: &[(u8, u64, u64)], start: &[(u8, u64, u64)]| GtidHistory {
                mariadb_start: None,
                mysql_start: Some(GtidSet {
                    entries: start
                        .iter()
                        .map(|&(u, a, n)| reconcile_binlog::GtidSetEntry {
                            uuid: uuids[usize::from(u)],
                            tag: None,
                            intervals: vec![(a, a + n)],
                        })
                        .collect(),
                }),
                gtids: files
                    .iter()
                    .flat_map(|&(u, a, n)| {
                        (a..a + n).map(move |gno| {
                            Some(Gtid::Mysql { uuid: uuids[usize::from(u)], tag: None, gno })
                        })
                    })
                    .collect(),
            };
            let e_files: Vec<_> = shared.iter().chain(&east).copied().collect();
            let w_files: Vec<_> = shared.iter().chain(&west).copied().collect();
            let e = history(&e_files, &east_start);
            let w = history(&w_files, &west_start);
            same(mysql(&e, &w), reference::mysql(&e, &w))?;
        }
    }
}
