package national

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// SilentAfter is how many days without a push make a region silent: one
// day late is a push still to come (time zones, a restart), two is not.
const SilentAfter = 2

// TrendDays is how far back the trends go.
const TrendDays = 365

// Overview is the national page's model.
type Overview struct {
	Today   string
	Regions []RegionRow
	Sectors []protocol.Sector // the grid's columns
	// National is the mean level over every region, by day (trend).
	National []Point
	// Advisories are those with the most exposed entities nationally.
	Advisories []AdvisoryRow
}

// RegionRow is one region: its latest aggregate and its trend.
type RegionRow struct {
	Name     string
	Revoked  bool
	LastDay  string // "" when it never pushed
	Received time.Time
	// SilentDays counts the days since its last day (or since it was
	// registered); Silent when SilentAfter or more.
	SilentDays int
	Silent     bool
	Entities   int // published entities of its latest day
	Withheld   int // cells withheld in it
	Mean       float64
	HasMean    bool
	Cells      []SectorCell // by Overview.Sectors
	Trend      []Point
}

// SectorCell is a region's sector (its size bands together).
type SectorCell struct {
	Entities int
	Withheld int // bands withheld
	Mean     float64
	HasMean  bool
	Present  bool
}

// Point is a day's mean level.
type Point struct {
	Day  string
	Mean float64
}

// AdvisoryRow is an advisory's national exposure: the sum of what the
// regions published, and how many withheld theirs (1 to 4 entities each).
type AdvisoryRow struct {
	Advisory        string
	Entities, Hosts int
	RegionsWithheld int
	Regions         int
}

// Build reads the store into the overview as of now.
func Build(ctx context.Context, st store.Store, now time.Time) (Overview, error) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	ov := Overview{Today: federation.Day(today)}
	regions, err := st.Regions(ctx)
	if err != nil {
		return ov, err
	}
	latest, err := st.LatestAggregates(ctx)
	if err != nil {
		return ov, err
	}
	points, err := st.AggregatePoints(ctx, federation.Day(today.AddDate(0, 0, -TrendDays)))
	if err != nil {
		return ov, err
	}
	docs := map[string]*federation.Aggregate{}
	byRegion := map[string]store.AggregateRecord{}
	sectors := map[protocol.Sector]bool{}
	for _, rec := range latest {
		var a federation.Aggregate
		if json.Unmarshal(rec.Document, &a) != nil {
			continue // verified on receipt; never expected
		}
		docs[rec.Region] = &a
		byRegion[rec.Region] = rec
		for _, c := range a.Cells {
			sectors[protocol.Sector(c.Sector)] = true
		}
	}
	for _, s := range protocol.Sectors {
		if sectors[s] {
			ov.Sectors = append(ov.Sectors, s)
		}
	}
	for s := range sectors {
		if !slices.Contains(protocol.Sectors, s) {
			ov.Sectors = append(ov.Sectors, s)
		}
	}
	slices.SortStableFunc(ov.Sectors[countKnown(ov.Sectors):], func(a, b protocol.Sector) int { return cmp.Compare(a, b) })

	trend := map[string][]Point{}
	type dayAcc struct{ n, sum int }
	nat := map[string]*dayAcc{}
	for _, p := range points {
		if p.LevelN > 0 {
			trend[p.Region] = append(trend[p.Region], Point{Day: p.Day, Mean: float64(p.LevelSum) / float64(p.LevelN)})
			d := nat[p.Day]
			if d == nil {
				d = &dayAcc{}
				nat[p.Day] = d
			}
			d.n += p.LevelN
			d.sum += p.LevelSum
		}
	}
	for day, d := range nat {
		ov.National = append(ov.National, Point{Day: day, Mean: float64(d.sum) / float64(d.n)})
	}
	slices.SortFunc(ov.National, func(a, b Point) int { return cmp.Compare(a.Day, b.Day) })

	adv := map[string]*AdvisoryRow{}
	for _, reg := range regions {
		row := RegionRow{Name: reg.Name, Revoked: reg.Revoked(), Trend: trend[reg.Name]}
		since := reg.AddedAt
		if rec, ok := byRegion[reg.Name]; ok {
			row.LastDay, row.Received = rec.Day, rec.ReceivedAt
			row.Entities, row.Withheld = rec.Entities, rec.WithheldCells
			if rec.LevelN > 0 {
				row.Mean, row.HasMean = float64(rec.LevelSum)/float64(rec.LevelN), true
			}
			since, _ = federation.ParseDay(rec.Day)
			row.Cells = sectorCells(docs[reg.Name], ov.Sectors)
			for _, x := range docs[reg.Name].Advisories {
				a := adv[x.Advisory]
				if a == nil {
					a = &AdvisoryRow{Advisory: x.Advisory}
					adv[x.Advisory] = a
				}
				a.Regions++
				if x.Entities.Withheld {
					a.RegionsWithheld++
				} else {
					a.Entities += x.Entities.N
					a.Hosts += x.Hosts.N
				}
			}
		}
		since = time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)
		row.SilentDays = int(today.Sub(since).Hours() / 24)
		row.Silent = !row.Revoked && row.SilentDays >= SilentAfter
		ov.Regions = append(ov.Regions, row)
	}
	for _, a := range adv {
		ov.Advisories = append(ov.Advisories, *a)
	}
	slices.SortFunc(ov.Advisories, func(a, b AdvisoryRow) int {
		return cmp.Or(cmp.Compare(b.Entities, a.Entities), cmp.Compare(b.RegionsWithheld, a.RegionsWithheld), cmp.Compare(b.Advisory, a.Advisory))
	})
	if len(ov.Advisories) > 20 {
		ov.Advisories = ov.Advisories[:20]
	}
	return ov, nil
}

func countKnown(ss []protocol.Sector) int {
	n := 0
	for _, s := range ss {
		if slices.Contains(protocol.Sectors, s) {
			n++
		}
	}
	return n
}

// sectorCells sums a document's cells by sector (bands together): the
// published entities and levels, the bands withheld.
func sectorCells(a *federation.Aggregate, sectors []protocol.Sector) []SectorCell {
	out := make([]SectorCell, len(sectors))
	lv := make([][2]int, len(sectors))
	for _, c := range a.Cells {
		i := slices.Index(sectors, protocol.Sector(c.Sector))
		if i < 0 {
			continue
		}
		out[i].Present = true
		if c.Withheld {
			out[i].Withheld++
			continue
		}
		out[i].Entities += c.Entities.N
		for l, n := range c.Levels {
			if !n.Withheld {
				lv[i][0] += n.N
				lv[i][1] += l * n.N
			}
		}
	}
	for i := range out {
		if lv[i][0] > 0 {
			out[i].Mean, out[i].HasMean = float64(lv[i][1])/float64(lv[i][0]), true
		}
	}
	return out
}
