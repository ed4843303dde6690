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
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// References shared by the family: ANSSI hygiene guide measure 21 (secure
// network protocols) and ANSSI-PA-035 (TLS recommendations); CIS 4.1
// (secure configuration); NIS2 21(2)(h) cryptography and (j) secured
// communications.
var (
	refsProto = protocol.Refs{ANSSI: []int{21}, CIS: []string{"4.1"}, NIS2: []string{"h"}}
	refsCert  = protocol.Refs{ANSSI: []int{21}, CIS: []string{"4.1"}, NIS2: []string{"h"}}
	refsMail  = protocol.Refs{ANSSI: []int{21, 24}, CIS: []string{"4.1"}, NIS2: []string{"h", "j"}}
)

type definition struct {
	meta  checks.Meta
	judge judgeFunc
}

func def(id string, sev protocol.Severity, refs protocol.Refs, j judgeFunc) definition {
	return definition{meta: checks.Meta{ID: id, Version: 1, Domain: protocol.DomainTLS, Severity: sev, Refs: refs}, judge: j}
}

// definitions lists the family's checks; IDs are stable.
var definitions = []definition{
	// SSLv2 and SSLv3 are broken (DROWN, POODLE): any client can be forced
	// down to them. ANSSI-PA-035 forbids them.
	def("tls.protocol-ssl", protocol.Critical, refsProto, judgeProtocolSSL),
	// TLS 1.0 and 1.1 are deprecated (RFC 8996): no modern AEAD suites,
	// SHA-1 in the handshake. ANSSI-PA-035: TLS 1.2 and 1.3 only.
	def("tls.protocol-legacy", protocol.High, refsProto, judgeProtocolLegacy),
	// NULL, EXPORT, anonymous, RC4, DES and 3DES suites let an attacker
	// read or alter traffic (FREAK, Logjam, Sweet32, RC4 biases).
	def("tls.ciphers-weak", protocol.High, refsProto, judgeCiphersWeak),
	// Without ephemeral key exchange, stealing the server key later
	// decrypts every recorded session; small DH groups fall to Logjam.
	def("tls.forward-secrecy", protocol.Medium, refsProto, judgeForwardSecrecy),
	// An expired certificate breaks the service and teaches users to click
	// through warnings.
	def("tls.cert-expiry", protocol.High, refsCert, judgeCertExpiry),
	// A chain that does not lead to a trusted authority (self-signed,
	// missing intermediate) cannot be told apart from an impostor.
	def("tls.cert-chain", protocol.High, refsCert, judgeCertChain),
	// A certificate for another name cannot prove the server's identity.
	def("tls.cert-hostname", protocol.High, refsCert, judgeCertHostname),
	// Short keys (RSA < 2048, ECDSA < 256 bits) can be broken.
	def("tls.cert-key", protocol.High, refsCert, judgeCertKey),
	// SHA-1 and MD5 signatures can be forged (SHAttered, Flame).
	def("tls.cert-signature", protocol.High, refsCert, judgeCertSignature),
	// Without OCSP stapling clients cannot cheaply learn a revocation.
	def("tls.ocsp-stapling", protocol.Low, refsCert, judgeOCSPStapling),
	// Without HSTS a first visit over http:// can be hijacked (SSL strip).
	def("tls.hsts", protocol.Medium, refsProto, judgeHSTS),
	// A mail server without working STARTTLS sends mail and passwords in
	// clear text (ANSSI hygiene measure 24).
	def("tls.starttls", protocol.High, refsMail, judgeStartTLS),
	// Overall verdict against ANSSI-PA-035 and Mozilla's server-side TLS
	// profiles (modern, intermediate, old).
	def("tls.profile", protocol.Medium, refsProto, judgeProfile),
}

func list(xs []string) string { return strings.Join(xs, ", ") }

func bi(fr, en string) protocol.Text { return protocol.Text{FR: fr, EN: en} }

