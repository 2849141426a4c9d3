#!/bin/sh
# Rebuilds the captures in this folder from the running kernel. Needs root,
# iproute2, nftables, conntrack-tools, util-linux and zstd; works in namespaces of its
# own and deletes them afterwards. Run from the repository's root:
#   sudo testdata/corpus/capture.sh
set -eu
cd "$(dirname "$0")/../.."
go run ./internal/lab/capture -out testdata/corpus
# 100,000 UDP flows of loopback traffic, for bench/snapshot.sh; kept
# compressed, as the benchmark's zstd -19 would.
go run ./internal/lab/capture -bulk 100000 | zstd -19 -T1 -q -c >testdata/corpus/proc-bulk-100k.txt.zst
# The *-1.4.9.txt files are conntrack 1.4.9's: capture-1.4.9.sh makes them.
# The *-crlf.txt files are not rebuilt: cut by hand from older captures,
# their lines end with CR LF and LF mixed, as a pasted capture's may.
# The golden JSON beside each capture follows from it.
go test ./codec -run Golden -update
