package hygiene

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// firewallCheck: a host firewall filters incoming traffic. Without it every
// service that listens, even by mistake, is reachable from the network
// (ANSSI 21 (reinforced 17), CIS 4.4/4.5, NIS2 21(2)(g)).
type firewallCheck struct{}

func (firewallCheck) Meta() checks.Meta {
	return meta("hygiene.firewall", protocol.High, protocol.Refs{ANSSI: []int{17, 21}, CIS: []string{"4.4", "4.5"}, NIS2: []string{"g"}})
}

// nftSummary is what a ruleset shows: how many rules, and whether anything
// filters the input hook (a drop policy, or a drop/reject rule).
type nftSummary struct {
	Rules        int
	InputChains  int
	InputFilters bool
	Detail       string
}

// parseNftJSON reads `nft -j list ruleset`.
func parseNftJSON(b []byte) (nftSummary, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nftSummary{}, fmt.Errorf("parse nft JSON: %w", err)
	}
	var s nftSummary
	input := map[string]bool{} // family/table/chain with hook input
	type rule struct {
		Family, Table, Chain string
		Expr                 []map[string]json.RawMessage
	}
	var rules []rule
	for _, obj := range doc.Nftables {
		if raw, ok := obj["chain"]; ok {
			var c struct{ Family, Table, Name, Hook, Policy, Type string }
			if err := json.Unmarshal(raw, &c); err != nil {
				return s, fmt.Errorf("parse nft chain: %w", err)
			}
			if c.Hook == "input" && (c.Type == "" || c.Type == "filter") {
				s.InputChains++
				input[c.Family+"/"+c.Table+"/"+c.Name] = true
				if c.Policy == "drop" {
					s.InputFilters = true
					s.Detail = fmt.Sprintf("%s %s %s: policy drop", c.Family, c.Table, c.Name)
				}
			}
		}
		if raw, ok := obj["rule"]; ok {
			var r rule
			if err := json.Unmarshal(raw, &r); err != nil {
				return s, fmt.Errorf("parse nft rule: %w", err)
			}
			s.Rules++
			rules = append(rules, r)
		}
	}
	for _, r := range rules {
		if !input[r.Family+"/"+r.Table+"/"+r.Chain] {
			continue
		}
		for _, e := range r.Expr {
			_, drop := e["drop"]
			_, reject := e["reject"]
			if drop || reject {
				s.InputFilters = true
				if s.Detail == "" {
					s.Detail = fmt.Sprintf("%s %s %s: drop/reject rule", r.Family, r.Table, r.Chain)
				}
			}
		}
	}
	return s, nil
}

// parseIptablesSave reads `iptables-save`: the filter table's INPUT policy
// and rules.
func parseIptablesSave(b []byte) nftSummary {
	var s nftSummary
	table := ""
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "*"):
			table = l[1:]
		case strings.HasPrefix(l, "-A "):
			s.Rules++
			f := strings.Fields(l)
			if table == "filter" && len(f) > 1 && f[1] == "INPUT" && (strings.Contains(l, "-j DROP") || strings.Contains(l, "-j REJECT")) {
				s.InputFilters = true
				s.Detail = "iptables INPUT: drop/reject rule"
			}
		case table == "filter" && strings.HasPrefix(l, ":INPUT "):
			s.InputChains++
			if f := strings.Fields(l); len(f) > 1 && f[1] == "DROP" {
				s.InputFilters = true
				s.Detail = "iptables INPUT: policy DROP"
			}
		}
	}
	return s
}

// linuxFirewall gathers every firewall front end's view.
type linuxFirewall struct {
	Sources  []string // what was asked and answered
	Filters  []string // who filters input, with detail
	Rules    int
	Problems []string
}

