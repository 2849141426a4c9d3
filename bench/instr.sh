#!/bin/sh
# Count the instructions of format's benchmarks at two commits, side by
# side: where bench/compare.sh times them, and two shared cores blur
# differences of a few percent, this counts what each run executes, under
# valgrind, which gives the same figure run after run.
#   bench/instr.sh [-b REGEXP] BASE [HEAD]
# For each group of REGEXP (default: the Parse and Append groups, one per
# format, and ScanFile's, one per capture), it prints the instructions of
# one operation, base and head, and their ratio, then the geometric mean.
# Parse and Append count the sample's parse or print call alone
# (callgrind's inclusive count of format_test's sample.parse and
# sample.print, which call the API); ScanFile, the difference of two runs
# of 10 and 50 operations, which cancels the setup. Needs valgrind; takes
# about 15 minutes.
set -eu
cd "$(dirname "$0")/.."
re='^Benchmark(Parse|Append|ScanFile)$'
while getopts b: o; do
	case $o in
	b) re=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: bench/instr.sh [-b REGEXP] BASE [HEAD]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench/instr.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
out=$(mktemp -d)
trees=
trap 'for t in $trees; do git worktree remove --force "$t"; done; rm -rf "$out"' EXIT
trap 'exit 1' INT TERM
for side in base head; do
	rev=$1
	[ $side = head ] && rev=${2:-.}
	dir=.
	if [ "$rev" != . ]; then
		dir=$out/$side.src
		git worktree add -q --detach "$dir" "$rev"
		trees="$trees $dir"
	fi
	(cd "$dir" && go test -c -o "$out/$side.test" ./format)
done
# The groups both binaries have, from one quick pass of each.
for side in base head; do
	(cd format && "$out/$side.test" -test.run '^$' -test.bench "$re" -test.benchtime 1x) |
		sed -n 's/^\(Benchmark[^/ \t]*\/[^/ \t]*\).*/\1/p' | sed 's/-[0-9]*$//' | sort -u >"$out/groups.$side"
done
# run SIDE GROUP N TOOL prints the instructions valgrind's TOOL counted.
run() {
	g=$2 r="^${2%%/*}\$/^${2#*/}\$"
	sim=
	[ "$4" = cachegrind ] && sim=--cache-sim=no
	(cd format && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool="$4" $sim --"$4"-out-file="$out/$1.$(echo "$g" | tr / _).$3" \
		"$out/$1.test" -test.run '^$' -test.bench "$r" -test.benchtime "$3"x 2>&1) | sed -n 's/.*refs: *//p' | tr -d ,
}
# perop SIDE GROUP prints the instructions of one operation of GROUP.
perop() {
	case $2 in
	BenchmarkParse/* | BenchmarkAppend/*)
		run "$1" "$2" 3000 callgrind >/dev/null
		fn=parse
		case $2 in BenchmarkAppend/*) fn=print ;; esac
		# The sample's calls, inclusive, over the operations and the
		# setup's one parse (Append) of each sample.
		calls=$((3000 + 1))
		callgrind_annotate --inclusive=yes "$out/$1.$(echo "$2" | tr / _).3000" 2>/dev/null |
			grep -v '=>' | grep "format_test\.(\*sample)\.$fn\b" | head -1 | awk -v c=$calls '{gsub(",", "", $1); print $1 / c}'
		;;
	*)
		a=$(run "$1" "$2" 10 cachegrind) b=$(run "$1" "$2" 50 cachegrind)
		echo "$a $b" | awk '{print ($2 - $1) / 40}'
		;;
	esac
}
printf '%-60s %14s %14s %8s\n' group base head ratio
for g in $(comm -12 "$out/groups.base" "$out/groups.head"); do
	b=$(perop base "$g") h=$(perop head "$g")
	printf '%-60s %14.0f %14.0f %+7.2f%%\n' "$g" "$b" "$h" "$(echo "$b $h" | awk '{print ($2 / $1 - 1) * 100}')"
done | tee "$out/table"
awk '{s += log(1 + $4 / 100); n++} END {printf "geomean %+.2f%% over %d groups\n", (exp(s / n) - 1) * 100, n}' "$out/table"
