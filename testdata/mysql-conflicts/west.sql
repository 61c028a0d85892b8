-- West: the promoted replica's writes after the failover
-- (`STOP REPLICA; RESET REPLICA ALL;`), under its own server_uuid:
-- GTIDs 8a94f357-aab4-11df-86ab-c80aa9429562:1-13.
USE shop;

-- W1: gets auto-increment id 7, as East's Gus did.
INSERT INTO customers (email, name, city) VALUES ('ida@example.com', 'Ida', 'Nice');
-- W2
UPDATE stock SET qty = 7 WHERE sku = 'A001';
-- W3
UPDATE stock SET location = 'W2' WHERE sku = 'B002';
-- W4
DELETE FROM customers WHERE id = 2;
-- W5
UPDATE customers SET name = 'Catherine' WHERE id = 3;
-- W6: identical to East's E6.
UPDATE stock SET qty = 0 WHERE sku = 'C003';
-- binlog.000001 ends here (ROTATE); binlog.000002's PREVIOUS_GTIDS is
-- 3e11fa47-...:1-11,8a94f357-...:1-6.
FLUSH BINARY LOGS;
-- W7: identical to East's E7.
DELETE FROM customers WHERE id = 4;
-- W8: new customer 8 takes the email East gave to customer 6.
INSERT INTO customers (email, name, city) VALUES ('hal@example.com', 'Hal', 'Graz');
-- W9
UPDATE stock SET qty = 45 WHERE sku = 'E005';
-- W10: customer 5 leaves; West has no order of theirs, so the delete succeeds.
DELETE FROM customers WHERE id = 5;
-- W11: the user opens the refund ticket again; it gets id 3.
INSERT INTO tickets (customer_id, subject, opened_at) VALUES (1, 'refund please', '2026-11-21 09:07:00');
-- W12: a migration deployed on the new primary during the window (atomic DDL:
-- GTID then QUERY, no BEGIN/XID; notes gets a new table id).
ALTER TABLE notes ADD COLUMN author VARCHAR(50) NULL;
-- W13: a clean change only West made.
UPDATE stock SET qty = 61 WHERE sku = 'F006';
