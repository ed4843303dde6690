package patch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Lifecycle is the support window of one operating system release.
// StandardEnd is the last day of free security updates from the vendor;
// ExtendedEnd, when set, is the end of an extended programme that still
// publishes security fixes (Debian LTS, Ubuntu ESM, Windows ESU, RHEL ELS).
type Lifecycle struct {
	Product      string
	StandardEnd  time.Time
	ExtendedEnd  time.Time // zero when there is no extended programme
	ExtendedKind string    // "LTS", "ESM", "ESU", "ELS"
	ExtendedPaid bool      // the extended programme needs a paid subscription
	Source       string    // where the dates come from
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic("lifecycle table: bad date " + s) // caught by TestLifecycleTable at build time
	}
	return t
}

// Sources of the table. Dates were read from endoflife.date (checked
// 2026-08, see REFERENCES.md) and the vendors' lifecycle pages below.
const (
	srcDebian   = "https://wiki.debian.org/LTS and https://endoflife.date/debian"
	srcUbuntu   = "https://ubuntu.com/about/release-cycle and https://endoflife.date/ubuntu"
	srcRHEL     = "https://access.redhat.com/support/policy/updates/errata and https://endoflife.date/rhel"
	srcCentOS   = "https://www.centos.org/centos-linux-eol/ and https://endoflife.date/centos"
	srcStream   = "https://www.centos.org/cl-vs-cs/ and https://endoflife.date/centos-stream"
	srcRocky    = "https://wiki.rockylinux.org/rocky/version/ and https://endoflife.date/rocky-linux"
	srcAlma     = "https://wiki.almalinux.org/release-notes/ and https://endoflife.date/almalinux"
	srcWin10    = "https://learn.microsoft.com/lifecycle/products/windows-10-home-and-pro, .../windows-10-enterprise-and-education and https://endoflife.date/windows"
	srcWin10LT  = "https://learn.microsoft.com/lifecycle/products/windows-10-enterprise-ltsc-2021 (and -2019, -2016, -2015) and https://endoflife.date/windows"
	srcWin11    = "https://learn.microsoft.com/lifecycle/products/windows-11-home-and-pro, .../windows-11-enterprise-and-education and https://endoflife.date/windows"
	srcWin11LT  = "https://learn.microsoft.com/lifecycle/products/windows-11-enterprise-ltsc-2024 and https://endoflife.date/windows"
	srcWinOld   = "https://learn.microsoft.com/lifecycle/products/windows-7, .../windows-81 and https://endoflife.date/windows"
	srcWinSrv   = "https://learn.microsoft.com/lifecycle/products/?products=windows-server and https://endoflife.date/windows-server"
	srcWinSrvSA = "https://learn.microsoft.com/windows-server/get-started/windows-server-release-info (semi-annual channel, last one 20H2 ended 2022-08-09)"
)

