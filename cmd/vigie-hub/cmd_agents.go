package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
)

// Commands on enrolled agents: revoke, reinstate, link.

func agentRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("agent revoke [--db ...] ID_AGENT",
		"Révoque un agent : le hub refuse désormais ses bilans et ses enrôlements (403), même avec un nouveau jeton ;\n"+
			"ceux déjà reçus restent. L'agent crée une nouvelle clé à son prochain vigie enroll ; agent link lui rend\n"+
			"son historique, agent reinstate annule une révocation faite par erreur. L'identifiant figure sur la page\n"+
			"du poste et dans « Agents et révocation ».")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return c.usageErr("attendu : vigie-hub agent revoke ID_AGENT")
	}
	id := c.fs.Arg(0)
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.New(app.Config{Store: st}).RevokeAgent(ctx, id, "cli"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("agent %s inconnu de ce hub", id)
		}
		return err
	}
	fmt.Fprintf(stdout, "Agent %s révoqué : ses bilans et ses enrôlements sont désormais refusés (403). "+
		"À son prochain vigie enroll, l'agent crée une nouvelle clé ; vigie-hub agent link %s NOUVEL_ID lui rend cet historique.\n", id, id)
	return nil
}

func agentReinstate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("agent reinstate [--db ...] ID_AGENT",
		"Annule une révocation faite par erreur : la clé de l'agent est de nouveau acceptée (inscrit au journal d'audit).")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return c.usageErr("attendu : vigie-hub agent reinstate ID_AGENT")
	}
	id := c.fs.Arg(0)
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.New(app.Config{Store: st}).ReinstateAgent(ctx, id, "cli"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("agent %s inconnu de ce hub", id)
		}
		return err
	}
	fmt.Fprintf(stdout, "Révocation de l'agent %s annulée : ses bilans sont de nouveau acceptés.\n", id)
	return nil
}

func agentLink(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("agent link [--db ...] ANCIEN_ID NOUVEL_ID",
		"La nouvelle clé d'un agent révoqué (créée à son vigie enroll suivant) reprend l'historique de l'ancienne :\n"+
			"même entité, ancien agent révoqué, nouveau non révoqué (inscrit au journal d'audit).")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 2 {
		return c.usageErr("attendu : vigie-hub agent link ANCIEN_ID NOUVEL_ID")
	}
	oldID, newID := c.fs.Arg(0), c.fs.Arg(1)
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.New(app.Config{Store: st}).LinkAgent(ctx, oldID, newID, "cli"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%v : agent inconnu de ce hub", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "L'agent %s reprend l'historique de %s.\n", newID, oldID)
	return nil
}
