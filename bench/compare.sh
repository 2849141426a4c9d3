#!/bin/sh
# Compare the benchmarks of a package at two commits, side by side in one
# run: each commit's test binary is built from a detached worktree, and the
# two are run in turns (A B, B A, A B, ...) so that the machine's drift
# falls on both alike; benchstat then prints medians, spread and ratios.
#   bench/compare.sh [-n RUNS] [-b REGEXP] [-t BENCHTIME] [-p PKG] [-f FILE]... BASE [HEAD]
# RUNS defaults to 10 runs of each, REGEXP to the parse, print and Scanner
# benchmarks, BENCHTIME to 100ms, PKG to ./format, HEAD to the working tree
# as it is (uncommitted changes included). -f copies FILE (a benchmark
# that BASE does not have yet) from the working tree into both. The raw
# results are kept in the directory printed at the end.
set -eu
cd "$(dirname "$0")/.."
runs=10 re='^Benchmark(Parse|Append|Scan|ScanFile|ScanXML)$' bt=100ms pkg=./format files=
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
trap 'for t in $trees; do git worktree remove --force "$t"; done' EXIT

# checkout REV NAME makes REV's tree in $out/NAME.src (REV "." is the
# working tree, used as it is) and builds its test binary of PKG there.
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

run() { (cd "$1" && "$out/$2.test" -test.run '^$' -test.bench "$re" -test.benchtime "$bt" -test.count 1 -test.benchmem >>"$out/$2.txt"); }
i=0
while [ $i -lt "$runs" ]; do
	if [ $((i % 2)) -eq 0 ]; then run "$basedir" base; run "$headdir" head; else run "$headdir" head; run "$basedir" base; fi
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
