-- Shared history: East is the primary and West replicates it.
CREATE DATABASE tg;
USE tg;

CREATE TABLE accounts (
  id INT NOT NULL,
  balance DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

-- Written only by the trigger on accounts.
CREATE TABLE audit (
  id INT NOT NULL AUTO_INCREMENT,
  account_id INT NOT NULL,
  old_balance DECIMAL(10,2) NOT NULL,
  new_balance DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TRIGGER accounts_au AFTER UPDATE ON accounts FOR EACH ROW
  INSERT INTO audit (account_id, old_balance, new_balance)
  VALUES (OLD.id, OLD.balance, NEW.balance);

-- A VIRTUAL and a STORED generated column.
CREATE TABLE items (
  id INT NOT NULL,
  price DECIMAL(8,2) NOT NULL,
  qty INT NOT NULL,
  note VARCHAR(20) NOT NULL,
  total DECIMAL(12,2) AS (price * qty) VIRTUAL,
  label VARCHAR(40) AS (CONCAT(note, '#', qty)) STORED,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO accounts VALUES (1, 100.00), (2, 200.00), (3, 300.00), (4, 400.00);
INSERT INTO items (id, price, qty, note) VALUES
  (1, 1.00, 10, 'a'), (2, 2.00, 20, 'b'), (3, 3.00, 30, 'c'), (4, 4.00, 40, 'd');
