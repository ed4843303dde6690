package federation_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

var day = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

func member(sector string, level int, failed ...string) federation.Member {
	return federation.Member{Sector: sector, Level: level, Domains: map[protocol.Domain]int{protocol.DomainPatch: 10 * level}, Failed: failed}
}

func build(ms []federation.Member, xs []federation.Exposure) *federation.Aggregate {
	return federation.Build(federation.Input{Region: "Bretagne", Day: federation.Day(day), AsOf: day.Add(24 * time.Hour), GeneratedAt: day,
		Members: ms, Exposures: xs, ExposuresIncluded: true})
}

func TestWithholding(t *testing.T) {
	var ms []federation.Member
	for range 4 { // four ports: withheld
		ms = append(ms, member("port", 2, "patch.os"))
	}
	// Twelve communes: two at level 0, ten at level 3; seven fail tls.x,
	// four fail dns.y.
	for i := range 12 {
		lv := 3
		if i < 2 {
			lv = 0
		}
		var f []string
		if i < 7 {
			f = append(f, "tls.x")
		}
		if i >= 8 {
			f = append(f, "dns.y")
		}
		ms = append(ms, member("commune", lv, f...))
	}
	var xs []federation.Exposure
	for i := range 6 {
		xs = append(xs, federation.Exposure{Advisory: "CERTFR-2026-AVI-0100", EntityID: int64(i), AgentID: fmt.Sprint("a", i)},
			federation.Exposure{Advisory: "CERTFR-2026-AVI-0100", EntityID: int64(i), AgentID: fmt.Sprint("b", i)})
	}
	xs = append(xs, federation.Exposure{Advisory: "CERTFR-2026-AVI-0200", EntityID: 1, AgentID: "a1"})
	a := build(ms, xs)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(a.Cells) != 2 {
		t.Fatalf("cells: %+v", a.Cells)
	}
	com, port := a.Cells[0], a.Cells[1]
	if port.Sector != "port" || !port.Withheld || !port.Entities.Withheld || port.Levels != nil || port.Failing != nil {
		t.Errorf("4 ports must be withheld, got %+v", port)
	}
	if com.Withheld || com.Entities != (federation.Count{N: 12}) {
		t.Fatalf("communes: %+v", com)
	}
	// Level 0 (2) is withheld, and level 3 (10) with it: 12 - 10 would
	// give the 2 away.
	for i, l := range com.Levels {
		if !l.Withheld {
			t.Errorf("level %d published (%d): it would give the 2 entities at level 0 away", i, l.N)
		}
	}
	if len(com.Failing) != 1 || com.Failing[0] != (federation.CheckCount{Check: "tls.x", Entities: 7}) {
		t.Errorf("failing: %+v (dns.y fails at 4 entities: not listed)", com.Failing)
	}
	if len(com.Domains) != 1 || com.Domains[0].Withheld || *com.Domains[0].Median != 30 || *com.Domains[0].Q1 != 30 {
		t.Errorf("domains: %+v", com.Domains)
	}
	if len(a.Advisories) != 2 {
		t.Fatalf("advisories: %+v", a.Advisories)
	}
	if x := a.Advisories[0]; x.Advisory != "CERTFR-2026-AVI-0200" || !x.Entities.Withheld || !x.Hosts.Withheld {
		t.Errorf("one exposed entity: withheld, got %+v", x)
	}
	if x := a.Advisories[1]; x.Entities != (federation.Count{N: 6}) || x.Hosts != (federation.Count{N: 12}) {
		t.Errorf("six entities, twelve hosts: got %+v", x)
	}
	b, _ := json.Marshal(a)
	if !strings.Contains(string(b), `"entities":"withheld"`) {
		t.Errorf("a withheld count reads \"withheld\": %s", b)
	}
	back, err := federation.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(back); string(b2) != string(b) {
		t.Errorf("round trip:\n%s\n%s", b, b2)
	}
}

