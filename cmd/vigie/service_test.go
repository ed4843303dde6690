package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallStatusUninstall drives the service commands under a temporary
// root (no service manager needed), as a package build would.
func TestInstallStatusUninstall(t *testing.T) {
	root := t.TempDir()
	code, out, stderr := vigie(t, "install", "--root", root)
	if code != exitOK {
		t.Fatalf("install: exit %d %s", code, stderr)
	}
	unit := filepath.Join(root, "etc/systemd/system/vigie.service")
	if data, err := os.ReadFile(unit); err != nil || !strings.Contains(string(data), "ExecStart=") {
		t.Fatalf("unit not written: %v", err)
	}
	if !strings.Contains(out, "Agent non inscrit") {
		t.Errorf("install without a token should say how to enrol:\n%s", out)
	}
	code, out, stderr = vigie(t, "status", "--root", root, "--offline")
	if code != exitOK || !strings.Contains(out, "Service : arrêté") || !strings.Contains(out, "Inscrit : non") {
		t.Errorf("status: exit %d\n%s%s", code, out, stderr)
	}
	// A token without a hub is a usage error, before anything is written.
	if code, _, _ = vigie(t, "install", "--root", root, "--token", "ABC"); code != exitUsage {
		t.Errorf("install --token without --hub: exit %d", code)
	}
	code, _, stderr = vigie(t, "uninstall", "--root", root, "--purge")
	if code != exitOK {
		t.Fatalf("uninstall: exit %d %s", code, stderr)
	}
	for _, p := range []string{unit, filepath.Join(root, "etc/vigie/vigie.toml")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall --purge", p)
		}
	}
}

// TestScanNowSpoolsWhenNotEnrolled: a scan on demand before enrolment is
// signed and kept in the spool, not lost, and status counts it.
func TestScanNowSpoolsWhenNotEnrolled(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cfg := filepath.Join(dir, "vigie.toml")
	os.WriteFile(cfg, []byte("entity = \"Mairie de Test\"\nstate_dir = \""+filepath.ToSlash(state)+"\"\n"), 0o600)
	code, out, stderr := vigie(t, "scan", "--now", "--config", cfg)
	if code != exitOK {
		t.Fatalf("scan --now: exit %d %s", code, stderr)
	}
	if !strings.Contains(out, "Niveau de maturité") || !strings.Contains(stderr, "pas encore inscrit") {
		t.Errorf("scan --now output:\n%s\n%s", out, stderr)
	}
	spooled, _ := filepath.Glob(filepath.Join(state, "spool", "*"))
	if len(spooled) == 0 {
		t.Fatal("nothing spooled")
	}
	code, out, _ = vigie(t, "status", "--config", cfg, "--root", "", "--offline")
	if code != exitOK || !strings.Contains(out, "En attente d'envoi : 1 bilan(s)") || !strings.Contains(out, "Dernier bilan : ") {
		t.Errorf("status after scan --now:\n%s", out)
	}
	if code, _, _ = vigie(t, "scan", "--now", "--config", cfg, "--tls", "x:443"); code != exitUsage {
		t.Errorf("--now with --tls: exit %d, want usage error", code)
	}
	os.WriteFile(cfg, []byte("schedule = 3\n"), 0o600)
	if code, _, stderr = vigie(t, "scan", "--now", "--config", cfg); code == exitOK || !strings.Contains(stderr, "vigie.toml") {
		t.Errorf("bad config: exit %d %q", code, stderr)
	}
}

// TestUninstallMessage: "Service supprimé" only when a service was removed.
func TestUninstallMessage(t *testing.T) {
	if m := uninstallMessage(false, false, "c", "s"); strings.Contains(m, "Service supprimé") || !strings.Contains(m, "Aucun service Vigie n'était installé") {
		t.Errorf("nothing installed: %q", m)
	}
	if m := uninstallMessage(true, true, "c", "s"); !strings.HasPrefix(m, "Service supprimé.") || !strings.Contains(m, "clé et bilans en attente supprimés") {
		t.Errorf("removed and purged: %q", m)
	}
}
