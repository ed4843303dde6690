package tls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

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
