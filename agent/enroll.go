package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/protocol"
)

// Errors of the agent's own making; the hub's refusals are protocol's
// sentinels (protocol.ErrInvalidToken...), which HubError matches.
var (
	ErrPinMismatch = errors.New("hub identity does not match the pinned one")
	// ErrFingerprintMismatch: at enrolment, the hub's key is not the one
	// the --fingerprint given by its admin names (nothing is pinned yet).
	ErrFingerprintMismatch = errors.New("hub key does not match the fingerprint given")
	// ErrHubIntercepted: at enrolment, the hub announces another key than
	// the one the connection presents (a TLS-inspecting proxy).
	ErrHubIntercepted = errors.New("hub connection intercepted")
	ErrUntrustedHub   = errors.New("hub certificate not trusted")
	ErrNotEnrolled    = errors.New("agent not enrolled")
)

// HubError is an error reply of the hub: {"error":{"code","message","message_en"}}.
type HubError struct {
	Status     int
	Code       string
	Message    string // French
	MessageEN  string
	RetryAfter time.Duration
}

func (e *HubError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = fallbackMessage(e.Status, e.Code)
	}
	return fmt.Sprintf("le hub a répondu %d %s : %s", e.Status, e.Code, msg)
}

// Is maps the hub's error code onto the protocol's sentinel errors.
func (e *HubError) Is(target error) bool {
	s := protocol.ErrorForCode(e.Code)
	return s != nil && s == target
}

func fallbackMessage(status int, code string) string {
	switch code {
	case "invalid_token":
		return "jeton d'inscription inconnu : vérifiez qu'il a été recopié sans erreur, ou demandez-en un nouveau à l'administrateur du hub"
	case "token_expired":
		return "jeton d'inscription expiré : demandez-en un nouveau à l'administrateur du hub"
	case "token_used":
		return "jeton d'inscription déjà utilisé (il ne sert qu'une fois) : demandez-en un nouveau à l'administrateur du hub"
	case "key_enrolled":
		return "cet agent est déjà inscrit pour une autre entité"
	}
	if status >= 500 {
		return "erreur du hub, réessayez plus tard"
	}
	return http.StatusText(status)
}

// readHubError builds a HubError from a non-2xx reply.
func readHubError(resp *http.Response, now time.Time) *HubError {
	e := &HubError{Status: resp.StatusCode, RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now)}
	var body protocol.ErrorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxReplySize))
	if json.Unmarshal(data, &body) == nil {
		e.Code, e.Message, e.MessageEN = protocol.Clip(body.Error.Code, 64), protocol.Clip(body.Error.Message, 500), protocol.Clip(body.Error.MessageEN, 500)
	}
	if e.Code == "" {
		e.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(resp.StatusCode)), " ", "_")
	}
	return e
}

// SPKIFingerprint is the hex SHA-256 of a certificate's SubjectPublicKeyInfo:
// what the agent pins (protocol.SPKISHA256).
func SPKIFingerprint(cert *x509.Certificate) string { return protocol.SPKISHA256(cert) }

// PinnedTLSConfig accepts only a hub whose leaf certificate has the pinned
// SPKI (protocol.PinnedTLSConfig), with the agent's advice on a mismatch.
func PinnedTLSConfig(spki string) *tls.Config {
	return protocol.PinnedTLSConfig(spki, func(seen string) error {
		if seen == "" {
			return fmt.Errorf("%w: no certificate", ErrPinMismatch)
		}
		return fmt.Errorf("%w: le hub présente la clé %s, l'agent a enregistré %s à l'inscription ; "+
			"si le hub a vraiment changé de clé, réinscrivez l'agent (vigie enroll), sinon quelqu'un se fait passer pour le hub",
			ErrPinMismatch, seen, spki)
	})
}

