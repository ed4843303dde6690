package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

const advisoryData = "../../testdata/advisory"

// workstation is a Windows 10 22H2 workstation as the agent reports it
// (facts and registry entries), one build behind December 2025's.
func workstation(seed uint64, build, esr string) *hubtest.Agent {
	a := hubtest.NewAgent(seed, 1)
	a.Host = protocol.HostInfo{Hostname: "PC-ACCUEIL", OS: "windows", Platform: "Microsoft Windows 10 Professionnel",
		PlatformFamily: "Standalone Workstation", PlatformVersion: "10.0.19045 Build 19045", Arch: "amd64",
		OSBuild: build, OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client"}
	a.Software = []protocol.Package{
		{Name: "Mozilla Firefox ESR (x64 fr)", Version: esr, Publisher: "Mozilla", Source: protocol.SourceWindowsRegistry, Arch: "x64"},
		{Name: "7-Zip 24.09 (x64)", Version: "24.09", Publisher: "Igor Pavlov", Source: protocol.SourceWindowsRegistry, Arch: "x64"},
	}
	return a
}

func exposureKeys(xs []app.AdvisoryExposure) []string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", x.Advisory, x.Entity, x.Hostname, x.Product, x.InstalledVersion, x.FixedVersion, x.Confidence))
	}
	sort.Strings(out)
	return out
}

type sink struct {
	mu  sync.Mutex
	got []app.AdvisoryExposure
}

func (s *sink) add(xs []app.AdvisoryExposure) {
	s.mu.Lock()
	s.got = append(s.got, xs...)
	s.mu.Unlock()
}
func (s *sink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := exposureKeys(s.got)
	s.got = nil
	return out
}

