// Package tls assesses TLS endpoints the way testssl.sh and sslscan do,
// in about a second: protocol versions (SSLv2 to TLS 1.3, with hand-built
// ClientHello messages for what Go's crypto/tls will not speak), accepted
// cipher suites and the server's preference, key-exchange strength, the
// certificate (expiry, chain, name, key, signature, OCSP stapling), STARTTLS
// on mail ports, HSTS on web ports, and a verdict against ANSSI's TLS guide
// and Mozilla's profiles.
//
// One assessment per endpoint is shared by all the checks of that endpoint.
// Every connection goes through Host.Dialer and every step has a deadline.
package tls

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Config says what to assess.
type Config struct {
	// Endpoints are "host:port" (or "smtp://host:587", "https://host"...).
	Endpoints []string
	// RootCAs verifies chains; nil means the system roots.
	RootCAs *x509.CertPool
	// ScanListeners assesses the host's own listening TCP ports that speak
	// TLS when no endpoint is given.
	ScanListeners bool
	// StepTimeout is the deadline of every network step (default 3 s).
	StepTimeout time.Duration
	// Budget bounds the whole assessment of one endpoint (default 30 s).
	Budget time.Duration
	// Parallel bounds connections at once to one endpoint (default 6).
	Parallel int
}

func (c Config) withDefaults() Config {
	if c.StepTimeout <= 0 {
		c.StepTimeout = 3 * time.Second
	}
	if c.Budget <= 0 {
		c.Budget = 30 * time.Second
	}
	if c.Parallel <= 0 {
		c.Parallel = 6
	}
	return c
}

// check is one check ID for one endpoint (or for the host's listeners when
// target is empty).
type check struct {
	meta  checks.Meta
	a     *assessor
	ep    *endpoint // nil: the host's own listening ports
	epErr error     // a configured endpoint that does not parse
	judge judgeFunc
}

type judgeFunc func(a *Assessment, env judgeEnv) protocol.Result

// judgeEnv is what a judge needs besides the assessment.
type judgeEnv struct {
	Now   time.Time
	Roots *x509.CertPool
}

func (c *check) Meta() checks.Meta { return c.meta }

func (c *check) Run(ctx context.Context, h *checks.Host) protocol.Result {
	env := judgeEnv{Now: time.Now(), Roots: c.a.cfg.RootCAs}
	if h.Now != nil {
		env.Now = h.Now()
	}
	if c.epErr != nil {
		return checks.Errored(protocol.Textf("point d'accès TLS mal écrit", "malformed TLS endpoint"), c.epErr)
	}
	if c.ep != nil {
		a, err := c.a.get(ctx, h, *c.ep)
		if err != nil {
			return checks.Errored(protocol.Textf("analyse TLS de %s interrompue", "TLS assessment of %s interrupted", c.ep.Target), err)
		}
		return judgeOne(a, env, c.judge)
	}
	list, probed, err := c.a.discover(ctx, h)
	if err != nil {
		return checks.Errored(protocol.Textf("liste des ports en écoute", "listening ports"), err)
	}
	if len(list) == 0 {
		return checks.Skipped(protocol.Textf(
			"aucun port de cette machine ne répond en TLS (%d ports TCP en écoute essayés)",
			"no port of this host answers TLS (%d listening TCP ports tried)", probed))
	}
	return combine(list, env, c.judge)
}

// judgeOne handles what every check shares: an endpoint that could not be
// assessed, or a mail server without STARTTLS.
func judgeOne(a *Assessment, env judgeEnv, j judgeFunc) protocol.Result {
	if a.Err != nil {
		return checks.Errored(bi(fmt.Sprintf("%s n'a pas pu être analysé (%s)", a.Endpoint.Target, errKindFR(a.Err)),
			fmt.Sprintf("%s could not be assessed (%s)", a.Endpoint.Target, errKindEN(a.Err))), a.Err)
	}
	return j(a, env)
}

