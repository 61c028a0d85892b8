//! Hostile input: the parser must return an error or warnings, never panic.

use reconcile_schema::parse_schema;

use crate::dumps::MARIADB_APP;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn must_not_panic(input: &str) {
    let result = std::panic::catch_unwind(|| parse_schema(input));
    assert!(result.is_ok(), "panicked on input:\n{input}");
}

#[test]
fn malformed_fragments() {
    let cases = [
        "",
        ";;;;",
        "'",
        "\"unterminated",
        "`unterminated",
        "/* unterminated comment",
        "/*!40101 unterminated executable",
        "/*M!",
        "/*!",
        "DELIMITER",
        "DELIMITER\n",
        "delimiter   \nCREATE TABLE t (a int);",
        "DELIMITER $$\nCREATE TABLE x.t (a int)$$\nDELIMITER ;",
        "CREATE TABLE",
        "CREATE TABLE t",
        "CREATE TABLE t (",
        "CREATE TABLE x.t (a int",
        "CREATE TABLE x.t (a int) ENGINE=",
        "CREATE TABLE x.t (a int, PRIMARY KEY (nope))",
        "CREATE TABLE x.t (a int, PRIMARY KEY (a), PRIMARY KEY (a))",
        "CREATE TABLE x.t (a int, a int)",
        "CREATE TABLE x.t (a int, KEY k (a(99999999999999999999)))",
        "CREATE TABLE x.t (a int, UNIQUE KEY k ((a + 1)))",
        "CREATE TABLE x.t LIKE x.nope",
        "CREATE TRIGGER",
        "CREATE TRIGGER t BEFORE INSERT ON",
        "CREATE DEFINER= TRIGGER",
        "USE",
        "USE ;",
        "DROP TABLE",
        "\u{0}\u{1}\u{2}\u{ffff}",
        "CREATE TABLE x.`\u{1F600}` (`\u{e9}` int)",
        "-- only a comment",
        "#",
        "--",
        "/**/",
        "/*!*/",
        "CREATE TABLE x.t (a enum(",
        "CREATE TABLE x.t (a int) PARTITION",
        "CREATE TABLE x.t (a int ZEROFILL ZEROFILL PERSISTENT CHARSET)",
        &"(".repeat(5000),
        &format!("CREATE TABLE x.t (a int DEFAULT {})", "(".repeat(3000)),
    ];
    for case in cases {
        must_not_panic(case);
    }
    // Specific expectations for a few.
    assert!(parse_schema("CREATE TABLE x.t (a int").is_err());
    assert!(parse_schema("CREATE TABLE x.t (a int, PRIMARY KEY (nope))").is_err());
    assert!(parse_schema("CREATE TABLE x.t (a int, a int)").is_err());
    let s = parse_schema("DELIMITER\nSELECT 1;").unwrap();
    assert!(s.warnings.iter().any(|w| w.message.contains("DELIMITER")));
    let s = parse_schema("SELECT 'abc").unwrap();
    assert!(!s.warnings.is_empty());
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x5EED_0001);
    for _ in 0..300 {
        let len = rng.below(400);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        must_not_panic(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn mutated_and_truncated_dumps() {
    let base: Vec<char> = MARIADB_APP.chars().collect();
    let alphabet: Vec<char> = "'\"`;()*/!-#\\,= \nDELIMITERCREATE TABLE KEY0123456789é"
        .chars()
        .collect();
    let mut rng = Rng(0x5EED_0002);
    let mut errors = 0;
    for round in 0..400 {
        let mut text = base.clone();
        if round % 4 == 0 {
            // Truncation at a random point.
            text.truncate(rng.below(base.len()));
        } else {
            // A few random edits: replace, insert or delete a character.
            for _ in 0..=rng.below(5) {
                let at = rng.below(text.len());
                let ch = alphabet[rng.below(alphabet.len())];
                match rng.below(3) {
                    0 if at < text.len() => text[at] = ch,
                    1 => text.insert(at, ch),
                    _ if at < text.len() => {
                        text.remove(at);
                    }
                    _ => {}
                }
            }
        }
        let input: String = text.into_iter().collect();
        let result = std::panic::catch_unwind(|| parse_schema(&input));
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                errors += 1;
                let msg = e.to_string();
                assert!(!msg.ends_with('.'), "{msg}");
            }
            Err(_) => panic!("panicked on round {round}:\n{input}"),
        }
    }
    // Mutations must sometimes break a CREATE TABLE, or the test tests nothing.
    assert!(errors > 0);
}
