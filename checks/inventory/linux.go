package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/protocol"
)

// DpkgFormat is the dpkg-query output format ParseDpkgQuery reads: one line
// per package, tab-separated. ${source:Package} and ${source:Version} are
// the source package and its version (dpkg ≥ 1.16.2: the package's own name
// and version when it has no Source field), which Debian's advisories name.
const DpkgFormat = `${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${db:Status-Abbrev}\n`

// maxLine bounds one line of package manager output (a package name and
// version are far shorter; a longer line is not dpkg or rpm talking).
const maxLine = 64 << 10

// ParseDpkgQuery reads DpkgFormat lines and keeps installed packages
// (status "ii" or "hi", also "iU"/"iF" half-configured: their files are on
// disk). Removed packages whose configuration remains ("rc") are not
// software that runs. A line without the six fields is an error: the
// output is not what was asked for, and a partial inventory would read as
// "not installed".
func ParseDpkgQuery(out []byte) ([]protocol.Package, error) {
	var pkgs []protocol.Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, maxLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("dpkg-query: line %d malformed: %q", n, clip(line))
		}
		if st := f[5]; len(st) < 2 || st[1] != 'i' && st[1] != 'U' && st[1] != 'F' && st[1] != 'W' && st[1] != 't' {
			// Second letter is the current state: i installed, U unpacked,
			// F half-configured, W/t triggers pending; n not installed, c
			// config-files, H half-installed.
			continue
		}
		p := protocol.Package{Name: f[0], Version: f[1], Arch: f[2], Source: protocol.SourceDpkg,
			SourcePackage: f[3], SourceVersion: f[4]}
		if p.SourcePackage == "" {
			p.SourcePackage = p.Name
		}
		if p.SourceVersion == "" {
			p.SourceVersion = p.Version
		}
		pkgs = append(pkgs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dpkg-query: %w", err)
	}
	return pkgs, nil
}

// RpmFormat is the rpm query format ParseRpmQuery reads. %{SOURCERPM} is
// the source RPM's file name (openssl-3.0.7-27.el9.src.rpm), which Red Hat
// family advisories name.
const RpmFormat = `%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n`

// ParseRpmQuery reads RpmFormat lines. A zero epoch is dropped as rpm does
// when printing versions; the binary's epoch is given to the source version
// too (rpm builds every binary of an SRPM with the SRPM's epoch). Imported
// signing keys (gpg-pubkey) are not software.
func ParseRpmQuery(out []byte) ([]protocol.Package, error) {
	var pkgs []protocol.Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, maxLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 || f[0] == "" {
			return nil, fmt.Errorf("rpm: line %d malformed: %q", n, clip(line))
		}
		epoch, evr, ok := strings.Cut(f[1], ":")
		if !ok || evr == "" || evr == "-" {
			return nil, fmt.Errorf("rpm: line %d: version %q is not epoch:version-release", n, clip(f[1]))
		}
		if f[0] == "gpg-pubkey" {
			continue
		}
		p := protocol.Package{Name: f[0], Version: evr, Source: protocol.SourceRpm}
		if epoch != "0" && epoch != "" {
			p.Version = epoch + ":" + evr
		}
		if f[2] != "(none)" {
			p.Arch = f[2]
		}
		if name, ver, ok := ParseSourceRPM(f[3]); ok {
			p.SourcePackage, p.SourceVersion = name, ver
			if epoch != "0" && epoch != "" {
				p.SourceVersion = epoch + ":" + ver
			}
		}
		pkgs = append(pkgs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rpm: %w", err)
	}
	return pkgs, nil
}

// ParseSourceRPM splits a source RPM file name, name-version-release.src.rpm
// (or .nosrc.rpm), into its name and version-release. "(none)" (a package
// built without one, or gpg-pubkey) and other forms are not understood.
func ParseSourceRPM(s string) (name, version string, ok bool) {
	base, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		base, found = strings.CutSuffix(s, ".nosrc.rpm")
	}
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(base, '-')
	if i <= 0 {
		return "", "", false
	}
	j := strings.LastIndexByte(base[:i], '-')
	if j <= 0 || j+1 == i || i+1 == len(base) {
		return "", "", false
	}
	return base[:j], base[j+1:], true
}

// KernelPackageVersion returns the version of the package the running
// kernel came from, where the distribution writes it into the kernel:
//   - Debian: /proc/sys/kernel/version (uname -v) ends with it,
//     "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)";
//   - Ubuntu: /proc/version_signature, "Ubuntu 5.15.0-91.101-generic
//     5.15.131", gives 5.15.0-91.101;
//   - the Red Hat family: the kernel release (uname -r) is the kernel
//     package's version-release and architecture,
//     "5.14.0-427.13.1.el9_4.x86_64".
//
// It returns "" when the text does not have the distribution's form (a
// custom kernel, a container's host kernel).
func KernelPackageVersion(distro, unameV, signature, unameR string) string {
	switch distro {
	case "debian":
		// "... Debian 6.1.158-1 (2025-11-09)"; backports: "Debian 6.12.12-1~bpo12+1".
		f := strings.Fields(unameV)
		for i := len(f) - 2; i >= 0; i-- {
			if f[i] == "Debian" && looksLikeVersion(f[i+1]) {
				return f[i+1]
			}
		}
	case "ubuntu":
		f := strings.Fields(signature)
		if len(f) >= 2 && f[0] == "Ubuntu" {
			// 5.15.0-91.101-generic: the flavour follows the last '-'.
			if i := strings.LastIndexByte(f[1], '-'); i > 0 && strings.Contains(f[1][:i], "-") && looksLikeVersion(f[1][:i]) {
				return f[1][:i]
			}
		}
	case "rhel":
		r := strings.TrimSpace(unameR)
		for _, arch := range []string{".x86_64", ".aarch64", ".ppc64le", ".s390x", ".i686"} {
			if v, ok := strings.CutSuffix(r, arch); ok && strings.Contains(v, ".el") && looksLikeVersion(v) {
				return v
			}
		}
	}
	return ""
}

// looksLikeVersion: starts with a digit, only version characters.
func looksLikeVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune(".-+~:_", c)) {
			return false
		}
	}
	return true
}

// clip shortens a line quoted in an error.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
