-- Shared history: East is the primary and West replicates it.
CREATE DATABASE rm;
USE rm;

CREATE TABLE tickets (
  id INT NOT NULL AUTO_INCREMENT,
  user_id INT NOT NULL,
  subject VARCHAR(50) NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TABLE profiles (
  id INT NOT NULL,
  name VARCHAR(20) NOT NULL,
  city VARCHAR(20) NOT NULL,
  phone VARCHAR(20) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TABLE orders (
  id INT NOT NULL AUTO_INCREMENT,
  customer VARCHAR(20) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TABLE order_lines (
  id INT NOT NULL AUTO_INCREMENT,
  order_id INT NOT NULL,
  sku VARCHAR(10) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_lines_order (order_id),
  CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB;

CREATE TABLE notes (
  id INT NOT NULL AUTO_INCREMENT,
  body VARCHAR(50) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO tickets (user_id, subject, created_at) VALUES
  (1, 'welcome', '2026-01-01 09:00:00'), (2, 'hello', '2026-01-01 09:30:00');
INSERT INTO profiles VALUES
  (1, 'Ann', 'Oslo', '111'), (2, 'Bob', 'Rome', '222'),
  (3, 'Cat', 'Lima', '333'), (4, 'Dan', 'Kyiv', '444');
INSERT INTO orders (customer) VALUES ('ann'), ('bob');
INSERT INTO order_lines (order_id, sku) VALUES (1, 'SKU-A'), (2, 'SKU-B');
INSERT INTO notes (body) VALUES ('first');
