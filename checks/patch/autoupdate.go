package patch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// autoUpdates passes when security updates install without anyone acting:
// unattended-upgrades on Debian/Ubuntu, dnf-automatic (or yum-cron) on the
// RHEL family, the Windows Update policy on Windows.
func (f *family) autoUpdates(ctx context.Context, h *checks.Host) protocol.Result {
	p, err := f.platform(ctx, h)
	if err != nil {
		return notApplicable(err)
	}
	switch p.mgr {
	case Apt:
		return aptAutoUpdates(h.FS)
	case Dnf:
		return dnfAutoUpdates(h.FS)
	case Windows:
		return windowsAutoUpdates(h.Registry)
	}
	return notApplicable(errUnknownPlatform)
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// masked reports a systemd unit linked to /dev/null in etc/systemd/system.
func masked(fsys fs.FS, unit string) bool {
	target, err := fs.ReadLink(fsys, "etc/systemd/system/"+unit)
	return err == nil && target == "/dev/null"
}

func aptAutoUpdates(fsys fs.FS) protocol.Result {
	facts := map[string]any{"manager": "apt"}
	installed := exists(fsys, "usr/bin/unattended-upgrade") || exists(fsys, "var/lib/dpkg/info/unattended-upgrades.list")
	facts["unattended_upgrades"] = installed
	if !installed {
		return checks.Failed(protocol.Textf("le paquet unattended-upgrades n'est pas installé : les mises à jour de sécurité ne s'installent pas toutes seules",
			"the unattended-upgrades package is not installed: security updates are not installed automatically"), facts)
	}
	conf := aptConf(fsys)
	uu := conf["apt::periodic::unattended-upgrade"]
	lists := conf["apt::periodic::update-package-lists"]
	facts["periodic_unattended_upgrade"], facts["periodic_update_package_lists"] = uu, lists
	if !enabledInterval(uu) {
		return checks.Failed(protocol.Textf(`unattended-upgrades est installé mais désactivé (APT::Periodic::Unattended-Upgrade = "%s" dans /etc/apt/apt.conf.d)`,
			`unattended-upgrades is installed but disabled (APT::Periodic::Unattended-Upgrade = "%s" in /etc/apt/apt.conf.d)`, uu), facts)
	}
	if masked(fsys, "apt-daily-upgrade.timer") {
		return checks.Failed(protocol.Textf("unattended-upgrades est configuré mais le minuteur apt-daily-upgrade.timer est masqué : il ne s'exécute jamais",
			"unattended-upgrades is configured but apt-daily-upgrade.timer is masked: it never runs"), facts)
	}
	if !enabledInterval(lists) {
		return checks.Warned(protocol.Textf(`unattended-upgrades est activé mais la liste des paquets n'est pas rafraîchie automatiquement (APT::Periodic::Update-Package-Lists = "%s")`,
			`unattended-upgrades is enabled but package lists are not refreshed automatically (APT::Periodic::Update-Package-Lists = "%s")`, lists), facts)
	}
	return checks.Passed(protocol.Textf(`mises à jour automatiques actives : unattended-upgrades installé, APT::Periodic::Unattended-Upgrade = "%s"`,
		`automatic updates on: unattended-upgrades installed, APT::Periodic::Unattended-Upgrade = "%s"`, uu), facts)
}

// enabledInterval reads an APT::Periodic value: a number of days (0 = off)
// or a systemd-style duration ("1d", "always").
func enabledInterval(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n > 0
	}
	return v != "off" && v != "never"
}

// ParseINI reads a simple INI file (dnf's automatic.conf) into
// "section.key" = value.
func ParseINI(data []byte) map[string]string {
	out := map[string]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[section+"."+strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return out
}

func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "1", "on":
		return true
	}
	return false
}

func dnfAutoUpdates(fsys fs.FS) protocol.Result {
	facts := map[string]any{"manager": "dnf"}
	const wants = "etc/systemd/system/timers.target.wants/"
	var conf map[string]string
	for _, name := range []string{"etc/dnf/automatic.conf", "etc/dnf/dnf5-plugins/automatic.conf"} {
		if data, err := fs.ReadFile(fsys, name); err == nil {
			conf = ParseINI(data)
			break
		}
	}
	apply := yes(conf["commands.apply_updates"])
	facts["apply_updates"] = apply
	switch {
	case exists(fsys, wants+"dnf-automatic-install.timer"):
		facts["timer"] = "dnf-automatic-install.timer"
		return checks.Passed(protocol.Textf("mises à jour automatiques actives (dnf-automatic-install.timer)",
			"automatic updates on (dnf-automatic-install.timer)"), facts)
	case exists(fsys, wants+"dnf-automatic.timer"), exists(fsys, wants+"dnf5-automatic.timer"):
		facts["timer"] = "dnf-automatic.timer"
		if apply {
			return checks.Passed(protocol.Textf("mises à jour automatiques actives (dnf-automatic.timer, apply_updates = yes)",
				"automatic updates on (dnf-automatic.timer, apply_updates = yes)"), facts)
		}
		return checks.Warned(protocol.Textf("dnf-automatic est actif mais ne fait que télécharger ou prévenir (apply_updates = no dans /etc/dnf/automatic.conf)",
			"dnf-automatic runs but only downloads or notifies (apply_updates = no in /etc/dnf/automatic.conf)"), facts)
	case exists(fsys, wants+"dnf-automatic-download.timer"), exists(fsys, wants+"dnf-automatic-notifyonly.timer"):
		facts["timer"] = "download/notify only"
		return checks.Warned(protocol.Textf("dnf-automatic ne fait que télécharger ou prévenir : les mises à jour ne sont pas installées automatiquement",
			"dnf-automatic only downloads or notifies: updates are not installed automatically"), facts)
	}
	// RHEL/CentOS 7: yum-cron.
	if data, err := fs.ReadFile(fsys, "etc/yum/yum-cron.conf"); err == nil && exists(fsys, "etc/systemd/system/multi-user.target.wants/yum-cron.service") {
		c := ParseINI(data)
		facts["timer"] = "yum-cron"
		if yes(c["commands.apply_updates"]) {
			return checks.Passed(protocol.Textf("mises à jour automatiques actives (yum-cron, apply_updates = yes)",
				"automatic updates on (yum-cron, apply_updates = yes)"), facts)
		}
		return checks.Warned(protocol.Textf("yum-cron est actif mais n'installe pas les mises à jour (apply_updates = no)",
			"yum-cron runs but does not install updates (apply_updates = no)"), facts)
	}
	if conf != nil {
		return checks.Failed(protocol.Textf("dnf-automatic est installé mais aucun de ses minuteurs n'est activé",
			"dnf-automatic is installed but none of its timers is enabled"), facts)
	}
	return checks.Failed(protocol.Textf("aucune mise à jour automatique : dnf-automatic n'est pas installé",
		"no automatic updates: dnf-automatic is not installed"), facts)
}

