//! `read_schema` against a real server: for every fixture's SQL, the schema read
//! from information_schema equals the parsed `mariadb-dump --no-data --triggers` of
//! the same server, field by field; and privileges are named when missing.

use std::path::{Path, PathBuf};

use mysql_async::{Conn, OptsBuilder};
use reconcile_live::schema::{read_schema, ReadOptions, SYSTEM_DATABASES};
use reconcile_live::LiveError;
use reconcile_schema::{parse_schema, Schema};
use reconcile_testkit::{live_servers_available, MariaDb, MariaDbOptions, SplitBrainScript};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// `read_schema` as `user` (root when `None`).
fn read_as(server: &MariaDb, user: Option<(&str, &str)>) -> Result<Schema, LiveError> {
    let mut opts = OptsBuilder::from_opts(server.opts());
    if let Some((user, password)) = user {
        opts = opts.user(Some(user)).pass(Some(password));
    }
    let label = server.url();
    block_on(async move {
        let mut conn = Conn::new(opts).await.unwrap();
        let schema = read_schema(&mut conn, &label, &ReadOptions::default()).await;
        conn.disconnect().await.unwrap();
        schema
    })
}

fn read(server: &MariaDb) -> Schema {
    read_as(server, None).unwrap_or_else(|e| panic!("read_schema: {e}"))
}

/// The databases `read_schema` reads: all but the system ones and `reconcile`.
fn user_databases(server: &MariaDb) -> Vec<String> {
    server
        .query::<String>("SHOW DATABASES")
        .unwrap()
        .into_iter()
        .filter(|d| !SYSTEM_DATABASES.contains(&d.as_str()) && d != "reconcile")
        .collect()
}

/// The parsed `mariadb-dump --no-data --triggers` of every user database.
fn dumped(server: &MariaDb) -> Schema {
    let dbs = user_databases(server);
    let dbs: Vec<&str> = dbs.iter().map(String::as_str).collect();
    let text = server.dump_schema(&dbs).unwrap();
    parse_schema(&text).unwrap_or_else(|e| panic!("the dump does not parse: {e}\n{text}"))
}

/// Drops every user database (and `reconcile`), so the next script starts clean.
fn reset(server: &MariaDb) {
    for db in server.query::<String>("SHOW DATABASES").unwrap() {
        if !SYSTEM_DATABASES.contains(&db.as_str()) {
            server
                .exec(&format!("DROP DATABASE `{}`", db.replace('`', "``")))
                .unwrap();
        }
    }
}

/// Field by field, table by table, so that a failure names the table.
fn assert_same(live: &Schema, expected: &Schema, what: &str) {
    let names = |s: &Schema| s.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(live), names(expected), "{what}: tables");
    for (key, table) in &expected.tables {
        assert_eq!(live.tables.get(key), Some(table), "{what}: {key:?}");
    }
    assert_eq!(live.flavor, expected.flavor, "{what}: flavor");
}

/// The fixtures made by real servers (not `generator = mysql`), with their SQL.
fn fixtures() -> Vec<(String, SplitBrainScript)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.conf").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .filter(|d| {
            let conf = std::fs::read_to_string(d.join("scenario.conf")).unwrap();
            !conf.lines().any(|l| {
                l.split_once('=')
                    .is_some_and(|(k, v)| k.trim() == "generator" && v.trim() == "mysql")
            })
        })
        .map(|d| {
            let name = d.file_name().unwrap().to_string_lossy().into_owned();
            let script = SplitBrainScript::from_dir(&d).unwrap();
            (name, script)
        })
        .collect()
}

