#!/bin/sh
# Rebuilds the captures in this folder: the table's counters as conntrack
# -S, -S expect, -C and /proc/net/stat/nf_conntrack print them, from a lab
# with traffic, and from another before and after bare TCP ACKs. Needs
# root, iproute2, nftables, conntrack and util-linux; works in namespaces
# of its own and deletes them afterwards. Run from the repository's root:
#   sudo testdata/stats/make.sh
set -eu
cd "$(dirname "$0")/../.."
go run ./internal/lab/oracle -stats testdata/stats
