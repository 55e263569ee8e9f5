#!/usr/bin/env bash
# Live support benchmark (not part of scripts/test.sh): N chat clients on loopback (default
# 1000), each with a conversation and a realtime socket, plus an agent's socket; prints
# send → arrival p50/p95/max per direction. With --soak MINUTES, rounds repeat every 6 s for
# that long and lost and doubled messages are counted by client id (on the sockets and in the
# store).
#
#   scripts/bench-support.sh [CLIENTS] [--soak MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=1000
soak=0
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) soak="${2:?minutes}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) clients="$1"; shift ;;
  esac
done
XWMS_BENCH_CLIENTS="$clients" XWMS_SOAK_MINUTES="$soak" \
  cargo test -p xwms-server --release --test server bench_support_chat_delivery -- \
  --ignored --nocapture --test-threads 1
