#!/usr/bin/env bash
# Builds the Vigie MSI from vigie.wxs with wixl (Debian's msitools), unsigned
# (build.sh signs it). Used by build.sh and by cmd/vigie's Wine test.
#
# usage: installer/packaging/msi.sh VERSION VIGIE_EXE README OUT.msi
#
# wixl wants relative sources and a numeric version (1.2.3-rc1 is 1.2.3 to
# Windows Installer). wixl places RemoveExistingProducts last and drops
# HideTarget: two SQL fixes (msibuild) move the old version's removal before
# InstallInitialize (WiX's afterInstallValidate: the old service is stopped
# and removed before the new one is installed) and keep the enrolment command
# line, which holds the token, out of the log (type 18 + deferred 0x400 + no
# impersonation 0x800 + HideTarget 0x2000 = 11282).
set -euo pipefail
die() { echo "msi.sh : $*" >&2; exit 1; }
[ $# -eq 4 ] || die "usage : msi.sh VERSION VIGIE_EXE README SORTIE.msi"
command -v wixl >/dev/null && command -v msibuild >/dev/null || die "wixl et msibuild absents : apt install msitools"
version=${1#v}
msiversion=${version%%[-+]*}
[[ $msiversion =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version $1 : X.Y.Z attendu"
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$(dirname "$4")" && pwd)/$(basename "$4")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$2" "$work/vigie.exe"
cp "$3" "$work/LISEZ-MOI.txt"
(cd "$work" && wixl -a x64 -D "Version=$msiversion" -o "$out" "$here/vigie.wxs" 2>"$work/wixl.log") ||
	die "wixl a échoué : $(grep -v GLib "$work/wixl.log")"
msibuild "$out" -q "UPDATE InstallExecuteSequence SET Sequence=1450 WHERE Action='RemoveExistingProducts'" ||
	die "msibuild (RemoveExistingProducts) a échoué"
msibuild "$out" -q "UPDATE CustomAction SET Type=11282 WHERE Action='VigieServiceInstall'" ||
	die "msibuild (HideTarget) a échoué"
