//! A real failover between two throwaway servers, producing the binlogs of a
//! split-brain: shared history, then writes that only one side has.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{MariaDb, MariaDbOptions, TestkitError};

/// How the two primaries' GTIDs relate, as both are found in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GtidLayout {
    /// Both servers use `gtid_domain_id=0` (the default): after the failover both
    /// continue domain 0, East with server id 1 and West with server id 2, and their
    /// sequence numbers clash.
    SameDomain,
    /// East writes domain 0, West domain 1: West's own writes are `1-2-n`.
    DifferentDomains,
}

/// The SQL of a scenario: what both sides share, and what each wrote alone.
#[derive(Debug, Clone)]
pub struct SplitBrainScript {
    /// Run on East while West replicates it.
    pub shared: String,
    /// Run on East after replication stopped (the writes West never received).
    pub east: String,
    /// Run on West after it was promoted (the new primary's writes).
    pub west: String,
    /// GTID domain layout.
    pub layout: GtidLayout,
    /// `--log-bin-compress` on both servers (MariaDB compressed binlog events).
    pub log_bin_compress: bool,
    /// Further `mariadbd` arguments for both servers (e.g. `--binlog-row-image=MINIMAL`).
    pub extra_server_args: Vec<String>,
}

impl SplitBrainScript {
    /// The scenario of a `testdata/` folder: `shared.sql`, `east.sql`, `west.sql` and
    /// `scenario.conf` (`key = value` lines: `layout = same-domain | different-domains`,
    /// `log_bin_compress = on | off`, repeatable `server_arg = --option`, `sql_from =
    /// ../other` to take the SQL of another folder; `generator` is ignored here).
    pub fn from_dir(dir: &Path) -> Result<SplitBrainScript, TestkitError> {
        let read = |path: PathBuf| {
            fs::read_to_string(&path).map_err(|source| TestkitError::Dir { path, source })
        };
        let conf = dir.join("scenario.conf");
        let text = if conf.exists() {
            read(conf.clone())?
        } else {
            String::new()
        };
        let mut settings = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| TestkitError::Scenario {
                at: format!("{}:{}", conf.display(), n + 1),
                detail: "expected `key = value`".to_owned(),
            })?;
            settings.push((n + 1, key.trim().to_owned(), value.trim().to_owned()));
        }
        let sql_dir = settings
            .iter()
            .find(|(_, k, _)| k == "sql_from")
            .map(|(_, _, v)| dir.join(v))
            .unwrap_or_else(|| dir.to_owned());
        let mut script = SplitBrainScript::new(
            &read(sql_dir.join("shared.sql"))?,
            &read(sql_dir.join("east.sql"))?,
            &read(sql_dir.join("west.sql"))?,
            GtidLayout::SameDomain,
        );
        for (line, key, value) in &settings {
            match (key.as_str(), value.as_str()) {
                ("sql_from" | "generator", _) => {}
                ("layout", "same-domain") => script.layout = GtidLayout::SameDomain,
                ("layout", "different-domains") => script.layout = GtidLayout::DifferentDomains,
                ("log_bin_compress", "on") => script.log_bin_compress = true,
                ("log_bin_compress", "off") => script.log_bin_compress = false,
                ("server_arg", arg) if arg.starts_with("--") => {
                    script.extra_server_args.push(arg.to_owned())
                }
                _ => {
                    return Err(TestkitError::Scenario {
                        at: format!("{}:{line}", conf.display()),
                        detail: format!("unknown setting `{key} = {value}`"),
                    })
                }
            }
        }
        Ok(script)
    }

    /// A scenario with default server options.
    pub fn new(shared: &str, east: &str, west: &str, layout: GtidLayout) -> Self {
        SplitBrainScript {
            shared: shared.to_owned(),
            east: east.to_owned(),
            west: west.to_owned(),
            layout,
            log_bin_compress: false,
            extra_server_args: Vec::new(),
        }
    }
}

/// Server id of the old primary.
pub const EAST_SERVER_ID: u32 = 1;
/// Server id of the replica that is promoted.
pub const WEST_SERVER_ID: u32 = 2;

/// Two servers after a split-brain: East is the old primary, West the promoted replica.
#[derive(Debug)]
pub struct SplitBrain {
    /// The old primary, holding writes that never reached West.
    pub east: MariaDb,
    /// The promoted replica, the surviving primary.
    pub west: MariaDb,
    /// `@@gtid_binlog_pos` of East when West had caught up: the last shared GTIDs.
    pub split_pos: String,
}

/// What [`SplitBrain::export`] wrote.
#[derive(Debug, Clone)]
pub struct ExportedScenario {
    /// East's binlog files, in order.
    pub east_binlogs: Vec<PathBuf>,
    /// West's binlog files, in order.
    pub west_binlogs: Vec<PathBuf>,
    /// The schema dump of West (the surviving primary).
    pub schema: PathBuf,
}

