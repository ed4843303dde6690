package dns

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

func fqdn(s *session, prefix string) string {
	if prefix == "" {
		return dns.Fqdn(s.domain)
	}
	return dns.Fqdn(prefix + "." + s.domain)
}

// mxInfo is the domain's MX set as the resolver gives it.
type mxInfo struct {
	MX     []*dns.MX
	NullMX bool // RFC 7505 "0 ." : the domain receives no mail
	NX     bool // the domain does not exist
}

func (s *session) mx(ctx context.Context) (mxInfo, error) {
	return memo(ctx, s, "mx", func(ctx context.Context) (mxInfo, error) {
		r, err := s.resolve(ctx, fqdn(s, ""), dns.TypeMX)
		if err != nil {
			return mxInfo{}, err
		}
		var out mxInfo
		out.NX = r.Rcode == dns.RcodeNameError
		for _, rr := range answers(r, fqdn(s, ""), dns.TypeMX) {
			out.MX = append(out.MX, rr.(*dns.MX))
		}
		out.NullMX = len(out.MX) == 1 && out.MX[0].Mx == "."
		return out, nil
	})
}

var whatMail = textf("enregistrements de messagerie", "mail records")

// missing returns an error result when the domain itself does not exist:
// every record check would otherwise report a misleading "absent".
func missing(ctx context.Context, s *session) *protocol.Result {
	m, err := s.mx(ctx)
	if err != nil {
		r := checks.Errored(whatMail, err)
		return &r
	}
	if m.NX {
		r := checks.Errored(whatMail, fmt.Errorf("%s: %w", s.domain, ErrNXDomain))
		return &r
	}
	return nil
}

// checkMX: without MX (or a null MX saying "no mail here") senders fall
// back to the A record and mail goes astray. ANSSI 24.
func checkMX(ctx context.Context, s *session) protocol.Result {
	if r := missing(ctx, s); r != nil {
		return *r
	}
	m, _ := s.mx(ctx)
	if m.NullMX {
		return checks.Passed(textf("MX nul (RFC 7505) : le domaine déclare ne recevoir aucun courriel", "null MX (RFC 7505): the domain declares it receives no mail"),
			map[string]any{"null_mx": true})
	}
	if len(m.MX) == 0 {
		return checks.Failed(textf("aucun enregistrement MX : publier les serveurs de messagerie, ou un MX nul « 0 . » si le domaine ne reçoit pas de courriel",
			"no MX record: publish the mail servers, or a null MX \"0 .\" if the domain receives no mail"), map[string]any{"mx": []string{}})
	}
	var hosts, broken []string
	for _, mx := range m.MX {
		h := fmt.Sprintf("%d %s", mx.Preference, mx.Mx)
		hosts = append(hosts, h)
		if mx.Mx == "." {
			broken = append(broken, mx.Mx)
			continue
		}
		addrs, err := s.addrs(ctx, mx.Mx)
		if err != nil || len(addrs) == 0 {
			broken = append(broken, mx.Mx)
		}
	}
	facts := map[string]any{"mx": hosts}
	if len(broken) > 0 {
		facts["unresolvable"] = broken
		return checks.Warned(textf("MX : %s ; sans adresse : %s", "MX: %s; without an address: %s", strings.Join(hosts, ", "), strings.Join(broken, ", ")), facts)
	}
	return checks.Passed(textf("MX : %s", "MX: %s", strings.Join(hosts, ", ")), facts)
}

// spfEval is an SPF record with its includes followed.
type spfEval struct {
	Record    string
	Final     byte // qualifier of the all that ends evaluation, 0 if none
	FinalFrom string
	Lookups   int
	Err       error // permerror found while following includes
}

const spfMaxLookups = 10 // RFC 7208 §4.6.4

