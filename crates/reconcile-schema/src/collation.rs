//! Character sets and collations: names, numeric ids and comparison traits.
//!
//! Binlog `TABLE_MAP` metadata carries collation *ids*; dumps carry collation *names*;
//! a column declared with only `CHARACTER SET x` gets the server's default collation
//! for `x`, which depends on the server: MySQL 8.0+ made `utf8mb4_0900_ai_ci` the
//! default for `utf8mb4`, MySQL 5.7 and MariaDB use `utf8mb4_general_ci`.
//! [`default_collation`] takes the [`ServerFlavor`] for that reason.
//!
//! The id table holds every collation below id 248 (identical in MySQL and MariaDB),
//! MySQL 8's main `utf8mb4_0900_*` ids, and MariaDB's `NO PAD` ids (1024+) for the
//! common character sets. Rows were taken from `information_schema.COLLATIONS` of a
//! MariaDB 10.11 server; MySQL 8 ids were checked against its documentation. Names
//! use the `utf8mb3_` spelling; `utf8_` names are accepted as aliases.
//!
//! Comparison traits ([`traits`]) follow the naming convention of both servers:
//! `_ci`/`_cs`, `_ai`/`_as`, `_bin`; `_0900_` and `_nopad_` collations and `binary`
//! are `NO PAD`, everything else (including most `_bin`) is `PAD SPACE`.

use serde::{Deserialize, Serialize};

/// Which server's defaults to apply when a dump does not spell a collation out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ServerFlavor {
    /// MariaDB 10.x/11.x (up to 11.4, whose `utf8mb4` default is `utf8mb4_general_ci`).
    #[default]
    MariaDb,
    /// MySQL 5.7 (`utf8mb4` default `utf8mb4_general_ci`).
    MySql57,
    /// MySQL 8.0 and later (`utf8mb4` default `utf8mb4_0900_ai_ci`).
    MySql80,
}

/// How trailing spaces take part in comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PadAttribute {
    /// Trailing spaces are ignored: `'a' = 'a  '`.
    PadSpace,
    /// Trailing spaces are significant.
    NoPad,
}

/// One entry of the collation id table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collation {
    /// The id used in the binlog and the client protocol.
    pub id: u16,
    /// The collation name (`utf8mb3_` spelling).
    pub name: &'static str,
    /// Its character set.
    pub charset: &'static str,
    /// Whether it is its character set's default on MariaDB and MySQL 5.7.
    pub is_default: bool,
}

/// How a collation compares strings, as far as a diff needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollationTraits {
    /// `'a' = 'A'`.
    pub case_insensitive: bool,
    /// `'e' = 'é'`.
    pub accent_insensitive: bool,
    /// Trailing-space handling.
    pub pad: PadAttribute,
    /// Compares bytes or code points (`_bin`, `binary`): equal only if identical
    /// apart from trailing spaces under `PAD SPACE`.
    pub binary: bool,
}

const fn c(id: u16, name: &'static str, charset: &'static str, is_default: bool) -> Collation {
    Collation {
        id,
        name,
        charset,
        is_default,
    }
}

/// The collation with numeric id `id`, if it is in the table.
pub fn by_id(id: u16) -> Option<&'static Collation> {
    COLLATIONS.iter().find(|c| c.id == id)
}

/// The collation named `name` (case-insensitive; `utf8_` accepted for `utf8mb3_`).
pub fn by_name(name: &str) -> Option<&'static Collation> {
    let name = normalize_collation_name(name);
    COLLATIONS.iter().find(|c| c.name == name)
}

/// Lowercases a character set name and maps the alias `utf8` to `utf8mb3`.
pub fn normalize_charset_name(charset: &str) -> String {
    let lower = charset.to_ascii_lowercase();
    if lower == "utf8" {
        "utf8mb3".to_string()
    } else {
        lower
    }
}

