-- West: the promoted replica's writes after the failover.
USE rm;

-- W1: the user's retry of East's ticket 4; it gets id 3, a few minutes later.
INSERT INTO tickets (user_id, subject, created_at) VALUES (7, 'cannot login', '2026-01-02 10:04:00');
-- W2
UPDATE profiles SET phone = '999' WHERE id = 1;
-- W3
UPDATE profiles SET city = 'Turin' WHERE id = 2;
-- W4: order 3 on West is someone else's.
INSERT INTO orders (customer) VALUES ('yan');
-- W5: a West-only change.
UPDATE profiles SET name = 'Daniel' WHERE id = 4;
