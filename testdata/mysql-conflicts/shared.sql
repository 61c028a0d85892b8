-- Shared history: East (server_id 1, server_uuid 3e11fa47-71ca-11e1-9e33-c80aa9429562)
-- is the primary; West (server_id 2) replicates it with GTID auto-positioning and
-- log_replica_updates, so West's binlog holds these transactions under East's
-- GTIDs 3e11fa47-...:1-11 and East's server id.
-- Both servers: MySQL 8.0.36, gtid_mode=ON, enforce_gtid_consistency=ON,
-- binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL,
-- binlog_checksum=CRC32, default_time_zone='+00:00', default collation
-- utf8mb4_0900_ai_ci. Every statement is its own transaction (autocommit).
--
-- These binlogs are serialized by reconcile-testkit (`cargo xtask gen-testdata
-- mysql-conflicts`), not recorded: this file says what a server would have run.
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
  id BIGINT NOT NULL AUTO_INCREMENT,
  customer_id INT NOT NULL,
  amount DECIMAL(10,2) NOT NULL,
  status VARCHAR(20) NOT NULL,
  placed_at DATETIME(6) NOT NULL,
  paid_at TIMESTAMP(3) NULL,
  weight_kg DOUBLE NULL,
  PRIMARY KEY (id),
  KEY ix_orders_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;

CREATE TABLE stock (
  sku CHAR(4) NOT NULL,
  qty INT UNSIGNED NOT NULL,
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

INSERT INTO orders (customer_id, amount, status, placed_at, paid_at, weight_kg) VALUES
  (1, 10.00, 'new', '2026-11-20 08:01:20.000001', NULL, 0.5),
  (1, 20.00, 'new', '2026-11-20 08:01:20.000002', '2026-11-20 08:05:00.125', 1.25),
  (6, 30.00, 'new', '2026-11-20 08:01:20.000003', NULL, NULL);

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
