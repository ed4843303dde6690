package protocol

import (
	"fmt"
	"time"
)

// Text is a message in French and English. Checks write evidence in both so
// the scorecard can be read in either language without the agent.
type Text struct {
	FR string `json:"fr"`
	EN string `json:"en"`
}

// Textf formats the same arguments into a French and an English template.
func Textf(fr, en string, args ...any) Text {
	return Text{FR: fmt.Sprintf(fr, args...), EN: fmt.Sprintf(en, args...)}
}

// In returns the text in lang ("fr" or "en"), falling back to French.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.FR
}

// Refs ties a check to the reference frames advisers use.
type Refs struct {
	ANSSI []int    `json:"anssi,omitempty"` // ANSSI hygiene guide v2 measure numbers (1-42)
	CIS   []string `json:"cis,omitempty"`   // CIS Controls v8 IG1 safeguards, e.g. "7.3"
	NIS2  []string `json:"nis2,omitempty"`  // NIS2 art. 21(2) letters, e.g. "e"
}

// HostInfo describes the observed host's operating system.
type HostInfo struct {
	Hostname        string    `json:"hostname"`
	OS              string    `json:"os"`               // linux, windows
	Platform        string    `json:"platform"`         // debian, ubuntu, rocky, Microsoft Windows Server 2022 Standard
	PlatformFamily  string    `json:"platform_family"`  // debian, rhel, Server, Standalone Workstation
	PlatformVersion string    `json:"platform_version"` // 12.7, 9.4, 10.0.20348 Build 20348
	KernelVersion   string    `json:"kernel_version"`
	Arch            string    `json:"arch"`
	BootTime        time.Time `json:"boot_time"`

	// What security advisories name a system by (docs/protocol.md): a
	// Windows build and line, a Linux release's codename and the running
	// kernel's package version. Empty when not known.

	// OSBuild is Windows' major.minor.CurrentBuild.UBR: 10.0.19045.6809.
	OSBuild string `json:"os_build,omitempty"`
	// OSRelease is Windows' DisplayVersion (22H2, 24H2), else ReleaseId (1607).
	OSRelease string `json:"os_release,omitempty"`
	// OSEdition is Windows' EditionID: Professional, ServerStandard...
	OSEdition string `json:"os_edition,omitempty"`
	// OSInstallation is Windows' InstallationType: Client, Server, Server Core.
	OSInstallation string `json:"os_installation,omitempty"`
	// OSCodename is os-release's VERSION_CODENAME: bookworm, jammy.
	OSCodename string `json:"os_codename,omitempty"`
	// KernelPackageVersion is the version of the package the running
	// kernel came from (Debian 6.1.158-1, Ubuntu 5.15.0-91.101, RHEL
	// 5.14.0-427.13.1.el9_4): a fixed kernel installed but not yet booted
	// does not protect the host.
	KernelPackageVersion string `json:"kernel_package_version,omitempty"`
}

// Result is what one check saw, with the metadata a reader needs to score
// and aggregate it without the agent's catalogue (domain, severity,
// references). A check fills Status, Evidence and Facts; the runner fills the
// rest from the check's metadata.
type Result struct {
	ID       string         `json:"id"`
	Version  int            `json:"version"`
	Target   string         `json:"target,omitempty"`
	Status   Status         `json:"status"`
	Evidence Text           `json:"evidence"`
	Facts    map[string]any `json:"facts,omitempty"`
	Declared bool           `json:"declared,omitempty"`
	Duration time.Duration  `json:"duration_ns,format:nano"`
	Domain   Domain         `json:"domain"`
	Severity Severity       `json:"severity"`
	Refs     Refs           `json:"refs"`
}

// ByPriority orders results as every page lists them: failures first, then
// warnings, errors, passes, not applicable; within a status the most severe
// first; then by ID and target so the order is stable.
func ByPriority(a, b *Result) int {
	if d := a.Status.Rank() - b.Status.Rank(); d != 0 {
		return d
	}
	if d := a.Severity.Rank() - b.Severity.Rank(); d != 0 {
		return d
	}
	if a.ID != b.ID {
		if a.ID < b.ID {
			return -1
		}
		return 1
	}
	switch {
	case a.Target < b.Target:
		return -1
	case a.Target > b.Target:
		return 1
	}
	return 0
}
