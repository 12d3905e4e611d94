#!/bin/sh
# Runs one command line of commands.txt with the programs in $1, as the
# child of a shell that is PID 1 of a fresh PID namespace (run this script
# through `unshare --pid --fork --kill-child --mount-proc`). Prints each
# signal PID 1 gets (TERM, INT) and the command's exit status: what the
# original's tools and ours are compared on. Output and error messages of
# the command are not compared (their wording differs on purpose).
bin=$1
shift
trap 'echo "pid 1 got TERM"' TERM
trap 'echo "pid 1 got INT"' INT
later=$(mktemp -u)
( sleep 0.3; : > "$later" ) &
program=$1
shift
args=$(printf '%s\n' "$*" | sed "s|LATER|$later|g")
# shellcheck disable=SC2086 # the arguments are split as the line wrote them
"$bin/$program" $args > /dev/null 2>&1
status=$?
# A signal to PID 1 is handled when the shell next runs a command.
sleep 0.2
echo "exit $status"
rm -f "$later"
