// Package hubtest makes signed scorecards and test agents for the hub's
// tests and benchmarks, with protocol.Sign as a real agent does (it never
// imports agent/).
package hubtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// Catalogue is a plausible set of checks across every domain, with real
// check IDs (TestCatalogueIDsAreRegistered) so pages show real guidance.
var Catalogue = []checks.Meta{
	{ID: "patch.security-pending", Domain: protocol.DomainPatch, Severity: protocol.Critical},
	{ID: "patch.pending-updates", Domain: protocol.DomainPatch, Severity: protocol.Medium},
	{ID: "patch.last-update", Domain: protocol.DomainPatch, Severity: protocol.High},
	{ID: "patch.reboot-pending", Domain: protocol.DomainPatch, Severity: protocol.Medium},
	{ID: "patch.auto-updates", Domain: protocol.DomainPatch, Severity: protocol.High},
	{ID: "patch.os-support", Domain: protocol.DomainPatch, Severity: protocol.Critical},
	{ID: "backup.recent", Domain: protocol.DomainBackup, Severity: protocol.Critical},
	{ID: "backup.separate-disk", Domain: protocol.DomainBackup, Severity: protocol.High},
	{ID: "org.offline-backup", Domain: protocol.DomainOrganisation, Severity: protocol.High, Declared: true},
	{ID: "org.restore-test", Domain: protocol.DomainOrganisation, Severity: protocol.Medium, Declared: true},
	{ID: "hygiene.firewall", Domain: protocol.DomainHygiene, Severity: protocol.High},
	{ID: "hygiene.exposed-ports", Domain: protocol.DomainHygiene, Severity: protocol.Critical},
	{ID: "hygiene.smb1", Domain: protocol.DomainHygiene, Severity: protocol.High},
	{ID: "hygiene.ssh", Domain: protocol.DomainHygiene, Severity: protocol.Medium},
	{ID: "hygiene.local-admins", Domain: protocol.DomainHygiene, Severity: protocol.Medium},
	{ID: "hygiene.disk-encryption", Domain: protocol.DomainHygiene, Severity: protocol.Medium},
	{ID: "hygiene.antivirus", Domain: protocol.DomainHygiene, Severity: protocol.High},
	{ID: "hygiene.time-sync", Domain: protocol.DomainHygiene, Severity: protocol.Low},
	{ID: "hygiene.logs-persistent", Domain: protocol.DomainHygiene, Severity: protocol.Low},
	{ID: "tls.protocol-legacy", Domain: protocol.DomainTLS, Severity: protocol.High, Target: "mairie.example:443"},
	{ID: "tls.cert-expiry", Domain: protocol.DomainTLS, Severity: protocol.High, Target: "mairie.example:443"},
	{ID: "tls.ciphers-weak", Domain: protocol.DomainTLS, Severity: protocol.Medium, Target: "mairie.example:443"},
	{ID: "tls.hsts", Domain: protocol.DomainTLS, Severity: protocol.Low, Target: "mairie.example:443"},
	{ID: "dns.dnssec-chain", Domain: protocol.DomainDNS, Severity: protocol.Medium, Target: "mairie.example"},
	{ID: "dns.spf", Domain: protocol.DomainDNS, Severity: protocol.Medium, Target: "mairie.example"},
	{ID: "dns.dmarc", Domain: protocol.DomainDNS, Severity: protocol.High, Target: "mairie.example"},
	{ID: "dns.ns-diversity", Domain: protocol.DomainDNS, Severity: protocol.Low, Target: "mairie.example"},
	{ID: "org.incident-contact", Domain: protocol.DomainOrganisation, Severity: protocol.Medium, Declared: true},
	{ID: "org.mfa-mail", Domain: protocol.DomainOrganisation, Severity: protocol.High, Declared: true},
	{ID: "org.awareness", Domain: protocol.DomainOrganisation, Severity: protocol.Low, Declared: true},
	{ID: "org.inventory", Domain: protocol.DomainOrganisation, Severity: protocol.Medium, Declared: true},
}

