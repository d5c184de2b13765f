#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite: every package's
# tests (including the end-to-end tests of the binary) and the GUI smoke
# test on a virtual display.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test
go test -count=1 ./...
scripts/gui-smoke.sh "$@"
