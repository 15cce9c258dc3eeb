#!/usr/bin/env bash
# step.sh N [FLAGS...]: build step N's service and run it in the foreground.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
dir=$(stepdir "${1:-}")
shift || true
mkdir -p "$ROOT/bin"
echo "building $dir ..." >&2
(cd "$ROOT/$dir" && go build -o "$ROOT/bin/$dir-addsvc" ./cmd/addsvc)
echo "running $dir (Ctrl-C stops it)" >&2
exec "$ROOT/bin/$dir-addsvc" "$@"