// AUOptions values (Configure Automatic Updates policy).
var auOptions = map[uint64]protocol.Text{
	1: {FR: "ne jamais rechercher les mises à jour", EN: "never check for updates"},
	2: {FR: "prévenir avant de télécharger et d'installer", EN: "notify before download and install"},
	3: {FR: "télécharger automatiquement, prévenir avant d'installer", EN: "download automatically, notify before install"},
	4: {FR: "télécharger et installer automatiquement", EN: "download and install automatically"},
	5: {FR: "laisser l'administrateur local choisir", EN: "let the local administrator choose"},
	7: {FR: "télécharger automatiquement, prévenir avant d'installer et de redémarrer", EN: "download automatically, notify before install and restart"},
}

func windowsAutoUpdates(r checks.Registry) protocol.Result {
	facts := map[string]any{"manager": "windows"}
	what := protocol.Text{FR: "lecture de la stratégie Windows Update", EN: "reading the Windows Update policy"}
	integer := func(key, value string) (uint64, bool, error) {
		n, err := r.Integer(key, value)
		if errors.Is(err, checks.ErrNotFound) {
			return 0, false, nil
		}
		return n, err == nil, err
	}
	if use, ok, _ := integer(keyAUPolicy, "UseWUServer"); ok && use == 1 {
		srv, _ := r.String(keyWUPolicy, "WUServer")
		facts["wsus"] = srv
	}
	start, ok, err := integer(keyWuauserv, "Start")
	if err != nil {
		return checks.Errored(what, err)
	}
	if ok && start == 4 {
		facts["service_disabled"] = true
		return checks.Failed(protocol.Textf("le service Windows Update (wuauserv) est désactivé", "the Windows Update service (wuauserv) is disabled"), facts)
	}
	no, ok, err := integer(keyAUPolicy, "NoAutoUpdate")
	if err != nil {
		return checks.Errored(what, err)
	}
	if ok && no == 1 {
		facts["no_auto_update"] = true
		return checks.Failed(protocol.Textf("la stratégie de groupe désactive les mises à jour automatiques (NoAutoUpdate = 1)",
			"group policy disables automatic updates (NoAutoUpdate = 1)"), facts)
	}
	opt, ok, err := integer(keyAUPolicy, "AUOptions")
	if err != nil {
		return checks.Errored(what, err)
	}
	src := protocol.Text{FR: "stratégie de groupe", EN: "group policy"}
	if !ok {
		if opt, ok, err = integer(keyAULocal, "AUOptions"); err != nil {
			return checks.Errored(what, err)
		}
		src = protocol.Text{FR: "réglage local", EN: "local setting"}
	}
	if !ok {
		// No policy and no local choice: Windows' default applies only if
		// the Windows Update key every installation has was read (Wine's
		// registry has none: no verdict on it).
		if exists, err := checks.KeyExists(r, keyAULocal); err != nil || !exists {
			if err == nil {
				err = fmt.Errorf("%s: %w", keyAULocal, checks.ErrNotFound)
			}
			return checks.Errored(protocol.Text{FR: "stratégie Windows Update absente et clé Windows Update illisible : valeur non lue", EN: "no Windows Update policy and Windows Update key unreadable: value not read"}, err)
		}
		// No policy: Windows clients install automatically; Windows Server
		// only downloads (or does nothing on Server Core) until configured.
		v, err := winVersion(r)
		if err == nil && v.IsServer() {
			facts["au_options"] = "default-server"
			return checks.Warned(protocol.Textf("aucune installation automatique configurée : par défaut Windows Server ne fait que télécharger les mises à jour",
				"no automatic installation configured: by default Windows Server only downloads updates"), facts)
		}
		facts["au_options"] = "default"
		return checks.Passed(protocol.Textf("aucune stratégie ne limite Windows Update : installation automatique par défaut",
			"no policy restricts Windows Update: automatic installation by default"), facts)
	}
	facts["au_options"] = opt
	desc, known := auOptions[opt]
	if !known {
		desc = protocol.Textf("valeur inconnue %d", "unknown value %d", opt)
	}
	ev := protocol.Text{FR: fmt.Sprintf("Windows Update (%s, AUOptions = %d) : %s", src.FR, opt, desc.FR),
		EN: fmt.Sprintf("Windows Update (%s, AUOptions = %d): %s", src.EN, opt, desc.EN)}
	switch opt {
	case 4:
		return checks.Passed(ev, facts)
	case 1:
		return checks.Failed(ev, facts)
	}
	return checks.Warned(ev, facts)
}
