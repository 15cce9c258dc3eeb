#!/usr/bin/env bash
# prep.sh: download every module and build and vet every step and its tests
# once, so that afterwards the workshop works with no network
# (GOPROXY=off make test passes); then get what the demo needs: the demo
# tool, Jaeger (built once from source) and Prometheus.
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
echo "prep: every step is downloaded and built; the steps now work offline." >&2

# The demo: its tool, its tracing backend and its metrics backend.
(cd "$ROOT/tools" && go build -o /dev/null ./... && go vet ./...)
"$ROOT/scripts/jaeger.sh" build
if ! "$ROOT/scripts/prometheus.sh" install; then
	echo "prep: no Prometheus here; make prometheus and make demo need it (see above)" >&2
fi
echo "prep: the demo's parts are ready too (make demo)." >&2
