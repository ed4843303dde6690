package backup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// liveHost is the real machine with a chosen environment for commands.
func liveHost(env []string) *checks.Host {
	h := livehost.New()
	h.Exec = livehost.ExecRunner{Env: env}
	return h
}

// TestResticRepositoryIntegration makes a real restic repository, backs up
// twice, and reads the latest snapshot time through the check: with the
// password from the environment (restic's own JSON), then without it (the
// repository's file dates).
func TestResticRepositoryIntegration(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("Linux integration test")
	}
	restic := checkstest.Need(t, "restic")
	dir := t.TempDir()
	repo, src := filepath.Join(dir, "repo"), filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "registre.txt"), []byte("état civil\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "RESTIC_PASSWORD=vigie-test-password", "RESTIC_CACHE_DIR="+filepath.Join(dir, "cache"))
	for _, args := range [][]string{{"init", "-r", repo}, {"backup", "-r", repo, src}, {"backup", "-r", repo, src}} {
		cmd := exec.Command(restic, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("restic %v: %v\n%s", args, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	h := liveHost(env)
	before := time.Now()
	r := checks.RunAll(ctx, h, []checks.Check{snapshotCheck{paths: []string{repo}}}, checks.RunOptions{})[0]
	if r.Status != protocol.Pass || !strings.Contains(r.Evidence.EN, "restic "+repo+": latest 0.0 days ago") ||
		!strings.Contains(r.Evidence.EN, "2 snapshots)") || strings.Contains(r.Evidence.EN, "file dates") {
		t.Errorf("with password: %s %q", r.Status, r.Evidence.EN)
	}
	if age, _ := r.Facts["latest_age_days"].(float64); age != 0 {
		t.Errorf("latest_age_days = %v", r.Facts["latest_age_days"])
	}

	var noPass []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "RESTIC_") {
			noPass = append(noPass, e)
		}
	}
	r = checks.RunAll(ctx, liveHost(noPass), []checks.Check{snapshotCheck{paths: []string{repo}}}, checks.RunOptions{})[0]
	if r.Status != protocol.Pass || !strings.Contains(r.Evidence.EN, "file dates") || !strings.Contains(r.Evidence.EN, "2 snapshots") {
		t.Errorf("without password: %s %q", r.Status, r.Evidence.EN)
	}
	if time.Since(before) > 30*time.Second {
		t.Errorf("snapshot check took %s", time.Since(before))
	}

	// The same repository through the other checks of the family, on the
	// real file system: fresh, a repository (size not compared), and on the
	// same file system as the data (t.TempDir() is on / or /tmp).
	all := Checks([]string{repo})
	rs := checks.RunAll(ctx, h, all, checks.RunOptions{})
	got := map[string]protocol.Result{}
	for _, r := range rs {
		got[r.ID] = r
	}
	if r := got["backup.recent"]; r.Status != protocol.Pass {
		t.Errorf("recent: %s %q", r.Status, r.Evidence.EN)
	}
	if r := got["backup.size"]; r.Status != protocol.NotApplicable || !strings.Contains(r.Evidence.EN, "restic repository") {
		t.Errorf("size: %s %q", r.Status, r.Evidence.EN)
	}
	if r := got["backup.separate-disk"]; r.Status == protocol.Error {
		t.Errorf("separate-disk: %s %q", r.Status, r.Evidence.EN)
	}
	if r := got["backup.tool"]; r.Status != protocol.Pass || !strings.Contains(r.Evidence.EN, "restic") {
		t.Errorf("tool: %s %q", r.Status, r.Evidence.EN)
	}
}
