-- West: the promoted replica's writes after the failover.
USE tg;

-- W1: West's trigger writes audit id 1 too (a different row from East's).
UPDATE accounts SET balance = 250.00 WHERE id = 2;
-- W3
UPDATE items SET qty = 21 WHERE id = 2;
-- W4: identical to East's E5.
UPDATE items SET note = 'cc' WHERE id = 3;
