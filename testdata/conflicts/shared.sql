-- Shared history: East is the primary and West replicates it.
CREATE DATABASE shop;
USE shop;

CREATE TABLE customers (
  id INT NOT NULL AUTO_INCREMENT,
  email VARCHAR(100) NOT NULL,
  name VARCHAR(100) NOT NULL,
  city VARCHAR(50) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_customers_email (email)
) ENGINE=InnoDB;

CREATE TABLE orders (
  id INT NOT NULL AUTO_INCREMENT,
  customer_id INT NOT NULL,
  amount DECIMAL(10,2) NOT NULL,
  status VARCHAR(20) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_orders_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;

CREATE TABLE stock (
  sku CHAR(4) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(8,2) NOT NULL,
  location VARCHAR(10) NOT NULL,
  PRIMARY KEY (sku)
) ENGINE=InnoDB;

CREATE TABLE tickets (
  id INT NOT NULL AUTO_INCREMENT,
  customer_id INT NOT NULL,
  subject VARCHAR(100) NOT NULL,
  opened_at DATETIME NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TABLE notes (
  id INT NOT NULL,
  body VARCHAR(100) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO customers (email, name, city) VALUES
  ('ann@example.com', 'Ann', 'Oslo'),
  ('bob@example.com', 'Bob', 'Rome'),
  ('cat@example.com', 'Cat', 'Lima'),
  ('dan@example.com', 'Dan', 'Kyiv'),
  ('eve@example.com', 'Eve', 'Pune'),
  ('fay@example.com', 'Fay', 'Bern');

INSERT INTO orders (customer_id, amount, status) VALUES
  (1, 10.00, 'new'),
  (1, 20.00, 'new'),
  (6, 30.00, 'new');

INSERT INTO stock VALUES
  ('A001', 10, 1.00, 'W1'),
  ('B002', 20, 2.00, 'W1'),
  ('C003', 30, 3.00, 'W1'),
  ('D004', 40, 4.00, 'W1'),
  ('E005', 50, 5.00, 'W1'),
  ('F006', 60, 6.00, 'W1');

INSERT INTO tickets (customer_id, subject, opened_at) VALUES
  (1, 'login broken', '2026-11-20 10:00:00'),
  (6, 'wrong invoice', '2026-11-20 11:00:00');

INSERT INTO notes VALUES (1, 'hello'), (2, 'world');