impl SplitBrain {
    /// Starts East and West, replicates East to West with GTID, runs the shared SQL,
    /// waits until West caught up, stops replication, runs East's SQL on East,
    /// promotes West (`STOP SLAVE; RESET SLAVE ALL`) and runs West's SQL on West.
    pub fn run(script: &SplitBrainScript) -> Result<SplitBrain, TestkitError> {
        let (east_domain, west_domain) = match script.layout {
            GtidLayout::SameDomain => (0, 0),
            GtidLayout::DifferentDomains => (0, 1),
        };
        let mut east_opts = MariaDbOptions::named("east")
            .server_id(EAST_SERVER_ID)
            .gtid_domain_id(east_domain);
        let mut west_opts = MariaDbOptions::named("west")
            .server_id(WEST_SERVER_ID)
            .gtid_domain_id(west_domain);
        for opts in [&mut east_opts, &mut west_opts] {
            opts.log_bin_compress = script.log_bin_compress;
            opts.extra_args
                .extend(script.extra_server_args.iter().cloned());
        }
        let east = MariaDb::start(east_opts)?;
        let west = MariaDb::start(west_opts)?;

        west.exec(&format!(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='root', \
             MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos; START SLAVE",
            east.port()
        ))?;
        east.run_script(&script.shared)?;
        let split_pos = east.gtid_binlog_pos()?;
        wait_for_replica(&east, &west, &split_pos, Duration::from_secs(120))?;
        west.exec("STOP SLAVE")?;
        tracing::info!(%split_pos, "West caught up with East; replication stopped");

        east.run_script(&script.east)?;
        west.exec("RESET SLAVE ALL")?;
        west.run_script(&script.west)?;
        Ok(SplitBrain {
            east,
            west,
            split_pos,
        })
    }

    /// Flushes both sides' binary logs (so every file is closed) and copies them to
    /// `out/east/` and `out/west/` with an `.index` naming them, and writes West's
    /// schema dump of every user database to `out/schema.sql`.
    pub fn export(&self, out: &Path) -> Result<ExportedScenario, TestkitError> {
        let east_binlogs = export_binlogs(&self.east, &out.join("east"))?;
        let west_binlogs = export_binlogs(&self.west, &out.join("west"))?;
        let databases: Vec<String> = self
            .west
            .query::<(String,)>(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN \
                 ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY schema_name",
            )?
            .into_iter()
            .map(|(name,)| name)
            .collect();
        let names: Vec<&str> = databases.iter().map(String::as_str).collect();
        let schema = out.join("schema.sql");
        let dump = if names.is_empty() {
            String::new()
        } else {
            self.west.dump_schema(&names)?
        };
        fs::write(&schema, dump).map_err(|source| TestkitError::Dir {
            path: schema.clone(),
            source,
        })?;
        Ok(ExportedScenario {
            east_binlogs,
            west_binlogs,
            schema,
        })
    }
}

fn wait_for_replica(
    primary: &MariaDb,
    replica: &MariaDb,
    pos: &str,
    timeout: Duration,
) -> Result<(), TestkitError> {
    if pos.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT MASTER_GTID_WAIT('{}', {})",
        pos.replace('\'', ""),
        timeout.as_secs()
    );
    let waited: Option<i64> = replica.query_one(&sql)?;
    if waited == Some(0) {
        return Ok(());
    }
    let status: Vec<(Option<String>, Option<String>)> =
        replica.query("SELECT @@GLOBAL.gtid_slave_pos, @@GLOBAL.gtid_current_pos")?;
    Err(TestkitError::Replication {
        from: primary.name().to_owned(),
        to: replica.name().to_owned(),
        detail: format!(
            "replica did not reach {pos} within {} s (gtid_slave_pos, gtid_current_pos = {:?}); its error log is {}",
            timeout.as_secs(),
            status.first(),
            replica.error_log().display()
        ),
    })
}

fn export_binlogs(server: &MariaDb, to: &Path) -> Result<Vec<PathBuf>, TestkitError> {
    server.exec("FLUSH BINARY LOGS")?;
    fs::create_dir_all(to).map_err(|source| TestkitError::Dir {
        path: to.to_owned(),
        source,
    })?;
    let mut copied = Vec::new();
    let mut index = String::new();
    for file in server.binlog_files()? {
        let name = file.file_name().map(PathBuf::from).unwrap_or_default();
        let dest = to.join(&name);
        fs::copy(&file, &dest).map_err(|source| TestkitError::Copy {
            from: file.clone(),
            to: dest.clone(),
            source,
        })?;
        index.push_str(&format!("./{}\n", name.display()));
        copied.push(dest);
    }
    let index_path = to.join(format!("{}.index", crate::BINLOG_BASENAME));
    fs::write(&index_path, index).map_err(|source| TestkitError::Dir {
        path: index_path,
        source,
    })?;
    Ok(copied)
}
