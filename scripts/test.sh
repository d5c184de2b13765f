#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite under the race
# detector: every package's tests (including the end-to-end tests of the
# binary) and the GUI smoke test on a virtual display.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test
# The S3 gateway the aws integration tests run against; built once from the
# Go module proxy (several minutes the first time), then reused.
echo "test: versitygw at $(scripts/install-versitygw.sh)"
# -race: the GUI runs work off the UI goroutine and the change engine runs
# calls concurrently; a data race fails the suite like an assertion.
go test -race -count=1 -timeout 30m ./...
# early is a module of its own (see early/locale.go): ./... does not reach it.
(cd early && go test -race -count=1 ./...)
scripts/gui-smoke.sh "$@"
