package agent

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// testHub implements the hub side of docs/protocol.md minimally, in memory,
// with fault injection: enough to prove the agent's side of the contract.
type testHub struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]string // token -> "valid", "expired", "used"
	agents   map[string]ed25519.PublicKey
	revoked  map[string]bool
	stored   []*protocol.Scorecard
	ids      map[string]bool
	lastSeq  map[string]uint64
	requests int
	// fault, when set, is asked before each upload is handled.
	fault func(n int) fault
	// lieSPKI makes the enrolment reply announce another fingerprint.
	lieSPKI bool
	// inventories are the full inventories received, by software_sha256
	// (checked against the list); a scorecard naming one the hub does not
	// hold gets send_inventory in its reply, as issue 15's hub does.
	inventories map[string][]protocol.Package
}

type fault int

const (
	none         fault = iota
	err500             // 500 before doing anything
	err503retry        // 503 with Retry-After: 1
	slow               // answer after 50 ms
	hang               // never answer (until the client gives up)
	reset              // close the connection without an answer
	storeThenCut       // store durably, then cut the connection (ack lost)
	err429             // rate limited with Retry-After
)

func newTestHub(t testing.TB, cert *tls.Certificate) *testHub {
	h := &testHub{t: t, tokens: map[string]string{"GOOD-TOKEN": "valid", "OLD-TOKEN": "expired", "USED-TOKEN": "used"},
		agents: map[string]ed25519.PublicKey{}, revoked: map[string]bool{}, ids: map[string]bool{}, lastSeq: map[string]uint64{},
		inventories: map[string][]protocol.Package{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+protocol.PathEnroll, h.enroll)
	mux.HandleFunc("POST "+protocol.PathScorecards, h.upload)
	mux.HandleFunc("GET "+protocol.PathHealth, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "ok", "version": "test"})
	})
	h.srv = httptest.NewUnstartedServer(mux)
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cert != nil {
		h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *testHub) URL() string  { return h.srv.URL }
func (h *testHub) SPKI() string { return SPKIFingerprint(h.srv.Certificate()) }

func (h *testHub) storedSeqs() []uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s []uint64
	for _, sc := range h.stored {
		s = append(s, sc.Sequence)
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func hubErr(w http.ResponseWriter, code int, c, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"code": c, "message": msg, "message_en": msg}})
}

func (h *testHub) enroll(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(io.LimitReader(r.Body, protocol.MaxEnrollSize+1))
	req, pub, err := protocol.VerifyEnroll(data)
	if err != nil {
		hubErr(w, 400, "malformed_request", "demande d'enrôlement non signée ou illisible : "+err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.tokens[req.Token] {
	case "":
		hubErr(w, 401, "invalid_token", "jeton inconnu")
		return
	case "expired":
		hubErr(w, 410, "token_expired", "jeton expiré")
		return
	case "used":
		hubErr(w, 409, "token_used", "jeton déjà utilisé")
		return
	}
	id := protocol.KeyID(pub)
	if h.revoked[id] {
		// Protocol v2: a revoked key stays revoked, whatever the token.
		hubErr(w, 403, "agent_revoked", "clé révoquée")
		return
	}
	h.tokens[req.Token] = "used"
	h.agents[id] = pub
	spki := h.SPKI()
	if h.lieSPKI {
		spki = "00" + spki[2:]
	}
	writeJSON(w, 201, map[string]string{"agent_id": id, "entity": "Mairie de Test", "sector": "commune", "hub_spki_sha256": spki})
}

func (h *testHub) upload(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.requests++
	n := h.requests
	f := none
	if h.fault != nil {
		f = h.fault(n)
	}
	h.mu.Unlock()
	switch f {
	case err500:
		hubErr(w, 500, "internal", "panne")
		return
	case err503retry:
		w.Header().Set("Retry-After", "1")
		hubErr(w, 503, "storage_unavailable", "stockage indisponible")
		return
	case err429:
		w.Header().Set("Retry-After", "2")
		hubErr(w, 429, "rate_limited", "trop de bilans")
		return
	case slow:
		time.Sleep(50 * time.Millisecond)
	case hang:
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
		return
	case reset:
		panic(http.ErrAbortHandler)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxEnvelopeSize+1))
	if err != nil {
		return
	}
	if len(data) > protocol.MaxEnvelopeSize {
		hubErr(w, 413, "request_too_large", "trop gros")
		return
	}
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		hubErr(w, 400, "malformed_envelope", err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get(protocol.HeaderAgent)
	pub, ok := h.agents[id]
	if !ok || env.Signatures[0].KeyID != id {
		hubErr(w, 401, "unknown_agent", "agent inconnu")
		return
	}
	if h.revoked[id] {
		hubErr(w, 403, "agent_revoked", "agent révoqué")
		return
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, pub)
	if err != nil {
		hubErr(w, 422, "bad_signature", err.Error())
		return
	}
	sc, err := protocol.Decode(payload)
	if err != nil {
		hubErr(w, 400, "malformed_scorecard", err.Error())
		return
	}
	if sc.AgentID != id {
		hubErr(w, 422, "agent_mismatch", "agent différent")
		return
	}
	if h.ids[sc.ID] {
		writeJSON(w, 200, map[string]any{"status": "duplicate", "scorecard_id": sc.ID, "sequence": sc.Sequence})
		return
	}
	if sc.Sequence <= h.lastSeq[id] {
		hubErr(w, 409, "replayed_sequence", "séquence "+strconv.FormatUint(sc.Sequence, 10)+" déjà vue")
		return
	}
	h.ids[sc.ID] = true
	h.lastSeq[id] = sc.Sequence
	h.stored = append(h.stored, sc)
	if f == storeThenCut {
		panic(http.ErrAbortHandler)
	}
	reply := map[string]any{"status": "stored", "scorecard_id": sc.ID, "sequence": sc.Sequence}
	if sha := sc.SoftwareSHA256; sha != "" {
		if sc.Software != nil || sha == protocol.SoftwareSHA256(nil) {
			if got := protocol.SoftwareSHA256(sc.Software); got != sha {
				h.t.Errorf("scorecard %d: software_sha256 %s, its software hashes to %s", sc.Sequence, sha, got)
			}
			h.inventories[sha] = sc.Software
		} else if _, ok := h.inventories[sha]; !ok {
			reply["send_inventory"] = true
		}
	}
	writeJSON(w, 201, reply)
}

// newCert makes a self-signed ECDSA certificate for 127.0.0.1.
func newCert(t testing.TB) tls.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "hub.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}
