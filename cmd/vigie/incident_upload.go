package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/protocol"
)

// incidentUploadTimeout bounds the whole upload: 100 MB at 1 Mbit/s takes
// about 15 minutes; a hospital's link does better, a hotspot may not.
var incidentUploadTimeout = 30 * time.Minute

// uploadIncident posts the signed manifest and the archive file to the
// hub the agent is enrolled with (POST /api/v1/incidents, multipart: the
// manifest part, then the archive streamed from disk), over the
// connection pinned at enrolment.
func uploadIncident(ctx context.Context, st *agent.State, manifest []byte, archivePath string) (protocol.IncidentResponse, error) {
	var reply protocol.IncidentResponse
	f, err := os.Open(archivePath)
	if err != nil {
		return reply, err
	}
	defer f.Close()
	client := &http.Client{Timeout: incidentUploadTimeout, Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 15 * time.Second}).DialContext,
		TLSClientConfig:     agent.PinnedTLSConfig(st.HubSPKI),
		TLSHandshakeTimeout: 15 * time.Second,
	}}
	defer client.CloseIdleConnections()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeIncidentParts(mw, manifest, f))
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(st.HubURL, "/")+protocol.PathIncidents, pr)
	if err != nil {
		return reply, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(protocol.HeaderAgent, st.AgentID)
	req.Header.Set("User-Agent", "vigie-agent/"+agent.Version)
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, agent.ErrPinMismatch) {
			return reply, err
		}
		return reply, fmt.Errorf("hub injoignable : %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxReplySize))
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &reply); err != nil {
			return reply, fmt.Errorf("réponse du hub illisible : %w", err)
		}
		return reply, nil
	}
	var eb protocol.ErrorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Message != "" {
		return reply, fmt.Errorf("le hub a refusé le lot (%d %s) : %s", resp.StatusCode, eb.Error.Code, eb.Error.Message)
	}
	return reply, fmt.Errorf("le hub a refusé le lot (HTTP %d)", resp.StatusCode)
}

// writeIncidentParts writes the two parts in the protocol's order.
func writeIncidentParts(mw *multipart.Writer, manifest []byte, archive io.Reader) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+protocol.IncidentPartManifest+`"; filename="manifest.dsse.json"`)
	h.Set("Content-Type", "application/json")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(manifest); err != nil {
		return err
	}
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+protocol.IncidentPartArchive+`"; filename="incident.tar.age"`)
	h.Set("Content-Type", "application/octet-stream")
	if w, err = mw.CreatePart(h); err != nil {
		return err
	}
	if _, err := io.Copy(w, archive); err != nil {
		return err
	}
	return mw.Close()
}
