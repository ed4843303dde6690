package dns

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/protocol"
)

// Security states of a zone, as RFC 4033 §5 names them.
const (
	secSecure   = "secure"
	secInsecure = "insecure"
	secBogus    = "bogus"
)

// chain is the outcome of validating the domain's zone from the trust anchor.
type chain struct {
	State  string
	Reason protocol.Text // why bogus or insecure
	At     string        // zone where the chain broke or ended
	Zones  []string      // zones validated, root first

	// The domain's own zone, for the other DNSSEC checks.
	Zone   string
	Keys   []*dns.DNSKEY // DNSKEY RRset at the apex (as served, validated or not)
	DS     []*dns.DS     // DS RRset at the parent
	Sigs   []*dns.RRSIG  // RRSIGs seen over the zone's DNSKEY, SOA and DS sets
	Signed bool          // DNSKEY records at the apex
}

func bogus(at string, why protocol.Text) (*chain, error) {
	return &chain{State: secBogus, At: at, Reason: why}, nil
}

// chainOfTrust validates, from the trust anchors, each zone cut down to the
// domain's zone: the DNSKEY RRset of each zone must be signed by a key the
// parent vouches for (a DS record, or the anchor for the root), and each DS
// RRset signed by the parent's keys. Only positive proofs are validated; an
// absent DS makes the rest of the chain insecure (the denial's NSEC proof
// itself is not checked).
func (s *session) chainOfTrust(ctx context.Context) (*chain, error) {
	return memo(ctx, s, "chain", func(ctx context.Context) (*chain, error) {
		d, err := s.delegation(ctx)
		if err != nil {
			return nil, err
		}
		now := s.h.Now()
		zc := d.zone()
		out := &chain{Zone: zc.Zone}

		// The domain's own material first, so that the other checks have
		// it whatever happens higher up.
		keys, ksigs, err := s.dnskeys(ctx, zc)
		if err != nil {
			return nil, fmt.Errorf("DNSKEY of %s: %w", zc.Zone, err)
		}
		out.Keys, out.Signed = keys, len(keys) > 0
		out.Sigs = append(out.Sigs, ksigs...)
		if len(d.Cuts) > 1 {
			ds, dsigs, err := s.dsAt(ctx, d.Cuts[len(d.Cuts)-2], zc.Zone)
			if err != nil {
				return nil, fmt.Errorf("DS of %s: %w", zc.Zone, err)
			}
			out.DS = ds
			out.Sigs = append(out.Sigs, dsigs...)
		}

		var trusted []*dns.DNSKEY
		for i, c := range d.Cuts {
			var keys []*dns.DNSKEY
			var sigs []*dns.RRSIG
			if i == len(d.Cuts)-1 {
				keys, sigs = out.Keys, ksigs
			} else {
				keys, sigs, err = s.dnskeys(ctx, c)
				if err != nil {
					return nil, fmt.Errorf("DNSKEY of %s: %w", c.Zone, err)
				}
			}
			var vouch func(k *dns.DNSKEY) bool
			if i == 0 {
				anchors := s.f.anchors
				vouch = func(k *dns.DNSKEY) bool { return anchored(k, anchors) }
			} else {
				ds, dsigs, err := s.dsAt(ctx, d.Cuts[i-1], c.Zone)
				if err != nil {
					return nil, fmt.Errorf("DS of %s: %w", c.Zone, err)
				}
				if len(ds) == 0 {
					out.State, out.At = secInsecure, c.Zone
					out.Reason = textf("pas d'enregistrement DS pour %s dans la zone parente %s : la chaîne de confiance s'arrête là",
						"no DS record for %s in the parent zone %s: the chain of trust stops there", c.Zone, d.Cuts[i-1].Zone)
					return out, nil
				}
				if by := signers(dsigs); len(dsigs) > 0 && !slices.Contains(by, d.Cuts[i-1].Zone) {
					// The signer names the zone the answer came from: not
					// the parent Vigie asked for means a zone cut it missed.
					r, _ := bogus(c.Zone, textf("les DS de %s sont signés par %s, pas par la zone parente %s",
						"the DS of %s are signed by %s, not by the parent zone %s", c.Zone, strings.Join(by, ", "), d.Cuts[i-1].Zone))
					return merge(r, out), nil
				}
				if why := verifySet(dsRRs(ds), dsigs, trusted, now); why != nil {
					r, _ := bogus(c.Zone, textf("signature des DS de %s dans %s : %s", "signature of the DS of %s in %s: %s", c.Zone, d.Cuts[i-1].Zone, why))
					return merge(r, out), nil
				}
				vouch = func(k *dns.DNSKEY) bool { return matchesDS(k, ds) }
			}
			if len(keys) == 0 {
				r, _ := bogus(c.Zone, textf("la zone %s n'a pas de clé DNSKEY alors que sa parente publie un DS (ou une ancre)",
					"zone %s has no DNSKEY although its parent publishes a DS (or an anchor)", c.Zone))
				return merge(r, out), nil
			}
			var entry []*dns.DNSKEY
			for _, k := range keys {
				if vouch(k) {
					entry = append(entry, k)
				}
			}
			if len(entry) == 0 {
				r, _ := bogus(c.Zone, textf("aucune clé DNSKEY de %s ne correspond au DS publié par la zone parente (clés %s)",
					"no DNSKEY of %s matches the DS published by the parent zone (keys %s)", c.Zone, keyTags(keys)))
				return merge(r, out), nil
			}
			if why := verifySet(keyRRs(keys), sigs, entry, now); why != nil {
				r, _ := bogus(c.Zone, textf("signature des clés DNSKEY de %s : %s", "signature of the DNSKEY set of %s: %s", c.Zone, why))
				return merge(r, out), nil
			}
			trusted = keys
			out.Zones = append(out.Zones, c.Zone)
		}
		// Finally data inside the zone: its SOA must validate with its keys.
		r, _, err := s.ask(ctx, zc.Servers, zc.Zone, dns.TypeSOA, zc.Recursive)
		if err != nil {
			return nil, fmt.Errorf("SOA of %s: %w", zc.Zone, err)
		}
		soa := answers(r, zc.Zone, dns.TypeSOA)
		ssigs := sigsFor(r.Answer, zc.Zone, dns.TypeSOA)
		out.Sigs = append(out.Sigs, ssigs...)
		if len(soa) == 0 {
			r, _ := bogus(zc.Zone, textf("pas de SOA à l'apex de %s", "no SOA at the apex of %s", zc.Zone))
			return merge(r, out), nil
		}
		if why := verifySet(soa, ssigs, trusted, now); why != nil {
			r, _ := bogus(zc.Zone, textf("signature du SOA de %s : %s", "signature of the SOA of %s: %s", zc.Zone, why))
			return merge(r, out), nil
		}
		out.State = secSecure
		return out, nil
	})
}

