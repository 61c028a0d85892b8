-- West: the promoted replica's writes after the failover.
USE pi;

-- W1 (FULL)
UPDATE t SET b = 22 WHERE id = 2;
SET SESSION binlog_row_image = MINIMAL;
-- W2: identical to East's E5.
UPDATE t SET a = 50 WHERE id = 5;
-- W3
UPDATE t SET b = 66 WHERE id = 6;
