package cohort

import (
	"math"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The expected quartiles are R's quantile(x) (type 7) for the same
// vectors, worked by hand in the comments.
func TestSummarise(t *testing.T) {
	for _, tc := range []struct {
		in                     []float64
		min, q1, med, q3, maxv float64
	}{
		{[]float64{4, 1, 3, 2}, 1, 1.75, 2.5, 3.25, 4},        // positions 0.75, 1.5, 2.25
		{[]float64{50, 10, 40, 20, 30}, 10, 20, 30, 40, 50},   // positions 1, 2, 3: exact values
		{[]float64{1, 3, 7, 15, 31, 63}, 1, 4, 11, 27, 63},    // 1.25 → 3+¼·4; 2.5 → 7+½·8; 3.75 → 15+¾·16
		{[]float64{7}, 7, 7, 7, 7, 7},                         // one value: all five are it
		{[]float64{0, 0, 100, 100, 100}, 0, 0, 100, 100, 100}, // ties
	} {
		in := append([]float64(nil), tc.in...)
		s := Summarise(tc.in)
		if s.N != len(tc.in) || !near(s.Min, tc.min) || !near(s.Q1, tc.q1) || !near(s.Median, tc.med) || !near(s.Q3, tc.q3) || !near(s.Max, tc.maxv) {
			t.Errorf("Summarise(%v) = %+v, want %v %v %v %v %v", tc.in, s, tc.min, tc.q1, tc.med, tc.q3, tc.maxv)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Summarise sorted its input: %v", tc.in)
			}
		}
	}
	if s := Summarise(nil); s != (Summary{}) {
		t.Errorf("Summarise(nil) = %+v", s)
	}
}

// member makes a commune of band b with level l, one patch score and the
// given check statuses ("id=fail").
func member(id int64, b Band, l, patch int, checks ...string) Member {
	m := Member{ID: id, Sector: protocol.SectorCommune, Band: b, Level: l,
		Domains: map[protocol.Domain]int{protocol.DomainPatch: patch}, Checks: map[string]protocol.Status{}}
	for _, c := range checks {
		k, v, _ := strings.Cut(c, "=")
		m.Checks[k] = protocol.Status(v)
	}
	return m
}

var doms = []protocol.Domain{protocol.DomainPatch, protocol.DomainTLS}

func TestCompareMinimumCohort(t *testing.T) {
	// Four communes of the band with a level, plus entities that must not
	// count: another band, another sector, no level.
	all := []Member{
		member(1, Pop1000To3499, 1, 20, "a=fail"),
		member(2, Pop1000To3499, 2, 40, "a=pass"),
		member(3, Pop1000To3499, 3, 60, "a=pass"),
		member(4, Pop1000To3499, 4, 80, "a=pass"),
		member(5, Pop3500To9999, 4, 90),
		member(6, Pop1000To3499, NoValue, NoValue),
		{ID: 7, Sector: protocol.SectorPort, Band: Pop1000To3499, Level: 4},
	}
	c := Compare(all[0], all, doms, 0)
	if c.Size != 4 || c.Enough || c.Min != MinEntities {
		t.Fatalf("cohort of 4: size %d enough %v min %d", c.Size, c.Enough, c.Min)
	}
	if c.Level.Summary != (Summary{}) || c.Domains[0].Summary != (Summary{}) || c.Behind != nil {
		t.Errorf("figures computed over 4 entities: %+v", c)
	}
	if c.Level.Value != 1 || c.Domains[0].Value != 20 || c.Domains[1].Value != NoValue {
		t.Errorf("own figures: %+v", c)
	}
	// A fifth: shown.
	all = append(all, member(8, Pop1000To3499, 0, 10, "a=pass"))
	c = Compare(all[0], all, doms, 0)
	if c.Size != 5 || !c.Enough {
		t.Fatalf("cohort of 5: size %d enough %v", c.Size, c.Enough)
	}
	if s := c.Level.Summary; s.N != 5 || s.Min != 0 || s.Q1 != 1 || s.Median != 2 || s.Q3 != 3 || s.Max != 4 {
		t.Errorf("level summary %+v", s)
	}
	if s := c.Domains[0]; !s.Enough || s.Median != 40 || s.Q1 != 20 || s.Q3 != 60 {
		t.Errorf("patch %+v", s)
	}
	// TLS: no member has a score there.
	if s := c.Domains[1]; s.Enough || s.Count != 0 {
		t.Errorf("tls %+v", s)
	}
	// A hub's higher aggregate minimum wins.
	if c := Compare(all[0], all, doms, 6); c.Enough || c.Min != 6 {
		t.Errorf("min 6: %+v", c)
	}
	// No band: no cohort at all.
	nb := all[0]
	nb.Band = ""
	if c := Compare(nb, all, doms, 0); c.Size != 0 || c.Enough {
		t.Errorf("no band: %+v", c)
	}
}

