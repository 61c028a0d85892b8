# Thin front door over `cargo xtask`; the logic lives in crates/xtask.
# Every recipe works without `just` too: run the command it shows.

# Run formatting, clippy and every test, live MariaDB tests included.
test:
    cargo xtask test

# Scan the bundled `conflicts` scenario (no server needed).
demo:
    cargo run -q -p reconcile-cli -- scan --east testdata/conflicts/east --west testdata/conflicts/west --schema testdata/conflicts/schema.sql --volatile-columns shop.tickets.opened_at --out /tmp/reconcile-demo --overwrite

# Regenerate testdata/ binlogs from their SQL against real MariaDB servers.
gen-testdata *SCENARIOS:
    cargo xtask gen-testdata {{SCENARIOS}}

# Benchmark reconcile on >= 1 GB of binlogs (cached outside the repo); writes bench/results.md.
bench *ARGS:
    cargo xtask bench {{ARGS}}
