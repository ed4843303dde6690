package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vigie-cyber/vigie/agent"
)

// Offline enrolment's two halves of `vigie enroll`: --request-out writes
// the signed request to carry to the hub, --response reads back what
// `vigie-hub enroll-offline` wrote.

type offlineEnrollFlags struct {
	requestOut, response, hubKey *string
}

func addOfflineEnrollFlags(fs *flag.FlagSet) offlineEnrollFlags {
	return offlineEnrollFlags{
		requestOut: fs.String("request-out", "", "inscription hors réseau : écrit la demande d'inscription signée dans ce fichier, à porter au hub (avec --token, et --fingerprint si on vous l'a donnée)"),
		response:   fs.String("response", "", "inscription hors réseau : lit la réponse écrite par vigie-hub enroll-offline et termine l'inscription"),
		hubKey:     fs.String("hub-key", "", "avec --response : clé de signature du hub (ou sa forme courte) affichée par vigie-hub keys, comparée à celle de la réponse"),
	}
}

func (f offlineEnrollFlags) requested() bool { return *f.requestOut != "" || *f.response != "" }

// run does the half asked for. hub is the address from --hub or the
// configuration (the response's when empty).
func (f offlineEnrollFlags) run(stateDir, token, fingerprint, hub string, stdout io.Writer) error {
	switch {
	case *f.requestOut != "" && *f.response != "":
		return usagef("--request-out et --response sont les deux étapes de l'inscription hors réseau : l'une après l'autre, pas ensemble")
	case *f.requestOut != "":
		if token == "" {
			return usagef("--request-out demande --token (le jeton donné par le centre régional)")
		}
		if *f.hubKey != "" {
			return usagef("--hub-key sert avec --response (la réponse du hub), pas avec --request-out")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		info, _ := hostFacts(ctx)
		r, err := agent.WriteEnrollRequest(agent.OfflineRequestOptions{Token: token, Fingerprint: fingerprint, StateDir: stateDir, Host: info}, *f.requestOut)
		if err != nil {
			return err
		}
		if r.KeyCreated {
			fmt.Fprintf(stdout, "Clé de l'agent créée : %s\n", r.KeyPath)
		}
		fmt.Fprintf(stdout, "Demande d'inscription de l'agent %s écrite : %s\n"+
			"Portez-la au centre régional, qui lancera : vigie-hub enroll-offline %s --token JETON --out RÉPONSE\n"+
			"puis, sur ce poste : vigie enroll --response RÉPONSE\n"+
			"La demande contient le jeton : gardez-la pour vous jusqu'à l'inscription (ensuite, le jeton ne sert plus).\n",
			r.AgentID, *f.requestOut, *f.requestOut)
		return nil
	}
	if token != "" {
		return usagef("--token sert avec --request-out ; la réponse (--response) n'en a pas besoin")
	}
	e, err := agent.CompleteOfflineEnroll(agent.OfflineResponseOptions{StateDir: stateDir, Fingerprint: fingerprint, HubKey: *f.hubKey, HubURL: hub}, *f.response)
	if err != nil {
		return explainHubError(err)
	}
	fmt.Fprintf(stdout, "Agent inscrit hors réseau pour « %s » (identifiant %s, dossier d'état %s).\n"+
		"Identité et clés du hub mémorisées : les bilans sont chiffrés pour lui seul.\n"+
		"Pour écrire les bilans sur une clé USB, dans la configuration : [hub] mode = \"offline\" et offline_dir = \"E:\\\\vigie\", "+
		"puis redémarrez le service ; ou, ponctuellement : vigie scan --offline-out DOSSIER.\n", e.Entity, e.AgentID, stateDir)
	return nil
}
