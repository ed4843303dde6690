package patch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
)

// ParseDnfCheckUpdate reads `dnf -q check-update` (or yum's): one
// "name.arch  version  repository" row per available update. yum wraps a
// long name onto its own line, so fields are gathered across lines. The
// "Obsoleting Packages" section repeats packages and ends the list.
func ParseDnfCheckUpdate(out []byte) ([]Update, error) {
	var ups []Update
	var buf []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.Contains(line, ": ") || strings.HasSuffix(line, ":") {
			continue // "Last metadata expiration check: ...", "Security: ... is an installed security update"
		}
		if strings.HasPrefix(line, "Obsoleting Packages") {
			break
		}
		buf = append(buf, strings.Fields(line)...)
		if len(buf) < 3 {
			continue
		}
		if len(buf) > 3 {
			return nil, fmt.Errorf("check-update: unexpected line %q", line)
		}
		na := buf[0]
		name := na
		if i := strings.LastIndex(na, "."); i > 0 {
			name = na[:i]
		}
		ups = append(ups, Update{Name: name, To: buf[1], Origins: []string{buf[2]}})
		buf = buf[:0]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("check-update output: %w", err)
	}
	if len(buf) != 0 {
		return nil, fmt.Errorf("check-update: truncated row %q", strings.Join(buf, " "))
	}
	return ups, nil
}

// Advisory is one row of `dnf updateinfo list --security`.
type Advisory struct {
	ID       string `json:"id"`       // RLSA-2024:3339, ALSA-..., RHSA-...
	Severity string `json:"severity"` // Important, Moderate...
	Package  string `json:"package"`  // package name, from the NEVRA
}

// ParseDnfUpdateinfo reads `dnf -q updateinfo list --security` (dnf 4 and
// yum: "ID Severity/Sec. NEVRA") and dnf 5 ("ID security Severity NEVRA
// Issued"). Other lines (headers, "updateinfo list done") are ignored.
func ParseDnfUpdateinfo(out []byte) []Advisory {
	var advs []Advisory
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && strings.HasSuffix(f[1], "/Sec."):
			advs = append(advs, Advisory{ID: f[0], Severity: strings.TrimSuffix(f[1], "/Sec."), Package: nevraName(f[2])})
		case len(f) >= 4 && f[1] == "security":
			advs = append(advs, Advisory{ID: f[0], Severity: f[2], Package: nevraName(f[3])})
		}
	}
	return advs
}

// nevraName returns the name of name-[epoch:]version-release.arch.
func nevraName(nevra string) string {
	s := nevra
	if i := strings.LastIndex(s, "."); i > 0 {
		s = s[:i] // arch
	}
	for range 2 { // release, then version
		if i := strings.LastIndex(s, "-"); i > 0 {
			s = s[:i]
		}
	}
	return s
}

// ParseDnfHistory reads `dnf history list` (and yum's): a table with "|"
// separated columns found by their header names. A row whose Action(s)
// include Upgrade/Update ("U" when abbreviated) is an update; "#" in
// Altered marks a transaction that ended with an error.
func ParseDnfHistory(out []byte, loc *time.Location) ([]Transaction, error) {
	var ts []Transaction
	dateCol, actCol, altCol, cmdCol := -1, -1, -1, -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "|") {
			continue
		}
		cols := strings.Split(line, "|")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		if dateCol < 0 {
			for i, c := range cols {
				switch {
				case strings.HasPrefix(c, "Date and time"):
					dateCol = i
				case strings.HasPrefix(c, "Action"):
					actCol = i
				case strings.HasPrefix(c, "Altered"):
					altCol = i
				case strings.HasPrefix(c, "Command line"):
					cmdCol = i
				}
			}
			if dateCol < 0 || actCol < 0 {
				return nil, fmt.Errorf("history: unexpected header %q", line)
			}
			continue
		}
		if len(cols) <= max(dateCol, actCol, altCol) {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02 15:04", cols[dateCol], loc)
		if err != nil {
			return nil, fmt.Errorf("history: bad date %q", cols[dateCol])
		}
		tr := Transaction{Start: t, End: t}
		if cmdCol >= 0 {
			tr.Command = cols[cmdCol]
		}
		for _, a := range strings.Split(cols[actCol], ",") {
			switch strings.TrimSpace(a) {
			case "U", "Upgrade", "Update", "Upgraded", "Updated":
				tr.Upgraded = 1 // the table gives the altered count, not per action
			}
		}
		if altCol >= 0 && strings.Contains(cols[altCol], "#") {
			tr.Failed = true
		}
		ts = append(ts, tr)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if dateCol < 0 && len(bytes.TrimSpace(out)) > 0 {
		return nil, errors.New("history: no table header found")
	}
	return ts, nil
}

// dnfTool is dnf, or yum on hosts without it (RHEL/CentOS 7).
func dnfTool(ctx context.Context, h *checks.Host) string {
	if _, err := h.Exec.Run(ctx, "dnf", "--version"); errors.Is(err, checks.ErrNotFound) {
		return "yum"
	}
	return "dnf"
}

// dnfPending lists available updates and marks those named by a security
// advisory. check-update exits 100 when updates are available.
func dnfPending(ctx context.Context, h *checks.Host, tool string) ([]Update, []Advisory, error) {
	out, err := h.Exec.Run(ctx, tool, "-q", "check-update")
	var ee *checks.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.Code == 100) {
		return nil, nil, fmt.Errorf("%s check-update: %w", tool, err)
	}
	ups, err := ParseDnfCheckUpdate(out)
	if err != nil {
		return nil, nil, err
	}
	args := []string{"-q", "updateinfo", "list", "--security"}
	if tool == "yum" {
		args = []string{"-q", "updateinfo", "list", "sec"}
	}
	out, err = h.Exec.Run(ctx, tool, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s updateinfo: %w", tool, err)
	}
	advs := ParseDnfUpdateinfo(out)
	sec := map[string]bool{}
	for _, a := range advs {
		sec[a.Package] = true
	}
	for i := range ups {
		ups[i].Security = sec[ups[i].Name]
	}
	return ups, advs, nil
}
