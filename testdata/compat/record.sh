#!/bin/sh
# Records what one version of ctconv writes, for every later version to
# read back: testdata/compat/SHORT/ (SHORT the commit's 7-digit hash)
# holds, for each file X.txt of the corpus, a copy of it, the snapshot
# X.ctsnap that version made of it, its JSON Lines (X.jsonl) and its
# header (X.info); the same of the text formats the corpus lacks
# (iplegacy.*, restore.*), which that version prints from corpus tables;
# snapshots of JSON Lines (json-X.*, made from the corpus's X.jsonl);
# snapshots of the table's counters (stats-X.*, of testdata/stats); a
# sorted snapshot (sorted-proc.*, with the text it prints, sorted-proc.txt);
# a snapshot of a live table read over netlink (netlink.*, with
# netlink.txt; it carries the table's counters), the same read from
# outside its namespace (netns.*, --netns: the header names it), flows and
# counters of several namespaces, each naming its own (json-all-netns.*,
# json-stats-all-netns.*, made from JSON Lines), and one of its events,
# written to a pipe by ctconv watch (watch.*, with watch.txt). README.md
# says what the tests check.
#
# The files of a version are made once, by that version, and never again:
# the script refuses a folder that exists. It needs root, for the netlink
# snapshot (a network namespace of its own, deleted afterwards), Go, git,
# iproute2 and conntrack. Usage, from anywhere:
#   sudo testdata/compat/record.sh [COMMIT]    # COMMIT: HEAD by default
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
commit=$(git -C "$repo" rev-parse --verify "${1:-HEAD}^{commit}")
short=$(git -C "$repo" rev-parse --short=7 "$commit")
out=$repo/testdata/compat/$short
die() { echo "record.sh: $*" >&2; exit 1; }
[ ! -e "$out" ] || die "$out exists: a version's files are never made again"
[ "$(id -u)" = 0 ] || die "needs root, for the netlink snapshot"
for bin in go git ip conntrack cmp sort; do
	command -v "$bin" >/dev/null || die "needs $bin"
done

tmp=$(mktemp -d)
ns=ctconv-compat-$$
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
git clone -q --shared --no-checkout "$repo" "$tmp/src"
git -C "$tmp/src" checkout -q --detach "$commit"
(cd "$tmp/src" && go build -buildvcs=true -o "$tmp/ctconv" ./cmd/ctconv) # the version in the headers
ct=$tmp/ctconv
corpus=$tmp/src/testdata/corpus
mkdir "$tmp/out"
cd "$tmp/out"

# keep NAME TEXT: NAME.ctsnap prints TEXT, byte for byte; keep its JSON
# Lines and its header.
keep() {
	"$ct" convert --tz UTC "$1.ctsnap" >"$tmp/back"
	cmp -s "$tmp/back" "$2" || die "$1.ctsnap does not print back as $2"
	"$ct" convert --tz UTC --to json "$1.ctsnap" >"$1.jsonl"
	"$ct" snapshot --info "$1.ctsnap" >"$1.info"
}

