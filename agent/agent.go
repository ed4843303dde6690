package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// Options are the agent's injected dependencies; zero values are the real ones.
type Options struct {
	Log   *slog.Logger
	Clock Clock
	Rand  Rand
	// Host is the machine to scan (default livehost.New()).
	Host *checks.Host
	// Scan replaces the scan (tests, benchmarks); default runs Scan.
	Scan func(ctx context.Context, opt ScanOptions) (*protocol.Scorecard, error)
	// Inventory collects the software inventory (optional).
	Inventory func(ctx context.Context, h *checks.Host) ([]protocol.Package, error)
	// UploadTimeout bounds one upload request (default 60 s).
	UploadTimeout time.Duration
	// Backoff overrides the retry policy (default 30 s to 6 h).
	Backoff *Backoff
	// OfflineDir, when set, is where scorecards are written (encrypted to
	// the hub) instead of uploaded, whatever the configuration's mode:
	// vigie scan --offline-out.
	OfflineDir string
	// MaxWait caps one sleep of the service loop so that a wall-clock jump
	// or a host suspend (monotonic timers stop during suspend) delays a
	// due scan by at most this much (default 5 min).
	MaxWait time.Duration
}

// Agent is the service body: scan on schedule, sign, spool, deliver.
type Agent struct {
	cfg   *Config
	opt   Options
	log   *slog.Logger
	key   ed25519.PrivateKey
	spool *Spool
	sched Schedule
	back  Backoff

	mu        sync.Mutex // one cycle or flush at a time
	attempt   int        // consecutive retryable failures
	notBefore time.Time  // no upload before (backoff)
	pending   []pendingCard
	uploader  *Uploader
	upFor     string // state (hub, pin, agent) the uploader was built for

	ofs        offlineFS // the offline folder's file system (tests replace it)
	offlineErr string    // last offline write failure logged
}

// pendingCard is a signed scorecard the spool could not store (disk full):
// kept in memory and retried, so a full disk loses nothing while the
// process lives.
type pendingCard struct {
	seq  uint64
	id   string
	data []byte
}

const maxPending = 16

