package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// enrolDirect records agents in st as an enrolment would.
func enrolDirect(t *testing.T, st store.Store, agents ...*hubtest.Agent) {
	t.Helper()
	ctx := context.Background()
	e, _ := st.EnsureEntity(ctx, "Mairie", "commune")
	for _, a := range agents {
		tok := "t-" + a.ID
		st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, t0); err != nil {
			t.Fatal(err)
		}
	}
}

// held is an upload whose body is still arriving.
type held struct {
	pw   *io.PipeWriter
	rest []byte
	done chan int
}

func (h held) finish() int {
	h.pw.Write(h.rest)
	h.pw.Close()
	return <-h.done
}

// TestUploadsInFlightBounded (issue 13, item 3): agent IDs are not secret,
// so uploads naming one agent are bounded (2 in flight), as are uploads
// from one address (32 by default, 3 here); beyond, 429 too_many_uploads
// with Retry-After, and nobody else is held up.
func TestUploadsInFlightBounded(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, filepath.Join(t.TempDir(), "hub.db"))
	var agents []*hubtest.Agent
	for i := range 5 {
		agents = append(agents, hubtest.NewAgent(uint64(40+i), 0.5))
	}
	enrolDirect(t, st, agents...)
	h := api.New(api.Config{Store: st, UploadsPerHour: -1, MaxUploadsPerAddress: 3, Now: func() time.Time { return t0 }}).Handler()
	post := func(ip, agent string, body io.Reader, length int64) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, protocol.PathScorecards, body)
		req.RemoteAddr = ip + ":5000"
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(protocol.HeaderAgent, agent)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	hold := func(ip string, a *hubtest.Agent) held {
		env := a.Sign(a.Next(t0))
		pr, pw := io.Pipe()
		x := held{pw: pw, rest: env[10:], done: make(chan int, 1)}
		go func() { x.done <- post(ip, a.ID, pr, int64(len(env))).Code }()
		pw.Write(env[:10]) // returns once the handler reads: the upload is in flight
		return x
	}
	refused := func(what string, rec *httptest.ResponseRecorder) {
		t.Helper()
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), `"too_many_uploads"`) || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d %s (Retry-After %q), want 429 too_many_uploads", what, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
	}
	a := agents[0]
	// Two uploads naming agent 0 from two addresses (an attacker's).
	h1, h2 := hold("198.51.100.1", a), hold("198.51.100.2", a)
	refused("third upload naming the agent", post("203.0.113.5", a.ID, bytes.NewReader(a.Sign(a.Next(t0))), -1))
	if c := post("203.0.113.5", agents[1].ID, bytes.NewReader(agents[1].Sign(agents[1].Next(t0))), -1).Code; c != http.StatusCreated {
		t.Errorf("another agent meanwhile: %d, want 201", c)
	}
	for _, x := range []held{h1, h2} {
		if c := x.finish(); c != http.StatusCreated && c != http.StatusConflict {
			t.Errorf("held upload: %d", c)
		}
	}
	if c := post("203.0.113.5", a.ID, bytes.NewReader(a.Sign(a.Next(t0))), -1).Code; c != http.StatusCreated {
		t.Errorf("the agent once its uploads ended: %d, want 201", c)
	}

	// Three uploads in flight from one address: the fourth waits its turn.
	var hs []held
	for _, x := range agents[2:5] {
		hs = append(hs, hold("192.0.2.7", x))
	}
	refused("fourth upload from one address", post("192.0.2.7", agents[1].ID, bytes.NewReader(agents[1].Sign(agents[1].Next(t0))), -1))
	for _, x := range hs {
		if c := x.finish(); c != http.StatusCreated {
			t.Errorf("held upload: %d", c)
		}
	}
}

// TestSlowUploadCut (issue 13, item 3): a body that stops arriving after
// its grace period is cut with 408 upload_too_slow, over a real
// connection, and its slot is free again.
func TestSlowUploadCut(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "hub.db")
	hb := newHub(t, dsn, func(c *api.Config) {
		c.UploadGrace, c.MaxConcurrentUploads, c.UploadWait = 300*time.Millisecond, 1, 5*time.Second
	})
	a := hubtest.NewAgent(50, 0.5)
	enrolDirect(t, hb.st, a)
	env := a.Sign(a.Next(t0))
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest(http.MethodPost, hb.url+protocol.PathScorecards, pr)
	req.ContentLength = int64(len(env))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(protocol.HeaderAgent, a.ID)
	go pw.Write(env[:100]) // then nothing: a slowloris
	start := time.Now()
	resp, err := hb.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "upload_too_slow") {
		t.Errorf("stalled body: %d %s, want 408 upload_too_slow", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stalled body held its slot %v", d)
	}
	r, err := a.Upload(context.Background(), hb.client, hb.url, a.Sign(a.Next(t0)))
	expect(t, "next upload, the only slot free again", r, err, 201, "")
}
