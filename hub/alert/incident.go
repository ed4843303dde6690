package alert

import (
	"context"
	"fmt"
	"strconv"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// IncidentDeclared raises the "incident" event of a newly declared
// incident (issue 23): it goes through the outbox like any alert, to the
// advisers whose subscription covers the incident's entity (its sector,
// the entity itself, or the whole region) and to the webhooks that take
// it. An incident alerts at once: it is never quiet, and the cap applies
// as to any alert.
//
// Each incident alerts once: the incident is claimed in the store
// (alerted_at) before its event is queued, so the upload's call and the
// detection pass (which alerts what `vigie-hub import` filed) never both
// queue it; a claim whose event could not be queued is released for the
// next pass.
func (e *Engine) IncidentDeclared(ctx context.Context, in store.Incident, summary string) error {
	claimed, err := e.st.ClaimIncidentAlert(ctx, in.ID, e.cfg.Now())
	if err != nil || !claimed {
		return err
	}
	msg := fmt.Sprintf("Incident n°%d déclaré depuis le poste %s : %s.", in.ID, in.Hostname, in.Kind)
	if in.Source == "import" {
		msg = fmt.Sprintf("Incident n°%d déclaré depuis le poste %s (lot importé) : %s.", in.ID, in.Hostname, in.Kind)
	}
	if !in.AwareAt.IsZero() {
		msg += " Prise de connaissance le " + in.AwareAt.In(paris).Format("02/01/2006 à 15:04") + " : le délai d'alerte précoce NIS2 (24 h) court depuis."
	}
	if s := protocol.Clip(protocol.Printable(summary), 300); s != "" {
		msg += " Résumé : " + s
	}
	err = e.queueOne(ctx, pending{kind: Incident, entityID: in.EntityID, agentID: in.AgentID,
		data: &Data{Host: &HostRef{AgentID: in.AgentID, Hostname: in.Hostname}, Message: msg, URL: e.link("/incidents/" + strconv.FormatInt(in.ID, 10))}})
	if err != nil {
		if rerr := e.st.ReleaseIncidentAlert(context.WithoutCancel(ctx), in.ID); rerr != nil {
			return fmt.Errorf("%w (et la marque d'alerte n'a pu être levée : %v)", err, rerr)
		}
	}
	return err
}

// incidentsPass alerts the incidents stored without their alert: those
// `vigie-hub import` filed (no alert engine in that process), or whose
// alert failed to queue. Run by every detection pass, before it takes the
// engine's lock (queueOne takes it per event).
func (e *Engine) incidentsPass(ctx context.Context) error {
	list, err := e.st.UnalertedIncidents(ctx, 100)
	if err != nil {
		return fmt.Errorf("incidents à alerter : %w", err)
	}
	for _, in := range list {
		if err := e.IncidentDeclared(ctx, in, incidentSummary(in.Manifest)); err != nil {
			return fmt.Errorf("alerte de l'incident %d : %w", in.ID, err)
		}
	}
	return nil
}

// incidentSummary is the summary the entity wrote, read back from the
// manifest the hub verified at ingestion ("" when it cannot be read: the
// alert goes without it).
func incidentSummary(manifest []byte) string {
	env, err := protocol.ParseEnvelope(manifest)
	if err != nil {
		return ""
	}
	payload, err := protocol.OpenUnverified(env, protocol.IncidentPayloadType)
	if err != nil {
		return ""
	}
	m, err := protocol.ParseIncidentManifest(payload)
	if err != nil {
		return ""
	}
	return m.Answers.Summary
}
