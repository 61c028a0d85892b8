USE coll;
SET NAMES utf8mb4;

-- C1: West inserts 'erin@example.com': the same key under utf8mb4_general_ci.
INSERT INTO people VALUES ('Erin@Example.COM', 'Erin (east)');
-- C2: a key update that only changes case: still the same row identity.
UPDATE people SET email = 'ANN@EXAMPLE.COM', name = 'Ann B' WHERE email = 'ann@example.com';
-- C3: West gives 'zoe' to handle 3: the same value as 'Zoë' under utf8mb4_unicode_ci.
INSERT INTO handles VALUES (2, 'Zoë');
-- C4: no collision.
INSERT INTO handles VALUES (4, 'Bob');
-- C5: West inserts 'xyz': a different key under utf8mb4_bin.
INSERT INTO codes VALUES ('XYZ', 1);
-- C6: West inserts 'pad': the same key under PAD SPACE.
INSERT INTO codes VALUES ('pad ', 1);
-- C7: West inserts 'q': a different key under NO PAD.
INSERT INTO nopad VALUES ('q ', 1);
-- C8: West inserts 'äpple': the same key as 'ÄPPLE' under latin1_swedish_ci.
INSERT INTO tags VALUES ('ÄPPLE', 1);
