/*M!999999\- enable the sandbox mode */ 

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `types` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `types`;
DROP TABLE IF EXISTS `all_types`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `all_types` (
  `id` int(10) unsigned NOT NULL,
  `c_tinyint` tinyint(4) DEFAULT NULL,
  `c_tinyint_u` tinyint(3) unsigned DEFAULT NULL,
  `c_smallint` smallint(6) DEFAULT NULL,
  `c_smallint_u` smallint(5) unsigned DEFAULT NULL,
  `c_mediumint` mediumint(9) DEFAULT NULL,
  `c_mediumint_u` mediumint(8) unsigned DEFAULT NULL,
  `c_int` int(11) DEFAULT NULL,
  `c_int_u` int(10) unsigned DEFAULT NULL,
  `c_bigint` bigint(20) DEFAULT NULL,
  `c_bigint_u` bigint(20) unsigned DEFAULT NULL,
  `c_decimal` decimal(65,30) DEFAULT NULL,
  `c_decimal_money` decimal(10,2) DEFAULT NULL,
  `c_decimal_int` decimal(5,0) DEFAULT NULL,
  `c_float` float DEFAULT NULL,
  `c_double` double DEFAULT NULL,
  `c_bit1` bit(1) DEFAULT NULL,
  `c_bit13` bit(13) DEFAULT NULL,
  `c_bit64` bit(64) DEFAULT NULL,
  `c_enum` enum('small','medium','large') DEFAULT NULL,
  `c_set` set('red','green','blue') DEFAULT NULL,
  `c_year` year(4) DEFAULT NULL,
  `c_date` date DEFAULT NULL,
  `c_time` time DEFAULT NULL,
  `c_time3` time(3) DEFAULT NULL,
  `c_time6` time(6) DEFAULT NULL,
  `c_datetime` datetime DEFAULT NULL,
  `c_datetime6` datetime(6) DEFAULT NULL,
  `c_timestamp` timestamp NULL DEFAULT NULL,
  `c_timestamp3` timestamp(3) NULL DEFAULT NULL,
  `c_char_latin1` char(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,
  `c_varchar_utf8mb4` varchar(300) DEFAULT NULL,
  `c_varchar_utf8mb3` varchar(40) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci DEFAULT NULL,
  `c_varchar_ucs2` varchar(20) CHARACTER SET ucs2 COLLATE ucs2_general_ci DEFAULT NULL,
  `c_varchar_cp1251` varchar(20) CHARACTER SET cp1251 COLLATE cp1251_general_ci DEFAULT NULL,
  `c_tinytext` tinytext CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,
  `c_text` text DEFAULT NULL,
  `c_mediumtext` mediumtext DEFAULT NULL,
  `c_longtext` longtext DEFAULT NULL,
  `c_binary` binary(4) DEFAULT NULL,
  `c_varbinary` varbinary(20) DEFAULT NULL,
  `c_tinyblob` tinyblob DEFAULT NULL,
  `c_blob` blob DEFAULT NULL,
  `c_mediumblob` mediumblob DEFAULT NULL,
  `c_longblob` longblob DEFAULT NULL,
  `c_json` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`c_json`)),
  `c_geometry` geometry DEFAULT NULL,
  `c_point` point DEFAULT NULL,
  `c_inet4` inet4 DEFAULT NULL,
  `c_inet6` inet6 DEFAULT NULL,
  `c_uuid` uuid DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

