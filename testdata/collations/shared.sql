-- Shared history: keys whose equality follows their column's collation.
CREATE DATABASE coll;
USE coll;

-- Case-insensitive, PAD SPACE primary key (MariaDB's utf8mb4_general_ci).
CREATE TABLE people (
  email VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
  name VARCHAR(50) NOT NULL,
  PRIMARY KEY (email)
) ENGINE=InnoDB;

-- Case- and accent-insensitive unique key (utf8mb4_unicode_ci).
CREATE TABLE handles (
  id INT NOT NULL,
  handle VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_handle (handle)
) ENGINE=InnoDB;

-- Binary comparison, PAD SPACE (utf8mb4_bin).
CREATE TABLE codes (
  code VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  v INT NOT NULL,
  PRIMARY KEY (code)
) ENGINE=InnoDB;

-- Binary comparison, NO PAD: trailing spaces count (utf8mb4_nopad_bin).
CREATE TABLE nopad (
  k VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  v INT NOT NULL,
  PRIMARY KEY (k)
) ENGINE=InnoDB;

-- A single-byte charset, case-insensitive (latin1_swedish_ci).
CREATE TABLE tags (
  tag VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL,
  v INT NOT NULL,
  PRIMARY KEY (tag)
) ENGINE=InnoDB;

INSERT INTO people VALUES ('ann@example.com', 'Ann');
INSERT INTO handles VALUES (1, 'jose');
INSERT INTO codes VALUES ('abc', 1);
INSERT INTO nopad VALUES ('k', 1);
INSERT INTO tags VALUES ('sol', 1);