/// Lowercases a collation name and maps `utf8_…` to `utf8mb3_…`.
pub fn normalize_collation_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.strip_prefix("utf8_") {
        Some(rest) => format!("utf8mb3_{rest}"),
        None => lower,
    }
}

/// The character set of collation `name`: from the table, else the part before the
/// first `_` (collation names start with their charset's name).
pub fn charset_of(name: &str) -> Option<String> {
    if let Some(c) = by_name(name) {
        return Some(c.charset.to_string());
    }
    let name = normalize_collation_name(name);
    if name == "binary" {
        return Some("binary".into());
    }
    name.split_once('_')
        .map(|(cs, _)| cs.to_string())
        .filter(|cs| !cs.is_empty())
}

/// The collation a column or table gets for `CHARACTER SET charset` without `COLLATE`.
pub fn default_collation(charset: &str, flavor: ServerFlavor) -> Option<&'static str> {
    let charset = normalize_charset_name(charset);
    if flavor == ServerFlavor::MySql80 && charset == "utf8mb4" {
        return Some("utf8mb4_0900_ai_ci");
    }
    COLLATIONS
        .iter()
        .find(|c| c.is_default && c.charset == charset)
        .map(|c| c.name)
}

/// Comparison traits of collation `name`, derived from its name.
pub fn traits(name: &str) -> CollationTraits {
    let name = normalize_collation_name(name);
    if name == "binary" {
        return CollationTraits {
            case_insensitive: false,
            accent_insensitive: false,
            pad: PadAttribute::NoPad,
            binary: true,
        };
    }
    let parts: Vec<&str> = name.split('_').collect();
    let has = |p: &str| parts.contains(&p);
    let binary = has("bin");
    let case_insensitive = has("ci") && !binary;
    let accent_insensitive = if has("ai") {
        true
    } else if has("as") || has("cs") || binary {
        false
    } else {
        case_insensitive
    };
    let pad = if has("nopad") || name.contains("_0900_") {
        PadAttribute::NoPad
    } else {
        PadAttribute::PadSpace
    };
    CollationTraits {
        case_insensitive,
        accent_insensitive,
        pad,
        binary,
    }
}

