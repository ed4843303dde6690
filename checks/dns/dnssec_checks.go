package dns

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

var whatDNSSEC = textf("validation DNSSEC", "DNSSEC validation")

func chainOf(ctx context.Context, s *session) (*chain, *protocol.Result) {
	if _, r := zoneOf(ctx, s); r != nil {
		return nil, r
	}
	c, err := s.chainOfTrust(ctx)
	if err != nil {
		r := checks.Errored(whatDNSSEC, err)
		return nil, &r
	}
	return c, nil
}

var notSigned = textf("la zone n'est pas signée avec DNSSEC (voir dns.dnssec-signed)", "the zone is not signed with DNSSEC (see dns.dnssec-signed)")

// checkDNSSECSigned: without DNSSEC a resolver cannot tell forged answers
// from real ones (cache poisoning sends citizens and mail elsewhere).
// Not signed is a finding (warn) with guidance, not an error. NIS2 21(2)(h).
func checkDNSSECSigned(ctx context.Context, s *session) protocol.Result {
	c, r := chainOf(ctx, s)
	if r != nil {
		return *r
	}
	facts := map[string]any{"dnskey": len(c.Keys), "ds": len(c.DS)}
	switch {
	case c.Signed && len(c.DS) > 0:
		return checks.Passed(textf("zone signée : %d clés DNSKEY (%s), %d DS publiés dans la zone parente",
			"zone signed: %d DNSKEY (%s), %d DS published in the parent zone", len(c.Keys), keyTags(c.Keys), len(c.DS)), facts)
	case c.Signed:
		return checks.Warned(textf("zone signée (%d clés DNSKEY) mais aucun DS dans la zone parente : la signature ne protège personne tant que le DS n'est pas publié chez le bureau d'enregistrement",
			"zone signed (%d DNSKEY) but no DS in the parent zone: the signature protects no one until the DS is published through the registrar", len(c.Keys)), facts)
	case len(c.DS) > 0:
		return checks.Failed(textf("la zone parente publie %d DS mais la zone n'a aucune clé DNSKEY : les résolveurs qui valident ne peuvent plus résoudre le domaine",
			"the parent zone publishes %d DS but the zone has no DNSKEY: validating resolvers can no longer resolve the domain", len(c.DS)), facts)
	}
	return checks.Warned(textf("la zone %s n'est pas signée avec DNSSEC", "zone %s is not signed with DNSSEC", c.Zone), facts)
}

// checkDNSSECChain: a broken chain of trust (DS that matches no key,
// invalid or expired signatures) makes the domain unreachable for every
// validating resolver. Validated from the root trust anchor. NIS2 21(2)(h).
func checkDNSSECChain(ctx context.Context, s *session) protocol.Result {
	c, r := chainOf(ctx, s)
	if r != nil {
		return *r
	}
	facts := map[string]any{"state": c.State, "zones": c.Zones}
	if c.At != "" {
		facts["at"] = c.At
	}
	switch c.State {
	case secSecure:
		return checks.Passed(textf("chaîne de confiance valide depuis l'ancre de la racine : %s", "valid chain of trust from the root anchor: %s",
			strings.Join(c.Zones, " → ")), facts)
	case secBogus:
		return checks.Failed(protocol.Text{
			FR: fmt.Sprintf("chaîne de confiance cassée à %s : %s", c.At, c.Reason.FR),
			EN: fmt.Sprintf("chain of trust broken at %s: %s", c.At, c.Reason.EN),
		}, facts)
	}
	if !c.Signed {
		return checks.Skipped(notSigned)
	}
	if c.At == c.Zone {
		return checks.Skipped(textf("zone signée mais sans DS chez la parente : la chaîne de confiance n'est pas établie (voir dns.dnssec-signed)",
			"zone signed but no DS at the parent: the chain of trust is not established (see dns.dnssec-signed)"))
	}
	return checks.Warned(c.Reason, facts)
}

