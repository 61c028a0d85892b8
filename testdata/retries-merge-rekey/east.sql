-- East: the old primary's writes during the network cut (autocommit).
USE rm;

-- E1: ticket 3 (West gives id 3 to the retry of E2, W1).
INSERT INTO tickets (user_id, subject, created_at) VALUES (5, 'printer jam', '2026-01-02 10:00:00');
-- E2: ticket 4; the user, not seeing it, opens it again on West (W1).
INSERT INTO tickets (user_id, subject, created_at) VALUES (7, 'cannot login', '2026-01-02 10:00:05');
-- E3: East changes city, West changes phone (W2): disjoint columns.
UPDATE profiles SET city = 'Bergen' WHERE id = 1;
-- E4: both change city (W3): not mergeable.
UPDATE profiles SET city = 'Milan' WHERE id = 2;
-- E5: order 3 (West gives id 3 to another order, W4).
INSERT INTO orders (customer) VALUES ('zed');
-- E6: a line of East's order 3.
INSERT INTO order_lines (order_id, sku) VALUES (3, 'SKU-Z');
-- E7, E8: clean changes only East made.
UPDATE profiles SET name = 'Cy' WHERE id = 3;
INSERT INTO notes (body) VALUES ('east note');