// linuxTable is keyed by os-release ID and major version.
var linuxTable = map[string]Lifecycle{
	// Debian: security support by the security team, then Debian LTS (free,
	// community funded, fewer packages covered).
	"debian 9":  {Product: "Debian 9 (stretch)", StandardEnd: day("2020-07-18"), ExtendedEnd: day("2022-07-01"), ExtendedKind: "LTS", Source: srcDebian},
	"debian 10": {Product: "Debian 10 (buster)", StandardEnd: day("2022-09-10"), ExtendedEnd: day("2024-06-30"), ExtendedKind: "LTS", Source: srcDebian},
	"debian 11": {Product: "Debian 11 (bullseye)", StandardEnd: day("2024-08-14"), ExtendedEnd: day("2026-08-31"), ExtendedKind: "LTS", Source: srcDebian},
	"debian 12": {Product: "Debian 12 (bookworm)", StandardEnd: day("2026-07-11"), ExtendedEnd: day("2028-06-30"), ExtendedKind: "LTS", Source: srcDebian},
	"debian 13": {Product: "Debian 13 (trixie)", StandardEnd: day("2028-08-09"), ExtendedEnd: day("2030-06-30"), ExtendedKind: "LTS", Source: srcDebian},
	// Ubuntu LTS: standard support, then Expanded Security Maintenance
	// (Ubuntu Pro subscription, free for a few machines).
	"ubuntu 16.04": {Product: "Ubuntu 16.04 LTS", StandardEnd: day("2021-04-02"), ExtendedEnd: day("2026-04-02"), ExtendedKind: "ESM", ExtendedPaid: true, Source: srcUbuntu},
	"ubuntu 18.04": {Product: "Ubuntu 18.04 LTS", StandardEnd: day("2023-05-31"), ExtendedEnd: day("2028-04-01"), ExtendedKind: "ESM", ExtendedPaid: true, Source: srcUbuntu},
	"ubuntu 20.04": {Product: "Ubuntu 20.04 LTS", StandardEnd: day("2025-05-31"), ExtendedEnd: day("2030-04-02"), ExtendedKind: "ESM", ExtendedPaid: true, Source: srcUbuntu},
	"ubuntu 22.04": {Product: "Ubuntu 22.04 LTS", StandardEnd: day("2027-04-01"), ExtendedEnd: day("2032-04-09"), ExtendedKind: "ESM", ExtendedPaid: true, Source: srcUbuntu},
	"ubuntu 24.04": {Product: "Ubuntu 24.04 LTS", StandardEnd: day("2029-05-31"), ExtendedEnd: day("2036-05-31"), ExtendedKind: "ESM", ExtendedPaid: true, Source: srcUbuntu},
	// RHEL: end of maintenance support; RHEL 7 has paid Extended Life-cycle
	// Support to 2028-06-30.
	"rhel 7":  {Product: "Red Hat Enterprise Linux 7", StandardEnd: day("2024-06-30"), ExtendedEnd: day("2028-06-30"), ExtendedKind: "ELS", ExtendedPaid: true, Source: srcRHEL},
	"rhel 8":  {Product: "Red Hat Enterprise Linux 8", StandardEnd: day("2029-05-31"), Source: srcRHEL},
	"rhel 9":  {Product: "Red Hat Enterprise Linux 9", StandardEnd: day("2032-05-31"), Source: srcRHEL},
	"rhel 10": {Product: "Red Hat Enterprise Linux 10", StandardEnd: day("2035-05-31"), Source: srcRHEL},
	// CentOS Linux and CentOS Stream share ID=centos; NAME tells them apart.
	"centos 7":        {Product: "CentOS Linux 7", StandardEnd: day("2024-06-30"), Source: srcCentOS},
	"centos 8":        {Product: "CentOS Linux 8", StandardEnd: day("2021-12-31"), Source: srcCentOS},
	"centos-stream 8": {Product: "CentOS Stream 8", StandardEnd: day("2024-05-31"), Source: srcStream},
	"centos-stream 9": {Product: "CentOS Stream 9", StandardEnd: day("2027-05-31"), Source: srcStream},
	"rocky 8":         {Product: "Rocky Linux 8", StandardEnd: day("2029-05-31"), Source: srcRocky},
	"rocky 9":         {Product: "Rocky Linux 9", StandardEnd: day("2032-05-31"), Source: srcRocky},
	"almalinux 8":     {Product: "AlmaLinux 8", StandardEnd: day("2029-05-31"), Source: srcAlma},
	"almalinux 9":     {Product: "AlmaLinux 9", StandardEnd: day("2032-05-31"), Source: srcAlma},
}

// LookupLinux finds the lifecycle of the release described by os-release.
func LookupLinux(osr OSRelease) (Lifecycle, error) {
	id := osr.ID
	ver := osr.VersionID
	if id == "" {
		return Lifecycle{}, fmt.Errorf("os-release has no ID")
	}
	if ver == "" {
		return Lifecycle{}, fmt.Errorf("%s has no VERSION_ID (testing or rolling release?)", osr.Pretty())
	}
	key := ver
	if id != "ubuntu" { // Ubuntu keys on year.month, the others on the major version
		key, _, _ = strings.Cut(ver, ".")
	}
	if id == "centos" && strings.Contains(strings.ToLower(osr.Name), "stream") {
		id = "centos-stream"
	}
	if l, ok := linuxTable[id+" "+key]; ok {
		return l, nil
	}
	return Lifecycle{}, fmt.Errorf("%s %s is not in Vigie's lifecycle table", id, ver)
}

// WinVersion is what the registry says about Windows
// (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion).
type WinVersion struct {
	ProductName      string `json:"product_name"`
	DisplayVersion   string `json:"display_version,omitempty"`
	CurrentBuild     int    `json:"build"`
	UBR              int    `json:"ubr,omitempty"`
	EditionID        string `json:"edition"`
	InstallationType string `json:"installation_type"`
}

// IsServer reports a Windows Server installation.
func (v WinVersion) IsServer() bool {
	return strings.HasPrefix(v.InstallationType, "Server") || strings.HasPrefix(v.EditionID, "Server") ||
		strings.Contains(v.ProductName, "Server")
}

