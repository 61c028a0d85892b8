-- Shared history: East is the primary and West replicates it.
CREATE DATABASE lib;
USE lib;

CREATE TABLE authors (
  id INT NOT NULL,
  name VARCHAR(50) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

-- Child of authors; deleting an author with books is refused (RESTRICT).
CREATE TABLE books (
  id INT NOT NULL,
  author_id INT NOT NULL,
  title VARCHAR(50) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_books_author (author_id),
  CONSTRAINT fk_books_author FOREIGN KEY (author_id) REFERENCES authors (id)
) ENGINE=InnoDB;

CREATE TABLE shelves (
  id INT NOT NULL,
  label VARCHAR(20) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

-- Child of shelves; deleting a shelf deletes its slots (ON DELETE CASCADE).
CREATE TABLE slots (
  id INT NOT NULL,
  shelf_id INT NOT NULL,
  pos INT NOT NULL,
  PRIMARY KEY (id),
  KEY ix_slots_shelf (shelf_id),
  CONSTRAINT fk_slots_shelf FOREIGN KEY (shelf_id) REFERENCES shelves (id) ON DELETE CASCADE
) ENGINE=InnoDB;

INSERT INTO authors VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cat'), (4, 'Dan'), (5, 'Eve');
INSERT INTO books VALUES (1, 1, 'First'), (2, 1, 'Second'), (3, 5, 'Third');
INSERT INTO shelves VALUES (1, 'top'), (2, 'bottom'), (3, 'side');
INSERT INTO slots VALUES (1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 3, 1), (6, 3, 2);
