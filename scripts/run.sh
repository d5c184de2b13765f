#!/usr/bin/env bash
# Installs what is missing to build S3 Responder, then starts it. Arguments
# go to the app: scripts/run.sh --db /path/to/incidents.db, or a CLI
# command such as scripts/run.sh incident list.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh build
if [ $# -eq 0 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
	echo "run: no DISPLAY is set: the window needs a graphical session (the CLI works without one: scripts/run.sh --help)" >&2
fi
exec go run . "$@"
