package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// adRegion enrols hosts into entities and stores signed scorecards as the
// API does; it returns the agents by label.
type adRegion struct {
	t      *testing.T
	a      *app.App
	st     store.Store
	seed   uint64
	agents map[string]*hubtest.Agent
}

func (r *adRegion) host(entity, sector, label string) *hubtest.Agent {
	r.t.Helper()
	ctx := context.Background()
	e, err := r.st.EnsureEntity(ctx, entity, sector)
	if err != nil {
		r.t.Fatal(err)
	}
	r.seed++
	ag := hubtest.NewAgent(r.seed, 0.5)
	ag.Host.Hostname = label
	tok := fmt.Sprint("tok-", r.seed)
	r.st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: t0.AddDate(0, -1, 0), ExpiresAt: t0})
	if _, err := r.st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: ag.ID, PublicKey: ag.Key.Public().(ed25519.PublicKey), Hostname: label}, t0.AddDate(0, -1, 0)); err != nil {
		r.t.Fatal(err)
	}
	r.agents[label] = ag
	return ag
}

func (r *adRegion) store(ag *hubtest.Agent, sc *protocol.Scorecard) {
	r.t.Helper()
	if o, err := r.st.SaveScorecard(context.Background(), api.Record(sc.Summary(), ag.Sign(sc), sc.FinishedAt.Add(time.Minute))); err != nil || o != store.Stored {
		r.t.Fatal(o, err)
	}
}

func newADRegion(t *testing.T) *adRegion {
	a, st := newApp(t)
	r := &adRegion{t: t, a: a, st: st, agents: map[string]*hubtest.Agent{}}
	// Mairie A: its DC had a GPP password two days ago, fixed since
	// (level 4, only the machine account quota left); a file server reading
	// the directory through [ad] reported level 2 thirty hours ago: the
	// DC's more recent scorecard gives the entity's level.
	dc := r.host("Mairie A", "commune", "DC-MAIRIE")
	r.store(dc, dc.DC(t0.Add(-48*time.Hour), 1, ad.IDGPPPasswords))
	r.store(dc, dc.DC(t0.Add(-24*time.Hour), 4, ad.IDMachineQuota))
	fs := r.host("Mairie A", "commune", "SRV-FICHIERS")
	r.store(fs, fs.DC(t0.Add(-30*time.Hour), 2, ad.IDDelegation))
	// Hôpital B: GPP password and a roastable admin, level 1.
	hb := r.host("Hôpital B", "hospital", "DC-HOPITAL")
	r.store(hb, hb.DC(t0.Add(-2*time.Hour), 1, ad.IDGPPPasswords, ad.IDPrivRoastable))
	// Port C: no Active Directory at all.
	pc := r.host("Port C", "port", "poste-port")
	r.store(pc, pc.Next(t0.Add(-time.Hour)))
	// Mairie D: the directory could not be read, but SYSVOL could (GPP
	// password found): no level, the failure still listed.
	dd := r.host("Mairie D", "commune", "DC-D")
	r.store(dd, dd.DC(t0.Add(-3*time.Hour), 0, ad.IDGPPPasswords))
	return r
}

