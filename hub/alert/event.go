// Package alert tells advisers when something needs them, and loses no
// alert: it detects events beside ingestion (never inside its
// transaction), writes each event with the deliveries it causes in one
// transaction (an outbox), and delivers them by e-mail (SMTP) and signed
// webhooks (Standard Webhooks) with retries until acknowledged or expired.
// docs/alerts.md describes the events, the baselines, the messages and
// the webhook body.
package alert

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind names an event in the configuration, the webhooks and the UI.
type Kind string

const (
	Exposure      Kind = "exposure"       // a new certain exposure to a CERT-FR advisory (ExposureSink)
	Regression    Kind = "regression"     // a host's level drops
	Critical      Kind = "critical"       // a new failure of a critical check on a host
	Fixed         Kind = "fixed"          // an exposure or a critical failure that alerted is gone
	Silent        Kind = "silent"         // an entity silent for N days
	AgentEnrolled Kind = "agent-enrolled" // a new agent
	AgentRevoked  Kind = "agent-revoked"  // an agent revoked
	Incident      Kind = "incident"       // reserved (the incident issue)
	HubTrouble    Kind = "hub-trouble"    // the hub itself: sent directly, outside the outbox
	Test          Kind = "test"           // the "test alert" button
)

// Kinds lists every event in the order the UI shows them.
var Kinds = []Kind{Exposure, Regression, Critical, Fixed, Silent, AgentEnrolled, AgentRevoked, Incident, HubTrouble, Test}

// Subscribable are the events an adviser can choose (test goes to whoever
// asks for it; hub-trouble to administrators).
var Subscribable = []Kind{Exposure, Regression, Critical, Fixed, Silent, AgentEnrolled, AgentRevoked, Incident}

// ParseKind accepts one of Kinds.
func ParseKind(s string) (Kind, error) {
	if slices.Contains(Kinds, Kind(s)) {
		return Kind(s), nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("événement inconnu %q (connus : %s)", s, strings.Join(names, ", "))
}

// DigestType is the "type" of a webhook body gathering several events
// (and what the delivery log calls a digest).
const DigestType = "digest"

// kindNames are the events in words, French then English (the pages
// follow the reader's language; mails are in French).
var kindNames = map[Kind][2]string{
	Exposure:      {"Exposition à un avis CERT-FR", "Exposure to a CERT-FR advisory"},
	Regression:    {"Baisse de niveau d'un poste", "Host level drop"},
	Critical:      {"Vérification critique en échec", "Critical check failing"},
	Fixed:         {"Corrigé", "Fixed"},
	Silent:        {"Entité silencieuse", "Silent entity"},
	AgentEnrolled: {"Nouvel agent enrôlé", "New agent enrolled"},
	AgentRevoked:  {"Agent révoqué", "Agent revoked"},
	Incident:      {"Incident déclaré", "Incident reported"},
	HubTrouble:    {"Problème du hub", "Hub trouble"},
	Test:          {"Alerte de test", "Test alert"},
	DigestType:    {"Récapitulatif", "Digest"},
}

// Name is the event in words in lang ("fr" or "en"; French otherwise);
// an unknown event is its identifier.
func (k Kind) Name(lang string) string {
	n, ok := kindNames[k]
	switch {
	case !ok:
		return string(k)
	case lang == "en":
		return n[1]
	}
	return n[0]
}

// Data is an event's content: the "data" member of a webhook body
// (docs/alerts.md) and what a mail says. Members absent from an event
// are left out.
type Data struct {
	// Entity and Host are what the event is about.
	Entity *EntityRef `json:"entity,omitempty"`
	Host   *HostRef   `json:"host,omitempty"`
	// Level: regression (from, to).
	Level *LevelChange `json:"level,omitempty"`
	// Checks: critical (the checks newly failing), fixed (those fixed).
	Checks []string `json:"checks,omitempty"`
	// Advisory and Exposed: exposure, fixed (an exposure gone).
	Advisory *AdvisoryRef  `json:"advisory,omitempty"`
	Exposed  []ExposedHost `json:"exposed_hosts,omitempty"`
	// Fixes: fixed, what had alerted: "critical" or "exposure".
	Fixes Kind `json:"fixes,omitempty"`
	// Rebaseline: a quiet event (digest only) saying why the baseline
	// moved without an alert: "agent-version" (the scoring rules come
	// with the agent) or "check-version".
	Rebaseline string `json:"rebaseline,omitempty"`
	// AgentVersion: the agent's version before and after, on a re-baseline.
	AgentVersion *VersionChange `json:"agent_version,omitempty"`
	// SilentDays and LastSeen: silent.
	SilentDays int        `json:"silent_days,omitempty"`
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	// Message: test and hub-trouble, in French.
	Message string `json:"message,omitempty"`
	// URL is the hub page concerned.
	URL string `json:"url,omitempty"`
}

// EntityRef names an entity.
type EntityRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Sector string `json:"sector"`
}

// HostRef names a host.
type HostRef struct {
	AgentID  string `json:"agent_id"`
	Hostname string `json:"hostname"`
}

// LevelChange is a maturity level before and after (0-4) with its names.
type LevelChange struct {
	From     int    `json:"from"`
	To       int    `json:"to"`
	FromName string `json:"from_name"`
	ToName   string `json:"to_name"`
}

// VersionChange is a version before and after.
type VersionChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// AdvisoryRef names a CERT-FR advisory.
type AdvisoryRef struct {
	ID        string    `json:"id"` // CERTFR-2025-AVI-0123
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Published time.Time `json:"published"`
	Revised   time.Time `json:"revised,omitzero"`
}

// ExposedHost is a host exposed to an advisory and what exposes it.
type ExposedHost struct {
	AgentID  string `json:"agent_id"`
	Hostname string `json:"hostname"`
	Product  string `json:"product"`
	Version  string `json:"version"`
}

// Body is a webhook's JSON body (Standard Webhooks' recommended shape).
type Body struct {
	Type      string    `json:"type"` // the Kind, or "digest"
	Timestamp time.Time `json:"timestamp"`
	EventID   int64     `json:"event_id,omitempty"`
	Quiet     bool      `json:"quiet,omitempty"`
	Data      *Data     `json:"data,omitempty"`
	// Events: a digest's events, oldest first (type "digest": the alerts
	// beyond a webhook's hourly cap, gathered; docs/alerts.md).
	Events []Body `json:"events,omitempty"`
}

func decodeData(b []byte) (*Data, error) {
	var d Data
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("event data: %w", err)
	}
	return &d, nil
}