// checkDNSSECExpiry: signatures have an end date; a signer that stopped
// re-signing takes the whole domain down when they expire. Warn under 7 days.
func checkDNSSECExpiry(ctx context.Context, s *session) protocol.Result {
	c, r := chainOf(ctx, s)
	if r != nil {
		return *r
	}
	if !c.Signed {
		return checks.Skipped(notSigned)
	}
	if len(c.Sigs) == 0 {
		return checks.Failed(textf("zone signée mais aucune signature RRSIG reçue", "zone signed but no RRSIG received"), nil)
	}
	now := s.h.Now()
	first := c.Sigs[0]
	for _, sg := range c.Sigs {
		if sg.Expiration < first.Expiration {
			first = sg
		}
	}
	for _, sg := range c.Sigs {
		if rrsigTime(sg.Inception).After(now) {
			return checks.Failed(textf("signature RRSIG sur %s pas encore valide (début %s) : horloge du signataire en avance ?",
				"RRSIG over %s not valid yet (starts %s): signer clock ahead?", typeName(sg.TypeCovered), rrsigTime(sg.Inception).Format(time.DateTime)),
				map[string]any{"inception": rrsigTime(sg.Inception)})
		}
	}
	exp := rrsigTime(first.Expiration)
	left := exp.Sub(now)
	days := int(math.Floor(left.Hours() / 24))
	facts := map[string]any{"earliest_expiration": exp, "days_left": days, "covers": typeName(first.TypeCovered), "signatures": len(c.Sigs)}
	switch {
	case left <= 0:
		return checks.Failed(textf("la signature RRSIG sur %s a expiré le %s : le domaine est injoignable pour les résolveurs qui valident",
			"the RRSIG over %s expired on %s: the domain is unreachable for validating resolvers", typeName(first.TypeCovered), exp.Format(time.DateTime)), facts)
	case left < 7*24*time.Hour:
		return checks.Warned(textf("la première signature RRSIG (sur %s) expire dans %d jours (%s) : le re-signement automatique fonctionne-t-il ?",
			"the earliest RRSIG (over %s) expires in %d days (%s): is automatic re-signing working?", typeName(first.TypeCovered), days, exp.Format(time.DateTime)), facts)
	}
	return checks.Passed(textf("la première signature RRSIG (sur %s) expire dans %d jours (%s)", "the earliest RRSIG (over %s) expires in %d days (%s)",
		typeName(first.TypeCovered), days, exp.Format(time.DateTime)), facts)
}

func typeName(t uint16) string { return dns.TypeToString[t] }

// deprecatedAlg lists DNSSEC algorithms RFC 8624 says MUST NOT (or NOT
// RECOMMENDED) be used for signing: RSA/MD5, DSA, RSA/SHA-1, GOST.
var deprecatedAlg = map[uint8]bool{
	dns.RSAMD5: true, dns.DSA: true, dns.RSASHA1: true, dns.DSANSEC3SHA1: true, dns.RSASHA1NSEC3SHA1: true, dns.ECCGOST: true,
}

