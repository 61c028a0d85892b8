-- East: the old primary's writes during the network cut (autocommit).
USE pi;

SET SESSION binlog_row_image = MINIMAL;
-- E1: only East changes t 1.
UPDATE t SET a = 11 WHERE id = 1;
-- E2: East changes a, West changes b (W1, FULL image).
UPDATE t SET a = 12 WHERE id = 2;
-- E3: only East deletes t 3.
DELETE FROM t WHERE id = 3;
-- E4: an insert naming only some columns (c takes its default).
INSERT INTO t (id, a, b) VALUES (10, 10, 10);
-- E5: the same change as West's W2 (West also MINIMAL).
UPDATE t SET a = 50 WHERE id = 5;

SET SESSION binlog_row_image = NOBLOB;
-- E6: a non-BLOB column of docs 1 changes; the BLOB is not logged.
UPDATE docs SET title = 'D1' WHERE id = 1;
-- E7: the BLOB of docs 2 changes.
UPDATE docs SET body = 'body two, edited' WHERE id = 2;

SET SESSION binlog_row_image = FULL;
-- E8: clean, with full images.
UPDATE t SET c = 'FOUR' WHERE id = 4;
-- E9: East (FULL) changes a, West (MINIMAL, W3) changes b.
UPDATE t SET a = 16 WHERE id = 6;
