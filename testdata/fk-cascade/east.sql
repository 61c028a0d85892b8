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
