// Package winps runs the PowerShell scripts of the Windows checks the same
// way everywhere: powershell.exe by its full path (never a powershell.exe
// dropped in the PATH or the working folder), UTF-8 output whatever the
// console code page (accented folder and adapter names), Constrained
// Language Mode detected and reported instead of misread, every value from
// the configuration passed as data in an environment variable (never spliced
// into the script text), and one JSON envelope around the output so that
// "the command found nothing" and "nothing could be read" are never
// confused.
//
// It builds on checks.Host only (Exec, Registry), so it compiles everywhere
// and is tested on Linux with canned outputs.
package winps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// DefaultPath is powershell.exe (Windows PowerShell 5.1, present on every
// supported Windows) under the default system root.
const DefaultPath = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`

const keyCurrentVersion = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`

// Path returns powershell.exe's full path under the system root the
// registry names (Windows may live on D:), else DefaultPath.
func Path(h *checks.Host) string {
	if h.Registry != nil {
		if root, err := h.Registry.String(keyCurrentVersion, "SystemRoot"); err == nil && validRoot(root) {
			return strings.TrimRight(root, `\`) + `\System32\WindowsPowerShell\v1.0\powershell.exe`
		}
	}
	return DefaultPath
}

var rootRE = regexp.MustCompile(`^[A-Za-z]:\\[^"<>|?*\x00-\x1f]*$`)

// validRoot accepts a drive-rooted path only: a relative or network root
// would run a powershell.exe from somewhere else.
func validRoot(s string) bool { return rootRE.MatchString(s) && !strings.Contains(s, "..") }

// Args are the arguments before the script.
var Args = []string{"-NoProfile", "-NonInteractive", "-Command"}

// Schema tags the envelope.
const Schema = "vigie.ps/1"

// Wrap puts a script body inside the prelude and the envelope. The body
// writes objects to the pipeline (one, many or none); the envelope holds
// them as a JSON array under "items", with "admin" telling whether the
// scan runs elevated. A terminating error becomes {"error", "category",
// "hresult"}: the category is a PowerShell enum name, never localised.
//
// The language-mode test comes first and uses nothing but strings: under
// Constrained Language Mode (AppLocker or WDAC script enforcement) the .NET
// calls below would fail, and a policy that blocks them must be reported as
// such, not as a missing value.
func Wrap(body string) string {
	return `$ErrorActionPreference = 'Stop'
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') { '{"vigie":"` + Schema + `","language":"' + $ExecutionContext.SessionState.LanguageMode + '"}'; exit 0 }
$vigieUTF8 = New-Object System.Text.UTF8Encoding $false
[Console]::OutputEncoding = $vigieUTF8
$OutputEncoding = $vigieUTF8
$vigieCI = [Globalization.CultureInfo]::InvariantCulture
$vigieAdmin = $false
try { $vigieAdmin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator) } catch {}
try {
  $vigieItems = @(& {
` + body + `
  })
  [pscustomobject]@{ vigie = '` + Schema + `'; admin = $vigieAdmin; items = $vigieItems } | ConvertTo-Json -Depth 8 -Compress
} catch {
  [pscustomobject]@{ vigie = '` + Schema + `'; admin = $vigieAdmin; error = [string]$_.Exception.Message; category = [string]$_.CategoryInfo.Category; type = [string]$_.Exception.GetType().FullName; hresult = [int64]$_.Exception.HResult } | ConvertTo-Json -Compress
}`
}

// envPrefix names the environment variables that carry data to scripts;
// a script reads $env:VIGIE_ARG_PATH for Env{"PATH": ...}.
const envPrefix = "VIGIE_ARG_"

// Env is data for a script, by name (letters, digits, underscore).
type Env map[string]string

var nameRE = regexp.MustCompile(`^[A-Z0-9_]+$`)

// Run runs a wrapped script body with data in environment variables and
// returns its raw output (decode it with Items or One). A non-zero exit
// with an envelope on standard output is left to the decoder.
func Run(ctx context.Context, h *checks.Host, body string, env Env) ([]byte, error) {
	args := append(append([]string(nil), Args...), Wrap(body))
	var out []byte
	var err error
	if len(env) > 0 {
		vars := make([]string, 0, len(env))
		for k, v := range env {
			if !nameRE.MatchString(k) {
				return nil, fmt.Errorf("PowerShell data name %q: letters, digits and _ only", k)
			}
			if strings.ContainsRune(v, 0) {
				return nil, fmt.Errorf("PowerShell data %s contains a NUL character", k)
			}
			vars = append(vars, envPrefix+k+"="+v)
		}
		er, ok := h.Exec.(checks.EnvRunner)
		if !ok {
			return nil, errors.New("this command runner cannot pass data to PowerShell through the environment")
		}
		out, err = er.RunEnv(ctx, vars, Path(h), args...)
	} else {
		out, err = h.Exec.Run(ctx, Path(h), args...)
	}
	var ee *checks.ExitError
	if err != nil && !(errors.As(err, &ee) && bytes.Contains(out, []byte(Schema))) {
		return out, fmt.Errorf("powershell: %w", err)
	}
	return out, nil
}

// Key is the fake-runner key of a script body (tests): the command line
// Run builds on a host whose registry does not name the system root.
func Key(body string) string {
	return DefaultPath + " " + strings.Join(Args, " ") + " " + Wrap(body)
}

// ErrNoOutput is PowerShell exiting without printing anything: Wine's
// PowerShell stub does that, and so does a killed or blocked PowerShell.
// No data, so never a verdict.
var ErrNoOutput = errors.New("PowerShell n'a rien affiché / PowerShell printed nothing")

// ErrConstrained is Constrained Language Mode: an application-control
// policy forbids the .NET calls the collection needs.
var ErrConstrained = errors.New("PowerShell en mode de langage restreint")

// Error is a terminating error raised by the script.
type Error struct {
	Message  string
	Category string // ErrorCategory name: PermissionDenied, ObjectNotFound...
	Type     string // .NET exception type, e.g. System.Management.Automation.CommandNotFoundException
	HResult  int64
	Admin    bool // whether the scan ran elevated
}

func (e *Error) Error() string {
	s := strings.TrimSpace(e.Message)
	if e.Category != "" {
		s += " [" + e.Category + "]"
	}
	if e.HResult != 0 {
		s += fmt.Sprintf(" (HRESULT 0x%08X)", uint32(e.HResult))
	}
	return s
}

// Access-denied codes: E_ACCESSDENIED and WBEM_E_ACCESS_DENIED.
const (
	hrAccessDenied     = 0x80070005
	hrWMIAccessDenied  = 0x80041003
	categoryPermission = "PermissionDenied"
)

// NeedsAdmin reports an access refused to a scan that is not elevated.
func (e *Error) NeedsAdmin() bool {
	if e.Admin {
		return false
	}
	hr := uint32(e.HResult)
	return e.Category == categoryPermission || hr == hrAccessDenied || hr == hrWMIAccessDenied
}

// AdminNeeded is the marker put in the evidence of a check stopped by the
// lack of administrator rights; the scan summary looks for it.
var AdminNeeded = protocol.Text{FR: "droits administrateur nécessaires", EN: "administrator rights needed"}

type envelope struct {
	Vigie    string          `json:"vigie"`
	Language string          `json:"language"`
	Admin    bool            `json:"admin"`
	Items    json.RawMessage `json:"items"`
	Error    *string         `json:"error"`
	Category string          `json:"category"`
	Type     string          `json:"type"`
	HResult  int64           `json:"hresult"`
}

// Meta is what the envelope says besides the items.
type Meta struct {
	Admin bool
}

// MaxOutput bounds what is decoded (the runner already caps output).
const MaxOutput = 16 << 20

func open(out []byte) (envelope, error) {
	var e envelope
	out = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(out), []byte("\xef\xbb\xbf")))
	if len(out) == 0 {
		return e, ErrNoOutput
	}
	if len(out) > MaxOutput {
		return e, fmt.Errorf("PowerShell output of %d bytes exceeds %d", len(out), MaxOutput)
	}
	// Anything printed before the envelope (a warning stream redirected by
	// a profile-less host) is skipped; the envelope is the last line.
	if i := bytes.LastIndex(out, []byte(`{"vigie":`)); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &e); err != nil {
		return e, fmt.Errorf("PowerShell output is not Vigie's JSON envelope: %w (%q)", err, clip(out))
	}
	if e.Vigie != Schema {
		return e, fmt.Errorf("PowerShell output: unexpected schema %q", e.Vigie)
	}
	if e.Language != "" {
		return e, fmt.Errorf("%w (%s) : une stratégie AppLocker ou WDAC bloque la lecture / Constrained Language Mode (%s): an AppLocker or WDAC policy blocks the collection", ErrConstrained, e.Language, e.Language)
	}
	if e.Error != nil {
		return e, &Error{Message: *e.Error, Category: e.Category, Type: e.Type, HResult: e.HResult, Admin: e.Admin}
	}
	return e, nil
}

func clip(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// Items decodes the envelope's items into a list. An empty list is data
// (the command ran and returned nothing); empty output, an error or a
// missing items field is an error.
func Items[T any](out []byte) ([]T, Meta, error) {
	e, err := open(out)
	if err != nil {
		return nil, Meta{Admin: e.Admin}, err
	}
	m := Meta{Admin: e.Admin}
	raw := bytes.TrimSpace(e.Items)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, m, errors.New("PowerShell envelope without items")
	}
	switch raw[0] {
	case '{':
		// Windows PowerShell 5.1 may serialise an array with its ETS
		// members as {"value":[...],"Count":n}.
		var wrapped struct {
			Value *json.RawMessage `json:"value"`
			Count *int             `json:"Count"`
		}
		if json.Unmarshal(raw, &wrapped) == nil && wrapped.Value != nil && wrapped.Count != nil {
			raw = *wrapped.Value
		} else {
			raw = append(append([]byte("["), raw...), ']')
		}
	case '[':
	default:
		return nil, m, fmt.Errorf("PowerShell items: not a list (%q)", clip(raw))
	}
	var list []T
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, m, fmt.Errorf("PowerShell items: %w", err)
	}
	return list, m, nil
}

// One decodes an envelope that must hold exactly one object.
func One[T any](out []byte) (T, Meta, error) {
	var zero T
	list, m, err := Items[T](out)
	if err != nil {
		return zero, m, err
	}
	if len(list) != 1 {
		return zero, m, fmt.Errorf("PowerShell returned %d objects where one was expected", len(list))
	}
	return list[0], m, nil
}

// Envelope builds the output of a successful run around a JSON value
// (tests: fixtures hold what the body prints, this adds what Wrap adds).
func Envelope(items string, admin bool) string {
	return fmt.Sprintf(`{"vigie":%q,"admin":%v,"items":%s}`, Schema, admin, strings.TrimSpace(items))
}

// Failure builds the output of a run whose body raised an error (tests).
func Failure(msg, category string, hresult int64, admin bool) string {
	return FailureOf(Error{Message: msg, Category: category, HResult: hresult, Admin: admin})
}

// FailureOf is Failure with every field, the exception type included.
func FailureOf(e Error) string {
	b, _ := json.Marshal(map[string]any{"vigie": Schema, "admin": e.Admin, "error": e.Message, "category": e.Category, "type": e.Type, "hresult": e.HResult})
	return string(b)
}

// Constrained is the output under Constrained Language Mode (tests).
func Constrained() string {
	return `{"vigie":"` + Schema + `","language":"ConstrainedLanguage"}`
}

// Errored turns a collection error into an error result; when the cause
// is an access refused to a scan without elevation, the evidence says
// "droits administrateur nécessaires" so the scan summary can list it.
func Errored(what protocol.Text, err error) protocol.Result {
	var pe *Error
	if errors.As(err, &pe) && pe.NeedsAdmin() {
		what = protocol.Text{FR: what.FR + " (" + AdminNeeded.FR + ")", EN: what.EN + " (" + AdminNeeded.EN + ")"}
	}
	return checks.Errored(what, err)
}
