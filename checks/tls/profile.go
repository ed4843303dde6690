package tls

import (
	"slices"
	"strings"
)

// Mozilla's server-side TLS guidelines (https://wiki.mozilla.org/Security/Server_Side_TLS,
// configuration 5.7) and ANSSI's "Recommandations de sécurité relatives à
// TLS" (ANSSI-PA-035, v1.2).

// mozillaIntermediate12 is the "intermediate" TLS 1.2 suite list:
// ECDHE-ECDSA/RSA-AES128/256-GCM, ECDHE-ECDSA/RSA-CHACHA20-POLY1305,
// DHE-RSA-AES128/256-GCM, DHE-RSA-CHACHA20-POLY1305.
var mozillaIntermediate12 = []uint16{0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0x009E, 0x009F, 0xCCAA}

// mozillaModern13 is the "modern" TLS 1.3 suite list.
var mozillaModern13 = []uint16{0x1301, 0x1302, 0x1303}

// anssiGroups are the key exchange groups ANSSI-PA-035 accepts.
var anssiGroups = []string{"secp256r1", "secp384r1", "secp521r1", "brainpoolP256r1", "brainpoolP384r1",
	"brainpoolP512r1", "x25519", "x448", "X25519MLKEM768", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"}

type profileVerdict struct {
	Mozilla    string   // modern, intermediate, old, none
	MozillaWhy []string // why not a better Mozilla profile
	ANSSI      string   // recommended, tolerated, non-compliant
	ANSSIWhy   []string
}

func addOnce(xs *[]string, s string) {
	if !slices.Contains(*xs, s) {
		*xs = append(*xs, s)
	}
}

// evaluateProfile places the endpoint in the best Mozilla profile it meets
// and judges it against ANSSI-PA-035.
func evaluateProfile(a *Assessment) profileVerdict {
	// Mozilla level: 3 modern, 2 intermediate, 1 old, 0 none.
	level := 3
	p := profileVerdict{}
	lower := func(l int, why string) {
		if l < level {
			level = l
		}
		if why != "" {
			addOnce(&p.MozillaWhy, why)
		}
	}
	anssi := 2 // 2 recommended, 1 tolerated, 0 non-compliant
	anssiCap := func(l int, why string) {
		if l < anssi {
			anssi = l
		}
		addOnce(&p.ANSSIWhy, why)
	}
	if a.SSLv2 != nil || a.Versions[vSSL3] != nil {
		lower(0, "SSLv2/SSLv3")
		anssiCap(0, "SSLv2/SSLv3")
	}
	for _, v := range []uint16{vTLS10, vTLS11} {
		if a.Versions[v] != nil {
			lower(1, versionName(v))
			anssiCap(0, versionName(v))
		}
	}
	if a.Versions[vTLS12] != nil {
		lower(2, "") // intermediate is the usual target: TLS 1.2 is not a gap
	}
	for _, s := range a.suites() {
		st := s.S
		switch {
		case st.Null || st.Export || st.Anon || st.RC4 || st.DES || st.RC2:
			lower(0, "suites NULL/EXPORT/anon/RC4/DES")
			anssiCap(0, "suites NULL/EXPORT/anon/RC4/DES")
			continue
		case st.Block64:
			lower(1, "3DES")
			anssiCap(0, "3DES")
			continue
		}
		if s.V == vTLS12 && !slices.Contains(mozillaIntermediate12, st.ID) {
			lower(1, "TLS 1.2 suites beyond Mozilla intermediate")
		}
		if s.V == vTLS13 && !slices.Contains(mozillaModern13, st.ID) {
			lower(2, "TLS 1.3 CCM suites")
		}
		switch {
		case !st.FS:
			anssiCap(0, "suites without forward secrecy")
		case !st.AEAD:
			anssiCap(1, "CBC suites")
		case strings.HasSuffix(st.Cipher, "CCM_8"):
			anssiCap(1, "CCM_8 suites")
		}
	}
	for _, v := range allVersions {
		vs := a.Versions[v]
		if vs == nil {
			continue
		}
		for _, kx := range vs.Kx {
			dh := strings.HasPrefix(kx.Group, "DH ") || strings.HasPrefix(kx.Group, "ffdhe")
			switch {
			case dh && kx.Bits < 1024:
				lower(0, kx.Group)
				anssiCap(0, kx.Group)
			case dh && kx.Bits < 2048:
				lower(1, kx.Group)
				anssiCap(0, kx.Group)
			case dh:
				// A custom DH group of 2048 bits or more: ANSSI prefers the
				// RFC 7919 ffdhe groups but tolerates others of that size.
				if !strings.HasPrefix(kx.Group, "ffdhe") {
					anssiCap(1, "custom DH group")
				}
			case !slices.Contains(anssiGroups, kx.Group):
				lower(1, kx.Group)
				anssiCap(0, kx.Group)
			}
		}
	}
	if len(a.Chain) > 0 {
		leaf := a.Chain[0]
		if desc, _, weak := keyInfo(leaf); weak {
			lower(0, "certificate key "+desc)
			anssiCap(0, "certificate key "+desc)
		}
		for i, c := range a.Chain {
			if i > 0 && selfSigned(c) {
				continue
			}
			if weakSig(c.SignatureAlgorithm) {
				lower(0, c.SignatureAlgorithm.String()+" signature")
				anssiCap(0, c.SignatureAlgorithm.String()+" signature")
			}
		}
	}
	p.Mozilla = []string{"none", "old", "intermediate", "modern"}[level]
	p.ANSSI = []string{"non-compliant", "tolerated", "recommended"}[anssi]
	if p.MozillaWhy == nil {
		p.MozillaWhy = []string{}
	}
	if p.ANSSIWhy == nil {
		p.ANSSIWhy = []string{}
	}
	return p
}
