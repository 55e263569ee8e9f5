#!/usr/bin/env bash
# Runs every test of XWMS Desktop: lints, Rust tests, the real keychain, UI component and
# browser tests, the installers, and the real app end to end. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

passed=0
step() {
  local name=$1; shift
  echo
  echo "==> $name"
  local start=$SECONDS
  "$@"
  passed=$((passed + 1))
  echo "<== $name ok ($((SECONDS - start)) s)"
}

step "rustfmt" cargo fmt --all --check
step "UI build" npm run build
step "clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
step "UI type check" npm run check
step "Rust tests" cargo test --workspace --locked
step "abuse suite (release xwms-server on loopback)" scripts/abuse.sh
step "API fuzzing (schemathesis, all checks)" scripts/schemathesis.sh
step "desktop session (Secret Service, notifications): core + CLI + app" scripts/desktop-session.sh cargo test -p xwms-core -p xwms-cli -p xwms-desktop --locked --tests -- --ignored
step "UI component tests" npm run test:unit
step "UI browser tests (Chromium)" npm run test:ui
step "app + installers (.deb, .rpm)" npx tauri build --bundles deb,rpm
step "installer contents" scripts/check-packages.sh
step "end to end (real app, WebDriver)" scripts/desktop-session.sh node --test --test-concurrency=1 tests/e2e/

echo
echo "steps: $passed passed, 0 failed"
