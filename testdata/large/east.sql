-- East: a few seconds of writes before the cut.
USE big;

-- One transaction of 100 rows; West also changes ids 51..60 (another column).
UPDATE ledger SET amount = amount + 1 WHERE id BETWEEN 1 AND 100;
-- 50 new rows in one transaction.
INSERT INTO ledger
  SELECT 5000000 + seq, seq % 97, 10.00, CONCAT('east ', seq), '2026-11-21 09:00:00'
  FROM seq_1_to_50;
-- 10 deletes in one transaction.
DELETE FROM ledger WHERE id BETWEEN 901 AND 910;
