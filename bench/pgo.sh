#!/bin/sh
# bench/pgo.sh makes cmd/ctconv/default.pgo, the CPU profile that go build
# and go install optimize ctconv's binary with (profile-guided
# optimization, on by default for a main package that has one): the
# profile of BenchmarkProfile, the commands that bench/cores.sh times, on
# one core and on two. Run it again after a change to what is hot; a
# profile that is out of date still builds, and only optimizes less.
#
#	bench/pgo.sh && git add cmd/ctconv/default.pgo
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in 1 2; do
	if ! go test ./cmd/ctconv -run '^$' -bench '^BenchmarkProfile$' -benchtime 6x -cpu "$p" \
		-o "$tmp/ctconv.test" -cpuprofile "$tmp/$p.pprof" >"$tmp/out" 2>&1; then
		cat "$tmp/out" >&2
		exit 1
	fi
done
# The tables' making (internal/gen) is the benchmark's, not ctconv's.
go tool pprof -proto -ignore 'internal/gen\.' "$tmp/1.pprof" "$tmp/2.pprof" >"$tmp/default.pgo"
mv "$tmp/default.pgo" cmd/ctconv/default.pgo
echo "cmd/ctconv/default.pgo: $(wc -c <cmd/ctconv/default.pgo) bytes"
