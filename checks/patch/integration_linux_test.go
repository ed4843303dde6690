//go:build linux

package patch

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestLiveApt runs the patch family on this machine (the CI host is
// Debian) and checks the pending-update count against apt-get's own
// simulation, counted independently here.
func TestLiveApt(t *testing.T) {
	t.Parallel()
	osr, err := readOSRelease(os.DirFS("/"))
	if err != nil || !osr.Is("debian", "ubuntu") {
		checkstest.Unavailable(t, "the live patch test needs a Debian or Ubuntu host")
	}
	aptGet := checkstest.Need(t, "apt-get")

	// apt-get's own simulation, counted here: Inst lines and those from a
	// -security origin.
	count := func() (n, sec int) {
		cmd := exec.Command(aptGet, "-s", "dist-upgrade")
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("apt-get -s dist-upgrade: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "Inst ") {
				n++
				if strings.Contains(line, "-security") {
					sec++
				}
			}
		}
		return n, sec
	}

	// Scan, then count. If another apt run changed the host in between,
	// the two disagree by chance: try again (a real bug disagrees every time).
	h := livehost.New()
	var byID map[string]protocol.Result
	var want, wantSec int
	for attempt := 0; attempt < 3; attempt++ {
		res := checks.RunAll(context.Background(), h, Checks(), checks.RunOptions{Timeout: 2 * time.Minute})
		want, wantSec = count()
		byID = map[string]protocol.Result{}
		for _, r := range res {
			byID[r.ID] = r
		}
		if byID[IDPending].Facts["pending"] == want {
			break
		}
	}
	for _, r := range byID {
		t.Logf("%s: %s — %s", r.ID, r.Status, r.Evidence.EN)
	}

	p := byID[IDPending]
	if p.Status == protocol.Error || p.Status == protocol.NotApplicable {
		t.Fatalf("pending-updates: %s %q", p.Status, p.Evidence.EN)
	}
	if got := p.Facts["pending"]; got != want {
		t.Errorf("pending-updates counted %v, apt-get -s dist-upgrade shows %d Inst lines", got, want)
	}
	if got := byID[IDSecurityPending].Facts["security"]; got != wantSec {
		t.Errorf("security-pending counted %v, apt-get shows %d Inst lines from a -security origin", got, wantSec)
	}
	if s := byID[IDOSSupport].Status; s == protocol.Error || s == protocol.NotApplicable {
		t.Errorf("os-support on %s: %s %q", osr.Pretty(), s, byID[IDOSSupport].Evidence.EN)
	}
}
