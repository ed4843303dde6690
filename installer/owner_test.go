package installer

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecureFolder: a folder owned by a standard user (SID fixture of a
// local account) is moved aside whole, its key and configuration never
// reused; SYSTEM, Administrators, TrustedInstaller, root and the elevated
// administrator running the installation are kept.
func TestSecureFolder(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for sid, keep := range map[string]bool{
		"S-1-5-18":     true,
		"S-1-5-32-544": true,
		"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464": true,
		"uid:0": true,
		"S-1-5-21-2841301529-1804316702-2360371519-1001": false, // a local user
		"S-1-5-21-2841301529-1804316702-2360371519-500":  true,  // the elevated administrator installing
		"S-1-5-32-545": false, // Users
		"S-1-1-0":      false, // Everyone
		"uid:1000":     false,
	} {
		t.Run(sid, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "Vigie")
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "agent.key"), []byte("planted"), 0o600)
			os.WriteFile(filepath.Join(dir, "vigie.toml"), []byte("[hub]\nurl = \"https://attacker.example\"\n"), 0o644)
			aside, err := secureFolder(dir, func(string) (string, error) { return sid, nil }, "S-1-5-21-2841301529-1804316702-2360371519-500", now, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(filepath.Join(dir, "agent.key"))
			if keep {
				if aside != "" || statErr != nil {
					t.Errorf("trusted owner: moved to %q, key %v", aside, statErr)
				}
				return
			}
			if !strings.HasSuffix(aside, "Vigie.suspect-20261123T100000Z") {
				t.Errorf("moved to %q", aside)
			}
			if !os.IsNotExist(statErr) {
				t.Error("planted key still where the agent would read it")
			}
			if b, err := os.ReadFile(filepath.Join(aside, "vigie.toml")); err != nil || !strings.Contains(string(b), "attacker") {
				t.Errorf("evidence not kept aside: %v", err)
			}
		})
	}
	// Absent folder: nothing to do; unreadable owner: refuse.
	if a, err := secureFolder(filepath.Join(t.TempDir(), "none"), pathOwner, "", now, slog.New(slog.DiscardHandler)); a != "" || err != nil {
		t.Errorf("absent: %q %v", a, err)
	}
	d := t.TempDir()
	if _, err := secureFolder(d, func(string) (string, error) { return "", os.ErrPermission }, "", now, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("unreadable owner accepted")
	}
	if o, err := pathOwner(d); err != nil || !strings.HasPrefix(o, "uid:") {
		t.Errorf("pathOwner: %q %v", o, err)
	}
}

// TestRemoveTree: purge removes nested files and folders and the folder
// itself; an absent path is not an error.
func TestRemoveTree(t *testing.T) {
	t.Parallel()
	d := filepath.Join(t.TempDir(), "Vigie")
	os.MkdirAll(filepath.Join(d, "spool", "quarantine"), 0o700)
	os.WriteFile(filepath.Join(d, "agent.key"), []byte("k"), 0o600)
	os.WriteFile(filepath.Join(d, "spool", "quarantine", "x.json"), []byte("x"), 0o600)
	if err := removeTree(d); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", d, err)
	}
	if err := removeTree(d); err != nil {
		t.Errorf("absent: %v", err)
	}
	f := filepath.Join(t.TempDir(), "vigie.toml")
	os.WriteFile(f, []byte("x"), 0o600)
	if err := removeTree(f); err != nil || fileExists(f) {
		t.Errorf("single file: %v", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
