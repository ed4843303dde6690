package patch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
)

// OSRelease is the part of os-release(5) Vigie uses.
type OSRelease struct {
	ID         string   // debian, ubuntu, rocky, almalinux, rhel, centos
	IDLike     []string // debian; rhel centos fedora
	VersionID  string   // 12, 22.04, 9.4
	Codename   string   // VERSION_CODENAME: bookworm, jammy (none on the RHEL family)
	Name       string   // CentOS Stream, Debian GNU/Linux
	PrettyName string
}

// Pretty names the release for evidence.
func (o OSRelease) Pretty() string {
	if o.PrettyName != "" {
		return o.PrettyName
	}
	return strings.TrimSpace(o.ID + " " + o.VersionID)
}

// ParseOSRelease reads os-release(5): KEY=value lines, values optionally
// quoted with shell escapes, comments and blank lines ignored.
func ParseOSRelease(data []byte) (OSRelease, error) {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			q := v[0]
			v = v[1 : len(v)-1]
			if q == '"' {
				v = unescape(v)
			}
		}
		vals[k] = v
	}
	if err := sc.Err(); err != nil {
		return OSRelease{}, fmt.Errorf("os-release: %w", err)
	}
	if vals["ID"] == "" {
		return OSRelease{}, errors.New("os-release: no ID line")
	}
	var like []string
	if f := strings.Fields(strings.ToLower(vals["ID_LIKE"])); len(f) > 0 {
		like = f
	}
	return OSRelease{
		ID:         strings.ToLower(vals["ID"]),
		IDLike:     like,
		VersionID:  vals["VERSION_ID"],
		Codename:   vals["VERSION_CODENAME"],
		Name:       vals["NAME"],
		PrettyName: vals["PRETTY_NAME"],
	}, nil
}

// unescape removes the shell backslash escapes allowed in double quotes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Is reports whether the release is id or derives from it.
func (o OSRelease) Is(ids ...string) bool {
	for _, id := range ids {
		if o.ID == id {
			return true
		}
		for _, l := range o.IDLike {
			if l == id {
				return true
			}
		}
	}
	return false
}

// readOSRelease reads etc/os-release, falling back to usr/lib/os-release.
func readOSRelease(fsys fs.FS) (OSRelease, error) {
	data, err := fs.ReadFile(fsys, "etc/os-release")
	if errors.Is(err, fs.ErrNotExist) {
		data, err = fs.ReadFile(fsys, "usr/lib/os-release")
	}
	if err != nil {
		return OSRelease{}, fmt.Errorf("read os-release: %w", err)
	}
	return ParseOSRelease(data)
}

// Manager is the package manager family of a host.
type Manager string

const (
	Apt     Manager = "apt"
	Dnf     Manager = "dnf"
	Windows Manager = "windows"
)

// platform is what the checks need to know about the host to pick a path.
type platform struct {
	mgr Manager
	osr OSRelease // Linux only
}

// errUnknownPlatform becomes a not-applicable result.
var errUnknownPlatform = errors.New("no supported package manager")

func detect(h *checks.Host) (platform, error) {
	if h.OS == "windows" {
		return platform{mgr: Windows}, nil
	}
	if h.OS != "linux" {
		return platform{}, fmt.Errorf("%s: %w", h.OS, errUnknownPlatform)
	}
	osr, err := readOSRelease(h.FS)
	if err != nil {
		return platform{}, err
	}
	switch {
	case osr.Is("debian", "ubuntu"):
		return platform{mgr: Apt, osr: osr}, nil
	case osr.Is("rhel", "centos", "fedora", "rocky", "almalinux"):
		return platform{mgr: Dnf, osr: osr}, nil
	}
	return platform{osr: osr}, fmt.Errorf("%s: %w", osr.Pretty(), errUnknownPlatform)
}
