package tls

import (
	"crypto/dsa" //nolint:staticcheck // only to recognise DSA keys
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// selfSigned reports a certificate signed by its own key (CheckSignatureFrom
// would also demand the CA flag, which many self-made certificates lack).
func selfSigned(c *x509.Certificate) bool {
	return string(c.RawSubject) == string(c.RawIssuer) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return c.Subject.String()
}

func judgeCertExpiry(a *Assessment, env judgeEnv) protocol.Result {
	if r, skip := needCert(a); skip {
		return r
	}
	leaf := a.Chain[0]
	soonest := leaf
	for _, c := range a.Chain[1:] {
		if !selfSigned(c) && c.NotAfter.Before(soonest.NotAfter) {
			soonest = c
		}
	}
	date := soonest.NotAfter.UTC().Format("2006-01-02")
	left := soonest.NotAfter.Sub(env.Now)
	days := int(left.Hours() / 24)
	which := protocol.Textf("le certificat %q", "certificate %q", certName(soonest))
	say := func(fr, en string, n int) protocol.Text {
		return bi(fmt.Sprintf(fr, which.FR, date, plural(n, "jour", "jours")), fmt.Sprintf(en, which.EN, date, plural(n, "day", "days")))
	}
	if soonest != leaf {
		which = protocol.Textf("le certificat intermédiaire %q", "intermediate certificate %q", certName(soonest))
	}
	facts := map[string]any{"not_after": soonest.NotAfter.UTC().Format(time.RFC3339), "days_left": days, "subject": certName(soonest)}
	switch {
	case env.Now.Before(leaf.NotBefore):
		return checks.Failed(protocol.Textf("le certificat %q n'est valable qu'à partir du %s", "certificate %q is not valid before %s",
			certName(leaf), leaf.NotBefore.UTC().Format("2006-01-02")), facts)
	case left < 0:
		return checks.Failed(say("%s a expiré le %s (il y a %s)", "%s expired on %s (%s ago)", -days), facts)
	case days < 14:
		return checks.Failed(say("%s expire le %s, dans %s", "%s expires on %s, in %s", days), facts)
	case days < 30:
		return checks.Warned(say("%s expire le %s, dans %s", "%s expires on %s, in %s", days), facts)
	}
	return checks.Passed(say("%s expire le %s, dans %s", "%s expires on %s, in %s", days), facts)
}

func judgeCertChain(a *Assessment, env judgeEnv) protocol.Result {
	if r, skip := needCert(a); skip {
		return r
	}
	leaf := a.Chain[0]
	facts := map[string]any{"subject": leaf.Subject.String(), "issuer": leaf.Issuer.String(), "chain_length": len(a.Chain)}
	if selfSigned(leaf) {
		facts["self_signed"] = true
		return checks.Failed(protocol.Textf("certificat auto-signé (%q) : aucun navigateur ni client ne peut le vérifier",
			"self-signed certificate (%q): no browser or client can verify it", certName(leaf)), facts)
	}
	inter := x509.NewCertPool()
	for _, c := range a.Chain[1:] {
		inter.AddCert(c)
	}
	// Judge trust only: expiry is tls.cert-expiry's job, so verify at a
	// moment inside the leaf's validity.
	at := env.Now
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: env.Roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		for _, c := range a.Chain {
			if weakSig(c.SignatureAlgorithm) && !selfSigned(c) {
				return checks.Failed(protocol.Textf("chaîne refusée : %q est signé en %s, que les clients n'acceptent plus",
					"chain refused: %q is signed with %s, which clients no longer accept", certName(c), c.SignatureAlgorithm.String()), facts)
			}
		}
		var ua x509.UnknownAuthorityError
		var ia x509.InsecureAlgorithmError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			return checks.Failed(protocol.Textf("chaîne non reconnue : émetteur %q inconnu (autorité privée ou certificat intermédiaire manquant)",
				"untrusted chain: issuer %q unknown (private authority or missing intermediate certificate)", leaf.Issuer.CommonName), facts)
		case errors.As(err, &ia):
			return checks.Failed(protocol.Textf("chaîne refusée : signature %s non sûre", "chain refused: insecure %s signature",
				x509.SignatureAlgorithm(ia).String()), facts)
		case errors.As(err, &ci):
			return checks.Failed(protocol.Textf("chaîne invalide : %v", "invalid chain: %v", err), facts)
		}
		return checks.Failed(protocol.Textf("chaîne non vérifiable : %v", "chain cannot be verified: %v", err), facts)
	}
	root := chains[0][len(chains[0])-1]
	facts["root"] = root.Subject.String()
	return checks.Passed(protocol.Textf("chaîne de confiance vérifiée jusqu'à %q (%d certificats envoyés)",
		"trust chain verified up to %q (%d certificates sent)", certName(root), len(a.Chain)), facts)
}

func certNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, "CN="+c.Subject.CommonName)
	}
	return names
}

func judgeCertHostname(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needCert(a); skip {
		return r
	}
	leaf := a.Chain[0]
	names := certNames(leaf)
	facts := map[string]any{"names": names}
	if a.Endpoint.Local {
		return checks.Skipped(protocol.Textf(
			"port local : le nom utilisé par les clients n'est pas connu (le certificat couvre %s) ; déclarez le point d'accès avec --tls nom:port pour le vérifier",
			"local port: the name clients use is unknown (the certificate covers %s); declare the endpoint with --tls name:port to check it", list(names)))
	}
	name := a.Endpoint.ServerName
	if name == "" {
		name = a.Endpoint.Host
	}
	facts["expected"] = name
	if err := leaf.VerifyHostname(name); err != nil {
		return checks.Failed(protocol.Textf("le certificat ne couvre pas %q mais : %s", "the certificate does not cover %q but: %s",
			name, list(names)), facts)
	}
	return checks.Passed(protocol.Textf("le certificat couvre %q", "the certificate covers %q", name), facts)
}