// combine merges the results of several local endpoints into one: the
// worst status wins and the evidence names every port.
func combine(list []*Assessment, env judgeEnv, j judgeFunc) protocol.Result {
	rank := map[protocol.Status]int{protocol.Fail: 0, protocol.Error: 1, protocol.Warn: 2, protocol.Pass: 3, protocol.NotApplicable: 4}
	out := protocol.Result{Status: protocol.NotApplicable}
	var fr, en []string
	facts := map[string]any{}
	for _, a := range list {
		r := judgeOne(a, env, j)
		if rank[r.Status] < rank[out.Status] {
			out.Status = r.Status
		}
		fr = append(fr, a.Endpoint.Target+" : "+r.Evidence.FR)
		en = append(en, a.Endpoint.Target+": "+r.Evidence.EN)
		facts[a.Endpoint.Target] = r.Facts
	}
	out.Evidence = protocol.Text{FR: strings.Join(fr, " ; "), EN: strings.Join(en, "; ")}
	out.Facts = map[string]any{"endpoints": facts}
	return out
}

// errKindFR and errKindEN name why an endpoint could not be assessed.
func errKindFR(err error) string {
	var pe *probeError
	if errors.As(err, &pe) {
		switch pe.Kind {
		case "unreachable":
			return "connexion impossible : port fermé, filtré ou machine éteinte"
		case "silent":
			return "le service ne répond pas"
		case "stalled":
			return "le service s'est bloqué au milieu de la négociation TLS"
		case "not-tls":
			return "le service ne parle pas TLS"
		case "starttls":
			return "le dialogue de messagerie avant STARTTLS a échoué"
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "délai dépassé"
	}
	return "erreur de protocole"
}

func errKindEN(err error) string {
	var pe *probeError
	if errors.As(err, &pe) {
		switch pe.Kind {
		case "unreachable":
			return "cannot connect: port closed, filtered or host down"
		case "silent":
			return "the service does not answer"
		case "stalled":
			return "the service stalled in the middle of the TLS handshake"
		case "not-tls":
			return "the service does not speak TLS"
		case "starttls":
			return "the mail dialogue before STARTTLS failed"
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "deadline exceeded"
	}
	return "protocol error"
}

// Checks returns the TLS checks for cfg: every check for every configured
// endpoint, or, with no endpoint and ScanListeners, every check once for the
// host's own listening TLS ports.
func Checks(cfg Config) []checks.Check {
	cfg = cfg.withDefaults()
	a := &assessor{cfg: cfg, entries: map[string]*entry{}}
	var out []checks.Check
	add := func(ep *endpoint, epErr error, target string) {
		for _, d := range definitions {
			m := d.meta
			m.Target = target
			m.Timeout = cfg.Budget + 5*time.Second
			out = append(out, &check{meta: m, a: a, ep: ep, epErr: epErr, judge: d.judge})
		}
	}
	seen := map[string]bool{}
	for _, s := range cfg.Endpoints {
		ep, err := parseEndpoint(s)
		target := ep.Target
		if err != nil {
			target = strings.TrimSpace(s)
		}
		if seen[target] {
			continue
		}
		seen[target] = true
		if err != nil {
			add(nil, err, target)
			continue
		}
		add(&ep, nil, target)
	}
	if len(cfg.Endpoints) == 0 && cfg.ScanListeners {
		add(nil, nil, "")
	}
	return out
}

// assessor runs each endpoint's assessment once and shares it between the
// checks of that endpoint; results are kept for a few minutes so that a
// long-lived check list does not report stale findings.
type assessor struct {
	cfg     Config
	mu      sync.Mutex
	entries map[string]*entry
	local   *localEntry
}

type entry struct {
	done chan struct{}
	at   time.Time
	a    *Assessment
}

type localEntry struct {
	done   chan struct{}
	at     time.Time
	list   []*Assessment
	probed int
	err    error
}

const memoTTL = 2 * time.Minute

func (as *assessor) opts() scanOptions {
	return scanOptions{Step: as.cfg.StepTimeout, Parallel: as.cfg.Parallel}
}

// scanCtx detaches the assessment from the first caller's cancellation
// (the other checks of the endpoint wait for it) and bounds it by Budget.
func (as *assessor) scanCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), as.cfg.Budget)
}

