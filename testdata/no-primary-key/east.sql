-- East: the old primary's writes during the network cut (autocommit).
USE nk;

-- E1: only East renames a@x.
UPDATE users SET name = 'Anna' WHERE email = 'a@x';
-- E2: both rename b@x, differently (W1).
UPDATE users SET name = 'Bobby' WHERE email = 'b@x';
-- E3: a new user.
INSERT INTO users VALUES ('d@x', 'Dan');
-- E4: a new tag.
INSERT INTO tags VALUES ('t3', 'three');
-- E5: relabel t2: the whole row is the identity, so this is a delete of the old
-- row and an insert of the new one.
UPDATE tags SET label = 'TWO' WHERE code = 't2';
-- E6: a row whose only unique value is NULL.
DELETE FROM tags WHERE code IS NULL;
-- E7: a new event.
INSERT INTO events VALUES ('east', 3);
-- E8: an event row deleted.
DELETE FROM events WHERE msg = 'gone';
-- E9: both sides insert the identical event row (W2): two rows on a merged table.
INSERT INTO events VALUES ('same', 5);