// Agent is a test agent: an Ed25519 key and its sequence counter.
type Agent struct {
	Key ed25519.PrivateKey
	ID  string
	Seq uint64
	// Quality biases results: 0 fails most checks, 1 passes most.
	Quality float64
	// Packages is the size of the software inventory in each scorecard:
	// 2 by default; a Debian server reports 500 to 1,500.
	Packages int
	Host     protocol.HostInfo
	// Software, when set, is the inventory every scorecard carries in
	// place of the generated one; Assets are the declared appliances.
	Software []protocol.Package
	Assets   []protocol.Asset
	// Override sets the status of the named checks in every scorecard
	// built, whatever Quality draws.
	Override map[string]protocol.Status
	rnd      *rand.Rand
}

// NewAgent makes an agent with a deterministic key from seed.
func NewAgent(seed uint64, quality float64) *Agent {
	var s [32]byte
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for i := range s {
		s[i] = byte(r.Uint32())
	}
	k := ed25519.NewKeyFromSeed(s[:])
	a := &Agent{Key: k, ID: protocol.KeyID(k.Public().(ed25519.PublicKey)), Quality: quality, rnd: r}
	a.Host = protocol.HostInfo{Hostname: fmt.Sprintf("poste-%04d", seed%10000), OS: "linux", Platform: "debian",
		PlatformFamily: "debian", PlatformVersion: "12.7", KernelVersion: "6.1.0-26-amd64", Arch: "amd64"}
	if seed%3 == 0 {
		a.Host = protocol.HostInfo{Hostname: fmt.Sprintf("PC-ACCUEIL-%02d", seed%100), OS: "windows",
			Platform: "Microsoft Windows 11 Professionnel", PlatformFamily: "Standalone Workstation", PlatformVersion: "10.0.22631 Build 22631", Arch: "amd64"}
	}
	return a
}

// Public returns the base64 public key as enrolment sends it.
func (a *Agent) Public() string {
	return protocol.EncodePublicKey(a.Key.Public().(ed25519.PublicKey))
}

// Next builds the agent's next scorecard (sequence incremented first, as
// the agent does), finished at `at`.
func (a *Agent) Next(at time.Time) *protocol.Scorecard {
	a.Seq++
	return a.Build(a.Seq, at)
}

// Build builds a scored scorecard with sequence seq.
func (a *Agent) Build(seq uint64, at time.Time) *protocol.Scorecard {
	cs := make([]checks.Check, len(Catalogue))
	rs := make([]protocol.Result, len(Catalogue))
	for i, m := range Catalogue {
		m := m
		cs[i] = checks.Func{M: m}
		var r protocol.Result
		x := a.rnd.Float64()
		switch {
		case x < a.Quality:
			r = checks.Passed(protocol.Textf("%s : conforme", "%s: compliant", m.ID), map[string]any{"observed": "ok"})
		case x < a.Quality+(1-a.Quality)*0.3:
			r = checks.Warned(protocol.Textf("%s : à surveiller (%d jours)", "%s: to watch (%d days)", m.ID, 12), map[string]any{"days": 12})
		case x < 0.97:
			r = checks.Failed(protocol.Textf("%s : non conforme, 23 paquets en attente dont 4 de sécurité", "%s: not compliant, 23 packages pending, 4 security", m.ID), map[string]any{"pending": 23, "security": 4})
		default:
			r = checks.Skipped(protocol.Textf("sans objet sur ce poste", "not applicable on this host"))
		}
		if st, ok := a.Override[m.ID]; ok {
			r = protocol.Result{Status: st, Evidence: protocol.Textf("%s : %s (imposé)", "%s: %s (set)", m.ID, st)}
		}
		r.ID, r.Version, r.Target, r.Declared = m.ID, 1, m.Target, m.Declared
		r.Duration = 3 * time.Millisecond
		rs[i] = r
	}
	sc := report.Build(report.Scan{Checks: cs, Results: rs, Host: a.Host, StartedAt: at.Add(-40 * time.Second), FinishedAt: at,
		AgentID: a.ID, AgentVersion: "1.0.0", Sequence: seq,
		Software: protocol.SortPackages(a.inventory())})
	// As the agent does (agent/scan.go): the inventory's name, which the
	// hub files it under.
	sc.SoftwareSHA256 = protocol.SoftwareSHA256(sc.Software)
	sc.Assets = a.Assets
	return sc
}

