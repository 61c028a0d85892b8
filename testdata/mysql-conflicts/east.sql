-- East: the old primary's writes during the network cut, which never reached West.
-- GTIDs 3e11fa47-71ca-11e1-9e33-c80aa9429562:12-27, from 2026-11-21 09:00:00 UTC.
-- Every statement is its own transaction (autocommit) unless it says BEGIN.
USE shop;

-- E1: insert/insert on an auto-increment key (West also inserts customer 7).
INSERT INTO customers (email, name, city) VALUES ('gus@example.com', 'Gus', 'Faro');
-- E2: update/update of the same column (West sets qty = 7).
UPDATE stock SET qty = 5 WHERE sku = 'A001';
-- E3: update/update of different columns (West changes location).
UPDATE stock SET price = 2.50 WHERE sku = 'B002';
-- E4: update/delete (West deletes customer 2).
UPDATE customers SET city = 'Turin' WHERE id = 2;
-- E5: delete/update (West renames customer 3).
DELETE FROM customers WHERE id = 3;
-- E6: both sides make the identical change.
UPDATE stock SET qty = 0 WHERE sku = 'C003';
-- E7: both sides delete the same row.
DELETE FROM customers WHERE id = 4;
-- E8: unique secondary key collision (West gives hal@example.com to new customer 8).
UPDATE customers SET email = 'hal@example.com' WHERE id = 6;
-- binlog.000001 ends here (ROTATE); binlog.000002's PREVIOUS_GTIDS is 3e11fa47-...:1-19.
FLUSH BINARY LOGS;
-- E9: one transaction mixing a clean row (order 4) and a conflicting one (stock E005).
BEGIN;
INSERT INTO orders (customer_id, amount, status, placed_at, paid_at, weight_kg)
  VALUES (1, 15.00, 'new', '2026-11-21 09:00:16.250000', NULL, 2.0);
UPDATE stock SET qty = qty - 1 WHERE sku = 'E005';
COMMIT;
-- E10: foreign-key child whose parent West deletes (customer 5).
INSERT INTO orders (customer_id, amount, status, placed_at, paid_at, weight_kg)
  VALUES (5, 50.00, 'new', '2026-11-21 09:00:18.500000', NULL, NULL);
-- E11: two tickets; the second is lost for the user, who opens it again on West.
INSERT INTO tickets (customer_id, subject, opened_at) VALUES (6, 'printer jam', '2026-11-21 09:00:20');
INSERT INTO tickets (customer_id, subject, opened_at) VALUES (1, 'refund please', '2026-11-21 09:00:22');
-- E12: a row of a table that West alters during the window.
UPDATE notes SET body = 'hello again' WHERE id = 1;
-- E13: clean changes only East made.
UPDATE stock SET qty = 39 WHERE sku = 'D004';
INSERT INTO stock VALUES ('G007', 70, 7.00, 'W1');
DELETE FROM orders WHERE id = 2;
