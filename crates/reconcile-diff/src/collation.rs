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

    /// [`weight`](Self::weight) appended to `out`, without allocating when the
    /// weight is a plain function of the bytes:
    ///
    /// - bytes that are all ASCII (`0x00..=0x7F`): every charset decoded here reads
    ///   them as the same characters, which NFD leaves alone, none of which is a
    ///   combining mark, and whose lowercase is their ASCII lowercase; so the weight
    ///   is the bytes without trailing spaces (PAD SPACE), lowercased (case-
    ///   insensitive);
    /// - a UTF-8 collation that neither folds case nor strips accents: its weight is
    ///   the bytes (valid or not) without trailing spaces (PAD SPACE), as a space is
    ///   never part of a multi-byte character;
    /// - a charset this code does not decode: the bytes, padded the same way.
    ///
    /// Anything else runs the full algorithm. Unit tests compare both paths on every
    /// rule, exhaustively over short strings and on random ones.
    pub fn weight_into(&self, bytes: &[u8], out: &mut Vec<u8>) {
        let plain = match self.decode {
            Decode::Unknown => true,
            Decode::Utf8 => !self.case_insensitive && !self.accent_insensitive,
            Decode::Latin1 => false,
        };
        if plain {
            out.extend_from_slice(self.pad(bytes));
        } else if bytes.is_ascii() {
            let start = out.len();
            out.extend_from_slice(self.pad(bytes));
            if self.case_insensitive {
                if let Some(added) = out.get_mut(start..) {
                    added.make_ascii_lowercase();
                }
            }
        } else {
            out.extend_from_slice(&self.weight(bytes));
        }
    }

    fn pad<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        if !self.pad_space {
            return bytes;
        }
        let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        bytes.get(..end).unwrap_or(bytes)
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

    /// Every rule the fields can make: a superset of those collations map to.
    fn every_rule() -> Vec<CompareRule> {
        let mut rules = Vec::new();
        for decode in [Decode::Utf8, Decode::Latin1, Decode::Unknown] {
            for bits in 0..8u8 {
                rules.push(CompareRule {
                    case_insensitive: bits & 1 != 0,
                    accent_insensitive: bits & 2 != 0,
                    pad_space: bits & 4 != 0,
                    decode,
                });
            }
        }
        rules
    }

    /// Whether `weight_into` appends exactly what `weight` returns.
    fn fast_is_slow(rule: &CompareRule, bytes: &[u8]) -> Result<(), String> {
        let mut out = vec![0xEE];
        rule.weight_into(bytes, &mut out);
        let slow = rule.weight(bytes);
        if out.first() == Some(&0xEE) && out.get(1..) == Some(slow.as_slice()) {
            Ok(())
        } else {
            Err(format!("{rule:?} of {bytes:x?}: {out:x?} vs {slow:x?}"))
        }
    }

    #[test]
    fn every_collation_has_a_tested_rule() {
        let rules = every_rule();
        let mut used = Vec::new();
        for id in 0..2048 {
            if let Some(r) = CompareRule::from_id(id) {
                assert!(rules.contains(&r), "{id}: {r:?}");
                if !used.contains(&r) {
                    used.push(r);
                }
            }
        }
        // binary, _bin, _ci, _cs, _ai, NO PAD, latin1, undecoded charsets ...
        assert!(used.len() >= 10, "{used:?}");
    }

    /// Under every rule, every string of one byte, and every string of two bytes of
    /// the fast path's alphabet: ASCII, or any byte under the rules that weigh bytes
    /// as they are.
    #[test]
    fn weight_into_is_weight_on_every_short_string() {
        for rule in every_rule() {
            let plain = rule.decode == Decode::Unknown
                || (rule.decode == Decode::Utf8
                    && !rule.case_insensitive
                    && !rule.accent_insensitive);
            let top: u16 = if plain { 256 } else { 128 };
            fast_is_slow(&rule, b"").unwrap();
            for a in 0..=255u8 {
                fast_is_slow(&rule, &[a]).unwrap();
            }
            for a in 0..top {
                for b in 0..top {
                    fast_is_slow(&rule, &[a as u8, b as u8]).unwrap();
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn weight_into_is_weight_on_random_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24),
        ) {
            for rule in every_rule() {
                fast_is_slow(&rule, &bytes).map_err(proptest::test_runner::TestCaseError::fail)?;
            }
        }

        #[test]
        fn weight_into_is_weight_on_random_ascii(text in "[ -~\\t\\x00]{0,24} {0,3}") {
            for rule in every_rule() {
                fast_is_slow(&rule, text.as_bytes())
                    .map_err(proptest::test_runner::TestCaseError::fail)?;
            }
        }

        #[test]
        fn weight_into_is_weight_on_random_text(text in "\\PC{0,12} {0,3}") {
            for rule in every_rule() {
                fast_is_slow(&rule, text.as_bytes())
                    .map_err(proptest::test_runner::TestCaseError::fail)?;
            }
        }
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
