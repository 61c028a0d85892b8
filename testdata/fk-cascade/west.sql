-- West: the promoted replica's writes after the failover.
USE lib;

-- W1: author 2 has no books on West, so the delete succeeds.
DELETE FROM authors WHERE id = 2;
-- W2: author 3 has no books on West either.
DELETE FROM authors WHERE id = 3;
-- W3: a new book by author 4 (whom East deleted).
INSERT INTO books VALUES (20, 4, 'New on West');
-- W4: a West-only change.
UPDATE shelves SET label = 'bottom!' WHERE id = 2;
-- W5: shelf 3 goes; InnoDB cascades to slots 4 and 6 (not logged as row events).
DELETE FROM shelves WHERE id = 3;
