package installer

import (
	"fmt"
	"strings"
)

// SystemdUnit renders the systemd unit of the agent. Every option below was
// chosen against what the checks read and run (checks/*);
// `systemd-analyze security --offline=true` scores the unit 3.0 (TestSystemdUnit
// holds it at 4.0 at most).
//
// The agent runs as root (it must read the firewall and every package
// database) but keeps only these capabilities (CapabilityBoundingSet), each
// for the checks named:
//
//   - CAP_DAC_READ_SEARCH: backup.* (backup destinations, repositories and
//     restic/borg/rsnapshot configurations owned by a user or a backup
//     account, in directories whose mode refuses others, such as a home
//     directory 0700: root reads what it does not own only with this). The
//     other checks read files root owns or anyone may read.
//   - CAP_NET_ADMIN: hygiene.firewall (nft list ruleset, iptables-save, ufw
//     status read the rules through netlink, which the kernel reserves to
//     CAP_NET_ADMIN even for reading).
//   - CAP_NET_RAW: hygiene.firewall on legacy iptables (iptables-save opens
//     a raw socket to read the tables).
//   - CAP_SYS_PTRACE: hygiene.exposed-ports (naming the process behind a
//     listening port reads other users' /proc/PID/fd, which is ptrace
//     access).
//
// Everything else is dropped: CAP_SYS_ADMIN (nothing mounts or administers
// anything), CAP_DAC_OVERRIDE and CAP_FOWNER (the agent writes only its own
// state directory, which it owns), CAP_SETUID/SETGID, CAP_CHOWN...
//
// Files: ProtectSystem=strict makes the whole file system read-only but
// the state directory (StateDirectory, and ReadWritePaths names it again
// to say it is the only one). `apt-get -s` works on a read-only /var/cache
// (its cache is then built in memory); dnf and yum read the metadata
// dnf-makecache.timer refreshed, and when they cannot, patch.pending says so
// as an error result, never a verdict. ProtectHome=read-only keeps backup
// destinations and /root/.ssh readable for the backup and hygiene checks.
// PrivateTmp, PrivateMounts: the agent has no business with other users'
// /tmp or with the host's mounts (it reads them, through
// /proc/self/mountinfo, unchanged).
//
// System calls: SystemCallFilter=@system-service minus @mount and
// @privileged (no mount, no setuid, no chroot, no swap, no clock...), for
// the agent and every tool it runs; a refused call fails with EPERM
// (SystemCallErrorNumber) rather than killing the tool, so a check whose
// tool needs one reports an error result. Native architecture only.
//
// Also: NoNewPrivileges, RestrictSUIDSGID (nothing gains more through
// setuid binaries), ProtectKernelTunables (sysctls stay readable),
// ProtectControlGroups, ProtectKernelLogs, ProtectKernelModules (a check
// must not load a module as a side effect: an unloaded ip_tables means no
// legacy rules, which is what the firewall check reports), ProtectClock and
// ProtectHostname (checks read the name and the time sync state, never set
// them), LockPersonality, RestrictRealtime, RestrictNamespaces;
// RestrictAddressFamilies: UNIX (D-Bus for systemctl, timedatectl), INET and
// INET6 (TLS, DNS, hub), NETLINK (ss, ip, nft). Nice, IOSchedulingClass=idle,
// CPUWeight, MemoryHigh/MemoryMax: a scan never hurts the host.
//
// Deliberately NOT set, because they would falsify checks: PrivateDevices
// and DevicePolicy (disk encryption checks look at /dev/mapper),
// ProtectProc=invisible, ProcSubset=pid and PrivateNetwork (listener and
// process checks must see the whole host), PrivateUsers (root's view of
// file ownership), MemoryDenyWriteExecute (it applies to every tool the
// checks run, which vary by distribution).
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

CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_PTRACE
ProtectSystem=strict
ReadWritePaths=/var/lib/vigie
ProtectHome=read-only
PrivateTmp=yes
PrivateMounts=yes
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
SystemCallFilter=@system-service
SystemCallFilter=~@mount @privileged
SystemCallErrorNumber=EPERM
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
