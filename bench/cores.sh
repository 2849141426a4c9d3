#!/bin/sh
# Measures how ctconv's reading of text scales with cores, side by side in
# one run: check, stats, diff and convert --to json of a synthetic table
# of a million flows (internal/gen; diff against the same table read
# later, churned) at
# GOMAXPROCS 1, 2 and the machine's maximum, with this tree's binary and
# BASE's (a commit before the parallel scan, main by default), in turns:
# each round runs every row once, the binaries alternating first, so
# that the drift of a shared machine falls on all alike. It prints the
# median wall and CPU (user + system) time of each, and the speed-up of
# each GOMAXPROCS over 1: of the medians, and paired, the median of each
# round's own (its run on one core over its run on more, seconds apart,
# so that a drift of the machine between rounds falls on both), with the
# interval that 90% of that median's resamples fall in; it checks
# that every output is the same byte for byte, and that check - of the
# million flows from a pipe keeps its peak memory (GNU time's maximum RSS)
# under 64 MiB. In the same rounds it
# times bench/halves (row "halves"): the table parsed in GOMAXPROCS parts
# by as many Scanners that share nothing, what the cores cost each other
# with no coordination. Before and after each command's runs it times
# check on one core pinned to each core in turn (taskset): the cores of a
# virtual machine do not always run at one speed, where the host gives
# one of them less, and n cores then run at most the sum of their speeds
# over the fastest's times as fast as one, whatever the program (the
# "ceiling"). It prints the speed-ups again over the rounds where the
# cores ran within 8% of one speed around the command's runs, and where
# halves ran at least 1.8 times as fast on two cores as on one in the
# round ("even"): what the program does with two equal cores, apart from
# what the host gives them. Each core alone can run at full speed where
# the host puts the two on one physical core's two threads, which only
# the cores at work together show. It prints them again over the rounds
# with two whole cores (halves' 1.8 times) that shared a cache ("close":
# a round trip under 200 ns before and after the round), and over those
# whose cores were apart: the host moves them, and a command that hands
# work from core to core gains less on cores apart. It starts once the
# machine is quiet:
# three rounds in a row of check pinned to each core within 5% of one
# another (waiting ten minutes at most). The load average, and the round trip of a line of
# memory between the first two cores (bench/pingpong), before and after
# say how busy the machine was and how far apart the host put its cores. Its files go where mktemp puts them: set TMPDIR to a
# tmpfs (/dev/shm) on a machine that pages idle files out of memory.
#   bench/cores.sh [-n RUNS, default 5] [-f FLOWS, default 1000000] [BASE]
set -eu
cd "$(dirname "$0")/.."
runs=5 flows=1000000
while getopts n:f: o; do
	case $o in
	n) runs=$OPTARG ;; f) flows=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
