-- Benchmark data set, shared history: a web shop's schema, the procedures that
-- generate its load, and its opening data. Run on East while West replicates it.
-- Procedures are created here, before the split, so that no DDL falls in either
-- side's own window. Uses MariaDB's built-in SEQUENCE engine (seq_1_to_N).
CREATE DATABASE bench;
USE bench;

CREATE TABLE customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  name VARCHAR(100) NOT NULL,
  country CHAR(2) NOT NULL,
  balance DECIMAL(14,2) NOT NULL DEFAULT 0,
  prefs JSON NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_email (email)
) ENGINE=InnoDB;

CREATE TABLE products (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  sku VARCHAR(32) NOT NULL,
  title VARCHAR(200) NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  stock INT NOT NULL,
  attrs JSON NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE KEY uk_sku (sku)
) ENGINE=InnoDB;

CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  total DECIMAL(12,2) NOT NULL,
  currency CHAR(3) NOT NULL DEFAULT 'EUR',
  note VARCHAR(500) NULL,
  created_at DATETIME(3) NOT NULL,
  KEY k_customer (customer_id)
) ENGINE=InnoDB;

CREATE TABLE order_lines (
  order_id BIGINT UNSIGNED NOT NULL,
  line TINYINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  qty SMALLINT NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line)
) ENGINE=InnoDB;

CREATE TABLE audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  actor VARCHAR(64) NOT NULL,
  action VARCHAR(32) NOT NULL,
  payload JSON NOT NULL,
  score DOUBLE NULL,
  at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

DELIMITER //

-- One OLTP transaction of the shop, chosen at random: a new order with its lines
-- and the stock and balance it changes, an order's status, a customer's profile, a
-- new customer, audit rows, or a deletion and a price change.
CREATE PROCEDURE shop_tx(IN customers_n INT, IN products_n INT)
BEGIN
  DECLARE pick DOUBLE DEFAULT RAND();
  DECLARE c INT UNSIGNED DEFAULT 1 + FLOOR(RAND() * customers_n);
  DECLARE p INT UNSIGNED DEFAULT 1 + FLOOR(RAND() * products_n);
  DECLARE o BIGINT UNSIGNED;
  DECLARE n_lines INT DEFAULT 1 + FLOOR(RAND() * 5);
  -- Concurrent sessions deadlock now and then, as a real shop's do: that
  -- transaction is rolled back and lost.
  DECLARE EXIT HANDLER FOR 1213, 1205 ROLLBACK;
  START TRANSACTION;
  IF pick < 0.40 THEN
    INSERT INTO orders (customer_id, status, total, note, created_at)
      VALUES (c, 'new', ROUND(RAND() * 500, 2),
              IF(RAND() < 0.3, CONCAT('deliver to door ', MD5(RAND())), NULL), NOW(3));
    SET o = LAST_INSERT_ID();
    INSERT INTO order_lines (order_id, line, product_id, qty, unit_price)
      SELECT o, seq, 1 + (p + seq * 37) % products_n, 1 + FLOOR(RAND() * 4), ROUND(1 + RAND() * 99, 2)
      FROM seq_1_to_5 WHERE seq <= n_lines;
    UPDATE products SET stock = stock - 1, updated_at = NOW() WHERE id = p;
    UPDATE customers SET balance = balance - 10.5, updated_at = NOW(6) WHERE id = c;
  ELSEIF pick < 0.60 THEN
    SET o = 1 + FLOOR(RAND() * (SELECT MAX(id) FROM orders));
    UPDATE orders SET status = ELT(1 + FLOOR(RAND() * 3), 'paid', 'shipped', 'cancelled') WHERE id = o;
  ELSEIF pick < 0.75 THEN
    UPDATE customers
      SET prefs = JSON_SET(COALESCE(prefs, '{}'), '$.lang', ELT(1 + FLOOR(RAND() * 4), 'en', 'de', 'fr', 'ja'),
                           '$.visits', FLOOR(RAND() * 1000)),
          name = CONCAT('Customer ', c, ' ', SUBSTRING(MD5(RAND()), 1, 6)),
          updated_at = NOW(6)
      WHERE id = c;
  ELSEIF pick < 0.82 THEN
    INSERT INTO customers (email, name, country, balance, prefs, created_at)
      VALUES (CONCAT('new-', UUID(), '@example.com'), CONCAT('Newcomer ', SUBSTRING(MD5(RAND()), 1, 8)),
              ELT(1 + FLOOR(RAND() * 5), 'DE', 'FR', 'US', 'JP', 'BR'), 0,
              JSON_OBJECT('lang', 'en', 'newsletter', RAND() < 0.5), NOW(6));
  ELSEIF pick < 0.95 THEN
    INSERT INTO audit_log (actor, action, payload, score)
      SELECT CONCAT('user-', c), ELT(1 + FLOOR(RAND() * 3), 'login', 'view', 'search'),
             JSON_OBJECT('ip', CONCAT('10.0.', seq, '.', FLOOR(RAND() * 255)),
                         'agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
                         'query', SUBSTRING(MD5(RAND()), 1, 12)),
             RAND() * 100
      FROM seq_1_to_3 WHERE seq <= 1 + FLOOR(RAND() * 3);
  ELSE
    SET o = 1 + FLOOR(RAND() * (SELECT MAX(id) FROM audit_log));
    DELETE FROM audit_log WHERE id = o;
    UPDATE products SET price = ROUND(price * 1.01, 2), attrs = JSON_SET(attrs, '$.rev', FLOOR(RAND() * 100)),
      updated_at = NOW() WHERE id = p;
  END IF;
  COMMIT;
