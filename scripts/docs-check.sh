#!/usr/bin/env bash
# docs-check.sh [N...]: check that the commands shown in the READMEs still
# print what the READMEs say they print: every step's README and the top
# README (whose quick start runs step 1) by default, or the READMEs of the
# steps given by number.
#
# For each step, it builds ./cmd/addsvc into bin/, starts it with no flags (so
# on 127.0.0.1:8080, and on 127.0.0.1:8081 for gRPC from step 6), waits until
# it accepts connections, then runs, in order and from the step's directory,
# every command of the README's ```console blocks. A line "$ COMMAND" is run
# with bash -c, and its output (stdout and stderr together) must equal the
# lines that follow it, up to the next "$ " line or the end of the block. The
# exit status is not compared (show it with '; echo "exit $?"' where it
# matters), and a missing newline at the very end of the output is not a
# difference. Commands must fit on one line. Commands that must not run here,
# such as "make step N" itself, belong in ```sh blocks.
#
# The commands run in order against one fresh service per step, so counters
# shown by /metrics are deterministic. A line
#
#   <!-- docs-check: restart FLAGS... -->
#
# outside the blocks (GitHub doesn't render it) stops the service and starts a
# fresh one with FLAGS (none: the defaults) for the commands after it. The
# service is stopped with SIGTERM at the end of each step, and always on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HOST=127.0.0.1
PORT=8080
START_TIMEOUT=20 # seconds for the service to accept connections
STOP_TIMEOUT=15  # seconds for it to exit after SIGTERM
CMD_TIMEOUT=120  # seconds for one README command (go run may compile first)

