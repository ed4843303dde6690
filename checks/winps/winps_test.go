package winps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

type item struct {
	Name string
	N    int
}

func TestItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		out   string
		n     int
		admin bool
		err   string
	}{
		{"array", Envelope(`[{"Name":"a","N":1},{"Name":"b","N":2}]`, true), 2, true, ""},
		{"one object unrolled", Envelope(`{"Name":"a","N":1}`, false), 1, false, ""},
		{"explicit empty list is data", Envelope(`[]`, true), 0, true, ""},
		{"PS 5.1 value/Count wrapper", Envelope(`{"value":[{"Name":"a"},{"Name":"b"},{"Name":"c"}],"Count":3}`, true), 3, true, ""},
		{"BOM and a warning line before", "\ufeffAVERTISSEMENT : quelque chose\r\n" + Envelope(`[{"Name":"é"}]`, true) + "\r\n", 1, true, ""},
		{"empty output (Wine)", "", 0, false, "printed nothing"},
		{"blank output", " \r\n", 0, false, "printed nothing"},
		{"items missing", `{"vigie":"vigie.ps/1","admin":true}`, 0, true, "without items"},
		{"items null", Envelope(`null`, true), 0, true, "without items"},
		{"raw text", "Get-Thing : Accès refusé", 0, false, "not Vigie's JSON envelope"},
		{"other schema", `{"vigie":"other"}`, 0, false, "unexpected schema"},
		{"error", Failure("Accès refusé", "PermissionDenied", -2147024891, false), 0, false, "Accès refusé [PermissionDenied] (HRESULT 0x80070005)"},
		{"constrained language", Constrained(), 0, false, "mode de langage restreint (ConstrainedLanguage)"},
		{"items not a list", Envelope(`"x"`, true), 0, true, "not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, m, err := Items[item]([]byte(tt.out))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tt.n || m.Admin != tt.admin {
				t.Errorf("%d items admin %v, want %d %v", len(list), m.Admin, tt.n, tt.admin)
			}
		})
	}
	if list, _, _ := Items[item]([]byte(Envelope(`[{"Name":"Sauvegardes é"}]`, true))); list[0].Name != "Sauvegardes é" {
		t.Errorf("UTF-8 name %q", list[0].Name)
	}
	if _, _, err := One[item]([]byte(Envelope(`[]`, true))); err == nil || !strings.Contains(err.Error(), "0 objects") {
		t.Errorf("One on an empty list: %v", err)
	}
}