// TestAdvisoriesMatching: a scorecard that arrives before the advisories
// is matched when they are imported, and the other way round; the alerts
// hook gets each new certain exposure once; an import repeated changes
// nothing; a host that upgraded leaves the list with its next inventory; a
// restarted hub rebuilds the same exposures from the store.
func TestAdvisoriesMatching(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	var hook sink
	m, err := a.NewAdvisories(app.AdvisoryConfig{OnExposures: hook.add})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LoadAdvisories(ctx); err != nil {
		t.Fatal(err)
	}
	early := workstation(41, "10.0.19045.6575", "140.5.0")
	storetest.Enrolled(t, st, "Mairie de Trébeurden", early.ID)
	report(t, st, early, t0)
	if err := m.MatchHost(ctx, early.ID); err != nil {
		t.Fatal(err)
	}
	if got := m.Exposures(app.ExposureFilter{}); len(got) != 0 {
		t.Fatalf("exposures before any advisory: %v", got)
	}

	res, err := m.Import(ctx, "cli", nil, filepath.Join(advisoryData, "docs"), filepath.Join(advisoryData, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 17 || len(res.Errors) != 4 {
		t.Fatalf("import: %+v", res)
	}
	want := []string{
		"CERTFR-2025-AVI-1092|Mairie de Trébeurden|PC-ACCUEIL|Windows 10 Version 22H2|10.0.19045.6575|10.0.19045.6691|certain",
		"CERTFR-2025-AVI-1099|Mairie de Trébeurden|PC-ACCUEIL|Mozilla Firefox ESR (x64 fr)|140.5.0|140.6|certain",
		"CERTFR-2025-AVI-1099|Mairie de Trébeurden|PC-ACCUEIL|Mozilla Firefox ESR (x64 fr)|140.5.0|146|certain",
	}
	if got := exposureKeys(m.Exposures(app.ExposureFilter{Entity: "mairie de trébeurden"})); !slices.Equal(got, want) {
		t.Fatalf("exposures after import:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := hook.take(); !slices.Equal(got, want) {
		t.Errorf("hook after import:\n%s", strings.Join(got, "\n"))
	}
	if got := m.Exposures(app.ExposureFilter{Entity: "Port"}); len(got) != 0 {
		t.Errorf("entity matched by prefix: %v", got)
	}

	// The same files again: nothing new, nothing for the hook.
	res, err = m.Import(ctx, "cli", nil, filepath.Join(advisoryData, "docs.tar.zst"))
	if err != nil || res.Added+res.Replaced != 0 || res.Unchanged != 17 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	if got := hook.take(); len(got) != 0 {
		t.Errorf("hook after a repeated import: %v", got)
	}

	// A host that reports after the advisories are in is matched at once.
	late := workstation(42, "10.0.19045.6691", "146.0")
	late.Host.Hostname = "PC-MAIRE"
	storetest.Enrolled(t, st, "Port de Lézardrieux", late.ID)
	report(t, st, late, t0.Add(time.Minute))
	if err := m.MatchHost(ctx, late.ID); err != nil {
		t.Fatal(err)
	}
	if got := m.Exposures(app.ExposureFilter{AgentID: late.ID}); len(got) != 0 {
		t.Errorf("an up-to-date host (build equal to the fixed one) is exposed: %v", exposureKeys(got))
	}
	late.Host.OSBuild = "10.0.19045.6600"
	report(t, st, late, t0.Add(2*time.Minute))
	if err := m.MatchHost(ctx, late.ID); err != nil {
		t.Fatal(err)
	}
	if got := hook.take(); len(got) != 1 || !strings.HasPrefix(got[0], "CERTFR-2025-AVI-1092|Port de Lézardrieux|PC-MAIRE|") {
		t.Errorf("hook for the late host: %v", got)
	}

	// Listing: exposed first, with counts.
	sums, err := m.Summaries(ctx, true, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[0].Reference != "CERTFR-2025-AVI-1099" || sums[0].ExposedHosts != 1 ||
		sums[1].Reference != "CERTFR-2025-AVI-1092" || sums[1].ExposedHosts != 2 || sums[1].ExposedEntities != 2 {
		t.Errorf("exposed advisories: %+v", sums)
	}
	all, err := m.Summaries(ctx, false, "")
	if err != nil || len(all) != 17 || all[0].ExposedHosts == 0 || all[16].ExposedHosts != 0 {
		t.Errorf("all advisories: %d %v", len(all), err)
	}
	if rv := m.Review(); len(rv) == 0 || rv[0].Reason == "" || rv[0].Text == "" {
		t.Errorf("review list: %v", rv)
	}
	d, err := m.Detail(ctx, "CERTFR-2025-AVI-1092")
	if err != nil || d.URL != "https://www.cert.ssi.gouv.fr/avis/CERTFR-2025-AVI-1092/" || d.Solution == "" || len(d.Exposures) != 2 || len(d.CVEs) == 0 {
		t.Errorf("detail: %+v %v", d, err)
	}
	if _, err := m.Detail(ctx, "CERTFR-2099-AVI-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown advisory: %v", err)
	}

	// The early host upgrades: it leaves both lists with its next inventory.
	early.Host.OSBuild = "10.0.19045.6691"
	early.Software[0].Version = "146.0"
	report(t, st, early, t0.Add(3*time.Minute))
	if err := m.MatchHost(ctx, early.ID); err != nil {
		t.Fatal(err)
	}
	if got := m.Exposures(app.ExposureFilter{AgentID: early.ID}); len(got) != 0 {
		t.Errorf("upgraded host still exposed: %v", exposureKeys(got))
	}
	if got := hook.take(); len(got) != 0 {
		t.Errorf("hook after an upgrade: %v", got)
	}

	// A restarted hub finds the same from the store.
	m2, err := a.NewAdvisories(app.AdvisoryConfig{OnExposures: hook.add})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := m2.LoadAdvisories(ctx)
	if err != nil || stats.Advisories != 16 || stats.Hosts != 2 || stats.Exposures != 1 {
		t.Errorf("reload: %+v %v", stats, err) // 2024-AVI-0304 is over two years old on t0
	}
	if got, want := exposureKeys(m2.Exposures(app.ExposureFilter{})), exposureKeys(m.Exposures(app.ExposureFilter{})); !slices.Equal(got, want) {
		t.Errorf("after restart %v, before %v", got, want)
	}
	if got := hook.take(); len(got) != 0 {
		t.Errorf("hook called by the start-up rebuild: %v", got)
	}
	// An import by another process (the CLI beside the running hub) is
	// matched by the hub's next Refresh.
	older := workstation(43, "10.0.19045.6575", "146.0")
	storetest.Enrolled(t, st, "Centre hospitalier de Paimpol", older.ID)
	report(t, st, older, t0.Add(4*time.Minute))
	if err := m2.MatchHost(ctx, older.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := m2.Refresh(ctx); err != nil || n != 0 {
		t.Errorf("refresh with nothing new: %d %v", n, err)
	}
	// A later revision of AVI-1092, written by another process.
	if _, err := st.PutAdvisory(ctx, store.AdvisoryRecord{Reference: "CERTFR-2025-AVI-1092", Kind: "avis", Title: "x",
		Revised: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), Revisions: 9, Raw: revised(t, "CERTFR-2025-AVI-1092"), ImportedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := m2.Refresh(ctx); err != nil || n != 1 {
		t.Errorf("refresh after an outside import: %d %v", n, err)
	}
	if got := hook.take(); len(got) != 1 || !strings.Contains(got[0], "Centre hospitalier de Paimpol") {
		t.Errorf("hook after refresh: %v", got)
	}
	if who := m2.WhoUses("firefox esr", "140", ""); len(who) != 3 {
		t.Errorf("who uses Firefox ESR >= 140: %+v", who)
	}
	if who := m2.WhoUses("firefox esr", "", "145"); len(who) != 0 {
		t.Errorf("who uses Firefox ESR <= 145: %+v", who)
	}
}

// revised returns testdata's document ref with one revision more, dated
// 31 December 2025.
func revised(t *testing.T, ref string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(advisoryData, "docs", ref+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	revs := doc["revisions"].([]any)
	doc["revisions"] = append(revs, map[string]any{"revision_date": "2025-12-31T00:00:00.000000", "description": "Ajout"})
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAdvisoryRevision: a later revision replaces the stored one, an older
// one never does, whatever order they are imported in.
func TestAdvisoryRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	m, err := a.NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rev1 := filepath.Join(advisoryData, "revisions", "CERTFR-2025-AVI-1096-rev1.json")
	full := filepath.Join(advisoryData, "docs", "CERTFR-2025-AVI-1096.json")
	if res, err := m.Import(ctx, "cli", nil, rev1); err != nil || res.Added != 1 {
		t.Fatalf("rev1: %+v %v", res, err)
	}
	if res, err := m.Import(ctx, "cli", nil, full); err != nil || res.Replaced != 1 {
		t.Fatalf("rev2: %+v %v", res, err)
	}
	if res, err := m.Import(ctx, "cli", nil, rev1); err != nil || res.Unchanged != 1 {
		t.Fatalf("rev1 again: %+v %v", res, err)
	}
	r, err := st.Advisory(ctx, "CERTFR-2025-AVI-1096")
	want, _ := os.ReadFile(full)
	if err != nil || string(r.Raw) != string(want) {
		t.Errorf("stored copy is not the latest revision as published: %v", err)
	}
	doc, _ := advisory.Parse("x", want)
	if r.Revisions != len(doc.Revisions) || !r.Revised.Equal(doc.Revised()) {
		t.Errorf("stamp %v %d", r.Revised, r.Revisions)
	}
}

// TestAdvisoriesHashOnly: an agent sends its list only when it changed and
// names it by hash otherwise; a hub restarted after such a scorecard
// matches the inventory it stored once under that hash (as ingestion
// stores it: the hub's canonical form and name).
func TestAdvisoriesHashOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	ag := workstation(44, "10.0.19045.6691", "140.5.0") // exposed by its Firefox ESR only
	storetest.Enrolled(t, st, "Mairie de Perros-Guirec", ag.ID)
	save := func(sc *protocol.Scorecard, at time.Time) {
		t.Helper()
		rec := &store.Scorecard{AgentID: ag.ID, ID: sc.ID, Sequence: sc.Sequence, ReceivedAt: at, StartedAt: sc.StartedAt, FinishedAt: sc.FinishedAt,
			Hostname: ag.Host.Hostname, OS: ag.Host.OS, Platform: ag.Host.Platform, AgentVersion: "1.0.0", Envelope: ag.Sign(sc),
			Inventory: sc.SoftwareSHA256}
		if len(sc.Software) > 0 {
			canonical := protocol.CanonicalSoftware(sc.Software)
			rec.NewInventory = &store.NewInventory{SHA256: protocol.HashCanonical(canonical), Canonical: canonical, Packages: len(sc.Software)}
		}
		if out, err := st.SaveScorecard(ctx, rec); err != nil || out != store.Stored {
			t.Fatalf("save: %v %v", out, err)
		}
	}
	full := ag.Next(t0)
	full.SoftwareSHA256 = protocol.SoftwareSHA256(full.Software)
	save(full, t0)
	short := ag.Next(t0.Add(time.Hour))
	short.SoftwareSHA256, short.Software = protocol.SoftwareSHA256(short.Software), nil
	save(short, t0.Add(time.Hour))
	m, err := a.NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Import(ctx, "cli", nil, filepath.Join(advisoryData, "docs", "CERTFR-2025-AVI-1099.json")); err != nil {
		t.Fatal(err)
	}
	if st, err := m.LoadAdvisories(ctx); err != nil || st.Hosts != 1 || st.Exposures != 2 {
		t.Fatalf("load: %+v %v", st, err)
	}
	// A hash the host never sent a list for: it keeps what was matched.
	other := ag.Next(t0.Add(2 * time.Hour))
	other.Software, other.SoftwareSHA256 = nil, strings.Repeat("ab", 32)
	save(other, t0.Add(2*time.Hour))
	if err := m.MatchHost(ctx, ag.ID); err != nil {
		t.Fatal(err)
	}
	if got := m.Exposures(app.ExposureFilter{}); len(got) != 2 {
		t.Errorf("exposures after an unknown hash: %v", exposureKeys(got))
	}
}