func TestLevelsPublishedWhenSafe(t *testing.T) {
	var ms []federation.Member
	for i := range 15 {
		ms = append(ms, member("hopital", 1+i%3)) // 5 at levels 1, 2 and 3
	}
	c := build(ms, nil).Cells[0]
	want := []federation.Count{federation.Withheld, {N: 5}, {N: 5}, {N: 5}, federation.Withheld}
	for i := range want {
		if c.Levels[i] != want[i] {
			t.Errorf("level %d: %+v, want %+v (zeros withheld, their sum 0 deduces nobody)", i, c.Levels[i], want[i])
		}
	}
}

// TestValidateRefuses: the national hub's check of the rule, whoever
// signed the document.
func TestValidateRefuses(t *testing.T) {
	good := func() *federation.Aggregate {
		var ms []federation.Member
		for range 6 {
			ms = append(ms, member("commune", 2, "tls.x"))
		}
		return build(ms, nil)
	}
	for name, tc := range map[string]struct {
		edit func(a *federation.Aggregate)
		want error
	}{
		"small count":       {func(a *federation.Aggregate) { a.Cells[0].Levels[0] = federation.Count{N: 2} }, federation.ErrNotWithheld},
		"small entities":    {func(a *federation.Aggregate) { a.Cells[0].Entities = federation.Count{N: 4} }, federation.ErrNotWithheld},
		"small failing":     {func(a *federation.Aggregate) { a.Cells[0].Failing[0].Entities = 3 }, federation.ErrNotWithheld},
		"withheld detailed": {func(a *federation.Aggregate) { a.Cells[0].Withheld = true; a.Cells[0].Entities = federation.Withheld }, federation.ErrNotWithheld},
		"lower threshold":   {func(a *federation.Aggregate) { a.MinEntities = 3 }, federation.ErrInvalid},
		"schema":            {func(a *federation.Aggregate) { a.Schema = 2 }, federation.ErrSchema},
		"day":               {func(a *federation.Aggregate) { a.Day = "2026-13-01" }, federation.ErrInvalid},
		"region":            {func(a *federation.Aggregate) { a.Region = "<script>" }, federation.ErrInvalid},
		"duplicate cell":    {func(a *federation.Aggregate) { a.Cells = append(a.Cells, a.Cells[0]) }, federation.ErrInvalid},
		"advisory reference": {func(a *federation.Aggregate) {
			a.Advisories = []federation.AdvisoryCount{{Advisory: "x", Entities: federation.Withheld, Hosts: federation.Withheld}}
		}, federation.ErrInvalid},
	} {
		a := good()
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
		tc.edit(a)
		if err := a.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func randWord(r *rand.Rand, n int) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// TestNoNameNoSmallCount is the property: whatever the region, the
// document names no entity, host or agent, and publishes no count under 5;
// within a level distribution, the withheld counts add up to 0 or to 5 or
// more (none can be deduced from the published total).
func TestNoNameNoSmallCount(t *testing.T) {
	sectors := []string{"commune", "hopital", "port", "autre"}
	bands := []cohort.Band{"", cohort.PopUnder1000, cohort.HostsUnder20, "no-such-band"}
	checks := []string{"tls.a", "dns.b", "patch.c", "org.d", "backup.e"}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		var rows []store.HostRow
		var secret []string
		band := map[int64]cohort.Band{}
		var xs []federation.Exposure
		levels := map[[2]string][5]int{} // by sector and band as published
		entities := 1 + r.IntN(60)
		for e := range entities {
			id := int64(e + 1)
			name := "Mairie " + randWord(r, 12)
			sector := sectors[r.IntN(len(sectors))]
			band[id] = bands[r.IntN(len(bands))]
			secret = append(secret, name)
			minLevel := 9
			for h := range 1 + r.IntN(4) {
				host := "PC-" + randWord(r, 12)
				agent := fmt.Sprintf("%032x", r.Uint64())
				secret = append(secret, host, agent)
				a := store.Agent{ID: agent, EntityID: id, Entity: name, Sector: sector, Hostname: host}
				if r.IntN(6) == 0 {
					rows = append(rows, store.HostRow{Agent: a}) // never reported
					continue
				}
				lv := r.IntN(5)
				minLevel = min(minLevel, lv)
				sc := &store.Scorecard{AgentID: agent, ID: fmt.Sprint(h), Level: lv, Hostname: host,
					DomainScores: store.DomainScores{protocol.DomainPatch: r.IntN(101), protocol.DomainTLS: r.IntN(102) - 1}}
				for _, c := range checks {
					if r.IntN(2) == 0 {
						sc.Failed = append(sc.Failed, c)
					}
				}
				rows = append(rows, store.HostRow{Agent: a, Latest: sc})
				if r.IntN(3) == 0 {
					xs = append(xs, federation.Exposure{Advisory: fmt.Sprintf("CERTFR-2026-AVI-%04d", r.IntN(5)), EntityID: id, AgentID: agent})
				}
			}
			if minLevel <= 4 {
				b := band[id]
				if !b.Valid() {
					b = "" // an unknown band counts as none
				}
				k := [2]string{sector, string(b)}
				l := levels[k]
				l[minLevel]++
				levels[k] = l
			}
		}
		ms := federation.FromHosts(rows, func(id int64) cohort.Band { return band[id] })
		a := federation.Build(federation.Input{Region: "Normandie", Day: "2026-03-14", Members: ms, Exposures: xs, ExposuresIncluded: true})
		if err := a.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secret {
			if strings.Contains(string(b), s) || strings.Contains(strings.ToLower(string(b)), strings.ToLower(s)) {
				t.Fatalf("seed %d: the document names %q:\n%s", seed, s, b)
			}
		}
		walkCounts(t, b, seed)
		for _, c := range a.Cells {
			if c.Withheld {
				continue
			}
			truth := levels[[2]string{c.Sector, c.SizeBand}]
			hidden := 0
			for i, l := range c.Levels {
				if l.Withheld {
					hidden += truth[i]
				} else if l.N != truth[i] {
					t.Fatalf("seed %d: %s/%s level %d: %d published, %d true", seed, c.Sector, c.SizeBand, i, l.N, truth[i])
				}
			}
			if hidden > 0 && hidden < 5 {
				t.Fatalf("seed %d: %s/%s: the withheld levels add up to %d, deducible from the total", seed, c.Sector, c.SizeBand, hidden)
			}
		}
	}
}

// walkCounts checks every number under a key naming a count in the JSON:
// entities, hosts and the levels' items are 5 or more.
func walkCounts(t *testing.T, b []byte, seed uint64) {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case float64:
			if (key == "entities" || key == "hosts" || key == "levels") && x < 5 {
				t.Fatalf("seed %d: %s = %v published: %s", seed, key, x, b)
			}
		}
	}
	walk("", v)
}

// FuzzDecode: whatever a regional hub sends, a document Decode accepts
// publishes no count under its threshold (at least 5) and reads back the
// same once encoded again.
func FuzzDecode(f *testing.F) {
	var ms []federation.Member
	for i := range 9 {
		ms = append(ms, member("commune", i%2, "tls.x"))
	}
	good, _ := json.Marshal(build(ms, []federation.Exposure{{Advisory: "CERTFR-2026-AVI-0001", EntityID: 1, AgentID: "a"}}))
	f.Add(good)
	f.Add([]byte(`{"schema":1,"region":"X","day":"2026-01-01","min_entities":5,"cells":[{"sector":"port","size_band":"","withheld":false,"entities":3,"levels":[3,0,0,0,0]}]}`))
	f.Add([]byte(`{"schema":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := federation.Decode(data)
		if err != nil {
			return
		}
		if a.MinEntities < 5 {
			t.Fatalf("threshold %d accepted", a.MinEntities)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		walkCounts(t, b, 0)
		a2, err := federation.Decode(b)
		if err != nil {
			t.Fatalf("re-encoded document refused: %v", err)
		}
		if b2, _ := json.Marshal(a2); string(b2) != string(b) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}
