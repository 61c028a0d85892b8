//! MySQL binary DECIMAL (NEWDECIMAL) decoding to an exact decimal string.
//!
//! Layout: the integer part and the fraction part are each stored as groups
//! of 9 decimal digits in 4 big-endian bytes, with a shorter leading (integer)
//! or trailing (fraction) group for the leftover digits. The first bit is the
//! sign (1 = positive) and negative numbers have every byte inverted.

use crate::cursor::{Cursor, DResult};

const DIG_TO_BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

fn leftover_bytes(digits: usize) -> usize {
    DIG_TO_BYTES.get(digits).copied().unwrap_or(4)
}

/// Number of bytes a DECIMAL(precision, scale) value occupies.
pub(crate) fn decimal_size(precision: u8, scale: u8) -> Option<usize> {
    let (p, s) = (usize::from(precision), usize::from(scale));
    if s > p {
        return None;
    }
    let intg = p - s;
    Some(intg / 9 * 4 + leftover_bytes(intg % 9) + s / 9 * 4 + leftover_bytes(s % 9))
}

/// Decodes one DECIMAL(precision, scale) value.
pub(crate) fn decode_decimal(c: &mut Cursor<'_>, precision: u8, scale: u8) -> DResult<String> {
    let size = decimal_size(precision, scale)
        .ok_or_else(|| c.err(format!("invalid DECIMAL({precision},{scale})")))?;
    if size == 0 {
        return Ok("0".to_string());
    }
    let raw = c.take(size)?;
    decode_decimal_bytes(raw, precision, scale).ok_or_else(|| c.err("corrupt DECIMAL digits"))
}

