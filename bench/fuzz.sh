#!/bin/sh
# Runs a fuzzing campaign over every target in ./fuzz and ./format, one after the other,
# and prints per target the time fuzzed, executions, new coverage and
# crashes.
#   bench/fuzz.sh [DURATION per target, default 30m] [PARALLEL workers, default all cores] [TARGETS, a regexp, default all]
set -u
cd "$(dirname "$0")/.."
duration=${1:-30m}
parallel=${2:-$(nproc)}
only=${3:-.}
logs=${FUZZ_LOGS:-bench/out/fuzz}
mkdir -p "$logs"
printf '%-16s %8s %14s %10s %s\n' target time execs new crashes
for pkg in ./fuzz ./format; do
for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' | grep -E "$only"); do
	log="$logs/$target.log"
	go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" -fuzzminimizetime 10s -parallel "$parallel" >"$log" 2>&1
	status=$?
	last=$(grep 'execs:' "$log" | tail -n 1)
	execs=$(echo "$last" | sed -n 's/.*execs: \([0-9]*\).*/\1/p')
	new=$(echo "$last" | sed -n 's/.*new interesting: \([0-9]*\).*/\1/p')
	crashes=0
	[ $status -ne 0 ] && crashes=$(grep -c 'Failing input written' "$log")
	printf '%-16s %8s %14s %10s %s\n' "$target" "$duration" "${execs:-?}" "${new:-?}" "$crashes"
	[ $status -ne 0 ] && grep -A3 'Failing input' "$log" | sed 's/^/    /'
done
done