// keyInfo describes a public key and whether it is too short.
func keyInfo(c *x509.Certificate) (desc string, bits int, weak bool) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		bits = k.N.BitLen()
		return fmt.Sprintf("RSA %d bits", bits), bits, bits < 2048
	case *ecdsa.PublicKey:
		bits = k.Curve.Params().BitSize
		return fmt.Sprintf("ECDSA %s (%d bits)", k.Curve.Params().Name, bits), bits, bits < 256
	case ed25519.PublicKey:
		return "Ed25519", 256, false
	case *dsa.PublicKey:
		bits = k.P.BitLen()
		return fmt.Sprintf("DSA %d bits", bits), bits, true
	}
	return c.PublicKeyAlgorithm.String(), 0, true
}

func judgeCertKey(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needCert(a); skip {
		return r
	}
	desc, bits, weak := keyInfo(a.Chain[0])
	facts := map[string]any{"key": desc, "bits": bits}
	var weakInter []string
	for _, c := range a.Chain[1:] {
		if selfSigned(c) {
			continue
		}
		if d, _, w := keyInfo(c); w {
			weakInter = append(weakInter, fmt.Sprintf("%q : %s", certName(c), d))
		}
	}
	switch {
	case weak:
		return checks.Failed(protocol.Textf("clé du certificat trop faible : %s (minimum RSA 2048 bits ou ECDSA 256 bits)",
			"certificate key too weak: %s (minimum RSA 2048 bits or ECDSA 256 bits)", desc), facts)
	case len(weakInter) > 0:
		return checks.Failed(protocol.Textf("clé trop faible dans la chaîne : %s", "weak key in the chain: %s", list(weakInter)), facts)
	}
	return checks.Passed(protocol.Textf("clé du certificat : %s", "certificate key: %s", desc), facts)
}

func weakSig(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

func judgeCertSignature(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needCert(a); skip {
		return r
	}
	var bad []string
	algs := []string{}
	for i, c := range a.Chain {
		if i > 0 && selfSigned(c) {
			continue // a root's own signature is not checked by clients
		}
		algs = append(algs, c.SignatureAlgorithm.String())
		if weakSig(c.SignatureAlgorithm) {
			bad = append(bad, fmt.Sprintf("%q : %s", certName(c), c.SignatureAlgorithm))
		}
	}
	facts := map[string]any{"signatures": algs}
	if len(bad) > 0 {
		return checks.Failed(protocol.Textf("signature obsolète (falsifiable) : %s", "obsolete (forgeable) signature: %s", list(bad)), facts)
	}
	return checks.Passed(protocol.Textf("signatures : %s", "signatures: %s", list(algs)), facts)
}

func judgeOCSPStapling(a *Assessment, env judgeEnv) protocol.Result {
	if r, skip := needCert(a); skip {
		return r
	}
	leaf := a.Chain[0]
	if selfSigned(leaf) {
		return checks.Skipped(protocol.Textf("certificat auto-signé : pas de révocation possible", "self-signed certificate: no revocation possible"))
	}
	if len(leaf.OCSPServer) == 0 && a.OCSP == nil {
		return checks.Skipped(protocol.Textf("le certificat n'indique pas de répondeur OCSP : rien à agrafer",
			"the certificate names no OCSP responder: nothing to staple"))
	}
	facts := map[string]any{"stapled": a.OCSP != nil}
	if a.OCSP == nil {
		return checks.Warned(protocol.Textf("pas de réponse OCSP agrafée (répondeur : %s)", "no stapled OCSP response (responder: %s)",
			list(leaf.OCSPServer)), facts)
	}
	var issuer *x509.Certificate
	if len(a.Chain) > 1 {
		issuer = a.Chain[1]
	}
	resp, err := ocsp.ParseResponseForCert(a.OCSP, leaf, issuer)
	if err != nil {
		return checks.Warned(protocol.Textf("réponse OCSP agrafée illisible : %v", "unreadable stapled OCSP response: %v", err), facts)
	}
	facts["next_update"] = resp.NextUpdate.UTC().Format(time.RFC3339)
	switch {
	case resp.Status == ocsp.Revoked:
		facts["status"] = "revoked"
		return checks.Failed(protocol.Textf("le certificat est RÉVOQUÉ depuis le %s", "the certificate is REVOKED since %s",
			resp.RevokedAt.UTC().Format("2006-01-02")), facts)
	case resp.Status != ocsp.Good:
		facts["status"] = "unknown"
		return checks.Warned(protocol.Textf("réponse OCSP agrafée « inconnu »", "stapled OCSP response says \"unknown\""), facts)
	case !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(env.Now):
		facts["status"] = "stale"
		return checks.Warned(protocol.Textf("réponse OCSP agrafée périmée depuis le %s", "stapled OCSP response stale since %s",
			resp.NextUpdate.UTC().Format("2006-01-02")), facts)
	}
	facts["status"] = "good"
	return checks.Passed(protocol.Textf("réponse OCSP agrafée valide (« bon », produite le %s)", "valid stapled OCSP response (\"good\", produced %s)",
		resp.ProducedAt.UTC().Format("2006-01-02")), facts)
}
