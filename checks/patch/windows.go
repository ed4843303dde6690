package patch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Windows collection goes through PowerShell with JSON output and through
// the registry: never localised text. These functions build on h.Exec and
// h.Registry only, so they compile everywhere and are tested on Linux from
// fixtures.

// Windows Update category IDs (stable GUIDs, unlike the localised names).
const (
	catSecurity   = "0fa1201d-4330-4fa8-8ae9-b877473b6441" // Security Updates
	catDefinition = "e0789628-ce08-4437-be74-2495b842f43b" // Definition Updates
)

// wuaScript asks the Windows Update Agent for applicable updates not yet
// installed. winps makes the output UTF-8 whatever the console code page
// (French titles). Dates are printed as invariant UTC strings and category IDs
// instead of names, so the output is the same on a French Windows.
const wuaScript = `$ci = $vigieCI
try {
  $s = New-Object -ComObject Microsoft.Update.Session
  $r = $s.CreateUpdateSearcher().Search('IsInstalled=0 and IsHidden=0')
  $u = @(foreach ($x in $r.Updates) {
    [pscustomobject]@{
      Title = [string]$x.Title
      MsrcSeverity = [string]$x.MsrcSeverity
      BrowseOnly = [bool]$x.BrowseOnly
      KB = @($x.KBArticleIDs | ForEach-Object { [string]$_ })
      Categories = @($x.Categories | ForEach-Object { [string]$_.CategoryID })
      Published = $x.LastDeploymentChangeTime.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $ci)
    }
  })
  [pscustomobject]@{ Schema = 'vigie.wua/1'; ResultCode = [int]$r.ResultCode; Updates = $u }
} catch {
  [pscustomobject]@{ Schema = 'vigie.wua/1'; Error = [string]$_.Exception.Message; HResult = [int64]$_.Exception.HResult }
}`

// hotfixScript gives the most recent install date of an OS hotfix, as an
// invariant string. It reads Win32_QuickFixEngineering through CIM, whose
// InstalledOn is the raw string Windows stores: "M/d/yyyy" in US order
// whatever the display language, or a hexadecimal FILETIME on some
// systems. Get-HotFix parses that string with the current culture, so a
// French Windows read 9/10 as 9 October; here it is parsed with the
// invariant culture, inside PowerShell, and printed as ISO 8601.
const hotfixScript = `$ci = $vigieCI
try {
  $h = @(Get-CimInstance -ClassName Win32_QuickFixEngineering | ForEach-Object {
    $raw = [string]$_.InstalledOn
    $d = $null
    if ($raw -match '^[0-9A-Fa-f]{16}$') { $d = [DateTime]::FromFileTimeUtc([Convert]::ToInt64($raw, 16)) }
    else { $t = [DateTime]::MinValue; if ([DateTime]::TryParseExact($raw, [string[]]@('M/d/yyyy', 'M/d/yyyy H:mm:ss', 'yyyyMMdd'), $ci, [Globalization.DateTimeStyles]::None, [ref]$t)) { $d = $t } }
    if ($d) { [pscustomobject]@{ ID = [string]$_.HotFixID; On = $d } }
  } | Sort-Object On -Descending)
  $last = $null; $id = $null
  if ($h.Count -gt 0) { $last = $h[0].On.ToString('yyyy-MM-ddTHH:mm:ss', $ci); $id = $h[0].ID }
  [pscustomobject]@{ Schema = 'vigie.hotfix/1'; Count = $h.Count; LastInstalled = $last; LastID = $id }
} catch {
  [pscustomobject]@{ Schema = 'vigie.hotfix/1'; Error = [string]$_.Exception.Message; HResult = [int64]$_.Exception.HResult }
}`

func powershell(ctx context.Context, h *checks.Host, script string) ([]byte, error) {
	return winps.Run(ctx, h, script, nil)
}

// strList accepts a JSON string or array of strings (ConvertTo-Json in
// Windows PowerShell 5.1 sometimes unrolls one-element arrays).
type strList []string

