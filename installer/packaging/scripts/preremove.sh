#!/bin/sh
# Pre-removal of the vigie package (deb prerm, rpm %preun).
# deb: $1 = remove on removal, upgrade/deconfigure/failed-upgrade otherwise.
# rpm: $1 = 0 on removal, 1 or more on an upgrade.
# Only a real removal stops and disables the service; an upgrade keeps it.
set -e

case "$1" in
remove|0) ;;
*) exit 0 ;;
esac

if command -v systemctl >/dev/null 2>&1; then
	if [ -d /run/systemd/system ]; then
		systemctl stop vigie.service >/dev/null 2>&1 || true
	fi
	systemctl disable vigie.service >/dev/null 2>&1 || true
fi
exit 0
