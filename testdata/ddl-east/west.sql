-- West: the promoted replica's writes after the failover.
USE dd;

-- W1: a West-only change.
UPDATE clean SET v = 20 WHERE id = 2;
