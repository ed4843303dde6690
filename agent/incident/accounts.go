package incident

import (
	"bufio"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Account is a local account.
type Account struct {
	Name      string   `json:"name"`
	UID       int      `json:"uid,omitempty"`
	Shell     string   `json:"shell,omitempty"`
	Home      string   `json:"home,omitempty"`
	Enabled   *bool    `json:"enabled,omitempty"`
	LastLogon string   `json:"last_logon,omitempty"`
	Groups    []string `json:"groups,omitempty"` // privileged groups only
	// Login: the account can open an interactive session (a real shell).
	Login bool `json:"login"`
}

// Accounts is the accounts collector's output.
type Accounts struct {
	Accounts []Account         `json:"accounts"`
	Logons   []string          `json:"recent_logons,omitempty"` // raw `last` lines
	Errors   map[string]string `json:"errors,omitempty"`
}

var privilegedGroups = map[string]bool{"root": true, "sudo": true, "wheel": true, "adm": true, "admin": true, "docker": true, "lxd": true, "disk": true, "shadow": true}

// ParsePasswd parses /etc/passwd lines; malformed lines are skipped (the
// file is the host's own, and one odd line must not hide the others) and
// counted.
func ParsePasswd(data []byte) (accs []Account, bad int) {
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, ":")
		if len(f) != 7 || f[0] == "" {
			bad++
			continue
		}
		uid, err := strconv.Atoi(f[2])
		if err != nil {
			bad++
			continue
		}
		sh := f[6]
		login := sh != "" && !strings.HasSuffix(sh, "nologin") && !strings.HasSuffix(sh, "/false") && !strings.HasSuffix(sh, "/sync")
		accs = append(accs, Account{Name: f[0], UID: uid, Home: f[5], Shell: sh, Login: login})
	}
	return accs, bad
}

// parseGroups maps user -> privileged groups from /etc/group.
func parseGroups(data []byte) map[string][]string {
	out := map[string][]string{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(l), ":")
		if len(f) != 4 || !privilegedGroups[f[0]] {
			continue
		}
		for _, u := range strings.Split(f[3], ",") {
			if u = strings.TrimSpace(u); u != "" {
				out[u] = append(out[u], f[0])
			}
		}
	}
	return out
}

const psAccounts = `$adm = @(); try { $adm = @(Get-LocalGroupMember -SID 'S-1-5-32-544' | ForEach-Object { ([string]$_.Name).Split('\')[-1] }) } catch {}
Get-LocalUser | ForEach-Object { $l = $null; if ($_.LastLogon) { $l = $_.LastLogon.ToUniversalTime().ToString('o') }; [pscustomobject]@{ name = [string]$_.Name; enabled = [bool]$_.Enabled; last_logon = $l; admin = ($adm -contains [string]$_.Name) } }`

type winAccount struct {
	Name      string `json:"name"`
	Enabled   bool   `json:"enabled"`
	LastLogon string `json:"last_logon"`
	Admin     bool   `json:"admin"`
}

func collectAccounts(ctx context.Context, h *checks.Host, o Options) (any, error) {
	a := &Accounts{Errors: map[string]string{}}
	if h.OS == "windows" {
		out, err := winps.Run(ctx, h, psAccounts, nil)
		if err != nil {
			return nil, err
		}
		list, _, err := winps.Items[winAccount](out)
		if err != nil {
			return nil, err
		}
		for _, w := range list {
			en := w.Enabled
			acc := Account{Name: w.Name, Enabled: &en, LastLogon: w.LastLogon, Login: en}
			if w.Admin {
				acc.Groups = []string{"Administrators"}
			}
			a.Accounts = append(a.Accounts, acc)
		}
		return a, nil
	}
	b, err := readCapped(h.FS, "etc/passwd", 4<<20, false)
	if err != nil {
		return nil, err
	}
	accs, bad := ParsePasswd(b)
	if bad > 0 {
		a.Errors["etc/passwd"] = strconv.Itoa(bad) + " ligne(s) illisible(s)"
	}
	if g, err := readCapped(h.FS, "etc/group", 4<<20, false); err == nil {
		groups := parseGroups(g)
		for i := range accs {
			accs[i].Groups = groups[accs[i].Name]
		}
	} else {
		a.Errors["etc/group"] = err.Error()
	}
	a.Accounts = accs
	// `last` reads wtmp, a binary format it knows better than we would.
	if out, err := h.Exec.Run(ctx, "last", "-F", "-w", "-n", "200"); err != nil {
		a.Errors["last"] = err.Error()
	} else {
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "wtmp begins") {
				a.Logons = append(a.Logons, l)
			}
		}
	}
	if len(a.Errors) == 0 {
		a.Errors = nil
	}
	if len(a.Accounts) == 0 {
		return nil, errors.New("aucun compte lu dans /etc/passwd")
	}
	return a, nil
}
