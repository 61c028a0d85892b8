//! Compares decoded rows with `mysqlbinlog -vv` / `mariadb-binlog -vv` dumps.

use reconcile_binlog::{Row, RowOp, Transaction, Value};

#[derive(Debug, Default)]
pub struct DumpChange {
    pub op: String,
    pub before: Vec<(usize, String)>,
    pub after: Vec<(usize, String)>,
}

/// Parses the `###` lines of a verbose dump.
pub fn parse_dump(text: &str) -> Vec<DumpChange> {
    let mut out: Vec<DumpChange> = Vec::new();
    let mut in_set = false;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("### ") else {
            continue;
        };
        if rest.starts_with("INSERT INTO")
            || rest.starts_with("UPDATE ")
            || rest.starts_with("DELETE FROM")
        {
            out.push(DumpChange {
                op: rest.split_whitespace().next().unwrap().to_string(),
                ..Default::default()
            });
            in_set = rest.starts_with("INSERT");
        } else if rest.starts_with("WHERE") {
            in_set = false;
        } else if rest.starts_with("SET") {
            in_set = true;
        } else if let Some(v) = rest.trim_start().strip_prefix('@') {
            let (n, val) = v.split_once('=').unwrap();
            let val = match val.rfind(" /*") {
                Some(i) => &val[..i],
                None => val,
            };
            // -vv prints "(unsigned value)" after negative integers
            let val = match (val.starts_with('-'), val.find(" (")) {
                (true, Some(i)) if !val.starts_with("'") => &val[..i],
                _ => val,
            };
            let change = out.last_mut().unwrap();
            let slot = if in_set {
                &mut change.after
            } else {
                &mut change.before
            };
            slot.push((n.parse::<usize>().unwrap() - 1, val.to_string()));
        }
    }
    out
}

fn frac(micros: u32, fsp: u8) -> String {
    if fsp == 0 {
        String::new()
    } else {
        format!(".{}", &format!("{micros:06}")[..fsp as usize])
    }
}

fn quote(bytes: &[u8]) -> Option<String> {
    let mut s = String::from("'");
    for &b in bytes {
        match b {
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => return None,
        }
    }
    s.push('\'');
    Some(s)
}

/// Our value in the dump's notation, `None` when not comparable.
pub fn render(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Decimal(d) => d.clone(),
        Value::String { bytes, .. } | Value::Binary(bytes) => quote(&bytes.0)?,
        Value::Enum { index, .. } => index.to_string(),
        Value::Year(y) if *y != 0 => y.to_string(),
        Value::Date { year, month, day } => format!("'{year:04}:{month:02}:{day:02}'"),
        Value::Time {
            negative,
            hours,
            minutes,
            seconds,
            micros,
            fsp,
        } => format!(
            "'{}{hours:02}:{minutes:02}:{seconds:02}{}'",
            if *negative { "-" } else { "" },
            frac(*micros, *fsp)
        ),
        Value::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
            fsp,
        } => format!(
            "'{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}{}'",
            frac(*micros, *fsp)
        ),
        Value::Timestamp { secs, micros, fsp } => format!("{secs}{}", frac(*micros, *fsp)),
        Value::Bit { bits, bytes } => {
            let mut n: u128 = 0;
            for b in &bytes.0 {
                n = (n << 8) | u128::from(*b);
            }
            format!("b'{:0w$b}'", n, w = usize::from(*bits))
        }
        _ => return None,
    })
}

fn compare_image(ctx: &str, row: Option<&Row>, expected: &[(usize, String)]) -> usize {
    if expected.is_empty() {
        return 0;
    }
    let row = row.unwrap_or_else(|| panic!("{ctx}: image missing"));
    let mut compared = 0;
    for (i, want) in expected {
        let got = row
            .get(*i)
            .unwrap_or_else(|| panic!("{ctx}: column @{} absent", i + 1));
        if let Some(r) = render(got) {
            assert_eq!(&r, want, "{ctx}: column @{} ({got:?})", i + 1);
            compared += 1;
        }
    }
    compared
}

/// Asserts every row change matches the dump; returns the number of values compared.
pub fn assert_matches_dump(name: &str, trx: &[Transaction], dump: &str) -> usize {
    let expected = parse_dump(dump);
    let changes: Vec<_> = trx.iter().flat_map(|t| t.changes.iter()).collect();
    assert_eq!(
        changes.len(),
        expected.len(),
        "{name}: number of row changes"
    );
    let mut compared = 0;
    for (k, (c, e)) in changes.iter().zip(expected.iter()).enumerate() {
        let op = match c.op {
            RowOp::Insert => "INSERT",
            RowOp::Update => "UPDATE",
            RowOp::Delete => "DELETE",
        };
        assert_eq!(op, e.op, "{name}: change {k} operation");
        let ctx = format!("{name} change {k}");
        compared += compare_image(&ctx, c.before.as_ref(), &e.before);
        compared += compare_image(&ctx, c.after.as_ref(), &e.after);
    }
    compared
}