// merge keeps the domain material gathered in full into a bogus verdict.
func merge(verdict, full *chain) *chain {
	full.State, full.At, full.Reason = verdict.State, verdict.At, verdict.Reason
	return full
}

// dnskeys fetches a zone's DNSKEY RRset and its signatures from its servers.
func (s *session) dnskeys(ctx context.Context, c cut) ([]*dns.DNSKEY, []*dns.RRSIG, error) {
	r, _, err := s.ask(ctx, c.Servers, c.Zone, dns.TypeDNSKEY, c.Recursive)
	if err != nil {
		return nil, nil, err
	}
	var keys []*dns.DNSKEY
	for _, rr := range answers(r, c.Zone, dns.TypeDNSKEY) {
		keys = append(keys, rr.(*dns.DNSKEY))
	}
	return keys, sigsFor(r.Answer, c.Zone, dns.TypeDNSKEY), nil
}

// dsAt fetches the DS RRset of zone from the parent's servers.
func (s *session) dsAt(ctx context.Context, parent cut, zone string) ([]*dns.DS, []*dns.RRSIG, error) {
	r, _, err := s.ask(ctx, parent.Servers, zone, dns.TypeDS, parent.Recursive)
	if err != nil {
		return nil, nil, err
	}
	var ds []*dns.DS
	for _, rr := range answers(r, zone, dns.TypeDS) {
		ds = append(ds, rr.(*dns.DS))
	}
	return ds, sigsFor(r.Answer, zone, dns.TypeDS), nil
}

