# Thin front door over `cargo xtask`; the logic lives in crates/xtask.
# Every recipe works without `just` too: run the command it shows.

# Run formatting, clippy and every test, live MariaDB tests included.
test:
    cargo xtask test

# Show the bundled `conflicts` scenario's East binlogs (no server needed).
demo:
    cargo run -q -p reconcile-cli -- inspect testdata/conflicts/east

# Regenerate testdata/ binlogs from their SQL against real MariaDB servers.
gen-testdata *SCENARIOS:
    cargo xtask gen-testdata {{SCENARIOS}}
