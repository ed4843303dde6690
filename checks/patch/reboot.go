package patch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// rebootPending fails when the system says a restart is needed to apply
// installed updates: Debian/Ubuntu's reboot-required flag, `needs-restarting
// -r` on the RHEL family, a newer kernel installed than the one running,
// and Windows' reboot flags in the registry.
func (f *family) rebootPending(ctx context.Context, h *checks.Host) protocol.Result {
	p, err := f.platform(ctx, h)
	if err != nil {
		return notApplicable(err)
	}
	what := protocol.Text{FR: "recherche d'un redémarrage en attente", EN: "looking for a pending reboot"}
	facts := map[string]any{"manager": string(p.mgr)}
	switch p.mgr {
	case Windows:
		var flags []string
		for _, k := range []struct{ key, name string }{
			{keyCBSReboot, `Component Based Servicing\RebootPending`},
			{keyWUReboot, `WindowsUpdate\Auto Update\RebootRequired`},
		} {
			ok, err := checks.KeyExists(h.Registry, k.key)
			if err != nil {
				return checks.Errored(what, err)
			}
			if ok {
				flags = append(flags, k.name)
			}
		}
		if ok, err := valueExists(h.Registry, keySessionManager, "PendingFileRenameOperations"); err == nil && ok {
			flags = append(flags, `Session Manager\PendingFileRenameOperations`)
		}
		facts["flags"] = flags
		if len(flags) > 0 {
			facts["reboot_required"] = true
			return checks.Failed(protocol.Textf("redémarrage en attente (registre : %s)", "reboot pending (registry: %s)",
				strings.Join(flags, ", ")), facts)
		}
		// No flag. The flags are keys that appear under keys every Windows has: when
		// those parents are missing (Wine's registry, a read refused), the
		// absence of flags proves nothing.
		for _, parent := range []string{keyCBS, keyAULocal} {
			ok, err := checks.KeyExists(h.Registry, parent)
			if err == nil && !ok {
				err = fmt.Errorf("%s: %w (registre de Windows incomplet : indicateurs non lus / incomplete Windows registry: flags not read)", parent, checks.ErrNotFound)
			}
			if err != nil {
				return checks.Errored(what, err)
			}
		}
		facts["reboot_required"] = false
		return checks.Passed(protocol.Textf("aucun indicateur de redémarrage en attente dans le registre",
			"no pending-reboot flag in the registry"), facts)
	case Apt:
		for _, name := range []string{"run/reboot-required", "var/run/reboot-required"} {
			if _, err := fs.Stat(h.FS, name); err == nil {
				pkgs := readLines(h.FS, name+".pkgs")
				facts["reboot_required"] = true
				facts["packages"] = pkgs
				ev := protocol.Textf("redémarrage demandé (/%s)", "reboot required (/%s)", name)
				if len(pkgs) > 0 {
					ev.FR += " par : " + names(pkgs, 8)
					ev.EN += " by: " + names(pkgs, 8)
				}
				return checks.Failed(ev, facts)
			}
		}
	case Dnf:
		out, err := h.Exec.Run(ctx, "needs-restarting", "-r")
		var ee *checks.ExitError
		switch {
		case err == nil:
			facts["reboot_required"] = false
			return checks.Passed(protocol.Textf("needs-restarting -r : aucun redémarrage nécessaire",
				"needs-restarting -r: no reboot needed"), facts)
		case errors.As(err, &ee) && ee.Code == 1 && len(bytes.TrimSpace(out)) > 0:
			facts["reboot_required"] = true
			return checks.Failed(protocol.Textf("needs-restarting -r : redémarrage nécessaire pour appliquer les mises à jour du noyau ou des bibliothèques",
				"needs-restarting -r: reboot needed to apply kernel or core library updates"), facts)
		case errors.Is(err, checks.ErrNotFound):
			// dnf-utils not installed: fall through to the kernel comparison.
		default:
			return checks.Errored(what, err)
		}
	}
	// Compare the running kernel with the newest one installed in /boot.
	info, err := h.Facts.Info(ctx)
	if err == nil && info.KernelVersion != "" {
		newest := newestKernel(h.FS, kernelFlavour(info.KernelVersion))
		if newest != "" && compareVersions(newest, info.KernelVersion) > 0 {
			facts["reboot_required"] = true
			facts["running_kernel"], facts["newest_kernel"] = info.KernelVersion, newest
			return checks.Failed(protocol.Textf("le noyau %s est installé mais le système tourne encore sur %s : redémarrage nécessaire",
				"kernel %s is installed but the system still runs %s: reboot needed", newest, info.KernelVersion), facts)
		}
		if newest != "" {
			facts["reboot_required"] = false
			facts["running_kernel"] = info.KernelVersion
			return checks.Passed(protocol.Textf("aucun redémarrage demandé ; le noyau en cours (%s) est le plus récent installé",
				"no reboot requested; the running kernel (%s) is the newest installed", info.KernelVersion), facts)
		}
	}
	facts["reboot_required"] = false
	return checks.Passed(protocol.Textf("aucun indicateur de redémarrage en attente (pas de noyau visible dans /boot pour comparer)",
		"no pending-reboot flag (no kernel visible in /boot to compare)"), facts)
}

func readLines(fsys fs.FS, name string) []string {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// kernelFlavour is the build flavour of a kernel release: "amd64" in
// 6.1.0-28-amd64, "cloud-amd64" in 6.1.0-28-cloud-amd64, "generic" on
// Ubuntu, "" for RHEL's 5.14.0-503.40.1.el9_5.x86_64. Kernels of another
// flavour installed beside the running one are not newer versions of it.
func kernelFlavour(release string) string {
	parts := strings.Split(release, "-")
	for i, p := range parts {
		if i > 0 && p != "" && unicode.IsLetter(rune(p[0])) {
			return strings.Join(parts[i:], "-")
		}
	}
	return ""
}

// newestKernel returns the highest version among boot/vmlinuz-* of the
// given flavour, rescue images excluded.
func newestKernel(fsys fs.FS, flavour string) string {
	ents, err := fs.ReadDir(fsys, "boot")
	if err != nil {
		return ""
	}
	newest := ""
	for _, e := range ents {
		v, ok := strings.CutPrefix(e.Name(), "vmlinuz-")
		if !ok || strings.Contains(v, "rescue") || kernelFlavour(v) != flavour {
			continue
		}
		if newest == "" || compareVersions(v, newest) > 0 {
			newest = v
		}
	}
	return newest
}

// compareVersions orders kernel version strings by comparing runs of
// digits numerically and other runs as text: 6.1.0-28-amd64 > 6.1.0-9-amd64.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		ra, restA := versionRun(a)
		rb, restB := versionRun(b)
		da, db := unicode.IsDigit(rune(ra[0])), unicode.IsDigit(rune(rb[0]))
		switch {
		case da && db:
			ra, rb = strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if len(ra) != len(rb) {
				if len(ra) < len(rb) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(ra, rb); c != 0 {
				return c
			}
		case da != db:
			if da {
				return 1
			}
			return -1
		default:
			if c := strings.Compare(ra, rb); c != 0 {
				return c
			}
		}
		a, b = restA, restB
	}
	return strings.Compare(a, b)
}

func versionRun(s string) (run, rest string) {
	d := unicode.IsDigit(rune(s[0]))
	i := 1
	for i < len(s) && unicode.IsDigit(rune(s[i])) == d {
		i++
	}
	return s[:i], s[i:]
}
