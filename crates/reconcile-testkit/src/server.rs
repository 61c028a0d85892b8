//! One throwaway `mariadbd` process with its own datadir, port, socket and logs.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use mysql_async::prelude::{FromRow, Queryable};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::programs::{find_program, Program};
use crate::TestkitError;

/// How a throwaway server is configured. The defaults are what `reconcile` needs to
/// read a binlog completely: binlog on, ROW format, FULL row image, FULL metadata.
#[derive(Debug, Clone)]
pub struct MariaDbOptions {
    /// A short name used in logs and error messages (`east`, `west`, ...).
    pub name: String,
    /// `--server-id`; `None` picks one that no other server of this process uses.
    pub server_id: Option<u32>,
    /// `--gtid-domain-id`.
    pub gtid_domain_id: u32,
    /// `--binlog-format`.
    pub binlog_format: String,
    /// `--binlog-row-image`.
    pub binlog_row_image: String,
    /// `--binlog-row-metadata`.
    pub binlog_row_metadata: String,
    /// `--log-bin-compress` (MariaDB compressed query and row events).
    pub log_bin_compress: bool,
    /// Further `mariadbd` arguments, appended last.
    pub extra_args: Vec<String>,
    /// How long to wait until the server answers.
    pub start_timeout: Duration,
}

impl Default for MariaDbOptions {
    fn default() -> Self {
        MariaDbOptions {
            name: "mariadb".to_owned(),
            server_id: None,
            gtid_domain_id: 0,
            binlog_format: "ROW".to_owned(),
            binlog_row_image: "FULL".to_owned(),
            binlog_row_metadata: "FULL".to_owned(),
            log_bin_compress: false,
            extra_args: Vec::new(),
            start_timeout: Duration::from_secs(60),
        }
    }
}

