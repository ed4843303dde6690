// Package cohort is how the hub compares an entity with its peers: the
// size bands entities are sorted into (communes by population, the other
// sectors by number of hosts), and the statistics over a cohort (the
// entities of one sector and size band in the region): median and
// quartiles, shown only over MinEntities entities or more, and the checks
// where an entity is behind most of its peers.
//
// It holds no storage and no page: the hub (hub/app, hub/web) and a
// federation of hubs use the same vocabulary and the same figures. The
// band IDs are stable (stored in the hub's database, printed by the
// command line): never rename one, add new ones.
package cohort

import (
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/protocol"
)

// Band is an entity's size band: one of Bands, or "" when not given.
type Band string

// Scale is what a sector's bands measure.
type Scale string

const (
	// Population: communes (and inter-municipalities) by inhabitants, the
	// measure the State's own thresholds for local authorities use.
	Population Scale = "population"
	// Hosts: hospitals, ports and other bodies by number of hosts (the
	// computers their IT runs), for which population means nothing.
	Hosts Scale = "hosts"
)

// The size bands. Population bands follow the thresholds (1 000,
// 3 500, 10 000, 50 000 inhabitants); host bands 20 and 100 hosts.
const (
	PopUnder1000    Band = "pop-lt-1000"
	Pop1000To3499   Band = "pop-1000-3499"
	Pop3500To9999   Band = "pop-3500-9999"
	Pop10000To49999 Band = "pop-10000-49999"
	Pop50000Plus    Band = "pop-50000-plus"
	HostsUnder20    Band = "hosts-lt-20"
	Hosts20To99     Band = "hosts-20-99"
	Hosts100Plus    Band = "hosts-100-plus"
)

// Bands lists every band, population then hosts, each in increasing size.
var Bands = []Band{PopUnder1000, Pop1000To3499, Pop3500To9999, Pop10000To49999, Pop50000Plus, HostsUnder20, Hosts20To99, Hosts100Plus}

type bandInfo struct {
	scale  Scale
	fr, en string
}

var bands = map[Band]bandInfo{
	PopUnder1000:    {Population, "moins de 1 000 habitants", "under 1,000 inhabitants"},
	Pop1000To3499:   {Population, "1 000 à 3 499 habitants", "1,000 to 3,499 inhabitants"},
	Pop3500To9999:   {Population, "3 500 à 9 999 habitants", "3,500 to 9,999 inhabitants"},
	Pop10000To49999: {Population, "10 000 à 49 999 habitants", "10,000 to 49,999 inhabitants"},
	Pop50000Plus:    {Population, "50 000 habitants ou plus", "50,000 inhabitants or more"},
	HostsUnder20:    {Hosts, "moins de 20 postes", "under 20 hosts"},
	Hosts20To99:     {Hosts, "20 à 99 postes", "20 to 99 hosts"},
	Hosts100Plus:    {Hosts, "100 postes ou plus", "100 hosts or more"},
}

// Valid reports whether b is one of Bands.
func (b Band) Valid() bool { _, ok := bands[b]; return ok }

// Scale is what b measures ("" for an unknown band).
func (b Band) Scale() Scale { return bands[b].scale }

// Name is b in words, in lang ("en" or French); « taille non renseignée »
// for no band, the ID itself for an unknown one.
func (b Band) Name(lang string) string {
	if b == "" {
		if lang == "en" {
			return "size not given"
		}
		return "taille non renseignée"
	}
	i, ok := bands[b]
	switch {
	case !ok:
		return string(b)
	case lang == "en":
		return i.en
	}
	return i.fr
}

// ScaleOf is the scale a sector's entities are banded by: population for
// communes, hosts for every other sector (hospitals, ports, and « autre »,
// whose bodies, syndicates or public establishments, have no population
// of their own).
func ScaleOf(s protocol.Sector) Scale {
	if s == protocol.SectorCommune {
		return Population
	}
	return Hosts
}

// BandsFor lists the bands an entity of sector s may take, in order.
func BandsFor(s protocol.Sector) []Band {
	var out []Band
	for _, b := range Bands {
		if b.Scale() == ScaleOf(s) {
			out = append(out, b)
		}
	}
	return out
}

// ParseBand checks a band given by a person for an entity of sector s: ""
// (not given) is accepted; anything else must be a band of s's scale. The
// error lists the bands allowed, in French.
func ParseBand(s protocol.Sector, v string) (Band, error) {
	b := Band(strings.TrimSpace(v))
	if b == "" {
		return "", nil
	}
	if b.Valid() && b.Scale() == ScaleOf(s) {
		return b, nil
	}
	var ids []string
	for _, x := range BandsFor(s) {
		ids = append(ids, string(x))
	}
	what := "une tranche de nombre de postes"
	if ScaleOf(s) == Population {
		what = "une tranche de population"
	}
	return "", fmt.Errorf("tranche de taille %q invalide pour le secteur « %s » : %s parmi %s", protocol.Clip(string(b), 40), s.Name("fr"), what, strings.Join(ids, ", "))
}

// Fits reports whether b is a valid band for sector s.
func (b Band) Fits(s protocol.Sector) bool { return b.Valid() && b.Scale() == ScaleOf(s) }
