package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/protocol"
)

// enrollOffline answers an enrolment request carried by hand from a site
// off the network (docs/protocol.md, "Offline enrolment"): the request is
// enrolled by app.EnrollAgent exactly as POST /api/v1/enroll would, and the
// reply is written to a file signed with the hub's signing key.
func enrollOffline(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("enroll-offline DEMANDE --token JETON --out RÉPONSE [options]",
		"Inscrit un agent d'un site isolé à partir de la demande qu'il a écrite (vigie enroll --request-out) :\n"+
			"mêmes règles qu'une inscription en ligne (jeton, révocation, journal d'audit). La réponse, signée par\n"+
			"la clé de signature du hub, porte l'identité et les clés publiques du hub ; l'agent la lit avec\n"+
			"vigie enroll --response RÉPONSE. Le jeton donné ici doit être celui que porte la demande.")
	token := c.fs.String("token", "", "`JETON` d'inscription remis à l'entité (celui de la demande ; obligatoire)")
	out := c.fs.String("out", "", "`FICHIER` de réponse à écrire, à rapporter au poste (obligatoire)")
	publicURL := c.fs.String("public-url", "", "`URL` publique du hub, mémorisée par l'agent s'il rejoint un jour le réseau (défaut : https://<nom de cette machine>:8443)")
	certFile := c.fs.String("cert", "", "certificat TLS du hub (`FICHIER` PEM) dont l'empreinte est donnée à l'agent (défaut : hub.crt du dossier des données)")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub : certificat et clés (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	// The request file comes first on the line: flags may follow it.
	var pos []string
	rest := args
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if err := c.parse(rest); err != nil {
		return err
	}
	pos = append(pos, c.fs.Args()...)
	if len(pos) != 1 {
		return c.usageErr("indiquez un seul fichier de demande (écrit par vigie enroll --request-out)")
	}
	if strings.TrimSpace(*token) == "" || *out == "" {
		return c.usageErr("--token et --out sont obligatoires")
	}
	body, err := readBounded(pos[0], protocol.MaxEnrollSize)
	if err != nil {
		return fmt.Errorf("demande d'inscription refusée : %w", err)
	}
	req, _, err := protocol.VerifyEnroll(body)
	if err != nil {
		return fmt.Errorf("demande d'inscription %s refusée : ce n'est pas une demande signée par la clé qu'elle présente (fichier abîmé ou modifié ?) : %w", pos[0], err)
	}
	// The operator names the token the request must carry: a request
	// brought by hand is enrolled only for the token the operator meant.
	if subtle.ConstantTimeCompare(app.HashToken(req.Token), app.HashToken(*token)) != 1 {
		return errors.New("le jeton de la demande n'est pas celui indiqué par --token : demande refusée, rien n'est inscrit")
	}
	if *dataDir == "" {
		*dataDir = defaultDataDir(*c.db)
	}
	if *certFile == "" {
		*certFile = filepath.Join(*dataDir, "hub.crt")
	}
	spki, err := certSPKI(*certFile)
	if err != nil {
		return fmt.Errorf("empreinte du hub inconnue (%v) : l'agent doit l'épingler ; indiquez --cert ou --data-dir, "+
			"ou lancez une première fois vigie-hub serve, qui crée son certificat autosigné (hub.crt)", err)
	}
	keys, _, err := loadHubKeys(*dataDir, true)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	resp, err := app.EnrollAgent(ctx, st, now, body, app.EnrollHub{SPKI: spki, Keys: keys.Public()}, "hors ligne (vigie-hub enroll-offline)")
	var refusal *app.EnrollRefusal
	if errors.As(err, &refusal) {
		return fmt.Errorf("inscription refusée : %s", refusal.Message)
	}
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	signed, err := protocol.SignOfflineEnrollResponse(protocol.OfflineEnrollResponse{
		EnrollResponse: resp, HubURL: app.PublicURL(*publicURL, host, ":8443"), IssuedAt: now,
	}, keys.Signing)
	if err != nil {
		return err
	}
	// Not secret (public keys and names), but whole or absent: never half
	// a response under the final name.
	if err := keystore.WriteFileAtomic(*out, append(signed, '\n'), 0o644); err != nil {
		return fmt.Errorf("écriture de %s : %w ; l'agent %s est inscrit, sa réponse non écrite : relancez la même commande "+
			"vers un autre --out (la même demande avec le même jeton est reconnue comme une inscription répétée)", *out, err, resp.AgentID)
	}
	fmt.Fprintf(stdout, "Agent %s inscrit hors ligne pour « %s » (%s).\nRéponse écrite : %s\n"+
		"Sur le poste : vigie enroll --response %s\n", resp.AgentID, resp.Entity, resp.Sector, *out, filepath.Base(*out))
	return nil
}
