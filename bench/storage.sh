#!/bin/sh
# Hub storage for a year of a region (issue 15): 20,000 hosts scanned
# daily, 1,000 packages each, inventories changing every 30 days, sent in
# full on a change and weekly, by name otherwise. Extrapolated from a
# measured sample of HOSTS hosts x 365 scorecards through the real
# ingestion into SQLite (BenchmarkStorageYear in hub/api says how).
# Usage: bench/storage.sh [HOSTS]   (default 20)
set -eu
cd "$(dirname "$0")/.."
hosts=${1:-20}
echo "== storage, one year, sample of $hosts hosts x 365 daily scorecards, extrapolated to 20,000 hosts"
VIGIE_STORAGE_HOSTS=$hosts go test -run '^$' -bench 'BenchmarkStorageYear' -benchtime 1x -count 1 -timeout 60m ./hub/api/ | grep -E '^Benchmark|^ok|FAIL' | tr '\t' '\n' | sed 's/^ *//' | grep -v '^$'
