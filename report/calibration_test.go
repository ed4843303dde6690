package report

import (
	"slices"
	"testing"

	"github.com/vigie-cyber/vigie/checks/registry"
	"github.com/vigie-cyber/vigie/protocol"
)

// The calibration profiles of the project brief's calibration.md (copied in
// testdata/calibration.md): hosts described as the checks would see them,
// and the level a regional adviser expects, as a bound. The checks come
// from the real registry, with their real severities, so a check added or a
// severity changed is re-calibrated by this test.

type profile struct {
	n       int
	name    string
	os      string
	sector  string
	tls     bool                       // the entity has a public TLS endpoint
	dc      bool                       // a domain controller: the ad.* checks apply (elsewhere not applicable)
	org     protocol.Status            // every organisational question: Pass (all yes) or NotApplicable (unanswered)
	set     map[string]protocol.Status // results that differ from a well-kept host
	atLeast protocol.Level
	atMost  protocol.Level
	check   func(t *testing.T, s protocol.Scores)
}

// wellKept is a well-kept host: every check that applies to its OS passes.
// Declared answers follow p.org; the sector's protocols check is not
// applicable where the sector has none.
func (p profile) results(t *testing.T) []protocol.Result {
	t.Helper()
	cfg := registry.Config{Sector: p.sector}
	if p.tls {
		cfg.TLSEndpoints = []string{"mairie.example:443"}
	}
	list := registry.Checks(cfg)
	if len(list) < 40 {
		t.Fatalf("registry gave %d checks", len(list))
	}
	var out []protocol.Result
	seen := map[string]bool{}
	for _, c := range list {
		m := c.Meta()
		r := protocol.Result{ID: m.ID, Target: m.Target, Domain: m.Domain, Severity: m.Severity, Refs: m.Refs, Status: protocol.Pass}
		switch {
		case len(m.OS) > 0 && !slices.Contains(m.OS, p.os):
			r.Status = protocol.NotApplicable
		case m.Domain == protocol.DomainAD && !p.dc:
			r.Status = protocol.NotApplicable
		case m.Domain == protocol.DomainOrganisation:
			r.Status = p.org
		case m.ID == "hygiene.sector-ports" && p.sector != string(protocol.SectorPort) && p.sector != string(protocol.SectorHospital):
			r.Status = protocol.NotApplicable
		}
		if st, ok := p.set[m.ID]; ok {
			r.Status = st
			seen[m.ID] = true
		}
		out = append(out, r)
	}
	for id := range p.set {
		if id != "*" && !seen[id] {
			t.Fatalf("profile %d names %s, which the registry does not have", p.n, id)
		}
	}
	if st, ok := p.set["*"]; ok {
		for i := range out {
			out[i].Status = st
		}
	}
	return out
}