// inventory is the agent's software list: openssl and openssh-server, then
// as many packages with Debian-like names and versions as a.Packages asks.
func (a *Agent) inventory() []protocol.Package {
	if a.Software != nil {
		return append([]protocol.Package(nil), a.Software...)
	}
	pkgs := []protocol.Package{{Name: "openssl", Version: "3.0.15-1~deb12u1", Source: "dpkg"}, {Name: "openssh-server", Version: "1:9.2p1-2+deb12u3", Source: "dpkg"}}
	for i := len(pkgs); i < a.Packages; i++ {
		pkgs = append(pkgs, protocol.Package{Name: fmt.Sprintf("lib%s%d-common", []string{"gnutls", "xml", "python3.11", "systemd", "perl"}[i%5], i),
			Version: fmt.Sprintf("%d.%d.%d-%d+deb12u%d", i%7, i%13, i%29, i%4+1, i%3+1), Source: "dpkg"})
	}
	return pkgs
}

// Sign returns the DSSE envelope JSON of sc signed by the agent.
func (a *Agent) Sign(sc *protocol.Scorecard) []byte {
	env, err := protocol.SignScorecard(sc, a.Key)
	if err != nil {
		panic(err)
	}
	return env
}

// SignPayload signs arbitrary bytes as a scorecard payload.
func (a *Agent) SignPayload(payload []byte) []byte {
	b, err := json.Marshal(protocol.Sign(protocol.PayloadType, payload, a.Key))
	if err != nil {
		panic(err)
	}
	return b
}

// Response is a decoded API reply.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
}

// Code returns error.code of an error reply.
func (r Response) Code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

// Post sends body to url with the agent header (when agentID is not empty).
func Post(ctx context.Context, c *http.Client, url, agentID string, body []byte) (Response, error) {
	return post(ctx, c, url, agentID, bytes.NewReader(body))
}

// PostChunked is Post without a Content-Length (chunked transfer), as a
// client streaming its body would send it.
func PostChunked(ctx context.Context, c *http.Client, url, agentID string, body []byte) (Response, error) {
	return post(ctx, c, url, agentID, struct{ io.Reader }{bytes.NewReader(body)})
}

func post(ctx context.Context, c *http.Client, url, agentID string, body io.Reader) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if agentID != "" {
		req.Header.Set("X-Vigie-Agent", agentID)
	}
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(data, &out.Body); err != nil {
		return out, fmt.Errorf("reply %d is not JSON: %q", resp.StatusCode, data)
	}
	return out, nil
}

// Enroll enrols the agent with token at hub (base URL).
func (a *Agent) Enroll(ctx context.Context, c *http.Client, hub, token string) (Response, error) {
	body, err := protocol.SignEnroll(protocol.EnrollRequest{Token: token, Host: a.Host, AgentVersion: "1.0.0"}, a.Key)
	if err != nil {
		return Response{}, err
	}
	return Post(ctx, c, hub+protocol.PathEnroll, "", body)
}

// Upload posts a signed envelope.
func (a *Agent) Upload(ctx context.Context, c *http.Client, hub string, envelope []byte) (Response, error) {
	return Post(ctx, c, hub+"/api/v1/scorecards", a.ID, envelope)
}

// SignAnswers returns the DSSE envelope JSON of an answers document from
// the agent, answered at `at`.
func (a *Agent) SignAnswers(answers map[string]string, at time.Time) []byte {
	env, err := protocol.SignAnswers(&protocol.Answers{Schema: protocol.AnswersSchema, AgentID: a.ID, AnsweredAt: at,
		Hostname: a.Host.Hostname, AgentVersion: "1.0.0", Answers: answers}, a.Key)
	if err != nil {
		panic(err)
	}
	return env
}

// SendAnswers posts a signed answers envelope.
func (a *Agent) SendAnswers(ctx context.Context, c *http.Client, hub string, envelope []byte) (Response, error) {
	return Post(ctx, c, hub+protocol.PathAnswers, a.ID, envelope)
}