// New prepares the agent: loads (or creates) the key and opens the spool. It
// does not need enrolment: an agent not yet enrolled scans and spools, and
// delivers once enrolled.
func New(cfg *Config, opt Options) (*Agent, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Clock == nil {
		opt.Clock = SystemClock{}
	}
	if opt.Rand == nil {
		opt.Rand = DefaultRand
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 5 * time.Minute
	}
	key, _, err := keystore.LoadOrCreateKey(filepath.Join(cfg.StateDir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("clé de l'agent : %w", err)
	}
	pub := key.Public().(ed25519.PublicKey)
	sp, err := OpenSpool(filepath.Join(cfg.StateDir, SpoolDir), cfg.Spool.MaxFiles, cfg.Spool.MaxBytes, pub, opt.Log)
	if err != nil {
		return nil, err
	}
	b := Backoff{Rand: opt.Rand}
	if opt.Backoff != nil {
		b = *opt.Backoff
	}
	return &Agent{
		cfg: cfg, opt: opt, log: opt.Log, key: key, spool: sp, back: b, ofs: osFS{},
		sched: Schedule{Interval: cfg.Schedule.Interval, Splay: cfg.Schedule.Splay, Rand: opt.Rand},
	}, nil
}

// followKey loads the key on disk when the state names another agent than
// the key in memory: `vigie enroll` made a new key (after a revocation)
// while this process ran. A key on disk that does not match is left alone.
func (a *Agent) followKey(st *State) {
	if st.AgentID == "" || st.AgentID == a.AgentID() {
		return
	}
	data, err := os.ReadFile(filepath.Join(a.cfg.StateDir, KeyFile))
	if err != nil {
		a.log.Error("nouvelle clé de l'agent illisible", "err", err)
		return
	}
	k, err := protocol.ParsePrivateKey(data)
	if err != nil || protocol.KeyID(k.Public().(ed25519.PublicKey)) != st.AgentID {
		a.log.Error("la clé de l'agent ne correspond pas à l'identifiant inscrit : réinscrivez l'agent (vigie enroll)", "agent", st.AgentID, "err", err)
		return
	}
	a.key = k
	a.spool.SetKey(k.Public().(ed25519.PublicKey))
	a.log.Info("nouvelle clé de l'agent prise en compte", "agent", st.AgentID)
}

// AgentID is the agent's ID (derived from its key).
func (a *Agent) AgentID() string { return protocol.KeyID(a.key.Public().(ed25519.PublicKey)) }

// Spool exposes the agent's spool (status, tests).
func (a *Agent) Spool() *Spool { return a.spool }

// Cycle runs one scan now, signs it, spools it, records it in the state and
// tries to deliver everything spooled. It is what the schedule triggers and
// what `vigie scan --now` calls. The scorecard is returned even when
// delivery failed (it stays in the spool).
func (a *Agent) Cycle(ctx context.Context) (*protocol.Scorecard, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sc, err := a.scanSignSpool(ctx)
	if err != nil {
		return nil, err
	}
	a.flushLocked(ctx, sc)
	return sc, nil
}

func (a *Agent) scanSignSpool(ctx context.Context) (*protocol.Scorecard, error) {
	st, err := LoadState(a.cfg.StateDir)
	if err != nil {
		return nil, err
	}
	a.followKey(st)
	seq, err := NextSequence(a.cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("numéro de séquence : %w", err)
	}
	so := ScanOptions{
		Targets:  a.cfg.Targets(),
		Run:      checks.RunOptions{Timeout: a.cfg.Scan.Timeout, Concurrency: max(2, runtime.NumCPU())},
		AgentID:  a.AgentID(),
		Sequence: seq,
		Assets:   a.cfg.DeclaredAssets(),
	}
	so.Entity, so.Targets.Sector = st.HubIdentity(a.cfg.Entity, so.Targets.Sector)
	if ans, err := LoadAnswers(a.cfg.StateDir); err != nil {
		a.log.Warn("réponses au questionnaire ignorées", "err", err)
	} else {
		so.Targets.Answers = MergeAnswers(a.cfg.Answers, ans)
	}
	start := a.opt.Clock.Now()
	var sc *protocol.Scorecard
	if a.opt.Scan != nil {
		sc, err = a.opt.Scan(ctx, so)
	} else {
		h := a.opt.Host
		if h == nil {
			h = livehost.New()
		}
		so.Inventory = a.opt.Inventory
		if so.Inventory == nil {
			so.Inventory = Software
		}
		sc = Scan(ctx, h, so)
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		// An interrupted scan is incomplete: never signed, never sent. Its
		// sequence number is simply skipped.
		UpdateState(a.cfg.StateDir, func(s *State) error { s.LastScanError = err.Error(); return nil })
		return nil, fmt.Errorf("analyse : %w", err)
	}
	sc.AgentID, sc.Sequence = a.AgentID(), seq
	full := trimInventory(sc, st, start)
	env, err := protocol.SignScorecard(sc, a.key)
	if err != nil {
		return nil, err
	}
	if len(env) > protocol.MaxEnvelopeSize && full {
		// The hub would refuse the whole scorecard: send it without the
		// inventory rather than not at all.
		a.log.Error("inventaire logiciel trop volumineux pour être envoyé : bilan envoyé sans lui", "packages", len(sc.Software), "bytes", len(env))
		sc.Software, sc.SoftwareSHA256, full = nil, "", false
		if env, err = protocol.SignScorecard(sc, a.key); err != nil {
			return nil, err
		}
	}
	if full {
		if _, err := UpdateState(a.cfg.StateDir, func(s *State) error {
			s.Inventory.PendingSequence, s.Inventory.PendingSHA256, s.Inventory.PendingAt = seq, sc.SoftwareSHA256, start.UTC()
			return nil
		}); err != nil {
			a.log.Warn("état de l'inventaire non enregistré (il sera renvoyé en entier)", "err", err)
		}
	}
	a.spoolOrKeep(pendingCard{seq: seq, id: sc.ID, data: env})
	a.log.Info("analyse terminée", "sequence", seq, "score", sc.Score, "level", int(sc.Level),
		"duration", a.opt.Clock.Now().Sub(start).Round(time.Millisecond))
	// The state records the scan together with the delivery that follows
	// (one write, one fsync less per cycle).
	return sc, nil
}

// spoolOrKeep writes pending cards then c to the spool, in order; what the
// disk refuses stays in memory.
func (a *Agent) spoolOrKeep(c pendingCard) {
	if c.data != nil {
		a.pending = append(a.pending, c)
	}
	for len(a.pending) > 0 {
		p := a.pending[0]
		if err := a.spool.Put(p.seq, p.id, p.data); err != nil {
			a.log.Error("bilan non écrit dans la file d'envoi (disque plein ?) : gardé en mémoire et réessayé", "sequence", p.seq, "err", err, "in_memory", len(a.pending))
			break
		}
		a.pending = a.pending[1:]
	}
	if len(a.pending) > maxPending {
		a.log.Error("trop de bilans en mémoire faute de place sur le disque : le plus ancien est abandonné", "sequence", a.pending[0].seq)
		a.pending = a.pending[1:]
	}
}

// Run is the service loop: deliver what is spooled, then scan on schedule
// and retry deliveries with backoff, until ctx is cancelled. Between events
// it sleeps: no CPU is used between scans.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("service Vigie démarré", "version", Version, "agent_id", a.AgentID(),
		"interval", a.cfg.Schedule.Interval, "splay", a.cfg.Schedule.Splay)
	a.Flush(ctx)
	st, err := LoadState(a.cfg.StateDir)
	if err != nil {
		return err
	}
	a.announceOffline(st)
	next := a.sched.Next(st.LastScan, a.opt.Clock.Now())
	a.log.Info("prochaine analyse", "at", next.Format(time.RFC3339))
	for {
		now := a.opt.Clock.Now()
		wake := next
		a.mu.Lock()
		retryAt := a.notBefore
		waiting := len(a.pending) > 0
		a.mu.Unlock()
		if !waiting {
			files, _, _ := a.spool.Stats()
			waiting = files > 0
		}
		if waiting && !retryAt.IsZero() && retryAt.Before(wake) {
			wake = retryAt
		}
		d := min(max(wake.Sub(now), 0), a.opt.MaxWait)
		ch, stop := a.opt.Clock.After(d)
		select {
		case <-ctx.Done():
			stop()
			a.log.Info("service Vigie arrêté")
			return nil
		case <-ch:
		}
		now = a.opt.Clock.Now()
		if !now.Before(next) {
			if _, err := a.Cycle(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("analyse en échec", "err", err)
			}
			next = a.sched.Next(a.opt.Clock.Now(), a.opt.Clock.Now())
			a.log.Info("prochaine analyse", "at", next.Format(time.RFC3339))
		} else if waiting && !now.Before(retryAt) {
			// Due retry, or files waiting since before enrolment: a pass
			// every MaxWait at most, cheap when blocked.
			a.Flush(ctx)
		}
	}
}

func decodeJSON(r io.Reader, v any) error {
	return json.NewDecoder(io.LimitReader(r, protocol.MaxReplySize)).Decode(v)
}
