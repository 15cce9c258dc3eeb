# Shared helpers for the workshop scripts; source it, don't run it.

# The repository root, whatever the current directory.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# steps prints every step directory, in order.
steps() {
	(cd "$ROOT" && ls -d step[0-9][0-9]-*/ 2>/dev/null | tr -d /)
}

# stepdir N prints the directory of step N (1, 01 or step01 all work), or
# explains which steps exist and fails.
stepdir() {
	local n=${1:-} dir
	n=${n#step}
	if [[ ! $n =~ ^[0-9]+$ ]]; then
		echo "which step? give its number, e.g. 1 (steps: $(echo $(steps)))" >&2
		return 2
	fi
	dir=$(cd "$ROOT" && ls -d "step$(printf %02d "$((10#$n))")"-*/ 2>/dev/null | tr -d /)
	if [[ -z $dir ]]; then
		echo "there is no step $n; the steps are: $(echo $(steps))" >&2
		return 2
	fi
	echo "$dir"
}
