#!/bin/sh
# Rebuilds the captures in this folder: conntrackd's caches and statistics
# (Debian's conntrackd) from two labs whose daemons sync over a veth pair,
# beside conntrack's listings of the same moment. Needs root, iproute2,
# nftables, conntrack, conntrackd and util-linux; works in namespaces of
# its own, with daemons it starts and stops by PID, and deletes them
# afterwards. Run from the repository's root:
#   sudo testdata/conntrackd/make.sh
set -eu
cd "$(dirname "$0")/../.."
go run ./internal/lab/oracle -conntrackd testdata/conntrackd
