#!/bin/sh
# Measures convert --to parquet against --to json of the same table, as
# issue 19 asks (writing Parquet takes no longer than JSON Lines): the two
# run alternately on 1,000,000 generated flows (internal/gen), first from
# the text, then from its snapshot, and the script prints the medians of
# RUNS runs each (default 5) of wall time and of CPU time (user+sys), and
# the output's size. Needs GNU time and awk.
#   bench/parquet.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
for tool in awk /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/parquet.sh: needs $tool (apt-get install gawk time)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ctconv" ./cmd/ctconv
go run ./internal/gen/ctgen -n 1000000 >"$tmp/table.txt"
"$tmp/ctconv" convert --to snapshot -o "$tmp/table.snap" "$tmp/table.txt"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(go version | cut -d' ' -f3)"
printf '%-10s %-8s %8s %8s %12s\n' input to wall cpu bytes
for input in table.txt table.snap; do
	: >"$tmp/times"
	i=0
	while [ "$i" -lt "$runs" ]; do
		# A B B A: neither runs always first, on a machine whose load changes.
		order="json parquet"
		[ $((i % 2)) -eq 1 ] && order="parquet json"
		for to in $order; do
			/usr/bin/time -a -o "$tmp/times" -f "$to %e %U %S" \
				"$tmp/ctconv" convert --to "$to" -o "$tmp/out.$to" "$tmp/$input"
		done
		i=$((i + 1))
	done
	for to in json parquet; do
		wall=$(awk -v to="$to" '$1 == to { print $2 }' "$tmp/times" | median)
		cpu=$(awk -v to="$to" '$1 == to { print $3 + $4 }' "$tmp/times" | median)
		printf '%-10s %-8s %7.2fs %7.2fs %12d\n' "$input" "$to" "$wall" "$cpu" "$(wc -c <"$tmp/out.$to")"
	done
done
echo "snapshot: $(wc -c <"$tmp/table.snap") bytes"
