#!/usr/bin/env bash
# Installs what building (and, with "test", testing) S3 Responder needs on a
# Debian or Ubuntu machine, and only what is missing: running it again does
# nothing. Also checks that a new enough Go is installed.
#
#   scripts/deps.sh build   # C toolchain and X11/GL headers for Fyne
#   scripts/deps.sh [test]  # the above plus Xvfb, xdotool, ImageMagick,
#                           # poppler-utils and jq for the test suite
#   scripts/deps.sh release # build, plus xz for the Linux package
#   scripts/deps.sh windows # release, plus mingw-w64 and zip for the
#                           # Windows cross-build
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-test}
case "$what" in
build | test | release | windows) ;;
*)
	echo "usage: scripts/deps.sh [build|test|release|windows]" >&2
	exit 2
	;;
esac

# Fyne's desktop driver (GLFW) needs cgo, GL and these X11 headers.
pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev xauth)
if [ "$what" = test ]; then
	# The GUI smoke test runs the real window on a virtual display (Mesa's
	# software GL) and screenshots it; report tests render PDFs; scripts
	# read JSON; change tests run the printed AWS CLI commands against a
	# local emulator with the real AWS CLI.
	pkgs+=(xvfb libgl1-mesa-dri xdotool imagemagick poppler-utils jq awscli)
fi
if [ "$what" = release ] || [ "$what" = windows ]; then
	# `fyne package -os linux` runs tar -J.
	pkgs+=(xz-utils)
fi
if [ "$what" = windows ]; then
	# The cgo cross-compiler (and its binutils, for checking the .exe) and
	# the zip the Windows build ships in.
	pkgs+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 zip)
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
	missing=()
	for p in "${pkgs[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sudo=()
		if [ "$(id -u)" -ne 0 ]; then
			if ! command -v sudo >/dev/null; then
				echo "deps: missing packages: ${missing[*]}" >&2
				echo "deps: run as root, or install sudo, to install them" >&2
				exit 1
			fi
			sudo=(sudo)
		fi
		echo "deps: installing ${missing[*]}"
		"${sudo[@]}" apt-get update -qq
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
else
	echo "deps: not a Debian/Ubuntu system; make sure these (or your system's equivalents) are installed:" >&2
	echo "deps:   ${pkgs[*]}" >&2
fi

# Go: the version go.mod asks for.
need=$(awk '$1 == "go" { print $2; exit }' go.mod)
if ! command -v go >/dev/null; then
	echo "deps: Go is not installed. Install Go $need or newer from https://go.dev/dl/" >&2
	echo "deps: (extract it to /usr/local/go and add /usr/local/go/bin to PATH;" >&2
	echo "deps: the distribution's golang-go package is usually too old)." >&2
	exit 1
fi
have=$(go env GOVERSION)
have=${have#go}
have=${have%%[ -]*}
older() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }
if older "$have" "$need"; then
	if older "$have" 1.21 || [ "${GOTOOLCHAIN:-auto}" = local ]; then
		echo "deps: Go $have is too old: this project needs Go $need or newer (https://go.dev/dl/)" >&2
		exit 1
	fi
	echo "deps: Go $have is older than the $need go.mod asks for; the go command will fetch go$need itself"
fi
