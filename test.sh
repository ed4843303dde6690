#!/bin/sh
# The one test command (README): installs the Debian packages the integration
# tests need, then runs every Go test. CI (.ci/run) calls exactly this.
set -eu
cd "$(dirname "$0")"
pkgs=$(sed -e 's/#.*//' testdata/apt-packages.txt | tr -s ' \n' ' ')
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "test.sh: installing Debian packages:$missing"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	else
		echo "test.sh: missing Debian packages (run as root to install):$missing" >&2
	fi
fi
go mod download
exec go test -count=1 -timeout 20m "$@" ./...
