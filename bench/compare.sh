#!/bin/sh
# Compare the benchmarks of a package at two commits, side by side in one
# run: each commit's test binary is built from a detached worktree, and the
# two run in turns, a few seconds at a time: each group of benchmarks (a
# benchmark and its first level, as BenchmarkParse/proc or
# BenchmarkScanFile/save-L) runs once in one binary, then in the other,
# A B then B A, RUNS times, so that the drift of a shared machine falls on
# both alike. benchstat then prints medians, spread and ratios.
#   bench/compare.sh [-n RUNS] [-b REGEXP] [-t BENCHTIME] [-p PKG] [-f FILE]... BASE [HEAD]
# RUNS defaults to 10 runs of each, REGEXP to the parse, print and Scanner
# benchmarks, BENCHTIME to 100ms, PKG to ./format, HEAD to the working tree
# as it is (uncommitted changes included). -f copies FILE (a benchmark
# that BASE does not have yet) from the working tree into both. Only the
# benchmarks both have are run. The raw results are kept in the directory
# printed at the end.
set -eu
cd "$(dirname "$0")/.."
runs=10 re='^Benchmark(Parse|Append|Scan|ScanFile)$' bt=100ms pkg=./format files=
while getopts n:b:t:p:f: o; do
	case $o in
	n) runs=$OPTARG ;; b) re=$OPTARG ;; t) bt=$OPTARG ;; p) pkg=$OPTARG ;; f) files="$files $OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: bench/compare.sh [-n RUNS] [-b REGEXP] [-t BENCHTIME] [-p PKG] [-f FILE]... BASE [HEAD]" >&2; exit 2; }
out=$(mktemp -d)
trees=
cleanup() { for t in $trees; do git worktree remove --force "$t"; done; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# checkout REV NAME makes REV's tree in $out/NAME.src (REV "." is the
# working tree, used as it is), builds its test binary of PKG there, and
# sets NAMEdir to the package's directory, where the binary runs.
checkout() {
	dir=.
	if [ "$1" != . ]; then
		dir=$out/$2.src
		git worktree add -q --detach "$dir" "$1"
		trees="$trees $dir"
		for f in $files; do cp "$f" "$dir/$f"; done
	fi
	(cd "$dir" && go test -c -o "$out/$2.test" "$pkg")
	eval "${2}dir=\$(cd \"\$dir/\$pkg\" && pwd)"
}
checkout "$1" base
checkout "${2:-.}" head
head=${2:+$(git rev-parse --short "$2")}
echo "base $(git rev-parse --short "$1"), head ${head:-working tree of $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' with changes')}; $runs runs each, -benchtime $bt" | tee "$out/README"

# bench NAME REGEXP runs NAME's binary once on the benchmarks REGEXP matches.
bench() { (cd "$(eval echo "\$${1}dir")" && "$out/$1.test" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.count 1 -test.benchmem); }
# The groups both binaries have, from one quick pass of each.
bench base "$re" 1x | sed -n 's/^\(Benchmark[^/ \t]*\/\{0,1\}[^/ \t]*\).*/\1/p' | sed 's/-[0-9]*$//' | sort -u >"$out/groups.base"
bench head "$re" 1x | sed -n 's/^\(Benchmark[^/ \t]*\/\{0,1\}[^/ \t]*\).*/\1/p' | sed 's/-[0-9]*$//' | sort -u >"$out/groups.head"
groups=$(comm -12 "$out/groups.base" "$out/groups.head")
i=0
while [ $i -lt "$runs" ]; do
	for g in $groups; do
		r="^${g%%/*}\$"
		[ "$g" = "${g#*/}" ] || r="$r/^${g#*/}\$"
		if [ $((i % 2)) -eq 0 ]; then set -- base head; else set -- head base; fi
		bench "$1" "$r" "$bt" >>"$out/$1.txt"
		bench "$2" "$r" "$bt" >>"$out/$2.txt"
	done
	i=$((i + 1))
	echo "round $i of $runs done" >&2
done
PATH=$PATH:$(go env GOPATH)/bin
if command -v benchstat >/dev/null; then
	benchstat "$out/base.txt" "$out/head.txt" | tee "$out/benchstat.txt"
else
	echo "bench/compare.sh: benchstat not found (go install golang.org/x/perf/cmd/benchstat@latest)" >&2
fi
echo "results: $out"