func (s *strList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

type wuaOutput struct {
	Schema     string `json:"Schema"`
	ResultCode int    `json:"ResultCode"`
	Error      string `json:"Error"`
	HResult    int64  `json:"HResult"`
	Updates    []struct {
		Title        string  `json:"Title"`
		MsrcSeverity string  `json:"MsrcSeverity"`
		BrowseOnly   bool    `json:"BrowseOnly"`
		KB           strList `json:"KB"`
		Categories   strList `json:"Categories"`
		Published    string  `json:"Published"`
	} `json:"Updates"`
}

// psJSON takes the one object of winps' envelope: empty output (Wine's
// PowerShell stub), a PowerShell error or Constrained Language Mode are
// errors, never an empty result.
func psJSON(out []byte) ([]byte, error) {
	v, _, err := winps.One[json.RawMessage](out)
	return v, err
}

// hresultError formats a COM error such as 0x8024402C (no connection to
// Windows Update).
func hresultError(msg string, hr int64) error {
	return fmt.Errorf("%s (HRESULT 0x%08X)", strings.TrimSpace(msg), uint32(hr))
}

// ParseWUA reads the JSON printed by wuaScript. An update is a security
// update when it is in the "Security Updates" category or carries an MSRC
// severity. Optional updates (BrowseOnly: previews, most drivers) and
// antivirus definition updates, which Defender installs by itself several
// times a day, are not counted as pending.
func ParseWUA(out []byte) ([]Update, error) {
	out, err := psJSON(out)
	if err != nil {
		return nil, err
	}
	var w wuaOutput
	if err := json.Unmarshal(out, &w); err != nil {
		return nil, fmt.Errorf("Windows Update output: %w", err)
	}
	if w.Schema != "vigie.wua/1" {
		return nil, fmt.Errorf("Windows Update output: unexpected schema %q", w.Schema)
	}
	if w.Error != "" {
		return nil, fmt.Errorf("Windows Update search failed: %w", hresultError(w.Error, w.HResult))
	}
	// OperationResultCode: 2 succeeded, 3 succeeded with errors; 4 failed, 5 aborted.
	if w.ResultCode != 2 && w.ResultCode != 3 {
		return nil, fmt.Errorf("Windows Update search ended with result code %d", w.ResultCode)
	}
	ups := make([]Update, 0, len(w.Updates))
	for _, x := range w.Updates {
		u := Update{Name: x.Title, Origins: []string(x.Categories), Security: x.MsrcSeverity != ""}
		definition := false
		for _, c := range x.Categories {
			definition = definition || strings.EqualFold(c, catDefinition)
		}
		if x.BrowseOnly || definition && !u.Security {
			continue
		}
		if len(x.KB) > 0 {
			u.To = "KB" + strings.Join(x.KB, ",KB")
		}
		for _, c := range x.Categories {
			if strings.EqualFold(c, catSecurity) {
				u.Security = true
			}
		}
		if x.Published != "" {
			if t, err := time.Parse(time.RFC3339, x.Published); err == nil {
				u.Published = t
			}
		}
		ups = append(ups, u)
	}
	return ups, nil
}

// ParseHotFix reads the JSON printed by hotfixScript; ok is false when no
// hotfix has an install date.
func ParseHotFix(out []byte) (last time.Time, id string, ok bool, err error) {
	out, err = psJSON(out)
	if err != nil {
		return time.Time{}, "", false, err
	}
	var v struct {
		Schema        string `json:"Schema"`
		Count         int    `json:"Count"`
		LastInstalled string `json:"LastInstalled"`
		LastID        string `json:"LastID"`
		Error         string `json:"Error"`
		HResult       int64  `json:"HResult"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return time.Time{}, "", false, fmt.Errorf("Get-HotFix output: %w", err)
	}
	if v.Schema != "vigie.hotfix/1" {
		return time.Time{}, "", false, fmt.Errorf("Get-HotFix output: unexpected schema %q", v.Schema)
	}
	if v.Error != "" {
		return time.Time{}, "", false, fmt.Errorf("Get-HotFix failed: %w", hresultError(v.Error, v.HResult))
	}
	if v.LastInstalled == "" {
		return time.Time{}, "", false, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05", v.LastInstalled)
	if err != nil {
		return time.Time{}, "", false, fmt.Errorf("Get-HotFix output: bad date %q", v.LastInstalled)
	}
	return t, v.LastID, true, nil
}

// Registry locations.
const (
	keyCurrentVersion = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	keyAUResults      = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\Results\Install`
	keyCBS            = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing`
	keyCBSReboot      = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending`
	keyWUReboot       = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired`
	keySessionManager = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`
	keyAUPolicy       = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU`
	keyWUPolicy       = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate`
	keyAULocal        = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update`
	keyWuauserv       = `HKLM\SYSTEM\CurrentControlSet\Services\wuauserv`
)

// winVersion reads the OS version from the registry.
func winVersion(r checks.Registry) (WinVersion, error) {
	var v WinVersion
	var err error
	if v.ProductName, err = r.String(keyCurrentVersion, "ProductName"); err != nil {
		return v, fmt.Errorf("read Windows version: %w", err)
	}
	build, err := r.String(keyCurrentVersion, "CurrentBuild")
	if err != nil {
		build, err = r.String(keyCurrentVersion, "CurrentBuildNumber")
	}
	if err != nil {
		return v, fmt.Errorf("read Windows build: %w", err)
	}
	if v.CurrentBuild, err = strconv.Atoi(strings.TrimSpace(build)); err != nil {
		return v, fmt.Errorf("Windows build %q is not a number", build)
	}
	if v.DisplayVersion, _ = r.String(keyCurrentVersion, "DisplayVersion"); v.DisplayVersion == "" {
		v.DisplayVersion, _ = r.String(keyCurrentVersion, "ReleaseId")
	}
	if ubr, err := r.Integer(keyCurrentVersion, "UBR"); err == nil {
		v.UBR = int(ubr)
	}
	v.EditionID, _ = r.String(keyCurrentVersion, "EditionID")
	v.InstallationType, _ = r.String(keyCurrentVersion, "InstallationType")
	return v, nil
}

// Name is a readable name. Windows 11 still calls itself "Windows 10" in
// ProductName; the build number tells.
func (v WinVersion) Name() string {
	n := v.ProductName
	if v.CurrentBuild >= 22000 && strings.Contains(n, "Windows 10") {
		n = strings.Replace(n, "Windows 10", "Windows 11", 1)
	}
	if v.DisplayVersion != "" {
		n += " " + v.DisplayVersion
	}
	return fmt.Sprintf("%s (build %d.%d)", n, v.CurrentBuild, v.UBR)
}

// valueExists tells whether a registry value exists, whatever its type
// (PendingFileRenameOperations is a REG_MULTI_SZ the String reader refuses).
func valueExists(r checks.Registry, key, value string) (bool, error) {
	_, err := r.String(key, value)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, checks.ErrNotFound):
		return false, nil
	case errors.Is(err, checks.ErrUnsupported), errors.Is(err, fs.ErrPermission):
		return false, err
	}
	return true, nil // the value is there with another type
}
