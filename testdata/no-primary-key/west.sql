-- West: the promoted replica's writes after the failover.
USE nk;

-- W1
UPDATE users SET name = 'Robert' WHERE email = 'b@x';
-- W2: identical to East's E9.
INSERT INTO events VALUES ('same', 5);
-- W3: a West-only change.
UPDATE users SET name = 'Cathy' WHERE email = 'c@x';
