#!/usr/bin/env bash
# Smoke test of a Linux release archive, as a responder would use it:
# checks its sum against the SHA256SUMS beside it, unpacks it into a fresh
# directory outside the checkout, checks the desktop entry and icon are in
# it, that `version` prints VERSION and that a command works on a new
# database with nothing on stderr under LANG=C.UTF-8, then starts the
# window from the unpacked binary on a virtual display (scripts/gui-smoke.sh).
#
#   scripts/release-smoke.sh dist/s3responder-0.2.0-linux-amd64.tar.xz 0.2.0
set -euo pipefail
[ $# -eq 2 ] || {
	echo "usage: scripts/release-smoke.sh ARCHIVE.tar.xz VERSION" >&2
	exit 2
}
archive=$(realpath "$1")
version=$2
cd "$(dirname "$0")/.."

fail() {
	echo "release-smoke: FAIL: $*" >&2
	exit 1
}

work=$(mktemp -d -t s3responder-release-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT

sums=$(dirname "$archive")/SHA256SUMS
[ -f "$sums" ] || fail "no SHA256SUMS beside $archive"
(cd "$(dirname "$archive")" && grep -F " $(basename "$archive")" SHA256SUMS | sha256sum -c --quiet -) ||
	fail "the archive does not match SHA256SUMS"
echo "release-smoke: sum OK"

tar -xJf "$archive" -C "$work"
# fyne package puts the files under usr/local/ (or usr/ where the
# packaging machine has no /usr/local), with a Makefile to install them.
top=$work/s3responder
prefix=$top/usr/local
[ -d "$prefix" ] || prefix=$top/usr
for f in "$top/Makefile" "$prefix/bin/s3responder" "$prefix/share/applications/io.s3responder.app.desktop" \
	"$prefix/share/pixmaps/io.s3responder.app.png"; do
	[ -f "$f" ] || fail "${f#"$top"/} is not in the archive"
done
grep -q '^Exec=s3responder' "$prefix/share/applications/io.s3responder.app.desktop" ||
	fail "the desktop entry does not start s3responder"
bin=$prefix/bin/s3responder

# A private home: the test must not touch the user's database.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
unset LC_ALL LC_MESSAGES LANGUAGE
export LANG=C.UTF-8

"$bin" version >"$work/out" 2>"$work/err" || fail "version exited with $?"
[ ! -s "$work/err" ] || fail "version wrote to stderr: $(cat "$work/err")"
[ "$(awk '{print $2}' "$work/out")" = "$version" ] || fail "version printed '$(cat "$work/out")', want $version"
echo "release-smoke: $(cat "$work/out")"

"$bin" incident list --db "$work/incidents.db" >"$work/out" 2>"$work/err" || fail "incident list exited with $?"
[ ! -s "$work/err" ] || fail "incident list wrote to stderr: $(cat "$work/err")"
[ "$(cat "$work/out")" = "No incidents." ] || fail "incident list printed '$(cat "$work/out")'"
echo "release-smoke: incident list on a new database: OK, nothing on stderr"

S3RESPONDER_BIN=$bin scripts/gui-smoke.sh "$work/shot.png"
echo "release-smoke: OK"