// enrolTLSConfig is the TLS configuration for the first contact: the hub is
// recognised by a fingerprint given by its admin, or a CA file, or the system
// roots; the SPKI actually seen is recorded for pinning.
func enrolTLSConfig(fingerprint, caFile string, seen *string, mu *sync.Mutex) (*tls.Config, error) {
	record := func(cs tls.ConnectionState) {
		if len(cs.PeerCertificates) > 0 {
			mu.Lock()
			*seen = SPKIFingerprint(cs.PeerCertificates[0])
			mu.Unlock()
		}
	}
	if fingerprint != "" {
		// Not PinnedTLSConfig: nothing was memorised yet, the fingerprint
		// is the one just typed, and a mismatch is most often a typo.
		want, _ := hex.DecodeString(fingerprint)
		return &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: true, // replaced by VerifyConnection below
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return fmt.Errorf("%w: no certificate", ErrFingerprintMismatch)
				}
				sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
				if len(want) != sha256.Size || subtle.ConstantTimeCompare(sum[:], want) != 1 {
					return fmt.Errorf("%w: le hub présente la clé %s, l'empreinte indiquée (--fingerprint) est %s ; "+
						"vérifiez qu'elle est recopiée sans erreur depuis vigie-hub serve ; si elle est exacte, un autre serveur se fait passer pour le hub",
						ErrFingerprintMismatch, hex.EncodeToString(sum[:]), fingerprint)
				}
				record(cs)
				return nil
			},
		}, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, VerifyConnection: func(cs tls.ConnectionState) error {
		record(cs)
		return nil
	}}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("fichier d'autorité %s illisible : %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fichier d'autorité %s : aucun certificat PEM", caFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// httpClient builds the client for the hub: bounded timeouts everywhere,
// proxy from the configuration or the environment.
func httpClient(tc *tls.Config, proxy string, timeout time.Duration) (*http.Client, error) {
	proxyFn := http.ProxyFromEnvironment
	if proxy != "" {
		u, err := url.Parse(proxy)
		if err != nil {
			return nil, fmt.Errorf("proxy %q : %w", proxy, err)
		}
		proxyFn = http.ProxyURL(u)
	}
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 proxyFn,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tc,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: timeout,
			IdleConnTimeout:       30 * time.Second,
			MaxIdleConns:          2,
			ForceAttemptHTTP2:     true,
		},
		// A redirect would leave the pinned origin; the protocol has none.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// EnrollOptions is what enrolment needs.
type EnrollOptions struct {
	HubURL string
	Token  string
	// Fingerprint (hex SPKI SHA-256) or CAFile recognise a hub whose
	// certificate the system does not trust; without either the system roots
	// must validate it.
	Fingerprint string
	CAFile      string
	Proxy       string
	StateDir    string
	Host        protocol.HostInfo
	Timeout     time.Duration // whole exchange, default 60 s
	Now         func() time.Time
}

// Enrolment is the outcome of a successful enrolment.
type Enrolment struct {
	AgentID    string
	Entity     string
	Sector     string
	HubSPKI    string
	KeyPath    string
	KeyCreated bool
}

// Enroll creates the agent key if needed (0600 on Linux, SYSTEM and
// Administrators only on Windows), registers its public key with the hub
// using the one-time token, and pins the hub's identity in the state file.
// Re-enrolling keeps the key and the sequence counter.
func Enroll(ctx context.Context, o EnrollOptions) (*Enrolment, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	u, err := url.Parse(o.HubURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("adresse du hub %q invalide : attendu https://nom-du-hub", o.HubURL)
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	ek, err := prepareEnrol(o.Token, o.Fingerprint, o.StateDir, now)
	if err != nil {
		return nil, err
	}
	token, fp, key, keyPath, created := ek.token, ek.fingerprint, ek.key, ek.keyPath, ek.created
	pub := key.Public().(ed25519.PublicKey)

	var seen string
	var mu sync.Mutex
	tc, err := enrolTLSConfig(fp, o.CAFile, &seen, &mu)
	if err != nil {
		return nil, err
	}
	client, err := httpClient(tc, o.Proxy, o.Timeout)
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	// Protocol v2: the request is signed by the key it enrols, proving the
	// agent holds it.
	body, err := protocol.SignEnroll(protocol.EnrollRequest{Token: token, Host: o.Host, AgentVersion: Version}, key)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(o.HubURL, "/")+protocol.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigie-agent/"+Version)
	resp, err := client.Do(req)
	if err != nil {
		return nil, explainTLS(o.HubURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		he := readHubError(resp, now())
		if errors.Is(he, protocol.ErrAgentRevoked) {
			UpdateState(o.StateDir, func(s *State) error { s.KeyRevoked = true; return nil })
			return nil, fmt.Errorf("inscription refusée : la clé de cet agent a été révoquée par le hub et le reste ; "+
				"relancez vigie enroll (le même jeton convient) : une nouvelle clé sera créée : %w", he)
		}
		return nil, fmt.Errorf("inscription refusée : %w", he)
	}
	var reply protocol.EnrollResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, protocol.MaxEnrollSize)).Decode(&reply); err != nil {
		return nil, fmt.Errorf("réponse d'inscription du hub illisible : %w", err)
	}
	mu.Lock()
	got := seen
	mu.Unlock()
	if want := protocol.KeyID(pub); reply.AgentID != want {
		return nil, fmt.Errorf("le hub a attribué l'identifiant %q, attendu %q (dérivé de la clé) : hub incompatible", reply.AgentID, want)
	}
	if got == "" || NormalizeFingerprint(reply.HubSPKISHA256) != got {
		return nil, fmt.Errorf("%w: le hub annonce l'empreinte %q mais présente %q : un intermédiaire (proxy qui inspecte le TLS ?) se trouve entre l'agent et le hub", ErrHubIntercepted, reply.HubSPKISHA256, got)
	}
	if reply.HubKeys != (protocol.HubKeys{}) {
		if _, _, err := reply.HubKeys.Parse(); err != nil {
			return nil, fmt.Errorf("clés publiques du hub illisibles dans sa réponse d'inscription : %w", err)
		}
	}
	if _, err := UpdateState(o.StateDir, func(s *State) error {
		s.HubKeys = reply.HubKeys
		s.AgentID, s.Entity, s.Sector = reply.AgentID, protocol.Clip(reply.Entity, protocol.MaxLabel), protocol.Clip(reply.Sector, 32)
		s.HubURL, s.HubSPKI, s.EnrolledAt = strings.TrimSuffix(o.HubURL, "/"), got, now().UTC()
		s.Blocked, s.KeyRevoked = "", false
		return nil
	}); err != nil {
		return nil, err
	}
	return &Enrolment{AgentID: reply.AgentID, Entity: reply.Entity, Sector: reply.Sector, HubSPKI: got, KeyPath: keyPath, KeyCreated: created}, nil
}

// enrolKey is what an enrolment, online or offline, starts from.
type enrolKey struct {
	token, fingerprint string // trimmed; normalised (or "")
	key                ed25519.PrivateKey
	keyPath            string
	created            bool
}

// prepareEnrol checks the token and the fingerprint the user typed, and
// loads the agent's key, or makes one: the first time, or after the hub
// revoked the previous one (for good, protocol v2).
func prepareEnrol(token, fingerprint, stateDir string, now func() time.Time) (*enrolKey, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 200 {
		return nil, fmt.Errorf("jeton d'inscription manquant ou invalide (--token)")
	}
	fp := NormalizeFingerprint(fingerprint)
	if fp != "" && !hexFingerprint.MatchString(fp) {
		return nil, fmt.Errorf("empreinte du hub %q invalide : attendu 64 chiffres hexadécimaux (affichés par vigie-hub serve)", fingerprint)
	}
	keyPath := filepath.Join(stateDir, KeyFile)
	if prev, err := LoadState(stateDir); err == nil && prev.KeyRevoked {
		if err := retireKey(keyPath, now()); err != nil {
			return nil, err
		}
	}
	key, created, err := keystore.LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("clé de l'agent : %w", err)
	}
	return &enrolKey{token: token, fingerprint: fp, key: key, keyPath: keyPath, created: created}, nil
}

