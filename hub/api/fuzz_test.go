package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// FuzzIngest feeds the ingestion handler arbitrary bodies, raw or signed by
// the enrolled agent (so the fuzzer reaches scorecard decoding and storage).
// Whatever the input: no panic, a status from the protocol, a JSON body, and
// a 201 only for an envelope that verifies and is then stored as received.
func FuzzIngest(f *testing.F) {
	st, err := store.Open(context.Background(), filepath.Join(f.TempDir(), "hub.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	a := hubtest.NewAgent(7, 0.5)
	e, _ := st.EnsureEntity(context.Background(), "Mairie", "commune")
	st.CreateToken(context.Background(), store.Token{Hash: app.HashToken("T"), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if _, err := st.Enroll(context.Background(), app.HashToken("T"), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, t0); err != nil {
		f.Fatal(err)
	}
	h := api.New(api.Config{Store: st, UploadsPerHour: -1, Now: func() time.Time { return t0 }}).Handler()

	sc := a.Next(t0)
	payload, _ := json.Marshal(sc)
	f.Add(a.SignPayload(payload), false)
	f.Add(payload, true)
	f.Add([]byte(`{"payloadType":"application/vnd.vigie.scorecard.v1+json","payload":"e30=","signatures":[{"keyid":"`+a.ID+`","sig":"AAAA"}]}`), false)
	f.Add([]byte(`{"schema":"vigie.scorecard/v1","id":"x","agent_id":"`+a.ID+`","sequence":18446744073709551615}`), true)
	f.Add([]byte(`null`), false)
	f.Add([]byte{}, true)

	allowed := map[int]bool{200: true, 201: true, 400: true, 409: true, 413: true, 422: true, 429: true, 503: true}
	f.Fuzz(func(t *testing.T, data []byte, sign bool) {
		body := data
		if sign {
			body = a.SignPayload(data)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/scorecards", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Vigie-Agent", a.ID)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		var reply map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
			t.Fatalf("reply is not JSON: %q", rec.Body.String())
		}
		if rec.Code >= 400 {
			e, ok := reply["error"].(map[string]any)
			if !ok || e["code"] == "" || e["message"] == "" {
				t.Fatalf("error reply without code/message: %v", reply)
			}
			return
		}
		env, err := protocol.ParseEnvelope(body)
		if err != nil {
			t.Fatalf("accepted an unparseable envelope: %v", err)
		}
		if _, err := protocol.Verify(env, protocol.PayloadType, a.Key.Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("accepted an envelope that does not verify: %v", err)
		}
		if rec.Code == 201 {
			got, err := st.Scorecard(context.Background(), a.ID, reply["scorecard_id"].(string))
			if err != nil || !bytes.Equal(got.Envelope, body) {
				t.Fatalf("acknowledged but not stored as received: %v", err)
			}
		}
	})
}