func collectLinuxFirewall(ctx context.Context, h *checks.Host) linuxFirewall {
	var fw linuxFirewall
	note := func(what string, err error) {
		if err != nil && !errors.Is(err, checks.ErrNotFound) {
			fw.Problems = append(fw.Problems, fmt.Sprintf("%s: %v", what, err))
		}
	}
	out, err := h.Exec.Run(ctx, "nft", "-j", "list", "ruleset")
	if err == nil {
		var s nftSummary
		if s, err = parseNftJSON(out); err == nil {
			fw.Sources = append(fw.Sources, "nftables")
			fw.Rules += s.Rules
			if s.InputFilters {
				fw.Filters = append(fw.Filters, "nftables ("+s.Detail+")")
			}
		}
	}
	note("nft", err)
	if len(fw.Filters) == 0 {
		// Legacy iptables (not visible to nft) on older systems.
		out, err := h.Exec.Run(ctx, "iptables-save")
		if err == nil {
			s := parseIptablesSave(out)
			fw.Sources = append(fw.Sources, "iptables")
			fw.Rules += s.Rules
			if s.InputFilters {
				fw.Filters = append(fw.Filters, s.Detail)
			}
		}
		note("iptables-save", err)
	}
	out, err = h.Exec.Run(ctx, "ufw", "status")
	if err == nil {
		fw.Sources = append(fw.Sources, "ufw")
		if strings.Contains(string(out), "Status: active") {
			fw.Filters = append(fw.Filters, "ufw (active)")
		}
	}
	note("ufw", err)
	out, err = h.Exec.Run(ctx, "firewall-cmd", "--state")
	var ee *checks.ExitError
	if err == nil || errors.As(err, &ee) { // "not running" exits 252
		fw.Sources = append(fw.Sources, "firewalld")
		if strings.TrimSpace(string(out)) == "running" {
			fw.Filters = append(fw.Filters, "firewalld (running)")
		}
		err = nil
	}
	note("firewall-cmd", err)
	return fw
}

// judgeLinuxFirewall turns the collected views into a result (pure).
func judgeLinuxFirewall(fw linuxFirewall) protocol.Result {
	facts := map[string]any{"sources": fw.Sources, "rules": fw.Rules, "filtering": len(fw.Filters) > 0}
	switch {
	case len(fw.Filters) > 0:
		return checks.Passed(protocol.Textf("le trafic entrant est filtré : %s", "incoming traffic is filtered: %s", strings.Join(fw.Filters, ", ")), facts)
	case len(fw.Sources) == 0 && len(fw.Problems) > 0:
		return checks.Errored(protocol.Text{FR: "pare-feu illisible (droits administrateur ?)", EN: "firewall unreadable (administrator rights?)"}, errors.New(strings.Join(fw.Problems, "; ")))
	case fw.Rules > 0:
		return checks.Warned(protocol.Textf("%d règles de pare-feu (%s), mais aucune ne filtre le trafic entrant",
			"%d firewall rules (%s), but none filters incoming traffic", fw.Rules, strings.Join(fw.Sources, ", ")), facts)
	}
	return checks.Failed(protocol.Textf("aucun pare-feu actif : aucune règle (%s)", "no active firewall: no rules (%s)", orNone(fw.Sources)), facts)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nft, iptables, ufw, firewalld absents"
	}
	return strings.Join(s, ", ")
}

// firewallProfilesScript lists the effective Windows firewall profiles
// (ActiveStore: Group Policy merged over local settings). Name is
// Domain/Private/Public (not localised); Enabled is GpoBoolean (0 False,
// 1 True, 2 NotConfigured); DefaultInboundAction is 0 NotConfigured
// (= block), 2 Allow, 4 Block.
const firewallProfilesScript = `Get-NetFirewallProfile -PolicyStore ActiveStore | Select-Object Name,Enabled,DefaultInboundAction`

type winProfile struct {
	Name                 string
	Enabled              int
	DefaultInboundAction int
	Policy               bool `json:"-"` // set by Group Policy
}

// Where Group Policy and the local configuration keep each profile; the
// registry names the private profile "Standard" locally.
const (
	fwPolicyKey = `HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall`
	fwLocalKey  = `HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy`
)

var fwProfiles = []struct{ Name, Policy, Local string }{
	{"Domain", "DomainProfile", "DomainProfile"},
	{"Private", "PrivateProfile", "StandardProfile"},
	{"Public", "PublicProfile", "PublicProfile"},
}