// evalSPF follows include and redirect to count DNS lookups and find the
// final "all". It stops past the limit, so a loop cannot run away.
func (s *session) evalSPF(ctx context.Context, domain, record string, ev *spfEval, depth int) {
	rec, err := ParseSPF(record)
	if err != nil {
		ev.Err = fmt.Errorf("%s: %w", domain, err)
		return
	}
	for _, t := range rec.Terms {
		switch t.Mechanism {
		case "include", "a", "mx", "ptr", "exists":
			ev.Lookups++
		}
		if ev.Lookups > spfMaxLookups || ev.Err != nil {
			return
		}
		if t.Mechanism == "all" {
			if depth == 0 {
				ev.Final, ev.FinalFrom = t.Qualifier, domain
			}
			return // terms after all are never evaluated
		}
		if t.Mechanism == "include" && !strings.Contains(t.Value, "%") {
			inc, err := s.spfRecord(ctx, t.Value)
			if err != nil {
				ev.Err = fmt.Errorf("include:%s: %w", t.Value, err)
				return
			}
			sub := &spfEval{}
			sub.Lookups = ev.Lookups
			s.evalSPF(ctx, t.Value, inc, sub, depth+1)
			ev.Lookups = sub.Lookups
			if sub.Err != nil {
				ev.Err = sub.Err
				return
			}
		}
	}
	if rec.Redirect != "" {
		ev.Lookups++
		if ev.Lookups > spfMaxLookups || strings.Contains(rec.Redirect, "%") {
			return
		}
		red, err := s.spfRecord(ctx, rec.Redirect)
		if err != nil {
			ev.Err = fmt.Errorf("redirect=%s: %w", rec.Redirect, err)
			return
		}
		s.evalSPF(ctx, rec.Redirect, red, ev, depth) // the redirect target's all counts as ours
	}
}

var errNoSPF = errors.New("no SPF record")

// spfRecord returns the one SPF record at name.
func (s *session) spfRecord(ctx context.Context, name string) (string, error) {
	txts, err := s.txt(ctx, name)
	if err != nil {
		return "", err
	}
	var spf []string
	for _, t := range txts {
		if IsSPF(t) {
			spf = append(spf, t)
		}
	}
	switch len(spf) {
	case 0:
		return "", errNoSPF
	case 1:
		return spf[0], nil
	}
	return "", fmt.Errorf("%d SPF records (only one is allowed)", len(spf))
}

// checkSPF: without SPF, or with "+all"/"?all", anyone can send mail in
// the domain's name (phishing of citizens and suppliers). ANSSI 24.
func checkSPF(ctx context.Context, s *session) protocol.Result {
	if r := missing(ctx, s); r != nil {
		return *r
	}
	rec, err := s.spfRecord(ctx, fqdn(s, ""))
	if errors.Is(err, errNoSPF) {
		return checks.Failed(textf("aucun enregistrement SPF : n'importe qui peut envoyer des courriels au nom du domaine",
			"no SPF record: anyone can send mail in the domain's name"), map[string]any{"spf": ""})
	}
	if err != nil {
		var re *RcodeError
		if errors.As(err, &re) || errors.Is(err, ErrTimeout) {
			return checks.Errored(whatMail, err)
		}
		return checks.Failed(textf("SPF invalide : %v", "invalid SPF: %v", err), nil)
	}
	ev := &spfEval{Record: rec}
	s.evalSPF(ctx, s.domain, rec, ev, 0)
	facts := map[string]any{"spf": rec, "lookups": ev.Lookups}
	if ev.Final != 0 {
		facts["all"] = string(ev.Final) + "all"
	}
	if ev.Err != nil {
		return checks.Failed(textf("SPF « %s » invalide (les destinataires l'ignorent) : %v", "SPF \"%s\" invalid (receivers ignore it): %v", rec, ev.Err), facts)
	}
	if ev.Lookups > spfMaxLookups {
		return checks.Failed(textf("SPF « %s » demande plus de %d requêtes DNS (limite RFC 7208) : les destinataires le rejettent",
			"SPF \"%s\" needs more than %d DNS lookups (RFC 7208 limit): receivers reject it", rec, spfMaxLookups), facts)
	}
	switch ev.Final {
	case '-', '~':
		return checks.Passed(textf("SPF « %s » se termine par %call (%s), %d requêtes DNS", "SPF \"%s\" ends with %call (%s), %d DNS lookups",
			rec, ev.Final, QualifierName(ev.Final), ev.Lookups), facts)
	case '+', '?':
		return checks.Failed(textf("SPF « %s » se termine par %call : il autorise tout expéditeur (remplacer par -all ou ~all)",
			"SPF \"%s\" ends with %call: it allows any sender (replace with -all or ~all)", rec, ev.Final), facts)
	}
	return checks.Failed(textf("SPF « %s » ne se termine pas par « all » : les autres expéditeurs restent « neutres » (ajouter -all ou ~all)",
		"SPF \"%s\" has no final \"all\": other senders stay \"neutral\" (add -all or ~all)", rec), facts)
}