// plural writes "1 day", "3 days".
func plural(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// agree picks the singular or plural form of a word for n things.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// gapFR translates a profile gap (kept in English in the facts).
func gapFR(g string) string {
	fixed := map[string]string{
		"TLS 1.2 suites beyond Mozilla intermediate": "suites TLS 1.2 hors du profil Mozilla intermediate",
		"TLS 1.3 CCM suites":                         "suites TLS 1.3 CCM",
		"suites without forward secrecy":             "suites sans confidentialité persistante",
		"CBC suites":                                 "suites CBC",
		"CCM_8 suites":                               "suites CCM_8",
		"custom DH group":                            "groupe DH non standard",
	}
	if fr, ok := fixed[g]; ok {
		return fr
	}
	if k, ok := strings.CutPrefix(g, "certificate key "); ok {
		return "clé du certificat " + k
	}
	if alg, ok := strings.CutSuffix(g, " signature"); ok {
		return "signature " + alg
	}
	return g
}

// needTLS skips checks of a mail endpoint without STARTTLS: there is no TLS
// to judge (tls.starttls fails instead).
func needTLS(a *Assessment) (protocol.Result, bool) {
	if a.StartTLS != nil && !a.StartTLS.Offered {
		return checks.Skipped(protocol.Textf(
			"le serveur %s ne propose pas STARTTLS : aucun TLS à évaluer (voir tls.starttls)",
			"the %s server does not offer STARTTLS: no TLS to assess (see tls.starttls)", strings.ToUpper(a.StartTLS.Protocol))), true
	}
	return protocol.Result{}, false
}

func needCert(a *Assessment) (protocol.Result, bool) {
	if r, skip := needTLS(a); skip {
		return r, true
	}
	if len(a.Chain) == 0 {
		err := a.ChainErr
		if err == nil {
			err = errors.New("no certificate")
		}
		return checks.Errored(protocol.Textf("certificat illisible", "certificate unreadable"), err), true
	}
	return protocol.Result{}, false
}

// versions lists the accepted versions, oldest first.
func (a *Assessment) versions() []uint16 {
	var out []uint16
	if a.SSLv2 != nil {
		out = append(out, vSSL2)
	}
	for _, v := range allVersions {
		if a.Versions[v] != nil {
			out = append(out, v)
		}
	}
	return out
}

func versionNames(vs []uint16) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = versionName(v)
	}
	return out
}

// acceptedSuite is a suite accepted with a version.
type acceptedSuite struct {
	V uint16
	S Suite
}

func (a *Assessment) suites() []acceptedSuite {
	var out []acceptedSuite
	for _, s := range a.SSLv2 {
		out = append(out, acceptedSuite{vSSL2, s})
	}
	for _, v := range allVersions {
		if vs := a.Versions[v]; vs != nil {
			for _, id := range vs.Suites {
				out = append(out, acceptedSuite{v, suiteByID(id)})
			}
		}
	}
	return out
}

func (a *Assessment) partial() (string, string) {
	if len(a.Incomplete) == 0 {
		return "", ""
	}
	return " (analyse partielle : " + list(a.Incomplete) + ")", " (partial assessment: " + list(a.Incomplete) + ")"
}

func judgeProtocolSSL(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needTLS(a); skip {
		return r
	}
	var bad []string
	if a.SSLv2 != nil {
		bad = append(bad, "SSLv2")
	}
	if a.Versions[vSSL3] != nil {
		bad = append(bad, "SSLv3")
	}
	facts := map[string]any{"versions": versionNames(a.versions()), "sslv2": a.SSLv2 != nil, "sslv3": a.Versions[vSSL3] != nil}
	if len(bad) > 0 {
		return checks.Failed(bi(fmt.Sprintf("%s %s (protocoles cassés : attaques DROWN et POODLE)", list(bad), agree(len(bad), "accepté", "acceptés")),
			fmt.Sprintf("%s accepted (broken protocols: DROWN and POODLE attacks)", list(bad))), facts)
	}
	pfr, pen := a.partial()
	return checks.Passed(bi("SSLv2 et SSLv3 refusés"+pfr, "SSLv2 and SSLv3 refused"+pen), facts)
}

