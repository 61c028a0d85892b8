//! `reconcile schema dump` and `reconcile scan --schema mysql://…` against a real
//! server holding a fixture's schema. The binlogs come from the fixture's files; the
//! server only provides the schema, so the worksheet must be the one the fixture's
//! own `schema.sql` gives.

use std::path::Path;
use std::process::Output;

use reconcile_testkit::{live_servers_available, MariaDb, MariaDbOptions};

use crate::{reconcile, run, testdata};

const SECRET: &str = "Schema-pw-9Q";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Drops every user database, then loads `schema.sql` of `fixture`.
fn load(server: &MariaDb, fixture: &str) {
    for db in server.query::<String>("SHOW DATABASES").unwrap() {
        if !["mysql", "information_schema", "performance_schema", "sys"].contains(&db.as_str()) {
            server
                .exec(&format!("DROP DATABASE `{}`", db.replace('`', "``")))
                .unwrap();
        }
    }
    let sql = std::fs::read_to_string(testdata().join(fixture).join("schema.sql")).unwrap();
    server.run_script(&sql).unwrap();
}

/// `reconcile scan` of the fixture's binlog files with `--schema schema`, into `out`;
/// returns its worksheet.
fn scan(fixture: &str, schema: &str, extra: &[&str], out: &Path) -> String {
    let dir = testdata().join(fixture);
    let output = run(
        reconcile()
            .env("MYSQL_PWD", SECRET)
            .env("RECONCILE_LOG", "debug")
            .arg("scan")
            .arg("--east")
            .arg(dir.join("east"))
            .arg("--west")
            .arg(dir.join("west"))
            .args(["--schema", schema])
            .args(extra)
            .arg("--out")
            .arg(out),
        true,
    );
    assert!(!text(&output).contains(SECRET), "{}", text(&output));
    std::fs::read_to_string(out.join("conflicts.csv")).unwrap()
}

#[test]
fn a_dumped_or_live_schema_scans_like_the_fixture_schema() {
    if !live_servers_available("a_dumped_or_live_schema_scans_like_the_fixture_schema") {
        return;
    }
    let server = MariaDb::start(MariaDbOptions::named("schema-dump")).unwrap();
    server
        .exec(&format!(
            "CREATE USER ops@'127.0.0.1' IDENTIFIED BY '{SECRET}'; GRANT SELECT, TRIGGER ON *.* TO ops@'127.0.0.1'"
        ))
        .unwrap();
    let url = format!("mysql://ops@127.0.0.1:{}/", server.port());
    let tmp = tempfile::tempdir().unwrap();
    for (fixture, extra) in [
        (
            "conflicts",
            &["--volatile-columns", "shop.tickets.opened_at"][..],
        ),
        ("fk-cascade", &[][..]),
        ("triggers-generated", &[][..]),
        ("no-primary-key", &[][..]),
        ("collations", &[][..]),
    ] {
        load(&server, fixture);
        let dumped = run(
            reconcile()
                .env("MYSQL_PWD", SECRET)
                .env("RECONCILE_LOG", "debug")
                .args(["schema", "dump", "--target", &url]),
            true,
        );
        assert!(!text(&dumped).contains(SECRET), "{}", text(&dumped));
        let sql = String::from_utf8(dumped.stdout).unwrap();
        assert!(
            sql.starts_with(&format!("-- reconcile schema dump of {url}\n")),
            "{sql}"
        );
        assert!(sql.contains("CREATE TABLE"), "{sql}");
        let dump_file = tmp.path().join(format!("{fixture}.sql"));
        std::fs::write(&dump_file, &sql).unwrap();

        let file = testdata().join(fixture).join("schema.sql");
        let from_file = scan(
            fixture,
            file.to_str().unwrap(),
            extra,
            &tmp.path().join(format!("{fixture}-file")),
        );
        let from_dump = scan(
            fixture,
            dump_file.to_str().unwrap(),
            extra,
            &tmp.path().join(format!("{fixture}-dump")),
        );
        let from_url = scan(
            fixture,
            &url,
            extra,
            &tmp.path().join(format!("{fixture}-url")),
        );
        assert!(from_file.lines().count() > 1, "{fixture}: no items");
        assert_eq!(from_dump, from_file, "{fixture}: schema dump vs schema.sql");
        assert_eq!(from_url, from_file, "{fixture}: --schema URL vs schema.sql");
    }
}

#[test]
fn schema_dump_names_what_is_wrong_and_never_the_password() {
    if !live_servers_available("schema_dump_names_what_is_wrong_and_never_the_password") {
        return;
    }
    let server = MariaDb::start(MariaDbOptions::named("schema-refused")).unwrap();
    server
        .exec(&format!(
            "CREATE DATABASE app; CREATE TABLE app.t (id int PRIMARY KEY); \
             CREATE USER nobody@'127.0.0.1' IDENTIFIED BY '{SECRET}'"
        ))
        .unwrap();
    let url = format!("mysql://nobody@127.0.0.1:{}/", server.port());
    let dump = |password: &str, target: &str| {
        reconcile()
            .env("MYSQL_PWD", password)
            .env("RECONCILE_LOG", "debug")
            .args(["schema", "dump", "--target", target])
            .output()
            .unwrap()
    };

    // No privilege on any table: the SELECT privilege is named, exit code 2.
    let out = dump(SECRET, &url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("SELECT"), "{}", text(&out));
    assert!(text(&out).contains(&url), "{}", text(&out));
    assert!(!text(&out).contains(SECRET), "{}", text(&out));

    // A wrong password: the server is named, neither password is shown.
    let out = dump("Wrong-pw-3Z", &url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(&url), "{}", text(&out));
    assert!(!text(&out).contains("Wrong-pw-3Z"), "{}", text(&out));

    // A password in the URL is refused without echoing it; so is it for scan.
    let with_password = format!("mysql://nobody:{SECRET}@127.0.0.1:{}/", server.port());
    let out = dump("", &with_password);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains(SECRET), "{}", text(&out));
    let dir = testdata().join("conflicts");
    let tmp = tempfile::tempdir().unwrap();
    let out = reconcile()
        .arg("scan")
        .arg("--east")
        .arg(dir.join("east"))
        .arg("--west")
        .arg(dir.join("west"))
        .args(["--schema", &with_password])
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("MYSQL_PWD"), "{}", text(&out));
    assert!(!text(&out).contains(SECRET), "{}", text(&out));
}
