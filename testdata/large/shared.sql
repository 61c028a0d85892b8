-- Shared history: a ledger of 1000 rows. Uses MariaDB's built-in SEQUENCE engine
-- (seq_1_to_N) to generate rows.
CREATE DATABASE big;
USE big;

CREATE TABLE ledger (
  id INT NOT NULL,
  account INT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  memo VARCHAR(255) NOT NULL,
  updated DATETIME(6) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO ledger
  SELECT seq, seq % 97, seq * 1.25, CONCAT('opening balance ', seq), '2026-11-21 08:00:00'
  FROM seq_1_to_1000;
