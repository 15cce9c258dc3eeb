#!/usr/bin/env bash
# generate.sh [--check]: regenerate the gRPC code of every step that has a
# pb/*.proto, with protoc and pinned protoc-gen-go and protoc-gen-go-grpc.
# With --check, generate into a scratch copy instead and fail if the
# committed code differs from what the generators write (the line naming
# protoc's own version is ignored, so another protoc release is no change).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

check=0
[[ ${1:-} == --check ]] && check=1

# protoc itself: from Debian's package where it is missing on Debian or
# Ubuntu; elsewhere, say how to get it.
if ! command -v protoc >/dev/null; then
	if [[ -f /etc/debian_version ]]; then
		echo "installing protoc (Debian package protobuf-compiler) ..." >&2
		sudo=""
		[[ $(id -u) == 0 ]] || sudo=sudo
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler >/dev/null
	else
		echo "protoc is missing: install it (macOS: brew install protobuf) and run this again" >&2
		exit 1
	fi
fi

# The plugins, at their pinned versions, in a folder of their own.
bin="$ROOT/.tools/bin"
mkdir -p "$bin"
for pkg in "$PROTOC_GEN_GO" "$PROTOC_GEN_GO_GRPC"; do
	name=${pkg%@*}
	name=${name##*/}
	version=${pkg#*@}
	if [[ ! -x $bin/$name-$version ]]; then
		echo "installing $pkg ..." >&2
		GOBIN="$bin" GOWORK=off go install "$pkg"
		mv "$bin/$name" "$bin/$name-$version"
	fi
	ln -sf "$name-$version" "$bin/$name"
done
export PATH="$bin:$PATH"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for dir in $(steps); do
	[[ -d $ROOT/$dir/pb ]] || continue
	module=$(cd "$ROOT/$dir" && GOWORK=off go list -m)
	out="$ROOT/$dir/pb"
	[[ $check == 1 ]] && out="$scratch/$dir" && mkdir -p "$out"
	(
		cd "$ROOT/$dir/pb"
		for proto in *.proto; do
			protoc -I . \
				--go_out="$out" --go_opt=paths=source_relative --go_opt="M$proto=$module/pb" \
				--go-grpc_out="$out" --go-grpc_opt=paths=source_relative --go-grpc_opt="M$proto=$module/pb" \
				"$proto"
		done
	)
	if [[ $check == 1 ]]; then
		for f in "$out"/*.go; do
			committed="$ROOT/$dir/pb/$(basename "$f")"
			if ! diff -u -I '^//[[:space:]]*protoc[[:space:]]' "$committed" "$f" >&2; then
				echo "$dir/pb/$(basename "$f") is stale: run make generate and commit the result" >&2
				status=1
			fi
		done
	else
		echo "generated $dir/pb" >&2
	fi
done
[[ $check == 1 && $status == 0 ]] && echo "generated gRPC code is up to date" >&2
exit $status
