package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// HubKeys returns the hub's public keys: those remembered in the state, or,
// for an agent enrolled before the hub published them, read once from GET
// /api/v1/hub-keys over the connection pinned at enrolment (which is what
// makes them the hub's) and remembered. protocol.ErrNoHubKeys means the
// hub is older and has none.
func HubKeys(ctx context.Context, stateDir, proxy string) (protocol.HubKeys, error) {
	st, err := LoadState(stateDir)
	if err != nil {
		return protocol.HubKeys{}, err
	}
	if st.HubKeys != (protocol.HubKeys{}) {
		return st.HubKeys, nil
	}
	if !st.Enrolled() {
		return protocol.HubKeys{}, ErrNotEnrolled
	}
	keys, err := fetchHubKeys(ctx, st, proxy)
	if err != nil {
		return protocol.HubKeys{}, err
	}
	if _, err := UpdateState(stateDir, func(s *State) error { s.HubKeys = keys; return nil }); err != nil {
		return protocol.HubKeys{}, err
	}
	return keys, nil
}

func fetchHubKeys(ctx context.Context, st *State, proxy string) (protocol.HubKeys, error) {
	c, err := httpClient(PinnedTLSConfig(st.HubSPKI), proxy, 15*time.Second)
	if err != nil {
		return protocol.HubKeys{}, err
	}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.HubURL+protocol.PathHubKeys, nil)
	if err != nil {
		return protocol.HubKeys{}, err
	}
	req.Header.Set("User-Agent", "vigie-agent/"+Version)
	resp, err := c.Do(req)
	if err != nil {
		return protocol.HubKeys{}, explainTLS(st.HubURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return protocol.HubKeys{}, protocol.ErrNoHubKeys
	}
	if resp.StatusCode != http.StatusOK {
		return protocol.HubKeys{}, readHubError(resp, time.Now())
	}
	var keys protocol.HubKeys
	if err := decodeJSON(resp.Body, &keys); err != nil {
		return protocol.HubKeys{}, fmt.Errorf("clés du hub illisibles : %w", err)
	}
	if _, _, err := keys.Parse(); err != nil {
		if errors.Is(err, protocol.ErrNoHubKeys) {
			return protocol.HubKeys{}, err
		}
		return protocol.HubKeys{}, fmt.Errorf("clés du hub illisibles : %w", err)
	}
	return keys, nil
}
