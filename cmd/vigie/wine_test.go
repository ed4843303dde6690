package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/registry"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestWindowsScanUnderWine builds vigie.exe and runs `vigie.exe scan` under
// Wine, in a prefix prepared by the repository's tools/wine/setup.sh. Wine cannot show a real patch level or
// firewall, so the assertion is the one a smoke test can make honestly: the
// scan completes in time, exits 0, and has a result for every registered
// check — never a crash, a hang or a missing check.
func TestWindowsScanUnderWine(t *testing.T) {
	// Parallel: it only drives vigie.exe under its own Wine prefix; beside
	// the Samba end-to-end test it saves a minute and a half of CI.
	t.Parallel()
	if testing.Short() {
		t.Skip("short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("drives Wine from Linux")
	}
	checkstest.Need(t, "wine")
	// Part of the repository: a missing file is a broken checkout, not a missing peer.
	setup, err := filepath.Abs("../../tools/wine/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(setup); err != nil {
		t.Fatalf("the repository's Wine set-up: %v", err)
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "vigie.exe")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "WINEPREFIX="+filepath.Join(dir, "prefix"), "WINEDEBUG=-all")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s := exec.CommandContext(ctx, "sh", setup)
	s.Env = env
	if out, err := s.CombinedOutput(); err != nil {
		t.Fatalf("wine setup: %v\n%s", err, out)
	}
	defer func() {
		k := exec.Command("wineserver", "-k")
		k.Env = env
		k.Run()
	}()

	start := time.Now()
	scan := exec.CommandContext(ctx, "wine", exe, "scan", "--quiet", "--timeout", "15s",
		"--json", `Z:`+strings.ReplaceAll(filepath.Join(dir, "out.json"), "/", `\`),
		"--state-dir", `Z:`+strings.ReplaceAll(filepath.Join(dir, "state"), "/", `\`))
	scan.Env = env
	out, err := scan.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("vigie.exe scan hung under Wine (%s)\n%s", time.Since(start), out)
	}
	if err != nil {
		t.Fatalf("vigie.exe scan failed under Wine: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil {
		t.Fatalf("no scorecard written: %v\n%s", err, out)
	}
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Host.OS != "windows" {
		t.Errorf("scorecard host OS %q, want windows", sc.Host.OS)
	}
	var want, got []string
	for _, c := range registry.Checks(registry.Config{Sector: "other"}) {
		want = append(want, c.Meta().ID+"@"+c.Meta().Target)
	}
	statuses := map[protocol.Status]int{}
	for _, r := range sc.Results {
		got = append(got, r.ID+"@"+r.Target)
		statuses[r.Status]++
		if r.Status == protocol.Error || r.Status == protocol.NotApplicable {
			if r.Evidence.FR == "" || r.Evidence.EN == "" {
				t.Errorf("%s: %s without a reason", r.ID, r.Status)
			}
		}
	}
	// Per-target checks (the host's own TLS listeners) depend on the host; compare the host-wide ones.
	slices.Sort(want)
	slices.Sort(got)
	for _, id := range want {
		if !strings.HasSuffix(id, "@") {
			continue
		}
		if _, found := slices.BinarySearch(got, id); !found {
			t.Errorf("check %s has no result under Wine", strings.TrimSuffix(id, "@"))
		}
	}
	b, _ := json.Marshal(statuses)
	t.Logf("vigie.exe scan under Wine: %d results %s in %s", len(sc.Results), b, time.Since(start).Round(time.Millisecond))
}
