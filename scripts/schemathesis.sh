#!/usr/bin/env bash
# Fuzzes the served OpenAPI document of `xwms-server serve --demo` with schemathesis and every
# check it has: each operation is called with requests the document calls valid (they must not
# be refused for their form) and invalid (they must be refused), and every answer must match the
# document (status, headers, content type, body schema). Runs twice: without credentials and
# with the demo account's bearer token. Exits non-zero on any failure.
#
# Installs the pinned schemathesis (scripts/requirements-test.txt) into
# ~/.cache/xwms-desktop/venv once; builds the debug server; uses a free loopback port and a
# temporary data folder. Bounded: SCHEMATHESIS_MAX_EXAMPLES (default 20) cases per operation
# and phase, a fixed seed (SCHEMATHESIS_SEED, default 1) so a run is reproducible.
# `scripts/schemathesis.sh --install` only installs (for scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

venv="$HOME/.cache/xwms-desktop/venv"
requirements=scripts/requirements-test.txt
stamp="$venv/.requirements-test.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
st="$venv/bin/schemathesis"
if [ "${1:-}" = --install ]; then exit 0; fi

# The server binary this checkout builds (wherever the target dir is).
server=$(cargo build --quiet -p xwms-server --bin xwms-server --message-format=json \
  | "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "xwms-server":
        print(m["executable"])')
[ -x "$server" ] || { echo "could not build xwms-server" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$server" serve --demo --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/server.log" | head -1 | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
echo "xwms-server at $url"

# A bearer token of the demo account (see crates/xwms-api/src/auth.rs, SignInRequest).
token=$("$venv/bin/python" - "$url" <<'EOF'
import json, sys, urllib.request
body = json.dumps({
    "email": "anna@example.com",
    "password": "XwmsDemo2026",
    "device": {"name": "schemathesis", "os": "linux", "app": "schemathesis",
               "app_version": "1", "installation_id": "schemathesis"},
}).encode()
request = urllib.request.Request(sys.argv[1] + "/api/auth/signin", data=body,
                                 headers={"Content-Type": "application/json"})
answer = json.load(urllib.request.urlopen(request))
print(answer["data"]["access_token"])
EOF
)

export SCHEMATHESIS_HOOKS="$PWD/scripts/schemathesis_hooks.py"
# GET /api/realtime is a WebSocket handshake: its answer is `101 Switching Protocols` and then
# frames, which schemathesis (HTTP request and answer) cannot judge. The socket is tested by
# crates/xwms-server/tests/server/{socket,realtime}.rs.
run() {
  local name=$1; shift
  echo
  echo "==> schemathesis: $name"
  (cd "$work" && "$st" --config-file "$OLDPWD/scripts/schemathesis.toml" run "$url/api/openapi.json" \
    --checks all \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-20}" \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --request-timeout 10 \
    --no-color \
    --exclude-path /api/realtime \
    "$@")
}
run "without credentials"
# Signing out would end the session whose token the rest of the run uses; it is covered by the
# run without credentials.
run "as anna@example.com (bearer)" -H "Authorization: Bearer $token" \
  --exclude-path /api/auth/signout
