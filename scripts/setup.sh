#!/usr/bin/env bash
# Installs everything XWMS Desktop needs to build, run and test on Debian/Ubuntu.
# Idempotent: each step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth x11-utils webkit2gtk-driver
  dbus dbus-x11 gnome-keyring libsecret-tools keyutils
  chromium rpm cpio zbar-tools imagemagick wrk dunst python3-venv
  xdg-utils desktop-file-utils
)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} system packages: ${missing[*]}"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# tauri-driver: the WebDriver proxy in front of WebKitWebDriver.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked 
fi

# npm packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi

# pyotp: an independent TOTP implementation for the end-to-end 2FA test (the app and server
# use totp-rs; the test computes codes with something else).
if ! python3 -c "import pyotp" >/dev/null 2>&1; then
  echo "setup: installing pyotp"
  python3 -m pip install --quiet --disable-pip-version-check "pyotp==2.9.0"
fi

# schemathesis (pinned, in its own venv under ~/.cache/xwms-desktop): the API fuzzing step.
scripts/schemathesis.sh --install
