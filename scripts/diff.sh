#!/usr/bin/env bash
# diff.sh A B: show what step B changes in step A, with the module path's last
# element rewritten so that import lines don't show up as changes, and go.sum
# left out. Coloured on a terminal, plain in a pipe.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [[ $# -ne 2 ]]; then
	echo "usage: make diff A B   (for example: make diff 1 2)" >&2
	exit 2
fi
a=$(stepdir "$1")
b=$(stepdir "$2")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Copy each tree under its own name, leaving out go.sum and built files, and
# write the other step's name in place of this one's.
for d in "$a" "$b"; do
	mkdir -p "$tmp/$d"
	(cd "$ROOT/$d" && git ls-files --cached --others --exclude-standard . 2>/dev/null ||
		find . -type f | sed 's#^\./##') |
		grep -v -e '^go\.sum$' -e '/go\.sum$' |
		while IFS= read -r f; do
			[[ -f $ROOT/$d/$f ]] || continue
			mkdir -p "$tmp/$d/$(dirname "$f")"
			sed "s#/$d#/STEP#g" "$ROOT/$d/$f" >"$tmp/$d/$f"
		done
done

color=never
[[ -t 1 ]] && color=always
cd "$tmp"
git --no-pager diff --no-index --color="$color" --stat "$a" "$b" || true
echo
git --no-pager diff --no-index --color="$color" "$a" "$b" || true
