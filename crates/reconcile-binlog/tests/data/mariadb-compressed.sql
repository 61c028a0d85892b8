-- Produced tests/data/mariadb-compressed.000001 on MariaDB 10.11 started with
-- --binlog-format=ROW --binlog-row-metadata=FULL --server-id=7
-- --log-bin-compress=ON --log-bin-compress-min-len=10
CREATE DATABASE rt;
USE rt;
CREATE TABLE t (
  id INT UNSIGNED NOT NULL,
  k2 VARCHAR(10) NOT NULL,
  d DECIMAL(20,6),
  t2 TIME(3),
  dt DATETIME(6),
  ts TIMESTAMP(2) NULL,
  e ENUM('red','green','blue'),
  s SET('a','b','c'),
  b BIT(10),
  y YEAR,
  txt TEXT,
  bin VARBINARY(8),
  j JSON,
  PRIMARY KEY (k2, id)
);
INSERT INTO t VALUES
  (1, 'one', -12345.678901, '-838:59:58.999', '2024-02-29 23:59:58.123456', '2001-02-03 04:05:06.78',
   'green', 'a,c', b'1000000001', 2024, REPEAT('long text ', 20), x'00ff10', '{"a": [1, 2, {"b": null}]}'),
  (2, 'two', NULL, '00:00:00', '0000-00-00 00:00:00', NULL, NULL, '', b'0', 0, NULL, NULL, NULL);
UPDATE t SET d = 99999999999999.999999, txt = 'short' WHERE id = 1;
DELETE FROM t WHERE id = 2;
ALTER TABLE t ADD COLUMN extra INT;
