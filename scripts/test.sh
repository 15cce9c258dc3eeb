#!/usr/bin/env bash
# test.sh [N...]: for each step (all by default), check gofmt, run go vet and
# go test -race; print one line per step and fail if any step failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

if [[ $# -gt 0 ]]; then
	dirs=()
	for n in "$@"; do dirs+=("$(stepdir "$n")") || exit 2; done
else
	mapfile -t dirs < <(steps)
fi

declare -A result
failed=0
for dir in "${dirs[@]}"; do
	echo "=== $dir" >&2
	ok=1
	unformatted=$(cd "$ROOT/$dir" && gofmt -l .)
	if [[ -n $unformatted ]]; then
		echo "gofmt would change (run gofmt -w):" >&2
		echo "$unformatted" | sed 's/^/    /' >&2
		ok=0
	fi
	(cd "$ROOT/$dir" && go vet ./...) || ok=0
	(cd "$ROOT/$dir" && go test -race -count=1 ./...) || ok=0
	if [[ $ok == 1 ]]; then result[$dir]=passed; else result[$dir]=FAILED; failed=1; fi
done

echo
for dir in "${dirs[@]}"; do
	printf '%-24s %s\n' "$dir" "${result[$dir]}"
done
exit $failed
