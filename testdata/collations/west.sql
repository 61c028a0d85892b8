USE coll;
SET NAMES utf8mb4;

INSERT INTO people VALUES ('erin@example.com', 'Erin (west)');
INSERT INTO handles VALUES (3, 'zoe');
INSERT INTO codes VALUES ('xyz', 2);
INSERT INTO codes VALUES ('pad', 2);
INSERT INTO nopad VALUES ('q', 2);
INSERT INTO tags VALUES ('äpple', 2);
