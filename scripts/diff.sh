#!/usr/bin/env bash
# diff.sh A B: show what step B changes in step A: the list of changed files,
# then the changes, coloured on a terminal and plain in a pipe.
#
# Step A's module path is rewritten to step B's, so that import lines don't
# show up as changes. go.sum is left out, and so are the READMEs and the
# generated gRPC code unless ALL=1 is set (make diff A B ALL=1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [[ $# -ne 2 ]]; then
	echo "usage: make diff A B   (for example: make diff 1 2)" >&2
	exit 2
fi
a=$(stepdir "$1")
b=$(stepdir "$2")

# leftout tells whether the file f is left out of the diff.
leftout() {
	case $1 in
	go.sum | */go.sum) return 0 ;;
	README.md | */README.md | *.pb.go) [[ ${ALL:-} != 1 ]] ;;
	*) return 1 ;;
	esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in "$a" "$b"; do
	mkdir -p "$tmp/$d"
	(cd "$ROOT/$d" && git ls-files --cached --others --exclude-standard . 2>/dev/null ||
		find . -type f | sed 's#^\./##') |
		while IFS= read -r f; do
			[[ -f $ROOT/$d/$f ]] || continue
			leftout "$f" && continue
			mkdir -p "$tmp/$d/$(dirname "$f")"
			sed "s#/$a#/$b#g" "$ROOT/$d/$f" >"$tmp/$d/$f"
		done
done

color=never
[[ -t 1 ]] && color=always
if [[ ${ALL:-} != 1 ]]; then
	echo "(go.sum is left out, and so are the READMEs and generated *.pb.go: make diff $1 $2 ALL=1 shows those)"
	echo
fi
cd "$tmp"
# git diff exits 1 when the trees differ, which is the point, and 141 when a
# pager such as less quits early; neither is a failure.
git --no-pager diff --no-index --color="$color" --stat --patch "$a" "$b" || {
	rc=$?
	[[ $rc == 1 || $rc == 141 ]]
}