/// Appends `v` as exactly `width` digits (`v < 10^width`).
fn push_digits(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    if let Some(digits) = out.get_mut(start..) {
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
}

/// Decodes from exactly `decimal_size` bytes. `None` when a digit group is
/// out of range (not produced by a server).
pub(crate) fn decode_decimal_bytes(raw: &[u8], precision: u8, scale: u8) -> Option<String> {
    let (p, s) = (usize::from(precision), usize::from(scale));
    let intg = p.checked_sub(s)?;
    let positive = raw.first()? & 0x80 != 0;
    // the sign bit is flipped, and a negative number has every byte inverted
    let mask: u8 = if positive { 0 } else { 0xff };
    let mut pos = 0usize;
    let mut group = |digits: usize| -> Option<u64> {
        let n = leftover_bytes(digits);
        let bytes = raw.get(pos..pos + n)?;
        let mut v = 0u64;
        for (i, &b) in bytes.iter().enumerate() {
            let b = if pos + i == 0 { b ^ 0x80 } else { b };
            v = (v << 8) | u64::from(b ^ mask);
        }
        pos += n;
        (v < 10u64.pow(digits as u32)).then_some(v)
    };
    let mut out: Vec<u8> = Vec::with_capacity(p + 3);
    if !positive {
        out.push(b'-');
    }
    let int_start = out.len();
    let lead = intg % 9;
    if lead > 0 {
        push_digits(&mut out, group(lead)?, lead);
    }
    for _ in 0..intg / 9 {
        push_digits(&mut out, group(9)?, 9);
    }
    // no leading zeros, but at least one digit
    let zeros = out
        .get(int_start..)
        .map_or(0, |d| d.iter().take_while(|&&c| c == b'0').count());
    out.drain(int_start..int_start + zeros);
    if out.len() == int_start {
        out.push(b'0');
    }
    if s > 0 {
        out.push(b'.');
    }
    for _ in 0..s / 9 {
        push_digits(&mut out, group(9)?, 9);
    }
    let trail = s % 9;
    if trail > 0 {
        push_digits(&mut out, group(trail)?, trail);
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    /// Encoder used only to build test bytes (mirror of the format).
    fn encode(text: &str, precision: u8, scale: u8) -> Vec<u8> {
        let (neg, t) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (ip, fp) = t.split_once('.').unwrap_or((t, ""));
        let intg = usize::from(precision - scale);
        let s = usize::from(scale);
        let ip = format!("{:0>width$}", ip, width = intg);
        let fp = format!("{:0<width$}", fp, width = s);
        let mut out = Vec::new();
        let lead = intg % 9;
        let mut pos = 0;
        if lead > 0 {
            let v: u64 = ip[..lead].parse().unwrap();
            let n = DIG_TO_BYTES[lead];
            out.extend_from_slice(&v.to_be_bytes()[8 - n..]);
            pos = lead;
        }
        while pos < intg {
            let v: u32 = ip[pos..pos + 9].parse().unwrap();
            out.extend_from_slice(&v.to_be_bytes());
            pos += 9;
        }
        let mut fpos = 0;
        while fpos + 9 <= s {
            let v: u32 = fp[fpos..fpos + 9].parse().unwrap();
            out.extend_from_slice(&v.to_be_bytes());
            fpos += 9;
        }
        if s % 9 > 0 {
            let v: u64 = fp[fpos..].parse().unwrap();
            let n = DIG_TO_BYTES[s % 9];
            out.extend_from_slice(&v.to_be_bytes()[8 - n..]);
        }
        out[0] ^= 0x80;
        if neg {
            for b in out.iter_mut() {
                *b = !*b;
            }
        }
        out
    }

    fn rt(text: &str, p: u8, s: u8) -> String {
        let bytes = encode(text, p, s);
        assert_eq!(bytes.len(), decimal_size(p, s).unwrap());
        decode_decimal(&mut Cursor::new(&bytes), p, s).unwrap()
    }

    #[test]
    fn known_bytes_from_mysql_docs() {
        // DECIMAL(14,4) 1234567890.1234 -> 81 0D FB 38 D2 04 D2
        let b = [0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2];
        assert_eq!(
            decode_decimal(&mut Cursor::new(&b), 14, 4).unwrap(),
            "1234567890.1234"
        );
        // the negative of it: every byte inverted
        let n: Vec<u8> = b.iter().map(|x| !x).collect();
        assert_eq!(
            decode_decimal(&mut Cursor::new(&n), 14, 4).unwrap(),
            "-1234567890.1234"
        );
    }

    #[test]
    fn roundtrips() {
        assert_eq!(rt("0.10000", 10, 5), "0.10000");
        assert_eq!(rt("-0.5", 3, 1), "-0.5");
        assert_eq!(rt("12345", 5, 0), "12345");
        assert_eq!(rt("-99999", 5, 0), "-99999");
        assert_eq!(rt("0", 10, 0), "0");
        let big = "12345678901234567890123456789012345.123456789012345678901234567890";
        assert_eq!(rt(big, 65, 30), big);
        let bign = "-99999999999999999999999999999999999.999999999999999999999999999999";
        assert_eq!(rt(bign, 65, 30), bign);
        assert_eq!(rt("1.000000001", 19, 9), "1.000000001");
    }

    /// The decoder as first written (strings formatted group by group), kept as a
    /// reference for the one-allocation decoder.
    fn reference(raw: &[u8], precision: u8, scale: u8) -> Option<String> {
        let (p, s) = (usize::from(precision), usize::from(scale));
        let intg = p.checked_sub(s)?;
        let mut buf = raw.to_vec();
        let first = buf.first_mut()?;
        let positive = *first & 0x80 != 0;
        *first ^= 0x80;
        if !positive {
            for b in buf.iter_mut() {
                *b = !*b;
            }
        }
        let mut c = Cursor::new(&buf);
        let mut int_part = String::new();
        let lead = intg % 9;
        if lead > 0 {
            let v = c.uint_be(leftover_bytes(lead)).ok()?;
            if v >= 10u64.pow(lead as u32) {
                return None;
            }
            int_part.push_str(&v.to_string());
        }
        for _ in 0..intg / 9 {
            let v = c.uint_be(4).ok()?;
            if v >= 1_000_000_000 {
                return None;
            }
            int_part.push_str(&format!("{v:09}"));
        }
        let trimmed = int_part.trim_start_matches('0');
        let int_part = if trimmed.is_empty() { "0" } else { trimmed };
        let mut frac = String::new();
        for _ in 0..s / 9 {
            let v = c.uint_be(4).ok()?;
            if v >= 1_000_000_000 {
                return None;
            }
            frac.push_str(&format!("{v:09}"));
        }
        let trail = s % 9;
        if trail > 0 {
            let v = c.uint_be(leftover_bytes(trail)).ok()?;
            if v >= 10u64.pow(trail as u32) {
                return None;
            }
            frac.push_str(&format!("{v:0width$}", width = trail));
        }
        let mut out = String::new();
        if !positive {
            out.push('-');
        }
        out.push_str(int_part);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&frac);
        }
        Some(out)
    }

    #[test]
    fn agrees_with_the_reference_on_any_bytes() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut valid = 0;
        for _ in 0..20_000 {
            let p = 1 + (next() % 65) as u8;
            let s = (next() % (u64::from(p.min(30)) + 1)) as u8;
            let size = decimal_size(p, s).unwrap();
            // small digit groups are valid more often: keep most bytes low
            let raw: Vec<u8> = (0..size)
                .map(|i| {
                    let r = next() as u8;
                    match (i, next() % 4) {
                        (0, _) => r,
                        (_, 0) => r,
                        _ => r & 0x07,
                    }
                })
                .collect();
            let got = decode_decimal_bytes(&raw, p, s);
            assert_eq!(got, reference(&raw, p, s), "{raw:02x?} DECIMAL({p},{s})");
            valid += usize::from(got.is_some());
        }
        assert!(valid > 500, "{valid}");
    }

    #[test]
    fn short_input_is_error() {
        assert!(decode_decimal(&mut Cursor::new(&[0x80]), 10, 2).is_err());
        assert!(decode_decimal(&mut Cursor::new(&[0x80]), 2, 5).is_err());
    }
}
