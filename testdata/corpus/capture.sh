#!/bin/sh
# Rebuilds the captures in this folder from the running kernel. Needs root,
# iproute2, nftables and conntrack-tools; works in namespaces of its own
# and deletes them afterwards. Run from the repository's root:
#   sudo testdata/corpus/capture.sh
set -eu
cd "$(dirname "$0")/../.."
go run ./internal/lab/capture -out testdata/corpus
# The golden JSON beside each capture follows from it.
go test ./codec -run Golden -update