if [[ $# -gt 0 ]]; then
	dirs=()
	for n in "$@"; do dirs+=("$(stepdir "$n")") || exit 2; done
else
	mapfile -t dirs < <(steps)
fi

tmp=$(mktemp -d)
pid=""           # the service that this script is running, if any
start_problem="" # why start_service failed
cmd_pid=""       # the README command that is running, if any

# stop_service stops the service that this script started: SIGTERM, a
# bounded wait, then SIGKILL. It returns 1, and says why, if the service did
# not exit with status 0.
stop_service() {
	[[ -n $pid ]] || return 0
	local p=$pid status=0 i
	pid=""
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		echo "docs-check: the service did not exit within ${STOP_TIMEOUT}s of SIGTERM; killing it" >&2
		kill -KILL "$p" 2>/dev/null || true
	fi
	wait "$p" 2>/dev/null || status=$?
	if [[ $status != 0 ]]; then
		echo "docs-check: the service exited with status $status after SIGTERM" >&2
		return 1
	fi
}

cleanup() {
	if [[ -n $cmd_pid ]]; then
		# timeout runs the command in a process group of its own.
		kill -TERM -- "-$cmd_pid" 2>/dev/null || kill -TERM "$cmd_pid" 2>/dev/null || true
	fi
	stop_service >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_open tells whether something accepts TCP connections on HOST:PORT. It
# only connects: no HTTP request is sent, so no log line or counter changes.
port_open() {
	(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

# start_service BIN DIR LOG [FLAGS...]: start BIN in DIR with FLAGS, its
# output into LOG, and wait until it accepts connections on HOST:PORT. On
# failure it shows the log, sets start_problem and returns 1.
start_service() {
	local bin=$1 dir=$2 log=$3 i
	shift 3
	if port_open; then
		start_problem="$HOST:$PORT is already in use"
		echo "docs-check: $start_problem; stop what listens there (another step?) and run this again" >&2
		return 1
	fi
	(cd "$dir" && exec "$bin" "$@") </dev/null >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < START_TIMEOUT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		port_open && break
		sleep 0.1
	done
	# The port must be answered by our service: if another program took it
	# meanwhile, ours has exited.
	if ! kill -0 "$pid" 2>/dev/null; then
		start_problem="the service exited at start"
	elif ! port_open; then
		start_problem="the service did not listen on $HOST:$PORT within ${START_TIMEOUT}s"
	else
		return 0
	fi
	echo "docs-check: $start_problem; its output:" >&2
	sed 's/^/    /' "$log" >&2
	stop_service 2>/dev/null || true
	return 1
}

# run_command CMD OUT: run CMD with bash -c in the current directory, its
# stdout and stderr into the file OUT, bounded by CMD_TIMEOUT where the
# timeout command exists (macOS has it only with coreutils). It runs in the
# background and is waited for, so that Ctrl-C stops this script at once
# (and cleanup stops the command). Returns the command's exit status.
run_command() {
	local code=0
	if command -v timeout >/dev/null; then
		timeout -k 5 "$CMD_TIMEOUT" bash -c "$1" </dev/null >"$2" 2>&1 &
	else
		bash -c "$1" </dev/null >"$2" 2>&1 &
	fi
	cmd_pid=$!
	wait "$cmd_pid" || code=$?
	cmd_pid=""
	return "$code"
}

# parse README: write the README's commands and restarts, in order, to
# numbered files in $tmp/cases: N.cmd (a command) with N.want (its expected
# output), or N.restart (the flags of a restart); and N.where (its line).
# Prints the number of cases. Fails on an output line before the first
# command of a block, a block that is not closed, or an unknown directive.
parse() {
	local readme=$1 line n=0 lineno=0 in_block=0 block_start=0 in_output=0 indent="" directive
	rm -rf "$tmp/cases"
	mkdir -p "$tmp/cases"
	while IFS= read -r line || [[ -n $line ]]; do
		lineno=$((lineno + 1))
		line=${line%$'\r'}
		if [[ $in_block == 0 ]]; then
			if [[ $line =~ ^[[:space:]]*\<!--[[:space:]]*docs-check:(.*)--\>[[:space:]]*$ ]]; then
				directive=${BASH_REMATCH[1]}
				directive=${directive#"${directive%%[![:space:]]*}"}
				directive=${directive%"${directive##*[![:space:]]}"}
				if [[ $directive != restart && $directive != 'restart '* ]]; then
					echo "$readme:$lineno: unknown docs-check directive (only \"restart FLAGS...\"): $line" >&2
					return 1
				fi
				n=$((n + 1))
				printf '%s\n' "${directive#restart}" >"$tmp/cases/$n.restart"
				echo "$lineno" >"$tmp/cases/$n.where"
			fi
			# A fence may be indented, as in a list item; the lines of
			# its block lose the same indentation.
			if [[ $line =~ ^(\ *)\`\`\`console[[:space:]]*$ ]]; then
				in_block=1
				block_start=$lineno
				in_output=0
				indent=${BASH_REMATCH[1]}
			fi
			continue
		fi
		if [[ $line =~ ^\ *\`\`\`[[:space:]]*$ ]]; then
			in_block=0
			continue
		fi
		line=${line#"$indent"}
		if [[ $line == '$ '* ]]; then
			n=$((n + 1))
			in_output=1
			printf '%s\n' "${line#'$ '}" >"$tmp/cases/$n.cmd"
			: >"$tmp/cases/$n.want"
			echo "$lineno" >"$tmp/cases/$n.where"
		elif [[ $in_output == 0 ]]; then
			echo "$readme:$lineno: an output line before the first \"\$ \" command of the block: $line" >&2
			return 1
		else
			printf '%s\n' "$line" >>"$tmp/cases/$n.want"
		fi
	done <"$readme"
	if [[ $in_block == 1 ]]; then
		echo "$readme:$block_start: the \`\`\`console block is not closed" >&2
		return 1
	fi
	echo "$n"
}

# check DIR README NAME: the whole check of one README against the service
# of the step in DIR, where its commands run too. It appends a line for NAME
# to $tmp/summary and returns 1 on any failure.
check() {
	local dir=$1 readme=$2 name=$3 count i commands=0 failed=0 starts=1
	local rel=${2#"$ROOT"/} bin got code flags why=""
	echo "=== $name" >&2
	if [[ ! -f $readme ]]; then
		echo "$name: no README.md" >&2
		printf '%-24s %s\n' "$name" "skipped (no README.md)" >>"$tmp/summary"
		return 0
	fi
	if ! count=$(parse "$readme"); then
		printf '%-24s %s\n' "$name" "FAILED (README.md could not be parsed)" >>"$tmp/summary"
		return 1
	fi
	if ! compgen -G "$tmp/cases/*.cmd" >/dev/null; then
		echo "$name: README.md has no commands in \`\`\`console blocks" >&2
		printf '%-24s %s\n' "$name" "skipped (no console blocks in README.md)" >>"$tmp/summary"
		return 0
	fi

	mkdir -p "$ROOT/bin"
	bin=$ROOT/bin/$dir-addsvc
	if ! (cd "$ROOT/$dir" && go build -o "$bin" ./cmd/addsvc); then
		printf '%-24s %s\n' "$name" "FAILED (go build ./cmd/addsvc)" >>"$tmp/summary"
		return 1
	fi
	if ! start_service "$bin" "$ROOT/$dir" "$tmp/$dir.1.log"; then
		printf '%-24s %s\n' "$name" "FAILED ($start_problem)" >>"$tmp/summary"
		return 1
	fi

	cd "$ROOT/$dir"
	for ((i = 1; i <= count; i++)); do
		if [[ -f $tmp/cases/$i.restart ]]; then
			read -ra flags <"$tmp/cases/$i.restart" || true
			echo "$rel:$(cat "$tmp/cases/$i.where"): restarting the service${flags[*]:+ with ${flags[*]}}" >&2
			stop_service || why="the service did not exit cleanly on SIGTERM"
			starts=$((starts + 1))
			if ! start_service "$bin" "$ROOT/$dir" "$tmp/$dir.$starts.log" ${flags[@]+"${flags[@]}"}; then
				why="${why:+$why; }restart: $start_problem"
				break
			fi
			continue
		fi
		commands=$((commands + 1))
		got=$tmp/cases/$i.got
		code=0
		run_command "$(cat "$tmp/cases/$i.cmd")" "$got" || code=$?
		# A missing newline at the very end can't be shown in a README.
		if [[ -s $got && $(tail -c 1 "$got" | od -An -c | tr -d ' ') != '\n' ]]; then
			echo >>"$got"
		fi
		if cmp -s "$tmp/cases/$i.want" "$got"; then
			continue
		fi
		failed=$((failed + 1))
		echo "$rel:$(cat "$tmp/cases/$i.where"): the output differs (- README, + actual):" >&2
		echo "    \$ $(cat "$tmp/cases/$i.cmd")" >&2
		if [[ $code == 124 ]]; then
			echo "    (stopped after ${CMD_TIMEOUT}s)" >&2
		elif [[ $code != 0 ]]; then
			echo "    (exit status $code)" >&2
		fi
		diff -u --label README --label actual "$tmp/cases/$i.want" "$got" | tail -n +3 | sed 's/^/    /' >&2 || true
	done
	cd "$ROOT"
	stop_service || why="${why:+$why; }the service did not exit cleanly on SIGTERM"

	[[ $failed == 0 ]] || why="$failed of $commands commands differ${why:+; $why}"
	if [[ -n $why ]]; then
		printf '%-24s FAILED (%s)\n' "$name" "$why" >>"$tmp/summary"
		return 1
	fi
	local plural=s
	[[ $commands != 1 ]] || plural=""
	printf '%-24s %s\n' "$name" "passed ($commands command$plural)" >>"$tmp/summary"
}

status=0
: >"$tmp/summary"
for dir in "${dirs[@]}"; do
	check "$dir" "$ROOT/$dir/README.md" "$dir" || status=1
done
if [[ $# == 0 ]]; then
	check "$(stepdir 1)" "$ROOT/README.md" README.md || status=1
fi
echo
cat "$tmp/summary"
exit $status
