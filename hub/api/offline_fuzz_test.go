package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
)

// FuzzOfflineFile: whatever a stick's file holds, encrypted to the hub or
// not, the importer's reading of it (open) either refuses it with one of
// the documented reasons and a French message, or yields a scorecard
// verified against the enrolled agent that signed it, naming that agent.
func FuzzOfflineFile(f *testing.F) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(f.TempDir(), "hub.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	keys, _ := hubkeys.Generate()
	a := hubtest.NewAgent(7, 0.5)
	e, _ := st.EnsureEntity(ctx, "Mairie", "commune")
	st.CreateToken(ctx, store.Token{Hash: []byte("h"), EntityID: e.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	if _, err := st.Enroll(ctx, []byte("h"), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, time.Now()); err != nil {
		f.Fatal(err)
	}
	k := newScorecardKind(NewCore(CoreConfig{Store: st}), keys, 1)
	good := a.Sign(a.Build(1, time.Now()))
	f.Add(good, true)
	f.Add(good[:len(good)/2], true)
	f.Add([]byte(`{"payloadType":"application/vnd.vigie.scorecard+json","payload":"e30=","signatures":[{"keyid":"00000000000000000000000000000000","sig":"AA=="}]}`), true)
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\n"), false)
	reasons := map[string]bool{ReasonNotForThisHub: true, ReasonTruncated: true, ReasonTampered: true, ReasonUnknownAgent: true,
		ReasonRevoked: true, ReasonReplayed: true, ReasonMalformed: true, ReasonTooLarge: true, ReasonNotVigie: true}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte, encrypted bool) {
		if encrypted {
			var b bytes.Buffer
			w, _ := age.Encrypt(&b, keys.Age.Recipient())
			w.Write(content)
			w.Close()
			content = b.Bytes()
		}
		p := filepath.Join(dir, "x.scorecard.age")
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		r := k.open(ctx, scJob{path: p})
		switch {
		case r.err != nil:
			t.Fatalf("storage error on a file: %v", r.err)
		case r.rep != nil:
			if r.rep.Status != FileRefused || !reasons[r.rep.Reason] || r.rep.Message == "" {
				t.Fatalf("refusal %+v", *r.rep)
			}
		case r.ch == nil:
			t.Fatal("neither refused nor checked")
		default:
			if r.ch.Summary().AgentID != a.ID || r.ch.Agent.ID != a.ID {
				t.Fatalf("checked scorecard names %s, signer %s", r.ch.Summary().AgentID, r.ch.Agent.ID)
			}
		}
	})
}