// checkDNSSECAlgorithm: signatures with RSA/MD5 or RSA/SHA-1 can be forged
// or are being dropped by validators (RFC 8624, RFC 9157). NIS2 21(2)(h).
func checkDNSSECAlgorithm(ctx context.Context, s *session) protocol.Result {
	c, r := chainOf(ctx, s)
	if r != nil {
		return *r
	}
	if !c.Signed {
		return checks.Skipped(notSigned)
	}
	var algs, bad []string
	for _, k := range c.Keys {
		n := algName(k.Algorithm)
		if !slices.Contains(algs, n) {
			algs = append(algs, n)
			if deprecatedAlg[k.Algorithm] {
				bad = append(bad, n)
			}
		}
	}
	var digests []string
	sha1Only := len(c.DS) > 0
	for _, d := range c.DS {
		n := dns.HashToString[d.DigestType]
		if !slices.Contains(digests, n) {
			digests = append(digests, n)
		}
		if d.DigestType != dns.SHA1 {
			sha1Only = false
		}
	}
	facts := map[string]any{"algorithms": algs, "ds_digests": digests}
	if len(bad) > 0 {
		return checks.Failed(textf("algorithme de signature obsolète : %s (à remplacer par ECDSAP256SHA256 ou RSASHA256)",
			"deprecated signing algorithm: %s (replace with ECDSAP256SHA256 or RSASHA256)", strings.Join(bad, ", ")), facts)
	}
	if sha1Only {
		return checks.Warned(textf("algorithmes %s, mais le DS chez la parente n'utilise que SHA-1 (publier un DS SHA-256)",
			"algorithms %s, but the DS at the parent uses SHA-1 only (publish a SHA-256 DS)", strings.Join(algs, ", ")), facts)
	}
	return checks.Passed(textf("algorithmes de signature : %s ; empreintes DS : %s", "signing algorithms: %s; DS digests: %s",
		strings.Join(algs, ", "), strings.Join(digests, ", ")), facts)
}

// nxProbe is the label asked to see how the zone denies existence.
const nxProbe = "vigie-nx-probe"

// checkNSEC: NSEC lets anyone list every name of the zone (zone walking);
// NSEC3 hashes them, and RFC 9276 asks for 0 extra iterations. Info.
func checkNSEC(ctx context.Context, s *session) protocol.Result {
	c, r := chainOf(ctx, s)
	if r != nil {
		return *r
	}
	if !c.Signed {
		return checks.Skipped(notSigned)
	}
	d, _ := s.delegation(ctx)
	zc := d.zone()
	name := nxProbe + "." + zc.Zone
	resp, _, err := s.ask(ctx, zc.Servers, name, dns.TypeA, zc.Recursive)
	if err != nil {
		return checks.Errored(textf("preuve de non-existence", "denial of existence"), err)
	}
	var nsec, nsec3 int
	var n3 *dns.NSEC3
	for _, rr := range append(append([]dns.RR{}, resp.Ns...), resp.Answer...) {
		switch v := rr.(type) {
		case *dns.NSEC:
			nsec++
		case *dns.NSEC3:
			nsec3++
			n3 = v
		}
	}
	switch {
	case n3 != nil:
		facts := map[string]any{"denial": "nsec3", "iterations": n3.Iterations, "salt_len": n3.SaltLength, "opt_out": n3.Flags&1 == 1}
		if n3.Iterations > 0 || n3.SaltLength > 0 {
			return checks.Warned(textf("NSEC3 avec %d itérations et un sel de %d octets : RFC 9276 recommande 0 itération et pas de sel (certains résolveurs traitent les valeurs élevées comme non signées)",
				"NSEC3 with %d iterations and a %d-byte salt: RFC 9276 recommends 0 iterations and no salt (some resolvers treat high values as unsigned)",
				n3.Iterations, n3.SaltLength), facts)
		}
		return checks.Passed(textf("non-existence prouvée par NSEC3 (0 itération, sans sel, conforme à RFC 9276)", "denial of existence by NSEC3 (0 iterations, no salt, as RFC 9276 recommends)"), facts)
	case nsec > 0:
		return checks.Passed(textf("non-existence prouvée par NSEC : la liste des noms de la zone peut être parcourue (sans gravité si la zone ne contient rien de confidentiel ; NSEC3 l'évite)",
			"denial of existence by NSEC: the zone's names can be enumerated (harmless when nothing in the zone is confidential; NSEC3 avoids it)"),
			map[string]any{"denial": "nsec"})
	}
	return checks.Warned(textf("aucun enregistrement NSEC ou NSEC3 dans la réponse négative pour %s (code %s)",
		"no NSEC or NSEC3 record in the negative answer for %s (code %s)", name, dns.RcodeToString[resp.Rcode]), map[string]any{"denial": "none"})
}
