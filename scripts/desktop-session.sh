#!/usr/bin/env bash
# Runs a command inside a throwaway desktop session: its own XDG folders, an Xvfb display,
# a D-Bus session bus and an unlocked gnome-keyring (the real Secret Service).
#   scripts/desktop-session.sh CMD [ARGS...]
# Nothing touches the real home folder. Xvfb is stopped by a trap in this (parent) shell:
# `exec`-ing into dbus-run-session would lose it (PID 1 here does not reap).
set -euo pipefail

session=$(mktemp -d "${TMPDIR:-/tmp}/xwms-session.XXXXXX")
mkdir -p "$session"/{runtime,data,cache,config}
chmod 700 "$session/runtime"
export XDG_RUNTIME_DIR="$session/runtime" XDG_DATA_HOME="$session/data" \
       XDG_CACHE_HOME="$session/cache" XDG_CONFIG_HOME="$session/config" \
       NO_AT_BRIDGE=1 XWMS_SESSION_DIR="$session"

display=""
for n in $(seq 90 140); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || { echo "desktop-session: no free X display" >&2; exit 1; }
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$session/xvfb.log" 2>&1 &
xvfb_pid=$!
cleanup() {
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
  [ -n "${XWMS_KEEP_SESSION:-}" ] || rm -rf "$session"
}
trap cleanup EXIT INT TERM
for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
export DISPLAY="$display"

# Inside the bus: unlock a fresh login keyring with a throwaway password, start a real
# notification server (dunst, org.freedesktop.Notifications) for desktop notifications, then
# run the command.
dbus-run-session -- bash -c '
  eval "$(printf "xwms-test-keyring" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
  if command -v dunst >/dev/null 2>&1; then
    printf "[global]\n  idle_threshold = 0\n" >"$XWMS_SESSION_DIR/dunstrc"
    dunst -config "$XWMS_SESSION_DIR/dunstrc" >"$XWMS_SESSION_DIR/dunst.log" 2>&1 &
    dunst_pid=$!
    trap "kill $dunst_pid 2>/dev/null || true" EXIT
  fi
  "$@"
' desktop-session "$@"