// checkDMARC: DMARC tells receivers what to do with mail failing SPF/DKIM
// alignment; p=none protects no one. ANSSI 24, CIS 9.5 (IG2).
func checkDMARC(ctx context.Context, s *session) protocol.Result {
	if r := missing(ctx, s); r != nil {
		return *r
	}
	txts, err := s.txt(ctx, fqdn(s, "_dmarc"))
	if err != nil {
		return checks.Errored(whatMail, err)
	}
	var recs []string
	for _, t := range txts {
		if IsDMARC(t) {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return checks.Failed(textf("aucun enregistrement DMARC à _dmarc.%s", "no DMARC record at _dmarc.%s", s.domain), map[string]any{"dmarc": ""})
	case 1:
	default:
		return checks.Failed(textf("%d enregistrements DMARC : les destinataires les ignorent tous", "%d DMARC records: receivers ignore them all", len(recs)),
			map[string]any{"dmarc": recs})
	}
	d, err := ParseDMARC(recs[0])
	facts := map[string]any{"dmarc": recs[0]}
	if err != nil {
		return checks.Failed(textf("DMARC « %s » invalide : %v", "DMARC \"%s\" invalid: %v", recs[0], err), facts)
	}
	facts["policy"], facts["pct"], facts["rua"] = d.Policy, d.Pct, d.RUA
	rua := strings.Join(d.RUA, ", ")
	switch {
	case d.Policy == "none" && len(d.RUA) == 0:
		return checks.Failed(textf("DMARC p=none sans adresse de rapport (rua) : l'enregistrement ne protège ni n'informe",
			"DMARC p=none without a report address (rua): the record neither protects nor informs"), facts)
	case d.Policy == "none":
		return checks.Warned(textf("DMARC p=none (observation seule, rapports vers %s) : passer à quarantine puis reject une fois les rapports propres",
			"DMARC p=none (monitoring only, reports to %s): move to quarantine then reject once the reports are clean", rua), facts)
	case d.Pct < 100:
		return checks.Warned(textf("DMARC p=%s mais pct=%d : la politique ne s'applique qu'à une partie des courriels",
			"DMARC p=%s but pct=%d: the policy applies to part of the mail only", d.Policy, d.Pct), facts)
	case len(d.RUA) == 0:
		return checks.Warned(textf("DMARC p=%s sans adresse de rapport (rua) : aucun retour sur les usurpations", "DMARC p=%s without a report address (rua): no feedback on spoofing", d.Policy), facts)
	}
	return checks.Passed(textf("DMARC p=%s, rapports vers %s", "DMARC p=%s, reports to %s", d.Policy, rua), facts)
}

// mailReceiver returns a not-applicable result when the domain receives no
// mail (no MX or null MX), for MTA-STS and TLS-RPT.
func mailReceiver(ctx context.Context, s *session) *protocol.Result {
	if r := missing(ctx, s); r != nil {
		return r
	}
	m, _ := s.mx(ctx)
	if m.NullMX || len(m.MX) == 0 {
		r := checks.Skipped(textf("le domaine ne reçoit pas de courriel (pas de MX ou MX nul)", "the domain receives no mail (no MX or null MX)"))
		return &r
	}
	return nil
}

var stsID = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

// tagList parses "k=v; k=v" records (MTA-STS, TLS-RPT).
func tagList(rec string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// checkMTASTS: MTA-STS (RFC 8461) stops an attacker on the path from
// downgrading mail delivery to plain text. Low.
func checkMTASTS(ctx context.Context, s *session) protocol.Result {
	if r := mailReceiver(ctx, s); r != nil {
		return *r
	}
	name := fqdn(s, "_mta-sts")
	txts, err := s.txt(ctx, name)
	if err != nil {
		return checks.Errored(whatMail, err)
	}
	var recs []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=STSv1") {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return checks.Warned(textf("pas d'enregistrement MTA-STS à %s : la livraison des courriels entrants peut être dégradée en clair",
			"no MTA-STS record at %s: inbound mail delivery can be downgraded to plain text", name), map[string]any{"mta_sts": ""})
	case 1:
	default:
		return checks.Failed(textf("%d enregistrements MTA-STS : les expéditeurs les ignorent", "%d MTA-STS records: senders ignore them", len(recs)), map[string]any{"mta_sts": recs})
	}
	id := tagList(recs[0])["id"]
	facts := map[string]any{"mta_sts": recs[0]}
	if !stsID.MatchString(id) {
		return checks.Failed(textf("MTA-STS « %s » : identifiant id= absent ou invalide", "MTA-STS \"%s\": missing or invalid id=", recs[0]), facts)
	}
	pol, err := s.stsPolicy(ctx)
	if err != nil {
		facts["policy_error"] = err.Error()
		return checks.Failed(textf("MTA-STS annoncé (id=%s) mais sa politique, https://mta-sts.%s/.well-known/mta-sts.txt, est inutilisable : %v ; les expéditeurs l'ignorent, les courriels ne sont pas protégés",
			"MTA-STS announced (id=%s) but its policy, https://mta-sts.%s/.well-known/mta-sts.txt, is unusable: %v; senders ignore it, mail is not protected", id, s.domain, err), facts)
	}
	facts["mode"], facts["policy_mx"], facts["max_age"] = pol.Mode, pol.MX, pol.MaxAge
	m, _ := s.mx(ctx)
	var uncovered []string
	for _, rr := range m.MX {
		if !stsMatch(rr.Mx, pol.MX) {
			uncovered = append(uncovered, strings.TrimSuffix(rr.Mx, "."))
		}
	}
	uncovered = sortedUnique(uncovered)
	switch {
	case pol.Mode == "none":
		return checks.Warned(textf("MTA-STS désactivé : la politique est en mode none", "MTA-STS switched off: the policy is in mode none"), facts)
	case len(uncovered) > 0 && pol.Mode == "enforce":
		facts["uncovered_mx"] = uncovered
		return checks.Failed(textf("la politique MTA-STS (mode enforce) ne couvre pas les serveurs de messagerie %s : les expéditeurs qui appliquent MTA-STS refusent de leur livrer vos courriels",
			"the MTA-STS policy (mode enforce) does not cover the mail servers %s: senders applying MTA-STS refuse to deliver your mail to them", strings.Join(uncovered, ", ")), facts)
	case len(uncovered) > 0:
		facts["uncovered_mx"] = uncovered
		return checks.Warned(textf("la politique MTA-STS (mode testing) ne couvre pas les serveurs de messagerie %s : à corriger avant de passer en enforce",
			"the MTA-STS policy (mode testing) does not cover the mail servers %s: fix it before moving to enforce", strings.Join(uncovered, ", ")), facts)
	case pol.Mode == "testing":
		return checks.Warned(textf("MTA-STS en mode testing : les expéditeurs signalent les échecs sans protéger la livraison ; passer en enforce",
			"MTA-STS in mode testing: senders report failures without protecting delivery; move to enforce"), facts)
	case pol.MaxAge < 86400:
		return checks.Warned(textf("MTA-STS en mode enforce mais max_age=%d s : les expéditeurs oublient la politique en moins d'un jour (une à plusieurs semaines recommandées)",
			"MTA-STS in mode enforce but max_age=%d s: senders forget the policy within a day (one to several weeks recommended)", pol.MaxAge), facts)
	}
	return checks.Passed(textf("MTA-STS en mode enforce (id=%s, max_age %d jours), serveurs de messagerie couverts par la politique",
		"MTA-STS in mode enforce (id=%s, max_age %d days), mail servers covered by the policy", id, pol.MaxAge/86400), facts)
}

