-- East: the old primary's writes during the network cut (autocommit).
USE tg;

-- E1: the trigger writes audit id 1 in the same transaction.
UPDATE accounts SET balance = 150.00 WHERE id = 1;
-- E2: the trigger writes audit id 2.
UPDATE accounts SET balance = 350.00 WHERE id = 3;
-- E3: only a base column (price) changes; total (VIRTUAL) follows.
UPDATE items SET price = 1.50 WHERE id = 1;
-- E4: East changes price, West changes qty (W3): both change total (VIRTUAL)
-- and West also label (STORED), but no base column both changed.
UPDATE items SET price = 2.50 WHERE id = 2;
-- E5: the same change as West's W4.
UPDATE items SET note = 'cc' WHERE id = 3;
-- E6: a new item.
INSERT INTO items (id, price, qty, note) VALUES (5, 5.00, 50, 'e');