impl MariaDbOptions {
    /// Options for a server called `name`.
    pub fn named(name: &str) -> Self {
        MariaDbOptions {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// Sets `--server-id`.
    pub fn server_id(mut self, id: u32) -> Self {
        self.server_id = Some(id);
        self
    }

    /// Sets `--gtid-domain-id`.
    pub fn gtid_domain_id(mut self, domain: u32) -> Self {
        self.gtid_domain_id = domain;
        self
    }
}

/// Prefix of every server directory; `cargo xtask test` looks for leftovers by it.
pub const SERVER_DIR_PREFIX: &str = "reconcile-tk-";

/// File name stem of the binary logs inside [`MariaDb::binlog_dir`].
pub const BINLOG_BASENAME: &str = "mariadb-bin";

static NEXT_SERVER_ID: AtomicU32 = AtomicU32::new(100);

/// A running throwaway MariaDB server. Dropping it stops the server and removes its
/// directory, also when the test that owns it panics.
#[derive(Debug)]
pub struct MariaDb {
    options: MariaDbOptions,
    server_id: u32,
    port: u16,
    // Declared before `dir` is irrelevant for drop order: `Drop for MariaDb` stops the
    // child explicitly before the fields (and so the directory) are dropped.
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl MariaDb {
    /// Creates a datadir with `mariadb-install-db`, starts `mariadbd` on 127.0.0.1 with
    /// a free port, and returns once the server answers a query.
    pub fn start(options: MariaDbOptions) -> Result<MariaDb, TestkitError> {
        let dir = tempfile::Builder::new()
            .prefix(SERVER_DIR_PREFIX)
            .tempdir()
            .map_err(|source| TestkitError::Dir {
                path: std::env::temp_dir(),
                source,
            })?;
        let server_id = options
            .server_id
            .unwrap_or_else(|| NEXT_SERVER_ID.fetch_add(1, Ordering::Relaxed));
        install_datadir(dir.path())?;
        fs::create_dir_all(dir.path().join("binlog")).map_err(|source| TestkitError::Dir {
            path: dir.path().join("binlog"),
            source,
        })?;
        let mut server = MariaDb {
            options,
            server_id,
            port: 0,
            child: None,
            dir,
        };
        server.launch()?;
        Ok(server)
    }

    /// Starts `mariadbd` on the existing datadir. A port taken by a parallel test in
    /// the moment between choosing and binding it is retried with a new port.
    fn launch(&mut self) -> Result<(), TestkitError> {
        const ATTEMPTS: usize = 5;
        let mut last_err = None;
        for _ in 0..ATTEMPTS {
            if self.port == 0 {
                self.port = free_port(self.dir.path())?;
            }
            match self.spawn_and_wait() {
                Ok(()) => {
                    tracing::debug!(server = %self.options.name, port = self.port, "mariadbd is up");
                    return Ok(());
                }
                Err(TestkitError::Start { log_tail, .. })
                    if log_tail.contains("Address already in use")
                        || log_tail.contains("Do you already have another server running") =>
                {
                    self.port = 0;
                    last_err = Some(log_tail);
                }
                Err(e) => return Err(e),
            }
        }
        Err(TestkitError::Start {
            reason: format!("no free port after {ATTEMPTS} attempts"),
            log: self.error_log(),
            log_tail: last_err.unwrap_or_default(),
        })
    }

    fn spawn_and_wait(&mut self) -> Result<(), TestkitError> {
        let mariadbd = find_program(Program::Server)?;
        let log_offset = fs::metadata(self.error_log()).map(|m| m.len()).unwrap_or(0);
        let mut cmd = Command::new(&mariadbd);
        cmd.args(self.server_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().map_err(|source| TestkitError::Spawn {
            program: mariadbd.display().to_string(),
            source,
        })?;
        self.child = Some(child);
        let deadline = Instant::now() + self.options.start_timeout;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(
                        self.start_error(&format!("mariadbd exited with {status}"), log_offset)
                    );
                }
            }
            if self.socket_path().exists() && self.ping().is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.terminate();
                return Err(self.start_error(
                    &format!("no answer after {} s", self.options.start_timeout.as_secs()),
                    log_offset,
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn start_error(&self, reason: &str, log_offset: u64) -> TestkitError {
        TestkitError::Start {
            reason: reason.to_owned(),
            log: self.error_log(),
            log_tail: read_from(&self.error_log(), log_offset),
        }
    }

    fn server_args(&self) -> Vec<String> {
        let dir = self.dir.path();
        let o = &self.options;
        let mut args = vec![
            "--no-defaults".to_owned(),
            format!("--datadir={}", dir.join("data").display()),
            format!("--socket={}", self.socket_path().display()),
            format!("--pid-file={}", dir.join("mariadbd.pid").display()),
            format!("--log-error={}", self.error_log().display()),
            format!("--tmpdir={}", dir.display()),
            "--bind-address=127.0.0.1".to_owned(),
            format!("--port={}", self.port),
            "--skip-name-resolve".to_owned(),
            format!("--server-id={}", self.server_id),
            format!("--gtid-domain-id={}", o.gtid_domain_id),
            format!(
                "--log-bin={}",
                dir.join("binlog").join(BINLOG_BASENAME).display()
            ),
            format!("--binlog-format={}", o.binlog_format),
            format!("--binlog-row-image={}", o.binlog_row_image),
            format!("--binlog-row-metadata={}", o.binlog_row_metadata),
            "--log-slave-updates".to_owned(),
            // Small footprint: many servers run in parallel on a 2-core machine.
            "--innodb-buffer-pool-size=32M".to_owned(),
            "--innodb-log-file-size=16M".to_owned(),
            "--performance-schema=OFF".to_owned(),
            "--max-connections=100".to_owned(),
            // A failover test wants to stop replication itself, never by accident.
            "--skip-slave-start".to_owned(),
            // Tests run many servers; do not pay for fsyncs.
            "--innodb-flush-log-at-trx-commit=2".to_owned(),
            "--sync-binlog=0".to_owned(),
            "--character-set-server=utf8mb4".to_owned(),
            "--collation-server=utf8mb4_general_ci".to_owned(),
            "--default-time-zone=+00:00".to_owned(),
        ];
        if o.log_bin_compress {
            args.push("--log-bin-compress=ON".to_owned());
            args.push("--log-bin-compress-min-len=10".to_owned());
        }
        if nix::unistd::geteuid().is_root() {
            args.push("--user=root".to_owned());
        }
        args.extend(o.extra_args.iter().cloned());
        args
    }

    fn ping(&self) -> Result<(), mysql_async::Error> {
        let opts = self.socket_opts();
        block_on(async move {
            let mut conn = mysql_async::Conn::new(opts).await?;
            conn.query_drop("SELECT 1").await?;
            conn.disconnect().await
        })
    }

    fn socket_opts(&self) -> mysql_async::Opts {
        mysql_async::OptsBuilder::default()
            .user(Some("root"))
            .socket(Some(self.socket_path().display().to_string()))
            .prefer_socket(true)
            .into()
    }

    /// The name given in the options.
    pub fn name(&self) -> &str {
        &self.options.name
    }

    /// The server's `--server-id`.
    pub fn server_id(&self) -> u32 {
        self.server_id
    }

    /// The server's `--gtid-domain-id`.
    pub fn gtid_domain_id(&self) -> u32 {
        self.options.gtid_domain_id
    }

    /// TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's own directory (datadir, socket, logs, binlogs live below it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Unix socket path.
    pub fn socket_path(&self) -> PathBuf {
        self.dir.path().join("mariadbd.sock")
    }

    /// The server's error log.
    pub fn error_log(&self) -> PathBuf {
        self.dir.path().join("error.log")
    }

    /// Directory holding the binary logs and their `.index` file.
    pub fn binlog_dir(&self) -> PathBuf {
        self.dir.path().join("binlog")
    }

    /// Process id of the running `mariadbd`, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `mysql://root@127.0.0.1:PORT/` (root has no password on a throwaway server).
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/", self.port)
    }

    /// Connection options for mysql_async over TCP as root.
    pub fn opts(&self) -> mysql_async::Opts {
        mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.port)
            .user(Some("root"))
            .into()
    }

    /// Runs one or more statements (separated by `;`) in a fresh session.
    pub fn exec(&self, sql: &str) -> Result<(), TestkitError> {
        let opts = self.socket_opts();
        let text = sql.to_owned();
        block_on(async move {
            let mut conn = mysql_async::Conn::new(opts).await?;
            conn.query_drop(text).await?;
            conn.disconnect().await
        })
        .map_err(|source| self.sql_error(sql, source))
    }

    /// Runs a query in a fresh session and returns its rows.
    pub fn query<T>(&self, sql: &str) -> Result<Vec<T>, TestkitError>
    where
        T: FromRow + Send + 'static,
    {
        let opts = self.socket_opts();
        let text = sql.to_owned();
        block_on(async move {
            let mut conn = mysql_async::Conn::new(opts).await?;
            let rows: Vec<T> = conn.query(text).await?;
            conn.disconnect().await?;
            Ok(rows)
        })
        .map_err(|source| self.sql_error(sql, source))
    }

    /// Runs a query that returns one value.
    pub fn query_one<T>(&self, sql: &str) -> Result<Option<T>, TestkitError>
    where
        T: mysql_async::prelude::FromValue + Send + 'static,
    {
        let rows: Vec<(Option<T>,)> = self.query(sql)?;
        Ok(rows.into_iter().next().and_then(|(v,)| v))
    }

    fn sql_error(&self, sql: &str, source: mysql_async::Error) -> TestkitError {
        TestkitError::Sql {
            server: self.options.name.clone(),
            port: self.port,
            sql: shorten(sql, 400),
            source,
        }
    }

    /// Feeds an SQL script to the `mariadb` command-line client, exactly as a DBA
    /// would (`DELIMITER`, comments and multi-line statements work). Returns stdout.
    pub fn run_script(&self, sql: &str) -> Result<String, TestkitError> {
        self.run_program(
            Program::Client,
            &["--batch", "--default-character-set=utf8mb4"],
            Some(sql),
        )
    }

    /// `mariadb-dump --no-data` of the given databases, with triggers, in the form
    /// `reconcile scan --schema FILE` reads.
    pub fn dump_schema(&self, databases: &[&str]) -> Result<String, TestkitError> {
        let mut args = vec![
            "--no-data",
            "--triggers",
            "--skip-dump-date",
            "--skip-comments",
            "--databases",
        ];
        args.extend_from_slice(databases);
        self.run_program(Program::Dump, &args, None)
    }

    /// Runs a MariaDB client program as root over the socket, feeding it `stdin`;
    /// returns its stdout, or its stderr in the error when it fails.
    fn run_program(
        &self,
        program: Program,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Result<String, TestkitError> {
        let path = find_program(program)?;
        let spawn_error = |source| TestkitError::Spawn {
            program: path.display().to_string(),
            source,
        };
        let mut child = Command::new(&path)
            .arg("--no-defaults")
            .arg("--user=root")
            .arg(format!("--socket={}", self.socket_path().display()))
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_error)?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A failing write means the program died; its stderr says why below.
            let _ = pipe.write_all(text.as_bytes());
        }
        let out = child.wait_with_output().map_err(spawn_error)?;
        if !out.status.success() {
            return Err(TestkitError::Script {
                server: self.options.name.clone(),
                port: self.port,
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The binlog files in the order of the server's `.index` file.
    pub fn binlog_files(&self) -> Result<Vec<PathBuf>, TestkitError> {
        let index = self.binlog_dir().join(format!("{BINLOG_BASENAME}.index"));
        let text = fs::read_to_string(&index).map_err(|source| TestkitError::Dir {
            path: index.clone(),
            source,
        })?;
        Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let name = Path::new(l.trim())
                    .file_name()
                    .map(PathBuf::from)
                    .unwrap_or_default();
                self.binlog_dir().join(name)
            })
            .collect())
    }

    /// Starts a new binlog and purges every older one, as a DBA's `PURGE BINARY LOGS`
    /// does; returns the name of the one binlog left. MariaDB keeps a binlog until
    /// its checkpoint is written, which happens in the background after the flush,
    /// so the purge is repeated until it took effect (at most 10 s).
    pub fn purge_all_but_newest_binlog(&self) -> Result<String, TestkitError> {
        self.exec("FLUSH BINARY LOGS")?;
        let files = self.binlog_files()?;
        let newest = files
            .last()
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for _ in 0..100 {
            self.exec(&format!("PURGE BINARY LOGS TO '{newest}'"))?;
            if self.binlog_files()?.len() == 1 {
                return Ok(newest);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(TestkitError::Timeout {
            server: self.options.name.clone(),
            what: format!("purging the binlogs before {newest}"),
            seconds: 10,
        })
    }

    /// `@@gtid_binlog_pos`, the GTID position of the last transaction in the binlog.
    pub fn gtid_binlog_pos(&self) -> Result<String, TestkitError> {
        Ok(self
            .query_one::<String>("SELECT @@GLOBAL.gtid_binlog_pos")?
            .unwrap_or_default())
    }

    /// Stops the server cleanly (SIGTERM, then waits). The datadir stays; [`Self::restart`]
    /// brings the same server back.
    pub fn stop(&mut self) -> Result<(), TestkitError> {
        self.terminate();
        Ok(())
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a stopped (or crashed) server again on the same datadir and port.
    pub fn restart(&mut self) -> Result<(), TestkitError> {
        self.terminate();
        self.launch()
    }

    /// SIGTERM, wait for a clean shutdown, SIGKILL when it takes unreasonably long.
    fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = Pid::from_raw(child.id() as i32);
        if kill(pid, Signal::SIGTERM).is_err() {
            let _ = child.wait();
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        tracing::warn!(server = %self.options.name, "mariadbd ignored SIGTERM for 30 s; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Picks a port the kernel considers free right now. The listener is closed before the
/// server binds, so a parallel test can take it in between: [`MariaDb::launch`] retries.
fn free_port(dir: &Path) -> Result<u16, TestkitError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|source| TestkitError::Dir {
        path: dir.to_owned(),
        source,
    })?;
    let port = listener
        .local_addr()
        .map_err(|source| TestkitError::Dir {
            path: dir.to_owned(),
            source,
        })?
        .port();
    Ok(port)
}

fn install_datadir(dir: &Path) -> Result<(), TestkitError> {
    let install = find_program(Program::InstallDb)?;
    let datadir = dir.join("data");
    let mut cmd = Command::new(&install);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", datadir.display()))
        .arg("--auth-root-authentication-method=normal")
        .arg("--skip-test-db")
        .arg("--innodb-log-file-size=16M")
        .arg(format!("--tmpdir={}", dir.display()));
    if let Some(server) = find_program(Program::Server)?.parent() {
        // mariadb-install-db looks for mariadbd in a fixed list of places; point it there.
        if let Some(base) = server.parent() {
            cmd.arg(format!("--basedir={}", base.display()));
        }
    }
    if nix::unistd::geteuid().is_root() {
        cmd.arg("--user=root");
    }
    let out = cmd.output().map_err(|source| TestkitError::Spawn {
        program: install.display().to_string(),
        source,
    })?;
    if !out.status.success() {
        let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stderr));
        return Err(TestkitError::InstallDb {
            datadir,
            status: out.status.to_string(),
            output,
        });
    }
    Ok(())
}

/// Reads a log from `offset` on (the part written by the latest start), at most 8 KiB
/// from its end.
fn read_from(path: &Path, offset: u64) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return "(no error log was written)".to_owned();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = offset.max(len.saturating_sub(8192));
    let mut buf = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut buf).is_err() {
        return "(error log unreadable)".to_owned();
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Runs a future to completion on a private runtime in its own thread, so the blocking
/// API works both from plain tests and from inside another tokio runtime.
pub(crate) fn block_on<F, T>(fut: F) -> T
where
    F: std::future::Future<Output = T> + Send,
    T: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a current-thread tokio runtime can always be built")
                    .block_on(fut)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