// edition groups editions the way Microsoft's lifecycle pages do.
func (v WinVersion) edition() string {
	e := v.EditionID
	switch {
	case strings.HasPrefix(e, "IoTEnterpriseS"):
		return "iot-ltsc"
	case strings.HasPrefix(e, "EnterpriseS"):
		return "ltsc"
	case strings.HasPrefix(e, "Enterprise"), strings.HasPrefix(e, "Education"), strings.HasPrefix(e, "IoTEnterprise"):
		return "enterprise"
	default: // Core (Home), Professional, ProfessionalEducation, ProfessionalWorkstation...
		return "home-pro"
	}
}

// winClient lists Windows client releases by build. Each row gives the end
// for Home/Pro, for Enterprise/Education and, where one exists, for the
// long-term servicing edition of that build.
type winRow struct {
	name                        string
	homePro, enterprise, ltsc   string
	ltscName, iotLTSC, esuUntil string
}

var winClient = map[int]winRow{
	6002:  {name: "Windows Vista", homePro: "2017-04-11", enterprise: "2017-04-11"},
	7601:  {name: "Windows 7 SP1", homePro: "2020-01-14", enterprise: "2020-01-14", esuUntil: "2023-01-10"},
	9200:  {name: "Windows 8", homePro: "2016-01-12", enterprise: "2016-01-12"},
	9600:  {name: "Windows 8.1", homePro: "2023-01-10", enterprise: "2023-01-10"},
	10240: {name: "Windows 10 1507", homePro: "2017-05-09", enterprise: "2017-05-09", ltsc: "2025-10-14", ltscName: "Windows 10 Enterprise LTSB 2015"},
	10586: {name: "Windows 10 1511", homePro: "2017-10-10", enterprise: "2018-04-10"},
	14393: {name: "Windows 10 1607", homePro: "2018-04-10", enterprise: "2019-04-09", ltsc: "2026-10-13", ltscName: "Windows 10 Enterprise LTSB 2016"},
	15063: {name: "Windows 10 1703", homePro: "2018-10-09", enterprise: "2019-10-08"},
	16299: {name: "Windows 10 1709", homePro: "2019-04-09", enterprise: "2020-10-13"},
	17134: {name: "Windows 10 1803", homePro: "2019-11-12", enterprise: "2021-05-11"},
	17763: {name: "Windows 10 1809", homePro: "2020-11-10", enterprise: "2021-05-11", ltsc: "2029-01-09", ltscName: "Windows 10 Enterprise LTSC 2019", iotLTSC: "2029-01-09"},
	18362: {name: "Windows 10 1903", homePro: "2020-12-08", enterprise: "2020-12-08"},
	18363: {name: "Windows 10 1909", homePro: "2021-05-11", enterprise: "2022-05-10"},
	19041: {name: "Windows 10 2004", homePro: "2021-12-14", enterprise: "2021-12-14"},
	19042: {name: "Windows 10 20H2", homePro: "2022-05-10", enterprise: "2023-05-09"},
	19043: {name: "Windows 10 21H1", homePro: "2022-12-13", enterprise: "2022-12-13"},
	19044: {name: "Windows 10 21H2", homePro: "2023-06-13", enterprise: "2024-06-11", ltsc: "2027-01-12", ltscName: "Windows 10 Enterprise LTSC 2021", iotLTSC: "2032-01-13"},
	19045: {name: "Windows 10 22H2", homePro: "2025-10-14", enterprise: "2025-10-14", esuUntil: "2028-10-10"},
	22000: {name: "Windows 11 21H2", homePro: "2023-10-10", enterprise: "2024-10-08"},
	22621: {name: "Windows 11 22H2", homePro: "2024-10-08", enterprise: "2025-10-14"},
	22631: {name: "Windows 11 23H2", homePro: "2025-11-11", enterprise: "2026-11-10"},
	26100: {name: "Windows 11 24H2", homePro: "2026-10-13", enterprise: "2027-10-12", ltsc: "2029-10-09", ltscName: "Windows 11 Enterprise LTSC 2024", iotLTSC: "2034-10-10"},
	26200: {name: "Windows 11 25H2", homePro: "2027-10-12", enterprise: "2028-10-10"},
}

