// Package inventory collects what a host runs in the terms security
// advisories use (issue 15): the installed software with publisher,
// architecture and distribution source package, and the host facts
// advisories name a system by (Windows build, release, edition and
// installation type; Linux codename and the running kernel's package
// version). A hub matches them against CERT-FR advisories.
//
// Everything is read through checks.Host (commands, file system, registry),
// so each collector is tested on Linux from fixtures (testdata/inventory).
package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/patch"
	"github.com/vigie-cyber/vigie/protocol"
)

// ErrUnsupported is a host whose package manager Vigie does not read.
var ErrUnsupported = errors.New("no supported package manager")

// Field length bounds: what a package manager or an installer wrote is
// outside input, and the inventory travels in every full scorecard.
const (
	maxName    = 256
	maxVersion = 128
	maxField   = 256
)

// Software lists the software installed on h: dpkg on Debian and Ubuntu,
// rpm on the Red Hat family, the registry's Uninstall keys on Windows;
// sorted and without duplicates (protocol.SortPackages).
func Software(ctx context.Context, h *checks.Host) ([]protocol.Package, error) {
	var pkgs []protocol.Package
	switch h.OS {
	case "windows":
		var err error
		if pkgs, err = WindowsSoftware(h.Registry, h.FS); err != nil {
			return nil, err
		}
	case "linux":
		osr, err := osRelease(h.FS)
		if err != nil {
			return nil, err
		}
		switch {
		case osr.Is("debian", "ubuntu"):
			out, err := h.Exec.Run(ctx, "dpkg-query", "-W", "-f", DpkgFormat)
			if err != nil {
				return nil, fmt.Errorf("dpkg-query: %w", err)
			}
			if pkgs, err = ParseDpkgQuery(out); err != nil {
				return nil, err
			}
		case osr.Is("rhel", "centos", "fedora", "rocky", "almalinux"):
			out, err := h.Exec.Run(ctx, "rpm", "-qa", "--qf", RpmFormat)
			if err != nil {
				return nil, fmt.Errorf("rpm -qa: %w", err)
			}
			if pkgs, err = ParseRpmQuery(out); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: %w", osr.Pretty(), ErrUnsupported)
		}
	default:
		return nil, fmt.Errorf("%s: %w", h.OS, ErrUnsupported)
	}
	for i := range pkgs {
		p := &pkgs[i]
		p.Name, p.Version = protocol.Clip(p.Name, maxName), protocol.Clip(p.Version, maxVersion)
		p.Publisher, p.Arch = protocol.Clip(p.Publisher, maxField), protocol.Clip(p.Arch, 32)
		p.SourcePackage, p.SourceVersion = protocol.Clip(p.SourcePackage, maxName), protocol.Clip(p.SourceVersion, maxVersion)
	}
	return protocol.SortPackages(pkgs), nil
}

// HostFacts adds to info what advisories name the system by (see
// WindowsHost, and for Linux the release's codename and
// KernelPackageVersion). What cannot be read stays empty; the error says
// what was not read.
func HostFacts(h *checks.Host, info *protocol.HostInfo) error {
	switch h.OS {
	case "windows":
		return WindowsHost(h.Registry, info)
	case "linux":
		osr, err := osRelease(h.FS)
		if err != nil {
			return err
		}
		info.OSCodename = protocol.Clip(osr.Codename, 64)
		distro := ""
		switch {
		case osr.Is("ubuntu"):
			distro = "ubuntu"
		case osr.Is("debian"):
			distro = "debian"
		case osr.Is("rhel", "centos", "fedora", "rocky", "almalinux"):
			distro = "rhel"
		}
		unameV, errV := readSmall(h.FS, "proc/sys/kernel/version")
		unameR, errR := readSmall(h.FS, "proc/sys/kernel/osrelease")
		sig, _ := readSmall(h.FS, "proc/version_signature") // Ubuntu only
		info.KernelPackageVersion = KernelPackageVersion(distro, unameV, sig, unameR)
		if distro == "debian" && errV != nil {
			return fmt.Errorf("read /proc/sys/kernel/version: %w", errV)
		}
		if distro == "rhel" && errR != nil {
			return fmt.Errorf("read /proc/sys/kernel/osrelease: %w", errR)
		}
	}
	return nil
}

// osRelease reads etc/os-release, falling back to usr/lib/os-release.
func osRelease(fsys fs.FS) (patch.OSRelease, error) {
	data, err := readSmall(fsys, "etc/os-release")
	if errors.Is(err, fs.ErrNotExist) {
		data, err = readSmall(fsys, "usr/lib/os-release")
	}
	if err != nil {
		return patch.OSRelease{}, fmt.Errorf("read os-release: %w", err)
	}
	return patch.ParseOSRelease([]byte(data))
}

// readSmall reads a small system file (at most 64 KiB).
func readSmall(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSpace(string(buf[:n])), nil
}