// TestADRegion: each entity's AD level comes from the most recent
// scorecard reporting one among its hosts' latest; failing control points
// list the entities (weakest level first, no level last) and the hosts
// that report them; an entity without AD is left out; a host whose
// directory was unreadable shows no level but its failures.
func TestADRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newADRegion(t)
	reg, err := r.a.ADOverview(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]*app.ADEntity{}
	for _, e := range reg.Entities {
		names = append(names, e.Name)
		byName[e.Name] = e
	}
	if want := []string{"Hôpital B", "Mairie A", "Mairie D"}; !slices.Equal(names, want) {
		t.Fatalf("entities %v, want %v (weakest first, no level last, Port C absent)", names, want)
	}
	if a := byName["Mairie A"]; !a.HasAD || a.AD.Level != 4 || a.AD.Host != "DC-MAIRIE" || !a.AD.At.Equal(t0.Add(-24*time.Hour)) ||
		!slices.Equal(a.AD.Blocking, []string{ad.IDMachineQuota}) || !slices.Equal(a.Failed, []string{ad.IDMachineQuota, ad.IDDelegation}) {
		t.Errorf("Mairie A: %+v", *a)
	}
	if b := byName["Hôpital B"]; b.AD.Level != 1 || b.AD.Status != protocol.Fail || !slices.Equal(b.AD.Blocking, []string{ad.IDGPPPasswords, ad.IDPrivRoastable}) {
		t.Errorf("Hôpital B: %+v", *b)
	}
	if d := byName["Mairie D"]; !d.HasAD || d.AD.Level != 0 || d.AD.Status != protocol.Error || !slices.Equal(d.Failed, []string{ad.IDGPPPasswords}) {
		t.Errorf("Mairie D: %+v", *d)
	}
	checks := map[string][]string{}
	for _, c := range reg.Checks {
		if c.ID == app.ADLevelCheck {
			t.Error("ad.level listed as a control point")
		}
		for _, f := range c.Entities {
			checks[c.ID] = append(checks[c.ID], fmt.Sprintf("%s%v", f.Entity.Name, f.Hosts))
		}
	}
	want := map[string][]string{
		ad.IDGPPPasswords:  {"Hôpital B[DC-HOPITAL]", "Mairie D[DC-D]"},
		ad.IDPrivRoastable: {"Hôpital B[DC-HOPITAL]"},
		ad.IDMachineQuota:  {"Mairie A[DC-MAIRIE]"},
		ad.IDDelegation:    {"Mairie A[SRV-FICHIERS]"},
	}
	if fmt.Sprint(checks) != fmt.Sprint(want) {
		t.Errorf("failing control points:\n got %v\nwant %v", checks, want)
	}
	if reg.Checks[0].ID != ad.IDGPPPasswords {
		t.Errorf("first control point %s, want the one failing in most entities", reg.Checks[0].ID)
	}
	if h, err := r.a.ADOverview(ctx, "hospital"); err != nil || len(h.Entities) != 1 || h.Entities[0].Name != "Hôpital B" {
		t.Errorf("hospital sector: %+v %v", h.Entities, err)
	}

	// The overview carries the same levels; a new scorecard replaces the
	// one read before.
	ov, err := r.a.Overview(ctx, app.Filter{Level: -1})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]int{}
	for _, e := range ov.Entities {
		levels[e.Name] = -1
		if e.AD != nil {
			levels[e.Name] = e.AD.Level
		}
	}
	if fmt.Sprint(levels) != fmt.Sprint(map[string]int{"Hôpital B": 1, "Mairie A": 4, "Mairie D": 0, "Port C": -1}) {
		t.Errorf("overview AD levels %v", levels)
	}
	hb := r.agents["DC-HOPITAL"]
	r.store(hb, hb.DC(t0.Add(-time.Hour), 5))
	if ov, err = r.a.Overview(ctx, app.Filter{Level: -1}); err != nil {
		t.Fatal(err)
	}
	for _, e := range ov.Entities {
		if e.Name == "Hôpital B" && (e.AD == nil || e.AD.Level != 5 || e.AD.Blocking != nil) {
			t.Errorf("Hôpital B after its new scorecard: %+v", e.AD)
		}
	}
	// A revoked agent's scorecards no longer count.
	if err := r.st.RevokeAgent(ctx, r.agents["DC-MAIRIE"].ID, "admin@x", t0); err != nil {
		t.Fatal(err)
	}
	rows, _ := r.st.Hosts(ctx, store.HostFilter{IncludeRevoked: true})
	var mairieA []store.HostRow
	for _, h := range rows {
		if h.Agent.Entity == "Mairie A" {
			mairieA = append(mairieA, h)
		}
	}
	if l, ok, err := r.a.EntityAD(ctx, mairieA); err != nil || !ok || l.Level != 2 || l.Host != "SRV-FICHIERS" {
		t.Errorf("Mairie A without its DC: %+v %v %v", l, ok, err)
	}
}

// TestADLevelOf reads the level only from what an agent writes: a whole
// number 1-5 on a pass, warn or fail; anything else reads as an error
// without a level, not applicable as no report, and only ad.* IDs are kept
// as blocking checks.
func TestADLevelOf(t *testing.T) {
	t.Parallel()
	decode := func(status protocol.Status, facts string) (app.ADLevel, bool) {
		t.Helper()
		var f map[string]any
		if facts != "" {
			if err := json.Unmarshal([]byte(facts), &f); err != nil {
				t.Fatal(err)
			}
		}
		sc := &protocol.Scorecard{Results: []protocol.Result{{ID: "hygiene.firewall", Status: protocol.Fail, Facts: map[string]any{"level": 1.0}}, {ID: app.ADLevelCheck, Status: status, Facts: f}}}
		return app.ADLevelOf(sc)
	}
	if l, ok := decode(protocol.Warn, `{"level": 3, "blocking_next_level": ["ad.laps-coverage", "rm -rf", 7, "ad.dc-spooler"]}`); !ok || l.Level != 3 || l.Status != protocol.Warn ||
		!slices.Equal(l.Blocking, []string{"ad.laps-coverage", "ad.dc-spooler"}) {
		t.Errorf("level 3: %+v %v", l, ok)
	}
	for _, facts := range []string{`{"level": 6}`, `{"level": 0}`, `{"level": 2.5}`, `{"level": "3"}`, `{}`, ``, `{"level": 1e300}`} {
		if l, ok := decode(protocol.Fail, facts); !ok || l.Level != 0 || l.Status != protocol.Error {
			t.Errorf("facts %s: %+v %v, want an error without a level", facts, l, ok)
		}
	}
	if l, ok := decode(protocol.Error, `{"level": 4}`); !ok || l.Level != 0 {
		t.Errorf("an error's level read: %+v", l)
	}
	if _, ok := decode(protocol.NotApplicable, ``); ok {
		t.Error("not applicable read as a report")
	}
	if _, ok := app.ADLevelOf(&protocol.Scorecard{Results: []protocol.Result{{ID: "hygiene.firewall", Status: protocol.Pass}}}); ok {
		t.Error("a scorecard without ad.level read as a report")
	}
}
