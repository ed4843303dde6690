package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/ratelimit"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Replies and request bodies: the protocol's error shape, bounded and rate-checked reads.

// writeJSON writes a reply of the protocol (an error is protocol.ErrorBody).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, fr, en string) {
	writeJSON(w, status, protocol.ErrorBody{Error: protocol.ErrorDetail{Code: code, Message: fr, MessageEN: en}})
}

func retryLater(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfter(wait)))
	writeError(w, http.StatusTooManyRequests, protocol.CodeRateLimited,
		"Trop de requêtes : réessayez plus tard (voir l'en-tête Retry-After).",
		"Too many requests: retry later (see the Retry-After header).")
}

func storageUnavailable(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, protocol.CodeStorageUnavailable,
		"Le stockage du hub est indisponible : réessayez plus tard.",
		"The hub's storage is unavailable: retry later.")
}

func tooLarge(w http.ResponseWriter, limit int) {
	writeError(w, http.StatusRequestEntityTooLarge, protocol.CodeRequestTooLarge,
		"Requête trop volumineuse (limite "+strconv.Itoa(limit)+" octets).",
		"Request too large (limit "+strconv.Itoa(limit)+" bytes).")
}

// minRateBody makes reading a body fail once it arrives slower than rate
// bytes a second after grace: before each read, the connection's read
// deadline is set to the moment the bytes received so far stop being
// enough. Where deadlines are not supported (a test's recorder), it
// only reads.
type minRateBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	start    time.Time
	grace    time.Duration
	rate     int
	received int64
	late     bool // a read hit the deadline
	off      bool
}

func (b *minRateBody) Read(p []byte) (int, error) {
	if !b.off {
		due := b.start.Add(b.grace + time.Duration(b.received)*time.Second/time.Duration(b.rate))
		if err := b.rc.SetReadDeadline(due); err != nil {
			b.off = true
		}
	}
	n, err := b.ReadCloser.Read(p)
	b.received += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.late = true
	}
	return n, err
}

func (b *minRateBody) finish() {
	if !b.off {
		b.rc.SetReadDeadline(time.Time{})
	}
}

// readBody reads at most limit bytes; ok is false when it already answered.
func readBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, bool) {
	if r.ContentLength > int64(limit) {
		tooLarge(w, limit)
		return nil, false
	}
	var body []byte
	var err error
	if r.ContentLength >= 0 {
		// The usual case: the length is announced (and enforced by
		// net/http), so read into a buffer of exactly that size rather
		// than growing one by doubling.
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w, limit)
		} else if b, ok := r.Body.(*minRateBody); ok && b.late {
			writeError(w, http.StatusRequestTimeout, protocol.CodeUploadTooSlow,
				"Envoi trop lent : le bilan doit arriver à 1 Kio/s au moins passées les 10 premières secondes.",
				"Upload too slow: the scorecard must arrive at 1 KiB/s at least after the first 10 seconds.")
		} else {
			writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "Requête illisible.", "Unreadable request.")
		}
		return nil, false
	}
	return body, true
}

func jsonContent(w http.ResponseWriter, r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMedia,
			"Le corps doit être du JSON (Content-Type: application/json).",
			"The body must be JSON (Content-Type: application/json).")
		return false
	}
	return true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// claimedAgent reads the X-Vigie-Agent header of a signed upload
// (docs/protocol.md, step 1). false: the reply is written.
func claimedAgent(w http.ResponseWriter, r *http.Request) (string, bool) {
	claimed := r.Header.Get(protocol.HeaderAgent)
	if !protocol.ValidAgentID(claimed) {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "En-tête X-Vigie-Agent manquant ou invalide.", "X-Vigie-Agent header missing or invalid.")
		return "", false
	}
	return claimed, true
}

// writeRefusal answers with a refusal of the core.
func writeRefusal(w http.ResponseWriter, r *Refusal) {
	writeError(w, r.Status, r.Code, r.FR, r.EN)
}

// knownAgent returns the claimed agent, known and unrevoked: the checks of
// every signed upload made before its body is read. false: the reply is
// written.
func (s *Server) knownAgent(w http.ResponseWriter, ctx context.Context, claimed, what string) (store.Agent, bool) {
	agent, err := s.agent(ctx, claimed)
	if errors.Is(err, store.ErrNotFound) {
		writeRefusal(w, refuseUnknownAgent())
		return store.Agent{}, false
	}
	if err != nil {
		s.log.Error(what+": storage", "err", err)
		storageUnavailable(w)
		return store.Agent{}, false
	}
	if agent.Revoked() {
		writeRefusal(w, refuseRevoked())
		return store.Agent{}, false
	}
	return agent, true
}

// signedPayload is openSigned for the API. false: the reply is written.
func (s *Server) signedPayload(w http.ResponseWriter, body []byte, agent store.Agent, payloadType string, whatFR, whatEN string) (protocol.Envelope, []byte, bool) {
	env, payload, ref := openSigned(s.log, body, agent, payloadType, whatFR, whatEN)
	if ref != nil {
		writeRefusal(w, ref)
		return env, nil, false
	}
	return env, payload, true
}
