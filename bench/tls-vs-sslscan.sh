#!/bin/sh
# Times Vigie's TLS assessment and sslscan on the same openssl s_server
# (loopback, default Debian configuration: TLS 1.2 and 1.3) and prints the
# accepted suites each tool found and the speed ratio. Goal: Vigie >= 10x
# faster with the same findings. Needs the Debian packages openssl, sslscan.
#   bench/tls-vs-sslscan.sh [runs]      (default 5 runs of each tool)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
for p in openssl sslscan go; do
	command -v "$p" >/dev/null || { echo "tls-vs-sslscan: $p is not installed" >&2; exit 1; }
done
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-subj /CN=localhost -days 30 2>/dev/null
openssl s_server -accept 127.0.0.1:0 -www -cert "$work/cert.pem" -key "$work/key.pem" >"$work/s_server.out" 2>&1 &
pid=$!
i=0
while ! grep -q '^ACCEPT' "$work/s_server.out"; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "s_server did not start" >&2; exit 1; }
	sleep 0.05
done
target=$(sed -n 's/^ACCEPT //p' "$work/s_server.out" | head -1)
echo "target: openssl s_server $(openssl version | cut -d' ' -f2) on $target"

go build -o "$work/tlsscan" ./bench/tlsscan
"$work/tlsscan" -n "$runs" "$target" >"$work/vigie.out"
vigie=$(sed -n 's/^seconds //p' "$work/vigie.out")

now() { date +%s.%N; }
start=$(now)
i=0
while [ $i -lt "$runs" ]; do
	sslscan --no-colour "$target" >"$work/sslscan.out" 2>&1
	i=$((i + 1))
done
sslscan=$(echo "$(now) $start $runs" | awk '{printf "%.4f", ($1 - $2) / $3}')

echo "findings (accepted suites per protocol):"
echo "  vigie:   $(grep '^accepted' "$work/vigie.out" | sed 's/^accepted //' | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
echo "  sslscan: $(awk '/^(Accepted|Preferred)/ {n[$2]++} END {for (v in n) printf "%s %d; ", v, n[v]}' "$work/sslscan.out" | sed 's/; $//')"
echo "  vigie connections per assessment: $(sed -n 's/^connections //p' "$work/vigie.out")"
echo "time per assessment (mean of $runs):"
echo "  vigie:   ${vigie} s"
echo "  sslscan: ${sslscan} s"
echo "$vigie $sslscan" | awk '{ if ($1 > 0) printf "ratio: vigie is %.1fx faster than sslscan\n", $2 / $1 }'