/// Corners of the model the fixtures do not reach: key order and prefixes, a
/// MariaDB long unique key, invisible and generated columns, odd identifiers and
/// labels, composite and cross-database foreign keys with every action, several
/// triggers in a set order, and objects that are not tables.
const CORNERS: &str = r#"
CREATE DATABASE edge2;
CREATE TABLE edge2.parent (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
CREATE DATABASE edge DEFAULT CHARACTER SET latin1;
USE edge;
CREATE TABLE p (
  a int NOT NULL,
  b varchar(30) NOT NULL,
  c text,
  d varchar(40) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  n int,
  PRIMARY KEY (a, b(10)),
  UNIQUE KEY u_null (c(20)),
  UNIQUE KEY u_multi (n, d(5)),
  UNIQUE KEY u_nn (b),
  UNIQUE KEY u_d (d),
  KEY plain (b),
  KEY ab (a, b)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE `odd ``name` (
  `id` int(5) unsigned zerofill NOT NULL AUTO_INCREMENT,
  `inv` int INVISIBLE,
  `g` int AS (length(`note`) + 1) VIRTUAL INVISIBLE,
  `note` varchar(20),
  `s` varchar(50) AS (concat('it''s ', `note`)) PERSISTENT,
  `e` enum('a''b','c\\d','x,y') NOT NULL DEFAULT 'x,y',
  `st` set('1','2') CHARACTER SET latin1,
  `j` json,
  `pa` int,
  `pb` varchar(30),
  `ü` char(3) CHARACTER SET utf8mb3,
  `bin` varbinary(8),
  `big` bigint(20) unsigned,
  `m` decimal(12,4) unsigned,
  `f` float(7,3),
  `t` datetime(3),
  PRIMARY KEY (`id`),
  CONSTRAINT zfk2 FOREIGN KEY (pa, pb) REFERENCES p (a, b) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT afk FOREIGN KEY (pa) REFERENCES p (a) ON DELETE NO ACTION,
  CONSTRAINT `x.db` FOREIGN KEY (pa) REFERENCES edge2.parent (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE `a.b` (k varchar(10) NOT NULL, v int, UNIQUE KEY k (k)) ENGINE=MyISAM;
CREATE TABLE nullable_unique (x int, y int NOT NULL, UNIQUE KEY ux (x), UNIQUE KEY uy (y)) ENGINE=Aria;
CREATE TABLE keyless (x int) ENGINE=InnoDB;
CREATE TABLE long_unique (c text, h int NOT NULL, UNIQUE KEY u_hash (c), UNIQUE KEY u_h (h)) ENGINE=InnoDB;
CREATE TABLE versioned (id int PRIMARY KEY, v int) WITH SYSTEM VERSIONING;
CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2;
CREATE SEQUENCE seq;
CREATE VIEW vw AS SELECT a FROM p;
CREATE TRIGGER t1 AFTER INSERT ON `odd ``name` FOR EACH ROW SET @a = 1;
CREATE TRIGGER t0 BEFORE INSERT ON `odd ``name` FOR EACH ROW SET @a = 1;
CREATE TRIGGER t2 BEFORE INSERT ON `odd ``name` FOR EACH ROW PRECEDES t0 SET @a = 1;
CREATE TRIGGER a9 BEFORE DELETE ON `odd ``name` FOR EACH ROW SET @a = 1;
CREATE TRIGGER b9 BEFORE UPDATE ON `odd ``name` FOR EACH ROW SET @a = 1;
DELIMITER ;;
CREATE TRIGGER p_au AFTER UPDATE ON p FOR EACH ROW BEGIN
  SET @x = 1;
  SET @y = 2;
END;;
DELIMITER ;
CREATE DATABASE reconcile;
CREATE TABLE reconcile.reconcile_journal (id int PRIMARY KEY);
"#;

#[test]
fn read_schema_equals_the_parsed_dump_for_every_fixture() {
    if !live_servers_available("read_schema_equals_the_parsed_dump_for_every_fixture") {
        return;
    }
    // One server for every fixture; each state starts from dropped databases.
    let server = MariaDb::start(MariaDbOptions::named("schema")).unwrap();
    reset(&server);
    server.run_script(CORNERS).unwrap();
    let live = read(&server);
    assert_same(&live, &dumped(&server), "corners");
    // The corners are really there.
    let odd = live.table("edge", "odd `name").unwrap();
    let names = |t: &reconcile_schema::TableSchema| {
        t.triggers
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(odd), ["t2", "t0", "t1", "b9", "a9"]);
    assert_eq!(odd.foreign_keys.len(), 3);
    assert!(odd.column("inv").unwrap().invisible);
    assert!(odd.column("s").unwrap().generated.as_ref().unwrap().stored);
    let p = live.table("edge", "p").unwrap();
    let unique: Vec<_> = p
        .unique_keys
        .iter()
        .map(|k| k.name.clone().unwrap())
        .collect();
    assert_eq!(unique, ["u_nn", "u_d", "u_null", "u_multi"]);
    assert_eq!(
        p.primary_key.as_ref().unwrap().columns[1].prefix_len,
        Some(10)
    );
    // MariaDB keeps a long (hash) unique key after the others.
    let long: Vec<_> = live
        .table("edge", "long_unique")
        .unwrap()
        .unique_keys
        .iter()
        .map(|k| k.name.clone().unwrap())
        .collect();
    assert_eq!(long, ["u_h", "u_hash"]);
    assert!(live.table("edge", "vw").is_none());
    assert!(live.table("edge", "seq").is_none());
    assert!(live.table("edge", "versioned").is_some());
    assert!(live.tables.keys().all(|(db, _)| db != "reconcile"));
    assert!(live.warnings.is_empty(), "{:?}", live.warnings);

    // What is rendered is read back the same.
    let rendered = reconcile_schema::render_schema(&live);
    let mut reparsed = parse_schema(&rendered).unwrap();
    reparsed.warnings.clear();
    assert_same(&reparsed, &live, "corners rendered");

    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 10,
        "only {} fixtures found",
        fixtures.len()
    );
    for (name, script) in &fixtures {
        let west_dump_file = testdata().join(name).join("schema.sql");
        let west_dump = parse_schema(&std::fs::read_to_string(&west_dump_file).unwrap()).unwrap();

        // The shared history, then East's own writes (DDL included).
        reset(&server);
        server.run_script(&script.shared).unwrap();
        assert_same(
            &read(&server),
            &dumped(&server),
            &format!("{name}: shared.sql"),
        );
        server.run_script(&script.east).unwrap();
        assert_same(
            &read(&server),
            &dumped(&server),
            &format!("{name}: shared.sql + east.sql"),
        );

        // West's state: its dump under testdata/ describes the same.
        reset(&server);
        server.run_script(&script.shared).unwrap();
        server.run_script(&script.west).unwrap();
        let live = read(&server);
        assert_same(
            &live,
            &dumped(&server),
            &format!("{name}: shared.sql + west.sql"),
        );
        assert_same(
            &live,
            &west_dump,
            &format!("{name}: shared.sql + west.sql vs schema.sql"),
        );

        // The committed dump itself, loaded.
        reset(&server);
        server
            .run_script(&std::fs::read_to_string(&west_dump_file).unwrap())
            .unwrap();
        let live = read(&server);
        assert_same(
            &live,
            &dumped(&server),
            &format!("{name}: schema.sql loaded"),
        );
        assert_same(
            &live,
            &west_dump,
            &format!("{name}: schema.sql loaded vs the file"),
        );
    }
}

#[test]
fn missing_privileges_are_named() {
    if !live_servers_available("missing_privileges_are_named") {
        return;
    }
    let server = MariaDb::start(MariaDbOptions::named("schema-privileges")).unwrap();
    server
        .run_script(
            "CREATE DATABASE app;
             CREATE TABLE app.t (id int PRIMARY KEY, secret varchar(10), v int);
             CREATE TRIGGER app.t_bi BEFORE INSERT ON app.t FOR EACH ROW SET NEW.v = 1;
             CREATE USER nobody@'127.0.0.1' IDENTIFIED BY 'pw-nobody';
             CREATE USER reader@'127.0.0.1' IDENTIFIED BY 'pw-reader';
             GRANT SELECT ON app.* TO reader@'127.0.0.1';
             CREATE USER colreader@'127.0.0.1' IDENTIFIED BY 'pw-columns';
             GRANT SELECT (id, v) ON app.t TO colreader@'127.0.0.1';
             CREATE USER trigreader@'127.0.0.1' IDENTIFIED BY 'pw-full';
             GRANT SELECT, TRIGGER ON app.* TO trigreader@'127.0.0.1';",
        )
        .unwrap();

    // No privilege on any table: information_schema lists nothing.
    let err = read_as(&server, Some(("nobody", "pw-nobody"))).unwrap_err();
    assert!(
        matches!(&err, LiveError::MissingPrivilege { privilege, .. } if privilege == "SELECT"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("SELECT") && text.contains(&server.url()),
        "{text}"
    );
    assert!(!text.contains("pw-nobody"), "{text}");

    // Some columns only.
    let err = read_as(&server, Some(("colreader", "pw-columns"))).unwrap_err();
    assert!(
        matches!(&err, LiveError::MissingPrivilege { privilege, .. } if privilege == "SELECT"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`app`.`t`"), "{err}");

    // SELECT without TRIGGER: the tables, and a warning that triggers are unseen.
    let schema = read_as(&server, Some(("reader", "pw-reader"))).unwrap();
    assert!(schema.table("app", "t").unwrap().triggers.is_empty());
    assert!(
        schema
            .warnings
            .iter()
            .any(|w| w.message.contains("TRIGGER") && w.message.contains("`app`")),
        "{:?}",
        schema.warnings
    );

    // SELECT and TRIGGER: everything, as root sees it.
    let schema = read_as(&server, Some(("trigreader", "pw-full"))).unwrap();
    assert!(schema.warnings.is_empty(), "{:?}", schema.warnings);
    assert_same(&schema, &read(&server), "SELECT, TRIGGER account");
}
