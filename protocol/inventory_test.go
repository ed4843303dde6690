package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSoftwareSHA256(t *testing.T) {
	t.Parallel()
	a := Package{Name: "bash", Version: "5.2.15-2+b8", Source: SourceDpkg, Arch: "amd64", SourcePackage: "bash", SourceVersion: "5.2.15-2"}
	b := Package{Name: "Microsoft Office Professionnel Plus 2016", Version: "16.0.5487.1000", Source: SourceWindowsRegistry, Publisher: "Microsoft Corporation", ProductLine: "2016"}
	c := Package{Name: "<script>&", Version: "1"}
	h := SoftwareSHA256([]Package{a, b, c})
	if len(h) != 64 || !isSHA256Hex(h) {
		t.Fatalf("hash %q", h)
	}
	if got := SoftwareSHA256([]Package{c, b, a, a}); got != h {
		t.Error("order or a duplicate changed the hash")
	}
	// Every field counts.
	for i, mut := range []func(*Package){
		func(p *Package) { p.Name += "x" }, func(p *Package) { p.Version += "x" }, func(p *Package) { p.Source = "rpm" },
		func(p *Package) { p.Arch = "i386" }, func(p *Package) { p.Publisher = "x" }, func(p *Package) { p.SourcePackage = "x" },
		func(p *Package) { p.SourceVersion = "x" }, func(p *Package) { p.ProductLine = "365" },
	} {
		m := a
		mut(&m)
		if SoftwareSHA256([]Package{m, b, c}) == h {
			t.Errorf("change %d left the hash unchanged", i)
		}
	}
	// The canonical form is the documented one (docs/protocol.md).
	const doc = `[{"name":"bash","version":"5.2.15-2+b8","source":"dpkg","arch":"amd64","source_package":"bash","source_version":"5.2.15-2"}]`
	if SoftwareSHA256([]Package{a}) != sha256Hex(doc) {
		t.Errorf("canonical form of one package is not %s", doc)
	}
	if SoftwareSHA256(nil) != sha256Hex("[]") || SoftwareSHA256([]Package{}) != SoftwareSHA256(nil) {
		t.Error("empty inventory is not the hash of []")
	}
	// No HTML escaping: <, > and & as themselves.
	if SoftwareSHA256([]Package{c}) != sha256Hex(`[{"name":"<script>&","version":"1"}]`) {
		t.Error("HTML characters escaped in the canonical form")
	}
	// The caller's slice is left as it was.
	in := []Package{c, a}
	SoftwareSHA256(in)
	if in[0] != c {
		t.Error("SoftwareSHA256 reordered its argument")
	}
}

func sha256Hex(s string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(s)))
}

// TestSummaryChecksSoftwareSHA256: the summary carries the hash and refuses
// one no agent sends.
func TestSummaryChecksSoftwareSHA256(t *testing.T) {
	t.Parallel()
	var m map[string]any
	json.Unmarshal(newerAgentScorecard(t), &m)
	good := SoftwareSHA256(nil)
	for v, ok := range map[string]bool{good: true, strings.ToUpper(good): false, good[:63]: false, "": true} {
		m["software_sha256"] = v
		b, _ := json.Marshal(m)
		sum, err := DecodeSummary(b)
		if (err == nil) != ok {
			t.Errorf("software_sha256 %q: err = %v", v, err)
		}
		if err == nil && sum.SoftwareSHA256 != v {
			t.Errorf("summary software_sha256 %q, want %q", sum.SoftwareSHA256, v)
		}
	}
}

// TestInventoryFits: a host with 10,000 packages, every field filled at a
// realistic length, sends its full inventory within MaxEnvelopeSize.
func TestInventoryFits(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	pkgs := make([]Package, 10000)
	for i := range pkgs {
		pkgs[i] = Package{
			Name:          fmt.Sprintf("libreoffice-l10n-extension-%05d-common-data", i),
			Version:       "1:24.2.7-1~bpo12+1.deb12u1",
			Source:        SourceDpkg,
			Arch:          "amd64",
			SourcePackage: fmt.Sprintf("libreoffice-extension-%05d", i),
			SourceVersion: "1:24.2.7-1~bpo12+1.deb12u1",
			Publisher:     "The Document Foundation",
		}
	}
	sc := &Scorecard{Header: Header{Schema: Schema, ID: "0123456789abcdef0123456789abcdef", StartedAt: time.Now(), FinishedAt: time.Now()},
		Results:  slices.Repeat([]Result{{ID: "patch.pending-updates", Status: Pass, Evidence: Text{FR: strings.Repeat("é", 400), EN: strings.Repeat("e", 400)}}}, 120),
		Software: pkgs, SoftwareSHA256: SoftwareSHA256(pkgs)}
	env, err := SignScorecard(sc, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10,000 packages: envelope of %d bytes (%.0f%% of the %d limit)", len(env), 100*float64(len(env))/MaxEnvelopeSize, MaxEnvelopeSize)
	if len(env) > MaxEnvelopeSize {
		t.Fatalf("envelope of %d bytes, limit %d", len(env), MaxEnvelopeSize)
	}
	e, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := Verify(e, PayloadType, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(payload)
	if err != nil || len(got.Software) != 10000 || SoftwareSHA256(got.Software) != got.SoftwareSHA256 {
		t.Fatalf("decoded %d packages, %v", len(got.Software), err)
	}
}

// TestIngestResponseFromOlderHub: a reply without send_inventory asks for
// nothing.
func TestIngestResponseFromOlderHub(t *testing.T) {
	t.Parallel()
	var r IngestResponse
	if err := json.Unmarshal([]byte(`{"status":"stored","scorecard_id":"x","sequence":3}`), &r); err != nil || r.SendInventory {
		t.Errorf("%+v, %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"status":"stored","scorecard_id":"x","sequence":3,"send_inventory":true}`), &r); err != nil || !r.SendInventory {
		t.Errorf("%+v, %v", r, err)
	}
}
