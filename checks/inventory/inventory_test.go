package inventory

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "inventory", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadRegistry reads a registry fixture: {"HKLM\\key": {"value": string or number}}.
func loadRegistry(t testing.TB, rel string) checkstest.Registry {
	t.Helper()
	var raw map[string]map[string]any
	if err := json.Unmarshal(fixture(t, rel), &raw); err != nil {
		t.Fatal(err)
	}
	r := checkstest.Registry{Values: map[string]map[string]any{}}
	for k, vals := range raw {
		r.Values[k] = map[string]any{}
		for n, v := range vals {
			if f, ok := v.(float64); ok {
				v = uint64(f)
			}
			r.Values[k][n] = v
		}
	}
	return r
}

// withFileVersion returns the PE binary pe with its fixed file version
// rewritten to a.b.c.d (the Wine binary in testdata is 5.1.2600.2180).
func withFileVersion(t testing.TB, pe []byte, a, b, c, d uint16) []byte {
	t.Helper()
	out := bytes.Clone(pe)
	sig := binary.LittleEndian.AppendUint32(nil, fixedFileInfoSignature)
	i := bytes.Index(out, sig)
	if i < 0 {
		t.Fatal("no VS_FIXEDFILEINFO in the test binary")
	}
	binary.LittleEndian.PutUint32(out[i+8:], uint32(a)<<16|uint32(b))
	binary.LittleEndian.PutUint32(out[i+12:], uint32(c)<<16|uint32(d))
	return out
}

func windowsHost(t testing.TB, dir string, fsys fstest.MapFS) *checks.Host {
	h := checkstest.Host()
	h.OS = "windows"
	h.FS = fsys
	h.Registry = loadRegistry(t, "windows/"+dir+"/registry.json")
	return h
}

func reg(name, version, publisher, arch string) protocol.Package {
	return protocol.Package{Name: name, Version: version, Publisher: publisher, Arch: arch, Source: protocol.SourceWindowsRegistry}
}

