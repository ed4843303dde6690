// Package national is the national hub: it receives the regional hubs'
// signed aggregates (hub/federation) from registered keys only, keeps
// their history, and builds the national overview and report from them.
// It never sees an entity: only what the regions' aggregates publish.
package national

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// maxBody bounds a push: the document's limit in base64, with the
// envelope around it.
const maxBody = federation.MaxDocument*4/3 + 4096

// Receiver is the national hub's POST federation.Path.
type Receiver struct {
	Store store.Store
	Now   func() time.Time
	Log   *slog.Logger
}

// Register adds the receiving route to mux.
func (r *Receiver) Register(mux *http.ServeMux) {
	mux.Handle("POST "+federation.Path, r)
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	reply, status := r.receive(req.Context(), http.MaxBytesReader(w, req.Body, maxBody))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(reply)
}

func (r *Receiver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Receiver) audit(ctx context.Context, region, action, day, detail string) {
	if err := r.Store.Audit(ctx, store.AuditEntry{At: r.now(), Actor: "region:" + region, Action: action, Target: day, Detail: detail}); err != nil && r.Log != nil {
		r.Log.Error("journal d'audit", "err", err)
	}
}

func refuse(code string, status int, format string, args ...any) (federation.Reply, int) {
	return federation.Reply{Status: code, Message: fmt.Sprintf(format, args...)}, status
}

// receive checks a push in the order that costs the sender most to fake:
// form, registered key, signature, document, withholding, then stores.
func (r *Receiver) receive(ctx context.Context, body io.Reader) (federation.Reply, int) {
	data, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return refuse("too_large", http.StatusRequestEntityTooLarge, "agrégat de plus de %d octets", maxBody)
	}
	if err != nil {
		return refuse("malformed", http.StatusBadRequest, "lecture : %v", err)
	}
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		return refuse("malformed", http.StatusBadRequest, "enveloppe DSSE illisible : %v", err)
	}
	if len(env.Signatures) != 1 {
		return refuse("malformed", http.StatusBadRequest, "une signature attendue, %d reçues", len(env.Signatures))
	}
	regions, err := r.Store.Regions(ctx)
	if err != nil {
		return refuse("server_error", http.StatusInternalServerError, "erreur du hub national")
	}
	var reg *store.Region
	for i := range regions {
		if regions[i].KeyID == env.Signatures[0].KeyID {
			reg = &regions[i]
		}
	}
	if reg == nil {
		if r.Log != nil {
			r.Log.Warn("agrégat signé d'une clé inconnue", "keyid", protocol.Clip(protocol.Printable(env.Signatures[0].KeyID), 64))
		}
		return refuse("unknown_key", http.StatusUnauthorized, "clé de signature %s non enregistrée sur le hub national : "+
			"donnez la clé affichée par vigie-hub keys à l'administrateur national (vigie-hub region add)", protocol.Clip(protocol.Printable(env.Signatures[0].KeyID), 64))
	}
	pub, err := protocol.DecodePublicKey(reg.SigningKey)
	if err != nil {
		return refuse("server_error", http.StatusInternalServerError, "clé enregistrée illisible")
	}
	payload, err := protocol.Verify(env, federation.PayloadType, pub)
	if err != nil {
		r.audit(ctx, reg.Name, "aggregate_refused", "", "signature : "+err.Error())
		return refuse("bad_signature", http.StatusUnauthorized, "signature invalide : %v", err)
	}
	if reg.Revoked() {
		r.audit(ctx, reg.Name, "aggregate_refused", "", "région révoquée")
		return refuse("region_revoked", http.StatusForbidden, "la région %s a été révoquée le %s : ses envois sont refusés",
			reg.Name, reg.RevokedAt.Format("02/01/2006"))
	}
	doc, err := federation.Decode(payload)
	switch {
	case errors.Is(err, federation.ErrSchema):
		r.audit(ctx, reg.Name, "aggregate_refused", "", err.Error())
		return refuse("schema_unsupported", http.StatusUnprocessableEntity, "%v", err)
	case errors.Is(err, federation.ErrNotWithheld):
		r.audit(ctx, reg.Name, "aggregate_refused", "", err.Error())
		return refuse("not_withheld", http.StatusUnprocessableEntity, "%v : le document désignerait des entités", err)
	case err != nil:
		r.audit(ctx, reg.Name, "aggregate_refused", "", protocol.Clip(err.Error(), 300))
		return refuse("invalid", http.StatusBadRequest, "%v", err)
	}
	if doc.Region != reg.Name {
		r.audit(ctx, reg.Name, "aggregate_refused", doc.Day, "région "+doc.Region)
		return refuse("region_mismatch", http.StatusBadRequest, "le document se dit de la région %q, la clé est enregistrée pour %q : "+
			"lancez vigie-hub federate avec --region %q", doc.Region, reg.Name, reg.Name)
	}
	day, _ := federation.ParseDay(doc.Day)
	now := r.now().UTC()
	if day.After(now.Add(24*time.Hour)) || day.Before(now.AddDate(-2, 0, 0)) {
		return refuse("day_out_of_range", http.StatusBadRequest, "jour %s hors de la période acceptée (deux ans passés, jusqu'à demain)", doc.Day)
	}
	rec := store.AggregateRecord{Region: reg.Name, Day: doc.Day, ReceivedAt: now, GeneratedAt: doc.GeneratedAt, SHA256: federation.Digest(doc),
		Document: payload, Envelope: data}
	rec.Entities, rec.LevelN, rec.LevelSum, rec.WithheldCells = Figures(doc)
	out, err := r.Store.PutAggregate(ctx, rec)
	if err != nil {
		if r.Log != nil {
			r.Log.Error("enregistrement d'un agrégat", "région", reg.Name, "err", err)
		}
		return refuse("server_error", http.StatusInternalServerError, "erreur du hub national")
	}
	r.audit(ctx, reg.Name, "aggregate_received", doc.Day, out.String())
	status := http.StatusOK
	if out == store.AggregateNew || out == store.AggregateReplaced {
		status = http.StatusCreated
	}
	return federation.Reply{Status: out.String(), Region: reg.Name, Day: doc.Day}, status
}

// Figures are what the trends read of a document: the published
// entities, the entities with a published level and the sum of their
// levels, and the cells withheld.
func Figures(a *federation.Aggregate) (entities, levelN, levelSum, withheld int) {
	for _, c := range a.Cells {
		if c.Withheld {
			withheld++
			continue
		}
		entities += c.Entities.N
		for l, n := range c.Levels {
			if !n.Withheld {
				levelN += n.N
				levelSum += l * n.N
			}
		}
	}
	return
}