func TestCalibration(t *testing.T) {
	t.Parallel()
	F, W, E := protocol.Fail, protocol.Warn, protocol.Error
	yes, unanswered := protocol.Pass, protocol.NotApplicable
	win, deb := "windows", "linux"
	commune := string(protocol.SectorCommune)
	domainScore := func(s protocol.Scores, d protocol.Domain) int {
		for _, ds := range s.Domains {
			if ds.Domain == d {
				return ds.Score
			}
		}
		return protocol.NoScore
	}
	profiles := []profile{
		{n: 1, name: "Windows 11 well kept, entity all yes", os: win, sector: commune, org: yes, atLeast: 3, atMost: 4},
		{n: 2, name: "profile 1, questionnaire unanswered", os: win, sector: commune, org: unanswered, atLeast: 2, atMost: 2,
			check: func(t *testing.T, s protocol.Scores) {
				if s.LevelCap != protocol.CapOrganisation {
					t.Errorf("cap %q, want the organisation rule", s.LevelCap)
				}
			}},
		{n: 3, name: "profile 1 with security updates pending", os: win, sector: commune, org: yes, set: map[string]protocol.Status{"patch.security-pending": F, "patch.pending-updates": F}, atMost: 2},
		{n: 4, name: "profile 1 on Windows 10 without ESU", os: win, sector: commune, org: yes, set: map[string]protocol.Status{"patch.os-support": F}, atMost: 1},
		{n: 5, name: "Server 2012 R2 DC, RDP without NLA, no backup", os: win, sector: commune, org: unanswered, dc: true,
			set: map[string]protocol.Status{"patch.os-support": F, "hygiene.rdp": F, "backup.tool": F, "backup.recent": F, "backup.snapshot": E, "backup.size": E, "backup.separate-disk": E}, atMost: 1},
		{n: 6, name: "neglected Debian 12 server", os: deb, sector: commune, org: unanswered,
			set: map[string]protocol.Status{"patch.security-pending": F, "patch.pending-updates": F, "hygiene.firewall": F, "hygiene.time-sync": F,
				"backup.tool": W, "backup.recent": F, "backup.snapshot": E, "backup.size": E, "backup.separate-disk": E},
			atMost: 2,
			check: func(t *testing.T, s protocol.Scores) {
				if b := domainScore(s, protocol.DomainBackup); b >= 50 {
					t.Errorf("backups scored %d with no backup seen, want them not passed (< 50)", b)
				}
				if s.LevelCap != protocol.CapHigh || !slices.Contains(s.CappedBy, "patch.security-pending") {
					t.Errorf("cap %q by %v, want the high-severity rule naming patch.security-pending", s.LevelCap, s.CappedBy)
				}
			}},
		{n: 7, name: "Debian 12 well kept, entity all yes", os: deb, sector: commune, org: yes, atLeast: 3, atMost: 4},
		{n: 8, name: "profile 7, newest snapshot 10 days old", os: deb, sector: commune, org: yes, set: map[string]protocol.Status{"backup.recent": F}, atMost: 2},
		{n: 9, name: "profile 7 in a port, Modbus on all addresses", os: deb, sector: string(protocol.SectorPort), org: yes, set: map[string]protocol.Status{"hygiene.sector-ports": F, "hygiene.exposed-ports": W}, atMost: 1},
		{n: 10, name: "profile 7 in a hospital, DICOM on all addresses", os: deb, sector: string(protocol.SectorHospital), org: yes, set: map[string]protocol.Status{"hygiene.sector-ports": F}, atMost: 1},
		{n: 11, name: "profile 1 without antivirus", os: win, sector: commune, org: yes, set: map[string]protocol.Status{"hygiene.antivirus": F}, atMost: 2},
		{n: 12, name: "profile 1, no offline backup", os: win, sector: commune, org: yes, set: map[string]protocol.Status{"org.offline-backup": F}, atMost: 1},
		{n: 13, name: "profile 1 with a TLS endpoint accepting TLS 1.0", os: win, sector: commune, tls: true, org: yes, set: map[string]protocol.Status{"tls.protocol-legacy": F}, atMost: 2},
		{n: 14, name: "every check errors", os: deb, sector: commune, org: unanswered, set: map[string]protocol.Status{"*": E}, atMost: 0,
			check: func(t *testing.T, s protocol.Scores) {
				for _, d := range s.Domains {
					if d.Score != protocol.NoScore {
						t.Errorf("domain %s scored %d with nothing seen, want non évalué", d.Domain, d.Score)
					}
				}
			}},
		// Domain controllers (docs/ad.md, "Calibration"). A well-kept DC:
		// every AD point met but the recycle bin (level 4 of 5).
		{n: 15, name: "Server 2022 DC well kept, AD level 4, entity all yes", os: win, sector: commune, org: yes, dc: true,
			set: map[string]protocol.Status{"ad.recycle-bin": W}, atLeast: 3, atMost: 4},
		// A GPP cpassword any domain user can read and decrypt: the
		// domain is one step from taken over, whatever else is right.
		{n: 16, name: "profile 15 with a GPP password in SYSVOL", os: win, sector: commune, org: yes, dc: true,
			set: map[string]protocol.Status{"ad.recycle-bin": W, "ad.gpp-passwords": F, "ad.level": F}, atMost: 1,
			check: func(t *testing.T, s protocol.Scores) {
				if s.LevelCap != protocol.CapCritical || !slices.Contains(s.CappedBy, "ad.gpp-passwords") {
					t.Errorf("cap %q by %v, want the critical rule naming ad.gpp-passwords", s.LevelCap, s.CappedBy)
				}
			}},
		{n: 17, name: "profile 15 with a Kerberoastable domain admin", os: win, sector: commune, org: yes, dc: true,
			set: map[string]protocol.Status{"ad.recycle-bin": W, "ad.privileged-roastable": F, "ad.level": F}, atMost: 1},
		{n: 18, name: "profile 15 with unconstrained delegation on a member server", os: win, sector: commune, org: yes, dc: true,
			set: map[string]protocol.Status{"ad.recycle-bin": W, "ad.unconstrained-delegation": F, "ad.level": F}, atMost: 2},
		// The default machine account quota (10) left as installed: a
		// level-4 point, not a reason to drop a well-kept entity.
		{n: 19, name: "profile 15 with the default machine account quota", os: win, sector: commune, org: yes, dc: true,
			set: map[string]protocol.Status{"ad.recycle-bin": W, "ad.machine-account-quota": F}, atLeast: 3, atMost: 4},
	}
	// Profile 1's fresh backup always scores higher than none seen.
	var fresh, none protocol.Scores
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s := Score(p.results(t))
			if s.Level < p.atLeast || s.Level > p.atMost {
				t.Errorf("profile %d: level %d (%s, score %d, %s), want %d..%d", p.n, s.Level, s.Level.Name("fr"), s.Score, CapReason(&s, "fr"), p.atLeast, p.atMost)
			}
			if p.check != nil {
				p.check(t, s)
			}
			switch p.n {
			case 7:
				fresh = s
			case 6:
				none = s
			}
		})
	}
	if fresh.Domains != nil && none.Domains != nil && domainScore(fresh, protocol.DomainBackup) <= domainScore(none, protocol.DomainBackup) {
		t.Errorf("a fresh backup seen (%d) must score above none seen (%d)", domainScore(fresh, protocol.DomainBackup), domainScore(none, protocol.DomainBackup))
	}
}
