package inventory

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

// FuzzParseDpkgQuery: every package kept comes from one line of the input,
// field for field, and is installed.
func FuzzParseDpkgQuery(f *testing.F) {
	f.Add(fixture(f, "debian12/dpkg-query.txt")[:4000])
	f.Add([]byte("a\t1\tall\t\t\trc \nb\t2\tamd64\tsrc\t2\thi \n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		pkgs, err := ParseDpkgQuery(in)
		if err != nil {
			return
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(string(in), "\n") {
			lines[strings.TrimSuffix(l, "\r")] = true
			lines[l] = true
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Source != protocol.SourceDpkg || p.SourcePackage == "" || p.SourceVersion == "" {
				t.Fatalf("incomplete package %+v", p)
			}
			found := false
			for l := range lines {
				f := strings.Split(l, "\t")
				if len(f) == 6 && f[0] == p.Name && f[1] == p.Version && f[2] == p.Arch && len(f[5]) >= 2 && f[5][1] != 'n' && f[5][1] != 'c' {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("package %+v is on no installed line of the input", p)
			}
		}
	})
}

// FuzzParseRpmQuery: every package's name, version and source come from
// the input, and gpg-pubkey is never listed.
func FuzzParseRpmQuery(f *testing.F) {
	f.Add(fixture(f, "rocky9/rpm-qa.txt"))
	f.Fuzz(func(t *testing.T, in []byte) {
		pkgs, err := ParseRpmQuery(in)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Name == "gpg-pubkey" || p.Source != protocol.SourceRpm {
				t.Fatalf("package %+v", p)
			}
			if !bytes.Contains(in, []byte(p.Name+"\t")) {
				t.Fatalf("name %q not in the input", p.Name)
			}
			_, evr, _ := strings.Cut(p.Version, ":")
			if !strings.Contains(p.Version, ":") {
				evr = p.Version
			}
			if !bytes.Contains(in, []byte(evr)) {
				t.Fatalf("version %q not in the input", p.Version)
			}
			if (p.SourcePackage == "") != (p.SourceVersion == "") {
				t.Fatalf("half a source package: %+v", p)
			}
		}
	})
}

// FuzzParseSourceRPM: a name and version found put back together give the
// input.
func FuzzParseSourceRPM(f *testing.F) {
	f.Add("openssl-3.2.2-6.el9_5.1.src.rpm")
	f.Add("kernel-5.14.0-503.22.1.el9_5.nosrc.rpm")
	f.Fuzz(func(t *testing.T, s string) {
		n, v, ok := ParseSourceRPM(s)
		if !ok {
			return
		}
		if n == "" || strings.Count(v, "-") != 1 || (n+"-"+v+".src.rpm" != s && n+"-"+v+".nosrc.rpm" != s) {
			t.Fatalf("ParseSourceRPM(%q) = %q, %q", s, n, v)
		}
	})
}

// FuzzKernelPackageVersion: what is returned is a version written in the
// input, never made up.
func FuzzKernelPackageVersion(f *testing.F) {
	f.Add("debian", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)", "", "")
	f.Add("ubuntu", "", "Ubuntu 5.15.0-91.101-generic 5.15.131", "")
	f.Add("rhel", "", "", "5.14.0-427.13.1.el9_4.x86_64")
	f.Fuzz(func(t *testing.T, distro, v, sig, r string) {
		got := KernelPackageVersion(distro, v, sig, r)
		if got == "" {
			return
		}
		if !looksLikeVersion(got) || !strings.Contains(v+"\n"+sig+"\n"+r, got) {
			t.Fatalf("KernelPackageVersion(%q, %q, %q, %q) = %q", distro, v, sig, r, got)
		}
	})
}

// FuzzVersionFromResources: a version found is the one a VS_FIXEDFILEINFO
// in the input holds, right after its signature.
func FuzzVersionFromResources(f *testing.F) {
	f.Add(minimalResources(0x1000, 16, 0, 5487, 1000), uint32(0x1000))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, rsrc []byte, rva uint32) {
		v, err := VersionFromResources(rsrc, rva)
		if err != nil {
			return
		}
		var a, b, c, d uint16
		if _, err := fmt.Sscanf(v, "%d.%d.%d.%d", &a, &b, &c, &d); err != nil {
			t.Fatalf("version %q: %v", v, err)
		}
		want := binary.LittleEndian.AppendUint32(nil, fixedFileInfoSignature)
		want = binary.LittleEndian.AppendUint32(want, 0) // structure version: any
		i := bytes.Index(rsrc, want[:4])
		found := false
		for i >= 0 && !found {
			if len(rsrc) >= i+16 && binary.LittleEndian.Uint32(rsrc[i+8:]) == uint32(a)<<16|uint32(b) &&
				binary.LittleEndian.Uint32(rsrc[i+12:]) == uint32(c)<<16|uint32(d) {
				found = true
			}
			j := bytes.Index(rsrc[i+1:], want[:4])
			if j < 0 {
				break
			}
			i += 1 + j
		}
		if !found {
			t.Fatalf("version %s is in no VS_FIXEDFILEINFO of the input", v)
		}
	})
}

