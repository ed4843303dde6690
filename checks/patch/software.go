package patch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
)

// Package is one installed piece of software, for the scorecard's
// inventory (CIS 2.1): a region looks up every entity running a product
// named in a CERT-FR alert.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"` // dpkg, rpm, windows-registry
}

// Software lists the software installed on h: dpkg on Debian and Ubuntu,
// rpm on the RHEL family, the registry's Uninstall keys on Windows. The
// list is sorted by name then version.
func Software(ctx context.Context, h *checks.Host) ([]Package, error) {
	p, err := detect(h)
	if err != nil {
		return nil, err
	}
	var pkgs []Package
	switch p.mgr {
	case Apt:
		out, err := h.Exec.Run(ctx, "dpkg-query", "-W", "-f", `${Package}\t${Version}\t${db:Status-Abbrev}\n`)
		if err != nil {
			return nil, fmt.Errorf("dpkg-query: %w", err)
		}
		pkgs, err = ParseDpkgQuery(out)
		if err != nil {
			return nil, err
		}
	case Dnf:
		out, err := h.Exec.Run(ctx, "rpm", "-qa", "--qf", `%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n`)
		if err != nil {
			return nil, fmt.Errorf("rpm -qa: %w", err)
		}
		pkgs, err = ParseRpmQuery(out)
		if err != nil {
			return nil, err
		}
	case Windows:
		pkgs, err = windowsSoftware(h.Registry)
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if pkgs[i].Name != pkgs[j].Name {
			return pkgs[i].Name < pkgs[j].Name
		}
		return pkgs[i].Version < pkgs[j].Version
	})
	return pkgs, nil
}

// ParseDpkgQuery reads "name\tversion\tstatus" lines and keeps installed
// packages (status "ii" or "hi": removed packages whose configuration
// remains, "rc", are not software that runs).
func ParseDpkgQuery(out []byte) ([]Package, error) {
	var pkgs []Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 || f[0] == "" {
			return nil, fmt.Errorf("dpkg-query: malformed line %q", line)
		}
		if len(f) >= 3 && !strings.HasPrefix(f[2], "ii") && !strings.HasPrefix(f[2], "hi") {
			continue
		}
		pkgs = append(pkgs, Package{Name: f[0], Version: f[1], Source: "dpkg"})
	}
	return pkgs, sc.Err()
}

// ParseRpmQuery reads "name\tepoch:version-release\tarch" lines; a zero
// epoch is dropped as rpm itself does when printing versions.
func ParseRpmQuery(out []byte) ([]Package, error) {
	var pkgs []Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 || f[0] == "" {
			return nil, fmt.Errorf("rpm: malformed line %q", line)
		}
		if f[0] == "gpg-pubkey" {
			continue // imported signing keys are not software
		}
		v := strings.TrimPrefix(f[1], "0:")
		pkgs = append(pkgs, Package{Name: f[0], Version: v, Source: "rpm"})
	}
	return pkgs, sc.Err()
}

const (
	keyUninstall      = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	keyUninstallWOW64 = `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`
)

// windowsSoftware reads the Uninstall keys (64- and 32-bit views) the way
// "Programs and Features" shows them: entries with a DisplayName, neither
// system components nor updates of another product.
func windowsSoftware(r checks.Registry) ([]Package, error) {
	var pkgs []Package
	seen := map[Package]bool{}
	found := false
	for _, root := range []string{keyUninstall, keyUninstallWOW64} {
		subs, err := r.SubKeys(root)
		if errors.Is(err, checks.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", root, err)
		}
		found = true
		for _, s := range subs {
			k := root + `\` + s
			name, err := r.String(k, "DisplayName")
			if err != nil || strings.TrimSpace(name) == "" {
				continue
			}
			if sc, err := r.Integer(k, "SystemComponent"); err == nil && sc == 1 {
				continue
			}
			if parent, err := r.String(k, "ParentKeyName"); err == nil && parent != "" {
				continue
			}
			ver, _ := r.String(k, "DisplayVersion")
			p := Package{Name: strings.TrimSpace(name), Version: strings.TrimSpace(ver), Source: "windows-registry"}
			if !seen[p] {
				seen[p] = true
				pkgs = append(pkgs, p)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("read %s: %w", keyUninstall, checks.ErrNotFound)
	}
	return pkgs, nil
}
