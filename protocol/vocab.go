package protocol

import (
	"fmt"
	"strings"
)

// Status is the outcome of one check.
type Status string

const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Warn          Status = "warn"
	NotApplicable Status = "not-applicable"
	Error         Status = "error"
)

// Statuses lists the statuses this version knows, in display order
// (failures first: what needs doing comes first on every page).
var Statuses = []Status{Fail, Warn, Error, Pass, NotApplicable}

// Known reports whether s is a status this version of the contract defines.
func (s Status) Known() bool {
	switch s {
	case Pass, Fail, Warn, NotApplicable, Error:
		return true
	}
	return false
}

// Effective is the status to display and score: a status from a newer agent
// that this version does not know counts as an error (nothing was judged
// that this hub can explain), never as a pass.
func (s Status) Effective() Status {
	if s.Known() {
		return s
	}
	return Error
}

// Applicable reports whether the status counts in a score: not-applicable and
// error results leave the denominator so that "no data" never counts as a pass.
func (s Status) Applicable() bool { return s == Pass || s == Fail || s == Warn }

// Rank orders statuses for display: fail, warn, error, pass, not-applicable
// (an unknown status ranks as error).
func (s Status) Rank() int {
	switch s.Effective() {
	case Fail:
		return 0
	case Warn:
		return 1
	case Error:
		return 2
	case Pass:
		return 3
	default:
		return 4
	}
}

var statusNames = map[Status][2]string{
	Pass: {"réussi", "pass"}, Fail: {"échec", "fail"}, Warn: {"attention", "warning"},
	NotApplicable: {"sans objet", "n/a"}, Error: {"erreur", "error"},
}

// Name is the status in plain words (lowercase) in lang ("fr" or "en").
func (s Status) Name(lang string) string { return pick(statusNames[s.Effective()], lang) }

// Label is the status as reports print it beside a result: its name in
// capitals ("ÉCHEC", "N/A").
func (s Status) Label(lang string) string { return strings.ToUpper(s.Name(lang)) }

// Severity ranks how much a failure matters.
type Severity string

const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists the severities, most severe first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities, most severe first (0 = critical; unknown ones
// rank with info).
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 0
	case High:
		return 1
	case Medium:
		return 2
	case Low:
		return 3
	default:
		return 4
	}
}

var severityNames = map[Severity][2]string{
	Critical: {"critique", "critical"}, High: {"élevée", "high"}, Medium: {"moyenne", "medium"},
	Low: {"faible", "low"}, Info: {"information", "info"},
}

// Name is the severity in plain words in lang; an unknown one is shown as is.
func (s Severity) Name(lang string) string {
	if n, ok := severityNames[s]; ok {
		return pick(n, lang)
	}
	return string(s)
}

// Domain groups checks into the scorecard's domains.
type Domain string

const (
	DomainTLS          Domain = "tls"
	DomainDNS          Domain = "dns"
	DomainPatch        Domain = "patch"
	DomainBackup       Domain = "backup"
	DomainHygiene      Domain = "hygiene"
	DomainOrganisation Domain = "organisation"
	DomainAD           Domain = "ad"
)

// Domains lists every domain this version knows, in display order. A
// scorecard may carry others (from a newer agent): they are kept and shown
// under their ID.
var Domains = []Domain{DomainPatch, DomainBackup, DomainHygiene, DomainTLS, DomainDNS, DomainOrganisation, DomainAD}

var domainNames = map[Domain][2]string{
	DomainPatch:        {"Mises à jour", "Updates"},
	DomainBackup:       {"Sauvegardes", "Backups"},
	DomainHygiene:      {"Hygiène du poste", "Host hygiene"},
	DomainTLS:          {"Chiffrement (TLS)", "Encryption (TLS)"},
	DomainDNS:          {"Nom de domaine et messagerie", "Domain name and mail"},
	DomainOrganisation: {"Organisation (déclaratif)", "Organisation (declared)"},
	DomainAD:           {"Active Directory", "Active Directory"},
}

// Name is the plain-language name of a domain in lang; a domain this
// version does not know is shown under its ID.
func (d Domain) Name(lang string) string {
	if n, ok := domainNames[d]; ok {
		return pick(n, lang)
	}
	return string(d)
}

// Known reports whether this version defines the domain.
func (d Domain) Known() bool { _, ok := domainNames[d]; return ok }

// Sector is the kind of entity an agent belongs to; it decides which
// sector-sensitive checks apply (industrial protocols in ports, medical
// imaging in hospitals).
type Sector string

const (
	SectorCommune  Sector = "commune"
	SectorHospital Sector = "hospital"
	SectorPort     Sector = "port"
	SectorOther    Sector = "other"
)

// Sectors lists every sector, in display order.
var Sectors = []Sector{SectorCommune, SectorHospital, SectorPort, SectorOther}

var sectorNames = map[Sector][2]string{
	SectorCommune:  {"Commune ou intercommunalité", "Town hall or inter-municipality"},
	SectorHospital: {"Établissement de santé", "Hospital"},
	SectorPort:     {"Port", "Port"},
	SectorOther:    {"Autre", "Other"},
}

// Name is the sector's plain-language name in lang; an unknown one is
// shown as is.
func (s Sector) Name(lang string) string {
	if n, ok := sectorNames[s]; ok {
		return pick(n, lang)
	}
	return string(s)
}

// Valid reports whether s is one of Sectors.
func (s Sector) Valid() bool { _, ok := sectorNames[s]; return ok }

// ParseSector checks a sector given by a person (configuration, command
// line, form) and says which ones exist when it is not one of them.
func ParseSector(s string) (Sector, error) {
	if Sector(s).Valid() {
		return Sector(s), nil
	}
	return "", fmt.Errorf("secteur %q inconnu : commune, hospital, port ou other", s)
}

// Level is the maturity level 0-4, named as ANSSI's maturity test names them.
type Level int

// MaxLevel is the highest maturity level (Optimal).
const MaxLevel Level = 4

var levelNames = [5][2]string{
	{"Insuffisant", "Insufficient"},
	{"Émergent", "Emerging"},
	{"Intermédiaire", "Intermediate"},
	{"Confirmé", "Established"},
	{"Optimal", "Optimal"},
}

// Name returns the level's name in lang.
func (l Level) Name(lang string) string {
	if l < 0 || l > MaxLevel {
		return "?"
	}
	return pick(levelNames[l], lang)
}

func pick(n [2]string, lang string) string {
	if lang == "en" {
		return n[1]
	}
	return n[0]
}
