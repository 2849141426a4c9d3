#!/bin/sh
# Measures ctconv diff on two synthetic captures of a million flows, side
# by side with sort a; sort b; diff a.s b.s on the same text, and prints
# the ratios of time and peak memory. See bench/diff/main.go.
#   bench/diff.sh [RUNS, default 5]
set -eu
cd "$(dirname "$0")/.."
go run ./bench/diff -runs "${1:-5}"
