#!/bin/sh
# Holds the backup and hygiene families to their budget: one run of both on
# this host in at most 1 s and 25 MB peak RSS (checks/hygiene's
# BenchmarkFamilies, which measures the RSS in a fresh child process).
# Exits 1 when a figure is over budget, 2 when the benchmark cannot run.
# Budgets can be changed for a slower machine: MAX_MS=1500 MAX_RSS_MB=25.
set -eu
cd "$(dirname "$0")/.."
max_ms=${MAX_MS:-1000}
max_rss=${MAX_RSS_MB:-25}
runs=${RUNS:-5}
out=$(go test ./checks/hygiene -run '^$' -bench '^BenchmarkFamilies$' -benchtime "${runs}x" -count 1 2>&1) || {
	echo "$out" >&2
	echo "hygiene.sh: the benchmark did not run" >&2
	exit 2
}
line=$(echo "$out" | grep '^BenchmarkFamilies') || {
	echo "$out" >&2
	echo "hygiene.sh: no BenchmarkFamilies line in the output" >&2
	exit 2
}
# BenchmarkFamilies-2   5   312345678 ns/op   14.2 peak-RSS-MB
echo "$line" | awk -v max_ms="$max_ms" -v max_rss="$max_rss" '
{
	for (i = 1; i < NF; i++) {
		if ($(i+1) == "ns/op") ns = $i
		if ($(i+1) == "peak-RSS-MB") rss = $i
	}
	if (ns == "" || rss == "") { print "hygiene.sh: cannot read ns/op and peak-RSS-MB from: " $0 > "/dev/stderr"; exit 2 }
	ms = ns / 1e6
	bad = 0
	printf "backup+hygiene families: %.0f ms per run (budget %d ms), peak RSS %.1f MB (budget %d MB)\n", ms, max_ms, rss, max_rss
	if (ms > max_ms) { print "OVER BUDGET: time"; bad = 1 }
	if (rss > max_rss) { print "OVER BUDGET: memory"; bad = 1 }
	exit bad
}'
