#!/bin/sh
# Post-removal of the vigie package (deb postrm, rpm %postun).
# deb: $1 = remove, purge, upgrade...; rpm: $1 = 0 on removal, 1 on upgrade.
# The state folder (agent key, scorecards not yet delivered) survives a
# removal: only `apt purge` deletes it, with the configuration folder.
# rpm has no purge: remove /var/lib/vigie by hand if the host is retired.
set -e

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi

if [ "$1" = purge ]; then
	rm -rf /var/lib/vigie /etc/vigie
fi
exit 0