# Every text format, with every option set, flows, events and
# expectations: the corpus, whose text is kept too, as a later corpus may
# differ.
for txt in "$corpus"/*.txt; do
	n=$(basename "$txt" .txt)
	cp "$txt" "$n.txt"
	"$ct" convert --tz UTC --to snapshot -o "$n.ctsnap" "$n.txt"
	keep "$n" "$n.txt"
done

# The text formats the corpus has no capture of, as that version prints
# them: ip_conntrack's (/proc/net/ip_conntrack, which today's kernels
# lack; IPv4 only), from the corpus's /proc table, and conntrack -R's
# input, from its -o save table (which shows what restore needs, SCTP
# vtags and NAT, so that nothing is guessed).
"$ct" convert --tz UTC --to iplegacy --family ipv4 -o iplegacy.txt "$corpus/proc.txt"
"$ct" convert --tz UTC --to restore -o restore.txt "$corpus/save-L.txt"
for n in iplegacy restore; do
	"$ct" convert --tz UTC --from "$n" --to snapshot -o "$n.ctsnap" "$n.txt"
	keep "$n" "$n.txt"
	grep -qx "source: *$n" "$n.info" || die "$n.ctsnap: source not $n: $(cat "$n.info")"
done

# JSON Lines sources: a table, events, expectations.
for n in conntrack-L-extended-id-ktimestamp-labels conntrack-E-extended-id-ktimestamp proc-expect; do
	"$ct" convert --tz UTC --to snapshot -o "json-$n.ctsnap" "$corpus/$n.jsonl"
	keep "json-$n" "$corpus/$n.jsonl"
done

# The table's counters (record kind 4): a snapshot of each capture of
# testdata/stats and of its older layouts (stats-X.*, X the capture's
# name, older ones older-X), which prints as it, and one of JSON Lines of
# them (json-stats-conntrack-S.*).
stats=$tmp/src/testdata/stats
for txt in "$stats"/conntrack-S*.txt "$stats"/conntrack-C*.txt "$stats"/proc-stat.txt "$stats"/proc-stat-before.txt \
	"$stats"/proc-stat-after.txt "$stats"/older/*.txt; do
	n=stats-$(basename "$txt" .txt)
	case $txt in */older/*) n=stats-older-$(basename "$txt" .txt) ;; esac
	cp "$txt" "$n.txt"
	"$ct" convert --tz UTC --to snapshot -o "$n.ctsnap" "$n.txt"
	keep "$n" "$n.txt"
done
"$ct" convert --tz UTC --to json -o "$tmp/stats.jsonl" "$stats/conntrack-S.txt"
"$ct" convert --tz UTC --to snapshot -o json-stats-conntrack-S.ctsnap "$tmp/stats.jsonl"
keep json-stats-conntrack-S "$tmp/stats.jsonl"

# A sorted snapshot: the same lines, in the order of identities.
"$ct" snapshot --sort --tz UTC -o sorted-proc.ctsnap "$corpus/proc.txt"
"$ct" convert --tz UTC sorted-proc.ctsnap >sorted-proc.txt
sort sorted-proc.txt >"$tmp/a"
sort "$corpus/proc.txt" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || die "sorted-proc.ctsnap does not hold the lines of proc.txt"
keep sorted-proc sorted-proc.txt

# The kernel's table over netlink, in a namespace of our own: every
# protocol, NAT, zones, marks, vtags, counters and timestamps.
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 2>/dev/null ||
	{ modprobe nf_conntrack && ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1; }
while read -r args; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	ip netns exec "$ns" conntrack -I $args 2>"$tmp/err" || die "conntrack -I $args: $(cat "$tmp/err")"
done <<EOF
-p tcp -s 10.0.0.1 -d 10.0.0.2 --sport 40000 --dport 80 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 300 -m 7
-p tcp -s 10.0.0.1 -d 10.0.0.2 --sport 40001 --dport 80 --state SYN_SENT -t 120
-p tcp -s 192.168.1.10 -d 203.0.113.5 --sport 51000 --dport 443 -r 203.0.113.5 -q 198.51.100.1 --reply-port-src 443 --reply-port-dst 61000 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 431999 -m 4294967295
-p udp -s 10.0.0.1 -d 10.0.0.53 --sport 5353 --dport 53 -t 30 -m 2147483648
-p udplite -s 2001:db8::1 -d 2001:db8::2 --sport 7000 --dport 7001 -t 60
-p icmp -s 10.0.0.1 -d 10.0.0.2 --icmp-type 8 --icmp-code 0 --icmp-id 4660 -t 30
-p icmpv6 -s ::1 -d ::ffff:192.0.2.1 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 7 -t 25
-p sctp -s 10.0.1.1 -d 10.0.1.2 --sport 5000 --dport 2905 --state ESTABLISHED --orig-vtag 1 --reply-vtag 1000 -t 300
-p gre -s 10.0.0.1 -d 10.0.0.2 --srckey 0x1234 --dstkey 0xabcd -t 94
-p 50 -s 10.0.0.1 -d 10.0.0.2 -t 591
-p tcp -s 10.1.0.1 -d 10.1.0.2 --sport 1111 --dport 2222 --state ESTABLISHED -t 300 -w 5
-p tcp -s 10.1.0.1 -d 10.1.0.2 --sport 1111 --dport 2223 --state ESTABLISHED -t 300 --orig-zone 8
-p tcp -s fe80::1 -d ff02::1:ff00:1 --sport 50000 --dport 22 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 600
EOF
ip netns exec "$ns" "$ct" snapshot --source netlink -o netlink.ctsnap
"$ct" convert --tz UTC netlink.ctsnap >netlink.txt
[ "$(wc -l <netlink.txt)" -ge 13 ] || die "netlink.ctsnap holds $(wc -l <netlink.txt) flows, not 13"
keep netlink netlink.txt

# The same table read from outside its namespace (--netns): the header
# names the namespace, the flows do not.
if "$ct" snapshot --help | grep -q -- --all-netns; then
	"$ct" snapshot --source netlink --netns "$ns" -o netns.ctsnap
	"$ct" convert --tz UTC netns.ctsnap >netns.txt
	[ "$(wc -l <netns.txt)" -eq "$(wc -l <netlink.txt)" ] || die "netns.ctsnap holds $(wc -l <netns.txt) flows, netlink.ctsnap $(wc -l <netlink.txt)"
	keep netns netns.txt
	grep -qx "netns: *$ns" netns.info || die "netns.info names no namespace: $(cat netns.info)"
	# Flows and counters of several namespaces, each naming its own, as
	# --all-netns writes them (made from JSON Lines, as a capture of the
	# host's namespaces is no file for a repository).
	awk '{ sub(/}$/, ",\"netns\":\"" (NR % 2 ? "blue" : "pid 42") "\"}"); print }' \
		"$corpus/conntrack-L-extended-id-ktimestamp-labels.jsonl" >"$tmp/netns.jsonl"
	"$ct" convert --tz UTC --to snapshot -o json-all-netns.ctsnap "$tmp/netns.jsonl"
	keep json-all-netns "$tmp/netns.jsonl"
	awk '{ sub(/}$/, ",\"netns\":\"pid 42\"}"); print }' "$tmp/stats.jsonl" >"$tmp/stats-netns.jsonl"
	"$ct" convert --tz UTC --to snapshot -o json-stats-all-netns.ctsnap "$tmp/stats-netns.jsonl"
	keep json-stats-all-netns "$tmp/stats-netns.jsonl"
fi

# Events over netlink, written to a pipe: a header without the count.
ip netns exec "$ns" timeout 60 "$ct" watch --to snapshot --count 4 >watch.ctsnap &
watcher=$!
sleep 1 # let it subscribe
for args in "-I -p tcp -s 10.2.0.1 -d 10.2.0.2 --sport 1 --dport 2 --state ESTABLISHED -t 50" \
	"-U -s 10.2.0.1 -m 9" "-D -s 10.2.0.1" "-I -p udp -s 2001:db8::7 -d 2001:db8::8 --sport 3 --dport 4 -t 20"; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	ip netns exec "$ns" conntrack $args 2>"$tmp/err" || die "conntrack $args: $(cat "$tmp/err")"
done
wait "$watcher" || die "ctconv watch failed"
"$ct" convert --tz UTC watch.ctsnap >watch.txt
[ "$(wc -l <watch.txt)" -eq 4 ] || die "watch.ctsnap holds $(wc -l <watch.txt) events, not 4"
keep watch watch.txt

# Events the kernel dropped, where ctconv watch marks them (gap records,
# kind 5): a watch with the smallest buffer, during a restore of 3,000
# flows, keeps some of their events and marks the gaps between them.
if "$ct" watch --help | grep -q -- --max-buffer; then
	i=0
	while [ $i -lt 3000 ]; do
		echo "-A -t 50 -u SEEN_REPLY -s 10.3.$((i / 256)).$((i % 256)) -d 10.3.255.254 -r 10.3.255.254 -q 10.3.$((i / 256)).$((i % 256)) -p udp --sport 1024 --dport 53 --reply-port-src 53 --reply-port-dst 1024"
		i=$((i + 1))
	done >"$tmp/burst.save"
	ip netns exec "$ns" "$ct" watch --to snapshot --buffer 1 --max-buffer 1 -o gaps.ctsnap 2>"$tmp/gaps.err" &
	watcher=$!
	sleep 1 # let it subscribe
	ip netns exec "$ns" conntrack -R "$tmp/burst.save" 2>"$tmp/err" || die "conntrack -R: $(cat "$tmp/err")"
	sleep 1
	kill -TERM "$watcher" # a background job of sh ignores SIGINT
	status=0
	wait "$watcher" || status=$?
	[ "$status" -eq 3 ] || die "ctconv watch --buffer 1: exit $status, not 3: $(cat "$tmp/gaps.err")"
	"$ct" convert --tz UTC gaps.ctsnap >gaps.txt 2>/dev/null
	keep gaps gaps.txt
	grep -q '^gaps: ' gaps.info || die "gaps.ctsnap has no gaps: $(cat gaps.info)"
fi

[ ! -e "$out" ] || die "$out exists: a version's files are never made again"
cp -R "$tmp/out" "$out.partial"
mv -T "$out.partial" "$out"
echo "record.sh: wrote $out"
