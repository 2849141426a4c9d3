#!/bin/sh
# Builds conntrack 1.4.9 as an oracle, under /opt/conntrack-1.4.9 (never
# over the system's conntrack), and captures its conntrack -E output into
# this folder as NAME-1.4.9.txt: the same events as capture.sh's, while the
# system's conntrack (1.4.7) fills the table. Not run by CI. Needs root,
# git, a C compiler, make, autoconf, automake, libtool, bison, flex,
# pkg-config, libmnl-dev, libnfnetlink-dev, libtirpc-dev, and what
# capture.sh needs. Run from the repository's root:
#   sudo testdata/corpus/capture-1.4.9.sh
# LNFCT_GIT and CT_GIT name other clones of libnetfilter_conntrack and
# conntrack-tools (mirrors). The captures were made on 2026-12-01 on Linux
# 6.18.44, whose events carry their time (CTA_TIMESTAMP_EVENT): -o
# timestamp shows it. 1.4.9's lines differ from 1.4.7's (capture.sh's)
# only there and in XML, which has no [USERSPACE].
set -eu
cd "$(dirname "$0")/../.."
prefix=/opt/conntrack-1.4.9
lnfct_git=${LNFCT_GIT:-https://git.netfilter.org/libnetfilter_conntrack}
ct_git=${CT_GIT:-https://git.netfilter.org/conntrack-tools}
# conntrack 1.4.9 needs libnetfilter_conntrack 1.1.1, the first that reads
# the kernel's event time (CTA_TIMESTAMP_EVENT): its commit "bump version
# to 1.1.1".
lnfct_rev=cf50fa4dd12f8b7e3567ec944ab61a51f9408311
ct_rev=conntrack-tools-1.4.9

if [ ! -x $prefix/sbin/conntrack ]; then
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	git clone -q "$lnfct_git" "$src/lnfct"
	git -C "$src/lnfct" checkout -q $lnfct_rev
	(cd "$src/lnfct" && autoreconf -fi >/dev/null &&
		./configure -q --prefix=$prefix --disable-static &&
		make -s && make -s install)
	git clone -q "$ct_git" "$src/ct"
	git -C "$src/ct" checkout -q $ct_rev
	# Only the conntrack program, against the library above: no
	# conntrackd, nfct or their optional libraries.
	(cd "$src/ct" && autoreconf -fi >/dev/null &&
		PKG_CONFIG_PATH=$prefix/lib/pkgconfig ./configure -q --prefix=$prefix \
			--disable-cthelper --disable-cttimeout --disable-systemd \
			LDFLAGS="-Wl,-rpath,$prefix/lib" &&
		make -s -C extensions && make -s -C src conntrack &&
		install -D -m 0755 src/conntrack $prefix/sbin/conntrack)
fi
$prefix/sbin/conntrack --version
go run ./internal/lab/capture -events $prefix/sbin/conntrack -out testdata/corpus
# The golden JSON beside each capture follows from it.
go test ./codec -run Golden -update
