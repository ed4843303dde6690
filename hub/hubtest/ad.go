package hubtest

import (
	"errors"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// DC builds the agent's next scorecard as a domain controller's: the real
// Active Directory checks (checks/ad's IDs, severities and domain), every
// one passing but those in failing, and ad.level carrying level as the
// agent writes it (facts "level" and "blocking_next_level", the failing
// checks). level 0 makes ad.level an error without a level, as when the
// directory could not be read.
func (a *Agent) DC(at time.Time, level int, failing ...string) *protocol.Scorecard {
	a.Seq++
	var cs []checks.Check
	var rs []protocol.Result
	for _, c := range ad.Checks(nil) {
		m := c.Meta()
		var r protocol.Result
		switch {
		case m.ID == ad.IDLevel && level == 0:
			r = checks.Errored(protocol.Textf("lecture de l'annuaire", "reading the directory"), errDirectory)
		case m.ID == ad.IDLevel:
			facts := map[string]any{"level": level}
			if level < 5 {
				facts["blocking_next_level"] = slices.Clone(failing)
			}
			ev := protocol.Textf("niveau %d sur 5", "level %d of 5", level)
			switch {
			case level >= 4:
				r = checks.Passed(ev, facts)
			case level == 3:
				r = checks.Warned(ev, facts)
			default:
				r = checks.Failed(ev, facts)
			}
		case slices.Contains(failing, m.ID):
			r = checks.Failed(protocol.Textf("%s : en échec", "%s: failing", m.ID), nil)
		default:
			r = checks.Passed(protocol.Textf("%s : conforme", "%s: compliant", m.ID), nil)
		}
		r.ID, r.Version = m.ID, m.Version
		cs, rs = append(cs, c), append(rs, r)
	}
	host := a.Host
	host.PlatformFamily = "Domain Controller"
	return report.Build(report.Scan{Checks: cs, Results: rs, Host: host, StartedAt: at.Add(-40 * time.Second), FinishedAt: at,
		AgentID: a.ID, AgentVersion: "1.0.0", Sequence: a.Seq})
}

var errDirectory = errors.New(`LDAP Result Code 49 "Invalid Credentials"`)
