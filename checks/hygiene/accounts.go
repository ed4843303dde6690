package hygiene

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// uid0Check: only root has user ID 0. Another UID 0 account is a second,
// often forgotten, full administrator: a classic backdoor (ANSSI 8, 27; CIS
// 5.4; NIS2 21(2)(i)).
type uid0Check struct{}

func (uid0Check) Meta() checks.Meta {
	return meta("hygiene.uid0", protocol.High, protocol.Refs{ANSSI: []int{8, 27}, CIS: []string{"5.4"}, NIS2: []string{"i"}}, "linux")
}

// parseUID0 returns the line numbers of UID 0 accounts other than root.
// Names are not reported: the scorecard carries no personal names.
func parseUID0(b []byte) (lines []int, accounts int) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	n := 0
	for sc.Scan() {
		n++
		f := strings.Split(sc.Text(), ":")
		if len(f) < 4 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") {
			continue
		}
		accounts++
		if f[2] == "0" && f[0] != "root" {
			lines = append(lines, n)
		}
	}
	return lines, accounts
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func (uid0Check) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "linux" {
		return otherOS(h)
	}
	b, err := fs.ReadFile(h.FS, "etc/passwd")
	if err != nil {
		return checks.Errored(protocol.Text{FR: "etc/passwd illisible", EN: "etc/passwd unreadable"}, err)
	}
	lines, n := parseUID0(b)
	facts := map[string]any{"extra_uid0": len(lines), "accounts": n}
	if len(lines) > 0 {
		return checks.Failed(protocol.Textf("%d compte(s) d'UID 0 en plus de root (etc/passwd, ligne(s) %s)",
			"%d UID 0 account(s) besides root (etc/passwd, line(s) %s)", len(lines), joinInts(lines)), facts)
	}
	return checks.Passed(protocol.Textf("seul root a l'UID 0 (%d comptes)", "only root has UID 0 (%d accounts)", n), facts)
}

// emptyPasswordsCheck: no account has an empty password in etc/shadow; such
// an account opens with no password at all wherever password login is
// allowed (ANSSI 10; CIS 5.2; NIS2 21(2)(i)).
type emptyPasswordsCheck struct{}

func (emptyPasswordsCheck) Meta() checks.Meta {
	return meta("hygiene.empty-passwords", protocol.Critical, protocol.Refs{ANSSI: []int{10}, CIS: []string{"5.2"}, NIS2: []string{"i"}}, "linux")
}

// parseEmptyPasswords returns the line numbers of accounts whose password
// field is empty (a locked account has "!" or "*").
func parseEmptyPasswords(b []byte) (lines []int, accounts int) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	n := 0
	for sc.Scan() {
		n++
		f := strings.Split(sc.Text(), ":")
		if len(f) < 2 || f[0] == "" {
			continue
		}
		accounts++
		if f[1] == "" {
			lines = append(lines, n)
		}
	}
	return lines, accounts
}

func (emptyPasswordsCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "linux" {
		return otherOS(h)
	}
	b, err := fs.ReadFile(h.FS, "etc/shadow")
	if errors.Is(err, fs.ErrPermission) {
		return checks.Skipped(protocol.Text{FR: "etc/shadow illisible sans droits root", EN: "etc/shadow unreadable without root"})
	}
	if err != nil {
		return checks.Errored(protocol.Text{FR: "etc/shadow illisible", EN: "etc/shadow unreadable"}, err)
	}
	lines, n := parseEmptyPasswords(b)
	facts := map[string]any{"empty_passwords": len(lines), "accounts": n}
	if len(lines) > 0 {
		return checks.Failed(protocol.Textf("%d compte(s) sans mot de passe (etc/shadow, ligne(s) %s)",
			"%d account(s) without a password (etc/shadow, line(s) %s)", len(lines), joinInts(lines)), facts)
	}
	return checks.Passed(protocol.Textf("aucun compte sans mot de passe (%d comptes)", "no account without a password (%d accounts)", n), facts)
}

