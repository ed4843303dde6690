package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubkeys"
)

// signingKey is the hub's hub_signing_key, as `vigie-hub keys` prints it.
func signingKey(t *testing.T, dir string) string {
	t.Helper()
	k, _, err := loadHubKeys(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().SigningKey
}

// TestBundleEndToEnd: a connected hub exports its advisories; an isolated
// hub imports the bundle with the exporter's key, which it pins; importing
// again changes nothing; a bundle changed by one byte, one signed by
// another hub, and another key without --repin are refused; --repin moves
// the pin.
func TestBundleEndToEnd(t *testing.T) {
	t.Parallel()
	connected, isolated, third := newOfflineHub(t), newOfflineHub(t), newOfflineHub(t)
	if code, out, stderr := cli(t, "", "advisories", "import", "--db", connected.db, filepath.Join(advisoryData, "docs")); code != 0 {
		t.Fatalf("advisories import: %d %q %q", code, out, stderr)
	}
	want, _ := connected.st.AdvisoriesSince(context.Background(), time.Time{})
	if len(want) == 0 {
		t.Fatal("no advisory on the connected hub")
	}
	bundle := filepath.Join(t.TempDir(), "lot.vigie")
	code, out, stderr := cli(t, "", "bundle", "export", "--db", connected.db, "--out", bundle)
	if code != 0 || !strings.Contains(out, "Lot écrit") {
		t.Fatalf("bundle export: %d %q %q", code, out, stderr)
	}
	key := signingKey(t, connected.dir)

	// No key at the first import: refused, nothing pinned.
	if code, _, stderr := cli(t, "", "bundle", "import", bundle, "--db", isolated.db); code != exitUsage || !strings.Contains(stderr, "--key") {
		t.Errorf("first import without --key: %d %q", code, stderr)
	}
	// The short form vigie-hub keys prints to be read aloud names the key
	// but cannot check a signature: said so, nothing pinned.
	short, _ := hubkeys.Fingerprint(key)
	if code, _, stderr := cli(t, "", "bundle", "import", bundle, "--key", short, "--db", isolated.db); code != exitUsage || !strings.Contains(stderr, "empreinte courte") {
		t.Errorf("--key given the short form: %d %q", code, stderr)
	}
	if code, _, stderr := cli(t, "", "bundle", "import", bundle, "--key", "pas-une-cle", "--db", isolated.db); code != exitUsage || !strings.Contains(stderr, "hub_signing_key") {
		t.Errorf("--key unreadable: %d %q", code, stderr)
	}
	// Tampered by one byte: refused, nothing imported, nothing pinned.
	data, _ := os.ReadFile(bundle)
	for _, i := range []int{len(data) / 2, len(data) - 30} {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x01
		p := filepath.Join(t.TempDir(), "abime.vigie")
		os.WriteFile(p, bad, 0o644)
		if code, _, stderr := cli(t, "", "bundle", "import", p, "--key", key, "--db", isolated.db); code != exitFail || !strings.Contains(stderr, "lot refusé : modifié") {
			t.Errorf("bundle with byte %d changed: %d %q", i, code, stderr)
		}
	}
	if got, _ := isolated.st.AdvisoriesSince(context.Background(), time.Time{}); len(got) != 0 {
		t.Errorf("a refused bundle imported %d advisories", len(got))
	}
	if _, err := os.Stat(filepath.Join(isolated.dir, PinFile)); err == nil {
		t.Error("a refused bundle pinned its key")
	}
	// The wrong key (the isolated hub's own): refused.
	if code, _, stderr := cli(t, "", "bundle", "import", bundle, "--key", signingKey(t, third.dir), "--db", isolated.db); code != exitFail || !strings.Contains(stderr, "pas signé par la clé") {
		t.Errorf("wrong key: %d %q", code, stderr)
	}
	// The right one: imported and pinned.
	code, out, stderr = cli(t, "", "bundle", "import", bundle, "--key", key, "--db", isolated.db)
	if code != 0 || !strings.Contains(out, "épinglée") || !strings.Contains(out, "identique") {
		t.Fatalf("bundle import: %d %q %q", code, out, stderr)
	}
	got, _ := isolated.st.AdvisoriesSince(context.Background(), time.Time{})
	if len(got) != len(want) {
		t.Errorf("isolated hub holds %d advisories, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Reference != want[i].Reference || string(got[i].Raw) != string(want[i].Raw) {
			t.Errorf("advisory %d: %s differs from %s", i, got[i].Reference, want[i].Reference)
		}
	}
	// Again, with the pin only: nothing changes.
	code, out, _ = cli(t, "", "bundle", "import", "--db", isolated.db, bundle)
	if code != 0 || !strings.Contains(out, "0 ajouté(s), 0 remplacé(s)") {
		t.Errorf("second import: %d %q", code, out)
	}
	// A bundle from another hub, with its key, is refused against the pin.
	other := filepath.Join(t.TempDir(), "autre.vigie")
	if code, _, stderr := cli(t, "", "bundle", "export", "--db", third.db, "--out", other); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := cli(t, "", "bundle", "import", other, "--db", isolated.db); code != exitFail || !strings.Contains(stderr, "pas signé par la clé") {
		t.Errorf("other hub's bundle against the pin: %d %q", code, stderr)
	}
	if code, _, stderr := cli(t, "", "bundle", "import", other, "--key", signingKey(t, third.dir), "--db", isolated.db); code != exitFail || !strings.Contains(stderr, "--repin") {
		t.Errorf("another key without --repin: %d %q", code, stderr)
	}
	code, out, stderr = cli(t, "", "bundle", "import", other, "--key", signingKey(t, third.dir), "--repin", "--db", isolated.db)
	if code != 0 || !strings.Contains(out, "épinglée") {
		t.Errorf("--repin: %d %q %q", code, out, stderr)
	}
	if pin, _ := os.ReadFile(filepath.Join(isolated.dir, PinFile)); strings.TrimSpace(string(pin)) != signingKey(t, third.dir) {
		t.Errorf("pin after --repin = %q", pin)
	}
	log, _ := isolated.st.AuditLog(context.Background(), 20)
	actions := map[string]bool{}
	for _, e := range log {
		actions[e.Action] = true
	}
	for _, a := range []string{"bundle_import", "bundle_pin", "bundle_repin", "bundle_refused"} {
		if !actions[a] {
			t.Errorf("audit log lacks %s: %+v", a, log)
		}
	}
}
