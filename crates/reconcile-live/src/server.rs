//! What a live source reads about its server before streaming: identity,
//! flavor, GTID state, and the binlogs it holds.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use crate::error::{server_code, LiveError};

/// Server flavor, from `@@version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerFlavor {
    /// MariaDB: domain-server-sequence GTIDs, `SHOW BINLOG STATUS`.
    MariaDb,
    /// MySQL (and Percona, Aurora): UUID GTIDs.
    MySql,
}

/// One binlog file the server lists (`SHOW BINARY LOGS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogFile {
    /// File name, e.g. `mariadb-bin.000003`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// A binlog position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BinlogPosition {
    /// File name.
    pub file: String,
    /// Byte offset in it.
    pub pos: u64,
}

impl std::fmt::Display for BinlogPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)
    }
}

/// What was read from a server at the start.
#[derive(Debug, Clone)]
pub struct ServerFacts {
    /// The server as messages name it.
    pub label: String,
    /// `@@server_id`.
    pub server_id: u32,
    /// `@@server_uuid` (MySQL only).
    pub server_uuid: Option<String>,
    /// `@@version`.
    pub version: String,
    /// Flavor.
    pub flavor: ServerFlavor,
    /// `@@gtid_mode` (MySQL only; MariaDB always writes GTIDs).
    pub gtid_mode: Option<String>,
    /// `@@binlog_format`.
    pub binlog_format: String,
    /// Events carry a CRC32 (`@@binlog_checksum`).
    pub checksum: bool,
    /// The executed GTID set: `@@gtid_binlog_pos` (MariaDB) or `@@gtid_executed`.
    pub executed_gtids: String,
    /// `@@gtid_purged` (MySQL only).
    pub purged_gtids: Option<String>,
    /// The binlogs the server holds, oldest first.
    pub binlogs: Vec<BinlogFile>,
    /// Where the binlog ended when it was read: the stream stops there.
    pub end: BinlogPosition,
}

impl ServerFacts {
    /// Reads the facts. Needs REPLICATION CLIENT (MySQL) or BINLOG MONITOR
    /// (MariaDB 10.5+) for the binlog list and position.
    pub async fn read(conn: &mut Conn, label: &str) -> Result<ServerFacts, LiveError> {
        let mut q = Query { conn, label };
        let row = q
            .one("reading the server's identity", "SELECT @@server_id, @@version, @@global.binlog_format, @@global.binlog_checksum, @@log_bin")
            .await?;
        let server_id: u32 = q.col(&row, 0, "@@server_id")?;
        let version: String = q.col(&row, 1, "@@version")?;
        let binlog_format: String = q.col(&row, 2, "@@binlog_format")?;
        let checksum: String = q.col(&row, 3, "@@binlog_checksum")?;
        let log_bin: i64 = q.col(&row, 4, "@@log_bin")?;
        if log_bin == 0 {
            return Err(LiveError::NoBinlog {
                server: label.to_owned(),
            });
        }
        let flavor = if version.contains("MariaDB") {
            ServerFlavor::MariaDb
        } else {
            ServerFlavor::MySql
        };
        let (gtid_mode, executed_gtids, purged_gtids, server_uuid) = match flavor {
            ServerFlavor::MariaDb => {
                let row = q
                    .one("reading the GTID state", "SELECT @@global.gtid_binlog_pos")
                    .await?;
                (None, q.col(&row, 0, "@@gtid_binlog_pos")?, None, None)
            }
            ServerFlavor::MySql => {
                let row = q
                    .one("reading the GTID state", "SELECT @@global.gtid_mode, @@global.gtid_executed, @@global.gtid_purged, @@server_uuid")
                    .await?;
                (
                    Some(q.col(&row, 0, "@@gtid_mode")?),
                    q.col::<String>(&row, 1, "@@gtid_executed")?
                        .replace('\n', ""),
                    Some(q.col::<String>(&row, 2, "@@gtid_purged")?.replace('\n', "")),
                    Some(q.col(&row, 3, "@@server_uuid")?),
                )
            }
        };
        let mut facts = ServerFacts {
            label: label.to_owned(),
            server_id,
            server_uuid,
            version,
            flavor,
            gtid_mode,
            binlog_format,
            checksum: !checksum.eq_ignore_ascii_case("NONE"),
            executed_gtids,
            purged_gtids,
            binlogs: Vec::new(),
            end: BinlogPosition {
                file: String::new(),
                pos: 0,
            },
        };
        facts.end = end_position(&mut q, flavor).await?;
        facts.binlogs = binlog_list(&mut q, flavor).await?;
        if facts.binlogs.is_empty() {
            return Err(LiveError::NoBinlog {
                server: label.to_owned(),
            });
        }
        Ok(facts)
    }

