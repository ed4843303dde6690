package web

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// EntityRow is one entity of the overview: its hosts' latest scorecards
// combined. The entity's level is its weakest host's (one neglected server
// is where an attacker gets in); domain scores are the mean over hosts.
type EntityRow struct {
	ID       int64
	Name     string
	Sector   string
	Hosts    int
	Reported int // hosts with at least one scorecard
	Score    int // mean of host scores; -1 when no host reported
	Level    int // min of host levels; -1 when no host reported
	Domains  [6]int
	LastSeen time.Time
	Silent   bool
}

// FailedCount is one check failing across the region.
type FailedCount struct {
	ID       string
	Entities int
	Hosts    int
}

// Overview is the region page's model.
type Overview struct {
	Entities     []EntityRow // after filters
	Distribution [5]int      // entities per level
	Silent       []EntityRow
	TopFailed    []FailedCount
	Hidden       bool // fewer entities than the aggregate minimum: aggregates withheld
	Sectors      []string
	Total        int // entities after filters
	Hosts        int
}

// Filter narrows the overview and the exports.
type Filter struct {
	Sector string
	Level  int // -1: all
}

// BuildOverview aggregates host rows into entity rows. It reads only the
// "latest scorecard per agent" rows, never the history.
func BuildOverview(rows []store.HostRow, f Filter, now time.Time, silentAfter time.Duration, minAggregate int) Overview {
	type acc struct {
		row     EntityRow
		sum     int
		dsum    [6]int
		dn      [6]int
		failed  map[string]int
		minimum int
	}
	byID := map[int64]*acc{}
	var order []int64
	sectors := map[string]bool{}
	for _, r := range rows {
		a := r.Agent
		if a.Sector != "" {
			sectors[a.Sector] = true
		}
		e := byID[a.EntityID]
		if e == nil {
			e = &acc{row: EntityRow{ID: a.EntityID, Name: a.Entity, Sector: a.Sector, Score: -1, Level: -1}, failed: map[string]int{}, minimum: 99}
			byID[a.EntityID] = e
			order = append(order, a.EntityID)
		}
		e.row.Hosts++
		if a.EnrolledAt.After(e.row.LastSeen) && e.row.LastSeen.IsZero() {
			// Enrolment counts as a sign of life until the first scorecard.
			e.row.LastSeen = a.EnrolledAt
		}
		l := r.Latest
		if l == nil {
			continue
		}
		if e.row.Reported == 0 || l.ReceivedAt.After(e.row.LastSeen) {
			e.row.LastSeen = l.ReceivedAt
		}
		e.row.Reported++
		e.sum += l.Score
		e.minimum = min(e.minimum, l.Level)
		for i, d := range l.DomainScores {
			if d >= 0 {
				e.dsum[i] += d
				e.dn[i]++
			}
		}
		for _, id := range l.Failed {
			e.failed[id]++
		}
	}
	var out Overview
	for s := range sectors {
		out.Sectors = append(out.Sectors, s)
	}
	slices.Sort(out.Sectors)
	failedEntities := map[string]*FailedCount{}
	for _, id := range order {
		e := byID[id]
		r := e.row
		if r.Reported > 0 {
			r.Score = (e.sum + r.Reported/2) / r.Reported
			r.Level = e.minimum
		}
		for i := range r.Domains {
			r.Domains[i] = -1
			if e.dn[i] > 0 {
				r.Domains[i] = (e.dsum[i] + e.dn[i]/2) / e.dn[i]
			}
		}
		r.Silent = now.Sub(r.LastSeen) > silentAfter
		if f.Sector != "" && r.Sector != f.Sector {
			continue
		}
		if f.Level >= 0 && r.Level != f.Level {
			continue
		}
		out.Entities = append(out.Entities, r)
		out.Hosts += r.Hosts
		if r.Level >= 0 {
			out.Distribution[r.Level]++
		}
		if r.Silent {
			out.Silent = append(out.Silent, r)
		}
		for cid, n := range e.failed {
			fc := failedEntities[cid]
			if fc == nil {
				fc = &FailedCount{ID: cid}
				failedEntities[cid] = fc
			}
			fc.Entities++
			fc.Hosts += n
		}
	}
	out.Total = len(out.Entities)
	slices.SortFunc(out.Entities, func(a, b EntityRow) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(out.Silent, func(a, b EntityRow) int { return a.LastSeen.Compare(b.LastSeen) })
	for _, fc := range failedEntities {
		out.TopFailed = append(out.TopFailed, *fc)
	}
	slices.SortFunc(out.TopFailed, func(a, b FailedCount) int {
		if c := cmp.Compare(b.Entities, a.Entities); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Hosts, a.Hosts); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out.TopFailed) > 10 {
		out.TopFailed = out.TopFailed[:10]
	}
	if out.Total < minAggregate {
		// Privacy: a distribution or a "most failed" list over a handful of
		// entities would point at each of them.
		out.Hidden = true
		out.Distribution = [5]int{}
		out.TopFailed = nil
	}
	return out
}

// Bucket maps a 0-100 score to a heat-map class 0-4, or "na".
func Bucket(score int) string {
	switch {
	case score < 0:
		return "na"
	case score < 20:
		return "0"
	case score < 40:
		return "1"
	case score < 60:
		return "2"
	case score < 80:
		return "3"
	}
	return "4"
}

// domainNames are the heat map's column headers.
var domainNames = map[protocol.Domain][2]string{
	protocol.DomainPatch:        {"Mises à jour", "Patching"},
	protocol.DomainBackup:       {"Sauvegardes", "Backups"},
	protocol.DomainHygiene:      {"Hygiène", "Hygiene"},
	protocol.DomainTLS:          {"TLS", "TLS"},
	protocol.DomainDNS:          {"DNS", "DNS"},
	protocol.DomainOrganisation: {"Organisation", "Organisation"},
}

// DomainName names a domain in lang.
func DomainName(d protocol.Domain, lang string) string {
	n, ok := domainNames[d]
	if !ok {
		return string(d)
	}
	if lang == "en" {
		return n[1]
	}
	return n[0]
}