func judgeProtocolLegacy(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needTLS(a); skip {
		return r
	}
	vs := a.versions()
	facts := map[string]any{"versions": versionNames(vs)}
	var old []string
	for _, v := range []uint16{vTLS10, vTLS11} {
		if a.Versions[v] != nil {
			old = append(old, versionName(v))
		}
	}
	modern := a.Versions[vTLS12] != nil || a.Versions[vTLS13] != nil
	switch {
	case len(old) > 0 && !modern:
		return checks.Failed(bi(fmt.Sprintf("%s encore %s et ni TLS 1.2 ni TLS 1.3 (versions acceptées : %s)", list(old), agree(len(old), "accepté", "acceptés"), list(versionNames(vs))),
			fmt.Sprintf("%s still accepted and neither TLS 1.2 nor TLS 1.3 (accepted versions: %s)", list(old), list(versionNames(vs)))), facts)
	case len(old) > 0:
		return checks.Failed(bi(fmt.Sprintf("%s encore %s (versions acceptées : %s)", list(old), agree(len(old), "accepté", "acceptés"), list(versionNames(vs))),
			fmt.Sprintf("%s still accepted (accepted versions: %s)", list(old), list(versionNames(vs)))), facts)
	case !modern:
		return checks.Failed(protocol.Textf("ni TLS 1.2 ni TLS 1.3 (versions acceptées : %s)",
			"neither TLS 1.2 nor TLS 1.3 (accepted versions: %s)", list(versionNames(vs))), facts)
	}
	pfr, pen := a.partial()
	return checks.Passed(bi(fmt.Sprintf("versions acceptées : %s%s", list(versionNames(vs)), pfr),
		fmt.Sprintf("accepted versions: %s%s", list(versionNames(vs)), pen)), facts)
}

func judgeCiphersWeak(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needTLS(a); skip {
		return r
	}
	all := a.suites()
	var weak, cats []string
	aead, fs := 0, 0
	for _, s := range all {
		if w := s.S.Weak(); len(w) > 0 {
			name := s.S.Name + " (" + versionName(s.V) + ")"
			if !slices.Contains(weak, name) {
				weak = append(weak, name)
			}
			for _, c := range w {
				if !slices.Contains(cats, c) {
					cats = append(cats, c)
				}
			}
		}
		if s.S.AEAD {
			aead++
		}
		if s.S.FS {
			fs++
		}
	}
	byVersion, order := map[string][]string{}, map[string]bool{}
	for _, s := range all {
		byVersion[versionName(s.V)] = append(byVersion[versionName(s.V)], s.S.Name)
	}
	for v, vs := range a.Versions {
		if len(vs.Suites) > 1 {
			order[versionName(v)] = vs.ServerOrder
		}
	}
	facts := map[string]any{"accepted": len(all), "weak": weak, "weak_categories": cats, "aead": aead,
		"suites": byVersion, "server_order": order}
	switch {
	case len(weak) > 0:
		shown := weak
		if len(shown) > 8 {
			shown = append(slices.Clone(shown[:8]), fmt.Sprintf("… +%d", len(weak)-8))
		}
		return checks.Failed(protocol.Textf("%d suites faibles acceptées (%s) : %s", "%d weak suites accepted (%s): %s",
			len(weak), list(cats), list(shown)), facts)
	case aead == 0:
		return checks.Warned(protocol.Textf("aucune suite AEAD (GCM, ChaCha20) : seulement du CBC sur %d suites acceptées",
			"no AEAD suite (GCM, ChaCha20): CBC only among %d accepted suites", len(all)), facts)
	case fs == 0:
		return checks.Warned(protocol.Textf("aucune des %d suites acceptées n'a de confidentialité persistante",
			"none of the %d accepted suites has forward secrecy", len(all)), facts)
	}
	return checks.Passed(protocol.Textf("%d suites acceptées, aucune faible (%d AEAD)", "%d suites accepted, none weak (%d AEAD)",
		len(all), aead), facts)
}

