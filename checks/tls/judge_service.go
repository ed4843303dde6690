package tls

import (
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// hstsMin is six months, the minimum of ANSSI and of browsers' preload lists.
const hstsMin = 15552000

func judgeHSTS(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needTLS(a); skip {
		return r
	}
	if !a.HTTPS {
		return checks.Skipped(protocol.Textf("pas un service web (HTTPS)", "not a web (HTTPS) service"))
	}
	if a.HSTSErr != nil {
		return checks.Errored(protocol.Textf("lecture de la réponse HTTP", "reading the HTTP response"), a.HSTSErr)
	}
	h := a.HSTS
	facts := map[string]any{"header": h.Header, "max_age": h.MaxAge, "include_subdomains": h.IncludeSubDomains, "http_status": h.Status}
	switch {
	case h.Header == "":
		return checks.Failed(protocol.Textf("pas d'en-tête Strict-Transport-Security (réponse HTTP %d)",
			"no Strict-Transport-Security header (HTTP response %d)", h.Status), facts)
	case h.MaxAge < hstsMin:
		return checks.Warned(protocol.Textf("HSTS max-age=%d : moins de 6 mois (%d)", "HSTS max-age=%d: less than 6 months (%d)",
			h.MaxAge, hstsMin), facts)
	}
	return checks.Passed(protocol.Textf("HSTS max-age=%d (%d jours)", "HSTS max-age=%d (%d days)", h.MaxAge, h.MaxAge/86400), facts)
}

func judgeStartTLS(a *Assessment, _ judgeEnv) protocol.Result {
	if a.StartTLS == nil {
		return checks.Skipped(protocol.Textf("TLS direct, pas un port de messagerie à STARTTLS", "direct TLS, not a STARTTLS mail port"))
	}
	p := strings.ToUpper(a.StartTLS.Protocol)
	facts := map[string]any{"protocol": a.StartTLS.Protocol, "offered": a.StartTLS.Offered}
	if !a.StartTLS.Offered {
		return checks.Failed(protocol.Textf("le serveur %s ne propose pas STARTTLS : messages et mots de passe circulent en clair",
			"the %s server does not offer STARTTLS: mail and passwords travel in clear text", p), facts)
	}
	vs := a.versions()
	best := versionName(vs[len(vs)-1])
	facts["best_version"] = best
	return checks.Passed(protocol.Textf("STARTTLS proposé par le serveur %s et fonctionnel (jusqu'à %s)",
		"STARTTLS offered by the %s server and working (up to %s)", p, best), facts)
}
