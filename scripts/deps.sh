#!/usr/bin/env bash
# Installs what building and testing Xenolith needs on a Debian machine:
# gcc, make, binutils, Xen's public headers (libxen-dev), the real xenstore
# clients (xenstore-utils), kernel headers for the KVM ABI test, and the Go
# modules. Idempotent: packages already installed are not reinstalled.
set -euo pipefail

packages=(gcc make binutils libc6-dev linux-libc-dev libxen-dev xenstore-utils tmux)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
		sudo=sudo
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get install -y -q "${missing[@]}" >/dev/null ||
		{ $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

if ! command -v go >/dev/null; then
	if [ -x /usr/local/go/bin/go ]; then
		export PATH=/usr/local/go/bin:$PATH
	else
		echo "deps: Go is not installed: install Go 1.24 or newer (https://go.dev/dl/) into /usr/local/go" >&2
		exit 1
	fi
fi
cd "$(dirname "$0")/.."
go mod download
