package api_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/hubtest"
)

// TestStoredHook: the advisories matcher is told of each scorecard stored,
// after its commit (the scorecard is readable when it is told), by the
// agent's ID; a duplicate is not told again.
func TestStoredHook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var told []string
	var h *hub
	var readable []bool
	h = newHub(t, filepath.Join(t.TempDir(), "hub.db"), func(c *api.Config) {
		c.Stored = func(id string) {
			_, err := h.st.LatestScorecard(context.Background(), id)
			mu.Lock()
			told, readable = append(told, id), append(readable, err == nil)
			mu.Unlock()
		}
	})
	ctx := context.Background()
	a := hubtest.NewAgent(21, 0.5)
	r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie de Carantec", time.Hour))
	expect(t, "enrol", r, err, 201, "")
	env := a.Sign(a.Next(t0))
	r, err = a.Upload(ctx, h.client, h.url, env)
	expect(t, "upload", r, err, 201, "")
	r, err = a.Upload(ctx, h.client, h.url, env)
	expect(t, "duplicate", r, err, 200, "")
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || told[0] != a.ID || !readable[0] {
		t.Errorf("hook told %v (scorecard readable then: %v), want once %s", told, readable, a.ID)
	}
}
