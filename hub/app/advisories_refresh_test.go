package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

// TestRefreshMatchesHostsStoredElsewhere: a host whose scorecard another
// process stored while the hub runs (vigie-hub import of a USB stick: no
// HostChanged in this process) is matched at the next Refresh, not at the
// hub's next start.
func TestRefreshMatchesHostsStoredElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	m, err := a.NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Import(ctx, "cli", nil, filepath.Join(advisoryData, "docs")); err != nil {
		t.Fatal(err)
	}
	pc := workstation(51, "10.0.19045.6575", "140.5.0")
	storetest.Enrolled(t, st, "Centre hospitalier de Paimpol", pc.ID)
	report(t, st, pc, t0.Add(time.Hour)) // written by the other process
	if n := m.Pending(); n != 0 {
		t.Fatalf("%d hosts queued before Refresh", n)
	}
	if _, err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := m.Pending(); n != 1 {
		t.Fatalf("Refresh queued %d hosts, want the imported one", n)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.RunMatcher(rctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if xs := m.Exposures(app.ExposureFilter{}); len(xs) > 0 {
			if xs[0].AgentID != pc.ID {
				t.Fatalf("exposure of %q, want %q", xs[0].AgentID, pc.ID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the imported host was never matched")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