func TestWindows10Workstation(t *testing.T) {
	t.Parallel()
	word := withFileVersion(t, fixture(t, "pe/lz32.dll"), 16, 0, 5487, 1000)
	h := windowsHost(t, "win10-22h2", fstest.MapFS{
		"Program Files (x86)/Microsoft Office/Office16/WINWORD.EXE": {Data: word},
	})
	got, err := Software(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	office := reg("Microsoft Office Professionnel Plus 2016", "16.0.5487.1000", "Microsoft Corporation", "x86")
	office.ProductLine = "2016"
	want := []protocol.Package{
		reg("7-Zip 24.08 (x64)", "24.08", "Igor Pavlov", "x64"),
		reg("Adobe Acrobat (64-bit)", "25.001.20844", "Adobe", "x64"),
		// Per-user installs, from two loaded profiles: Chrome at two
		// versions (the first profile's from its update client, not the
		// stale DisplayVersion), Teams once.
		reg("Google Chrome", "138.0.7204.101", "Google LLC", ""),
		reg("Google Chrome", "143.0.7499.110", "Google LLC", ""),
		reg("Java 8 Update 431", "8.0.4310.10", "Oracle Corporation", "x86"),
		reg("Microsoft .NET Framework 3.5", "3.5", "Microsoft Corporation", ""),
		// The NDP keys' Release 528372: 4.8 (not 4.8.1, whose Version also starts with 4.8).
		reg("Microsoft .NET Framework 4.8", "4.8", "Microsoft Corporation", ""),
		reg("Microsoft Edge", "143.0.3650.96", "Microsoft Corporation", "x86"),
		// DisplayVersion says RTM (16.0.4266.1001): WINWORD.EXE says what runs.
		office,
		reg("Microsoft Teams classic", "1.7.00.13456", "Microsoft Corporation", ""),
		reg("Microsoft Update Health Tools", "5.72.0.0", "Microsoft Corporation", "x64"),
		reg("Mozilla Firefox ESR (x64 fr)", "128.5.0", "Mozilla", "x64"),
		reg("Zoom Workplace", "6.3.0 (52884)", "Zoom Video Communications, Inc.", ""),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	var info protocol.HostInfo
	if err := HostFacts(h, &info); err != nil {
		t.Fatal(err)
	}
	wantInfo := protocol.HostInfo{OSBuild: "10.0.19045.6809", OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client"}
	if diff := cmp.Diff(wantInfo, info); diff != "" {
		t.Errorf("host (-want +got):\n%s", diff)
	}
}

// Without a readable WINWORD.EXE the MSI Office entry keeps what the
// registry says (the only version known) and its product line.
func TestOfficeMSIWithoutBinary(t *testing.T) {
	t.Parallel()
	for name, fsys := range map[string]fstest.MapFS{
		"missing":   {},
		"not a PE":  {"Program Files (x86)/Microsoft Office/Office16/WINWORD.EXE": {Data: []byte("MZ but nothing else")}},
		"no rsrc":   {"Program Files (x86)/Microsoft Office/Office16/WINWORD.EXE": {Data: fixture(t, "pe/lz32.dll")[:1024]}},
		"elsewhere": {"Office16/WINWORD.EXE": {Data: withFileVersion(t, fixture(t, "pe/lz32.dll"), 16, 0, 1, 1)}},
	} {
		got, err := Software(context.Background(), windowsHost(t, "win10-22h2", fsys))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range got {
			if strings.HasPrefix(p.Name, "Microsoft Office") {
				found = true
				if p.Version != "16.0.4266.1001" || p.ProductLine != "2016" {
					t.Errorf("%s: %+v", name, p)
				}
			}
		}
		if !found {
			t.Errorf("%s: Office missing", name)
		}
	}
}

func TestServer2016Core(t *testing.T) {
	t.Parallel()
	h := windowsHost(t, "server2016-core", fstest.MapFS{})
	got, err := Software(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.Package{
		reg("Microsoft .NET Framework 4.6.2", "4.6.2", "Microsoft Corporation", ""), // Release 394802, no 3.5
		reg("Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.40.33816", "14.40.33816.0", "Microsoft Corporation", "x64"),
		reg("VMware Tools", "12.4.5.23787635", "VMware, Inc.", "x64"),
		reg("Veeam Agent for Microsoft Windows", "6.2.0.121", "Veeam Software Group GmbH", "x86"),
		reg("Zabbix Agent 2 (64-bit)", "7.0.6.2400", "Zabbix SIA", "x64"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var info protocol.HostInfo
	if err := HostFacts(h, &info); err != nil {
		t.Fatal(err)
	}
	// No DisplayVersion before 20H2: the release is ReleaseId.
	wantInfo := protocol.HostInfo{OSBuild: "10.0.14393.7606", OSRelease: "1607", OSEdition: "ServerStandard", OSInstallation: "Server Core"}
	if diff := cmp.Diff(wantInfo, info); diff != "" {
		t.Errorf("host (-want +got):\n%s", diff)
	}
}

func TestOfficeClickToRun(t *testing.T) {
	t.Parallel()
	got, err := Software(context.Background(), windowsHost(t, "win11-c2r", fstest.MapFS{}))
	if err != nil {
		t.Fatal(err)
	}
	m365 := reg("Microsoft 365 Apps pour les grandes entreprises - fr-fr", "16.0.18324.20194", "Microsoft Corporation", "x64")
	m365.ProductLine = "365"
	visio := reg("Microsoft Visio LTSC Professionnel 2021 - fr-fr", "16.0.18324.20194", "Microsoft Corporation", "x64")
	visio.ProductLine = "LTSC 2021"
	if diff := cmp.Diff([]protocol.Package{m365, visio}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestC2RProductLine(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"O365ProPlusRetail": "365", "O365BusinessRetail": "365", "ProPlus2019Volume": "2019",
		"ProPlus2021Volume": "LTSC 2021", "HomeBusiness2021Retail": "2021", "ProPlus2024Volume": "LTSC 2024",
		"ProPlusRetail": "2016", "Groove": "", "": "",
	} {
		if got := C2RProductLine(id); got != want {
			t.Errorf("C2RProductLine(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestWindowsNoUninstallKey(t *testing.T) {
	t.Parallel()
	h := checkstest.Host()
	h.OS = "windows"
	if _, err := Software(context.Background(), h); !errors.Is(err, checks.ErrNotFound) {
		t.Errorf("empty registry: %v, want ErrNotFound (no inventory is not an empty inventory)", err)
	}
	var info protocol.HostInfo
	if err := HostFacts(h, &info); err == nil {
		t.Error("host facts without CurrentVersion: no error")
	}
}

func TestFileVersion(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"lz32.dll": {Data: fixture(t, "pe/lz32.dll")}}
	v, err := FileVersion(fsys, "lz32.dll")
	if err != nil || v != "5.1.2600.2180" {
		t.Errorf("FileVersion = %q, %v; want 5.1.2600.2180 (as Wine builds lz32.dll)", v, err)
	}
	if _, err := FileVersion(fsys, "absent.exe"); err == nil {
		t.Error("missing file: no error")
	}
}

func debianHost(t testing.TB, dir string) (*checks.Host, *checkstest.Runner) {
	h := checkstest.Host()
	h.FS = checkstest.DirFS(filepath.Join("..", "..", "testdata", "inventory", dir, "root"))
	r := &checkstest.Runner{Cmds: map[string]checkstest.Cmd{}}
	h.Exec = r
	return h, r
}

// TestDebian12: captured dpkg-query output of a Debian 12 system, with a
// kernel installed (6.1.158-1) newer than the one running (6.1.153-1).
func TestDebian12(t *testing.T) {
	t.Parallel()
	h, r := debianHost(t, "debian12")
	r.Cmds["dpkg-query -W -f "+DpkgFormat] = checkstest.Cmd{Out: string(fixture(t, "debian12/dpkg-query.txt"))}
	got, err := Software(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	// 807 lines, one "rc" (removed, configuration left).
	if len(got) != 806 {
		t.Errorf("%d packages, want 806", len(got))
	}
	byName := map[string]protocol.Package{}
	for _, p := range got {
		byName[p.Name] = p
	}
	for _, want := range []protocol.Package{
		{Name: "libssl3", Version: "3.0.19-1~deb12u2", Arch: "amd64", Source: "dpkg", SourcePackage: "openssl", SourceVersion: "3.0.19-1~deb12u2"},
		// A binNMU: the binary's version is not the source's.
		{Name: "bash", Version: "5.2.15-2+b8", Arch: "amd64", Source: "dpkg", SourcePackage: "bash", SourceVersion: "5.2.15-2"},
		{Name: "libc6", Version: "2.36-9+deb12u14", Arch: "amd64", Source: "dpkg", SourcePackage: "glibc", SourceVersion: "2.36-9+deb12u14"},
		{Name: "linux-image-6.1.0-41-amd64", Version: "6.1.158-1", Arch: "amd64", Source: "dpkg", SourcePackage: "linux-signed-amd64", SourceVersion: "6.1.158+1"},
	} {
		if diff := cmp.Diff(want, byName[want.Name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", want.Name, diff)
		}
	}
	if _, ok := byName["linux-image-6.1.0-37-amd64"]; ok {
		t.Error("removed kernel (rc) listed")
	}
	var info protocol.HostInfo
	if err := HostFacts(h, &info); err != nil {
		t.Fatal(err)
	}
	if info.OSCodename != "bookworm" || info.KernelPackageVersion != "6.1.153-1" {
		t.Errorf("codename %q, running kernel %q; want bookworm, 6.1.153-1 (not the installed 6.1.158-1)", info.OSCodename, info.KernelPackageVersion)
	}
}

func TestRocky9(t *testing.T) {
	t.Parallel()
	h, r := debianHost(t, "rocky9")
	r.Cmds["rpm -qa --qf "+RpmFormat] = checkstest.Cmd{Out: string(fixture(t, "rocky9/rpm-qa.txt"))}
	got, err := Software(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 26 { // 27 lines less gpg-pubkey
		t.Errorf("%d packages, want 26", len(got))
	}
	want := map[string]protocol.Package{
		"openssl-libs": {Name: "openssl-libs", Version: "1:3.2.2-6.el9_5.1", Arch: "x86_64", Source: "rpm", SourcePackage: "openssl", SourceVersion: "1:3.2.2-6.el9_5.1"},
		"tzdata":       {Name: "tzdata", Version: "2024b-2.el9", Arch: "noarch", Source: "rpm", SourcePackage: "tzdata", SourceVersion: "2024b-2.el9"},
		"bind-license": {Name: "bind-license", Version: "32:9.16.23-24.el9_5.3", Arch: "noarch", Source: "rpm", SourcePackage: "bind", SourceVersion: "32:9.16.23-24.el9_5.3"},
	}
	kernels := 0
	for _, p := range got {
		if w, ok := want[p.Name]; ok {
			if diff := cmp.Diff(w, p); diff != "" {
				t.Errorf("%s (-want +got):\n%s", p.Name, diff)
			}
			delete(want, p.Name)
		}
		if p.Name == "kernel-core" {
			kernels++
		}
		if p.Name == "gpg-pubkey" {
			t.Error("gpg-pubkey listed")
		}
	}
	if len(want) > 0 || kernels != 2 {
		t.Errorf("missing %v; %d kernel-core, want 2", want, kernels)
	}
	var info protocol.HostInfo
	if err := HostFacts(h, &info); err != nil {
		t.Fatal(err)
	}
	if info.OSCodename != "" || info.KernelPackageVersion != "5.14.0-503.14.1.el9_5" {
		t.Errorf("codename %q, running kernel %q", info.OSCodename, info.KernelPackageVersion)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"dpkg old format":    "bash\t5.2.15-2+b8\tii \n",
		"dpkg no version":    "bash\t\tamd64\tbash\t\tii \n",
		"dpkg line too long": "a\t" + strings.Repeat("1", maxLine) + "\tamd64\ta\t1\tii \n",
	} {
		if _, err := ParseDpkgQuery([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, in := range map[string]string{
		"rpm old format": "glibc\t0:2.34-125.el9_5.8\tx86_64\n",
		"rpm no epoch":   "glibc\t2.34\tx86_64\tglibc-2.34-1.src.rpm\n",
	} {
		if _, err := ParseRpmQuery([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	h, r := debianHost(t, "debian12")
	r.Cmds["dpkg-query -W -f "+DpkgFormat] = checkstest.Cmd{Code: 2}
	if _, err := Software(context.Background(), h); err == nil {
		t.Error("dpkg-query failing: no error")
	}
	h.FS = fstest.MapFS{"etc/os-release": {Data: []byte("ID=arch\n")}}
	if _, err := Software(context.Background(), h); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Arch Linux: %v", err)
	}
}

func TestParseSourceRPM(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"openssl-3.2.2-6.el9_5.1.src.rpm":          {"openssl", "3.2.2-6.el9_5.1"},
		"python3.11-pip-22.3.1-5.el9.src.rpm":      {"python3.11-pip", "22.3.1-5.el9"},
		"systemd-252-46.el9_5.2.rocky.0.1.src.rpm": {"systemd", "252-46.el9_5.2.rocky.0.1"},
		"kernel-5.14.0-503.22.1.el9_5.nosrc.rpm":   {"kernel", "5.14.0-503.22.1.el9_5"},
		"(none)":                                   {},
		"x-1.src.rpm":                              {},
		"-1-2.src.rpm":                             {},
	} {
		n, v, ok := ParseSourceRPM(in)
		if ok != (want[0] != "") || n != want[0] || v != want[1] {
			t.Errorf("ParseSourceRPM(%q) = %q, %q, %v", in, n, v, ok)
		}
	}
}

func TestKernelPackageVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ distro, v, sig, r, want string }{
		{"debian", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)", "", "6.1.0-41-amd64", "6.1.158-1"},
		{"debian", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.12-1~bpo12+1 (2025-02-23)", "", "", "6.12.12-1~bpo12+1"},
		{"debian", "#1 SMP PREEMPT_DYNAMIC @0", "", "6.18.44-custom", ""}, // a kernel not from Debian
		{"ubuntu", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023", "Ubuntu 5.15.0-91.101-generic 5.15.131", "5.15.0-91-generic", "5.15.0-91.101"},
		{"ubuntu", "", "", "5.15.0-91-generic", ""},
		{"rhel", "", "", "5.14.0-427.13.1.el9_4.x86_64", "5.14.0-427.13.1.el9_4"},
		{"rhel", "", "", "6.6.0-custom.x86_64", ""},
		{"", "Debian 6.1.158-1", "", "", ""},
	} {
		if got := KernelPackageVersion(tt.distro, tt.v, tt.sig, tt.r); got != tt.want {
			t.Errorf("KernelPackageVersion(%q, %q, %q, %q) = %q, want %q", tt.distro, tt.v, tt.sig, tt.r, got, tt.want)
		}
	}
}

func TestOnDrive(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`C:\Program Files (x86)\Microsoft Office\Office16\`: "Program Files (x86)/Microsoft Office/Office16",
		`c:\Office`:        "Office",
		`D:\Office16\`:     "",
		`C:\..\Windows`:    "",
		`Office16\`:        "",
		`\\server\share\x`: "",
	} {
		got, ok := onDrive(in, "C:")
		if ok != (want != "") || got != want {
			t.Errorf("onDrive(%q) = %q, %v", in, got, ok)
		}
	}
}