func TestBehindPeers(t *testing.T) {
	self := member(1, HostsUnder20, 1, 50, "maj=fail", "half=fail", "warned=warn", "ok=pass", "all=fail", "peersfail=fail")
	self.Sector = protocol.SectorHospital
	peers := []Member{self}
	for i, st := range []string{
		"maj=pass half=pass warned=pass all=pass peersfail=fail",
		"maj=pass half=pass warned=pass all=pass peersfail=fail",
		"maj=pass half=fail warned=pass all=pass",
		"maj=warn half=error all=pass", // error and absent are not passes
	} {
		m := member(int64(i+2), HostsUnder20, 2, 50, strings.Fields(st)...)
		m.Sector = protocol.SectorHospital
		peers = append(peers, m)
	}
	c := Compare(self, peers, doms, 5)
	if !c.Enough {
		t.Fatalf("not enough: %+v", c)
	}
	// all: 4/4; maj: 3/4; warned: 3/4 (a warning counts as behind); half:
	// 2/4 is no majority; ok: the entity passes; peersfail: peers fail too.
	want := []Behind{{"all", protocol.Fail, 4, 4}, {"maj", protocol.Fail, 3, 4}, {"warned", protocol.Warn, 3, 4}}
	if len(c.Behind) != len(want) {
		t.Fatalf("behind = %+v, want %+v", c.Behind, want)
	}
	for i := range want {
		if c.Behind[i] != want[i] {
			t.Errorf("behind[%d] = %+v, want %+v", i, c.Behind[i], want[i])
		}
	}
	if c.Behind[1].Share() != 75 {
		t.Errorf("share %d", c.Behind[1].Share())
	}
}

func TestDistributions(t *testing.T) {
	var all []Member
	for i := range 5 {
		all = append(all, member(int64(i), Pop1000To3499, i%5, 10*i))
	}
	for i := range 3 {
		all = append(all, member(int64(10+i), Pop50000Plus, 4, 90))
	}
	all = append(all, member(20, "", 0, 0))
	h := member(30, HostsUnder20, 2, 50)
	h.Sector = protocol.SectorHospital
	all = append(all, h)
	gs := Distributions(all, doms, 5)
	type key struct {
		s protocol.Sector
		b Band
	}
	got := map[key]Group{}
	var order []key
	for _, g := range gs {
		got[key{g.Sector, g.Band}] = g
		order = append(order, key{g.Sector, g.Band})
	}
	wantOrder := []key{{"commune", ""}, {"commune", Pop1000To3499}, {"commune", Pop50000Plus}, {"hospital", ""}, {"hospital", HostsUnder20}}
	if len(order) != len(wantOrder) {
		t.Fatalf("groups %v, want %v", order, wantOrder)
	}
	for i := range wantOrder {
		if order[i] != wantOrder[i] {
			t.Fatalf("groups %v, want %v", order, wantOrder)
		}
	}
	if g := got[key{"commune", ""}]; g.Size != 9 || !g.Enough || g.Level.Median != 3 {
		t.Errorf("all communes: %+v", g)
	}
	if g := got[key{"commune", Pop1000To3499}]; !g.Enough || g.Level.Median != 2 || g.Domains[0].Q3 != 30 {
		t.Errorf("band: %+v", g)
	}
	if g := got[key{"commune", Pop50000Plus}]; g.Enough || g.Size != 3 || g.Level.Median != 0 {
		t.Errorf("band of 3: %+v", g)
	}
	if g := got[key{"hospital", ""}]; g.Enough || g.Size != 1 {
		t.Errorf("hospitals: %+v", g)
	}
}

func TestBands(t *testing.T) {
	for _, tc := range []struct {
		sector protocol.Sector
		in     string
		want   Band
		ok     bool
	}{
		{protocol.SectorCommune, "pop-1000-3499", Pop1000To3499, true},
		{protocol.SectorCommune, " pop-lt-1000 ", PopUnder1000, true},
		{protocol.SectorCommune, "", "", true},
		{protocol.SectorCommune, "hosts-lt-20", "", false},
		{protocol.SectorHospital, "hosts-100-plus", Hosts100Plus, true},
		{protocol.SectorPort, "pop-50000-plus", "", false},
		{protocol.SectorOther, "hosts-20-99", Hosts20To99, true},
		{protocol.SectorPort, "small", "", false},
	} {
		b, err := ParseBand(tc.sector, tc.in)
		if (err == nil) != tc.ok || b != tc.want {
			t.Errorf("ParseBand(%s, %q) = %q, %v", tc.sector, tc.in, b, err)
		}
		if err != nil && !strings.Contains(err.Error(), string(BandsFor(tc.sector)[0])) {
			t.Errorf("error does not list the allowed bands: %v", err)
		}
	}
	if n := len(BandsFor(protocol.SectorCommune)); n != 5 {
		t.Errorf("commune bands: %d", n)
	}
	if n := len(BandsFor(protocol.SectorHospital)); n != 3 {
		t.Errorf("hospital bands: %d", n)
	}
	for _, b := range Bands {
		if b.Name("fr") == string(b) || b.Name("en") == string(b) || b.Name("fr") == b.Name("en") {
			t.Errorf("band %s lacks words", b)
		}
	}
	if Band("").Name("fr") != "taille non renseignée" {
		t.Error("empty band name")
	}
}