/// Known collations: id, name, charset, default for its charset (MariaDB/MySQL 5.7).
static COLLATIONS: &[Collation] = &[
    c(1, "big5_chinese_ci", "big5", true),
    c(2, "latin2_czech_cs", "latin2", false),
    c(3, "dec8_swedish_ci", "dec8", true),
    c(4, "cp850_general_ci", "cp850", true),
    c(5, "latin1_german1_ci", "latin1", false),
    c(6, "hp8_english_ci", "hp8", true),
    c(7, "koi8r_general_ci", "koi8r", true),
    c(8, "latin1_swedish_ci", "latin1", true),
    c(9, "latin2_general_ci", "latin2", true),
    c(10, "swe7_swedish_ci", "swe7", true),
    c(11, "ascii_general_ci", "ascii", true),
    c(12, "ujis_japanese_ci", "ujis", true),
    c(13, "sjis_japanese_ci", "sjis", true),
    c(14, "cp1251_bulgarian_ci", "cp1251", false),
    c(15, "latin1_danish_ci", "latin1", false),
    c(16, "hebrew_general_ci", "hebrew", true),
    c(18, "tis620_thai_ci", "tis620", true),
    c(19, "euckr_korean_ci", "euckr", true),
    c(20, "latin7_estonian_cs", "latin7", false),
    c(21, "latin2_hungarian_ci", "latin2", false),
    c(22, "koi8u_general_ci", "koi8u", true),
    c(23, "cp1251_ukrainian_ci", "cp1251", false),
    c(24, "gb2312_chinese_ci", "gb2312", true),
    c(25, "greek_general_ci", "greek", true),
    c(26, "cp1250_general_ci", "cp1250", true),
    c(27, "latin2_croatian_ci", "latin2", false),
    c(28, "gbk_chinese_ci", "gbk", true),
    c(29, "cp1257_lithuanian_ci", "cp1257", false),
    c(30, "latin5_turkish_ci", "latin5", true),
    c(31, "latin1_german2_ci", "latin1", false),
    c(32, "armscii8_general_ci", "armscii8", true),
    c(33, "utf8mb3_general_ci", "utf8mb3", true),
    c(34, "cp1250_czech_cs", "cp1250", false),
    c(35, "ucs2_general_ci", "ucs2", true),
    c(36, "cp866_general_ci", "cp866", true),
    c(37, "keybcs2_general_ci", "keybcs2", true),
    c(38, "macce_general_ci", "macce", true),
    c(39, "macroman_general_ci", "macroman", true),
    c(40, "cp852_general_ci", "cp852", true),
    c(41, "latin7_general_ci", "latin7", true),
    c(42, "latin7_general_cs", "latin7", false),
    c(43, "macce_bin", "macce", false),
    c(44, "cp1250_croatian_ci", "cp1250", false),
    c(45, "utf8mb4_general_ci", "utf8mb4", true),
    c(46, "utf8mb4_bin", "utf8mb4", false),
    c(47, "latin1_bin", "latin1", false),
    c(48, "latin1_general_ci", "latin1", false),
    c(49, "latin1_general_cs", "latin1", false),
    c(50, "cp1251_bin", "cp1251", false),
    c(51, "cp1251_general_ci", "cp1251", true),
    c(52, "cp1251_general_cs", "cp1251", false),
    c(53, "macroman_bin", "macroman", false),
    c(54, "utf16_general_ci", "utf16", true),
    c(55, "utf16_bin", "utf16", false),
    c(56, "utf16le_general_ci", "utf16le", true),
    c(57, "cp1256_general_ci", "cp1256", true),
    c(58, "cp1257_bin", "cp1257", false),
    c(59, "cp1257_general_ci", "cp1257", true),
    c(60, "utf32_general_ci", "utf32", true),
    c(61, "utf32_bin", "utf32", false),
    c(62, "utf16le_bin", "utf16le", false),
    c(63, "binary", "binary", true),
    c(64, "armscii8_bin", "armscii8", false),
    c(65, "ascii_bin", "ascii", false),
    c(66, "cp1250_bin", "cp1250", false),
    c(67, "cp1256_bin", "cp1256", false),
    c(68, "cp866_bin", "cp866", false),
    c(69, "dec8_bin", "dec8", false),
    c(70, "greek_bin", "greek", false),
    c(71, "hebrew_bin", "hebrew", false),
    c(72, "hp8_bin", "hp8", false),
    c(73, "keybcs2_bin", "keybcs2", false),
    c(74, "koi8r_bin", "koi8r", false),
    c(75, "koi8u_bin", "koi8u", false),
    c(77, "latin2_bin", "latin2", false),
    c(78, "latin5_bin", "latin5", false),
    c(79, "latin7_bin", "latin7", false),
    c(80, "cp850_bin", "cp850", false),
    c(81, "cp852_bin", "cp852", false),
    c(82, "swe7_bin", "swe7", false),
    c(83, "utf8mb3_bin", "utf8mb3", false),
    c(84, "big5_bin", "big5", false),
    c(85, "euckr_bin", "euckr", false),
    c(86, "gb2312_bin", "gb2312", false),
    c(87, "gbk_bin", "gbk", false),
    c(88, "sjis_bin", "sjis", false),
    c(89, "tis620_bin", "tis620", false),
    c(90, "ucs2_bin", "ucs2", false),
    c(91, "ujis_bin", "ujis", false),
    c(92, "geostd8_general_ci", "geostd8", true),
    c(93, "geostd8_bin", "geostd8", false),
    c(94, "latin1_spanish_ci", "latin1", false),
    c(95, "cp932_japanese_ci", "cp932", true),
    c(96, "cp932_bin", "cp932", false),
    c(97, "eucjpms_japanese_ci", "eucjpms", true),
    c(98, "eucjpms_bin", "eucjpms", false),
    c(99, "cp1250_polish_ci", "cp1250", false),
    c(101, "utf16_unicode_ci", "utf16", false),
    c(102, "utf16_icelandic_ci", "utf16", false),
    c(103, "utf16_latvian_ci", "utf16", false),
    c(104, "utf16_romanian_ci", "utf16", false),
    c(105, "utf16_slovenian_ci", "utf16", false),
    c(106, "utf16_polish_ci", "utf16", false),
    c(107, "utf16_estonian_ci", "utf16", false),
    c(108, "utf16_spanish_ci", "utf16", false),
    c(109, "utf16_swedish_ci", "utf16", false),
    c(110, "utf16_turkish_ci", "utf16", false),
    c(111, "utf16_czech_ci", "utf16", false),
    c(112, "utf16_danish_ci", "utf16", false),
    c(113, "utf16_lithuanian_ci", "utf16", false),
    c(114, "utf16_slovak_ci", "utf16", false),
    c(115, "utf16_spanish2_ci", "utf16", false),
    c(116, "utf16_roman_ci", "utf16", false),
    c(117, "utf16_persian_ci", "utf16", false),
    c(118, "utf16_esperanto_ci", "utf16", false),
    c(119, "utf16_hungarian_ci", "utf16", false),
    c(120, "utf16_sinhala_ci", "utf16", false),
    c(121, "utf16_german2_ci", "utf16", false),
    c(122, "utf16_croatian_mysql561_ci", "utf16", false),
    c(123, "utf16_unicode_520_ci", "utf16", false),
    c(124, "utf16_vietnamese_ci", "utf16", false),
    c(128, "ucs2_unicode_ci", "ucs2", false),
    c(129, "ucs2_icelandic_ci", "ucs2", false),
    c(130, "ucs2_latvian_ci", "ucs2", false),
    c(131, "ucs2_romanian_ci", "ucs2", false),
    c(132, "ucs2_slovenian_ci", "ucs2", false),
    c(133, "ucs2_polish_ci", "ucs2", false),
    c(134, "ucs2_estonian_ci", "ucs2", false),
    c(135, "ucs2_spanish_ci", "ucs2", false),
    c(136, "ucs2_swedish_ci", "ucs2", false),
    c(137, "ucs2_turkish_ci", "ucs2", false),
    c(138, "ucs2_czech_ci", "ucs2", false),
    c(139, "ucs2_danish_ci", "ucs2", false),
    c(140, "ucs2_lithuanian_ci", "ucs2", false),
    c(141, "ucs2_slovak_ci", "ucs2", false),
    c(142, "ucs2_spanish2_ci", "ucs2", false),
    c(143, "ucs2_roman_ci", "ucs2", false),
    c(144, "ucs2_persian_ci", "ucs2", false),
    c(145, "ucs2_esperanto_ci", "ucs2", false),
    c(146, "ucs2_hungarian_ci", "ucs2", false),
    c(147, "ucs2_sinhala_ci", "ucs2", false),
    c(148, "ucs2_german2_ci", "ucs2", false),
    c(149, "ucs2_croatian_mysql561_ci", "ucs2", false),
    c(150, "ucs2_unicode_520_ci", "ucs2", false),
    c(151, "ucs2_vietnamese_ci", "ucs2", false),
    c(159, "ucs2_general_mysql500_ci", "ucs2", false),
    c(160, "utf32_unicode_ci", "utf32", false),
    c(161, "utf32_icelandic_ci", "utf32", false),
    c(162, "utf32_latvian_ci", "utf32", false),
    c(163, "utf32_romanian_ci", "utf32", false),
    c(164, "utf32_slovenian_ci", "utf32", false),
    c(165, "utf32_polish_ci", "utf32", false),
    c(166, "utf32_estonian_ci", "utf32", false),
    c(167, "utf32_spanish_ci", "utf32", false),
    c(168, "utf32_swedish_ci", "utf32", false),
    c(169, "utf32_turkish_ci", "utf32", false),
    c(170, "utf32_czech_ci", "utf32", false),
    c(171, "utf32_danish_ci", "utf32", false),
    c(172, "utf32_lithuanian_ci", "utf32", false),
    c(173, "utf32_slovak_ci", "utf32", false),
    c(174, "utf32_spanish2_ci", "utf32", false),
    c(175, "utf32_roman_ci", "utf32", false),
    c(176, "utf32_persian_ci", "utf32", false),
    c(177, "utf32_esperanto_ci", "utf32", false),
    c(178, "utf32_hungarian_ci", "utf32", false),
    c(179, "utf32_sinhala_ci", "utf32", false),
    c(180, "utf32_german2_ci", "utf32", false),
    c(181, "utf32_croatian_mysql561_ci", "utf32", false),
    c(182, "utf32_unicode_520_ci", "utf32", false),
    c(183, "utf32_vietnamese_ci", "utf32", false),
    c(192, "utf8mb3_unicode_ci", "utf8mb3", false),
    c(193, "utf8mb3_icelandic_ci", "utf8mb3", false),
    c(194, "utf8mb3_latvian_ci", "utf8mb3", false),
    c(195, "utf8mb3_romanian_ci", "utf8mb3", false),
    c(196, "utf8mb3_slovenian_ci", "utf8mb3", false),
    c(197, "utf8mb3_polish_ci", "utf8mb3", false),
    c(198, "utf8mb3_estonian_ci", "utf8mb3", false),
    c(199, "utf8mb3_spanish_ci", "utf8mb3", false),
    c(200, "utf8mb3_swedish_ci", "utf8mb3", false),
    c(201, "utf8mb3_turkish_ci", "utf8mb3", false),
    c(202, "utf8mb3_czech_ci", "utf8mb3", false),
    c(203, "utf8mb3_danish_ci", "utf8mb3", false),
    c(204, "utf8mb3_lithuanian_ci", "utf8mb3", false),
    c(205, "utf8mb3_slovak_ci", "utf8mb3", false),
    c(206, "utf8mb3_spanish2_ci", "utf8mb3", false),
    c(207, "utf8mb3_roman_ci", "utf8mb3", false),
    c(208, "utf8mb3_persian_ci", "utf8mb3", false),
    c(209, "utf8mb3_esperanto_ci", "utf8mb3", false),
    c(210, "utf8mb3_hungarian_ci", "utf8mb3", false),
    c(211, "utf8mb3_sinhala_ci", "utf8mb3", false),
    c(212, "utf8mb3_german2_ci", "utf8mb3", false),
    c(213, "utf8mb3_croatian_mysql561_ci", "utf8mb3", false),
    c(214, "utf8mb3_unicode_520_ci", "utf8mb3", false),
    c(215, "utf8mb3_vietnamese_ci", "utf8mb3", false),
    c(223, "utf8mb3_general_mysql500_ci", "utf8mb3", false),
    c(224, "utf8mb4_unicode_ci", "utf8mb4", false),
    c(225, "utf8mb4_icelandic_ci", "utf8mb4", false),
    c(226, "utf8mb4_latvian_ci", "utf8mb4", false),
    c(227, "utf8mb4_romanian_ci", "utf8mb4", false),
    c(228, "utf8mb4_slovenian_ci", "utf8mb4", false),
    c(229, "utf8mb4_polish_ci", "utf8mb4", false),
    c(230, "utf8mb4_estonian_ci", "utf8mb4", false),
    c(231, "utf8mb4_spanish_ci", "utf8mb4", false),
    c(232, "utf8mb4_swedish_ci", "utf8mb4", false),
    c(233, "utf8mb4_turkish_ci", "utf8mb4", false),
    c(234, "utf8mb4_czech_ci", "utf8mb4", false),
    c(235, "utf8mb4_danish_ci", "utf8mb4", false),
    c(236, "utf8mb4_lithuanian_ci", "utf8mb4", false),
    c(237, "utf8mb4_slovak_ci", "utf8mb4", false),
    c(238, "utf8mb4_spanish2_ci", "utf8mb4", false),
    c(239, "utf8mb4_roman_ci", "utf8mb4", false),
    c(240, "utf8mb4_persian_ci", "utf8mb4", false),
    c(241, "utf8mb4_esperanto_ci", "utf8mb4", false),
    c(242, "utf8mb4_hungarian_ci", "utf8mb4", false),
    c(243, "utf8mb4_sinhala_ci", "utf8mb4", false),
    c(244, "utf8mb4_german2_ci", "utf8mb4", false),
    c(245, "utf8mb4_croatian_mysql561_ci", "utf8mb4", false),
    c(246, "utf8mb4_unicode_520_ci", "utf8mb4", false),
    c(247, "utf8mb4_vietnamese_ci", "utf8mb4", false),
    c(1032, "latin1_swedish_nopad_ci", "latin1", false),
    c(1033, "latin2_general_nopad_ci", "latin2", false),
    c(1035, "ascii_general_nopad_ci", "ascii", false),
    c(1050, "cp1250_general_nopad_ci", "cp1250", false),
    c(1057, "utf8mb3_general_nopad_ci", "utf8mb3", false),
    c(1059, "ucs2_general_nopad_ci", "ucs2", false),
    c(1069, "utf8mb4_general_nopad_ci", "utf8mb4", false),
    c(1070, "utf8mb4_nopad_bin", "utf8mb4", false),
    c(1071, "latin1_nopad_bin", "latin1", false),
    c(1074, "cp1251_nopad_bin", "cp1251", false),
    c(1075, "cp1251_general_nopad_ci", "cp1251", false),
    c(1078, "utf16_general_nopad_ci", "utf16", false),
    c(1079, "utf16_nopad_bin", "utf16", false),
    c(1084, "utf32_general_nopad_ci", "utf32", false),
    c(1085, "utf32_nopad_bin", "utf32", false),
    c(1089, "ascii_nopad_bin", "ascii", false),
    c(1090, "cp1250_nopad_bin", "cp1250", false),
    c(1101, "latin2_nopad_bin", "latin2", false),
    c(1107, "utf8mb3_nopad_bin", "utf8mb3", false),
    c(1114, "ucs2_nopad_bin", "ucs2", false),
    c(1125, "utf16_unicode_nopad_ci", "utf16", false),
    c(1147, "utf16_unicode_520_nopad_ci", "utf16", false),
    c(1152, "ucs2_unicode_nopad_ci", "ucs2", false),
    c(1174, "ucs2_unicode_520_nopad_ci", "ucs2", false),
    c(1184, "utf32_unicode_nopad_ci", "utf32", false),
    c(1206, "utf32_unicode_520_nopad_ci", "utf32", false),
    c(1216, "utf8mb3_unicode_nopad_ci", "utf8mb3", false),
    c(1238, "utf8mb3_unicode_520_nopad_ci", "utf8mb3", false),
    c(1248, "utf8mb4_unicode_nopad_ci", "utf8mb4", false),
    c(1270, "utf8mb4_unicode_520_nopad_ci", "utf8mb4", false),
    // MySQL 8.0 only.
    c(76, "utf8mb3_tolower_ci", "utf8mb3", false),
    c(255, "utf8mb4_0900_ai_ci", "utf8mb4", false),
    c(278, "utf8mb4_0900_as_cs", "utf8mb4", false),
    c(305, "utf8mb4_0900_as_ci", "utf8mb4", false),
    c(309, "utf8mb4_0900_bin", "utf8mb4", false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binlog_ids_map_to_names() {
        let cases = [
            (8, "latin1_swedish_ci", "latin1"),
            (33, "utf8mb3_general_ci", "utf8mb3"),
            (35, "ucs2_general_ci", "ucs2"),
            (45, "utf8mb4_general_ci", "utf8mb4"),
            (46, "utf8mb4_bin", "utf8mb4"),
            (47, "latin1_bin", "latin1"),
            (51, "cp1251_general_ci", "cp1251"),
            (63, "binary", "binary"),
            (83, "utf8mb3_bin", "utf8mb3"),
            (192, "utf8mb3_unicode_ci", "utf8mb3"),
            (224, "utf8mb4_unicode_ci", "utf8mb4"),
            (255, "utf8mb4_0900_ai_ci", "utf8mb4"),
            (309, "utf8mb4_0900_bin", "utf8mb4"),
            (1070, "utf8mb4_nopad_bin", "utf8mb4"),
        ];
        for (id, name, charset) in cases {
            let c = by_id(id).unwrap();
            assert_eq!((c.name, c.charset), (name, charset), "id {id}");
            assert_eq!(by_name(name).unwrap().id, id);
        }
        assert!(by_id(9999).is_none());
        assert!(COLLATIONS.len() >= 40);
    }

    #[test]
    fn ids_are_unique() {
        for (i, a) in COLLATIONS.iter().enumerate() {
            for b in COLLATIONS.iter().skip(i + 1) {
                assert!(a.id != b.id && a.name != b.name, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn defaults_depend_on_flavor() {
        assert_eq!(
            default_collation("utf8mb4", ServerFlavor::MariaDb),
            Some("utf8mb4_general_ci")
        );
        assert_eq!(
            default_collation("utf8mb4", ServerFlavor::MySql57),
            Some("utf8mb4_general_ci")
        );
        assert_eq!(
            default_collation("UTF8MB4", ServerFlavor::MySql80),
            Some("utf8mb4_0900_ai_ci")
        );
        assert_eq!(
            default_collation("utf8", ServerFlavor::MySql80),
            Some("utf8mb3_general_ci")
        );
        assert_eq!(
            default_collation("latin1", ServerFlavor::MySql80),
            Some("latin1_swedish_ci")
        );
        assert_eq!(
            default_collation("binary", ServerFlavor::MariaDb),
            Some("binary")
        );
        assert_eq!(default_collation("nonesuch", ServerFlavor::MariaDb), None);
    }

    #[test]
    fn traits_follow_names() {
        let t = traits("utf8mb4_general_ci");
        assert!(t.case_insensitive && t.accent_insensitive && !t.binary);
        assert_eq!(t.pad, PadAttribute::PadSpace);
        let t = traits("utf8mb4_0900_ai_ci");
        assert!(t.case_insensitive && t.accent_insensitive);
        assert_eq!(t.pad, PadAttribute::NoPad);
        let t = traits("utf8mb4_0900_as_cs");
        assert!(!t.case_insensitive && !t.accent_insensitive);
        let t = traits("utf8mb4_bin");
        assert!(t.binary && !t.case_insensitive);
        assert_eq!(t.pad, PadAttribute::PadSpace);
        assert_eq!(traits("utf8mb4_0900_bin").pad, PadAttribute::NoPad);
        assert_eq!(traits("utf8mb4_nopad_bin").pad, PadAttribute::NoPad);
        assert_eq!(traits("latin1_swedish_nopad_ci").pad, PadAttribute::NoPad);
        assert_eq!(traits("binary").pad, PadAttribute::NoPad);
        assert!(traits("binary").binary);
        assert!(!traits("latin1_general_cs").case_insensitive);
    }

    #[test]
    fn charsets_of_collations() {
        assert_eq!(charset_of("utf8_general_ci").as_deref(), Some("utf8mb3"));
        assert_eq!(
            charset_of("utf8mb4_uca1400_ai_ci").as_deref(),
            Some("utf8mb4")
        );
        assert_eq!(charset_of("binary").as_deref(), Some("binary"));
        assert_eq!(charset_of("").as_deref(), None);
    }
}