base=${1:-main}
[ -x /usr/bin/time ] || { echo "bench/cores.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench/cores.sh: needs taskset (apt-get install util-linux)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./internal/gen/ctgen -n "$flows" >"$tmp/old.txt"
go run ./internal/gen/ctgen -n "$flows" -churn 7 >"$tmp/new.txt"
go build -o "$tmp/head" ./cmd/ctconv
go build -o "$tmp/halves" ./bench/halves
go build -o "$tmp/pingpong" ./bench/pingpong
mkdir "$tmp/base.src"
git archive "$base" | tar -x -C "$tmp/base.src"
(cd "$tmp/base.src" && go build -o "$tmp/base" ./cmd/ctconv)
max=$(nproc)
# The numbers of the cores this process may run on (as nproc counts
# them), from ranges as "0-3,6".
cpus=$(awk '/^Cpus_allowed_list:/ { m = split($2, l, ","); for (i = 1; i <= m; i++) { n = split(l[i], r, "-"); for (c = r[1]; c <= r[n]; c++) printf "%d ", c } }' /proc/self/status)
procs="1 2"
[ "$max" -gt 2 ] && procs="$procs $max"
echo "base $(git rev-parse --short "$base"), head $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' with changes'); $flows flows, $runs runs, $max cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run BIN PROCS CMD: one run, its wall and CPU seconds appended to
# $tmp/BIN.PROCS.CMD, its output kept in $tmp/out.BIN.PROCS.CMD.
run() {
	case $3 in
	check) set -- "$1" "$2" "$3" check "$tmp/old.txt" ;;
	stats) set -- "$1" "$2" "$3" stats "$tmp/old.txt" ;;
	diff) set -- "$1" "$2" "$3" diff "$tmp/old.txt" "$tmp/new.txt" ;;
	convert) set -- "$1" "$2" "$3" convert --to json -o /dev/null "$tmp/old.txt" ;;
	esac
	bin=$1 p=$2 cmd=$3
	shift 3
	GOMAXPROCS=$p /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$tmp/$bin" "$@" >"$tmp/out.$bin.$p.$cmd" 2>&1 || true
	# The last line: time writes "Command exited with non-zero status 1"
	# before it where the command fails, as diff does where the captures
	# differ.
	tail -n 1 "$tmp/time" | awk '{ print $1, $2 + $3 }' >>"$tmp/$bin.$p.$cmd"
}
# speeds [PREFIX] prints check's wall time pinned to each core, on one
# line, and appends each core's to PREFIX.CORE ($tmp/alone.CORE, for the
# ceiling, by default).
speeds() {
	for c in $cpus; do
		taskset -c "$c" env GOMAXPROCS=1 /usr/bin/time -f '%e' -o "$tmp/time" "$tmp/head" check "$tmp/old.txt" >/dev/null || true
		tail -n 1 "$tmp/time" | tee -a "${1:-$tmp/alone}.$c" | tr '\n' ' '
	done
	echo
}
# even BEFORE AFTER [BOUND] prints 1 if the times of both lines are within
# BOUND (8% by default), or a hundredth of a second (GNU time's
# resolution), of one another, else 0.
even() { echo "$1 $2" | awk -v b="${3:-1.08}" '{ lo = hi = $1; for (i = 2; i <= NF; i++) { if ($i < lo) lo = $i; if ($i > hi) hi = $i } print (lo > 0 && (hi <= b * lo || hi - lo <= 0.01)) ? 1 : 0 }'; }
# settle waits for a quiet spell, up to ten minutes: until three rounds
# in a row of check pinned to each core took within 5% of one another
# (even). In the host's busy minutes this machine runs up to two times
# slower, and its two cores together slower still; rounds begun in one
# measure the host more than ctconv.
settle() {
	start=$(date +%s)
	: >"$tmp/settle"
	while [ $(($(date +%s) - start)) -lt 600 ]; do
		speeds "$tmp/settling" >>"$tmp/settle"
		last=$(tail -n 3 "$tmp/settle" | tr '\n' ' ')
		if [ "$(wc -l <"$tmp/settle")" -ge 3 ] && [ "$(even "$last" "" 1.05)" = 1 ]; then
			echo "quiet after $(($(date +%s) - start)) s (check pinned to each core, three rounds: $last)"
			return
		fi
		sleep 2
	done
	echo "bench/cores.sh: no quiet spell in ten minutes; measuring anyway" >&2
}
settle
# How far apart the host put the first two cores, before and after: the
# lines of memory that the cores hand each other cost half a round trip
# each way (bench/pingpong).
pair=$(echo $cpus | awk 'NF >= 2 { print $1, $2 }')
[ -z "$pair" ] || "$tmp/pingpong" $pair | sed 's/^/before: /'
# trip prints the round trip between the first two cores in ns, 0 with
# one core.
trip() {
	if [ -z "$pair" ]; then echo 0; else "$tmp/pingpong" $pair | sed -n 's/.*: \([0-9]*\) ns a round trip.*/\1/p'; fi
}
i=0
while [ $i -lt "$runs" ]; do
	first=$(trip)
	before=$(speeds)
	for cmd in check stats diff convert; do
		for p in $procs; do
			if [ $((i % 2)) -eq 0 ]; then run base "$p" $cmd; run head "$p" $cmd; else run head "$p" $cmd; run base "$p" $cmd; fi
		done
		after=$(speeds)
		even "$before" "$after" >>"$tmp/even.$cmd"
		before=$after
	done
	for p in $procs; do
		GOMAXPROCS=$p /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$tmp/halves" "$tmp/old.txt" >/dev/null
		awk '{ print $1, $2 + $3 }' "$tmp/time" >>"$tmp/halves.$p"
	done
	echo "$first $(trip)" >>"$tmp/trips"
	i=$((i + 1))
	echo "round $i of $runs done" >&2
done

