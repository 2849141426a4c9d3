#!/bin/sh
# Measures snapshot files against the zstd command, side by side in one
# run: the size of a snapshot against `zstd -19` of the same
# /proc/net/nf_conntrack text, the time to write one against
# `zstd -3 -T1`, and the records a second it is read back at. Inputs: the
# corpus's capture of 100,000 real flows (testdata/corpus/capture.sh made
# it) and a synthetic table of 1,000,000 (internal/gen). zstd -19 on the
# synthetic table takes a few minutes. Then `ctconv check` of each text
# and of its snapshot, as processes, side by side at GOMAXPROCS 1, 2 and
# the machine's cores, with the load average before and after.
#   bench/snapshot.sh [RUNS, default 5]
set -eu
cd "$(dirname "$0")/.."
command -v zstd >/dev/null || { echo "bench/snapshot.sh: needs the zstd command (apt-get install zstd)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zstd -dq -c testdata/corpus/proc-bulk-100k.txt.zst >"$tmp/real-100k.txt"
go run ./internal/gen/ctgen -n 1000000 >"$tmp/synthetic-1m.txt"
go build -o "$tmp/bench" ./bench/snapshot
go build -o "$tmp/ctconv" ./cmd/ctconv
"$tmp/bench" -runs "${1:-5}" -ctconv "$tmp/ctconv" "$tmp/real-100k.txt" "$tmp/synthetic-1m.txt"
