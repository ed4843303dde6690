package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// maxIncidentBody bounds a whole incident upload: the manifest part, the
// archive part and the multipart framing.
const maxIncidentBody = protocol.MaxIncidentEnvelopeSize + protocol.MaxIncidentArchiveSize + 64<<10

// Incident handles POST /api/v1/incidents (docs/protocol.md, "Incidents"):
// what can be refused from the headers is refused first (an unknown or
// revoked agent, a body announced too large, not multipart), then the
// manifest part is read (bounded), then the archive part is handed to
// the incidents service as a stream: it never sits in memory.
func (s *Server) Incident(w http.ResponseWriter, r *http.Request) {
	claimed, ok := claimedAgent(w, r)
	if !ok {
		return
	}
	release, ok := s.uploadSlots(w, r, claimed)
	if !ok {
		return
	}
	defer release()
	hctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	_, ok = s.knownAgent(w, hctx, claimed, "incident")
	cancel()
	if !ok {
		return
	}
	if r.ContentLength > maxIncidentBody {
		tooLarge(w, maxIncidentBody)
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		writeError(w, http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMedia,
			"Le corps doit être multipart/form-data (parties manifest puis archive).",
			"The body must be multipart/form-data (parts manifest then archive).")
		return
	}
	if ok, wait := s.uploads.Allow("incident:" + claimed); !ok {
		retryLater(w, wait)
		return
	}
	if !s.takeSlot(w, r.Context()) {
		return
	}
	defer s.releaseSlot()
	// The server's read timeout is for scorecards; an archive of 100 MB
	// over a poor link takes longer: the minimum rate replaces it.
	slow := &minRateBody{ReadCloser: http.MaxBytesReader(w, r.Body, maxIncidentBody), rc: http.NewResponseController(w), start: time.Now(), grace: s.cfg.UploadGrace, rate: s.cfg.MinUploadRate}
	manifest, archive, err := IncidentParts(multipart.NewReader(slow, params["boundary"]))
	if err != nil {
		s.incidentBodyError(w, slow, err)
		return
	}
	if env, err := protocol.ParseEnvelope(manifest); err == nil && len(env.Signatures) == 1 && env.Signatures[0].KeyID != claimed {
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeAgentMismatch, "L'en-tête X-Vigie-Agent ne correspond pas à la clé qui a signé.", "The X-Vigie-Agent header does not match the signing key.")
		return
	}
	got, err := s.cfg.Incidents.Ingest(r.Context(), manifest, archive, "upload")
	// The server's write timeout started with the request: a long upload
	// must still get its reply.
	slow.rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if err == nil {
		// The archive part must end where the manifest said: trailing
		// bytes would have failed the hash; read the closing boundary.
		slow.finish()
	}
	switch {
	case err == nil && got.Duplicate:
		writeJSON(w, http.StatusOK, protocol.IncidentResponse{Status: protocol.IngestDuplicate, ID: got.Incident.ID, Entity: got.Incident.Entity})
	case err == nil:
		s.log.Info("incident declared", "agent", claimed, "id", got.Incident.ID, "kind", got.Incident.Kind)
		writeJSON(w, http.StatusCreated, protocol.IncidentResponse{Status: protocol.IngestStored, ID: got.Incident.ID, Entity: got.Incident.Entity})
	case errors.Is(err, store.ErrRevoked):
		s.agents.Delete(claimed)
		writeRefusal(w, refuseRevoked())
	case errors.Is(err, store.ErrNotFound):
		s.agents.Delete(claimed)
		writeRefusal(w, refuseUnknownAgent())
	case errors.Is(err, app.ErrIncidentMalformed):
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedIncident, err.Error()+".", "Unreadable incident declaration: "+err.Error()+".")
	case errors.Is(err, app.ErrIncidentSignature):
		s.log.Warn("incident: bad signature", "agent", claimed, "err", err)
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeBadSignature,
			"Signature invalide : le manifeste a été modifié ou n'a pas été signé par cet agent ("+err.Error()+").",
			"Invalid signature: the manifest was altered or not signed by this agent.")
	case errors.Is(err, app.ErrIncidentNotForHub):
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeIncidentNotForHub, err.Error()+".",
			"The archive is not encrypted to this hub's key: hand it to the CSIRT that holds the key.")
	case errors.Is(err, app.ErrIncidentMismatch):
		s.log.Warn("incident: archive does not match its manifest", "agent", claimed, "err", err)
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeIncidentMismatch, err.Error()+".",
			"The archive received does not match the signed manifest (size, SHA-256 or content).")
	default:
		s.incidentBodyError(w, slow, err)
	}
}

// incidentBodyError answers a body that could not be read: too large, too
// slow, cut short, or the hub's own storage failing.
func (s *Server) incidentBodyError(w http.ResponseWriter, slow *minRateBody, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge(w, maxIncidentBody)
	case slow.late:
		writeError(w, http.StatusRequestTimeout, protocol.CodeUploadTooSlow,
			"Envoi trop lent : le lot doit arriver à "+strconv.Itoa(s.cfg.MinUploadRate)+" octets/s au moins.",
			"Upload too slow: the bundle must arrive at "+strconv.Itoa(s.cfg.MinUploadRate)+" bytes/s at least.")
	case errors.Is(err, errIncidentParts):
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedIncident, err.Error()+".", "Unreadable incident upload: "+err.Error()+".")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, multipart.ErrMessageTooLarge):
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "Requête illisible ou interrompue.", "Unreadable or interrupted request.")
	default:
		s.log.Error("incident: storage", "err", err)
		storageUnavailable(w)
	}
}

var errIncidentParts = errors.New("envoi d'incident illisible")

// IncidentParts reads the upload's two parts in their order: the manifest
// (at most protocol.MaxIncidentEnvelopeSize bytes, read whole) and the
// archive, returned as a stream to read to its end.
func IncidentParts(mr *multipart.Reader) (manifest []byte, archive io.Reader, err error) {
	p, err := mr.NextPart()
	if err != nil {
		return nil, nil, fmt.Errorf("%w : %v", errIncidentParts, err)
	}
	if p.FormName() != protocol.IncidentPartManifest {
		return nil, nil, fmt.Errorf("%w : %s", errIncidentParts, "la première partie doit être « manifest »")
	}
	manifest, err = io.ReadAll(io.LimitReader(p, protocol.MaxIncidentEnvelopeSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(manifest) > protocol.MaxIncidentEnvelopeSize {
		return nil, nil, fmt.Errorf("%w : %s", errIncidentParts, "manifeste trop gros")
	}
	p, err = mr.NextPart()
	if err != nil {
		return nil, nil, fmt.Errorf("%w : %v", errIncidentParts, err)
	}
	if p.FormName() != protocol.IncidentPartArchive {
		return nil, nil, fmt.Errorf("%w : %s", errIncidentParts, "la seconde partie doit être « archive »")
	}
	return manifest, p, nil
}