    /// The oldest binlog the server still has.
    pub fn oldest(&self) -> &str {
        self.binlogs.first().map(|b| b.name.as_str()).unwrap_or("")
    }

    /// Binlog bytes from `from` (a file name) up to the end position.
    pub fn bytes_from(&self, from: &str) -> u64 {
        self.binlogs
            .iter()
            .skip_while(|b| b.name != from)
            .take_while(|b| b.name <= self.end.file)
            .map(|b| {
                if b.name == self.end.file {
                    self.end.pos
                } else {
                    b.size
                }
            })
            .sum()
    }
}

/// The privilege that lists binlogs and reads the position, per flavor.
pub(crate) fn monitor_privilege(flavor: ServerFlavor) -> &'static str {
    match flavor {
        ServerFlavor::MariaDb => "BINLOG MONITOR",
        ServerFlavor::MySql => "REPLICATION CLIENT",
    }
}

/// `SHOW BINARY LOGS`.
pub(crate) async fn binlog_list(
    q: &mut Query<'_>,
    flavor: ServerFlavor,
) -> Result<Vec<BinlogFile>, LiveError> {
    let rows = q
        .all_monitored(
            "listing the binlogs (SHOW BINARY LOGS)",
            "SHOW BINARY LOGS",
            flavor,
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(BinlogFile {
                name: q.col(row, 0, "Log_name")?,
                size: q.col(row, 1, "File_size")?,
            })
        })
        .collect()
}

/// The current end of the binlog. MySQL 8.4 renamed the statement.
async fn end_position(
    q: &mut Query<'_>,
    flavor: ServerFlavor,
) -> Result<BinlogPosition, LiveError> {
    let step = "reading the binlog position (SHOW MASTER STATUS)";
    let rows = match q.all_monitored(step, "SHOW MASTER STATUS", flavor).await {
        Err(LiveError::Query { source, .. }) if server_code(&source) == Some(1064) => {
            q.all_monitored(
                "reading the binlog position (SHOW BINARY LOG STATUS)",
                "SHOW BINARY LOG STATUS",
                flavor,
            )
            .await?
        }
        other => other?,
    };
    let row = rows.first().ok_or_else(|| LiveError::NoBinlog {
        server: q.label.to_owned(),
    })?;
    Ok(BinlogPosition {
        file: q.col(row, 0, "File")?,
        pos: q.col(row, 1, "Position")?,
    })
}

/// Queries with errors that name the server and the step.
pub(crate) struct Query<'a> {
    pub(crate) conn: &'a mut Conn,
    pub(crate) label: &'a str,
}

impl Query<'_> {
    pub(crate) async fn one(&mut self, step: &str, sql: &str) -> Result<Row, LiveError> {
        self.rows(step, sql)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| self.protocol(step, "no row returned"))
    }

    async fn rows(&mut self, step: &str, sql: &str) -> Result<Vec<Row>, LiveError> {
        self.conn
            .query(sql)
            .await
            .map_err(|source| LiveError::Query {
                server: self.label.to_owned(),
                step: step.to_owned(),
                source,
            })
    }

    /// A query needing REPLICATION CLIENT / BINLOG MONITOR: a refusal names it.
    async fn all_monitored(
        &mut self,
        step: &str,
        sql: &str,
        flavor: ServerFlavor,
    ) -> Result<Vec<Row>, LiveError> {
        match self.rows(step, sql).await {
            Err(LiveError::Query { source, .. })
                if matches!(server_code(&source), Some(1227 | 1045 | 1142)) =>
            {
                let privilege = monitor_privilege(flavor);
                Err(LiveError::MissingPrivilege {
                    server: self.label.to_owned(),
                    step: step.to_owned(),
                    privilege: privilege.to_owned(),
                    grant: privilege.to_owned(),
                    detail: source.to_string(),
                })
            }
            Err(LiveError::Query { source, .. }) if server_code(&source) == Some(1381) => {
                Err(LiveError::NoBinlog {
                    server: self.label.to_owned(),
                })
            }
            other => other,
        }
    }

    pub(crate) fn col<T: mysql_async::prelude::FromValue>(
        &self,
        row: &Row,
        index: usize,
        name: &str,
    ) -> Result<T, LiveError> {
        match row.get_opt::<T, usize>(index) {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(self.protocol("reading a reply", &format!("column {name}: {e}"))),
            None => Err(self.protocol("reading a reply", &format!("column {name} is missing"))),
        }
    }

    pub(crate) fn protocol(&self, step: &str, detail: &str) -> LiveError {
        LiveError::Protocol {
            server: self.label.to_owned(),
            step: step.to_owned(),
            detail: detail.to_owned(),
        }
    }
}