func TestErrorsAndAdmin(t *testing.T) {
	t.Parallel()
	_, _, err := Items[item]([]byte(Failure("Access is denied", "PermissionDenied", 0, false)))
	var pe *Error
	if !errors.As(err, &pe) || !pe.NeedsAdmin() {
		t.Fatalf("access denied without elevation: %v", err)
	}
	r := Errored(protocol.Text{FR: "BitLocker illisible", EN: "BitLocker unreadable"}, err)
	if r.Status != protocol.Error || !strings.Contains(r.Evidence.FR, "droits administrateur nécessaires") || !strings.Contains(r.Evidence.EN, "administrator rights needed") {
		t.Errorf("evidence %+v", r.Evidence)
	}
	// Elevated and still refused: not a matter of rights the admin can fix by elevating.
	_, _, err = Items[item]([]byte(Failure("Access is denied", "PermissionDenied", 0, true)))
	if r := Errored(protocol.Text{FR: "x", EN: "x"}, err); strings.Contains(r.Evidence.FR, "droits administrateur") {
		t.Errorf("elevated scan told to elevate: %s", r.Evidence.FR)
	}
	// WMI access denied code, no category.
	_, _, err = Items[item]([]byte(Failure("Accès refusé", "", 0x80041003, false)))
	if !errors.As(err, &pe) || !pe.NeedsAdmin() {
		t.Errorf("WBEM_E_ACCESS_DENIED: %v", err)
	}
	// Another failure is not blamed on rights.
	_, _, err = Items[item]([]byte(Failure("Le terme Get-Thing n'est pas reconnu", "ObjectNotFound", 0, false)))
	if !errors.As(err, &pe) || pe.NeedsAdmin() {
		t.Errorf("missing cmdlet blamed on rights: %v", err)
	}
	if _, _, err := Items[item]([]byte(Constrained())); !errors.Is(err, ErrConstrained) {
		t.Errorf("constrained: %v", err)
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	w := Wrap("Get-Thing")
	// The language test must come before any .NET call, which Constrained
	// Language Mode would refuse.
	lm := strings.Index(w, "LanguageMode -ne 'FullLanguage'")
	dotnet := strings.Index(w, "[Console]::OutputEncoding")
	if lm < 0 || dotnet < 0 || lm > dotnet {
		t.Errorf("language test at %d, first .NET call at %d", lm, dotnet)
	}
	for _, want := range []string{"UTF8Encoding $false", "ConvertTo-Json -Depth 8 -Compress", "Get-Thing", "CategoryInfo.Category"} {
		if !strings.Contains(w, want) {
			t.Errorf("wrapped script lacks %q", want)
		}
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	h := checkstest.Host()
	if p := Path(h); p != DefaultPath {
		t.Errorf("no registry: %s", p)
	}
	for root, want := range map[string]string{
		`D:\WINDOWS`:          `D:\WINDOWS\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Windows\`:         `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`\\evil\share`:        DefaultPath,
		`Windows`:             DefaultPath,
		`C:\Windows\..\Users`: DefaultPath,
	} {
		h.Registry = checkstest.Registry{Values: map[string]map[string]any{keyCurrentVersion: {"SystemRoot": root}}}
		if p := Path(h); p != want {
			t.Errorf("SystemRoot %q: %s, want %s", root, p, want)
		}
	}
}

// TestRunPassesDataThroughTheEnvironment: configuration values never reach
// the script text; they arrive in VIGIE_ARG_* variables, including a path
// holding the typographic quotes PowerShell also treats as string ends.
func TestRunPassesDataThroughTheEnvironment(t *testing.T) {
	t.Parallel()
	body := `Get-Item -LiteralPath $env:VIGIE_ARG_PATH`
	evil := "D:\\Sauvegardes\u2019; Remove-Item C:\\ -Recurse; \u2018"
	r := &checkstest.Runner{Cmds: map[string]checkstest.Cmd{Key(body): {Out: Envelope(`[]`, true)}}}
	h := checkstest.Host()
	h.Exec = r
	if _, err := Run(context.Background(), h, body, Env{"PATH": evil}); err != nil {
		t.Fatal(err)
	}
	if len(r.Envs) != 1 || len(r.Envs[0]) != 1 || r.Envs[0][0] != "VIGIE_ARG_PATH="+evil {
		t.Fatalf("environment passed: %q", r.Envs)
	}
	for _, c := range r.Calls {
		if strings.Contains(c, "Sauvegardes") || strings.ContainsAny(c, "\u2018\u2019\u201a\u201b") {
			t.Errorf("data spliced into the command line: %q", c)
		}
	}
	if _, err := Run(context.Background(), h, body, Env{"bad name": "x"}); err == nil {
		t.Error("bad variable name accepted")
	}
	if _, err := Run(context.Background(), h, body, Env{"PATH": "a\x00b"}); err == nil {
		t.Error("NUL accepted")
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	body := "Get-Thing"
	h := checkstest.Host()
	// powershell.exe exits 1 after a terminating error, envelope printed: the decoder decides.
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{Key(body): {Out: Failure("boom", "NotSpecified", 0, true), Code: 1}}}
	out, err := Run(context.Background(), h, body, nil)
	if err != nil {
		t.Fatalf("exit 1 with envelope: %v", err)
	}
	if _, _, err := Items[item](out); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("decoded %v", err)
	}
	// Exit code without an envelope: an error.
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{Key(body): {Out: "", Code: 1}}}
	if _, err := Run(context.Background(), h, body, nil); err == nil {
		t.Error("exit 1 without output accepted")
	}
	// No PowerShell at all.
	h.Exec = &checkstest.Runner{}
	if _, err := Run(context.Background(), h, body, nil); !errors.Is(err, checks.ErrNotFound) {
		t.Errorf("missing powershell: %v", err)
	}
}

// FuzzItems: whatever PowerShell prints, decoding either fails or yields a
// list, and a successful decode always came from an envelope.
func FuzzItems(f *testing.F) {
	f.Add(Envelope(`[{"Name":"a","N":1}]`, true))
	f.Add(Envelope(`{"value":[{"Name":"a"}],"Count":1}`, false))
	f.Add(Failure("x", "PermissionDenied", 5, false))
	f.Add(Constrained())
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		list, _, err := Items[item]([]byte(s))
		if err == nil {
			if !strings.Contains(s, Schema) {
				t.Fatalf("decoded %d items from output without an envelope: %q", len(list), s)
			}
			if list == nil && !strings.Contains(s, "[") {
				t.Fatalf("nil list without error from %q", s)
			}
		}
	})
}
