//go:build linux

package inventory

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestLiveDpkg reads this machine's inventory (the CI host is Debian) and
// compares it with dpkg-query's own count of installed packages.
func TestLiveDpkg(t *testing.T) {
	t.Parallel()
	osr, err := osRelease(os.DirFS("/"))
	if err != nil || !osr.Is("debian", "ubuntu") {
		checkstest.Unavailable(t, "the live inventory test needs a Debian or Ubuntu host")
	}
	dpkg := checkstest.Need(t, "dpkg-query")
	out, err := exec.Command(dpkg, "-W", "-f", `${db:Status-Abbrev}\n`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "ii") || strings.HasPrefix(l, "hi") {
			want++
		}
	}
	h := livehost.New()
	pkgs, err := Software(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < want {
		t.Errorf("%d packages, dpkg-query lists %d installed", len(pkgs), want)
	}
	for _, p := range pkgs {
		if p.Name == "libc6" && (p.SourcePackage != "glibc" || p.Arch == "") {
			t.Errorf("libc6: %+v, want source package glibc and an architecture", p)
		}
	}
	var info protocol.HostInfo
	if err := HostFacts(h, &info); err != nil {
		t.Fatal(err)
	}
	if info.OSCodename != osr.Codename {
		t.Errorf("codename %q, os-release says %q", info.OSCodename, osr.Codename)
	}
}
