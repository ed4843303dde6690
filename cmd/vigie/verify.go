package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// verifyError is a verification that ran and refused the file (exit code 3).
type verifyError struct{ msg string }

func (e verifyError) Error() string { return e.msg }

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stdout)
	keyPath := fs.String("key", "", "clé publique de l'agent (fichier PEM, par exemple agent.key.pub)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("indiquez un fichier : vigie verify bilan.dsse.json --key agent.key.pub")
	}
	if *keyPath == "" {
		return usagef("--key est requis : la clé publique de l'agent qui a signé le bilan")
	}
	keyData, err := os.ReadFile(*keyPath)
	if err != nil {
		return fmt.Errorf("clé %s illisible : %w", *keyPath, err)
	}
	pub, err := protocol.ParsePublicKey(keyData)
	if err != nil {
		return fmt.Errorf("clé %s invalide (attendu : clé publique Ed25519 PEM) : %w", *keyPath, err)
	}
	data, err := checks.ReadFileMax(pos[0], protocol.MaxEnvelopeSize)
	if errors.Is(err, checks.ErrFileTooLarge) {
		return verifyError{fmt.Sprintf("%s dépasse la taille maximale d'un bilan (%d octets)", pos[0], protocol.MaxEnvelopeSize)}
	}
	if err != nil {
		return fmt.Errorf("%s illisible : %w", pos[0], err)
	}
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		return verifyError{fmt.Sprintf("%s n'est pas un bilan signé lisible : %v", pos[0], err)}
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, pub)
	if err != nil {
		return verifyError{explainVerify(pos[0], err)}
	}
	sc, err := protocol.Decode(payload)
	if err != nil {
		return verifyError{fmt.Sprintf("%s : signature valide mais contenu invalide : %v", pos[0], err)}
	}
	fmt.Fprintf(stdout, "Signature valide : %s a été signé par l'agent %s et n'a pas été modifié.\n", pos[0], protocol.KeyID(pub))
	fmt.Fprintf(stdout, "Hôte %s, analysé le %s, niveau %d/4 (%s), score %d/100.\n",
		protocol.Printable(sc.Host.Hostname), report.FormatTime(sc.StartedAt, "fr"), sc.Level, sc.Level.Name("fr"), sc.Score)
	return nil
}

func explainVerify(file string, err error) string {
	switch {
	case errors.Is(err, protocol.ErrBadSignature):
		return fmt.Sprintf("SIGNATURE INVALIDE : %s a été modifié après sa signature (ou la signature est altérée). Ne vous fiez pas à son contenu.", file)
	case errors.Is(err, protocol.ErrUnknownKey):
		return fmt.Sprintf("CLÉ DIFFÉRENTE : %s n'a pas été signé avec cette clé (%v).", file, err)
	case errors.Is(err, protocol.ErrPayloadType):
		return fmt.Sprintf("%s ne contient pas un bilan Vigie (%v).", file, err)
	}
	return fmt.Sprintf("%s refusé : %v", file, err)
}