END //

-- `n` OLTP transactions, then a batch job: 500 products repriced in one
-- transaction, 5000 audit rows exported in one, half of them purged in one.
CREATE PROCEDURE shop_load(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE customers_n INT;
  DECLARE products_n INT;
  DECLARE first_p INT;
  DECLARE first_a BIGINT UNSIGNED;
  DECLARE EXIT HANDLER FOR 1213, 1205 ROLLBACK;
  SELECT MAX(id) INTO customers_n FROM customers;
  SELECT MAX(id) INTO products_n FROM products;
  WHILE i < n DO
    CALL shop_tx(customers_n, products_n);
    SET i = i + 1;
  END WHILE;
  SET first_p = 1 + FLOOR(RAND() * GREATEST(products_n - 500, 1));
  START TRANSACTION;
  UPDATE products SET price = ROUND(price * (0.95 + RAND() / 10), 2),
    attrs = JSON_SET(attrs, '$.batch', NOW()), updated_at = NOW()
    WHERE id BETWEEN first_p AND first_p + 499;
  COMMIT;
  START TRANSACTION;
  INSERT INTO audit_log (actor, action, payload, score)
    SELECT 'batch', 'export', JSON_OBJECT('row', seq, 'checksum', MD5(seq + RAND()), 'ok', TRUE), seq / 8
    FROM seq_1_to_5000;
  SET first_a = LAST_INSERT_ID();
  COMMIT;
  START TRANSACTION;
  DELETE FROM audit_log WHERE id BETWEEN first_a AND first_a + 2499;
  COMMIT;
END //

-- East's writes of the apply data set: 110,000 row changes in 16,500 transactions,
-- none touching a row West changed, so that every one is `auto`. Deterministic,
-- and every DOUBLE is exact in binary (so no value depends on float printing).
CREATE PROCEDURE apply_east()
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE o BIGINT UNSIGNED;
  -- 8000 new orders of 4 lines each: 40,000 inserts, 5 rows a transaction.
  WHILE i < 8000 DO
    START TRANSACTION;
    INSERT INTO orders (customer_id, status, total, note, created_at)
      VALUES (1 + i % 15000, 'new', (i % 1000) + 0.25, IF(i % 3 = 0, CONCAT('east order ', i), NULL),
              TIMESTAMP('2024-06-01') + INTERVAL i SECOND);
    SET o = LAST_INSERT_ID();
    INSERT INTO order_lines (order_id, line, product_id, qty, unit_price)
      SELECT o, seq, 1 + (i + seq) % 2000, seq, 4.50 FROM seq_1_to_4;
    COMMIT;
    SET i = i + 1;
  END WHILE;
  -- Customers 1..15000 updated once each: 15,000 updates, 5 a transaction.
  SET i = 0;
  WHILE i < 3000 DO
    START TRANSACTION;
    UPDATE customers SET balance = balance + 1.25, prefs = JSON_SET(COALESCE(prefs, '{}'), '$.east', i),
      updated_at = TIMESTAMP('2024-06-02') + INTERVAL i SECOND
      WHERE id BETWEEN i * 5 + 1 AND i * 5 + 5;
    COMMIT;
    SET i = i + 1;
  END WHILE;
  -- Audit rows 1..5000 purged: 5,000 deletes, 10 a transaction.
  SET i = 0;
  WHILE i < 500 DO
    START TRANSACTION;
    DELETE FROM audit_log WHERE id BETWEEN i * 10 + 1 AND i * 10 + 10;
    COMMIT;
    SET i = i + 1;
  END WHILE;
  -- 50,000 new audit rows, 10 a transaction.
  SET i = 0;
  WHILE i < 5000 DO
    START TRANSACTION;
    INSERT INTO audit_log (actor, action, payload, score, at)
      SELECT CONCAT('east-', i), 'view', JSON_OBJECT('page', i, 'slot', seq), (i * 10 + seq) / 8,
             TIMESTAMP('2024-06-03') + INTERVAL i SECOND
      FROM seq_1_to_10;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END //

-- West's writes of the apply data set: rows East does not touch.
CREATE PROCEDURE apply_west()
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < 100 DO
    START TRANSACTION;
    UPDATE products SET stock = stock + 5 WHERE id BETWEEN i * 20 + 1 AND i * 20 + 20;
    COMMIT;
    SET i = i + 1;
  END WHILE;
  SET i = 0;
  WHILE i < 500 DO
    START TRANSACTION;
    UPDATE customers SET balance = balance - 2.00 WHERE id BETWEEN 15001 + i * 10 AND 15010 + i * 10;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END //

DELIMITER ;

-- Opening data: 20,000 customers, 2,000 products, 10,000 orders with 30,000 lines,
-- 5,000 audit rows.
SET SESSION rand_seed1 = 11, rand_seed2 = 22;
INSERT INTO customers (id, email, name, country, balance, prefs, created_at, updated_at)
  SELECT seq, CONCAT('customer', seq, '@example.com'), CONCAT('Customer ', seq),
         ELT(1 + seq % 5, 'DE', 'FR', 'US', 'JP', 'BR'), ROUND(RAND() * 1000, 2),
         IF(seq % 3 = 0, NULL, JSON_OBJECT('lang', 'en', 'newsletter', seq % 2 = 0)),
         TIMESTAMP('2024-01-01') + INTERVAL seq MINUTE, TIMESTAMP('2024-01-01') + INTERVAL seq MINUTE
  FROM seq_1_to_20000;
INSERT INTO products (id, sku, title, price, stock, attrs, updated_at)
  SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), CONCAT('Product number ', seq, ' ', MD5(seq)),
         ROUND(1 + RAND() * 200, 2), 1000,
         JSON_OBJECT('color', ELT(1 + seq % 4, 'red', 'green', 'blue', 'black'), 'weight_g', seq % 900),
         '2024-01-01 00:00:00'
  FROM seq_1_to_2000;
INSERT INTO orders (id, customer_id, status, total, created_at)
  SELECT seq, 1 + seq % 20000, 'shipped', ROUND(RAND() * 300, 2), TIMESTAMP('2024-02-01') + INTERVAL seq SECOND
  FROM seq_1_to_10000;
INSERT INTO order_lines (order_id, line, product_id, qty, unit_price)
  SELECT o.seq, l.seq, 1 + (o.seq * 7 + l.seq) % 2000, 1 + l.seq, 9.99
  FROM seq_1_to_10000 o JOIN seq_1_to_3 l;
INSERT INTO audit_log (id, actor, action, payload, score, at)
  SELECT seq, 'import', 'seed', JSON_OBJECT('row', seq), NULL, TIMESTAMP('2024-01-15') + INTERVAL seq SECOND
  FROM seq_1_to_5000;
