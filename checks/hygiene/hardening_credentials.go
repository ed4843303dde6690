package hygiene

import (
	"context"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Credential protection: LSA protection, WDigest, LM hashes, NTLM level.

// lsaProtection: LSASS runs as a protected process (RunAsPPL 1 or 2), so
// that credential-dumping tools (Mimikatz) cannot read its memory.
func lsaProtection(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{lsaKey, "RunAsPPL", false})
	if err != nil {
		return readErr(`Lsa\RunAsPPL`, err)
	}
	facts := map[string]any{"run_as_ppl": v}
	switch {
	case ok && (v == 1 || v == 2):
		return checks.Passed(tf("LSASS protégé (RunAsPPL=%d, %s)", "LSASS protected (RunAsPPL=%d, %s)", v, from.source()), facts)
	case ok:
		return checks.Failed(tf("LSASS non protégé (RunAsPPL=%d, %s)", "LSASS not protected (RunAsPPL=%d, %s)", v, from.source()), facts)
	}
	if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
		return notRead("RunAsPPL", err)
	}
	return checks.Failed(protocol.Text{FR: "LSASS non protégé (RunAsPPL absent : désactivé par défaut)", EN: "LSASS not protected (RunAsPPL absent: off by default)"}, facts)
}

// wdigest: WDigest does not keep passwords in clear text in memory.
func wdigest(_ context.Context, h *checks.Host) protocol.Result {
	const key = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest`
	v, from, ok, err := setting(h.Registry, regVal{key, "UseLogonCredential", false})
	if err != nil {
		return readErr("WDigest UseLogonCredential", err)
	}
	if ok {
		facts := map[string]any{"use_logon_credential": v}
		if v == 1 {
			return checks.Failed(tf("WDigest garde les mots de passe en clair en mémoire (UseLogonCredential=1, %s)", "WDigest keeps passwords in clear text in memory (UseLogonCredential=1, %s)", from.source()), facts)
		}
		return checks.Passed(tf("WDigest ne garde pas les mots de passe (UseLogonCredential=%d, %s)", "WDigest keeps no passwords (UseLogonCredential=%d, %s)", v, from.source()), facts)
	}
	// Absent: off by default since Windows 8.1 / Server 2012 R2 (build 9600).
	b, err := defaultsApply(h.Registry, wdigestWitness)
	if err != nil {
		return notRead("UseLogonCredential", err)
	}
	if b >= 9600 {
		return checks.Passed(protocol.Textf("UseLogonCredential absent : WDigest ne garde pas les mots de passe par défaut (build %d)", "UseLogonCredential absent: WDigest keeps no passwords by default (build %d)", b), map[string]any{"use_logon_credential": "default"})
	}
	return checks.Failed(protocol.Textf("UseLogonCredential absent : WDigest garde les mots de passe par défaut sur ce système (build %d)", "UseLogonCredential absent: WDigest keeps passwords by default on this system (build %d)", b), nil)
}

// lmHash: Windows does not store LAN Manager hashes (cracked in minutes).
func lmHash(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{lsaKey, "NoLMHash", false})
	if err != nil {
		return readErr(`Lsa\NoLMHash`, err)
	}
	switch {
	case ok && v == 1:
		return checks.Passed(tf("empreintes LM non stockées (NoLMHash=1, %s)", "LM hashes not stored (NoLMHash=1, %s)", from.source()), map[string]any{"no_lm_hash": true})
	case ok:
		return checks.Failed(tf("empreintes LM stockées (NoLMHash=%d, %s)", "LM hashes stored (NoLMHash=%d, %s)", v, from.source()), map[string]any{"no_lm_hash": false})
	}
	if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
		return notRead("NoLMHash", err)
	}
	return checks.Passed(protocol.Text{FR: "NoLMHash absent : empreintes LM non stockées par défaut depuis Windows Vista", EN: "NoLMHash absent: LM hashes not stored by default since Windows Vista"}, map[string]any{"no_lm_hash": "default"})
}

// ntlmLevel: only NTLMv2 is sent and LM/NTLMv1 refused (level 5).
func ntlmLevel(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{lsaKey, "LmCompatibilityLevel", false})
	if err != nil {
		return readErr(`Lsa\LmCompatibilityLevel`, err)
	}
	src := from.source()
	if !ok {
		if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
			return notRead("LmCompatibilityLevel", err)
		}
		v, src = 3, protocol.Text{FR: "valeur absente, défaut de Windows", EN: "value absent, Windows default"}
	}
	facts := map[string]any{"lm_compatibility_level": v}
	ev := tf("LmCompatibilityLevel=%d (%s)", "LmCompatibilityLevel=%d (%s)", v, src)
	switch {
	case v >= 5:
		return checks.Passed(ev, facts)
	case v >= 3:
		ev.FR += " : NTLMv2 seulement envoyé, mais LM et NTLMv1 encore acceptés (5 les refuse)"
		ev.EN += ": only NTLMv2 sent, but LM and NTLMv1 still accepted (5 refuses them)"
		return checks.Warned(ev, facts)
	}
	ev.FR += " : LM ou NTLMv1 encore envoyés"
	ev.EN += ": LM or NTLMv1 still sent"
	return checks.Failed(ev, facts)
}
