-- Shared history: East is the primary and West replicates it.
CREATE DATABASE nk;
USE nk;

-- No primary key, but a NOT NULL UNIQUE key: email is the identity.
CREATE TABLE users (
  email VARCHAR(50) NOT NULL,
  name VARCHAR(50) NOT NULL,
  UNIQUE KEY uk_users_email (email)
) ENGINE=InnoDB;

-- Only a nullable UNIQUE key: no identity, the whole row is the key.
CREATE TABLE tags (
  code VARCHAR(10) NULL,
  label VARCHAR(20) NOT NULL,
  UNIQUE KEY uk_tags_code (code)
) ENGINE=InnoDB;

-- No key at all.
CREATE TABLE events (
  msg VARCHAR(50) NOT NULL,
  n INT NOT NULL
) ENGINE=InnoDB;

INSERT INTO users VALUES ('a@x', 'Ann'), ('b@x', 'Bob'), ('c@x', 'Cat');
INSERT INTO tags VALUES ('t1', 'one'), ('t2', 'two'), (NULL, 'none');
INSERT INTO events VALUES ('boot', 1), ('gone', 2);
