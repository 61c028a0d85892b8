USE types;

-- 3: the largest value of every type.
INSERT INTO all_types VALUES (
  3, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  '99999999999999999999999999999999999.999999999999999999999999999999', '99999999.99', '99999',
  3.40282e38, 1.7976931348623157e308,
  b'1', b'1111111111111', b'1111111111111111111111111111111111111111111111111111111111111111',
  'large', 'red,green,blue', 2155, '9999-12-31',
  '838:59:59', '838:59:59.000', '838:59:59.000000',
  '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07', '2038-01-19 03:14:07.999',
  'zzzzzzzzzz', REPEAT('😀', 300), REPEAT('€', 40), 'Ω≈ç√∫', 'ЁЯ',
  REPEAT('t', 255), REPEAT('x', 65535), REPEAT('m', 70000), REPEAT('l', 100000),
  x'FFFFFFFF', REPEAT(x'FF', 20), REPEAT(x'AB', 255), REPEAT(x'CD', 65535),
  REPEAT(x'EF', 70000), REPEAT(x'01', 100000),
  '{"big": 18446744073709551615, "neg": -9223372036854775808, "f": 1.7976931348623157e308, "nested": {"arr": [[[]]], "obj": {}}}',
  ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))'), ST_GeomFromText('POINT(-180 90)'),
  '255.255.255.255', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff'
);

-- 4: the smallest value of every type.
INSERT INTO all_types VALUES (
  4, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
  -9223372036854775808, 0,
  '-99999999999999999999999999999999999.999999999999999999999999999999', '-99999999.99', '-99999',
  -3.40282e38, -1.7976931348623157e308,
  b'0', b'0', b'0',
  'small', '', 1901, '1000-01-01',
  '-838:59:59', '-838:59:59.000', '-838:59:59.000000',
  '1000-01-01 00:00:00', '1000-01-01 00:00:00.000000',
  '1970-01-01 00:00:01', '1970-01-01 00:00:01.000',
  '', '', '', '', '',
  '', '', '', '',
  x'00000000', '', '', '', '', '',
  '[]',
  ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'), ST_GeomFromText('POINT(0 0)'),
  '0.0.0.0', '::', '00000000-0000-0000-0000-000000000000'
);

-- 5: special values: zero date parts (allowed in a non-strict session), tiny
-- fractions, negative zero decimal scale, quotes, backslashes and NUL in strings.
SET SESSION sql_mode = '';
INSERT INTO all_types (id, c_year, c_date, c_datetime, c_time6, c_decimal, c_decimal_money,
                       c_float, c_double, c_varchar_utf8mb4, c_varbinary, c_blob, c_json, c_enum, c_set)
VALUES (5, 0, '0000-00-00', '0000-00-00 00:00:00', '-00:00:00.000001',
        '-0.000000000000000000000000000001', '-0.01',
        1.17549e-38, 2.2250738585072014e-308, 'it''s a "quote" \\ back\\slash',
        x'00FF00', x'000000', '"just a string"', 'small', 'green');
SET SESSION sql_mode = DEFAULT;

-- 1: several columns change.
UPDATE all_types SET c_int = c_int + 1, c_varchar_utf8mb4 = 'héllo wörld',
  c_json = JSON_SET(c_json, '$.b.c', 'changed'), c_datetime6 = '2025-01-01 00:00:00.000001'
  WHERE id = 1;

-- 2: deleted.
DELETE FROM all_types WHERE id = 2;

-- 6: the same change as West makes.
UPDATE all_types SET c_float = 0.1, c_double = 1e-300,
  c_timestamp3 = '2026-11-21 09:00:00.123', c_decimal = '0.100000000000000000000000000000'
  WHERE id = 6;
