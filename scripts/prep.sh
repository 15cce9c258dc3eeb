#!/usr/bin/env bash
# prep.sh: download every module and build and vet every step and its tests
# once, so that afterwards the workshop works with no network
# (GOPROXY=off make test passes).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
for dir in $(steps); do
	echo "=== $dir" >&2
	(
		cd "$ROOT/$dir"
		go mod download
		go build ./...
		go vet ./...
		go test -race -count=1 -run '^$' ./... >/dev/null
	)
done
# The tracing backend of the demo (make jaeger), built once from source.
"$ROOT/scripts/jaeger.sh" build
echo "prep: every step is downloaded and built; the workshop now works offline." >&2
