-- West: forty minutes of traffic after the failover, more than 50 MB of binlog.
USE big;

UPDATE ledger SET memo = 'checked by west' WHERE id BETWEEN 51 AND 60;

DELIMITER //
-- 240 transactions of 1000 inserted rows each (ids 1000001 .. 1240000).
FOR batch IN 0 .. 239 DO
  INSERT INTO ledger
    SELECT 1000000 + batch * 1000 + seq, seq % 97, seq / 100,
           CONCAT('west traffic ', batch, '/', seq, ' ', REPEAT('x', 180)),
           '2026-11-21 09:30:00'
    FROM seq_1_to_1000;
END FOR //

-- 40 transactions updating 1000 of those rows each (before and after images).
FOR batch IN 0 .. 39 DO
  UPDATE ledger SET amount = amount + 1, updated = '2026-11-21 10:00:00'
    WHERE id BETWEEN 1000001 + batch * 1000 AND 1001000 + batch * 1000;
END FOR //
DELIMITER ;
