#!/bin/sh
# Rebuilds the captures in this folder: what conntrack prints of an empty
# table, and of no events, with its standard error (2>&1), as a person
# captures it: its message alone. Needs root, iproute2 and conntrack;
# works in a network namespace of its own and deletes it afterwards.
#   sudo testdata/empty/make.sh
set -eu
cd "$(dirname "$0")"
ns=ctconv-empty-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
list() {
	file=$1
	shift
	ip netns exec "$ns" conntrack "$@" >"$file" 2>&1
}
# events FILE ARGS... runs conntrack -E ARGS for a second, with no event to
# show, and interrupts it, as ^C does.
events() {
	file=$1
	shift
	ip netns exec "$ns" conntrack -E "$@" >"$file" 2>&1 &
	pid=$!
	sleep 1
	kill -INT "$pid"
	wait "$pid"
}
list conntrack-L.txt -L
list conntrack-L-xml.txt -L -o xml
list conntrack-L-save.txt -L -o save
list conntrack-expect-L.txt -L expect
list conntrack-expect-L-xml.txt -L expect -o xml
list conntrack-F.txt -F
list conntrack-expect-F.txt -F expect
events conntrack-E.txt
events conntrack-E-xml.txt -o xml
events conntrack-expect-E.txt expect
