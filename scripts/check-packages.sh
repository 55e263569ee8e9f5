#!/usr/bin/env bash
# Checks the built installers: the .deb and .rpm exist, are well formed, install the app's
# binary, desktop entry and icons, and declare the WebKitGTK dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
bundle="$CARGO_TARGET_DIR/release/bundle"
version=$(node -p "require('./tauri.conf.json').version")
deb=$(ls "$bundle"/deb/*_"$version"_*.deb)
rpm=$(ls "$bundle"/rpm/*-"$version"-*.rpm)
fail() { echo "check-packages: $*" >&2; exit 1; }

dpkg-deb --info "$deb" >/dev/null || fail "$deb is not a valid .deb"
deb_files=$(dpkg-deb --contents "$deb")
for f in usr/bin/xwms-desktop usr/share/applications/ usr/share/icons/hicolor/128x128/apps/; do
  grep -q "$f" <<<"$deb_files" || fail ".deb lacks $f"
done
dpkg-deb --field "$deb" Depends | grep -q libwebkit2gtk-4.1 || fail ".deb does not depend on libwebkit2gtk-4.1"
[ "$(dpkg-deb --field "$deb" Package)" = "xwms-desktop" ] || fail "unexpected .deb package name"
desktop=$(mktemp -d); dpkg-deb -x "$deb" "$desktop"
grep -q '^Name=XWMS Desktop' "$desktop"/usr/share/applications/*.desktop || fail ".desktop entry lacks the name"
# xwms:// links (the support reply mail) open the app: the entry handles the scheme and its
# Exec line takes the link (%u; without it the launcher would start the app without the link).
grep -q '^MimeType=.*x-scheme-handler/xwms' "$desktop"/usr/share/applications/*.desktop || fail ".desktop entry does not handle xwms://"
grep -q '^Exec=xwms-desktop %u$' "$desktop"/usr/share/applications/*.desktop || fail ".desktop Exec line does not take the link (%u)"
"$desktop/usr/bin/xwms-desktop" --help >/dev/null 2>&1 || true  # must at least be an ELF that links
file "$desktop/usr/bin/xwms-desktop" | grep -q ELF || fail "binary in .deb is not an ELF"
rm -rf "$desktop"

rpm -qip "$rpm" >/dev/null 2>&1 || fail "$rpm is not a valid .rpm"
rpm_files=$(rpm -qlp "$rpm" 2>/dev/null)
for f in /usr/bin/xwms-desktop /usr/share/applications/; do
  grep -q "$f" <<<"$rpm_files" || fail ".rpm lacks $f"
done
rpmroot=$(mktemp -d)
# rpm2cpio 4.18 exits 1 after writing the whole archive; what cpio extracts is checked below.
(cd "$rpmroot" && { rpm2cpio "$rpm" || true; } | cpio -idm --quiet)
grep -q '^MimeType=.*x-scheme-handler/xwms' "$rpmroot"/usr/share/applications/*.desktop || fail ".rpm desktop entry does not handle xwms://"
grep -q '^Exec=xwms-desktop %u$' "$rpmroot"/usr/share/applications/*.desktop || fail ".rpm desktop Exec line does not take the link (%u)"
rm -rf "$rpmroot"

printf 'deb: %s (%s bytes)\nrpm: %s (%s bytes)\n' "$(basename "$deb")" "$(stat -c %s "$deb")" "$(basename "$rpm")" "$(stat -c %s "$rpm")"
