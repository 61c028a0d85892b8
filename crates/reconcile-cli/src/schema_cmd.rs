//! `reconcile schema dump`, and reading a schema live for `scan --schema mysql://…`.

use std::io::Write;

use anyhow::Context;
use reconcile_live::schema::{read_schema, ReadOptions};
use reconcile_live::Connector;
use reconcile_schema::Schema;

use crate::connect::{ConnectArgs, ConnectOptions};

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    #[command(subcommand)]
    pub command: SchemaCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SchemaCommand {
    /// Read a live server's tables, keys, foreign keys and triggers from
    /// information_schema and print them as SQL, in the form `scan --schema FILE`
    /// reads (every database but the system ones and `reconcile`).
    Dump(DumpArgs),
}

#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `reconcile schema …`.
pub fn run(args: SchemaArgs) -> anyhow::Result<()> {
    match args.command {
        SchemaCommand::Dump(args) => dump(&args),
    }
}

fn dump(args: &DumpArgs) -> anyhow::Result<()> {
    let (label, schema) = read_live("--target", &args.connect.target, &args.connect.options)?;
    let mut text = format!("-- reconcile schema dump of {label}\n");
    text.push_str(&reconcile_schema::render_schema(&schema));
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the schema to stdout")?;
    Ok(())
}

/// Reads the schema of the server at `url` (given as option `what`) from
/// information_schema; returns the server's label (never with a password) too.
pub fn read_live(
    what: &str,
    url: &str,
    options: &ConnectOptions,
) -> anyhow::Result<(String, Schema)> {
    let endpoint = options.endpoint(what, url)?;
    let connector = Connector::new(endpoint.label(), endpoint.attempts());
    let label = connector.label().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let schema = runtime.block_on(async {
        let mut conn = connector.connect().await?;
        let schema = read_schema(&mut conn, &label, &ReadOptions::default()).await;
        // The schema is read; a failing goodbye changes nothing.
        let _ = conn.disconnect().await;
        schema
    })?;
    for w in &schema.warnings {
        tracing::warn!(server = %label, "{}", w.message);
    }
    Ok((label, schema))
}
