package hygiene

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// Password and lockout policies are read with `secedit /export`, whose INF
// file uses fixed key names ([System Access] MinimumPasswordLength...) in
// every display language, never with `net accounts`, whose labels are
// translated. secedit needs administrator rights and writes a UTF-16 file,
// which the script reads and deletes; only the [System Access] lines come
// back.
const seceditScript = `$f = Join-Path $env:SystemRoot ('Temp\vigie-secedit-' + [guid]::NewGuid().ToString('N') + '.inf')
try {
  $null = & (Join-Path $env:SystemRoot 'System32\secedit.exe') /export /cfg $f /areas SECURITYPOLICY /quiet
  if ($LASTEXITCODE -ne 0) { throw "secedit /export: exit code $LASTEXITCODE" }
  $in = $false
  foreach ($l in (Get-Content -LiteralPath $f -Encoding Unicode)) {
    if ($l -match '^\s*\[') { $in = ($l.Trim() -eq '[System Access]'); continue }
    if ($in) { [string]$l }
  }
} finally { Remove-Item -LiteralPath $f -Force -ErrorAction SilentlyContinue }`

// maxSeceditLines bounds what is parsed ([System Access] has ~15 keys).
const maxSeceditLines = 1000

// parseSystemAccess reads "Key = value" lines of secedit's [System Access]
// section into integers; other lines (NewAdministratorName = "...") are
// skipped, malformed numbers are errors.
func parseSystemAccess(lines []string) (map[string]int64, error) {
	if len(lines) > maxSeceditLines {
		return nil, fmt.Errorf("secedit: %d lines in [System Access], more than %d", len(lines), maxSeceditLines)
	}
	out := map[string]int64{}
	for _, l := range lines {
		sc := bufio.NewScanner(strings.NewReader(l))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if k == "" || strings.HasPrefix(v, `"`) {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("secedit: %s = %q is not a number", k, v)
			}
			out[k] = n
		}
	}
	if len(out) == 0 {
		return nil, errors.New("secedit: empty [System Access] section")
	}
	return out, nil
}

// secpolCache runs secedit once per host for both policy checks.
type secpolCache struct {
	mu sync.Mutex
	m  map[*checks.Host]*secpolEntry
}

type secpolEntry struct {
	once sync.Once
	v    map[string]int64
	err  error
}

func (c *secpolCache) get(ctx context.Context, h *checks.Host) (map[string]int64, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[*checks.Host]*secpolEntry{}
	}
	e, ok := c.m[h]
	if !ok {
		e = &secpolEntry{}
		c.m[h] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		lines, err := psList[string](ctx, h, seceditScript)
		if err != nil {
			e.err = err
			return
		}
		e.v, e.err = parseSystemAccess(lines)
	})
	return e.v, e.err
}

// need returns the keys or an error naming the missing ones.
func need(v map[string]int64, keys ...string) error {
	var missing []string
	for _, k := range keys {
		if _, ok := v[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("secedit [System Access] lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// Thresholds from ANSSI's password recommendations (12 characters with
// complexity for ordinary accounts) and CIS (14).
const (
	minLengthPass = 12
	minLengthWarn = 8
	maxLockout    = 10
)

func judgePasswordPolicy(v map[string]int64) protocol.Result {
	if err := need(v, "MinimumPasswordLength", "PasswordComplexity"); err != nil {
		return checks.Errored(protocol.Text{FR: "stratégie de mot de passe incomplète", EN: "password policy incomplete"}, err)
	}
	l, c, clear := v["MinimumPasswordLength"], v["PasswordComplexity"], v["ClearTextPassword"]
	facts := map[string]any{"min_length": l, "complexity": c == 1, "reversible": clear == 1}
	ev := protocol.Textf("stratégie locale : longueur minimale %d, complexité %d, chiffrement réversible %d",
		"local policy: minimum length %d, complexity %d, reversible encryption %d", l, c, clear)
	switch {
	case clear == 1 || l < minLengthWarn:
		return checks.Failed(ev, facts)
	case l < minLengthPass || c != 1:
		return checks.Warned(ev, facts)
	}
	return checks.Passed(ev, facts)
}

func judgeLockoutPolicy(v map[string]int64) protocol.Result {
	if err := need(v, "LockoutBadCount"); err != nil {
		return checks.Errored(protocol.Text{FR: "stratégie de verrouillage incomplète", EN: "lockout policy incomplete"}, err)
	}
	n := v["LockoutBadCount"]
	facts := map[string]any{"lockout_threshold": n}
	if d, ok := v["LockoutDuration"]; ok {
		facts["lockout_duration_min"] = d
	}
	switch {
	case n == 0:
		return checks.Failed(protocol.Text{FR: "aucun verrouillage de compte après des échecs de connexion (LockoutBadCount=0)", EN: "no account lockout after failed logons (LockoutBadCount=0)"}, facts)
	case n > maxLockout:
		return checks.Warned(protocol.Textf("verrouillage après %d échecs (plus de %d)", "lockout after %d failures (more than %d)", n, maxLockout), facts)
	}
	return checks.Passed(protocol.Textf("verrouillage après %d échecs de connexion", "lockout after %d failed logons", n), facts)
}

func (secpol *secpolCache) passwordPolicy(ctx context.Context, h *checks.Host) protocol.Result {
	v, err := secpol.get(ctx, h)
	if err != nil {
		return winps.Errored(protocol.Text{FR: "stratégie de mot de passe (secedit) illisible", EN: "password policy (secedit) unreadable"}, err)
	}
	return judgePasswordPolicy(v)
}

func (secpol *secpolCache) lockoutPolicy(ctx context.Context, h *checks.Host) protocol.Result {
	v, err := secpol.get(ctx, h)
	if err != nil {
		return winps.Errored(protocol.Text{FR: "stratégie de verrouillage (secedit) illisible", EN: "lockout policy (secedit) unreadable"}, err)
	}
	return judgeLockoutPolicy(v)
}