// winServer lists Windows Server long-term releases by build: end of
// extended support, and of paid Extended Security Updates where relevant.
var winServer = map[int]struct{ name, end, esu string }{
	6002:  {"Windows Server 2008", "2020-01-14", "2023-01-10"},
	6003:  {"Windows Server 2008", "2020-01-14", "2023-01-10"},
	7601:  {"Windows Server 2008 R2", "2020-01-14", "2023-01-10"},
	9200:  {"Windows Server 2012", "2023-10-10", "2026-10-13"},
	9600:  {"Windows Server 2012 R2", "2023-10-10", "2026-10-13"},
	14393: {"Windows Server 2016", "2027-01-12", ""},
	17763: {"Windows Server 2019", "2029-01-09", ""},
	20348: {"Windows Server 2022", "2031-10-14", ""},
	26100: {"Windows Server 2025", "2034-11-14", ""},
}

// LookupWindows finds the lifecycle of a Windows release. Windows 11 still
// says "Windows 10" in ProductName, so the build number decides.
func LookupWindows(v WinVersion) (Lifecycle, error) {
	b := v.CurrentBuild
	if b == 6001 {
		b = 6002 // Vista / Server 2008 SP1 share the SP2 row
	}
	if b == 7600 {
		b = 7601
	}
	if v.IsServer() {
		if r, ok := winServer[b]; ok {
			l := Lifecycle{Product: r.name, StandardEnd: day(r.end), Source: srcWinSrv}
			if r.esu != "" {
				l.ExtendedEnd, l.ExtendedKind, l.ExtendedPaid = day(r.esu), "ESU", true
			}
			return l, nil
		}
		if b > 14393 && b < 20348 {
			return Lifecycle{Product: "Windows Server semi-annual channel build " + strconv.Itoa(b),
				StandardEnd: day("2022-08-09"), Source: srcWinSrvSA}, nil
		}
		return Lifecycle{}, fmt.Errorf("Windows Server build %d is not in Vigie's lifecycle table", b)
	}
	r, ok := winClient[b]
	if !ok {
		return Lifecycle{}, fmt.Errorf("Windows build %d is not in Vigie's lifecycle table", b)
	}
	src := srcWin10
	switch {
	case b < 10240:
		src = srcWinOld
	case b >= 22000:
		src = srcWin11
	}
	ed := v.edition()
	switch {
	case ed == "iot-ltsc" && r.iotLTSC != "":
		return Lifecycle{Product: strings.Replace(r.ltscName, "Enterprise", "IoT Enterprise", 1), StandardEnd: day(r.iotLTSC), Source: ltscSource(b)}, nil
	case (ed == "ltsc" || ed == "iot-ltsc") && r.ltsc != "":
		return Lifecycle{Product: r.ltscName, StandardEnd: day(r.ltsc), Source: ltscSource(b)}, nil
	}
	l := Lifecycle{Product: r.name + " Home/Pro", StandardEnd: day(r.homePro), Source: src}
	if ed != "home-pro" {
		l = Lifecycle{Product: r.name + " Enterprise/Education", StandardEnd: day(r.enterprise), Source: src}
	}
	if b < 10240 {
		l.Product = r.name // one end date for every edition before Windows 10
	}
	if r.esuUntil != "" {
		l.ExtendedEnd, l.ExtendedKind, l.ExtendedPaid = day(r.esuUntil), "ESU", true
	}
	return l, nil
}

func ltscSource(build int) string {
	if build >= 22000 {
		return srcWin11LT
	}
	return srcWin10LT
}

// Support is where a release stands on a given day.
type Support struct {
	State    string // "supported", "ending" (within the horizon), "extended", "ended"
	DaysLeft int    // days to the end of the current programme (negative when ended)
	End      time.Time
}

// Horizon is how early the end of support starts to warn.
const Horizon = 180 * 24 * time.Hour

// At judges the lifecycle at now. Dates are last days of support, so a
// release is still supported on its end date.
func (l Lifecycle) At(now time.Time) Support {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	days := func(t time.Time) int { return int(t.Sub(today).Hours() / 24) }
	switch {
	case !today.After(l.StandardEnd):
		s := Support{State: "supported", End: l.StandardEnd, DaysLeft: days(l.StandardEnd)}
		if l.StandardEnd.Sub(today) <= Horizon {
			s.State = "ending"
		}
		return s
	case !l.ExtendedEnd.IsZero() && !today.After(l.ExtendedEnd):
		return Support{State: "extended", End: l.ExtendedEnd, DaysLeft: days(l.ExtendedEnd)}
	default:
		end := l.StandardEnd
		if !l.ExtendedEnd.IsZero() {
			end = l.ExtendedEnd
		}
		return Support{State: "ended", End: end, DaysLeft: days(end)}
	}
}
