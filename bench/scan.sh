#!/bin/sh
# Measures a full `vigie scan` of this host: wall time and peak RSS over a few
# runs, and the size of the stripped binaries (targets: <= 2 s, <= 25 MB RSS,
# binary <= 20 MB). Needs GNU time (Debian package "time").
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -trimpath -ldflags "-s -w" -o "$out/vigie" ./cmd/vigie
GOOS=windows go build -trimpath -ldflags "-s -w" -o "$out/vigie.exe" ./cmd/vigie
echo "binary linux/amd64:   $(du -k "$out/vigie" | cut -f1) KiB"
echo "binary windows/amd64: $(du -k "$out/vigie.exe" | cut -f1) KiB"
i=0
while [ $i -lt "$runs" ]; do
	/usr/bin/time -f "%e %M" -o "$out/t" "$out/vigie" scan --quiet --state-dir "$out/state" --out "$out/sc.json" "$@"
	read -r wall rss < "$out/t"
	echo "run $((i + 1)): wall ${wall} s, peak RSS $((rss / 1024)) MiB"
	i=$((i + 1))
done
echo "in-process breakdown (bench/scanrss):"
go build -o "$out/scanrss" ./bench/scanrss
i=0
while [ $i -lt "$runs" ]; do
	"$out/scanrss"
	i=$((i + 1))
done
