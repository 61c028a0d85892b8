//! Hand-written inputs: a mysqldump 8.0-style dump and small DDL scripts.

use reconcile_schema::{
    parse_schema, parse_schema_with, FkAction, ParseOptions, SchemaError, ServerFlavor,
    TriggerEvent, TriggerTiming,
};

use crate::parse;

/// In the style of `mysqldump --no-data --triggers --databases inv crm` (MySQL 8.0).
const MYSQL80_DUMP: &str = r#"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: inv
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;
SET @@SESSION.SQL_LOG_BIN= 0;

--
-- GTID state at the beginning of the backup
--

SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5';

--
-- Current Database: `inv`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `inv` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */;

USE `inv`;

--
-- Table structure for table `items`
--

DROP TABLE IF EXISTS `items`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `items` (
  `a` int NOT NULL,
  `b` varchar(20) COLLATE utf8mb4_bin NOT NULL,
  `name` varchar(100) NOT NULL,
  `code` char(8) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT NULL,
  `qty` int unsigned zerofill DEFAULT NULL,
  `price` decimal(10,2) NOT NULL DEFAULT '0.00',
  `total` decimal(12,2) GENERATED ALWAYS AS ((`qty` * `price`)) VIRTUAL,
  `slug` varchar(100) GENERATED ALWAYS AS (lower(`name`)) STORED,
  `note` text /*!80023 INVISIBLE */,
  `created` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `tag` varchar(10) CHARACTER SET utf8mb4 DEFAULT NULL,
  `legacy` varchar(10) CHARACTER SET utf8mb3 DEFAULT NULL,
  `doc` json DEFAULT NULL,
  `raw` varbinary(16) DEFAULT NULL,
  PRIMARY KEY (`b`,`a`),
  UNIQUE KEY `uk_code` (`code`(4)),
  KEY `ix_name` (`name`(10)),
  KEY `ix_total` (`total`) /*!80000 INVISIBLE */,
  KEY `ix_expr` ((lower(`name`))),
  CONSTRAINT `items_chk_1` CHECK ((`price` >= 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci
/*!50100 PARTITION BY KEY (a)
PARTITIONS 4 */;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Table structure for table `events`
--

DROP TABLE IF EXISTS `events`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `events` (
  `ts` timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  `item_a` int DEFAULT NULL,
  `item_b` varchar(20) COLLATE utf8mb4_bin DEFAULT NULL,
  `msg` varchar(200) DEFAULT NULL,
  KEY `fk_ev_item` (`item_b`,`item_a`),
  CONSTRAINT `fk_ev_item` FOREIGN KEY (`item_b`, `item_a`) REFERENCES `items` (`b`, `a`) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET character_set_client  = utf8mb4 */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER `items_au` AFTER UPDATE ON `items` FOR EACH ROW BEGIN
  -- keep a trail; "quotes" and ; inside
  INSERT INTO `events` (item_a, item_b, msg) VALUES (NEW.a, NEW.b, CONCAT('upd;', OLD.qty, ' */ ', NEW.qty));
END */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER `items_bd` BEFORE DELETE ON `items` FOR EACH ROW FOLLOWS `items_au` SET @deleted = @deleted + 1 */;;
DELIMITER ;

--
-- Current Database: `crm`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `crm` /*!40100 DEFAULT CHARACTER SET latin1 */ /*!80016 DEFAULT ENCRYPTION='N' */;

USE `crm`;

--
-- Table structure for table `contacts`
--

DROP TABLE IF EXISTS `contacts`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `contacts` (
  `email` varchar(120) NOT NULL,
  `phone` varchar(20) DEFAULT NULL,
  `item_a` int NOT NULL,
  `item_b` varchar(20) NOT NULL,
  UNIQUE KEY `uk_phone` (`phone`),
  UNIQUE KEY `uk_email` (`email`),
  CONSTRAINT `fk_contact_item` FOREIGN KEY (`item_b`, `item_a`) REFERENCES `inv`.`items` (`b`, `a`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Temporary view structure for view `v_contacts`
--

DROP TABLE IF EXISTS `v_contacts`;
/*!50001 DROP VIEW IF EXISTS `v_contacts`*/;
SET @saved_cs_client     = @@character_set_client;
/*!50503 SET character_set_client = utf8mb4 */;
/*!50001 CREATE VIEW `v_contacts` AS SELECT 
 1 AS `email`*/;
SET character_set_client = @saved_cs_client;
SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-03-01 12:00:00
"#;

#[test]
fn mysql80_dump() {
    let s = parse(MYSQL80_DUMP);
    assert_eq!(s.flavor, ServerFlavor::MySql80);
    let names: Vec<_> = s.tables.keys().map(|(d, t)| format!("{d}.{t}")).collect();
    assert_eq!(names, ["crm.contacts", "inv.events", "inv.items"]);

    let items = s.table("inv", "items").unwrap();
    assert_eq!(
        items.default_collation.as_deref(),
        Some("utf8mb4_0900_ai_ci")
    );
    let pk = items.primary_key.as_ref().unwrap();
    assert_eq!(pk.column_names().collect::<Vec<_>>(), ["b", "a"]);
    assert_eq!(items.identity_key(), Some(pk));
    let col = |n: &str| items.column(n).unwrap();
    assert_eq!(col("b").collation.as_deref(), Some("utf8mb4_bin"));
    assert_eq!(col("name").collation.as_deref(), Some("utf8mb4_0900_ai_ci"));
    assert_eq!(col("code").collation.as_deref(), Some("latin1_bin"));
    assert_eq!(col("code").charset.as_deref(), Some("latin1"));
    assert_eq!(col("tag").collation.as_deref(), Some("utf8mb4_0900_ai_ci"));
    assert_eq!(
        col("legacy").collation.as_deref(),
        Some("utf8mb3_general_ci")
    );
    assert_eq!(col("legacy").charset.as_deref(), Some("utf8mb3"));
    assert!(col("qty").unsigned);
    assert_eq!(col("doc").data_type, "json");
    assert_eq!(col("doc").collation, None);
    assert_eq!(col("raw").collation, None);
    assert_eq!(col("created").type_params.fsp, Some(3));
    assert!(!col("total").generated.as_ref().unwrap().stored);
    assert!(col("slug").generated.as_ref().unwrap().stored);
    assert!(col("note").invisible);
    assert!(!col("name").invisible);
    assert!(!col("a").nullable && !col("b").nullable);
    let uk = &items.unique_keys;
    assert_eq!(uk.len(), 1);
    assert_eq!(uk[0].columns[0].prefix_len, Some(4));

    let triggers: Vec<_> = items
        .triggers
        .iter()
        .map(|t| (t.name.as_str(), t.timing, t.event))
        .collect();
    assert_eq!(
        triggers,
        [
            ("items_au", TriggerTiming::After, TriggerEvent::Update),
            ("items_bd", TriggerTiming::Before, TriggerEvent::Delete),
        ]
    );

    let events = s.table("inv", "events").unwrap();
    assert!(events.identity_key().is_none());
    let fk = &events.foreign_keys[0];
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (FkAction::SetNull, FkAction::Cascade)
    );

    let contacts = s.table("crm", "contacts").unwrap();
    assert_eq!(
        contacts.default_collation.as_deref(),
        Some("latin1_swedish_ci")
    );
    // uk_phone is nullable; uk_email is the identity.
    assert_eq!(
        contacts.identity_key().unwrap().name.as_deref(),
        Some("uk_email")
    );
    let fk = &contacts.foreign_keys[0];
    assert_eq!(
        (fk.ref_schema.as_str(), fk.ref_table.as_str()),
        ("inv", "items")
    );
    assert_eq!(fk.on_delete, FkAction::Cascade);
    assert_eq!(fk.on_update, FkAction::Restrict);

    let mut children: Vec<_> = s
        .children_of("inv", "items")
        .map(|(t, fk)| {
            format!(
                "{}.{}:{}",
                t.schema,
                t.name,
                fk.name.as_deref().unwrap_or("")
            )
        })
        .collect();
    children.sort();
    assert_eq!(
        children,
        ["crm.contacts:fk_contact_item", "inv.events:fk_ev_item"]
    );
}

#[test]
fn flavor_can_be_forced() {
    let ddl = "CREATE DATABASE d DEFAULT CHARACTER SET utf8mb4; USE d;\nCREATE TABLE t (a varchar(5) CHARACTER SET utf8mb4 PRIMARY KEY);";
    let maria = parse(ddl);
    assert_eq!(
        maria.table("d", "t").unwrap().columns[0]
            .collation
            .as_deref(),
        Some("utf8mb4_general_ci")
    );
    let mysql = parse_schema_with(
        ddl,
        &ParseOptions {
            flavor: Some(ServerFlavor::MySql80),
        },
    )
    .unwrap();
    assert_eq!(
        mysql.table("d", "t").unwrap().columns[0]
            .collation
            .as_deref(),
        Some("utf8mb4_0900_ai_ci")
    );
}

#[test]
fn generated_columns_persistent_and_invisible() {
    let s = parse(
        "USE g;\nCREATE TABLE t (\n id int PRIMARY KEY,\n v int AS (id + 1) VIRTUAL,\n s int GENERATED ALWAYS AS (id * 2) STORED,\n p int AS (id - 1) PERSISTENT,\n d int AS (id),\n h int INVISIBLE\n);",
    );
    let t = s.table("g", "t").unwrap();
    let gen: Vec<_> = t
        .columns
        .iter()
        .map(|c| c.generated.as_ref().map(|g| (g.expr.as_str(), g.stored)))
        .collect();
    assert_eq!(
        gen,
        [
            None,
            Some(("id + 1", false)),
            Some(("id * 2", true)),
            Some(("id - 1", true)),
            Some(("id", false)),
            None
        ]
    );
    assert!(t.columns[5].invisible);
    assert!(!t.columns[0].nullable);
}

#[test]
fn keys_prefixes_and_identity() {
    let s = parse(
        "CREATE DATABASE k;\n\
         CREATE TABLE k.comp (a int NOT NULL, b int NOT NULL, c int, PRIMARY KEY (b, a));\n\
         CREATE TABLE k.pref (name varchar(50) NOT NULL, code char(8) NOT NULL, KEY (name(10)), UNIQUE KEY (code(4)));\n\
         CREATE TABLE k.nn (x int NOT NULL, y int, UNIQUE KEY uy (y), UNIQUE KEY ux (x));\n\
         CREATE TABLE k.onlynull (x int, UNIQUE KEY ux (x));\n\
         CREATE TABLE k.inline (x int NOT NULL UNIQUE, y int);\n",
    );
    let comp = s.table("k", "comp").unwrap();
    let key = comp.identity_key().unwrap();
    assert_eq!(key.column_names().collect::<Vec<_>>(), ["b", "a"]);
    assert!(!comp.column("a").unwrap().nullable);

    let pref = s.table("k", "pref").unwrap();
    assert_eq!(pref.unique_keys.len(), 1);
    assert_eq!(pref.unique_keys[0].columns[0].prefix_len, Some(4));
    // A prefix-only unique key cannot identify rows.
    assert!(pref.identity_key().is_none());

    let nn = s.table("k", "nn").unwrap();
    assert_eq!(nn.identity_key().unwrap().name.as_deref(), Some("ux"));
    assert!(s.table("k", "onlynull").unwrap().identity_key().is_none());
    let inline = s.table("k", "inline").unwrap();
    assert_eq!(
        inline
            .identity_key()
            .unwrap()
            .column_names()
            .collect::<Vec<_>>(),
        ["x"]
    );
}

#[test]
fn databases_by_use_create_and_qualified_names() {
    let s = parse(
        "CREATE DATABASE one;\nCREATE TABLE a (x int);\nUSE two;\nCREATE TABLE IF NOT EXISTS b (x int);\nCREATE TABLE IF NOT EXISTS b (y int, z int);\nCREATE TABLE three.c (x int);\nCREATE DATABASE four;\nCREATE TABLE d (x int);\n",
    );
    let keys: Vec<_> = s.tables.keys().map(|(d, t)| format!("{d}.{t}")).collect();
    // USE wins over a later CREATE DATABASE.
    assert_eq!(keys, ["one.a", "three.c", "two.b", "two.d"]);
    // IF NOT EXISTS keeps the first definition.
    assert_eq!(s.table("two", "b").unwrap().columns.len(), 1);
    // Names are case-sensitive.
    assert!(s.table("TWO", "b").is_none());

    let err = parse_schema("CREATE TABLE lonely (x int);").unwrap_err();
    assert!(
        matches!(err, SchemaError::NoDatabase { line: 1, .. }),
        "{err}"
    );
}

#[test]
fn quoted_identifiers() {
    let s = parse(
        "USE `my db`;\nCREATE TABLE `we``ird` (`col one` int NOT NULL, `a``b` varchar(3), PRIMARY KEY (`col one`));\nCREATE TABLE `child` (`p` int, CONSTRAINT `f k` FOREIGN KEY (`p`) REFERENCES `we``ird` (`col one`) ON DELETE CASCADE);",
    );
    let t = s.table("my db", "we`ird").unwrap();
    assert_eq!(t.columns[0].name, "col one");
    assert_eq!(t.columns[1].name, "a`b");
    let children: Vec<_> = s.children_of("my db", "we`ird").collect();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].1.name.as_deref(), Some("f k"));
}

#[test]
fn triggers_with_delimiters_and_executable_comments() {
    let s = parse(
        "USE t;\nCREATE TABLE tbl (a int PRIMARY KEY, b int);\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t_bi` BEFORE INSERT ON `tbl` FOR EACH ROW SET NEW.b = 1 */;;\nCREATE TRIGGER t_au AFTER UPDATE ON t.tbl FOR EACH ROW\nBEGIN\n  IF NEW.a <> OLD.a THEN SET @x = ';;'; END IF;\nEND;;\nDELIMITER ;\nCREATE DEFINER=root@localhost TRIGGER IF NOT EXISTS t_ad AFTER DELETE ON tbl FOR EACH ROW DELETE FROM other WHERE id = OLD.a;\nCREATE TRIGGER orphan BEFORE INSERT ON missing FOR EACH ROW SET NEW.x = 1;\n",
    );
    let tbl = s.table("t", "tbl").unwrap();
    let got: Vec<_> = tbl
        .triggers
        .iter()
        .map(|t| (t.name.as_str(), t.timing, t.event))
        .collect();
    assert_eq!(
        got,
        [
            ("t_bi", TriggerTiming::Before, TriggerEvent::Insert),
            ("t_au", TriggerTiming::After, TriggerEvent::Update),
            ("t_ad", TriggerTiming::After, TriggerEvent::Delete),
        ]
    );
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert_eq!(s.warnings[0].line, 11);
    assert!(s.warnings[0].message.contains("orphan"));
}

#[test]
fn drop_table_removes_view_placeholders() {
    let s = parse(
        "USE v;\nCREATE TABLE t (a int);\n/*!50001 CREATE TABLE `vw` (\n `a` tinyint NOT NULL\n) ENGINE=MyISAM */;\n/*!50001 DROP TABLE IF EXISTS `vw`*/;\n/*!50001 DROP VIEW IF EXISTS `vw`*/;\n/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `vw` AS select `t`.`a` AS `a` from `t` */;\n",
    );
    assert!(s.table("v", "vw").is_none());
    assert!(s.table("v", "t").is_some());
}

#[test]
fn unparseable_create_table_names_its_line() {
    let input = "USE x;\n\nCREATE TABLE ok (a int);\n-- comment\nCREATE TABLE bad (\n  a int,\n  b int NOT NULL FROBNICATE,\n  PRIMARY KEY (a)\n);\n";
    let err = parse_schema(input).unwrap_err();
    match &err {
        SchemaError::Parse {
            line,
            column,
            excerpt,
            ..
        } => {
            assert_eq!(*line, 7, "{err}");
            assert_eq!(*column, Some(18), "{err}");
            assert!(
                excerpt.starts_with("CREATE TABLE bad ( a int,"),
                "{excerpt}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("line 7") && !msg.ends_with('.'), "{msg}");
}

#[test]
fn other_unparseable_statements_are_warnings() {
    let s = parse(
        "USE w;\nCREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END;\nGRANT FROBNICATE ON *.* TO nobody;\nCREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\n",
    );
    assert!(s.table("w", "t").is_some());
    let lines: Vec<_> = s.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [2, 3, 5], "{:?}", s.warnings);
}

#[test]
fn unknown_table_options_fall_back() {
    let s = parse(
        "USE o;\nCREATE TABLE t (a int PRIMARY KEY, b varchar(3)) ENGINE=InnoDB DEFAULT CHARSET=latin1 PAGE_COMPRESSED=1 `encrypted`=yes;\n",
    );
    let t = s.table("o", "t").unwrap();
    assert_eq!(t.engine.as_deref(), Some("InnoDB"));
    assert_eq!(t.columns[1].collation.as_deref(), Some("latin1_swedish_ci"));
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
}

#[test]
fn column_charset_without_collate_takes_the_charset_default() {
    let s = parse(
        "USE c;\nCREATE TABLE t (a varchar(3) CHARACTER SET utf8mb4, b varchar(3), c varchar(3) COLLATE utf8mb4_unicode_ci, d varchar(3) CHARSET latin1) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;",
    );
    let t = s.table("c", "t").unwrap();
    let got: Vec<_> = t.columns.iter().map(|c| c.collation.as_deref()).collect();
    assert_eq!(
        got,
        [
            Some("utf8mb4_general_ci"),
            Some("utf8mb4_bin"),
            Some("utf8mb4_unicode_ci"),
            Some("latin1_swedish_ci")
        ]
    );
}
