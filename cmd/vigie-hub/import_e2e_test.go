package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

type importOut struct {
	Files   []api.FileReport   `json:"files"`
	Summary api.OfflineSummary `json:"summary"`
}

func importJSON(t *testing.T, db string, paths ...string) (int, importOut) {
	t.Helper()
	code, out, stderr := cli(t, "", append([]string{"import", "--db", db, "--format", "json"}, paths...)...)
	var res importOut
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("import --format json: %v\n%s\n%s", err, out, stderr)
	}
	return code, res
}

func byBase(files []api.FileReport) map[string]api.FileReport {
	m := map[string]api.FileReport{}
	for _, f := range files {
		m[filepath.Base(f.Path)] = f
	}
	return m
}

// TestImportEndToEnd runs the real `vigie-hub import` on a stick holding
// good, tampered, replayed, foreign, half-written, renamed and stray files:
// each gets its outcome, the good ones are stored once, a second run finds
// only duplicates, and a stick carried late lands in the host's history.
func TestImportEndToEnd(t *testing.T) {
	t.Parallel()
	h := newOfflineHub(t)
	ctx := context.Background()
	stick := filepath.Join(t.TempDir(), "E")
	a := hubtest.NewAgent(1, 0.7)       // a hospital's server, five scans
	b := hubtest.NewAgent(2, 0.4)       // its files given in reverse order
	revoked := hubtest.NewAgent(3, 0.5) // revoked since
	stranger := hubtest.NewAgent(4, 0.5)
	for _, x := range []*hubtest.Agent{a, b, revoked} {
		h.enrol(t, "Hôpital de Landerneau", x)
	}
	if code, _, stderr := cli(t, "", "agent", "revoke", "--db", h.db, revoked.ID); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	for seq := uint64(1); seq <= 5; seq++ {
		writeOffline(t, stick, h.rcpt, a, seq, "")
	}
	var bFiles []string
	for seq := uint64(1); seq <= 3; seq++ {
		p, _ := writeOffline(t, filepath.Join(t.TempDir(), "b"), h.rcpt, b, seq, "")
		bFiles = append([]string{p}, bFiles...) // 3, 2, 1
	}
	// Renamed: its name says nothing; it holds a's newest scorecard.
	writeOffline(t, stick, h.rcpt, a, 6, "copie de bilan.scorecard.age")
	// Tampered: a's scorecard 7 with a better score, signature kept,
	// encrypted again to the hub (its recipient is public).
	env, err := protocol.ParseEnvelope(a.Sign(a.Build(7, time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	payload = []byte(strings.Replace(string(payload), `"score":`, `"score":9`, 1))
	env.Payload = base64.StdEncoding.EncodeToString(payload)
	forged, _ := json.Marshal(env)
	os.WriteFile(filepath.Join(stick, protocol.OfflineScorecardName(a.ID, 7)), encrypt(t, h.rcpt, forged), 0o644)
	// Replayed: another scorecard on sequence 3, and a copy of file 3.
	writeOffline(t, stick, h.rcpt, a, 3, "rejoue.scorecard.age")
	orig, _ := os.ReadFile(filepath.Join(stick, protocol.OfflineScorecardName(a.ID, 3)))
	os.WriteFile(filepath.Join(stick, "copie-3.scorecard.age"), orig, 0o644)
	// Foreign: encrypted to another hub.
	other, _ := age.GenerateX25519Identity()
	writeOffline(t, stick, other.Recipient(), a, 8, "autre-hub.scorecard.age")
	// Half-written: the stick pulled out mid-write.
	p9, _ := writeOffline(t, stick, h.rcpt, a, 9, "")
	full, _ := os.ReadFile(p9)
	os.WriteFile(p9, full[:len(full)*2/3], 0o644)
	// Unknown and revoked agents.
	writeOffline(t, stick, h.rcpt, stranger, 1, "")
	writeOffline(t, stick, h.rcpt, revoked, 1, "")
	// Not Vigie's, and an incident bundle (issue 23).
	os.WriteFile(filepath.Join(stick, "LISEZMOI.txt"), []byte("clé du service informatique\n"), 0o644)
	os.WriteFile(filepath.Join(stick, "inc-1.manifest.dsse.json"), []byte(`{}`), 0o644)
	os.MkdirAll(filepath.Join(stick, "System Volume Information"), 0o755)
	os.WriteFile(filepath.Join(stick, "System Volume Information", "IndexerVolumeGuid"), []byte("x"), 0o644)

	code, res := importJSON(t, h.db, append([]string{stick}, bFiles...)...)
	if code != exitFail {
		t.Errorf("import with refused files: exit %d, want %d", code, exitFail)
	}
	got := byBase(res.Files)
	want := map[string][2]string{
		protocol.OfflineScorecardName(a.ID, 1):        {api.FileStored, ""},
		protocol.OfflineScorecardName(a.ID, 5):        {api.FileStored, ""},
		"copie de bilan.scorecard.age":                {api.FileStored, ""},
		protocol.OfflineScorecardName(a.ID, 7):        {api.FileRefused, api.ReasonTampered},
		"rejoue.scorecard.age":                        {api.FileRefused, api.ReasonReplayed},
		"copie-3.scorecard.age":                       {api.FileDuplicate, ""},
		"autre-hub.scorecard.age":                     {api.FileRefused, api.ReasonNotForThisHub},
		protocol.OfflineScorecardName(a.ID, 9):        {api.FileRefused, api.ReasonTruncated},
		protocol.OfflineScorecardName(stranger.ID, 1): {api.FileRefused, api.ReasonUnknownAgent},
		protocol.OfflineScorecardName(revoked.ID, 1):  {api.FileRefused, api.ReasonRevoked},
		protocol.OfflineScorecardName(b.ID, 1):        {api.FileStored, ""},
		protocol.OfflineScorecardName(b.ID, 3):        {api.FileStored, ""},
		"LISEZMOI.txt":                                {api.FileIgnored, api.ReasonNotVigie},
		"inc-1.manifest.dsse.json":                    {api.FileRefused, api.ReasonUnreadable}, // its archive inc-1.tar.age is not there
	}
	for name, w := range want {
		if r, ok := got[name]; !ok || r.Status != w[0] || r.Reason != w[1] || r.Message == "" {
			t.Errorf("%s: %+v, want %s %s", name, r, w[0], w[1])
		}
	}
	if _, ok := got["IndexerVolumeGuid"]; ok {
		t.Error("a system folder of the stick was imported")
	}
	if s := res.Summary; s.Stored != 9 || s.Duplicates != 1 || s.Refused != 7 || s.History != 0 {
		t.Errorf("summary %+v, want 9 stored (a 1-6, b 1-3), 1 duplicate, 7 refused (the incident manifest without its archive)", s)
	}
	// Applied in sequence order: b's three are stored although given in
	// reverse, a's renamed newest is its latest.
	for _, x := range []struct {
		agent *hubtest.Agent
		seq   uint64
	}{{a, 6}, {b, 3}} {
		l, err := h.st.LatestScorecard(ctx, x.agent.ID)
		if err != nil || l.Sequence != x.seq {
			t.Errorf("latest of %s = %+v, %v; want sequence %d", x.agent.Host.Hostname, l, err, x.seq)
		}
	}
	if hist, _ := h.st.History(ctx, a.ID, 100); len(hist) != 6 {
		t.Errorf("a's history: %d scorecards, want 6 (each stored once)", len(hist))
	}
	log, _ := h.st.AuditLog(ctx, 10)
	if len(log) == 0 || log[0].Action != "offline_import" || !strings.Contains(log[0].Detail, "9 enregistré") {
		t.Errorf("audit: %+v", log)
	}

	// The same stick again: every good file is a duplicate.
	code, res = importJSON(t, h.db, append([]string{stick}, bFiles...)...)
	if s := res.Summary; s.Stored != 0 || s.History != 0 || s.Duplicates != 10 || code != exitFail {
		t.Errorf("second run: %+v exit %d, want 10 duplicates and nothing stored", s, code)
	}

	// A stick carried late: scorecards the hub never saw, older than a's
	// latest, go to the history; the overview keeps the newest.
	late := filepath.Join(t.TempDir(), "F")
	for _, seq := range []uint64{10, 11} {
		writeOffline(t, late, h.rcpt, a, seq, "")
	}
	if code, out, stderr := cli(t, "", "import", "--db", h.db, late); code != 0 || strings.Count(out, "enregistré\n")+strings.Count(out, "enregistré (") != 2 {
		t.Fatalf("import of a newer stick: %d %q %q", code, out, stderr)
	}
	older := filepath.Join(t.TempDir(), "G")
	p, _ := writeOffline(t, older, h.rcpt, a, 8, "")
	code, out, stderr := cli(t, "", "import", "--db", h.db, older)
	if code != 0 || !strings.Contains(out, filepath.Base(p)+" : enregistré dans l'historique") || !strings.Contains(out, "1 dans l'historique") {
		t.Errorf("late stick: %d %q %q", code, out, stderr)
	}
	rows, _ := h.st.Hosts(ctx, store.HostFilter{})
	for _, r := range rows {
		if r.Agent.ID == a.ID && (r.Latest == nil || r.Latest.Sequence != 11) {
			t.Errorf("overview row of a after a late stick: %+v", r.Latest)
		}
	}
	if ag, _ := h.st.Agent(ctx, a.ID); ag.LastSequence != 11 {
		t.Errorf("a's last sequence = %d, want 11", ag.LastSequence)
	}
}
