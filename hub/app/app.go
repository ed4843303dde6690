// Package app is the hub's service layer: the rules both of its faces
// apply, the advisers' web interface (hub/web) and the command line
// (cmd/vigie-hub). It creates enrolment tokens and the entities they name,
// adds accounts, revokes agents, aggregates the region overview, reads a
// stored scorecard for display and exports the hosts; each change is written
// to the audit log. The faces only parse their input (forms, flags) and
// present the result; the store only keeps what it is given.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Config holds the service's dependencies and settings.
type Config struct {
	Store store.Store
	Now   func() time.Time // default time.Now
	// SilentDays: an entity with no report for longer is listed as silent (default 30).
	SilentDays int
	// MinAggregate: aggregates over fewer entities are hidden (default 5).
	MinAggregate int
	Logger       *slog.Logger
	// Rank is a measure's fixed rank in the restitution (the guidance
	// catalogue's, checks.Guidance.Rank), 0 when unranked; nil ranks
	// nothing (report.Prioritise).
	Rank func(checkID string) int
	// Alerts is the alert engine (nil: no test alert, no file webhooks).
	Alerts Alerter
}

// App applies the hub's rules over its store.
type App struct {
	cfg    Config
	log    *slog.Logger
	levels levelCache
	ad     adMemo // AD levels read from stored scorecards (ad.go)
}

// New returns the service, with defaults for what cfg leaves out.
func New(cfg Config) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SilentDays <= 0 {
		cfg.SilentDays = 30
	}
	if cfg.MinAggregate <= 0 {
		cfg.MinAggregate = 5
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Rank == nil {
		cfg.Rank = func(string) int { return 0 }
	}
	return &App{cfg: cfg, log: cfg.Logger, levels: levelCache{m: map[int64]cachedLevel{}}}
}

// Store is the store the service works on (for the reads that need no
// rule: sessions, the audit log, lists).
func (a *App) Store() store.Store { return a.cfg.Store }

// Now is the service's clock.
func (a *App) Now() time.Time { return a.cfg.Now() }

// SilentDays and MinAggregate are the overview's settings.
func (a *App) SilentDays() int   { return a.cfg.SilentDays }
func (a *App) MinAggregate() int { return a.cfg.MinAggregate }

// Record writes one line of the audit log; a failure is logged, not
// returned: the action it records has already happened.
func (a *App) Record(ctx context.Context, actor, action, target, detail string) {
	if err := a.cfg.Store.Audit(ctx, store.AuditEntry{At: a.cfg.Now(), Actor: actor, Action: action, Target: target, Detail: detail}); err != nil {
		a.log.Error("audit", "action", action, "err", err)
	}
}

// ErrBadInput is an administrator's entry the hub refuses, with the reason
// in French.
var ErrBadInput = errors.New("saisie refusée")

// CheckEntity refuses an entity name that is empty, longer than 200 bytes
// or holds control characters or invalid UTF-8 (PostgreSQL refuses NUL and
// invalid UTF-8; a line break would break the CSV export's rows and the
// audit log's lines), and a sector that is not one of protocol.Sectors,
// where a typo would silently make a new sector in the region's statistics.
func CheckEntity(name, sector string) error {
	if name == "" || len(name) > 200 || !printable(name) {
		return fmt.Errorf("%w : nom d'entité vide, trop long (200 octets au plus) ou avec des caractères de contrôle", ErrBadInput)
	}
	if _, err := protocol.ParseSector(sector); err != nil {
		return fmt.Errorf("%w : %v", ErrBadInput, err)
	}
	return nil
}

// CheckEmail refuses an account address without "@", longer than 200
// bytes, or with control characters or invalid UTF-8.
func CheckEmail(email string) error {
	if !strings.Contains(email, "@") || len(email) > 200 || !printable(email) {
		return fmt.Errorf("%w : adresse électronique invalide", ErrBadInput)
	}
	return nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
