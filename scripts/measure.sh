#!/usr/bin/env bash
# Prints the foundation's numbers: clean release build time, release binary and .deb sizes,
# cold start (window mapped, first paint) and idle memory 10 s after start, for XWMS Desktop
# and for a hello-world Tauri app built the same way in the same run; under each run, where its
# memory goes, per process and per kind of mapping (scripts/proc-mem.sh).
#   scripts/measure.sh [--no-clean]   (--no-clean skips the slow clean-build timing)
# Not a test: nothing here passes or fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
. scripts/env.sh
work=$(mktemp -d /tmp/xwms-measure.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ "${1:-}" != "--no-clean" ]; then
  echo "== clean release build of XWMS Desktop (app + .deb), 2 cores, empty target dir"
  start=$(date +%s)
  CARGO_TARGET_DIR="$work/clean-target" npx tauri build --bundles deb >"$work/clean.log" 2>&1
  echo "clean build: $(( $(date +%s) - start )) s"
  rm -rf "$work/clean-target"
fi

npx tauri build --bundles deb >/dev/null 2>&1
app="$CARGO_TARGET_DIR/release/xwms-desktop"
deb=$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -1)

echo "== hello-world Tauri app (same tauri version, same profile, same target dir)"
hello="$work/hello"
mkdir -p "$hello/src" "$hello/dist" "$hello/icons"
cp icons/32x32.png icons/128x128.png icons/128x128@2x.png icons/icon.png "$hello/icons/"
tauri_req=$(grep -E '^tauri = ' Cargo.toml | sed -E 's/.*version = "([^"]+)".*/\1/')
build_req=$(grep -E '^tauri-build = ' Cargo.toml | sed -E 's/.*version = "([^"]+)".*/\1/')
cat >"$hello/Cargo.toml" <<TOML
[package]
name = "hello-tauri"
version = "0.1.0"
edition = "2021"
[dependencies]
tauri = { version = "$tauri_req", features = ["custom-protocol"] }
[build-dependencies]
tauri-build = "$build_req"
[profile.release]
codegen-units = 4
lto = "thin"
strip = true
[workspace]
TOML
echo 'fn main() { tauri_build::build() }' >"$hello/build.rs"
echo 'fn main() { tauri::Builder::default().run(tauri::generate_context!()).expect("run"); }' >"$hello/src/main.rs"
echo '<!doctype html><html><body style="font-family:sans-serif"><h1>Hello, world</h1></body></html>' >"$hello/dist/index.html"
cat >"$hello/tauri.conf.json" <<JSON
{ "productName": "hello", "version": "0.1.0", "identifier": "nl.xwms.hello",
  "build": { "frontendDist": "dist" },
  "app": { "windows": [ { "title": "hello", "width": 1100, "height": 720 } ] },
  "bundle": { "icon": ["icons/32x32.png", "icons/128x128.png"] } }
JSON
cp Cargo.lock "$hello/Cargo.lock"
(cd "$hello" && cargo build --release -q 2>"$work/hello.log") || { cat "$work/hello.log"; exit 1; }
hello_bin="$CARGO_TARGET_DIR/release/hello-tauri"

echo
printf '%-28s %14s %14s\n' "" "XWMS Desktop" "hello-world"
printf '%-28s %14s %14s\n' "release binary (stripped)" "$(( $(stat -c %s "$app") / 1024 )) KiB" "$(( $(stat -c %s "$hello_bin") / 1024 )) KiB"
printf '%-28s %14s\n' ".deb" "$(( $(stat -c %s "$deb") / 1024 )) KiB"

# Start-up and memory, each app alone in its own Xvfb + D-Bus session, 3 runs each.
probe() {
  scripts/desktop-session.sh bash -c '
    bin=$1
    t0=$(date +%s%N)
    "$bin" >/dev/null 2>&1 & pid=$!
    mapped=""; painted=""
    for _ in $(seq 1 400); do
      now=$(date +%s%N)
      if [ -z "$mapped" ] && xwininfo -root -tree 2>/dev/null | grep -qE "\"(XWMS Desktop|hello)\""; then mapped=$(( (now - t0) / 1000000 )); fi
      if [ -n "$mapped" ]; then
        colours=$(import -silent -window root -resize 25% -format %k info: 2>/dev/null || echo 0)
        if [ "${colours:-0}" -gt 8 ]; then painted=$(( ($(date +%s%N) - t0) / 1000000 )); break; fi
      fi
      sleep 0.02
    done
    sleep 10
    pids="$pid $(pgrep -P "$pid" | tr "\n" " ")"
    for c in $(pgrep -P "$pid"); do pids="$pids $(pgrep -P "$c" | tr "\n" " ")"; done
    rss=0; pss=0; n=0
    for p in $pids; do
      [ -r /proc/$p/smaps_rollup ] || continue
      r=$(awk "/^Rss:/{print \$2}" /proc/$p/smaps_rollup); s=$(awk "/^Pss:/{print \$2}" /proc/$p/smaps_rollup)
      rss=$((rss + r)); pss=$((pss + s)); n=$((n + 1))
    done
    scripts/proc-mem.sh "$pid" --malloc  # where it goes: per process, per kind of mapping
    echo "$mapped $painted $rss $pss $n"
    kill $pid; wait $pid 2>/dev/null || true
  ' _ "$1"  # bash -c: the first argument is $0, so the binary is passed after a placeholder
}
for name in app hello; do
  bin=$app; [ "$name" = hello ] && bin=$hello_bin
  for run in 1 2 3; do
    out=$(probe "$bin")
    read -r mapped painted rss pss n <<<"$(tail -1 <<<"$out")"
    printf '%-12s run %d: window mapped %5s ms, first paint %5s ms, idle after 10 s: RSS %6s KiB, PSS %6s KiB over %s processes\n' \
      "$name" "$run" "$mapped" "$painted" "$rss" "$pss" "$n"
    head -n -1 <<<"$out" | grep -v '^SpiRegistry' || true  # (the a11y registry's hello)
  done
done
