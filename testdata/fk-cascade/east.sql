-- East: the old primary's writes during the network cut (autocommit: one
-- transaction per statement).
USE lib;

-- E1: a new book by author 2, whom West deletes (W1).
INSERT INTO books VALUES (10, 2, 'Orphan');
-- E2: book 2 moves to author 3, whom West deletes (W2).
UPDATE books SET author_id = 3 WHERE id = 2;
-- E3: author 4 leaves; West gives author 4 a new book (W3).
DELETE FROM authors WHERE id = 4;
-- E4: shelf 1 goes; InnoDB cascades to slots 1 and 2 (not logged as row events).
DELETE FROM shelves WHERE id = 1;
-- E5: clean changes only East made.
UPDATE authors SET name = 'Eve B.' WHERE id = 5;
INSERT INTO books VALUES (11, 1, 'Clean');
INSERT INTO slots VALUES (5, 2, 2);
-- E6: slot 4 moves; West deletes its shelf 3 (W5), and the cascade deletes
-- West's slot 4 without a row event.
UPDATE slots SET pos = 9 WHERE id = 4;
-- E7: slot 6 goes; West's cascade (W5) deletes it too.
DELETE FROM slots WHERE id = 6;
