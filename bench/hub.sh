#!/bin/sh
# Hub benchmarks (issue 7), on 2 CPUs as the targets are stated:
#  - ingestion of signed scorecards (parse, verify Ed25519, decode, store
#    durably): >= 5,000/s with SQLite, and the PostgreSQL figure
#    (hub/store/pgtest starts Debian's cluster, or set VIGIE_TEST_PG);
#    BenchmarkIngestHTTPS: the same through a real HTTPS server, with the
#    clients' TLS and HTTP on the same 2 CPUs;
#  - region overview with 2,000 entities and 200,000 stored scorecards:
#    <= 200 ms per render.
# Usage: bench/hub.sh [N [AGENTS]]
#   N scorecards per ingestion run (default 10000), uploaded by AGENTS agents
#   at once (default 64), each waiting for its acknowledgement before its
#   next upload.
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
agents=${2:-64}
echo "== ingestion (scorecards/s), $n scorecards, $agents concurrent agents"
VIGIE_BENCH_AGENTS=$agents go test -run '^$' -bench 'BenchmarkIngest' -benchtime "${n}x" -cpu 2 -count 1 ./hub/api/ | grep -E '^Benchmark|^ok|FAIL'
echo "== region overview (ns/op = one render)"
go test -run '^$' -bench 'BenchmarkOverview' -benchtime 20x -cpu 2 -count 1 ./hub/web/ | grep -E '^Benchmark|^ok|FAIL'
echo "== alerts (issue 20): ingestion without/with event detection (<= 5 % fewer scorecards/s; cpu-µs/scorecard), then 10,000 pending webhooks delivered while agents upload"
VIGIE_BENCH_AGENTS=$agents go test -run '^$' -bench 'BenchmarkIngestAlerts' -benchtime "${n}x" -cpu 2 -count 1 ./hub/alert/ | grep -E '^Benchmark|^ok|FAIL'
VIGIE_BENCH_AGENTS=$agents go test -run '^$' -bench 'BenchmarkDeliverPending' -benchtime "${n}x" -cpu 2 -count 1 ./hub/alert/ | grep -E '^Benchmark|^ok|FAIL'