// sudoCheck: no sudo rule grants every command without a password
// ("NOPASSWD: ALL"): whoever takes over that account, or any program it
// runs, becomes root silently (ANSSI 27; CIS 5.4; NIS2 21(2)(i)).
type sudoCheck struct{}

func (sudoCheck) Meta() checks.Meta {
	return meta("hygiene.sudo-nopasswd", protocol.Medium, protocol.Refs{ANSSI: []int{27}, CIS: []string{"5.4"}, NIS2: []string{"i"}}, "linux")
}

var nopasswdAll = regexp.MustCompile(`NOPASSWD\s*:\s*(\([^)]*\)\s*)?ALL\s*$`)
var noAuthenticate = regexp.MustCompile(`^Defaults\b.*!authenticate\b`)

// sudoFinding is one rule: where it is and whom it concerns (a group name,
// or "user" rather than a personal name).
type sudoFinding struct {
	File string
	Line int
	Who  string
}

// parseSudoers finds NOPASSWD: ALL rules and "Defaults !authenticate" in
// one sudoers file, following backslash continuations.
func parseSudoers(name string, b []byte) []sudoFinding {
	var out []sudoFinding
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	n, start := 0, 0
	var cur strings.Builder
	for sc.Scan() {
		n++
		line := sc.Text()
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		full := strings.TrimSpace(cur.String())
		cur.Reset()
		if i := strings.Index(full, "#"); i >= 0 && !strings.HasPrefix(full, "#include") {
			full = strings.TrimSpace(full[:i])
		}
		if full == "" || strings.HasPrefix(full, "#") || strings.HasPrefix(full, "@include") {
			continue
		}
		switch {
		case noAuthenticate.MatchString(full):
			out = append(out, sudoFinding{name, start, "Defaults !authenticate"})
		case strings.HasPrefix(full, "Defaults"), strings.Contains(full, "_Alias"):
		case nopasswdAll.MatchString(full):
			who := strings.Fields(full)[0]
			if !strings.HasPrefix(who, "%") && who != "ALL" && strings.ToUpper(who) != who {
				who = "user"
			}
			out = append(out, sudoFinding{name, start, who})
		}
	}
	return out
}

func (sudoCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "linux" {
		return otherOS(h)
	}
	files := []string{"etc/sudoers"}
	if ents, err := fs.ReadDir(h.FS, "etc/sudoers.d"); err == nil {
		for _, e := range ents {
			// sudo skips names ending in "~" or containing "." (sudoers(5)).
			if e.IsDir() || strings.HasSuffix(e.Name(), "~") || strings.Contains(e.Name(), ".") {
				continue
			}
			files = append(files, "etc/sudoers.d/"+e.Name())
		}
	}
	var found []sudoFinding
	read := 0
	for _, f := range files {
		b, err := fs.ReadFile(h.FS, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			return checks.Skipped(protocol.Text{FR: "règles sudo illisibles sans droits root", EN: "sudo rules unreadable without root"})
		}
		if err != nil {
			return checks.Errored(protocol.Textf("%s illisible", "%s unreadable", f), err)
		}
		read++
		found = append(found, parseSudoers(f, b)...)
	}
	if read == 0 {
		return checks.Skipped(protocol.Text{FR: "sudo n'est pas configuré", EN: "sudo is not configured"})
	}
	facts := map[string]any{"nopasswd_all": len(found), "files": read}
	if len(found) == 0 {
		return checks.Passed(protocol.Textf("aucune règle « NOPASSWD: ALL » (%d fichier(s) sudoers)", "no \"NOPASSWD: ALL\" rule (%d sudoers file(s))", read), facts)
	}
	var where []string
	for _, f := range found {
		where = append(where, fmt.Sprintf("%s:%d (%s)", f.File, f.Line, f.Who))
	}
	return checks.Warned(protocol.Textf("%d règle(s) donnant tous les droits sans mot de passe : %s",
		"%d rule(s) granting every right without a password: %s", len(found), strings.Join(where, ", ")), facts)
}
