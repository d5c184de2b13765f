#!/bin/sh
# Installs the versitygw S3 gateway used by the aws package's integration
# tests into the repository's ignored .cache/bin directory (or $VERSITYGW_BIN_DIR),
# unless a binary of the pinned version is already there. Idempotent; the
# first run compiles it from the Go module proxy and takes several minutes.
set -eu
version=v1.8.0
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=${VERSITYGW_BIN_DIR:-"$root/.cache/bin"}
mkdir -p "$bindir"
bin="$bindir/versitygw"
stamp="$bindir/versitygw.version"
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
	echo "$bin"
	exit 0
fi
# Build outside the module so that our go.mod is neither read nor changed.
cd "$bindir"
GOBIN="$bindir" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
echo "$version" >"$stamp"
echo "$bin"
