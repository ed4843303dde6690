package cohort

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

// region makes n entities spread over the sectors and their bands, each
// with a level, six domain scores and 30 checks, as a region's are.
func region(n int) []Member {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Member, n)
	for i := range out {
		s := protocol.Sectors[i%len(protocol.Sectors)]
		bs := BandsFor(s)
		m := Member{ID: int64(i), Sector: s, Band: bs[r.IntN(len(bs))], Level: r.IntN(5),
			Domains: map[protocol.Domain]int{}, Checks: map[string]protocol.Status{}}
		for _, d := range protocol.Domains {
			m.Domains[d] = r.IntN(101)
		}
		for c := range 30 {
			m.Checks[fmt.Sprintf("check.%02d", c)] = []protocol.Status{protocol.Pass, protocol.Warn, protocol.Fail}[r.IntN(3)]
		}
		out[i] = m
	}
	return out
}

// BenchmarkCompare: one entity against its cohort in a region of 2,000
// entities (the entity page's statistics).
func BenchmarkCompare(b *testing.B) {
	all := region(2000)
	b.ReportAllocs()
	for b.Loop() {
		if c := Compare(all[0], all, protocol.Domains, 5); !c.Enough {
			b.Fatal("cohort too small")
		}
	}
}

// BenchmarkDistributions: the overview's per-sector distributions over
// 2,000 entities.
func BenchmarkDistributions(b *testing.B) {
	all := region(2000)
	b.ReportAllocs()
	for b.Loop() {
		if gs := Distributions(all, protocol.Domains, 5); len(gs) == 0 {
			b.Fatal("no groups")
		}
	}
}
