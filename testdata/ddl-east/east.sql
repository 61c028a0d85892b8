-- East: the old primary's writes during the network cut (autocommit; every DDL
-- is its own transaction).
USE dd;

-- E1, E2: rows of t change, then t gets a column (E3); E4 changes t after it.
UPDATE t SET v = 10 WHERE id = 1;
INSERT INTO t VALUES (4, 4);
ALTER TABLE t ADD COLUMN extra INT NULL;
UPDATE t SET v = 30, extra = 3 WHERE id = 3;
-- E5: a row of old_t changes, then old_t is renamed (E6) and changed as new_t (E7).
UPDATE old_t SET v = 11 WHERE id = 1;
RENAME TABLE old_t TO new_t;
UPDATE new_t SET v = 22 WHERE id = 2;
-- E8: a row of gone changes, then the table is emptied (E9).
UPDATE gone SET v = 12 WHERE id = 1;
TRUNCATE TABLE gone;
-- E10, E11: clean changes of a table no DDL touched.
UPDATE clean SET v = 13 WHERE id = 1;
INSERT INTO clean VALUES (3, 3);