func judgeForwardSecrecy(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needTLS(a); skip {
		return r
	}
	var fs, static []string
	groups := map[string]int{}
	for _, v := range allVersions {
		vs := a.Versions[v]
		if vs == nil {
			continue
		}
		for _, id := range vs.Suites {
			s := suiteByID(id)
			switch {
			case s.FS:
				fs = append(fs, s.Name)
			case !s.Anon && !s.Null:
				if !slices.Contains(static, s.Name) {
					static = append(static, s.Name)
				}
			}
			if kx, ok := vs.Kx[id]; ok {
				groups[kx.Group] = kx.Bits
			}
		}
	}
	var gnames, weakFail, weakWarn []string
	for g, bits := range groups {
		gnames = append(gnames, g)
		dh := strings.HasPrefix(g, "DH ") || strings.HasPrefix(g, "ffdhe")
		switch {
		case dh && bits < 1024, !dh && bits > 0 && bits < 224:
			weakFail = append(weakFail, g)
		case dh && bits < 2048:
			weakWarn = append(weakWarn, g)
		}
	}
	slices.Sort(gnames)
	slices.Sort(weakFail)
	slices.Sort(weakWarn)
	facts := map[string]any{"fs_suites": len(fs), "static_rsa_suites": static, "groups": gnames}
	switch {
	case len(fs) == 0:
		return checks.Failed(protocol.Textf("aucune suite à échange de clés éphémère (ECDHE/DHE) : %d suites à clé RSA statique",
			"no ephemeral key exchange suite (ECDHE/DHE): %d static RSA suites", len(static)), facts)
	case len(weakFail) > 0:
		return checks.Failed(protocol.Textf("groupe d'échange de clés trop faible : %s", "key exchange group too weak: %s",
			list(weakFail)), facts)
	case len(static) > 0:
		return checks.Warned(protocol.Textf("%d suites sans confidentialité persistante encore acceptées (ex. %s)",
			"%d suites without forward secrecy still accepted (e.g. %s)", len(static), static[0]), facts)
	case len(weakWarn) > 0:
		return checks.Warned(protocol.Textf("groupe Diffie-Hellman de moins de 2048 bits : %s",
			"Diffie-Hellman group below 2048 bits: %s", list(weakWarn)), facts)
	}
	return checks.Passed(protocol.Textf("toutes les %d suites acceptées ont un échange éphémère (%s)",
		"all %d accepted suites use an ephemeral exchange (%s)", len(fs), list(gnames)), facts)
}

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

func judgeProfile(a *Assessment, _ judgeEnv) protocol.Result {
	if r, skip := needTLS(a); skip {
		return r
	}
	p := evaluateProfile(a)
	facts := map[string]any{"mozilla_profile": p.Mozilla, "anssi": p.ANSSI, "mozilla_gaps": p.MozillaWhy, "anssi_gaps": p.ANSSIWhy}
	ev := bi(fmt.Sprintf("profil Mozilla : %s ; recommandations ANSSI : %s", p.Mozilla, anssiFR[p.ANSSI]),
		fmt.Sprintf("Mozilla profile: %s; ANSSI recommendations: %s", p.Mozilla, p.ANSSI))
	gaps := append(slices.Clone(p.MozillaWhy), p.ANSSIWhy...)
	slices.Sort(gaps)
	gaps = slices.Compact(gaps)
	if len(gaps) > 0 {
		fr := make([]string, len(gaps))
		for i, g := range gaps {
			fr[i] = gapFR(g)
		}
		ev.FR += " (écarts : " + list(fr) + ")"
		ev.EN += " (gaps: " + list(gaps) + ")"
	}
	switch {
	case p.Mozilla == "none":
		return protocol.Result{Status: protocol.Fail, Evidence: ev, Facts: facts}
	case p.Mozilla == "old" || p.ANSSI != "recommended":
		return protocol.Result{Status: protocol.Warn, Evidence: ev, Facts: facts}
	}
	return protocol.Result{Status: protocol.Pass, Evidence: ev, Facts: facts}
}

var anssiFR = map[string]string{"recommended": "conforme", "tolerated": "toléré", "non-compliant": "non conforme"}
