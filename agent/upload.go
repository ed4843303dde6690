package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// Outcome is how the agent reacts to one upload attempt (docs/protocol.md).
type Outcome int

const (
	// Delivered: 200 or 201, the hub stored the scorecard; delete the file.
	Delivered Outcome = iota
	// Rejected: 400, 409, 413, 422: the hub will never take this file;
	// quarantine it and go on with the next.
	Rejected
	// Blocked: 401, 403: the agent is unknown or revoked; keep every file,
	// stop uploading until enrolled again.
	Blocked
	// Retry: 429, 5xx, network error, timeout: try again later with backoff.
	Retry
)

func (o Outcome) String() string {
	return [...]string{"delivered", "rejected", "blocked", "retry"}[o]
}

// Uploader posts signed scorecards to the hub over the pinned connection.
type Uploader struct {
	client  *http.Client
	url     string
	agentID string
	now     func() time.Time
}

// NewUploader builds an uploader for an enrolled agent: every connection
// must present the SPKI pinned at enrolment.
func NewUploader(st *State, proxy string, timeout time.Duration) (*Uploader, error) {
	if !st.Enrolled() {
		return nil, ErrNotEnrolled
	}
	c, err := httpClient(PinnedTLSConfig(st.HubSPKI), proxy, timeout)
	if err != nil {
		return nil, err
	}
	return &Uploader{client: c, url: strings.TrimSuffix(st.HubURL, "/") + protocol.PathScorecards, agentID: st.AgentID, now: time.Now}, nil
}

// Close releases idle connections.
func (u *Uploader) Close() { u.client.CloseIdleConnections() }

// Send posts one envelope and classifies the reply. err describes what
// happened for every outcome but Delivered; retryAfter is the hub's
// Retry-After, if any.
func (u *Uploader) Send(ctx context.Context, envelope []byte) (out Outcome, retryAfter time.Duration, err error) {
	out, retryAfter, _, err = u.SendReply(ctx, envelope)
	return out, retryAfter, err
}

// SendReply is Send that also returns the hub's reply to a delivered
// scorecard (zero when it could not be read: the status is the
// acknowledgement, the body only adds requests such as SendInventory).
func (u *Uploader) SendReply(ctx context.Context, envelope []byte) (out Outcome, retryAfter time.Duration, reply protocol.IngestResponse, err error) {
	return u.post(ctx, u.url, envelope)
}

// SendAnswers posts a signed answers document (protocol.AnswersPayloadType)
// to the hub, which files the answers for the agent's entity; the reply is
// classified as Send's.
func (u *Uploader) SendAnswers(ctx context.Context, envelope []byte) (out Outcome, retryAfter time.Duration, err error) {
	out, retryAfter, _, err = u.post(ctx, strings.TrimSuffix(u.url, protocol.PathScorecards)+protocol.PathAnswers, envelope)
	return out, retryAfter, err
}

func (u *Uploader) post(ctx context.Context, url string, envelope []byte) (out Outcome, retryAfter time.Duration, reply protocol.IngestResponse, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(envelope))
	if err != nil {
		return Retry, 0, reply, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(protocol.HeaderAgent, u.agentID)
	req.Header.Set("User-Agent", "vigie-agent/"+Version)
	resp, err := u.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrPinMismatch) {
			return Retry, 0, reply, err // logged loudly by the caller; files kept
		}
		return Retry, 0, reply, fmt.Errorf("hub injoignable : %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
		// Read the whole body so the connection is reused.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxReplySize))
		if json.Unmarshal(body, &reply) != nil {
			reply = protocol.IngestResponse{}
		}
		return Delivered, 0, reply, nil
	}
	he := readHubError(resp, u.now())
	switch {
	case resp.StatusCode == http.StatusBadRequest, resp.StatusCode == http.StatusConflict,
		resp.StatusCode == http.StatusRequestEntityTooLarge, resp.StatusCode == http.StatusUnprocessableEntity:
		return Rejected, 0, reply, he
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden:
		return Blocked, 0, reply, he
	}
	return Retry, he.RetryAfter, reply, he
}

// Health asks the hub's health endpoint over the pinned connection and
// returns its version.
func (u *Uploader) Health(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(u.url, protocol.PathScorecards)+protocol.PathHealth, nil)
	if err != nil {
		return "", err
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", readHubError(resp, u.now())
	}
	var h protocol.Health
	if err := decodeJSON(resp.Body, &h); err != nil || h.Status != "ok" {
		return "", fmt.Errorf("réponse de santé du hub inattendue (%v)", err)
	}
	return h.Version, nil
}
