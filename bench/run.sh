#!/bin/sh
# The benchmark suite: ctconv against what a user would otherwise run, on
# the same data in the same run, medians of RUNS runs (default 5). Inputs:
# the corpus's capture of 100,000 real flows, and 1,000,000 generated ones
# (internal/gen). BENCHMARKS.md records a run and what the numbers mean.
# Needs gzip, zstd, awk and GNU time; takes about half an hour on two cores,
# most of it the per-format benchmarks, zstd -19 and gzip -9.
#   bench/run.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
for tool in gzip zstd awk /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/run.sh: needs $tool (apt-get install gzip zstd gawk time)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zstd -dq -c testdata/corpus/proc-bulk-100k.txt.zst >"$tmp/real-100k.txt"
go run ./internal/gen/ctgen -n 1000000 >"$tmp/synthetic-1m.txt"

echo "# Machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(uname -sr); $(go version | cut -d' ' -f3)"
echo
echo "# Parse and print a line, per format (go test -bench ./format, medians of $runs)"
go run ./bench/micro -runs "$runs"
echo
echo "# End to end, as processes (medians of $runs; ratios to cat)"
go run ./bench/e2e -runs "$runs" "$tmp/real-100k.txt" "$tmp/synthetic-1m.txt"
echo
echo "# Snapshots against zstd (medians of $runs)"
go build -o "$tmp/snapbench" ./bench/snapshot
"$tmp/snapbench" -runs "$runs" "$tmp/real-100k.txt" "$tmp/synthetic-1m.txt"
echo
echo "# Diff of a million flows against sort | diff (medians of $runs)"
go run ./bench/diff -runs "$runs"
