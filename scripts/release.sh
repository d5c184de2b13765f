#!/usr/bin/env bash
# Builds the release of the committed HEAD into dist/ (or --out DIR):
#
#   s3responder-VERSION-linux-amd64.tar.xz    the desktop package made by
#       `fyne package` from FyneApp.toml: the stripped binary, a .desktop
#       entry, the icon and a Makefile (`make user-install`)
#   s3responder-VERSION-windows-amd64.zip     s3responder.exe, cross-built
#       with mingw-w64 for the GUI subsystem, with icon and version resource
#   SHA256SUMS                                 the sums of both
#
# Every binary is stamped with the version, the commit and the build time
# (`s3responder version`) and built with -trimpath. The checkout is not
# changed: the build runs on a copy of HEAD (`fyne package` rewrites
# FyneApp.toml and drops files beside the sources); uncommitted changes are
# not in the release. Installs what it needs (scripts/deps.sh, and the Fyne
# tool, pinned, into .cache/bin).
#
#   scripts/release.sh [--no-windows] [--out DIR] VERSION
#
# --no-windows skips the Windows build, which takes several minutes more
# (cold: about 8 on two idle cores) and is what CI skips. The Windows .exe
# cannot be run here; scripts/pecheck checks its PE header, subsystem,
# resources and stamped version instead. macOS needs Apple's SDK: see the
# README's "Building a release".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fyne_version=v1.7.4 # fyne.io/tools; v1.7.x packages Fyne 2.7 apps

usage() {
	echo "usage: scripts/release.sh [--no-windows] [--out DIR] VERSION   (VERSION as 1.2.3)" >&2
	exit 2
}
windows=1
out=$root/dist
version=
while [ $# -gt 0 ]; do
	case "$1" in
	--no-windows) windows=0 ;;
	--out)
		[ $# -ge 2 ] || usage
		out=$2
		shift
		;;
	-h | --help) usage ;;
	-*)
		echo "release: unknown flag $1" >&2
		usage
		;;
	*)
		[ -z "$version" ] || usage
		version=$1
		;;
	esac
	shift
done
[ -n "$version" ] || usage
# fyne package takes x.y.z, and Windows' version resource four numbers.
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "release: version must be MAJOR.MINOR.PATCH, like 0.2.0 (got '$version')" >&2
	exit 2
fi

t0=$SECONDS
say() { echo "release: $* ($((SECONDS - t0)) s)"; }

if [ "$windows" = 1 ]; then
	scripts/deps.sh windows
else
	scripts/deps.sh release
fi

# The Fyne packaging tool, pinned, built outside the module so that our
# go.mod is neither read nor changed.
bindir=$root/.cache/bin
fyne=$bindir/fyne
mkdir -p "$bindir"
if ! [ -x "$fyne" ] || [ "$(cat "$bindir/fyne.version" 2>/dev/null)" != "$fyne_version" ]; then
	say "installing fyne.io/tools/cmd/fyne@$fyne_version"
	(cd "$bindir" && GOBIN="$bindir" GOFLAGS=-mod=mod go install "fyne.io/tools/cmd/fyne@$fyne_version")
	echo "$fyne_version" >"$bindir/fyne.version"
fi

status_before=$(git status --porcelain)
if [ -n "$status_before" ]; then
	echo "release: warning: the checkout has uncommitted changes; the release is built from HEAD without them" >&2
fi
commit=$(git rev-parse HEAD)
# The build time, or the one SOURCE_DATE_EPOCH asks for (reproducible builds).
date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%dT%H:%M:%SZ)

work=$(mktemp -d -t s3responder-release.XXXXXX)
trap 'rm -rf "$work"' EXIT
# fyne names the executable and the archive's top directory after the
# source directory.
src=$work/s3responder
mkdir -p "$src"
git archive --format=tar HEAD | tar -x -C "$src"
# The package's version is the release's (FyneApp.toml keeps the last one).
sed -i -E "s/^([[:space:]]*Version[[:space:]]*=[[:space:]]*).*/\1\"$version\"/" "$src/FyneApp.toml"
grep -q "Version = \"$version\"" "$src/FyneApp.toml" || {
	echo "release: could not set Version in FyneApp.toml" >&2
	exit 1
}

# fyne package passes -ldflags found in GOFLAGS on to go build (each flag
# its own -ldflags=, as GOFLAGS splits at spaces); it adds -s -w and
# -trimpath for --release, and -H=windowsgui for Windows.
stamp="-ldflags=-X=main.version=$version -ldflags=-X=main.commit=$commit -ldflags=-X=main.date=$date"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }$stamp"

mkdir -p "$out"
out=$(cd "$out" && pwd)
linux_tar=s3responder-$version-linux-amd64.tar.xz
windows_zip=s3responder-$version-windows-amd64.zip
rm -f "$out/$linux_tar" "$out/$windows_zip" "$out/SHA256SUMS"

say "building the Linux package"
start=$SECONDS
(cd "$src" && GOOS=linux GOARCH=amd64 "$fyne" package -os linux --release)
mv "$src/S3 Responder.tar.xz" "$out/$linux_tar"
say "Linux package built in $((SECONDS - start)) s"

# The binary inside, for the size report and a first check.
mkdir -p "$work/linux"
tar -xJf "$out/$linux_tar" -C "$work/linux"
linux_bin=$(find "$work/linux" -type f -path '*/bin/s3responder')
[ -n "$linux_bin" ] || {
	echo "release: no bin/s3responder in $linux_tar" >&2
	exit 1
}
got=$(LANG=C.UTF-8 "$linux_bin" version 2>&1)
[ "$(echo "$got" | awk '{print $2}')" = "$version" ] || {
	echo "release: the packaged binary says '$got', not version $version" >&2
	exit 1
}
say "packaged binary: $got"

artifacts=("$linux_tar")
if [ "$windows" = 1 ]; then
	say "cross-building for Windows with mingw-w64"
	start=$SECONDS
	# fyne package for Windows builds twice (once plain, once with the
	# icon and version resource) and takes the -ldflags out of GOFLAGS on
	# the first build, so the kept second one would lose the stamp. An
	# existing executable skips the first build.
	: >"$src/s3responder.exe"
	(cd "$src" && GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
		"$fyne" package -os windows --release --exe s3responder.exe)
	exe=$work/windows/s3responder.exe
	mkdir -p "$work/windows"
	mv "$src/S3 Responder.exe" "$exe"
	say "Windows executable built in $((SECONDS - start)) s"
	(cd "$src" && GOFLAGS= go run ./scripts/pecheck -version "$version" -stamp "$commit" "$exe")
	(cd "$work/windows" && zip -q -X "$out/$windows_zip" s3responder.exe)
	artifacts+=("$windows_zip")
fi

(cd "$out" && sha256sum "${artifacts[@]}" >SHA256SUMS)

if [ "$(git status --porcelain)" != "$status_before" ]; then
	echo "release: FAIL: the build changed the checkout:" >&2
	git status --short >&2
	exit 1
fi

size() { stat -c %s "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "release: $version (commit ${commit:0:12}, built $date) in $out, $((SECONDS - t0)) s:"
echo "release:   linux binary (stripped)  $(mb "$(size "$linux_bin")")  ($(size "$linux_bin") bytes)"
if [ "$windows" = 1 ]; then
	echo "release:   windows .exe (stripped)  $(mb "$(size "$exe")")  ($(size "$exe") bytes)"
fi
for a in "${artifacts[@]}"; do
	echo "release:   $a  $(mb "$(size "$out/$a")")"
done
echo "release: SHA256SUMS:"
sed 's/^/release:   /' "$out/SHA256SUMS"
