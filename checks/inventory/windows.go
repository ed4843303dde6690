package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Registry locations, read through checks.Registry (which opens the 64-bit
// view: WOW6432Node is the 32-bit programs' view of HKLM\SOFTWARE).
const (
	keyCurrentVersion = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	keyEnvironment    = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment`
	uninstallPath     = `\Microsoft\Windows\CurrentVersion\Uninstall`
	keyUninstall      = `HKLM\SOFTWARE` + uninstallPath
	keyUninstallWOW64 = `HKLM\SOFTWARE\WOW6432Node` + uninstallPath
	keyC2RConfig      = `HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration`
)

// WindowsHost reads what advisories name a Windows system by from
// CurrentVersion: the build with its update revision (10.0.19045.6809), the
// release (22H2; 1607 on Server 2016, which has no DisplayVersion), the
// edition and the installation type (Server Core lines are separate in
// advisories). It fills what it could read and fails only when the key
// itself cannot be read.
func WindowsHost(r checks.Registry, info *protocol.HostInfo) error {
	build, err := r.String(keyCurrentVersion, "CurrentBuild")
	if err != nil {
		return fmt.Errorf("read %s: %w", keyCurrentVersion, err)
	}
	major, errMaj := r.Integer(keyCurrentVersion, "CurrentMajorVersionNumber")
	minor, errMin := r.Integer(keyCurrentVersion, "CurrentMinorVersionNumber")
	mm := ""
	if errMaj == nil && errMin == nil {
		mm = fmt.Sprintf("%d.%d", major, minor)
	} else if cv, err := r.String(keyCurrentVersion, "CurrentVersion"); err == nil {
		mm = cv // 6.3 before Windows 10
	}
	if mm != "" && isDigits(build) {
		info.OSBuild = mm + "." + build
		if ubr, err := r.Integer(keyCurrentVersion, "UBR"); err == nil {
			info.OSBuild += "." + strconv.FormatUint(ubr, 10)
		}
	}
	if v, err := r.String(keyCurrentVersion, "DisplayVersion"); err == nil && v != "" {
		info.OSRelease = v
	} else if v, err := r.String(keyCurrentVersion, "ReleaseId"); err == nil {
		info.OSRelease = v
	}
	info.OSEdition, _ = r.String(keyCurrentVersion, "EditionID")
	info.OSInstallation, _ = r.String(keyCurrentVersion, "InstallationType")
	for _, p := range []*string{&info.OSBuild, &info.OSRelease, &info.OSEdition, &info.OSInstallation} {
		*p = protocol.Clip(*p, 64)
	}
	return nil
}

// uninstallRoot is one Uninstall key and the architecture of what it lists.
type uninstallRoot struct {
	key  string
	arch string
}

// userSID matches the SIDs of loaded user profiles under HKU (domain and
// local accounts: S-1-5-21-...; Azure AD: S-1-12-1-...), not their
// _Classes hives nor the service accounts (S-1-5-18/19/20, .DEFAULT).
var userSID = regexp.MustCompile(`^S-1-(5-21|12-1)(-[0-9]+){1,14}$`)

// uninstallRoots lists the Uninstall keys to read: HKLM in both views and
// each loaded user hive (per-user installs: Chrome, Teams, Zoom into
// AppData). Profiles of users not logged on are not loaded and cannot be
// read without loading their NTUSER.DAT, which an inventory does not do.
func uninstallRoots(r checks.Registry) []uninstallRoot {
	native := ""
	switch a, _ := r.String(keyEnvironment, "PROCESSOR_ARCHITECTURE"); strings.ToUpper(a) {
	case "AMD64":
		native = "x64"
	case "X86":
		native = "x86"
	case "ARM64":
		native = "" // x64 programs also register in the native view
	}
	roots := []uninstallRoot{{keyUninstall, native}, {keyUninstallWOW64, "x86"}}
	users, _ := r.SubKeys("HKU")
	for _, sid := range users {
		if userSID.MatchString(sid) {
			roots = append(roots, uninstallRoot{`HKU\` + sid + `\Software` + uninstallPath, ""})
		}
	}
	return roots
}

// updateTypes are the ReleaseType values of updates to another product.
var updateTypes = map[string]bool{"security update": true, "update rollup": true, "hotfix": true, "update": true, "service pack": true}

// WindowsSoftware reads the Uninstall keys the way "Programs and Features"
// shows them: entries with a DisplayName, neither system components nor
// updates of another product. Versions are then corrected where
// DisplayVersion lies (Office, browsers: see refine). fsys is the system
// drive, for Office MSI's binaries.
func WindowsSoftware(r checks.Registry, fsys fs.FS) ([]protocol.Package, error) {
	var pkgs []protocol.Package
	found := false
	for _, root := range uninstallRoots(r) {
		subs, err := r.SubKeys(root.key)
		if errors.Is(err, checks.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", root.key, err)
		}
		found = true
		for _, s := range subs {
			k := root.key + `\` + s
			name, err := r.String(k, "DisplayName")
			if name = strings.TrimSpace(name); err != nil || name == "" {
				continue
			}
			if sc, err := r.Integer(k, "SystemComponent"); err == nil && sc == 1 {
				continue
			}
			if parent, err := r.String(k, "ParentKeyName"); err == nil && parent != "" {
				continue
			}
			if rt, err := r.String(k, "ReleaseType"); err == nil && updateTypes[strings.ToLower(strings.TrimSpace(rt))] {
				continue
			}
			ver, _ := r.String(k, "DisplayVersion")
			pub, _ := r.String(k, "Publisher")
			p := protocol.Package{Name: name, Version: strings.TrimSpace(ver), Publisher: strings.TrimSpace(pub),
				Arch: root.arch, Source: protocol.SourceWindowsRegistry}
			refine(r, fsys, root.key, s, &p)
			pkgs = append(pkgs, p)
		}
	}
	if !found {
		return nil, fmt.Errorf("read %s: %w", keyUninstall, checks.ErrNotFound)
	}
	return append(pkgs, dotNetFramework(r)...), nil
}

// refine corrects an entry whose DisplayVersion is not the version that
// runs, and names Office's product line.
func refine(r checks.Registry, fsys fs.FS, root, sub string, p *protocol.Package) {
	if office(r, fsys, root, sub, p) {
		return
	}
	browser(r, root, p)
}

// browserClients are the browsers' own update clients: their "pv" value is
// the version installed, which they keep current (DisplayVersion is
// written by the installer and not every updater rewrites it).
var browserClients = []struct {
	name  string // DisplayName
	path  string // under HKLM\SOFTWARE (both views) or HKU\<SID>\Software
	value string
}{
	{"Google Chrome", `\Google\Update\Clients\{8A69D345-D564-463c-AFF1-A69D9E530F96}`, "pv"},
	{"Microsoft Edge", `\Microsoft\EdgeUpdate\Clients\{56EB18F8-B008-4CBD-B6D2-8C97FE7E9062}`, "pv"},
}

// browser sets a browser's version from its update client, looked up in
// the hive its Uninstall entry came from. Firefox writes its version in its
// own Uninstall entry on every update: nothing to correct.
func browser(r checks.Registry, root string, p *protocol.Package) {
	for _, b := range browserClients {
		if p.Name != b.name {
			continue
		}
		var keys []string
		if hive, ok := strings.CutSuffix(root, `\Software`+uninstallPath); ok && strings.HasPrefix(hive, `HKU\`) {
			keys = []string{hive + `\Software` + b.path}
		} else {
			keys = []string{`HKLM\SOFTWARE\WOW6432Node` + b.path, `HKLM\SOFTWARE` + b.path}
		}
		for _, k := range keys {
			if v, err := r.String(k, b.value); err == nil && isDottedVersion(v) {
				p.Version = v
				return
			}
		}
	}
}

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDottedVersion: 1 to 4 dot-separated numbers (a Windows file version).
func isDottedVersion(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) || len(p) > 10 {
			return false
		}
	}
	return true
}
