package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// newerAgentScorecard is what an agent newer than this hub might sign: a
// field, a check, a domain and a status this version does not know.
func newerAgentScorecard(t *testing.T) []byte {
	t.Helper()
	doc := map[string]any{
		"schema": Schema, "id": "0123456789abcdef0123456789abcdef", "agent_id": "00112233445566778899aabbccddeeff",
		"sequence": 3, "agent_version": "9.0.0",
		"host":       map[string]any{"hostname": "dc1", "os": "windows", "os_build": "10.0.20348.2700", "future": true},
		"started_at": time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC), "finished_at": time.Date(2027, 1, 2, 3, 5, 5, 0, time.UTC),
		"results": []any{
			map[string]any{"id": "ot.modbus-exposed", "version": 1, "status": "fail", "domain": "ot", "severity": "high", "evidence": map[string]any{"fr": "x", "en": "x"}},
			map[string]any{"id": "patch.os-support", "version": 2, "status": "partially-passed", "domain": "patch", "severity": "critical", "evidence": map[string]any{"fr": "y", "en": "y"}},
		},
		"domains":              []any{map[string]any{"domain": "ot", "score": 40, "fail": 1}, map[string]any{"domain": "patch", "score": -1, "error": 1}},
		"score":                40,
		"level":                1,
		"actions":              []any{},
		"entirely_new_section": map[string]any{"anything": []int{1, 2, 3}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestForwardCompatibility is the rule docs/protocol.md states: a document
// from a newer agent is read, never refused, by an older reader.
func TestForwardCompatibility(t *testing.T) {
	t.Parallel()
	data := newerAgentScorecard(t)
	sum, err := DecodeSummary(data)
	if err != nil {
		t.Fatalf("summary of a newer agent's scorecard refused: %v", err)
	}
	sc, err := Decode(data)
	if err != nil {
		t.Fatalf("newer agent's scorecard refused: %v", err)
	}
	if sum.Domains[0].Domain != "ot" || sc.Domains[0].Domain.Name("fr") != "ot" {
		t.Errorf("unknown domain not kept under its ID: %+v", sum.Domains)
	}
	unknown := sc.Results[1].Status
	if unknown.Known() || unknown.Effective() != Error || unknown.Applicable() {
		t.Errorf("unknown status %q: known=%v effective=%q applicable=%v; want it read as an error", unknown, unknown.Known(), unknown.Effective(), unknown.Applicable())
	}
	if unknown.Name("fr") != "erreur" || unknown.Rank() != Error.Rank() {
		t.Errorf("unknown status shown as %q (rank %d)", unknown.Name("fr"), unknown.Rank())
	}
}

// TestSummaryRefusesWhatNoAgentSends: the leniency above stops at values no
// agent of any version may send.
func TestSummaryRefusesWhatNoAgentSends(t *testing.T) {
	t.Parallel()
	base := func() map[string]any {
		var m map[string]any
		json.Unmarshal(newerAgentScorecard(t), &m)
		return m
	}
	cases := map[string]func(m map[string]any){
		"domain score over 100": func(m map[string]any) { m["domains"] = []any{map[string]any{"domain": "patch", "score": 2000000000}} },
		"domain score under -1": func(m map[string]any) { m["domains"] = []any{map[string]any{"domain": "patch", "score": -5}} },
		"NUL in id":             func(m map[string]any) { m["id"] = "abc\x00def" },
		"escape in result id":   func(m map[string]any) { m["results"] = []any{map[string]any{"id": "a\x1b[2J", "status": "pass"}} },
		"empty status":          func(m map[string]any) { m["results"] = []any{map[string]any{"id": "a", "status": ""}} },
		"level 5":               func(m map[string]any) { m["level"] = 5 },
		"score 101":             func(m map[string]any) { m["score"] = 101 },
		"other schema":          func(m map[string]any) { m["schema"] = "vigie.scorecard/v2" },
		"domain without name":   func(m map[string]any) { m["domains"] = []any{map[string]any{"domain": "", "score": 3}} },
		"result id of 101 bytes": func(m map[string]any) {
			m["results"] = []any{map[string]any{"id": strings.Repeat("a", 101), "status": "pass"}}
		},
	}
	for name, mutate := range cases {
		m := base()
		mutate(m)
		b, _ := json.Marshal(m)
		if _, err := DecodeSummary(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestVocabularies(t *testing.T) {
	t.Parallel()
	for _, d := range Domains {
		if d.Name("fr") == string(d) || d.Name("en") == string(d) || !d.Known() {
			t.Errorf("domain %s has no plain name", d)
		}
	}
	if DomainPatch.Name("en") != "Updates" {
		t.Errorf("patch domain in English: %q, want Updates (one vocabulary)", DomainPatch.Name("en"))
	}
	for _, s := range Sectors {
		if !s.Valid() || s.Name("fr") == string(s) && s != SectorPort {
			t.Errorf("sector %s: valid=%v name=%q", s, s.Valid(), s.Name("fr"))
		}
		if got, err := ParseSector(string(s)); err != nil || got != s {
			t.Errorf("ParseSector(%s) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseSector("ports"); err == nil || !strings.Contains(err.Error(), "commune, hospital, port ou other") {
		t.Errorf("ParseSector(ports) = %v, want a refusal listing the sectors", err)
	}
	seen := map[int]bool{}
	for _, s := range Statuses {
		if seen[s.Rank()] {
			t.Errorf("two statuses share rank %d", s.Rank())
		}
		seen[s.Rank()] = true
	}
	if Fail.Rank() >= Warn.Rank() || Warn.Rank() >= Pass.Rank() {
		t.Error("failures must sort before warnings, warnings before passes")
	}
	if NotApplicable.Label("en") != "N/A" || Fail.Label("fr") != "ÉCHEC" {
		t.Errorf("labels: %q %q", NotApplicable.Label("en"), Fail.Label("fr"))
	}
	for i, sev := range Severities {
		if sev.Rank() != i || sev.Name("fr") == string(sev) && sev != Info {
			t.Errorf("severity %s rank %d name %q", sev, sev.Rank(), sev.Name("fr"))
		}
	}
}

func TestByPriority(t *testing.T) {
	t.Parallel()
	rs := []Result{
		{ID: "b", Status: Pass, Severity: Critical},
		{ID: "c", Status: Warn, Severity: Low},
		{ID: "a", Status: Fail, Severity: Medium},
		{ID: "d", Status: Fail, Severity: Critical},
		{ID: "e", Status: "from-the-future", Severity: Critical},
	}
	for i := range rs {
		for j := range rs {
			if (ByPriority(&rs[i], &rs[j]) < 0) == (ByPriority(&rs[j], &rs[i]) < 0) && i != j {
				t.Fatalf("not antisymmetric on %s, %s", rs[i].ID, rs[j].ID)
			}
		}
	}
	order := []string{"d", "a", "c", "e", "b"}
	for k := 0; k < len(rs); k++ {
		best := 0
		for i := range rs {
			if ByPriority(&rs[i], &rs[best]) < 0 {
				best = i
			}
		}
		if rs[best].ID != order[k] {
			t.Fatalf("position %d: %s, want %s", k, rs[best].ID, order[k])
		}
		rs = append(rs[:best], rs[best+1:]...)
	}
}

func TestWireErrors(t *testing.T) {
	t.Parallel()
	for _, code := range []string{CodeInvalidToken, CodeTokenExpired, CodeTokenUsed, CodeKeyEnrolled, CodeUnknownAgent, CodeAgentRevoked, CodeRateLimited, CodeHubBusy, CodeStorageUnavailable} {
		err := ErrorForCode(code)
		if err == nil || CodeForError(err) != code {
			t.Errorf("code %s: sentinel %v maps back to %q", code, err, CodeForError(err))
		}
	}
	if ErrorForCode(CodeBadSignature) != nil {
		t.Error("bad_signature has no sentinel: the agent quarantines, it does not branch on it")
	}
	if !ValidAgentID(KeyIDForTest()) || ValidAgentID("0123456789ABCDEF0123456789abcdef") || ValidAgentID("abc") {
		t.Error("ValidAgentID")
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"mairie-pc1":             "mairie-pc1",
		"a\x00b":                 "ab",
		" 1.0\n":                 "1.0",
		"host\x1b[31mred\x1b[0m": "host [31mred [0m",
		"bad\xffutf8":            "bad\uFFFDutf8",
		"c1\u009bcontrol":        "c1 control",
		strings.Repeat("é", 150): strings.Repeat("é", 100),
	}
	for in, want := range cases {
		if got := Clip(in, 200); got != want {
			t.Errorf("Clip(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClip(f *testing.F) {
	f.Add("mairie\x00\x1b[2J\xff", 10)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1000 {
			return
		}
		got := Clip(s, n)
		if len(got) > n || hasControl(got) || !strings.ContainsRune(got+"x", 'x') || !utf8Valid(got) {
			t.Fatalf("Clip(%q, %d) = %q", s, n, got)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// KeyIDForTest is the agent ID of a fixed key.
func KeyIDForTest() string { return KeyID(make([]byte, 32)) }
