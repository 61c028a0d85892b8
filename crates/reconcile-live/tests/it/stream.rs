//! The live stream against real MariaDB servers: the same transactions as the
//! server's binlog files, through a server restart, and clear refusals.

use std::sync::Arc;
use std::time::Duration;

use reconcile_binlog::{BinlogReader, Error as ReadError, FileSource, ReadItem, ReaderOptions};
use reconcile_live::{Connector, LiveError, LiveReader, ServerFacts, StreamOptions};
use reconcile_testkit::{live_servers_available, MariaDb, MariaDbOptions};

fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap(),
    )
}

fn facts(rt: &tokio::runtime::Runtime, connector: &Connector) -> Result<ServerFacts, LiveError> {
    rt.block_on(async {
        let mut conn = connector.connect().await?;
        ServerFacts::read(&mut conn, connector.label()).await
    })
}

/// Transactions with the file name reduced to the binlog's name.
fn normalized(items: impl Iterator<Item = Result<ReadItem, ReadError>>) -> Vec<ReadItem> {
    items
        .map(|i| i.unwrap())
        .filter_map(|i| match i {
            ReadItem::Transaction(mut tx) => {
                tx.position.file = tx.position.file.rsplit('/').next().unwrap().into();
                // MariaDB sends no ANNOTATE_ROWS to a replica that did not ask
                tx.statements
                    .retain(|s| s.kind != reconcile_binlog::StatementKind::RowsQuery);
                Some(ReadItem::Transaction(tx))
            }
            ReadItem::Diagnostic(_) => None,
        })
        .collect()
}

fn from_files(server: &MariaDb) -> Vec<ReadItem> {
    let files = server.binlog_files().unwrap();
    normalized(BinlogReader::new(
        FileSource::open_all(files),
        ReaderOptions::default(),
    ))
}

/// Largest socket buffer the kernel grants (`tcp_rmem` / `tcp_wmem` maximum).
fn socket_buffer_max(name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
        .ok()
        .and_then(|s| s.split_whitespace().last().and_then(|v| v.parse().ok()))
        .unwrap_or(8 << 20)
}

/// More binlog than the kernel's socket buffers and the stream's own buffer
/// can hold together, in 64 KiB transactions, so that a restart after the first
/// transactions is sure to hit mid-stream.
fn busy_server() -> MariaDb {
    let bytes = socket_buffer_max("tcp_rmem") + socket_buffer_max("tcp_wmem") + (24 << 20);
    let rows = bytes / 65_000 + 1;
    let server = MariaDb::start(MariaDbOptions::named("stream")).unwrap();
    server
        .run_script(&format!(
            "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY, v MEDIUMTEXT);
             DELIMITER //
             CREATE PROCEDURE s.fill(n INT) BEGIN
               DECLARE i INT DEFAULT 0;
               WHILE i < n DO
                 INSERT INTO s.t VALUES (i, REPEAT(CHAR(65 + i % 26), 65000));
                 SET i = i + 1;
               END WHILE;
             END //
             DELIMITER ;
             CALL s.fill({rows});
             UPDATE s.t SET v = 'short' WHERE id % 100 = 0;"
        ))
        .unwrap();
    server
}

/// Streams the busy server, interrupting it after 20 transactions with
/// `interrupt`; returns the transactions read and the reconnect count.
fn stream_through(server: &mut MariaDb, interrupt: fn(&mut MariaDb)) -> (Vec<ReadItem>, u32) {
    let rt = runtime();
    let connector = Connector::new(server.url(), vec![server.opts()]);
    let facts = facts(&rt, &connector).unwrap();
    let options = StreamOptions {
        retries: 8,
        backoff: Duration::from_millis(200),
        ..StreamOptions::default()
    };
    let oldest = facts.oldest().to_owned();
    let mut reader = LiveReader::new(
        Arc::clone(&rt),
        connector,
        facts,
        &oldest,
        false,
        options,
        ReaderOptions::default(),
    );
    let mut got: Vec<Result<ReadItem, ReadError>> = reader.by_ref().take(20).collect();
    interrupt(server);
    got.extend(reader.by_ref());
    (normalized(got.into_iter()), reader.reconnects())
}

#[test]
fn a_restarted_server_mid_stream_gives_the_same_transactions() {
    if !live_servers_available("a_restarted_server_mid_stream_gives_the_same_transactions") {
        return;
    }
    let mut server = busy_server();
    let expected = from_files(&server);
    assert!(expected.len() > 500, "{}", expected.len());

    // A clean restart: MariaDB may send the rest of the stream before it
    // stops; either way the result must be the same.
    let (got, _) = stream_through(&mut server, |s| s.restart().unwrap());
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }

    // A crash and restart cuts the connection mid-stream: the stream resumes
    // after the last complete transaction.
    let (got, reconnects) = stream_through(&mut server, |s| {
        s.kill();
        s.restart().unwrap();
    });
    assert!(reconnects >= 1, "the crash was not noticed mid-stream");
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
}

#[test]
fn privileges_and_purged_binlogs_are_named() {
    if !live_servers_available("privileges_and_purged_binlogs_are_named") {
        return;
    }
    let server = MariaDb::start(MariaDbOptions::named("grants")).unwrap();
    server
        .exec(
            "CREATE USER 'mon'@'127.0.0.1'; GRANT BINLOG MONITOR ON *.* TO 'mon'@'127.0.0.1';
             CREATE USER 'nobody'@'127.0.0.1';
             CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1)",
        )
        .unwrap();
    let rt = runtime();
    let as_user = |user: &str| {
        let opts = mysql_async::OptsBuilder::from_opts(server.opts()).user(Some(user));
        Connector::new(
            format!("mysql://{user}@127.0.0.1:{}/", server.port()),
            vec![opts.into()],
        )
    };

    // no BINLOG MONITOR: the binlog list is refused
    let err = facts(&rt, &as_user("nobody")).unwrap_err();
    assert!(
        matches!(&err, LiveError::MissingPrivilege { privilege, .. } if privilege == "BINLOG MONITOR"),
        "{err}"
    );
    assert!(err.to_string().contains("GRANT BINLOG MONITOR"), "{err}");

    // BINLOG MONITOR but no REPLICATION SLAVE: the stream is refused
    let mon = as_user("mon");
    let f = facts(&rt, &mon).unwrap();
    let oldest = f.oldest().to_owned();
    let mut reader = LiveReader::new(
        Arc::clone(&rt),
        mon,
        f,
        &oldest,
        false,
        StreamOptions::default(),
        ReaderOptions::default(),
    );
    let err = reader.next().unwrap().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("REPLICATION SLAVE"), "{text}");
    assert!(text.contains("GRANT REPLICATION SLAVE"), "{text}");
    assert!(reader.next().is_none());

    // a binlog purged after the facts were read
    let root = Connector::new(server.url(), vec![server.opts()]);
    let f = facts(&rt, &root).unwrap();
    let first = f.oldest().to_owned();
    let last = server.purge_all_but_newest_binlog().unwrap();
    let mut reader = LiveReader::new(
        Arc::clone(&rt),
        root,
        f,
        &first,
        false,
        StreamOptions::default(),
        ReaderOptions::default(),
    );
    let err = reader.next().unwrap().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "binlog {first} is no longer on the server (purged)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("the oldest binlog still available is {last}")),
        "{text}"
    );
}
