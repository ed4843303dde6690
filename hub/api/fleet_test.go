package api_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
)

// TestFleetToken (issue 13, item 7): one token made for 30 hosts enrols a
// town hall's 30 PCs behind one NAT address within the default enrolment
// limit (60 a minute per address), each use audited with its rank; the
// 31st is refused.
func TestFleetToken(t *testing.T) {
	t.Parallel()
	h := newHub(t, filepath.Join(t.TempDir(), "hub.db"), func(c *api.Config) { c.EnrollsPerMinute = 0 }) // the default
	ctx := context.Background()
	svc := app.New(app.Config{Store: h.st, Now: func() time.Time { return t0 }})
	tok, err := svc.CreateFleetToken(ctx, "Mairie de Lannilis", "commune", time.Hour, 30, "admin@csirt.example")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		r, err := hubtest.NewAgent(uint64(100+i), 0.5).Enroll(ctx, h.client, h.url, tok)
		expect(t, fmt.Sprint("PC ", i+1), r, err, 201, "")
	}
	r, err := hubtest.NewAgent(200, 0.5).Enroll(ctx, h.client, h.url, tok)
	expect(t, "31st PC", r, err, 409, "token_used")
	log, _ := h.st.AuditLog(ctx, 100)
	uses := map[string]bool{}
	for _, e := range log {
		if e.Action == "agent_enroll" {
			uses[e.Detail[strings.Index(e.Detail, "utilisation"):]] = true
		}
	}
	for i := 1; i <= 30; i++ {
		if !uses[fmt.Sprintf("utilisation %d/30", i)] {
			t.Errorf("use %d/30 not audited (%d uses audited)", i, len(uses))
		}
	}
	if _, err := svc.CreateFleetToken(ctx, "Mairie de Lannilis", "commune", time.Hour, 0, "x"); err == nil {
		t.Error("a token for 0 hosts accepted")
	}
}
