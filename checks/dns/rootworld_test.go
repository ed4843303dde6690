package dns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestConfiguredRootFiles runs the family as the agent configures it from
// [dns] trust_anchor_file and root_hints_file: files in zone-file syntax
// describing the test universe's own signed root (on loopback addresses,
// named as the resolver), read by the same parsers as the agent. The DNSSEC
// verdict of every zone must be delv -a's with the same anchor, and the
// delegation and mail checks must find each planted fault.
func TestConfiguredRootFiles(t *testing.T) {
	t.Parallel()
	delv := checkstest.Need(t, "delv")
	e := startBind(t)
	dir := t.TempDir()
	var anchors strings.Builder
	anchors.WriteString("; the test universe's root key, as DS\n")
	for _, a := range e.u.anchors {
		fmt.Fprintln(&anchors, a.String())
	}
	hints := ";\n.                 3600000  NS  ns.root.\nns.root.          3600000  A   " + ipRoot + "\n"
	for name, text := range map[string]string{"root.key": anchors.String(), "root.hints": hints} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keyData, _ := os.ReadFile(filepath.Join(dir, "root.key"))
	ta, err := ParseTrustAnchorFile(filepath.Join(dir, "root.key"), keyData)
	if err != nil {
		t.Fatal(err)
	}
	hintData, _ := os.ReadFile(filepath.Join(dir, "root.hints"))
	addrs, err := ParseRootHintsFile(filepath.Join(dir, "root.hints"), hintData)
	if err != nil {
		t.Fatal(err)
	}
	configured := func(zone string) Config {
		cfg := testConfig(e.u, zone)
		// The files' servers, on the universe's port (port 53 outside tests).
		cfg.Resolver, cfg.TrustAnchors, cfg.RootHints = e.named, ta, HintServers(addrs, e.u.port)
		return cfg
	}

	for _, zone := range []string{"valid.test", "expired.test", "dsbad.test", "unsigned.test", "nods.test", "sha1.test", "bind.test", "mairie.city.prov.test"} {
		t.Run("dnssec/"+zone, func(t *testing.T) {
			t.Parallel()
			theirs, out := delvVerdict(t, delv, e, zone)
			r := runDomain(t, configured(zone), testHost())["dns.dnssec-chain"]
			ours := map[protocol.Status]string{protocol.Pass: secSecure, protocol.Fail: secBogus, protocol.NotApplicable: secInsecure, protocol.Warn: secInsecure}[r.Status]
			if ours != theirs {
				t.Errorf("Vigie says %s (%s: %s), delv -a says %s:\n%s", ours, r.Status, r.Evidence.EN, theirs, out)
			}
		})
	}

	// One planted fault per zone; valid.test has none of them.
	faults := []struct {
		zone, id string
		says     string
	}{
		{"single.test", "dns.ns-count", "single name server"},
		{"lame.test", "dns.lame-delegation", "REFUSED"},
		{"samenet.test", "dns.ns-diversity", "127.2.0.0/24"},
		{"nomx.test", "dns.mx", ""},
		{"unsigned.test", "dns.spf", "+all"},
		{"unsigned.test", "dns.dmarc", "p=none"},
		{"spfloop.test", "dns.spf", "more than 10"},
		{"spfbad.test", "dns.spf", "invalid"},
	}
	valid := runDomain(t, configured("valid.test"), testHost())
	for _, f := range faults {
		t.Run("fault/"+f.zone+"/"+f.id, func(t *testing.T) {
			t.Parallel()
			r := runDomain(t, configured(f.zone), testHost())[f.id]
			if r.Status != protocol.Fail || !strings.Contains(r.Evidence.EN, f.says) {
				t.Errorf("%s on %s = %s %q, want fail saying %q", f.id, f.zone, r.Status, r.Evidence.EN, f.says)
			}
			if v := valid[f.id]; v.Status != protocol.Pass {
				t.Errorf("%s on valid.test = %s %q, want pass", f.id, v.Status, v.Evidence.EN)
			}
		})
	}
}
