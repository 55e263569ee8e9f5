# Sourced by the scripts: where builds go. The cargo target dir lives outside the clone so that
# fresh clones (CI) reuse earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xwms-desktop/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
