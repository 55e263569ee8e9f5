#!/usr/bin/env bash
# The black-box abuse suite (issue 9): the release `xwms-server`, with the production password
# hash, attacked over loopback from several addresses (127.0.0.2, .3, ...). The tests live in
# crates/xwms-server/tests/server/abuse.rs (ignored in a plain `cargo test`) and print what they
# count.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh
cargo build --release --locked -p xwms-server
XWMS_SERVER_BIN="$CARGO_TARGET_DIR/release/xwms-server" \
  cargo test --locked -p xwms-server --test server abuse -- --ignored --test-threads 1 --nocapture
