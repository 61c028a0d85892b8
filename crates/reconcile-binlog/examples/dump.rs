//! Prints the transactions of binlog files as JSON lines (debugging aid).
use reconcile_binlog::{BinlogReader, FileSource, ReadItem, ReaderOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let reader = BinlogReader::new(FileSource::open_all(paths), ReaderOptions::default());
    for item in reader {
        match item? {
            ReadItem::Transaction(t) => println!("{}", serde_json::to_string(&t)?),
            ReadItem::Diagnostic(d) => eprintln!("diagnostic: {}", d.message),
        }
    }
    Ok(())
}
