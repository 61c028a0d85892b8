//! Feeds arbitrary bytes to the whole pipeline (source framing, checksum,
//! event decoding, payload inflation, row decoding, transaction assembly).
//! Any panic is a bug. The first byte picks options so both the checksum
//! path and the decoders behind it are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reconcile_binlog::{BinlogReader, ChecksumPolicy, FileSource, ReaderOptions, BINLOG_MAGIC};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = Vec::with_capacity(rest.len() + 4);
    if mode & 1 == 0 {
        bytes.extend_from_slice(&BINLOG_MAGIC);
    }
    bytes.extend_from_slice(rest);
    let opts = ReaderOptions {
        verify_checksums: if mode & 2 == 0 {
            ChecksumPolicy::Skip
        } else {
            ChecksumPolicy::Error
        },
        max_inflated_size: 16 << 20,
        ..Default::default()
    };
    for item in BinlogReader::new(FileSource::from_bytes("fuzz", bytes), opts) {
        if item.is_err() {
            break;
        }
    }
});
