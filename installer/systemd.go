package installer

import (
	"fmt"
	"strings"
)

// SystemdUnit renders the systemd unit of the agent. Every hardening option
// below was chosen against what the checks read and run (checks/*):
//
//   - ProtectSystem=full: /usr, /boot and /etc read-only. Not "strict": that
//     would make /var read-only, and `apt-get -s` / `dnf check-update`
//     refresh their caches under /var/cache. The agent itself writes only
//     its state directory.
//   - ProtectHome=read-only, not "yes": backup destinations under /home or
//     /root (and SSH settings in /root/.ssh) stay readable for the backup and
//     hygiene checks; nothing there can be changed.
//   - PrivateTmp=yes: the agent has no business with other users' /tmp.
//   - NoNewPrivileges=yes, RestrictSUIDSGID=yes: the agent runs as root (it
//     must read the firewall and every package database) but nothing it
//     runs can gain more through setuid binaries.
//   - ProtectKernelTunables=yes (sysctls stay readable), ProtectControlGroups,
//     ProtectKernelLogs, LockPersonality, RestrictRealtime, RestrictNamespaces,
//     ProtectHostname and ProtectClock (checks read the name and the time
//     sync state, never set them), ProtectKernelModules (a check must not
//     load a module as a side effect: an unloaded ip_tables means no legacy
//     rules, which is what the firewall check reports), native syscalls only.
//   - RestrictAddressFamilies: UNIX (D-Bus for systemctl), INET/INET6 (TLS,
//     DNS, hub), NETLINK (ss, ip, nft read the network state).
//   - Nice, IOSchedulingClass=idle, CPUWeight, MemoryHigh/MemoryMax: a scan
//     never hurts the host (the complaint about Wazuh and OpenSCAP).
//
// Deliberately NOT set, because they would falsify checks: PrivateDevices
// (disk encryption checks look at /dev/mapper), ProtectProc=invisible and
// PrivateNetwork (listener and process checks must see the whole host),
// CapabilityBoundingSet (nft/iptables need CAP_NET_ADMIN, ss -p needs
// CAP_SYS_PTRACE), SystemCallFilter and MemoryDenyWriteExecute (they apply
// to every tool the checks run, which vary by distribution).
func SystemdUnit(exe, configPath string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[Unit]
Description=Vigie, autodiagnostic de cybersécurité (agent)
Documentation=https://github.com/vigie-cyber/vigie
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=%s run --config %s
Restart=on-failure
RestartSec=60
TimeoutStopSec=10
StateDirectory=vigie
StateDirectoryMode=0700
ConfigurationDirectory=vigie
UMask=0077

ProtectSystem=full
ProtectHome=read-only
PrivateTmp=yes
NoNewPrivileges=yes
RestrictSUIDSGID=yes
ProtectKernelTunables=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictNamespaces=yes
ProtectHostname=yes
ProtectClock=yes
ProtectKernelModules=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

Nice=10
IOSchedulingClass=idle
CPUWeight=20
MemoryHigh=200M
MemoryMax=400M

[Install]
WantedBy=multi-user.target
`, systemdQuote(exe), systemdQuote(configPath))
	return b.String()
}

// systemdQuote quotes a path for ExecStart when it needs it.
func systemdQuote(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\$%") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`, `%`, `%%`)
	return `"` + r.Replace(s) + `"`
}
