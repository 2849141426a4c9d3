#!/bin/sh
# Count the instructions of format's benchmarks at two commits, side by
# side: where bench/compare.sh times them, and two shared cores blur
# differences of a few percent, this counts what each operation executes,
# under valgrind's cachegrind, to a few parts in ten thousand.
#   bench/instr.sh [-b REGEXP] BASE [HEAD]
# For each group of REGEXP (default: the Parse and Append groups, one per
# format, and ScanFile's, one per capture), it prints the instructions of
# one operation, base and head, and their ratio, then the geometric mean.
# An operation is one pass over the group's benchmarks: a line of each of
# its samples (Parse, Append), or the whole capture (ScanFile).
#
# How: each group runs N1 and N2 times; the difference, over N2 - N1,
# cancels the setup. Only the code an operation runs is counted: ctconv's
# and the standard library's functions that it calls, not the runtime's
# own (garbage collection, the page allocator, the scheduler, write
# barriers), whose amount varies from run to run with the timing of the
# collector. What an operation allocates, the ScanFile rows say as
# allocations and bytes per operation (go test -benchmem), for both sides.
# Needs valgrind; takes about 20 minutes. Where valgrind stops a run (Debian
# 12's 3.19 stopped here at RDTSCP, which Go 1.26's runtime uses), the
# script says so and fails, rather than print counts of part of a run.
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
# count SIDE GROUP N prints the instructions of N operations of GROUP and
# the setup, in the functions an operation runs.
count() {
	f=$out/$1.$(echo "$2" | tr / _).$3
	if ! (cd format && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$f" \
		"$out/$1.test" -test.run '^$' -test.bench "^${2%%/*}\$/^${2#*/}\$" -test.benchtime "$3"x >"$f.log" 2>&1); then
		# A valgrind that does not know an instruction Go uses (3.19 and
		# RDTSCP) stops the program: its counts would be of part of a run.
		echo "bench/instr.sh: $2 failed under $(valgrind --version):" >&2
		grep -m3 -e 'unhandled instruction' -e '^SIGILL' -e '^panic' "$f.log" >&2 || tail -3 "$f.log" >&2
		touch "$out/failed"
		return 1
	fi
	cg_annotate --threshold=0 --auto=no --show-percs=no "$f" | awk '
		/file:function/ { on = 1; next }
		on && NF >= 2 && $1 ~ /^[0-9,]+$/ {
			v = $1; gsub(",", "", v); fn = $2; sub(/.*:/, "", fn)
			if (fn ~ /^(github\.com\/ctconv\/|bytes\.|strconv\.|strings\.|unicode|net\/netip\.|time\.|internal\/bytealg\.|memeqbody|indexbytebody|countbody|cmpbody|runtime\.memmove|runtime\.memequal|encoding\/binary\.|slices\.|sync\.|iter\.|io\.|bufio\.)/)
				s += v
		}
		END { print s }'
}
# perop SIDE GROUP prints the instructions of one operation of GROUP.
perop() {
	n1=1000 n2=5000
	case $2 in BenchmarkScanFile/*) n1=20 n2=100 ;; esac
	a=$(count "$1" "$2" $n1) && b=$(count "$1" "$2" $n2) || return 1
	echo "$a $b" | awk -v d=$((n2 - n1)) '{print ($2 - $1) / d}'
}
# allocs SIDE GROUP prints its allocations and bytes per operation.
allocs() {
	(cd format && "$out/$1.test" -test.run '^$' -test.bench "^${2%%/*}\$/^${2#*/}\$" -test.benchtime 100x -test.benchmem) |
		awk '/allocs\/op/ {for (i = 1; i < NF; i++) {if ($(i+1) == "B/op") b = $i; if ($(i+1) == "allocs/op") a = $i}} END {printf "%s/%s", a, b}'
}
printf '%-60s %14s %14s %8s %16s %16s\n' group base head ratio 'base allocs/B' 'head allocs/B'
for g in $(comm -12 "$out/groups.base" "$out/groups.head"); do
	b=$(perop base "$g") && h=$(perop head "$g") || break
	ab=- ah=-
	case $g in BenchmarkScanFile/*) ab=$(allocs base "$g") ah=$(allocs head "$g") ;; esac
	printf '%-60s %14.0f %14.0f %+7.2f%% %16s %16s\n' "$g" "$b" "$h" "$(echo "$b $h" | awk '{print ($2 / $1 - 1) * 100}')" "$ab" "$ah"
done | tee "$out/table"
[ ! -e "$out/failed" ] || exit 1
awk '{s += log(1 + $4 / 100); n++} END {printf "geomean %+.2f%% over %d groups\n", (exp(s / n) - 1) * 100, n}' "$out/table"