// retireKey moves a revoked key aside (agent.key.revoked-<time>, kept for
// an investigation, still 0600) so that a new one is made.
func retireKey(keyPath string, at time.Time) error {
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	dst := fmt.Sprintf("%s.revoked-%d", keyPath, at.Unix())
	if err := os.Rename(keyPath, dst); err != nil {
		return fmt.Errorf("mise à l'écart de la clé révoquée %s : %w", keyPath, err)
	}
	os.Remove(keystore.PublicKeyPath(keyPath))
	return nil
}

// explainTLS turns a certificate failure into advice.
func explainTLS(hub string, err error) error {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.Is(err, ErrPinMismatch), errors.Is(err, ErrFingerprintMismatch):
		return err
	case errors.As(err, &ua), errors.As(err, &ci):
		return fmt.Errorf("%w: le certificat de %s n'est pas reconnu par ce système ; indiquez l'empreinte affichée par `vigie-hub serve` (--fingerprint) ou l'autorité du hub (--ca) : %v", ErrUntrustedHub, hub, err)
	case errors.As(err, &hn):
		return fmt.Errorf("%w: le certificat du hub ne porte pas le nom %s : %v", ErrUntrustedHub, hub, err)
	}
	return fmt.Errorf("hub %s injoignable : %w", hub, err)
}