// fwPolicySet marks the profiles whose state Group Policy sets, so the
// evidence says which store applied.
func fwPolicySet(r checks.Registry, ps []winProfile) {
	for i := range ps {
		for _, p := range fwProfiles {
			if strings.EqualFold(ps[i].Name, p.Name) {
				if _, err := r.Integer(fwPolicyKey+`\`+p.Policy, "EnableFirewall"); err == nil {
					ps[i].Policy = true
				}
			}
		}
	}
}

// fwFromRegistry reads the profiles from the registry, policy first, when
// PowerShell cannot: EnableFirewall 0/1, DefaultInboundAction 1 block,
// 0 allow (absent: block, Windows' default).
func fwFromRegistry(r checks.Registry) ([]winProfile, error) {
	var out []winProfile
	for _, p := range fwProfiles {
		en, from, err := firstInt(r, regVal{fwPolicyKey + `\` + p.Policy, "EnableFirewall", true}, regVal{fwLocalKey + `\` + p.Local, "EnableFirewall", false})
		if err != nil {
			return nil, err
		}
		wp := winProfile{Name: p.Name, Enabled: int(en), Policy: from.Policy}
		in, _, err := firstInt(r, regVal{fwPolicyKey + `\` + p.Policy, "DefaultInboundAction", true}, regVal{fwLocalKey + `\` + p.Local, "DefaultInboundAction", false})
		switch {
		case err == nil && in == 0:
			wp.DefaultInboundAction = 2
		case err == nil || errors.Is(err, checks.ErrNotFound):
			wp.DefaultInboundAction = 4
		default:
			return nil, err
		}
		out = append(out, wp)
	}
	return out, nil
}

func judgeWinFirewall(ps []winProfile, how string) protocol.Result {
	if len(ps) == 0 {
		return checks.Errored(protocol.Text{FR: "profils du pare-feu Windows introuvables", EN: "no Windows firewall profile"}, errors.New("empty list"))
	}
	var off, allow, on, gpo []string
	for _, p := range ps {
		name := p.Name
		if p.Policy {
			gpo = append(gpo, p.Name)
		}
		switch {
		case p.Enabled != 1:
			off = append(off, name)
		case p.DefaultInboundAction == 2:
			allow = append(allow, name)
		default:
			on = append(on, name)
		}
	}
	facts := map[string]any{"profiles_off": off, "profiles_allow_inbound": allow, "profiles_on": on, "profiles_by_policy": gpo, "source": how}
	src := protocol.Textf(" (lu par %s ; aucun profil fixé par stratégie de groupe)", " (read with %s; no profile set by group policy)", how)
	if len(gpo) > 0 {
		src = protocol.Textf(" (lu par %s ; fixé par stratégie de groupe : %s)", " (read with %s; set by group policy: %s)", how, strings.Join(gpo, ", "))
	}
	var r protocol.Result
	switch {
	case len(off) > 0:
		r = checks.Failed(protocol.Textf("pare-feu Windows désactivé pour le(s) profil(s) %s", "Windows firewall off for profile(s) %s", strings.Join(off, ", ")), facts)
	case len(allow) > 0:
		r = checks.Warned(protocol.Textf("pare-feu Windows actif mais autorise tout trafic entrant par défaut (profil(s) %s)",
			"Windows firewall on but allows all inbound traffic by default (profile(s) %s)", strings.Join(allow, ", ")), facts)
	default:
		r = checks.Passed(protocol.Textf("pare-feu Windows actif et bloquant en entrée pour %s", "Windows firewall on and blocking inbound for %s", strings.Join(on, ", ")), facts)
	}
	r.Evidence.FR += src.FR
	r.Evidence.EN += src.EN
	return r
}

func winFirewall(ctx context.Context, h *checks.Host) protocol.Result {
	ps, err := psNonEmpty[winProfile](ctx, h, firewallProfilesScript, "firewall profiles")
	if err == nil {
		fwPolicySet(h.Registry, ps)
		return judgeWinFirewall(ps, "Get-NetFirewallProfile ActiveStore")
	}
	rs, rerr := fwFromRegistry(h.Registry)
	if rerr != nil {
		return winps.Errored(protocol.Text{FR: "lecture du pare-feu Windows impossible", EN: "cannot read the Windows firewall"}, errors.Join(err, rerr))
	}
	return judgeWinFirewall(rs, "registre / registry")
}

func (firewallCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	switch h.OS {
	case "windows":
		return winFirewall(ctx, h)
	case "linux":
		return judgeLinuxFirewall(collectLinuxFirewall(ctx, h))
	}
	return otherOS(h)
}
