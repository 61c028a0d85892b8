//! Content hashes that tie a report row to its plan item.

use sha2::{Digest, Sha256};

use crate::model::Item;

/// SHA-256 (hex) of the item's canonical JSON: any change to what the item says
/// (key, images, class, kind, group) changes the hash.
pub fn item_hash(item: &Item) -> String {
    let json = serde_json::to_vec(item).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
