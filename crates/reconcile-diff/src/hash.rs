//! Content hashes that tie a report row to its plan item.

use sha2::{Digest, Sha256};

use crate::model::Item;

/// Feeds what is written into a SHA-256.
struct Hashing(Sha256);

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 (hex) of the item's canonical JSON: any change to what the item says
/// (key, images, class, kind, group) changes the hash. The JSON is hashed as it is
/// written, never held whole.
pub fn item_hash(item: &Item) -> String {
    let mut hashing = Hashing(Sha256::new());
    let digest = match serde_json::to_writer(&mut hashing, item) {
        Ok(()) => hashing.0.finalize(),
        // as the hash of the JSON text when the item cannot be written: none
        Err(_) => Sha256::digest(b""),
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use reconcile_binlog::{Bytes, Value};

    use super::*;
    use crate::model::{Class, NetOp};

    #[test]
    fn the_hash_is_sha256_of_the_items_json_text_in_hex() {
        let item = Item {
            id: 7,
            group: 3,
            class: Class::Auto,
            kind: None,
            suggestion: None,
            schema: "s".into(),
            table: "t".into(),
            columns: vec!["id".into(), "b".into()],
            generated: vec![],
            key: vec![("id".into(), Value::Int(7))],
            east_op: NetOp::Insert,
            west_op: None,
            base: None,
            west_base: None,
            east: Some(vec![
                ("id".into(), Value::Int(7)),
                (
                    "b".into(),
                    Value::String {
                        bytes: Bytes(vec![0xff, b'"']),
                        collation: None,
                    },
                ),
            ]),
            west: None,
            east_changed: vec!["id".into(), "b".into()],
            west_changed: vec![],
            east_gtids: vec!["0-1-9".into()],
            west_gtids: vec![],
            reason: "only East inserted the key".into(),
        };
        let text = serde_json::to_vec(&item).unwrap();
        let want: String = Sha256::digest(&text)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(item_hash(&item), want);
        assert_eq!(want.len(), 64);
    }
}