# median FILE COLUMN prints the median of a column.
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# paired ONE MORE prints the median of the rounds' wall times on one core
# over theirs on more, round by round, and the 90% interval of that
# median from 2,000 resamples of the rounds (bootstrap): how far the
# machine's drift leaves it uncertain.
paired() {
	paste -d' ' "$1" "$2" | awk '{ print $1 / $3 }' >"$tmp/ratios"
	awk 'function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ r[NR] = $1 }
	END {
		srand(1)
		for (k = 1; k <= 2000; k++) { for (i = 1; i <= NR; i++) s[i] = r[int(rand() * NR) + 1]; m[k] = med(s, NR) }
		for (i = 1; i <= NR; i++) s[i] = r[i]
		med(m, 2000)
		printf "%.2fx %.2f-%.2f\n", med(s, NR), m[100], m[1900]
	}' "$tmp/ratios"
}
# subset LABEL LABELS prints $cmd's row at GOMAXPROCS $p over the rounds
# whose line of the file LABELS is LABEL.
subset() {
	for f in "head.1.$cmd" "head.$p.$cmd"; do
		paste -d' ' "$2" "$tmp/$f" | awk -v l="$1" '$1 == l { print $2, $3 }' >"$tmp/$1.$f"
	done
	if [ -s "$tmp/$1.head.$p.$cmd" ]; then
		hw=$(median "$tmp/$1.head.$p.$cmd" 1)
		printf '%-7s %10s %12s %11ss %12s %11ss %8.2fx %16s\n' "  $1" "$p" "$(wc -l <"$tmp/$1.head.1.$cmd") of $runs" "$hw" - \
			"$(median "$tmp/$1.head.$p.$cmd" 2)" "$(echo "$(median "$tmp/$1.head.1.$cmd" 1) $hw" | awk '{ print $1 / $2 }')" \
			"$(paired "$tmp/$1.head.1.$cmd" "$tmp/$1.head.$p.$cmd")"
	else
		printf '%-7s %10s %12s\n' "  $1" "$p" "0 of $runs"
	fi
}
printf '%-7s %10s %12s %12s %12s %12s %9s %16s\n' command GOMAXPROCS "base wall" "head wall" "base CPU" "head CPU" speed-up "paired (90%)"
status=0
# Whether the host gave two whole cores in each round: halves' speed-up
# on two.
paste -d' ' "$tmp/halves.1" "$tmp/halves.2" | awk '{ print ($3 > 0 && $1 / $3 >= 1.8) ? 1 : 0 }' >"$tmp/whole"
# Where the host put the first two cores in each round, of those where it
# gave two whole cores, by the round trip before and after it: close, on
# a cache they share (under 200 ns), or apart; "moved" where the two
# disagree.
paste -d' ' "$tmp/whole" "$tmp/trips" | awk '{
	a = ($2 < 200) ? "close" : "apart"; b = ($3 < 200) ? "close" : "apart"
	print ($1 != 1) ? "split" : (a == b) ? a : "moved"
}' >"$tmp/placed"
# convert's JSON goes to /dev/null when timed; its checksum is compared
# from runs apart, untimed.
for bin in base head; do
	for p in $procs; do
		GOMAXPROCS=$p "$tmp/$bin" convert --to json "$tmp/old.txt" | cksum >"$tmp/out.$bin.$p.convert"
	done
done
for cmd in check stats diff convert; do
	one=$(median "$tmp/head.1.$cmd" 1)
	for p in $procs; do
		hw=$(median "$tmp/head.$p.$cmd" 1)
		printf '%-7s %10s %11ss %11ss %11ss %11ss %8.2fx %16s\n' $cmd "$p" "$(median "$tmp/base.$p.$cmd" 1)" "$hw" \
			"$(median "$tmp/base.$p.$cmd" 2)" "$(median "$tmp/head.$p.$cmd" 2)" "$(echo "$one $hw" | awk '{ print $1 / $2 }')" \
			"$(paired "$tmp/head.1.$cmd" "$tmp/head.$p.$cmd")"
		# The same, over the even rounds alone, and over the rounds of each
		# placement.
		if [ "$p" -gt 1 ]; then
			paste -d' ' "$tmp/even.$cmd" "$tmp/whole" | awk '{ print ($1 == 1 && $2 == 1) ? "even" : "uneven" }' >"$tmp/labels"
			subset even "$tmp/labels"
			if [ -n "$pair" ]; then
				subset close "$tmp/placed"
				subset apart "$tmp/placed"
			fi
		fi
		for o in "base.1.$cmd" "head.$p.$cmd"; do
			if ! cmp -s "$tmp/out.head.1.$cmd" "$tmp/out.$o"; then
				echo "bench/cores.sh: the output of $o differs from head at GOMAXPROCS 1" >&2
				status=1
			fi
		done
	done
done
one=$(median "$tmp/halves.1" 1)
for p in $procs; do
	hw=$(median "$tmp/halves.$p" 1)
	printf '%-7s %10s %12s %11ss %12s %11ss %8.2fx %16s\n' halves "$p" - "$hw" - "$(median "$tmp/halves.$p" 2)" "$(echo "$one $hw" | awk '{ print $1 / $2 }')" \
		"$(paired "$tmp/halves.1" "$tmp/halves.$p")"
done
# Each timing's ceiling: the sum of the cores' speeds alone over the
# fastest's (a timing too short to measure has none).
set --
for c in $cpus; do set -- "$@" "$tmp/alone.$c"; done
paste -d' ' "$@" | awk '{
	m = $1
	for (i = 1; i <= NF; i++) { if ($i <= 0) next; if ($i < m) m = $i }
	s = 0; for (i = 1; i <= NF; i++) s += m / $i
	print s
}' >"$tmp/ceiling"
printf 'check on one core pinned to each (medians):'
for c in $cpus; do printf ' cpu%s %ss' "$c" "$(median "$tmp/alone.$c" 1)"; done
sort -n "$tmp/ceiling" | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "; no ceiling: the times are too short"; exit }
	printf "; ceiling %.2fx (timings %.2f-%.2f)\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR]
}'
for p in $procs; do
	cat "$tmp/old.txt" | GOMAXPROCS=$p /usr/bin/time -f '%M' -o "$tmp/rss" "$tmp/head" check - >/dev/null
	kib=$(cat "$tmp/rss")
	verdict=ok
	[ "$kib" -lt 65536 ] || { verdict="over 64 MiB"; status=1; }
	echo "cat | ctconv check - at GOMAXPROCS $p: peak $((kib / 1024)) MiB ($verdict)"
done
[ -z "$pair" ] || "$tmp/pingpong" $pair | sed 's/^/after: /'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
