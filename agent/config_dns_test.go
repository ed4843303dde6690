package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	dnscheck "github.com/vigie-cyber/vigie/checks/dns"
)

// rootData is the copy of Debian's dns-root-data files in testdata.
func rootData(name string) string {
	return filepath.Join("..", "testdata", "dns", "root-data", name)
}

// TestConfigDNS: [dns] reaches the DNS family through Targets; the files are
// read at load time; without them Debian's files are the default, and
// without those the family keeps its built-in IANA values.
func TestConfigDNS(t *testing.T) {
	dir := t.TempDir()
	anchors := filepath.Join(dir, "anchors")
	os.WriteFile(anchors, []byte("; my anchor\n. IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"), 0o644)
	hints := filepath.Join(dir, "hints")
	os.WriteFile(hints, []byte(". NS ns.root.lab.\nns.root.lab. A 192.0.2.1\nns.root.lab. AAAA 2001:db8::1\n"), 0o644)

	debianTrustAnchorFile, debianRootHintsFile = filepath.Join(dir, "none.key"), filepath.Join(dir, "none.hints")
	t.Cleanup(func() {
		debianTrustAnchorFile, debianRootHintsFile = dnscheck.DebianTrustAnchorFile, dnscheck.DebianRootHintsFile
	})

	src := "state_dir = \"/var/lib/vigie\"\n[dns]\nresolver = \"192.0.2.53\"\ntrust_anchor_file = \"" + anchors + "\"\nroot_hints_file = \"" + hints + "\"\n"
	c, err := ParseConfig("v.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tg := c.Targets()
	if tg.DNSResolver != "192.0.2.53:53" {
		t.Errorf("resolver %q, want 192.0.2.53:53", tg.DNSResolver)
	}
	if len(tg.DNSTrustAnchors) != 1 || tg.DNSTrustAnchors[0].(*dns.DS).KeyTag != 12345 {
		t.Errorf("anchors %v", tg.DNSTrustAnchors)
	}
	if strings.Join(tg.DNSRootHints, " ") != "192.0.2.1:53 [2001:db8::1]:53" {
		t.Errorf("root hints %v", tg.DNSRootHints)
	}

	// Nothing configured, no Debian files: the family's built-in values.
	c, err = ParseConfig("v.toml", []byte("state_dir = \"/var/lib/vigie\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tg := c.Targets(); tg.DNSResolver != "" || tg.DNSTrustAnchors != nil || tg.DNSRootHints != nil {
		t.Errorf("defaults without dns-root-data: %q %v %v, want all empty", tg.DNSResolver, tg.DNSTrustAnchors, tg.DNSRootHints)
	}

	// Debian's files present: they are the default.
	debianTrustAnchorFile, debianRootHintsFile = rootData("root.key"), rootData("root.hints")
	c, err = ParseConfig("v.toml", []byte("state_dir = \"/var/lib/vigie\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg = c.Targets()
	if len(tg.DNSTrustAnchors) != 2 || len(tg.DNSRootHints) != 26 || tg.DNSRootHints[0] != "198.41.0.4:53" {
		t.Errorf("defaults with dns-root-data: %d anchors, hints %v", len(tg.DNSTrustAnchors), tg.DNSRootHints)
	}

	// A broken default file is an error naming it, not a silent fallback.
	broken := filepath.Join(dir, "broken.key")
	os.WriteFile(broken, []byte(". IN A 192.0.2.1\n"), 0o644)
	debianTrustAnchorFile = broken
	_, err = ParseConfig("v.toml", []byte("state_dir = \"/var/lib/vigie\"\n"))
	if err == nil || !strings.Contains(err.Error(), broken+":1:") {
		t.Errorf("broken default anchors: %v", err)
	}
}

// TestConfigDNSErrors: each refusal names the configuration file and line,
// and for a bad anchor or hints file, that file and its line too.
func TestConfigDNSErrors(t *testing.T) {
	dir := t.TempDir()
	badKey := filepath.Join(dir, "bad.key")
	os.WriteFile(badKey, []byte("; ok\n. IN DS 20326 8 2 E06D44B8\n. IN NS a.root.\n"), 0o644)
	badHints := filepath.Join(dir, "bad.hints")
	os.WriteFile(badHints, []byte(". NS a.root.\n\na.root. A 999.1.1.1\n"), 0o644)
	tests := []struct{ dns, want string }{
		{`resolver = "resolver.lan"`, `v.toml:3: dns.resolver : "resolver.lan" doit être une adresse IP`},
		{`resolver = "192.0.2.53:0"`, `v.toml:3: dns.resolver`},
		{`trust_anchor_file = "root.key"`, `v.toml:3: dns.trust_anchor_file : "root.key" doit être un chemin absolu`},
		{`trust_anchor_file = "` + filepath.Join(dir, "missing") + `"`, `v.toml:3: dns.trust_anchor_file : ` + filepath.Join(dir, "missing") + ` illisible`},
		{`trust_anchor_file = "` + badKey + `"`, `v.toml:3: dns.trust_anchor_file : ` + badKey + `:3: enregistrement NS`},
		{`root_hints_file = "` + badHints + `"`, `v.toml:3: dns.root_hints_file : ` + badHints + `:3: syntaxe incorrecte`},
		{`resolvers = "192.0.2.53"`, `v.toml:3: dns.resolvers : clé inconnue`},
	}
	for _, tc := range tests {
		_, err := ParseConfig("v.toml", []byte("state_dir = \"/var/lib/vigie\"\n[dns]\n"+tc.dns+"\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to start with %q", tc.dns, err, tc.want)
		}
	}
}
