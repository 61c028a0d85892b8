//! Key equality as the server sees it: under a column's collation, `'Erin@X'` and
//! `'erin@x'` may be the same key, and `'a '` and `'a'` too (PAD SPACE).

use reconcile_schema::collation::{by_id, by_name, traits, PadAttribute};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// How a character set's bytes become characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decode {
    Utf8,
    Latin1,
    /// A charset this code does not decode: only exact byte comparison is possible.
    Unknown,
}

/// How one column compares for identity and uniqueness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompareRule {
    case_insensitive: bool,
    accent_insensitive: bool,
    pad_space: bool,
    decode: Decode,
}

impl CompareRule {
    fn new(name: &str, charset: &str) -> CompareRule {
        let t = traits(name);
        let decode = match charset {
            "utf8mb4" | "utf8mb3" | "utf8" | "ascii" => Decode::Utf8,
            "latin1" => Decode::Latin1,
            _ => Decode::Unknown,
        };
        CompareRule {
            case_insensitive: t.case_insensitive && !t.binary,
            accent_insensitive: t.accent_insensitive && !t.binary,
            pad_space: t.pad == PadAttribute::PadSpace,
            decode,
        }
    }

    /// The rule of a collation id from the binlog's table map.
    pub fn from_id(id: u32) -> Option<CompareRule> {
        let c = by_id(u16::try_from(id).ok()?)?;
        Some(CompareRule::new(c.name, c.charset))
    }

    /// The rule of a collation named in `--schema`.
    pub fn from_name(name: &str) -> Option<CompareRule> {
        let c = by_name(name)?;
        Some(CompareRule::new(c.name, c.charset))
    }

    /// Whether comparing bytes is not enough and the charset cannot be decoded.
    pub fn is_uncertain(&self) -> bool {
        self.decode == Decode::Unknown && (self.case_insensitive || self.accent_insensitive)
    }

    /// A byte string equal for two values exactly when the collation says they are
    /// equal (as far as case folding, accent stripping and padding go).
    pub fn weight(&self, bytes: &[u8]) -> Vec<u8> {
        let text: String = match self.decode {
            Decode::Utf8 => match std::str::from_utf8(bytes) {
                Ok(t) => t.to_owned(),
                Err(_) => return self.pad(bytes).to_vec(),
            },
            Decode::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
            Decode::Unknown => return self.pad(bytes).to_vec(),
        };
        let mut text = if self.pad_space {
            text.trim_end_matches(' ').to_owned()
        } else {
            text
        };
        if self.accent_insensitive {
            text = text.nfd().filter(|c| !is_combining_mark(*c)).collect();
        }
        if self.case_insensitive {
            text = text.chars().flat_map(char::to_lowercase).collect();
        }
        text.into_bytes()
    }

    fn pad<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        if !self.pad_space {
            return bytes;
        }
        let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        &bytes[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(collation: &str, a: &str, b: &str) -> bool {
        let r = CompareRule::from_name(collation).unwrap();
        r.weight(a.as_bytes()) == r.weight(b.as_bytes())
    }

    #[test]
    fn case_insensitive_collations_fold_case() {
        assert!(same("utf8mb4_general_ci", "Erin@X", "erin@x"));
        assert!(!same("utf8mb4_bin", "Erin@X", "erin@x"));
        assert!(same("utf8mb4_unicode_ci", "Zoë", "zoe"));
    }

    #[test]
    fn pad_space_ignores_trailing_spaces_and_no_pad_does_not() {
        assert!(same("utf8mb4_bin", "pad ", "pad"));
        assert!(same("utf8mb4_general_ci", "pad  ", "PAD"));
        assert!(!same("utf8mb4_nopad_bin", "q ", "q"));
        assert!(!same("utf8mb4_0900_ai_ci", "q ", "q"));
        assert!(same("utf8mb4_0900_ai_ci", "Q", "q"));
    }

    #[test]
    fn latin1_bytes_are_decoded() {
        let r = CompareRule::from_name("latin1_swedish_ci").unwrap();
        assert_eq!(r.weight(&[0xC4, b'P']), r.weight(&[0xE4, b'p']));
    }

    #[test]
    fn undecodable_case_insensitive_charsets_are_uncertain() {
        assert!(CompareRule::from_name("cp1251_general_ci")
            .unwrap()
            .is_uncertain());
        assert!(!CompareRule::from_name("utf8mb4_general_ci")
            .unwrap()
            .is_uncertain());
    }
}
