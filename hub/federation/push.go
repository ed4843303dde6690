package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Path is where the national hub receives aggregates (POST, a DSSE
// envelope in JSON).
const Path = "/api/v1/aggregates"

// DefaultCatchUp is how many past days a push looks back for days it
// never pushed complete: a regional hub offline for a week (or a month)
// catches up on its own.
const DefaultCatchUp = 31

// Reply is the national hub's answer to a push.
type Reply struct {
	// Status: new, replaced, duplicate or stale (accepted); else the
	// refusal's code (unknown_key, region_revoked, bad_signature,
	// invalid, not_withheld, schema_unsupported, region_mismatch,
	// day_out_of_range, too_large, malformed).
	Status  string `json:"status"`
	Region  string `json:"region,omitempty"`
	Day     string `json:"day,omitempty"`
	Message string `json:"message,omitempty"`
}

// PinnedClient is an HTTPS client that accepts only the national hub
// whose certificate key has the SPKI fingerprint spki (hex SHA-256).
func PinnedClient(spki string) *http.Client {
	tc := protocol.PinnedTLSConfig(spki, func(seen string) error {
		return fmt.Errorf("le hub national présente la clé %s, %s était attendue (--federate-fingerprint) : "+
			"si le hub national a changé de certificat, demandez sa nouvelle empreinte ; sinon quelqu'un se fait passer pour lui", seen, spki)
	})
	return &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}}
}

// Pusher pushes a regional hub's aggregates to the national hub.
type Pusher struct {
	Store  store.Store
	Keys   *hubkeys.Keys
	Region string
	URL    string // the national hub, https://host[:port]
	Client *http.Client
	Now    func() time.Time
	// Exposures returns the hub's current exposures (nil: none known).
	Exposures   func() []Exposure
	CatchUp     int // days looked back (0: DefaultCatchUp; negative: none)
	MinEntities int
	Log         *slog.Logger
}

// Pushed is one day sent.
type Pushed struct {
	Day      string
	Complete bool
	Reply    Reply
}

// Run pushes every past day of the catch-up window not yet pushed
// complete (computed as of the end of that day), oldest first, then the
// current day as of now. It stops at the first failure: what went
// through is recorded and the next run resumes from there.
func (p *Pusher) Run(ctx context.Context) ([]Pushed, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now().UTC()
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := p.CatchUp
	switch {
	case back == 0:
		back = DefaultCatchUp
	case back < 0:
		back = 0 // the current day only
	}
	since := today.AddDate(0, 0, -back)
	done, err := p.Store.Pushes(ctx, p.URL, Day(since))
	if err != nil {
		return nil, err
	}
	var out []Pushed
	for d := since; d.Before(today); d = d.AddDate(0, 0, 1) {
		if done[Day(d)].Complete {
			continue
		}
		r, sent, err := p.push(ctx, d, d.AddDate(0, 0, 1), t, true)
		if err != nil {
			return out, err
		}
		if sent {
			out = append(out, r)
		}
	}
	r, sent, err := p.push(ctx, today, t, t, false)
	if err != nil {
		return out, err
	}
	if sent {
		out = append(out, r)
	}
	return out, nil
}

// push builds, signs, sends and records day d as of asOf. A day before
// the hub had any agent is skipped (sent false).
func (p *Pusher) push(ctx context.Context, d, asOf, now time.Time, complete bool) (Pushed, bool, error) {
	rows, err := p.Store.HostsAsOf(ctx, asOf)
	if err != nil {
		return Pushed{}, false, err
	}
	if len(rows) == 0 {
		return Pushed{}, false, nil
	}
	ents, err := p.Store.Entities(ctx)
	if err != nil {
		return Pushed{}, false, err
	}
	bands := make(map[int64]cohort.Band, len(ents))
	for _, e := range ents {
		bands[e.ID] = cohort.Band(e.SizeBand) // the current band, for a past day too
	}
	band := func(id int64) cohort.Band { return bands[id] }
	in := Input{Region: p.Region, Day: Day(d), AsOf: asOf, GeneratedAt: now, MinEntities: p.MinEntities, Members: FromHosts(rows, band)}
	if !complete && p.Exposures != nil {
		in.Exposures, in.ExposuresIncluded = p.Exposures(), true
	}
	doc := Build(in)
	if err := doc.Validate(); err != nil {
		return Pushed{}, false, fmt.Errorf("agrégat du %s : %w", in.Day, err) // a bug: never sent
	}
	payload, err := json.Marshal(doc)
	if err != nil {
		return Pushed{}, false, err
	}
	env, err := json.Marshal(p.Keys.Sign(PayloadType, payload))
	if err != nil {
		return Pushed{}, false, err
	}
	reply, err := p.send(ctx, env)
	if err != nil {
		return Pushed{}, false, fmt.Errorf("envoi de l'agrégat du %s à %s : %w", in.Day, p.URL, err)
	}
	if err := p.Store.RecordPush(ctx, store.Push{Target: p.URL, Day: in.Day, PushedAt: now, Complete: complete,
		SHA256: Digest(doc), Envelope: env}); err != nil {
		return Pushed{}, false, err
	}
	if p.Log != nil {
		p.Log.Info("agrégat envoyé au hub national", "jour", in.Day, "complet", complete, "réponse", reply.Status)
	}
	return Pushed{Day: in.Day, Complete: complete, Reply: reply}, true, nil
}

// ErrRefused is a push the national hub refused; the message says why.
var ErrRefused = errors.New("refusé par le hub national")

func (p *Pusher) send(ctx context.Context, env []byte) (Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(p.URL, "/")+Path, bytes.NewReader(env))
	if err != nil {
		return Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.Client.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Reply{}, err
	}
	var r Reply
	if json.Unmarshal(body, &r) != nil || r.Status == "" {
		return Reply{}, fmt.Errorf("réponse illisible du hub national (HTTP %d) : %s", resp.StatusCode, protocol.Clip(protocol.Printable(string(body)), 200))
	}
	if resp.StatusCode/100 != 2 {
		return r, fmt.Errorf("%w (HTTP %d, %s) : %s", ErrRefused, resp.StatusCode, protocol.Printable(r.Status), protocol.Clip(protocol.Printable(r.Message), 500))
	}
	return r, nil
}