func (as *assessor) get(ctx context.Context, h *checks.Host, ep endpoint) (*Assessment, error) {
	as.mu.Lock()
	e, ok := as.entries[ep.Target]
	if !ok || (time.Since(e.at) > memoTTL && isDone(e.done)) {
		e = &entry{done: make(chan struct{}), at: time.Now()}
		as.entries[ep.Target] = e
		go func() {
			sctx, cancel := as.scanCtx(ctx)
			defer cancel()
			e.a = assess(sctx, h.Dialer, ep, as.opts())
			close(e.done)
		}()
	}
	as.mu.Unlock()
	select {
	case <-e.done:
		return e.a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// maxLocalPorts bounds how many listening ports are tried.
const maxLocalPorts = 128

// discover tries every listening TCP port of the host and assesses those
// that speak TLS (or STARTTLS on mail ports).
func (as *assessor) discover(ctx context.Context, h *checks.Host) ([]*Assessment, int, error) {
	as.mu.Lock()
	e := as.local
	if e == nil || (time.Since(e.at) > memoTTL && isDone(e.done)) {
		e = &localEntry{done: make(chan struct{}), at: time.Now()}
		as.local = e
		go func() {
			sctx, cancel := as.scanCtx(ctx)
			defer cancel()
			e.list, e.probed, e.err = as.scanLocal(sctx, h)
			close(e.done)
		}()
	}
	as.mu.Unlock()
	select {
	case <-e.done:
		return e.list, e.probed, e.err
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
}

func (as *assessor) scanLocal(ctx context.Context, h *checks.Host) ([]*Assessment, int, error) {
	if h.Facts == nil {
		return nil, 0, errors.New("no host facts")
	}
	ls, err := h.Facts.Listeners(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("listening sockets: %w", err)
	}
	byPort := map[int]endpoint{}
	for _, l := range ls {
		if l.Proto != "tcp" && l.Proto != "tcp6" || l.Port <= 0 || l.Port > 65535 {
			continue
		}
		ep := localEndpoint(l.Address, l.Port)
		if old, ok := byPort[l.Port]; ok && (old.Host == "127.0.0.1" || !strings.Contains(ep.Host, ".")) {
			continue // one address per port is enough; prefer IPv4 loopback
		}
		byPort[l.Port] = ep
	}
	ports := make([]int, 0, len(byPort))
	for p := range byPort {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	if len(ports) > maxLocalPorts {
		ports = ports[:maxLocalPorts]
	}
	opt := as.opts()
	if opt.Step > time.Second {
		opt.Step = time.Second // loopback: a TLS service answers in milliseconds
	}
	opt.Gentle = true
	var mu sync.Mutex
	var wg sync.WaitGroup
	var out []*Assessment
	sem := make(chan struct{}, 16)
	for _, p := range ports {
		ep := byPort[p]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a := assess(ctx, h.Dialer, ep, opt)
			if a.Err != nil {
				return // not TLS, silent, closed: not a TLS service of this host
			}
			mu.Lock()
			out = append(out, a)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint.Port < out[j].Endpoint.Port })
	return out, len(ports), nil
}

// Assess runs the whole assessment of one endpoint outside the check
// runner, for tools and benchmarks (bench/tls-vs-sslscan.sh).
func Assess(ctx context.Context, d checks.Dialer, target string, cfg Config) (*Assessment, error) {
	ep, err := parseEndpoint(target)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Budget)
	defer cancel()
	a := assess(ctx, d, ep, scanOptions{Step: cfg.StepTimeout, Parallel: cfg.Parallel})
	return a, a.Err
}

// AcceptedSuites lists the accepted suites by protocol version, in the
// order the server chose them.
func (a *Assessment) AcceptedSuites() map[string][]string {
	out := map[string][]string{}
	for _, s := range a.suites() {
		out[versionName(s.V)] = append(out[versionName(s.V)], s.S.Name)
	}
	return out
}