// checkTLSRPT: TLS-RPT (RFC 8460) sends reports when senders fail to
// deliver over TLS, so a broken certificate is noticed. Low.
func checkTLSRPT(ctx context.Context, s *session) protocol.Result {
	if r := mailReceiver(ctx, s); r != nil {
		return *r
	}
	name := fqdn(s, "_smtp._tls")
	txts, err := s.txt(ctx, name)
	if err != nil {
		return checks.Errored(whatMail, err)
	}
	var recs []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=TLSRPTv1") {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return checks.Warned(textf("pas d'enregistrement TLS-RPT à %s : aucun rapport en cas d'échec de livraison chiffrée",
			"no TLS-RPT record at %s: no report when encrypted delivery fails", name), map[string]any{"tls_rpt": ""})
	case 1:
	default:
		return checks.Failed(textf("%d enregistrements TLS-RPT : les expéditeurs les ignorent", "%d TLS-RPT records: senders ignore them", len(recs)), map[string]any{"tls_rpt": recs})
	}
	rua := tagList(recs[0])["rua"]
	facts := map[string]any{"tls_rpt": recs[0]}
	ok := rua != ""
	for _, u := range strings.Split(rua, ",") {
		u = strings.TrimSpace(u)
		if !strings.HasPrefix(u, "mailto:") && !strings.HasPrefix(u, "https:") {
			ok = false
		}
	}
	if !ok {
		return checks.Failed(textf("TLS-RPT « %s » : rua= absent ou invalide (mailto: ou https:)", "TLS-RPT \"%s\": missing or invalid rua= (mailto: or https:)", recs[0]), facts)
	}
	return checks.Passed(textf("TLS-RPT publié, rapports vers %s", "TLS-RPT published, reports to %s", rua), facts)
}