// verifySet returns nil when one signature over rrset, made by one of keys,
// verifies and is within its validity period at now; otherwise the most
// telling reason (an expired but otherwise good signature says "expired").
func verifySet(rrset []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY, now time.Time) error {
	if len(sigs) == 0 {
		return fmt.Errorf("no RRSIG")
	}
	var timeErr, sigErr error
	for _, sig := range sigs {
		for _, k := range keys {
			if sig.KeyTag != k.KeyTag() || sig.Algorithm != k.Algorithm {
				continue
			}
			if err := safeVerify(sig, k, rrset); err != nil {
				sigErr = fmt.Errorf("RRSIG by key %d does not verify: %v", sig.KeyTag, err)
				continue
			}
			if !sig.ValidityPeriod(now) {
				timeErr = fmt.Errorf("RRSIG by key %d valid from %s to %s, not at %s", sig.KeyTag,
					rrsigTime(sig.Inception).Format(time.DateTime), rrsigTime(sig.Expiration).Format(time.DateTime), now.UTC().Format(time.DateTime))
				continue
			}
			return nil
		}
	}
	if timeErr != nil {
		return timeErr
	}
	if sigErr != nil {
		return sigErr
	}
	return fmt.Errorf("no RRSIG made by a trusted key (signatures by %s)", sigTags(sigs))
}

// safeVerify guards against a panic in signature code on hostile key data.
func safeVerify(sig *dns.RRSIG, k *dns.DNSKEY, rrset []dns.RR) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed key or signature: %v", p)
		}
	}()
	return sig.Verify(k, rrset)
}

// rrsigTime converts an RRSIG's 32-bit timestamp to a time (RFC 4034 §3.1.5;
// serial arithmetic is not needed before 2106).
func rrsigTime(t uint32) time.Time { return time.Unix(int64(t), 0).UTC() }

func anchored(k *dns.DNSKEY, anchors []dns.RR) bool {
	for _, a := range anchors {
		switch v := a.(type) {
		case *dns.DS:
			if dns.CanonicalName(v.Hdr.Name) == dns.CanonicalName(k.Hdr.Name) && matchesDS(k, []*dns.DS{v}) {
				return true
			}
		case *dns.DNSKEY:
			if dns.CanonicalName(v.Hdr.Name) == dns.CanonicalName(k.Hdr.Name) && v.Algorithm == k.Algorithm &&
				v.Flags == k.Flags && v.PublicKey == k.PublicKey {
				return true
			}
		}
	}
	return false
}

func matchesDS(k *dns.DNSKEY, ds []*dns.DS) bool {
	for _, d := range ds {
		if d.KeyTag != k.KeyTag() || d.Algorithm != k.Algorithm {
			continue
		}
		if got := k.ToDS(d.DigestType); got != nil && strings.EqualFold(got.Digest, d.Digest) {
			return true
		}
	}
	return false
}

func dsRRs(ds []*dns.DS) []dns.RR {
	out := make([]dns.RR, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}

func keyRRs(ks []*dns.DNSKEY) []dns.RR {
	out := make([]dns.RR, len(ks))
	for i, k := range ks {
		out[i] = k
	}
	return out
}

func keyTags(ks []*dns.DNSKEY) string {
	var b strings.Builder
	for i, k := range ks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d/%s", k.KeyTag(), algName(k.Algorithm))
	}
	return b.String()
}

// signers lists the zones that made sigs (their signer names), sorted.
func signers(sigs []*dns.RRSIG) []string {
	var out []string
	for _, s := range sigs {
		out = append(out, dns.CanonicalName(s.SignerName))
	}
	return sortedUnique(out)
}

func sigTags(ss []*dns.RRSIG) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", s.KeyTag)
	}
	return b.String()
}

func algName(a uint8) string {
	if n, ok := dns.AlgorithmToString[a]; ok {
		return n
	}
	return fmt.Sprintf("ALG%d", a)
}

// textf is protocol.Textf, shortened for the many messages here.
func textf(fr, en string, args ...any) protocol.Text { return protocol.Textf(fr, en, args...) }
