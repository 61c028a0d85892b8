//! MySQL's generated invisible primary key: the binlog logs `my_row_id` as the first
//! column and the primary key, while a schema dump may not show it. It is the row's
//! identity; the schema's columns and unique keys sit one position further right.

use std::sync::Arc;

use reconcile_binlog::{
    Bytes, ColumnDescription, ColumnType, Gtid, Row, RowChange, RowImage, RowOp, SourcePosition,
    TableDescription, Transaction, Value,
};
use reconcile_diff::{Class, Config, EastPass, Kind, Suggestion};

const DDL: &str = "CREATE DATABASE d;
USE d;
CREATE TABLE g (
  name VARCHAR(20) NOT NULL,
  email VARCHAR(40) NOT NULL,
  UNIQUE KEY uk_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
";

fn table() -> Arc<TableDescription> {
    let text = |name: &str| ColumnDescription {
        name: Some(name.to_owned()),
        column_type: ColumnType::Varchar { max_len: 160 },
        type_code: 15,
        unsigned: None,
        collation: Some(255),
        nullable: false,
        visible: Some(true),
    };
    Arc::new(TableDescription {
        table_id: 7,
        schema: "d".to_owned(),
        table: "g".to_owned(),
        columns: vec![
            ColumnDescription {
                name: Some("my_row_id".to_owned()),
                column_type: ColumnType::LongLong,
                type_code: 8,
                unsigned: Some(true),
                collation: None,
                nullable: false,
                visible: Some(false),
            },
            text("name"),
            text("email"),
        ],
        primary_key: Some(vec![(0, 0)]),
    })
}

fn row(id: u64, name: &str, email: &str) -> Row {
    let s = |t: &str| {
        Some(Value::String {
            bytes: Bytes(t.as_bytes().to_vec()),
            collation: Some(255),
        })
    };
    Row {
        values: vec![Some(Value::UInt(id)), s(name), s(email)],
    }
}

fn insert(server: u32, seq: u64, r: Row) -> Transaction {
    Transaction {
        gtid: Some(Gtid::Mariadb {
            domain: 0,
            server,
            seq,
        }),
        server_id: server,
        timestamp: 0,
        position: SourcePosition {
            file: "b.000001".into(),
            start: seq,
            end: seq + 1,
        },
        tables: vec![table()],
        changes: vec![RowChange {
            table_index: 0,
            schema: "d".into(),
            table: "g".into(),
            op: RowOp::Insert,
            before: None,
            after: Some(r),
            image: RowImage::Full,
        }],
        statements: vec![],
        skipped: vec![],
    }
}

#[test]
fn the_invisible_primary_key_is_the_identity() {
    let schema = reconcile_schema::parse_schema(DDL).unwrap();
    let mut east = EastPass::new(Config::default(), Some(&schema));
    east.add(&insert(1, 12, row(5, "Ann", "ann@x")));
    east.add(&insert(1, 13, row(6, "Bob", "bob@x")));
    east.add(&insert(1, 14, row(7, "Cat", "cat@x")));
    let mut west = east.into_west();
    west.add(&insert(2, 12, row(6, "Ida", "ida@x")));
    west.add(&insert(2, 13, row(9, "Kat", "CAT@X")));
    let outcome = west.finish();
    let verdict = |id: u64| {
        let item = outcome
            .items
            .iter()
            .find(|i| i.key == vec![("my_row_id".to_owned(), Value::UInt(id))])
            .unwrap_or_else(|| panic!("no item for my_row_id {id}: {:?}", outcome.items));
        (item.class, item.kind, item.suggestion.clone())
    };
    assert_eq!(outcome.items.len(), 3);
    assert_eq!(verdict(5), (Class::Auto, None, None));
    assert_eq!(
        verdict(6),
        (
            Class::Review,
            Some(Kind::InsertInsert),
            Some(Suggestion::Rekey {
                referenced_by: vec![]
            })
        )
    );
    // The schema's unique key on `email` is the binlog's third column; under
    // utf8mb4_0900_ai_ci `cat@x` and `CAT@X` collide.
    assert_eq!(verdict(7).0, Class::Review);
    assert_eq!(verdict(7).1, Some(Kind::UniqueCollision));
}
