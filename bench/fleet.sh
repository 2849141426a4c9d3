#!/bin/sh
# The figures of docs/FLEET.md: a million flows of internal/gen (as
# BENCHMARKS.md's synthetic-1m) as Parquet, JSON Lines and a snapshot,
# their sizes, the time ctconv takes to write each from the text, and the
# time DuckDB (test/duckdb's driver) takes to answer queries over the
# Parquet and over the JSON Lines. Times are medians of RUNS runs;
# --zstd19 adds zstd -19 of the text (minutes on one core).
#   bench/fleet.sh [--zstd19] [RUNS, default 3]
set -eu
cd "$(dirname "$0")/.."
zstd19=
if [ "${1:-}" = --zstd19 ]; then
	command -v zstd >/dev/null || { echo "bench/fleet.sh: --zstd19 needs the zstd command" >&2; exit 1; }
	zstd19=-zstd19
	shift
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./internal/gen/ctgen -n 1000000 >"$tmp/synthetic-1m.txt"
go build -o "$tmp/ctconv" ./cmd/ctconv
(cd test/duckdb && go build -o "$tmp/fleetbench" ./fleetbench)
"$tmp/fleetbench" -ctconv "$tmp/ctconv" -runs "${1:-3}" $zstd19 "$tmp/synthetic-1m.txt"
