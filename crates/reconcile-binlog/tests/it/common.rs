//! Shared helpers.

use std::path::{Path, PathBuf};

use reconcile_binlog::{BinlogReader, Error, FileSource, ReadItem, ReaderOptions, Transaction};

/// The corpus directory, or `None` (after printing SKIPPED) when absent.
/// With `CI` set, an absent corpus fails the test.
pub fn corpus_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/binlog-corpus"
    ));
    if p.join("MANIFEST.md").exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("corpus absent at {} and CI is set", p.display());
    }
    println!("SKIPPED: corpus absent at {}", p.display());
    None
}

pub fn corpus_file(rel: &str) -> Option<PathBuf> {
    corpus_dir().map(|d| d.join(rel))
}

/// Every binlog file (starting with the magic) under the corpus.
pub fn walk_binlogs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(mut f) = std::fs::File::open(&p) {
                use std::io::Read;
                let mut m = [0u8; 4];
                if f.read_exact(&mut m).is_ok() && m == reconcile_binlog::BINLOG_MAGIC {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

pub struct ReadAll {
    pub transactions: Vec<Transaction>,
    pub diagnostics: Vec<reconcile_binlog::Diagnostic>,
    pub error: Option<Error>,
    pub files: Vec<reconcile_binlog::FileFacts>,
}

pub fn read_source(source: FileSource, opts: ReaderOptions) -> ReadAll {
    let mut r = BinlogReader::new(source, opts);
    let mut out = ReadAll {
        transactions: vec![],
        diagnostics: vec![],
        error: None,
        files: vec![],
    };
    for item in r.by_ref() {
        match item {
            Ok(ReadItem::Transaction(t)) => out.transactions.push(t),
            Ok(ReadItem::Diagnostic(d)) => out.diagnostics.push(d),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    assert!(r.next().is_none(), "iterator must end after an error");
    out.files = r.files().to_vec();
    out
}

pub fn read_path(p: &Path) -> ReadAll {
    read_source(FileSource::open(p), ReaderOptions::default())
}

pub fn read_bytes(name: &str, data: Vec<u8>) -> ReadAll {
    read_source(FileSource::from_bytes(name, data), ReaderOptions::default())
}
