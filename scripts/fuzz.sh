#!/usr/bin/env bash
# Runs every go test -fuzz target of the module for FUZZTIME each
# (default 30s): make fuzz FUZZTIME=2m.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz $pkg $target ($fuzztime)"
		go test -run XXX -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
