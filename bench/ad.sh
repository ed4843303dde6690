#!/bin/sh
# Measures the Active Directory family on a directory of 5,000 users and
# 2,000 computers (targets: read and judged in <= 10 s, <= 50 MB): a Samba AD
# DC provisioned by checks/ad/adtest, filled by bulk LDIF, read over LDAPS by
# a process inside the DC's network namespace. Needs root, the samba packages
# of testdata/apt-packages.txt and GNU time. Outside CI: provisioning and the
# bulk load take about a minute.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/adscan" ./bench/adscan
"$out/adscan" "$@"
