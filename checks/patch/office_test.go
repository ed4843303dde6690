package patch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestOfficeSupport judges the Office product line read from the registry
// fixtures of testdata/patch/windows/office (reconstructed: see NOTES.md).
func TestOfficeSupport(t *testing.T) {
	t.Parallel()
	after := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)   // Office 2016/2019 ended on 2025-10-14
	before := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)    // before it
	sixMonths := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) // within Horizon of 2025-10-14
	tests := []struct {
		name    string
		fixture string
		reg     map[string]map[string]any
		now     time.Time
		want    protocol.Status
		says    []string
	}{
		{name: "Office 2019 Click-to-Run after its end", fixture: "c2r-2019-std.json", now: after, want: protocol.Fail,
			says: []string{"Standard2019Volume (Office 2019, Click-to-Run): unsupported since 2025-10-14"}},
		{name: "Office 2019 before its end", fixture: "c2r-2019-std.json", now: before, want: protocol.Pass, says: []string{"supported until 2025-10-14"}},
		{name: "Office 2019 within six months of its end", fixture: "c2r-2019-std.json", now: sixMonths, want: protocol.Warn, says: []string{"support ends on 2025-10-14, in 134 days"}},
		{name: "Microsoft 365 Apps with Visio 2016", fixture: "c2r-m365-visio2016.json", now: after, want: protocol.Fail,
			says: []string{"O365BusinessRetail (Microsoft 365 Apps, version 16.0.18129.20158): continuous updates", "VisioProRetail (Office 2016, Click-to-Run): unsupported since 2025-10-14"}},
		{name: "Office LTSC 2024", fixture: "c2r-ltsc2024.json", now: after, want: protocol.Pass, says: []string{"ProPlus2024Volume (Office 2024): supported until 2029-10-09"}},
		{name: "Office 2016 MSI, 32-bit", fixture: "msi-2016-32bit.json", now: after, want: protocol.Fail,
			says: []string{`MSI 16.0 (Office 2016, MSI (C:\Program Files (x86)\Microsoft Office\Office16\)): unsupported since 2025-10-14`}},
		{name: "Microsoft 365 Apps only", reg: map[string]map[string]any{keyC2RConfig: {"ProductReleaseIds": "O365ProPlusRetail"}}, now: after, want: protocol.Pass, says: []string{"continuous updates"}},
		{name: "no Office", reg: map[string]map[string]any{keyCurrentVersion: {"CurrentBuild": "19045"}}, now: after, want: protocol.NotApplicable, says: []string{"not installed"}},
		{name: "Click-to-Run key without products: nothing read", reg: map[string]map[string]any{keyC2RConfig: {"Platform": "x64"}}, now: after, want: protocol.Error, says: []string{"ProductReleaseIds"}},
		{name: "unknown product line", reg: map[string]map[string]any{keyC2RConfig: {"ProductReleaseIds": "AccessRuntime2010Retail"}}, now: after, want: protocol.NotApplicable, says: []string{"unknown Office product line (AccessRuntime2010Retail)"}},
		{name: "Office 2013 MSI", reg: map[string]map[string]any{`HKLM\SOFTWARE\Microsoft\Office\15.0\Common\InstallRoot`: {"Path": `C:\Program Files\Microsoft Office\Office15\`}}, now: after, want: protocol.Fail, says: []string{"Office 2013", "2023-04-11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.OS = "windows"
			h.Now = func() time.Time { return tt.now }
			if tt.fixture != "" {
				h.Registry = loadRegistry(t, "windows/office/"+tt.fixture)
			} else {
				h.Registry = checkstest.Registry{Values: tt.reg}
			}
			r := officeSupport(context.Background(), h)
			if r.Status != tt.want {
				t.Fatalf("%s %q, want %s", r.Status, r.Evidence.EN, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(r.Evidence.EN, s) {
					t.Errorf("evidence %q lacks %q", r.Evidence.EN, s)
				}
			}
			if r.Evidence.FR == "" || r.Evidence.FR == r.Evidence.EN {
				t.Errorf("French evidence %q", r.Evidence.FR)
			}
		})
	}
	// Linux: not applicable, and declared Windows-only.
	if r := officeSupport(context.Background(), checkstest.Host()); r.Status != protocol.NotApplicable {
		t.Errorf("linux: %s", r.Status)
	}
	for _, c := range Checks() {
		if m := c.Meta(); m.ID == IDOfficeSupport && (len(m.OS) != 1 || m.OS[0] != "windows" || m.Severity != protocol.High) {
			t.Errorf("meta %+v", m)
		}
	}
}

func TestOfficeLineOf(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"O365ProPlusRetail": "Microsoft 365 Apps", "O365BusinessRetail": "Microsoft 365 Apps", "Microsoft365Apps": "Microsoft 365 Apps",
		"ProPlus2019Volume": "Office 2019", "HomeBusiness2019Retail": "Office 2019", "ProPlus2021Volume": "Office 2021",
		"Standard2024Volume": "Office 2024", "ProPlusRetail": "Office 2016", "HomeBusinessRetail": "Office 2016", "VisioPro2016Retail": "Office 2016",
		"ProjectPro2010Retail": "", "": "", "Whatever": "",
	} {
		l, ok := OfficeLineOf(id)
		if (want == "") == ok || l.Name != want {
			t.Errorf("%q: %q %v, want %q", id, l.Name, ok, want)
		}
	}
}

// FuzzOfficeLineOf: any product ID maps to a known line or to none, and
// the year in the ID, when there is one, is the line's.
func FuzzOfficeLineOf(f *testing.F) {
	for _, s := range []string{"O365ProPlusRetail", "Standard2019Volume", "ProPlusRetail", "x2021y", "2016"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		l, ok := OfficeLineOf(id)
		if !ok {
			return
		}
		for _, y := range []string{"2016", "2019", "2021", "2024"} {
			if strings.HasSuffix(l.Name, y) && strings.ContainsAny(id, "0123456789") && !strings.Contains(id, y) {
				t.Errorf("%q gave %s", id, l.Name)
			}
		}
		if l.Continuous != (l.Name == "Microsoft 365 Apps") {
			t.Errorf("%q gave %+v", id, l)
		}
	})
}
