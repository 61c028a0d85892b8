-- Shared history: East is the primary and West replicates it (FULL images).
CREATE DATABASE pi;
USE pi;

CREATE TABLE t (
  id INT NOT NULL,
  a INT NOT NULL,
  b INT NOT NULL,
  c VARCHAR(20) NOT NULL DEFAULT 'dflt',
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TABLE docs (
  id INT NOT NULL,
  title VARCHAR(20) NOT NULL,
  body BLOB NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO t VALUES
  (1, 1, 1, 'one'), (2, 2, 2, 'two'), (3, 3, 3, 'three'),
  (4, 4, 4, 'four'), (5, 5, 5, 'five'), (6, 6, 6, 'six');
INSERT INTO docs VALUES (1, 'd1', 'body one'), (2, 'd2', 'body two');
