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
func (e *Engine) IncidentDeclared(ctx context.Context, in store.Incident, summary string) error {
	msg := fmt.Sprintf("Incident n°%d déclaré depuis le poste %s : %s.", in.ID, in.Hostname, in.Kind)
	if !in.AwareAt.IsZero() {
		msg += " Prise de connaissance le " + in.AwareAt.In(paris).Format("02/01/2006 à 15:04") + " : le délai d'alerte précoce NIS2 (24 h) court depuis."
	}
	if s := protocol.Clip(protocol.Printable(summary), 300); s != "" {
		msg += " Résumé : " + s
	}
	return e.queueOne(ctx, pending{kind: Incident, entityID: in.EntityID, agentID: in.AgentID,
		data: &Data{Host: &HostRef{AgentID: in.AgentID, Hostname: in.Hostname}, Message: msg, URL: e.link("/incidents/" + strconv.FormatInt(in.ID, 10))}})
}
