#!/usr/bin/env bash
# jaeger.sh: run Jaeger v2 all-in-one with in-memory storage, in the
# foreground, every port on 127.0.0.1 (Zipkin on 9411, UI and query API on
# 16686). Ctrl-C stops it, and so does SIGTERM.
#
#   scripts/jaeger.sh          build it if needed, then run it
#   scripts/jaeger.sh build    only build it (make prep does this)
#
# There is no release binary to fetch through the Go module proxy, and
# "go install" refuses the module (its go.mod has replace directives), so the
# pinned module is downloaded and cmd/jaeger built from its own directory into
# .tools/ (git-ignored). The module's v1.76.0 is Jaeger v2.13.0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODULE=github.com/jaegertracing/jaeger
VERSION=v1.76.0 # Jaeger v2.13.0; compose.yaml pins the same release
BIN=$ROOT/.tools/jaeger-$VERSION

build() {
	if [[ -x $BIN ]]; then
		return 0
	fi
	echo "jaeger: building Jaeger $VERSION into .tools/ once; the first build takes about 5 minutes" >&2
	local json dir
	# From a directory outside any module or workspace, so that nothing here
	# is touched; -json prints where the module was unpacked.
	json=$(cd "${TMPDIR:-/tmp}" && GOWORK=off GOFLAGS= go mod download -json "$MODULE@$VERSION")
	dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	if [[ -z $dir || ! -d $dir ]]; then
		echo "jaeger: go mod download gave no module directory:" >&2
		printf '%s\n' "$json" >&2
		return 1
	fi
	mkdir -p "$ROOT/.tools"
	# Build into a temporary name, so that an interrupted build leaves
	# nothing that looks finished.
	(
		cd "$dir"
		GOWORK=off GOFLAGS= go build \
			-ldflags "-X $MODULE/internal/version.latestVersion=v2.13.0" \
			-o "$BIN.tmp" ./cmd/jaeger
	)
	mv "$BIN.tmp" "$BIN"
	echo "jaeger: built $BIN" >&2
}

case ${1:-run} in
build)
	build
	;;
run)
	build
	# deploy/jaeger.yaml is the all-in-one configuration with every
	# address on JAEGER_LISTEN_HOST; without it the query ports would
	# listen on all interfaces.
	export JAEGER_LISTEN_HOST=${JAEGER_LISTEN_HOST:-127.0.0.1}
	echo "jaeger: Zipkin on http://$JAEGER_LISTEN_HOST:9411, UI and API on http://$JAEGER_LISTEN_HOST:16686" >&2
	exec "$BIN" --config "$ROOT/deploy/jaeger.yaml"
	;;
*)
	echo "usage: scripts/jaeger.sh [build]" >&2
	exit 2
	;;
esac
