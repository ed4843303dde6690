package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type hub struct {
	url    string
	spki   string
	client *http.Client
	st     store.Store
	srv    *httptest.Server
}

// SPKI returns the hex SHA-256 of a certificate's SubjectPublicKeyInfo.
func spkiOf(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h[:])
}

func newHub(t *testing.T, dsn string, tweak func(*api.Config)) *hub {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	h := &hub{url: srv.URL, spki: spkiOf(srv.Certificate()), st: st, srv: srv}
	cfg := api.Config{Store: st, SPKI: h.spki, Version: "test", Now: func() time.Time { return t0 }, EnrollsPerMinute: -1}
	if tweak != nil {
		tweak(&cfg)
	}
	srv.Config.Handler = api.New(cfg).Handler()
	// The client pins the SPKI as the agent does, instead of trusting a CA.
	h.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // verified by the pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			if spkiOf(c) != h.spki {
				return errors.New("pin mismatch")
			}
			return nil
		},
	}}}
	return h
}

func (h *hub) token(t *testing.T, entity string, expires time.Duration) string {
	t.Helper()
	e, err := h.st.EnsureEntity(context.Background(), entity, "commune")
	if err != nil {
		t.Fatal(err)
	}
	tok := app.NewToken()
	if err := h.st.CreateToken(context.Background(), store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(expires)}); err != nil {
		t.Fatal(err)
	}
	return tok
}

func (h *hub) stored(t *testing.T, agentID string) int {
	t.Helper()
	hist, err := h.st.History(context.Background(), agentID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(hist)
}

func backends(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, filepath.Join(t.TempDir(), "hub.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, pgtest.DSN(t))
	})
}

func expect(t *testing.T, what string, r hubtest.Response, err error, status int, code string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if r.Status != status || r.Code() != code {
		t.Errorf("%s: got %d %q, want %d %q (%v)", what, r.Status, r.Code(), status, code, r.Body)
	}
	if code != "" {
		e := r.Body["error"].(map[string]any)
		if e["message"] == "" || e["message_en"] == "" {
			t.Errorf("%s: error without messages: %v", what, e)
		}
	}
}

func TestEnrollEndToEnd(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn, nil)
		ctx := context.Background()
		a := hubtest.NewAgent(1, 0.7)
		tok := h.token(t, "Mairie de Plouguerneau", 72*time.Hour)

		r, err := a.Enroll(ctx, h.client, h.url, "WRONG-TOKEN")
		expect(t, "unknown token", r, err, 401, "invalid_token")
		r, err = a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie de Plouguerneau", -time.Second))
		expect(t, "expired token", r, err, 410, "token_expired")

		// The token is typed in lower case with spaces: normalised.
		r, err = a.Enroll(ctx, h.client, h.url, strings.ToLower(strings.ReplaceAll(tok, "-", " ")))
		expect(t, "enrol", r, err, 201, "")
		if r.Body["agent_id"] != a.ID || r.Body["entity"] != "Mairie de Plouguerneau" || r.Body["sector"] != "commune" || r.Body["hub_spki_sha256"] != h.spki {
			t.Errorf("enrol reply %v", r.Body)
		}
		r, err = a.Enroll(ctx, h.client, h.url, tok)
		expect(t, "retried enrolment, same key", r, err, 201, "")
		r, err = hubtest.NewAgent(2, 0.5).Enroll(ctx, h.client, h.url, tok)
		expect(t, "token reused by another key", r, err, 409, "token_used")
		r, err = a.Enroll(ctx, h.client, h.url, h.token(t, "Port de Brest", time.Hour))
		expect(t, "move to another entity", r, err, 409, "key_enrolled")

		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/enroll", "", []byte(`{"token":`))
		expect(t, "malformed JSON", r, err, 400, "malformed_request")
		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/enroll", "", []byte(`{"token":"x","public_key":"AAAA"}`))
		expect(t, "short key", r, err, 400, "malformed_request")
		big := bytes.Repeat([]byte(" "), api.MaxEnrollSize+1)
		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/enroll", "", big)
		expect(t, "oversized", r, err, 413, "request_too_large")

		ag, err := h.st.Agent(ctx, a.ID)
		if err != nil || ag.Hostname != a.Host.Hostname || base64.StdEncoding.EncodeToString(ag.PublicKey) != a.Public() {
			t.Errorf("stored agent %+v, %v", ag, err)
		}
	})
}

