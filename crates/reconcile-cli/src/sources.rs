//! Where binlogs come from: files and directories, or a running server read
//! over the replication protocol (`mysql://...`).

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use reconcile_binlog::{FileFacts, ParallelReader, ReadItem, ReaderOptions};
use reconcile_live::{Connector, LiveReader, ServerFacts, ServerFlavor, StreamOptions};
use tokio::runtime::Runtime;

use crate::connect::{is_url, ConnectOptions};
use crate::inspect::{decode_threads, open_reader};

/// How to stream from a server.
#[derive(Debug, Clone, clap::Args)]
pub struct StreamArgs {
    /// The server_id this client registers with when it streams a binlog, as a
    /// replica does; it must differ from every real replica's (default: from the
    /// process id, above 3221225472).
    #[arg(long, value_name = "ID")]
    pub replica_server_id: Option<u32>,
    /// How many times in a row a lost binlog stream is resumed (from the last
    /// complete transaction, after 0.5 s, 1 s, 2 s, ...) before giving up.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub stream_retries: u32,
}

impl StreamArgs {
    fn options(&self) -> StreamOptions {
        let defaults = StreamOptions::default();
        StreamOptions {
            replica_server_id: self.replica_server_id.unwrap_or(defaults.replica_server_id),
            retries: self.stream_retries,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A server to stream from, with what was read from it at start.
#[derive(Debug)]
pub struct Server {
    pub connector: Connector,
    pub facts: ServerFacts,
    rt: Arc<Runtime>,
    stream: StreamOptions,
}

/// One side's binlogs.
#[derive(Debug)]
pub enum Input {
    /// Files in order, or one directory.
    Files(Vec<PathBuf>),
    /// A server.
    Server(Box<Server>),
}

/// A multi-threaded runtime with one worker: the network is read there while
/// the calling thread decodes.
fn runtime() -> anyhow::Result<Arc<Runtime>> {
    Ok(Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?,
    ))
}

impl Input {
    /// `sources` as given for option `what`: files, one directory, or one URL.
    pub fn new(
        what: &str,
        sources: &[PathBuf],
        connect: &ConnectOptions,
        stream: &StreamArgs,
    ) -> anyhow::Result<Input> {
        let urls: Vec<&str> = sources
            .iter()
            .filter_map(|p| p.to_str())
            .filter(|s| is_url(s))
            .collect();
        match (urls.as_slice(), sources.len()) {
            ([], _) => {
                for path in sources {
                    if !path.exists() {
                        bail!("{}: no such file or directory", path.display());
                    }
                }
                Ok(Input::Files(sources.to_vec()))
            }
            ([url], 1) => Ok(Input::Server(Box::new(Server::connect(
                what, url, connect, stream,
            )?))),
            _ => bail!("{what}: give one server URL, or binlog files, not both"),
        }
    }

    /// The sources as reports name them (never with a password).
    pub fn labels(&self) -> Vec<String> {
        match self {
            Input::Files(paths) => paths.iter().map(|p| p.display().to_string()).collect(),
            Input::Server(s) => vec![s.connector.label().to_owned()],
        }
    }

    /// A reader from the start of binlog `from` (default: the first one).
    pub fn open(
        &self,
        options: ReaderOptions,
        from: Option<&str>,
        follow: bool,
    ) -> anyhow::Result<SideReader> {
        match self {
            Input::Files(paths) => Ok(SideReader::Files(Box::new(
                open_reader(paths, options)?.parallel(decode_threads(), |item| item),
            ))),
            Input::Server(s) => {
                let from = from.unwrap_or_else(|| s.facts.oldest());
                tracing::info!(
                    server = %s.connector.label(),
                    from,
                    to = %s.facts.end,
                    replica_server_id = s.stream.replica_server_id,
                    "streaming the binlog"
                );
                Ok(SideReader::Live(Box::new(LiveReader::new(
                    Arc::clone(&s.rt),
                    s.connector.clone(),
                    s.facts.clone(),
                    from,
                    follow,
                    s.stream.clone(),
                    options,
                ))))
            }
        }
    }

    /// Size of one binlog, for progress.
    pub fn file_size(&self, name: &str) -> u64 {
        match self {
            Input::Files(_) => fs::metadata(name).map(|m| m.len()).unwrap_or(0),
            Input::Server(s) => s
                .facts
                .binlogs
                .iter()
                .find(|b| b.name == name)
                .map_or(0, |b| b.size),
        }
    }

    /// Bytes to read from binlog `from` (default: all).
    pub fn total_bytes(&self, from: Option<&str>) -> u64 {
        match self {
            Input::Files(paths) => paths
                .iter()
                .map(|p| {
                    if p.is_dir() {
                        fs::read_dir(p)
                            .map(|d| {
                                d.flatten()
                                    .filter_map(|e| e.metadata().ok())
                                    .map(|m| m.len())
                                    .sum()
                            })
                            .unwrap_or(0)
                    } else {
                        fs::metadata(p).map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum(),
            Input::Server(s) => s.facts.bytes_from(from.unwrap_or_else(|| s.facts.oldest())),
        }
    }

    /// The server, when the side is one.
    pub fn server(&self) -> Option<&Server> {
        match self {
            Input::Server(s) => Some(s),
            Input::Files(_) => None,
        }
    }
}

impl Server {
    fn connect(
        what: &str,
        url: &str,
        connect: &ConnectOptions,
        stream: &StreamArgs,
    ) -> anyhow::Result<Server> {
        let endpoint = connect.endpoint(what, url)?;
        let connector = Connector::new(endpoint.label(), endpoint.attempts());
        let rt = runtime()?;
        let facts = rt.block_on(async {
            let mut conn = connector.connect().await?;
            let facts = ServerFacts::read(&mut conn, connector.label()).await;
            let _ = conn.disconnect().await;
            facts
        })?;
        tracing::info!(
            server = %connector.label(),
            server_id = facts.server_id,
            version = %facts.version,
            binlogs = facts.binlogs.len(),
            oldest = facts.oldest(),
            end = %facts.end,
            executed_gtids = %facts.executed_gtids,
            "{what}: connected"
        );
        if facts.binlog_format != "ROW" {
            tracing::warn!(server = %connector.label(), "binlog_format is {}: statement-format changes cannot be reconciled", facts.binlog_format);
        }
        if facts.flavor == ServerFlavor::MySql
            && !facts
                .gtid_mode
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case("ON"))
        {
            tracing::warn!(server = %connector.label(), "gtid_mode is not ON: give --east-from and --west-from");
        }
        Ok(Server {
            connector,
            facts,
            rt,
            stream: stream.options(),
        })
    }

    /// The facts a report records: which server, up to where, and as which replica.
    pub fn summary(&self) -> serde_json::Value {
        let f = &self.facts;
        serde_json::json!({
            "server": self.connector.label(),
            "server_id": f.server_id,
            "server_uuid": f.server_uuid,
            "version": f.version,
            "binlog_format": f.binlog_format,
            "executed_gtids": f.executed_gtids,
            "binlogs": f.binlogs.iter().map(|b| &b.name).collect::<Vec<_>>(),
            "streamed_to": f.end.to_string(),
            "replica_server_id": self.stream.replica_server_id,
        })
    }

    /// What is gone from this server when its binlogs do not reach back far
    /// enough.
    pub fn purge_note(&self, first_file: Option<&FileFacts>) -> String {
        let gone = match (&self.facts.purged_gtids, first_file) {
            (Some(purged), _) if !purged.is_empty() => format!("the purged GTIDs are {purged}"),
            (
                _,
                Some(FileFacts {
                    gtid_list: Some(list),
                    ..
                }),
            ) if !list.is_empty() => format!(
                "every GTID up to {} is gone from its binlogs",
                list.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            _ => "the GTIDs before it are gone from its binlogs".to_owned(),
        };
        format!(
            "{}: the oldest binlog still on the server is {}; older binlogs were purged, and {gone}. Restore the purged binlogs from a backup and scan files instead",
            self.connector.label(),
            self.facts.oldest()
        )
    }
}

/// A reader over files (framed and decoded on every core) or a server.
#[derive(Debug)]
pub enum SideReader {
    Files(Box<ParallelReader<ReadItem>>),
    Live(Box<LiveReader>),
}

impl SideReader {
    /// Facts of the binlogs read so far.
    pub fn files(&self) -> Vec<FileFacts> {
        match self {
            SideReader::Files(r) => r.files().to_vec(),
            SideReader::Live(r) => r.files(),
        }
    }
}

impl Iterator for SideReader {
    type Item = Result<ReadItem, reconcile_binlog::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            SideReader::Files(r) => r.next(),
            SideReader::Live(r) => r.next(),
        }
    }
}
