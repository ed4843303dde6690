package main

import (
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// adminNotice says, when the scan runs without administrator rights, which
// checks that prevented from reading their data (their error evidence
// carries winps.AdminNeeded), instead of leaving them as unexplained
// errors. Empty when elevated or when nothing was prevented on Windows.
func adminNotice(sc *protocol.Scorecard, isAdmin bool) string {
	if isAdmin || sc == nil || sc.Host.OS != "windows" {
		return ""
	}
	var ids []string
	for _, r := range sc.Results {
		if r.Status == protocol.Error && strings.Contains(r.Evidence.FR, winps.AdminNeeded.FR) {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return "Vigie tourne sans droits administrateur : lancez-le en administrateur pour un bilan complet.\n"
	}
	return fmt.Sprintf("Vigie tourne sans droits administrateur : %d vérification(s) n'ont pas pu lire leurs données (%s) : %s. Lancez-le en administrateur (ou installez le service) pour un bilan complet.\n",
		len(ids), winps.AdminNeeded.FR, strings.Join(ids, ", "))
}