func TestIngestEndToEnd(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn, nil)
		ctx := context.Background()
		a := hubtest.NewAgent(10, 0.6)
		r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "CH de Morlaix", time.Hour))
		expect(t, "enrol", r, err, 201, "")

		sc := a.Next(t0)
		env := a.Sign(sc)
		r, err = a.Upload(ctx, h.client, h.url, env)
		expect(t, "upload", r, err, 201, "")
		if r.Body["status"] != "stored" || r.Body["scorecard_id"] != sc.ID || r.Body["sequence"] != float64(1) {
			t.Errorf("upload reply %v", r.Body)
		}
		got, err := h.st.Scorecard(ctx, a.ID, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Envelope, env) || got.Score != sc.Score || got.Level != int(sc.Level) || got.Sequence != 1 {
			t.Errorf("stored %+v", got)
		}
		r, err = a.Upload(ctx, h.client, h.url, env)
		expect(t, "same upload again", r, err, 200, "")
		if r.Body["status"] != "duplicate" {
			t.Errorf("duplicate reply %v", r.Body)
		}

		// Every rejection below must leave the store as it is: one scorecard.
		var e protocol.Envelope
		json.Unmarshal(a.Sign(a.Next(t0.Add(time.Hour))), &e)
		payload, _ := base64.StdEncoding.DecodeString(e.Payload)
		e.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"score":`), []byte(`"score": `), 1))
		tampered, _ := json.Marshal(e)
		r, err = a.Upload(ctx, h.client, h.url, tampered)
		expect(t, "tampered", r, err, 422, "bad_signature")

		r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Build(1, t0.Add(2*time.Hour))))
		expect(t, "replayed sequence (new ID, old sequence)", r, err, 409, "replayed_sequence")

		stranger := hubtest.NewAgent(99, 0.5)
		r, err = stranger.Upload(ctx, h.client, h.url, stranger.Sign(stranger.Next(t0)))
		expect(t, "unknown key", r, err, 401, "unknown_agent")

		r, err = a.Upload(ctx, h.client, h.url, bytes.Repeat([]byte("x"), protocol.MaxEnvelopeSize+1))
		expect(t, "oversized", r, err, 413, "request_too_large")
		r, err = hubtest.PostChunked(ctx, h.client, h.url+"/api/v1/scorecards", a.ID, bytes.Repeat([]byte("x"), protocol.MaxEnvelopeSize+1))
		expect(t, "oversized, without Content-Length", r, err, 413, "request_too_large")
		r, err = a.Upload(ctx, h.client, h.url, []byte(`{"payloadType":`))
		expect(t, "malformed envelope", r, err, 400, "malformed_envelope")
		r, err = a.Upload(ctx, h.client, h.url, a.SignPayload([]byte(`{"schema":"nope"}`)))
		expect(t, "malformed scorecard", r, err, 400, "malformed_scorecard")
		wrongType, _ := json.Marshal(protocol.Sign("text/plain", []byte("x"), a.Key))
		r, err = a.Upload(ctx, h.client, h.url, wrongType)
		expect(t, "wrong payload type", r, err, 422, "bad_signature")
		other := a.Next(t0)
		other.AgentID = stranger.ID
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(other))
		expect(t, "scorecard names another agent", r, err, 422, "agent_mismatch")
		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/scorecards", stranger.ID, a.Sign(a.Next(t0)))
		expect(t, "header names an unknown agent", r, err, 401, "unknown_agent")
		neighbour := hubtest.NewAgent(12, 0.6)
		r, err = neighbour.Enroll(ctx, h.client, h.url, h.token(t, "CH de Morlaix", time.Hour))
		expect(t, "enrol a second agent", r, err, 201, "")
		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/scorecards", neighbour.ID, a.Sign(a.Next(t0)))
		expect(t, "header names another enrolled agent", r, err, 422, "agent_mismatch")
		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/scorecards", "", a.Sign(a.Next(t0)))
		expect(t, "header missing", r, err, 400, "malformed_request")
		r, err = hubtest.Post(ctx, h.client, h.url+"/api/v1/scorecards", "../../etc", a.Sign(a.Next(t0)))
		expect(t, "header not an agent ID", r, err, 400, "malformed_request")
		if n := h.stored(t, a.ID); n != 1 {
			t.Fatalf("%d scorecards stored after rejections, want 1", n)
		}

		// A gap in sequences is fine (scans lost on the agent side); a body
		// streamed without Content-Length is read like any other.
		r, err = hubtest.PostChunked(ctx, h.client, h.url+"/api/v1/scorecards", a.ID, a.Sign(a.Next(t0.Add(24*time.Hour))))
		expect(t, "next upload, without Content-Length", r, err, 201, "")

		if err := h.st.RevokeAgent(ctx, a.ID, "admin@csirt.example", t0); err != nil {
			t.Fatal(err)
		}
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Next(t0.Add(48*time.Hour))))
		expect(t, "revoked", r, err, 403, "agent_revoked")
		if n := h.stored(t, a.ID); n != 2 {
			t.Fatalf("%d scorecards stored, want 2", n)
		}

		resp, err := h.client.Get(h.url + "/api/v1/health")
		if err != nil {
			t.Fatal(err)
		}
		var health map[string]string
		json.NewDecoder(resp.Body).Decode(&health)
		resp.Body.Close()
		if resp.StatusCode != 200 || health["status"] != "ok" || health["version"] != "test" {
			t.Errorf("health %d %v", resp.StatusCode, health)
		}
	})
}

func TestIngestRateLimit(t *testing.T) {
	t.Parallel()
	h := newHub(t, filepath.Join(t.TempDir(), "hub.db"), func(c *api.Config) { c.UploadsPerHour = 2 })
	ctx := context.Background()
	a := hubtest.NewAgent(3, 0.5)
	r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie", time.Hour))
	expect(t, "enrol", r, err, 201, "")
	for i := range 2 {
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Next(t0)))
		expect(t, fmt.Sprint("upload ", i), r, err, 201, "")
	}
	env := a.Sign(a.Next(t0))
	r, err = a.Upload(ctx, h.client, h.url, env)
	expect(t, "third upload within the hour", r, err, 429, "rate_limited")
	if r.Header.Get("Retry-After") != "1800" {
		t.Errorf("Retry-After = %q, want 1800 (2/hour)", r.Header.Get("Retry-After"))
	}
	// A duplicate of an acknowledged scorecard is still answered (harmless).
	if n := h.stored(t, a.ID); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}

func TestEnrollRateLimit(t *testing.T) {
	t.Parallel()
	h := newHub(t, filepath.Join(t.TempDir(), "hub.db"), func(c *api.Config) { c.EnrollsPerMinute = 1 })
	ctx := context.Background()
	var last hubtest.Response
	for i := range 3 {
		r, err := hubtest.NewAgent(uint64(i), 0.5).Enroll(ctx, h.client, h.url, "GUESS-"+fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		last = r
	}
	expect(t, "third guess in a minute", last, nil, 429, "rate_limited")
	if last.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestStorageUnavailable(t *testing.T) {
	t.Parallel()
	h := newHub(t, filepath.Join(t.TempDir(), "hub.db"), nil)
	ctx := context.Background()
	a := hubtest.NewAgent(4, 0.5)
	r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie", time.Hour))
	expect(t, "enrol", r, err, 201, "")
	h.st.Close()
	r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Next(t0)))
	expect(t, "upload with storage down", r, err, 503, "storage_unavailable")
}

func TestUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	h := newHub(t, filepath.Join(t.TempDir(), "hub.db"), nil)
	req, _ := http.NewRequest(http.MethodPost, h.url+"/api/v1/scorecards", strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestIngestTruncatedBody: a body shorter than its Content-Length (a
// connection cut mid-upload) is a clear 400, never a partial scorecard.
func TestIngestTruncatedBody(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, filepath.Join(t.TempDir(), "hub.db"))
	a := hubtest.NewAgent(3, 0.5)
	storetest.Enrolled(t, st, "Mairie", a.ID)
	body := a.Sign(a.Next(t0))
	req := httptest.NewRequest(http.MethodPost, "/api/v1/scorecards", bytes.NewReader(body[:len(body)/2]))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Vigie-Agent", a.ID)
	rec := httptest.NewRecorder()
	api.New(api.Config{Store: st, UploadsPerHour: -1, Now: func() time.Time { return t0 }}).Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "malformed_request") {
		t.Errorf("truncated body: %d %s", rec.Code, rec.Body)
	}
}

// TestIngestOddLabels: labels any JSON may carry but PostgreSQL's text may
// not (NUL, a long name whose 200-byte cut falls inside a character) are
// stored, cleaned, on both backends, instead of failing the upload for good.
func TestIngestOddLabels(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn, nil)
		ctx := context.Background()
		a := hubtest.NewAgent(11, 0.2)
		r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie de Plouézoc'h", time.Hour))
		expect(t, "enrol", r, err, 201, "")
		a.Host.Hostname = strings.Repeat("a", 199) + "éé" // byte 200 is inside the first é
		a.Host.OS = "lin\x00ux"
		sc := a.Next(t0)
		sc.AgentVersion = "1.0\x00"
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(sc))
		expect(t, "upload", r, err, 201, "")
		got, err := h.st.Scorecard(ctx, a.ID, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hostname != strings.Repeat("a", 199) || got.OS != "linux" || got.AgentVersion != "1.0" {
			t.Errorf("stored labels %q %q %q", got.Hostname, got.OS, got.AgentVersion)
		}
	})
}

// countingReader counts what the handler reads of a body.
type countingReader struct {
	n atomic.Int64
	r io.Reader
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestIngestBoundsMemory: what the headers already condemn (unknown agent,
// announced size over the limit) is refused without reading the body; and
// no more than MaxConcurrentUploads bodies are read at once: the next
// upload waits, then gets 503 hub_busy with Retry-After, and goes through
// once a slot is free.
func TestIngestBoundsMemory(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, filepath.Join(t.TempDir(), "hub.db"))
	a := hubtest.NewAgent(4, 0.5)
	e, _ := st.EnsureEntity(context.Background(), "Mairie", "commune")
	st.CreateToken(context.Background(), store.Token{Hash: app.HashToken("t"), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if _, err := st.Enroll(context.Background(), app.HashToken("t"), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, t0); err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Config{Store: st, UploadsPerHour: -1, MaxConcurrentUploads: 1, UploadWait: 50 * time.Millisecond, Now: func() time.Time { return t0 }}).Handler()
	post := func(agent string, body io.Reader, length int64) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/scorecards", body)
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Vigie-Agent", agent)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	stranger := hubtest.NewAgent(5, 0.5)
	for name, c := range map[string]struct {
		agent  string
		length int64
		status int
	}{
		"unknown agent":  {stranger.ID, 1000, http.StatusUnauthorized},
		"announced size": {a.ID, protocol.MaxEnvelopeSize + 1, http.StatusRequestEntityTooLarge},
	} {
		body := &countingReader{r: bytes.NewReader(make([]byte, 1000))}
		if rec := post(c.agent, body, c.length); rec.Code != c.status || body.n.Load() != 0 {
			t.Errorf("%s: %d after reading %d bytes, want %d before reading any", name, rec.Code, body.n.Load(), c.status)
		}
	}

	// One upload holds the only slot, its body still arriving.
	first := a.Sign(a.Next(t0))
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() { done <- post(a.ID, pr, int64(len(first))).Code }()
	pw.Write(first[:100]) // the handler is now reading it, in the slot
	busy := post(a.ID, bytes.NewReader(a.Sign(a.Next(t0.Add(time.Minute)))), -1)
	if busy.Code != http.StatusServiceUnavailable || !strings.Contains(busy.Body.String(), "hub_busy") || busy.Header().Get("Retry-After") != "60" {
		t.Errorf("second upload while the slot is taken: %d %s (Retry-After %q)", busy.Code, busy.Body, busy.Header().Get("Retry-After"))
	}
	pw.Write(first[100:])
	pw.Close()
	if code := <-done; code != http.StatusCreated {
		t.Errorf("first upload: %d", code)
	}
	if rec := post(a.ID, bytes.NewReader(a.Sign(a.Next(t0.Add(2*time.Minute)))), -1); rec.Code != http.StatusCreated {
		t.Errorf("upload once the slot is free: %d %s", rec.Code, rec.Body)
	}
}

// TestHubKeysEndpoint: GET /api/v1/hub-keys returns the configured keys,
// and 404 from a hub configured without any.
func TestHubKeysEndpoint(t *testing.T) {
	t.Parallel()
	for _, keys := range []protocol.HubKeys{{}, {SigningKey: "c2lnbg==", AgeRecipient: "age1example"}} {
		mux := http.NewServeMux()
		st := storetest.Open(t, filepath.Join(t.TempDir(), "hub.db"))
		api.New(api.Config{Store: st, HubKeys: keys}).Register(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, protocol.PathHubKeys, nil))
		if keys == (protocol.HubKeys{}) {
			if rec.Code != http.StatusNotFound {
				t.Errorf("no keys: %d", rec.Code)
			}
			continue
		}
		var got protocol.HubKeys
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got != keys {
			t.Errorf("keys: %d %s", rec.Code, rec.Body)
		}
	}
}
