#!/usr/bin/env bash
# The main job: starts the reference xwms-server with demo data on a loopback port and opens
# XWMS Desktop pointed at it. Ctrl+C stops both. Installs and builds what is missing first.
#   XWMS_PORT=8787 (default) chooses the server's port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh

echo "==> building XWMS Desktop and xwms-server (first time: several minutes)"
npx tauri build --no-bundle
cargo build --release --locked -p xwms-server -p xwms-cli

port="${XWMS_PORT:-8787}"
# Demo mail (sign-up codes, unlock codes, notices) goes to maildev: SMTP on 127.0.0.1:1025,
# readable in a browser at http://127.0.0.1:1080.
node_modules/.bin/maildev --ip 127.0.0.1 --web-ip 127.0.0.1 --smtp 1025 --web 1080 >/dev/null 2>&1 &
maildev_pid=$!
export XWMS_SMTP_URL="smtp://127.0.0.1:1025"
data="${XWMS_DEMO_DATA:-$HOME/.local/share/xwms-demo}"
mkdir -p "$data"
"$CARGO_TARGET_DIR/release/xwms-server" serve --demo --timezone Europe/Amsterdam --listen "127.0.0.1:$port" --data-dir "$data" &
server_pid=$!
trap 'kill "$server_pid" "$maildev_pid" 2>/dev/null || true; wait "$server_pid" "$maildev_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "==> xwms-server (demo data) on http://127.0.0.1:$port — try: $CARGO_TARGET_DIR/release/xwms info --server http://127.0.0.1:$port"
echo "==> demo mailbox (codes and notices): http://127.0.0.1:1080"
echo "==> demo accounts: anna@example.com / XwmsDemo2026, support@xwms.example / XwmsAgent2026 (agent)"

export XWMS_SERVER_URL="http://127.0.0.1:$port"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "$CARGO_TARGET_DIR/release/xwms-desktop"
else
  # No screen (a server or CI machine): run the real window in a virtual one and save a
  # screenshot of it, so the run still shows what a person would see.
  echo "==> no display: running the app under Xvfb; screenshot in target/run-screenshot.png"
  scripts/desktop-session.sh bash -c '
    "$0" & app=$!
    sleep 6
    import -window root "$1" && echo "screenshot: $1"
    echo "the app is running (pid $app); Ctrl+C to stop"
    wait "$app"
  ' "$CARGO_TARGET_DIR/release/xwms-desktop" "$PWD/target/run-screenshot.png"
fi