// checkCAA: CAA (RFC 8659) names the certificate authorities allowed to
// issue for the domain, so another CA refuses a fraudulent request. Low.
func checkCAA(ctx context.Context, s *session) protocol.Result {
	if r := missing(ctx, s); r != nil {
		return *r
	}
	labels := dns.SplitDomainName(s.domain)
	var found []*dns.CAA
	at := ""
	// RFC 8659 §3: climb to the parent until a CAA set is found (not the TLD).
	for i := 0; i < len(labels)-1 && len(found) == 0; i++ {
		name := dns.Fqdn(strings.Join(labels[i:], "."))
		r, err := s.resolve(ctx, name, dns.TypeCAA)
		if err != nil {
			return checks.Errored(textf("enregistrements CAA", "CAA records"), err)
		}
		for _, rr := range answers(r, name, dns.TypeCAA) {
			found = append(found, rr.(*dns.CAA))
		}
		at = name
	}
	if len(found) == 0 {
		return checks.Warned(textf("aucun enregistrement CAA : toute autorité de certification peut émettre un certificat pour le domaine",
			"no CAA record: any certificate authority may issue a certificate for the domain"), map[string]any{"caa": []string{}})
	}
	var issuers, all []string
	var unknownCritical []string
	for _, c := range found {
		all = append(all, fmt.Sprintf("%d %s %q", c.Flag, c.Tag, c.Value))
		switch strings.ToLower(c.Tag) {
		case "issue", "issuewild":
			v, _, _ := strings.Cut(c.Value, ";")
			if v = strings.TrimSpace(v); v == "" {
				v = "(aucune / none)"
			}
			issuers = append(issuers, c.Tag+" "+v)
		case "iodef", "contactemail", "contactphone", "issuemail", "issuevmc":
		default:
			if c.Flag&128 != 0 {
				unknownCritical = append(unknownCritical, c.Tag)
			}
		}
	}
	facts := map[string]any{"caa": all, "at": at}
	if len(unknownCritical) > 0 {
		return checks.Failed(textf("CAA avec une propriété critique inconnue (%s) : aucune autorité ne pourra émettre de certificat",
			"CAA with an unknown critical property (%s): no authority will be able to issue a certificate", strings.Join(unknownCritical, ", ")), facts)
	}
	if len(issuers) == 0 {
		return checks.Warned(textf("CAA présent à %s mais sans propriété issue : il ne restreint pas les autorités", "CAA present at %s but without an issue property: it restricts no authority", at), facts)
	}
	return checks.Passed(textf("CAA à %s : %s", "CAA at %s: %s", at, strings.Join(issuers, ", ")), facts)
}
