-- Shared history: one table with every MariaDB column type.
CREATE DATABASE types;
USE types;

CREATE TABLE all_types (
  id INT UNSIGNED NOT NULL,
  c_tinyint TINYINT NULL,
  c_tinyint_u TINYINT UNSIGNED NULL,
  c_smallint SMALLINT NULL,
  c_smallint_u SMALLINT UNSIGNED NULL,
  c_mediumint MEDIUMINT NULL,
  c_mediumint_u MEDIUMINT UNSIGNED NULL,
  c_int INT NULL,
  c_int_u INT UNSIGNED NULL,
  c_bigint BIGINT NULL,
  c_bigint_u BIGINT UNSIGNED NULL,
  c_decimal DECIMAL(65,30) NULL,
  c_decimal_money DECIMAL(10,2) NULL,
  c_decimal_int DECIMAL(5,0) NULL,
  c_float FLOAT NULL,
  c_double DOUBLE NULL,
  c_bit1 BIT(1) NULL,
  c_bit13 BIT(13) NULL,
  c_bit64 BIT(64) NULL,
  c_enum ENUM('small','medium','large') NULL,
  c_set SET('red','green','blue') NULL,
  c_year YEAR NULL,
  c_date DATE NULL,
  c_time TIME NULL,
  c_time3 TIME(3) NULL,
  c_time6 TIME(6) NULL,
  c_datetime DATETIME NULL,
  c_datetime6 DATETIME(6) NULL,
  c_timestamp TIMESTAMP NULL DEFAULT NULL,
  c_timestamp3 TIMESTAMP(3) NULL DEFAULT NULL,
  c_char_latin1 CHAR(10) CHARACTER SET latin1 NULL,
  c_varchar_utf8mb4 VARCHAR(300) CHARACTER SET utf8mb4 NULL,
  c_varchar_utf8mb3 VARCHAR(40) CHARACTER SET utf8mb3 NULL,
  c_varchar_ucs2 VARCHAR(20) CHARACTER SET ucs2 NULL,
  c_varchar_cp1251 VARCHAR(20) CHARACTER SET cp1251 NULL,
  c_tinytext TINYTEXT CHARACTER SET latin1 NULL,
  c_text TEXT NULL,
  c_mediumtext MEDIUMTEXT NULL,
  c_longtext LONGTEXT NULL,
  c_binary BINARY(4) NULL,
  c_varbinary VARBINARY(20) NULL,
  c_tinyblob TINYBLOB NULL,
  c_blob BLOB NULL,
  c_mediumblob MEDIUMBLOB NULL,
  c_longblob LONGBLOB NULL,
  c_json JSON NULL,
  c_geometry GEOMETRY NULL,
  c_point POINT NULL,
  c_inet4 INET4 NULL,
  c_inet6 INET6 NULL,
  c_uuid UUID NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- 1: ordinary values.
INSERT INTO all_types VALUES (
  1, -5, 5, -300, 300, -70000, 70000, -2000000, 2000000, -5000000000, 5000000000,
  '3.141592653589793238462643383279', '1234.56', '42', 1.5, 2.25,
  b'1', b'1010101010101', b'1000000000000000000000000000000000000000000000000000000000000001',
  'medium', 'red,blue', 2024, '2024-02-29',
  '12:34:56', '-01:02:03.456', '100:00:00.000001',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.654321',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.789',
  'abc', 'hello, world', 'plain', 'ucs2 text', 'Привет',
  'tiny', 'some text', 'medium text', 'long text',
  x'00010203', x'DEADBEEF', x'01', x'0102', x'010203', x'01020304',
  '{"a": [1, 2.5, "x", null, true], "b": {"c": "\\u00fc"}}',
  ST_GeomFromText('LINESTRING(0 0, 1 1, 2 1)'), ST_GeomFromText('POINT(1 2)'),
  '192.168.0.1', '2001:db8::1', '123e4567-e89b-12d3-a456-426614174000'
);

-- 2: every column NULL.
INSERT INTO all_types (id) VALUES (2);

-- 6: changed identically on both sides after the split.
INSERT INTO all_types (id, c_float, c_double, c_timestamp3, c_decimal)
  VALUES (6, 1.0, 1.0, '2026-01-01 00:00:00.000', '1.000000000000000000000000000000');
