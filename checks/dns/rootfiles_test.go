package dns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestRootFilesDebian reads copies of Debian 12's dns-root-data files
// (testdata/dns/root-data/, from dns-root-data 2024071801~deb12u1): the
// anchors are the IANA KSKs Vigie has built in, the hints the 13 servers.
func TestRootFilesDebian(t *testing.T) {
	for _, f := range []string{"root.key", "root.ds"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dns", "root-data", f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseTrustAnchorFile(f, data)
		if err != nil {
			t.Fatal(err)
		}
		builtin := mustAnchors(RootAnchors)
		var tags []uint16
		for _, rr := range got {
			switch v := rr.(type) {
			case *dns.DNSKEY:
				if !anchored(v, builtin) {
					t.Errorf("%s: key %d does not match the built-in IANA anchors", f, v.KeyTag())
				}
				tags = append(tags, v.KeyTag())
			case *dns.DS:
				tags = append(tags, v.KeyTag)
			}
		}
		if len(tags) != 2 || tags[0] != 20326 || tags[1] != 38696 {
			t.Errorf("%s: key tags %v, want [20326 38696]", f, tags)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dns", "root-data", "root.hints"))
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := ParseRootHintsFile("root.hints", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 26 || !addrs[0].Is4() || addrs[25].Is4() {
		t.Errorf("%d addresses, IPv4 first: %v", len(addrs), addrs)
	}
	if got := HintServers(addrs[:13], "53"); strings.Join(got, " ") != strings.Join(RootHints, " ") {
		t.Errorf("IPv4 root servers %v, want the built-in %v", got, RootHints)
	}
}

// TestRootFilesErrors: every refusal names the file and the line.
func TestRootFilesErrors(t *testing.T) {
	tests := []struct {
		anchors bool
		data    string
		want    string
	}{
		{true, ". IN DS 20326 8 2 E06D44B8\n. IN A 192.0.2.1\n", "f:2: enregistrement A"},
		{true, "; comment\n\n. IN DS 20326 8 zz E06D\n", "f:3: syntaxe incorrecte"},
		{true, ". IN DS 20326 8 2 E06D44B8\nfr. IN DS 1 8 2 AA\n", "f:2: ancre pour fr."},
		{true, "; nothing\n", "f : aucune ancre"},
		{true, "$INCLUDE /etc/passwd\n", "f:1: syntaxe incorrecte"},
		{false, ". NS a.root.\na.root. A 192.0.2.1\n. IN MX 10 mail.\n", "f:3: enregistrement MX"},
		{false, "fr. NS a.root.\n", "f:1: NS pour fr."},
		{false, ". NS a.root.\nb.root. A 192.0.2.1\n", "f : aucune adresse"},
		{false, ". NS a.root.\n(\n", "f:"},
	}
	for _, tc := range tests {
		var err error
		if tc.anchors {
			_, err = ParseTrustAnchorFile("f", []byte(tc.data))
		} else {
			_, err = ParseRootHintsFile("f", []byte(tc.data))
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to start with %q", tc.data, err, tc.want)
		}
	}
	if _, err := ParseTrustAnchorFile("f", make([]byte, MaxRootFileSize+1)); err == nil || !strings.Contains(err.Error(), "trop gros") {
		t.Errorf("oversized file: %v", err)
	}
}

// FuzzParseRootFiles: whatever the input, the anchors returned are DS or
// DNSKEY records of the root, and the hints valid addresses; an error names
// the file.
func FuzzParseRootFiles(f *testing.F) {
	for _, n := range []string{"root.key", "root.ds", "root.hints"} {
		if data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dns", "root-data", n)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(". IN DS 20326 8 2 E06D44B8\n. ( IN\n DNSKEY 257 3 8 AwEAAaz/ )\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rrs, err := ParseTrustAnchorFile("f", data)
		if err != nil && !strings.HasPrefix(err.Error(), "f") {
			t.Fatalf("error without the file name: %v", err)
		}
		for _, rr := range rrs {
			switch rr.(type) {
			case *dns.DS, *dns.DNSKEY:
			default:
				t.Fatalf("anchor of type %T", rr)
			}
			if rr.Header().Name != "." {
				t.Fatalf("anchor for %s", rr.Header().Name)
			}
		}
		addrs, err := ParseRootHintsFile("f", data)
		if err != nil && !strings.HasPrefix(err.Error(), "f") {
			t.Fatalf("error without the file name: %v", err)
		}
		if err == nil && len(addrs) == 0 {
			t.Fatal("no error and no address")
		}
		for _, a := range addrs {
			if !a.IsValid() {
				t.Fatalf("invalid address in %v", addrs)
			}
		}
	})
}
