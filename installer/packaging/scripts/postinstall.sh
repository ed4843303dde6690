#!/bin/sh
# Post-installation of the vigie package (deb postinst, rpm %post).
# deb: $1 = configure, $2 = previous version (empty on a first install).
# rpm: $1 = 1 on a first install, 2 or more on an upgrade.
# The service is enabled, never started: an agent that is not enrolled
# would scan with nobody to deliver to. Nothing here may fail the install
# when systemd is not running (containers, chroots, image builds).
set -e

case "$1" in
configure)
	if [ -n "$2" ]; then upgrade=1; else upgrade=0; fi ;;
[0-9]*)
	if [ "$1" -ge 2 ]; then upgrade=1; else upgrade=0; fi ;;
*)
	exit 0 ;;
esac

# Settings and key: readable by root only, whatever the umask.
chmod 0700 /var/lib/vigie 2>/dev/null || true
chmod 0640 /etc/vigie/vigie.toml 2>/dev/null || true

booted=0
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	booted=1
	systemctl daemon-reload >/dev/null 2>&1 || true
fi

if [ "$upgrade" = 1 ]; then
	# The new binary takes over if the service was running.
	if [ "$booted" = 1 ]; then
		systemctl try-restart vigie.service >/dev/null 2>&1 || true
	fi
	exit 0
fi

# systemctl enable works offline too (it only makes the wants/ link).
if command -v systemctl >/dev/null 2>&1; then
	systemctl enable vigie.service >/dev/null 2>&1 || true
fi

if [ -f /etc/systemd/system/vigie.service ]; then
	echo "Vigie : /etc/systemd/system/vigie.service (installé par vigie install) remplace le service du paquet ; supprimez-le pour utiliser celui du paquet (puis systemctl daemon-reload)."
fi
cat <<'MSG'
Vigie est installé et sera lancé à chaque démarrage, mais n'est pas encore inscrit.
Avec le jeton donné par votre centre régional, lancez :
    vigie enroll --hub https://... --token ...
puis :
    systemctl start vigie
Réglages (domaines, sites web, sauvegardes) : /etc/vigie/vigie.toml ; état : vigie status
MSG
exit 0