// TestVersionFromResourcesRoundTrip: a resource section built with a
// version gives that version back.
func TestVersionFromResourcesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range [][4]uint16{{16, 0, 5487, 1000}, {0, 0, 0, 0}, {65535, 65535, 65535, 65535}} {
		got, err := VersionFromResources(minimalResources(0x2000, v[0], v[1], v[2], v[3]), 0x2000)
		if want := fmt.Sprintf("%d.%d.%d.%d", v[0], v[1], v[2], v[3]); err != nil || got != want {
			t.Errorf("got %q, %v; want %s", got, err, want)
		}
	}
}

// minimalResources builds a resource section at rva holding one RT_VERSION
// resource with the given file version.
func minimalResources(rva uint32, a, b, c, d uint16) []byte {
	le := binary.LittleEndian
	var s []byte
	dir := func(id, off uint32) {
		s = append(s, make([]byte, 12)...)
		s = le.AppendUint16(s, 0)
		s = le.AppendUint16(s, 1)
		s = le.AppendUint32(s, id)
		s = le.AppendUint32(s, off)
	}
	dir(rtVersion, 0x80000000|24) // type directory at 0 → name directory at 24
	dir(1, 0x80000000|48)         // name directory → language directory at 48
	dir(0x40c, 72)                // language directory → data entry at 72
	vi := le.AppendUint16(nil, 0) // wLength (unused)
	vi = le.AppendUint16(vi, 52)  // wValueLength
	vi = le.AppendUint16(vi, 0)   // wType
	vi = append(vi, vsVersionInfoKey...)
	vi = append(vi, 0, 0) // padding to 40
	vi = le.AppendUint32(vi, fixedFileInfoSignature)
	vi = le.AppendUint32(vi, 0x00010000)
	vi = le.AppendUint32(vi, uint32(a)<<16|uint32(b))
	vi = le.AppendUint32(vi, uint32(c)<<16|uint32(d))
	vi = append(vi, make([]byte, 36)...)
	s = le.AppendUint32(s, rva+88) // data entry: RVA, size, code page, reserved
	s = le.AppendUint32(s, uint32(len(vi)))
	s = append(s, make([]byte, 8)...)
	return append(s, vi...)
}

// FuzzWindowsSoftware: whatever the Uninstall values say, an entry listed
// has a DisplayName, is no system component and no update, and keeps its
// name.
func FuzzWindowsSoftware(f *testing.F) {
	f.Add("Microsoft Edge", "131.0.2903.86", "Microsoft Corporation", "", "", uint64(0), "143.0.3650.96", "Office16.PROPLUS")
	f.Add(" ", "", "", "Office16.PROPLUS", "Security Update", uint64(1), "", "O365ProPlusRetail - fr-fr")
	f.Fuzz(func(t *testing.T, name, version, publisher, parent, release string, system uint64, pv, key string) {
		if key == "" || strings.Contains(key, `\`) {
			return
		}
		k := keyUninstall + `\` + key
		vals := map[string]any{"DisplayName": name, "DisplayVersion": version, "Publisher": publisher,
			"ParentKeyName": parent, "ReleaseType": release, "SystemComponent": system}
		r := checkstest.Registry{Values: map[string]map[string]any{
			k: vals,
			`HKLM\SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\{56EB18F8-B008-4CBD-B6D2-8C97FE7E9062}`: {"pv": pv},
			keyC2RConfig: {"VersionToReport": pv},
		}}
		pkgs, err := WindowsSoftware(r, fstest.MapFS{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pkgs) > 1 {
			t.Fatalf("%d packages from one entry", len(pkgs))
		}
		if len(pkgs) == 0 {
			if strings.TrimSpace(name) != "" && system != 1 && parent == "" && !updateTypes[strings.ToLower(strings.TrimSpace(release))] {
				t.Fatalf("entry %v dropped", vals)
			}
			return
		}
		p := pkgs[0]
		if p.Name != strings.TrimSpace(name) || p.Name == "" || system == 1 || parent != "" {
			t.Fatalf("entry %v listed as %+v", vals, p)
		}
		if p.Version != strings.TrimSpace(version) && (p.Version != pv || !isDottedVersion(pv)) {
			t.Fatalf("version %q is neither DisplayVersion %q nor a dotted version from its own key %q", p.Version, version, pv)
		}
	})
}
