#!/bin/sh
# Prepare a Wine prefix in which Go windows/amd64 programs start (Debian 12,
# Wine 8.0). Used by cmd/vigie's TestWindowsScanUnderWine; see README.md.
# Usage: WINEPREFIX=/some/dir sh tools/wine/setup.sh
set -eu
: "${WINEPREFIX:?set WINEPREFIX to the directory of the Wine prefix}"
export WINEPREFIX WINEDEBUG="${WINEDEBUG:--all}"
here=$(cd "$(dirname "$0")" && pwd)
command -v wine >/dev/null 2>&1 || { echo "setup.sh: wine is not installed (apt-get install wine wine64)" >&2; exit 1; }
# A new prefix: wineboot creates it; the error status is not meaningful on a
# headless machine (no display for its dialogs), the files are what count.
wine wineboot --init >/dev/null 2>&1 || true
wineserver -w
[ -d "$WINEPREFIX/drive_c/windows/system32" ] || { echo "setup.sh: wineboot did not create $WINEPREFIX" >&2; exit 1; }
# Wine 8 reports Windows 7 by default; vigie reads the version like any program.
wine winecfg -v win10 >/dev/null 2>&1 || true
# Wine 8 has no bcryptprimitives.dll, which the Go runtime loads before main:
# shim/ builds a stand-in whose only export forwards to a function Wine has.
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -e "$dll" ]; then
	(cd "$here" && go run ./shim "$dll")
fi
wineserver -w
