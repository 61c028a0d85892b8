USE types;

-- 6: identical to East's change: FLOAT/DOUBLE/TIMESTAMP/DECIMAL compare exactly.
UPDATE all_types SET c_float = 0.1, c_double = 1e-300,
  c_timestamp3 = '2026-11-21 09:00:00.123', c_decimal = '0.100000000000000000000000000000'
  WHERE id = 6;

-- 10: a row only West has.
INSERT INTO all_types (id, c_int, c_varchar_utf8mb4) VALUES (10, 10, 'west only');
