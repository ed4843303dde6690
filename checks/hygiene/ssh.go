package hygiene

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// sshCheck: the SSH server refuses root logins with a password and, ideally,
// password logins altogether. Password guessing on SSH is constant on any
// address reachable from the Internet (ANSSI 11, 17; CIS 4.1, 5.4; NIS2
// 21(2)(j)).
type sshCheck struct {
	// args replaces `-T` (tests point sshd at a test configuration).
	args []string
}

func (sshCheck) Meta() checks.Meta {
	return meta("hygiene.ssh", protocol.High, protocol.Refs{ANSSI: []int{11, 17}, CIS: []string{"4.1", "5.4"}, NIS2: []string{"j"}}, "linux")
}

// sshSettings are the effective values that matter, lower case.
type sshSettings struct {
	PermitRootLogin        string
	PasswordAuthentication string
	PermitEmptyPasswords   string
	KbdInteractive         string
	From                   string // "sshd -T" or the configuration file
}

// parseSshdT reads `sshd -T` (one "keyword value" per line, lower-case
// keywords).
func parseSshdT(b []byte) sshSettings {
	s := sshSettings{From: "sshd -T"}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		switch k {
		case "permitrootlogin":
			s.PermitRootLogin = v
		case "passwordauthentication":
			s.PasswordAuthentication = v
		case "permitemptypasswords":
			s.PermitEmptyPasswords = v
		case "kbdinteractiveauthentication", "challengeresponseauthentication":
			if s.KbdInteractive == "" {
				s.KbdInteractive = v
			}
		}
	}
	return s
}

// parseSshdConfig reads sshd_config and its Includes when `sshd -T` cannot
// run (not root, host keys missing): the first value of a keyword wins, as in
// sshd, Match blocks are ignored, and OpenSSH's defaults fill the rest.
func parseSshdConfig(fsys fs.FS) (sshSettings, error) {
	s := sshSettings{From: "etc/ssh/sshd_config"}
	var read func(name string, depth int) error
	read = func(name string, depth int) error {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		inMatch := false
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(strings.Replace(line, "=", " ", 1))
			if len(f) < 2 {
				continue
			}
			k, v := strings.ToLower(f[0]), strings.ToLower(f[1])
			if k == "match" {
				inMatch = true
			}
			if inMatch {
				continue
			}
			set := func(p *string) {
				if *p == "" {
					*p = v
				}
			}
			switch k {
			case "include":
				if depth > 4 {
					continue
				}
				for _, pat := range f[1:] {
					pat = strings.TrimPrefix(pat, "/")
					if !strings.HasPrefix(pat, "etc/") {
						pat = "etc/ssh/" + pat
					}
					matches, _ := fs.Glob(fsys, path.Clean(pat))
					for _, m := range matches {
						_ = read(m, depth+1)
					}
				}
			case "permitrootlogin":
				set(&s.PermitRootLogin)
			case "passwordauthentication":
				set(&s.PasswordAuthentication)
			case "permitemptypasswords":
				set(&s.PermitEmptyPasswords)
			case "kbdinteractiveauthentication", "challengeresponseauthentication":
				set(&s.KbdInteractive)
			}
		}
		return nil
	}
	if err := read("etc/ssh/sshd_config", 0); err != nil {
		return s, err
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&s.PermitRootLogin, "prohibit-password")
	def(&s.PasswordAuthentication, "yes")
	def(&s.PermitEmptyPasswords, "no")
	def(&s.KbdInteractive, "yes")
	return s, nil
}

// judgeSSH turns effective settings into a result (pure).
func judgeSSH(s sshSettings) protocol.Result {
	facts := map[string]any{"permitrootlogin": s.PermitRootLogin, "passwordauthentication": s.PasswordAuthentication,
		"permitemptypasswords": s.PermitEmptyPasswords, "source": s.From}
	seen := protocol.Textf("permitrootlogin %s, passwordauthentication %s, permitemptypasswords %s (%s)",
		"permitrootlogin %s, passwordauthentication %s, permitemptypasswords %s (%s)",
		s.PermitRootLogin, s.PasswordAuthentication, s.PermitEmptyPasswords, s.From)
	switch {
	case s.PermitRootLogin == "yes":
		return checks.Failed(protocol.Text{FR: "connexion root par mot de passe autorisée : " + seen.FR, EN: "root login with a password allowed: " + seen.EN}, facts)
	case s.PermitEmptyPasswords == "yes":
		return checks.Failed(protocol.Text{FR: "mots de passe vides acceptés : " + seen.FR, EN: "empty passwords accepted: " + seen.EN}, facts)
	case s.PasswordAuthentication == "yes":
		return checks.Warned(protocol.Text{FR: "connexion par mot de passe autorisée (clés conseillées) : " + seen.FR, EN: "password login allowed (keys advised): " + seen.EN}, facts)
	}
	return checks.Passed(seen, facts)
}

func (c sshCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "linux" {
		return otherOS(h)
	}
	args := c.args
	if args == nil {
		args = []string{"-T"}
	}
	out, err := h.Exec.Run(ctx, "sshd", args...)
	if err == nil {
		s := parseSshdT(out)
		if s.PermitRootLogin != "" {
			return judgeSSH(s)
		}
		err = errors.New("sshd -T printed no permitrootlogin")
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return checks.Errored(protocol.Text{FR: "sshd -T", EN: "sshd -T"}, err)
	}
	s, ferr := parseSshdConfig(h.FS)
	if errors.Is(ferr, fs.ErrNotExist) {
		if errors.Is(err, checks.ErrNotFound) {
			return checks.Skipped(protocol.Text{FR: "pas de serveur SSH installé", EN: "no SSH server installed"})
		}
	}
	if ferr != nil {
		return checks.Errored(protocol.Text{FR: "configuration SSH illisible", EN: "SSH configuration unreadable"}, errors.Join(err, ferr))
	}
	return judgeSSH(s)
}
