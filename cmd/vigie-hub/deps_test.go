package main

import (
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/internal/archtest"
)

// TestHubLinksNoCheckCode: the hub shows guidance but observes no host, so
// its binary must not link miekg/dns (DNS checks), gopsutil (host facts)
// or the families that observe hosts; it reads advice through
// checks/catalogue, which is data only. The one family it may link is
// organisation: the questionnaire, whose signed answers the hub judges for
// an entity, and which reads nothing from a host. Checked on Linux and
// Windows (build tags change the graph).
func TestHubLinksNoCheckCode(t *testing.T) {
	t.Parallel()
	forbidden := []string{"github.com/shirou/gopsutil", "github.com/miekg/dns"}
	for _, goos := range []string{"linux", "windows"} {
		pkgs := archtest.List(t, ".", goos, "-deps", ".")
		if len(pkgs) < 50 {
			t.Fatalf("%s: go list -deps found %d packages; expected the hub's whole graph", goos, len(pkgs))
		}
		for _, p := range pkgs {
			for _, bad := range forbidden {
				if p.ImportPath == bad || strings.HasPrefix(p.ImportPath, bad+"/") {
					t.Errorf("%s: the hub binary depends on %s", goos, p.ImportPath)
				}
			}
			rel, ok := strings.CutPrefix(p.ImportPath, archtest.Module+"/checks/")
			if ok && rel != "catalogue" && rel != "organisation" && !strings.HasSuffix(rel, "/guidance") {
				t.Errorf("%s: the hub binary links check code %s", goos, p.ImportPath)
			}
		}
	}
}
